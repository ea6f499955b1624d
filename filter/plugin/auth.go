package plugin

import (
	"time"

	"github.com/apiguard/apiguard/filter/apikey"
	"github.com/apiguard/apiguard/filter/authn"
	"github.com/apiguard/apiguard/filter/claims"
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/jwt"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Authentication (docs/configuration.md providers and auth; order of checks steps 9,
// 10 and the body_owner part of 12). The files split the work:
//
//	auth.go         providers and routes compiled once, steps 9 and 10
//	auth_source.go  finding the one credential of a request; removing the
//	                credentials apiguard did not verify
//	auth_owner.go   owner and body_owner
//	auth_jwks.go    remote JWKS through shared data, waiting for keys
const (
	// metricCacheHit counts requests whose token was found in the
	// verified-token cache (no signature check).
	metricCacheHit = "apiguard.auth.cache_hit"
)

// The WWW-Authenticate challenges of docs/responses.md "Responses the filter
// sends". realm is fixed: it must not reveal anything about the route.
var (
	challengeMissing = []proxy.Pair{{Key: "www-authenticate", Value: `Bearer realm="apiguard"`}}
	challengeInvalid = []proxy.Pair{{Key: "www-authenticate", Value: `Bearer realm="apiguard", error="invalid_token"`}}
	challengeScope   = []proxy.Pair{{Key: "www-authenticate", Value: `Bearer error="insufficient_scope"`}}
)

// tokenReason is the refusal reason of a verifier error.
func tokenReason(err error) problem.Reason { return authn.TokenReason(err) }

// authRoot is the plugin-wide authentication state: the providers and
// routes compiled once per configuration, remote key sets, the verified
// token cache and the streams waiting for keys.
type authRoot struct {
	providers map[string]*authProvider
	// remotes are the providers with remote_jwks, in configuration order.
	remotes []*authProvider
	// routes holds each route's compiled auth by policy.Route.Index; nil
	// where the route has no auth.
	routes []*authRoute
	cache  *jwt.Cache
	// creds are the locations removed before upstream on enforcing
	// routes; pass holds each route's pass_credentials by
	// policy.Route.Index (auth_source.go).
	creds credNames
	pass  []credNames

	// Remote JWKS (auth_jwks.go).
	keyPrefix string // <plugin>/jwks2/
	owner     uint64 // this VM's id in the fetch lock
	waiters   []uint32
	spare     []uint32
}

// authProvider is one provider, compiled.
type authProvider struct {
	name    string
	sources []config.Source
	headers []config.ClaimHeader
	// forward keeps the credential on the upstream request (JWT forward:
	// true); API keys are always removed.
	forward bool

	// JWT providers: issuer, a verifier (whose key set is nil until a
	// remote set arrived) and the remote state.
	jwt      *config.JWTProvider
	verifier *jwt.Verifier
	remote   *remoteKeys

	// API-key providers.
	keys       *apikey.Set
	keyClaims  []*jsonx.Value
	keyMetrics []string // apiguard.apikey.<id>.used
}

func (p *authProvider) isJWT() bool { return p.jwt != nil }

// authRoute is one route's auth, compiled.
type authRoute struct {
	cfg     *config.Auth
	sources []*routeSource
	// headers groups the header sources by header name: every instance
	// of one of them is a credential (headerGroup.match).
	headers   []headerGroup
	hasCookie bool
	hasHeader bool
	// jwtOnly is set when every source is read by exactly one provider, a
	// JWT one: the token then goes straight to that provider's cache and
	// verifier, which checks the issuer itself, without a separate peek.
	jwtOnly   bool
	claims    []claims.Rule
	owner     []authn.Owner
	bodyOwner []authn.BodyOwner
}

// routeSource is one place a credential is looked for on a route, with the
// providers of the route that read it.
type routeSource struct {
	src       config.Source
	qname     string // normalised query parameter or cookie name (query and cookie sources)
	providers []*authProvider
	// jwtCount is the number of JWT providers among providers; soleJWT
	// is the one when there is exactly one.
	jwtCount int
	soleJWT  *authProvider
}

// authState is the per-stream authentication state.
type authState struct {
	// extracted says the credential search ran (it runs once, in step 8
	// or 9, and step 9 reuses it).
	extracted bool
	// count is the number of credentials found; cred is the one when
	// count is 1.
	count int
	cred  credential

	peeked bool
	peekOK bool
	peek   jwt.Unverified
	// The verified-token cache is looked up once per stream (step 8 and 9).
	hit      *jwt.Token // a verified-token cache hit, for provider hitBy
	hitBy    *authProvider
	provider *authProvider // the provider that verified the credential
	headers  []proxy.Pair  // claims_to_headers values, set in addRequestHeaders

	// Waiting for a remote key set: the deadline (Unix ns, 0 when not
	// waiting), what for, and the key generation the request saw.
	deadline int64
	waitFor  waitReason
	waitGen  uint64
}

type waitReason uint8

const (
	waitNone waitReason = iota
	waitKeys
	waitRotation
)

// configureAuth compiles the providers and each route's auth once per
// configuration. Inline key sets are validated here (an invalid one stops
// the plugin, naming the provider); remote ones are only ever fetched from
// ticks.
func (r *root) configureAuth() error {
	cfg := r.policy.Config
	ar := &r.auth
	*ar = authRoot{providers: make(map[string]*authProvider, len(cfg.Providers))}
	for _, cp := range cfg.Providers {
		p, err := compileProvider(cp)
		if err != nil {
			return err
		}
		ar.providers[cp.Name] = p
		if p.remote != nil {
			ar.remotes = append(ar.remotes, p)
		}
	}
	ar.routes = make([]*authRoute, r.policy.NumRoutes())
	for i := range ar.routes {
		rt := r.policy.Route(i)
		if rt == nil || rt.Config == nil || rt.Config.Auth == nil {
			continue
		}
		ar.routes[i] = compileAuthRoute(rt.Config.Auth, ar.providers)
	}
	r.compileCredNames()
	ar.cache = jwt.NewCache(cfg.TokenCache.MaxEntries, cfg.TokenCache.MaxBytes)
	r.configureHostSignatures()
	if len(ar.remotes) > 0 {
		r.configureRemoteKeys()
	}
	return nil
}

// authRoute returns the compiled auth of the stream's route, or nil.
func (s *stream) authRoute() *authRoute {
	if s.route == nil {
		return nil
	}
	routes := s.r.auth.routes
	if i := s.route.Index; i >= 0 && i < len(routes) {
		return routes[i]
	}
	return nil
}

func (s *stream) now() time.Time { return time.Unix(0, s.host.Now()) }

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
	switch {
	case a.count > 1:
		s.countFailedAuth()
		return s.refuse(401, problem.ReasonCredentialMultiple, challengeInvalid)
	case a.count == 0:
		if ar.cfg.AllowMissing {
			return next // anonymous: claims and owner rules will fail
		}
		s.countFailedAuth()
		return s.refuse(401, problem.ReasonCredentialMissing, challengeMissing)
	case a.cred.invalid:
		// A header the route reads, in a form none of its sources
		// accepts: present, so never anonymous, even with allow_missing.
		s.countFailedAuth()
		return s.refuse(401, problem.ReasonCredentialScheme, challengeInvalid)
	}
	if a.cred.src.src.Kind == config.SourceCookie && unsafeMethod(s.req.Method) && !s.cookieOriginAllowed() {
		return s.refuse(403, problem.ReasonCookieOrigin, nil)
	}
	return s.verifyCredential(ar)
}

