package plugin

import (
	"time"

	"github.com/apiguard/apiguard/filter/authn"
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/jwks"
	"github.com/apiguard/apiguard/filter/jwt"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Authentication (docs/configuration.md providers and auth; order of
// checks steps 9, 10 and the body_owner part of 12). filter/authn decides
// (compiles providers and routes, finds and removes credentials,
// verifies, checks owners); this file adapts: it hands authn the request
// view and the VM's state (authEnv), and maps its verdicts to answers.
//
//	auth.go         steps 9 and 10, the verified-token cache, the edits
//	auth_owner.go   the body and form parts of owner and body_owner
//	auth_hostsig.go the host's signature verification
//	auth_jwks.go    remote JWKS through shared data, waiting for keys

// authRoot is the plugin-wide authentication state: the providers and
// routes compiled once per configuration, remote key sets, the verified
// token cache and the streams waiting for keys.
type authRoot struct {
	*authn.Auth
	cache *jwt.Cache
	// keys are the remote key sets and the streams waiting for them
	// (auth_jwks.go), nil without remote providers.
	keys *jwks.Set
}

// configureAuth compiles the providers and each route's auth once per
// configuration (authn.Compile); remote key sets are only ever fetched
// from ticks.
func (r *root) configureAuth() error {
	pol := r.policy
	au, err := authn.Compile(pol.Config, pol.NumRoutes(), pol.RouteConfig)
	if err != nil {
		return err
	}
	r.auth = authRoot{Auth: au, cache: jwt.NewCache(pol.Config.TokenCache.MaxEntries, pol.Config.TokenCache.MaxBytes)}
	r.configureHostSignatures()
	if len(au.Remotes) > 0 {
		r.configureRemoteKeys()
	}
	return nil
}

// authRoute returns the compiled auth of the stream's route, or nil
// (authn.Auth.RouteAt).
func (s *stream) authRoute() *authn.Route {
	if s.route == nil {
		return nil
	}
	return s.r.auth.RouteAt(s.route.Index)
}

// extractCredential runs authn's credential search once per stream (step
// 8 or 9), on the header list step 1 read.
func (s *stream) extractCredential(ar *authn.Route) {
	if s.auth.Extracted() {
		return
	}
	if ar.ReadsHeaders() && !s.req.HeadersRead {
		pairs, st := s.host.GetHeaderMapPairs(reqHeaders)
		if st == proxy.StatusOK {
			s.req.Headers = pairs
		}
	}
	s.auth.Extract(ar, &s.req)
}

// stepAuthenticate is step 9: find the one credential, verify it against
// the route's providers (401), wait for a remote key set (503 after
// timeout_ms), refuse cookie credentials on unsafe methods from foreign
// origins (403).
func (s *stream) stepAuthenticate() result {
	ar := s.authRoute()
	if ar == nil {
		return next
	}
	a := &s.auth
	s.extractCredential(ar)
	if v, anonymous := a.Found(ar); anonymous {
		return next
	} else if !v.Pass() {
		return s.refuseAuth(v)
	}
	if a.CookieOnUnsafeMethod(s.req.Method) && !s.cookieOriginAllowed() {
		return s.refuse(403, problem.ReasonCookieOrigin, nil)
	}
	o := a.Verify(ar, authEnv{s})
	switch {
	case o.Wait:
		s.r.auth.keys.Wait(s.id)
		return wait
	case !o.Pass():
		return s.refuseAuth(o.Verdict)
	}
	s.identity, s.authd = o.Claims, true
	if o.KeyMetric != "" {
		s.r.metrics.Inc(o.KeyMetric)
	}
	return next
}

// refuseAuth counts a failed authentication against failed_auth_limit
// when the verdict says it counts, then refuses.
func (s *stream) refuseAuth(v authn.Verdict) result {
	if v.Counts {
		s.countFailedAuth()
	}
	return s.refuseFor(v)
}

// cookieOriginAllowed: an Origin the route's cors lists by name, or
// exactly one Sec-Fetch-Site: same-origin (docs/responses.md Guarantees,
// cookie credentials).
func (s *stream) cookieOriginAllowed() bool {
	s.loadEdge()
	return s.edge.OriginListed() || authn.SameOriginFetch(&s.req)
}

// stepAuthorize is step 10: auth.claims, then auth.owner
// (authn.State.Authorize).
func (s *stream) stepAuthorize() result {
	if ar := s.authRoute(); ar != nil {
		return s.refuseFor(s.auth.Authorize(ar, s.identity, s.req.Query, s.params))
	}
	return next
}

// addRequestHeaders runs once the header steps passed: it removes every
// credential apiguard did not verify, and the verified one unless its
// provider forwards it (authn.Auth.Remove; API keys never are forwarded),
// then sets the claims_to_headers values. A report-only policy (enforce:
// false) never edits the request, whether or not one of its checks would
// have refused it: credentials stay where they were and no claims header
// is set (step 1 still removed the client's copies).
func (s *stream) addRequestHeaders() {
	if !s.enforced() {
		return
	}
	var buf [8]httpx.Edit
	rm := s.r.auth.Remove(s.route.Index, &s.auth, &s.req)
	s.applyEdits(reqHeaders, rm.Edits(buf[:0], s.auth.Headers))
}

// credentialCached reports whether the request's credential is already in
// the verified-token cache (authn.State.Cached): step 8 lets such requests
// through a failed-auth lockout.
func (s *stream) credentialCached() bool {
	ar := s.authRoute()
	if ar == nil {
		return false
	}
	s.extractCredential(ar)
	return s.auth.Cached(authEnv{s})
}

// authEnv is the VM as authn.Env: the host's clock, the verified-token
// cache (counting hits and verifications), and the remote key sets.
type authEnv struct{ s *stream }

func (e authEnv) Now() int64 { return e.s.host.Now() }

// KeySet is the key set p may verify with at now: nil while a remote set
// has not arrived or has gone stale (jwks.Set.Usable).
func (e authEnv) KeySet(p *authn.Provider, now int64) *jwt.KeySet {
	return e.s.r.auth.keys.Usable(p.Verifier.Keys(), p.Remote, now)
}

func (e authEnv) Cached(p *authn.Provider, token string, now time.Time) *jwt.Token {
	tok := e.s.r.auth.cache.Get(p.Name, p.Verifier, token, now)
	if tok != nil {
		e.s.r.metrics.Inc(authn.MetricCacheHit)
	}
	return tok
}

// Verified records a token the verifier just accepted: the verified-token
// cache keeps it, and the path that checked its signature is counted.
func (e authEnv) Verified(p *authn.Provider, token string, tok *jwt.Token, now time.Time) {
	e.s.r.auth.cache.Put(p.Name, p.Verifier, token, tok, now)
	e.s.r.metrics.Inc(authn.VerifiedMetric(tok))
}

// RequestEarly, EarlyPending and NextFetch are p's jwks.Remote's: an
// early refetch because a token named a kid the set does not have.
func (e authEnv) RequestEarly(p *authn.Provider) bool {
	return e.s.r.auth.keys.Remote(p.Remote).RequestEarly(jwksHost{e.s.r})
}

func (e authEnv) EarlyPending(p *authn.Provider) bool {
	return e.s.r.auth.keys.Remote(p.Remote).EarlyPending(jwksHost{e.s.r})
}

func (e authEnv) NextFetch(p *authn.Provider) int64 {
	return e.s.r.auth.keys.Remote(p.Remote).NextFetch()
}