// unsafeMethod reports methods that may change state (not GET, HEAD,
// OPTIONS); a cookie credential on them needs a trusted origin.
func unsafeMethod(m string) bool { return m != "GET" && m != "HEAD" && m != "OPTIONS" }

// cookieOriginAllowed: an Origin the route's cors lists by name, or
// exactly one Sec-Fetch-Site: same-origin (docs/responses.md Guarantees, cookie
// credentials).
func (s *stream) cookieOriginAllowed() bool {
	s.loadEdge()
	if s.originAllowed() {
		return true
	}
	n, same := 0, false
	for _, p := range s.req.Headers {
		if p.Key == "sec-fetch-site" {
			n++
			same = p.Value == "same-origin"
		}
	}
	return n == 1 && same
}

// stepAuthorize is step 10: auth.claims, then auth.owner on the path and
// its query shadows (403 with insufficient_scope). An anonymous request
// (allow_missing) fails every rule.
func (s *stream) stepAuthorize() result {
	ar := s.authRoute()
	if ar == nil {
		return next
	}
	c := s.identity
	for i := range ar.claims {
		if c == nil || !ar.claims[i].Holds(c) {
			return s.refuse(403, problem.ReasonClaimsNotSatisfied, challengeScope)
		}
	}
	for i := range ar.owner {
		if v := ar.owner[i].Check(c, s.req.Query, s.params); !v.Pass() {
			return s.refuseFor(v)
		}
	}
	return next
}

// addRequestHeaders runs once the header steps passed: it removes every
// credential apiguard did not verify, and the verified one unless its
// provider forwards it (removeCredentials; API keys never are forwarded),
// then sets the claims_to_headers values. A report-only policy (enforce:
// false) never edits the request, whether or not one of its checks would
// have refused it: credentials stay where they were and no claims header
// is set (step 1 still removed the client's copies).
func (s *stream) addRequestHeaders() {
	if !s.enforced() {
		return
	}
	s.removeCredentials()
	for _, h := range s.auth.headers {
		s.host.ReplaceHeaderMapValue(reqHeaders, h.Key, h.Value)
	}
}

// credentialCached reports whether the request's credential is already in
// the verified-token cache: step 8 lets such requests through a failed-auth
// lockout, so a locked-out address does not lock out verified users. API
// keys never count: letting a locked-out client learn whether a guessed
// key is valid would defeat the lockout.
func (s *stream) credentialCached() bool {
	ar := s.authRoute()
	if ar == nil {
		return false
	}
	s.extractCredential(ar)
	a := &s.auth
	if a.count != 1 || a.cred.src == nil {
		return false
	}
	rs := a.cred.src
	p := rs.soleJWT
	if p == nil && rs.jwtCount > 1 {
		s.peekCredential()
		if !a.peekOK {
			return false
		}
		for _, c := range rs.providers {
			if c.isJWT() && c.jwt.Issuer == a.peek.Issuer && s.cachedToken(c) != nil {
				return true
			}
		}
		return false
	}
	return p != nil && s.cachedToken(p) != nil
}
