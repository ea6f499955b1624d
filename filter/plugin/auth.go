package plugin

import (
	"time"

	"github.com/apiguard/apiguard/filter/apikey"
	"github.com/apiguard/apiguard/filter/claims"
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/jwt"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Authentication (DESIGN.md providers and auth; order of checks steps 9,
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

// The WWW-Authenticate challenges of DESIGN.md "Responses the filter
// sends". realm is fixed: it must not reveal anything about the route.
var (
	challengeMissing = []proxy.Pair{{Key: "www-authenticate", Value: `Bearer realm="apiguard"`}}
	challengeInvalid = []proxy.Pair{{Key: "www-authenticate", Value: `Bearer realm="apiguard", error="invalid_token"`}}
	challengeScope   = []proxy.Pair{{Key: "www-authenticate", Value: `Bearer error="insufficient_scope"`}}
)

// tokenReasons maps the verifier's reasons to the plugin's metric reasons.
var tokenReasons = map[string]problem.Reason{
	jwt.ReasonMalformed:         problem.ReasonTokenMalformed,
	jwt.ReasonTooLarge:          problem.ReasonTokenTooLarge,
	jwt.ReasonUnsupported:       problem.ReasonTokenUnsupported,
	jwt.ReasonAlgNotAllowed:     problem.ReasonTokenAlgNotAllowed,
	jwt.ReasonWrongIssuer:       problem.ReasonTokenWrongIssuer,
	jwt.ReasonNoKeys:            problem.ReasonTokenNoKeys,
	jwt.ReasonUnknownKey:        problem.ReasonTokenUnknownKey,
	jwt.ReasonBadSignature:      problem.ReasonTokenBadSignature,
	jwt.ReasonInvalidClaim:      problem.ReasonTokenInvalidClaim,
	jwt.ReasonMissingExpiration: problem.ReasonTokenMissingExpiration,
	jwt.ReasonExpired:           problem.ReasonTokenExpired,
	jwt.ReasonNotYetValid:       problem.ReasonTokenNotYetValid,
	jwt.ReasonIssuedInFuture:    problem.ReasonTokenIssuedInFuture,
	jwt.ReasonLifetimeExceeded:  problem.ReasonTokenLifetimeExceeded,
	jwt.ReasonWrongAudience:     problem.ReasonTokenWrongAudience,
}

func tokenReason(err error) problem.Reason {
	if r, ok := tokenReasons[jwt.ReasonOf(err)]; ok {
		return r
	}
	return problem.ReasonTokenInvalid
}

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
	owner     []ownerRule
	bodyOwner []bodyOwnerRule
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
	pairs []proxy.Pair // request headers, read once for header and cookie sources
	// pairsRead says pairs already holds the request headers: step 1 reads
	// them once per request and leaves here what it did not strip
	// (stripClaimHeaders).
	pairsRead bool

	peeked bool
	peekOK bool
	peek   jwt.Unverified
	// The verified-token cache is looked up once per stream (step 8 and 9).
	hit      *jwt.Token // a verified-token cache hit, for provider hitBy
	hitBy    *authProvider
	provider *authProvider // the provider that verified the credential
	claims   *jsonx.Value
	headers  []proxy.Pair // claims_to_headers values, set in addRequestHeaders

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

func providerPath(name string) string {
	for i := 0; i < len(name); i++ {
		if c := name[i]; c == '.' {
			return `providers["` + name + `"]`
		}
	}
	return "providers." + name
}

func compileProvider(cp *config.Provider) (*authProvider, error) {
	p := &authProvider{name: cp.Name, sources: cp.From(), headers: cp.ClaimsToHeaders}
	if cp.APIKeys != nil {
		keys := make([]apikey.Key, len(cp.APIKeys.Keys))
		p.keyClaims = make([]*jsonx.Value, len(keys))
		p.keyMetrics = make([]string, len(keys))
		for i := range cp.APIKeys.Keys {
			k := &cp.APIKeys.Keys[i]
			keys[i] = apikey.Key{ID: k.ID, SHA256: k.SHA256, Expires: k.Expires}
			p.keyClaims[i] = &k.Claims
			p.keyMetrics[i] = "apiguard.apikey." + k.ID + ".used"
		}
		p.keys = apikey.NewSet(keys)
		return p, nil
	}
	j := cp.JWT
	p.jwt, p.forward = j, j.Forward
	conf := jwt.Config{
		Issuer:            j.Issuer,
		Audiences:         j.Audiences,
		Algorithms:        j.Algorithms,
		ClockSkew:         j.ClockSkew,
		MaxLifetime:       j.MaxLifetime,
		RequireExpiration: j.RequireExpiration,
	}
	if j.RemoteJWKS != nil {
		p.verifier = jwt.NewVerifier(conf, nil)
		p.remote = newRemoteKeys(cp.Name, j.RemoteJWKS)
		return p, nil
	}
	ks, err := jwt.ParseJWKS(j.JWKS, jwt.JWKSOptions{AllowHMAC: true})
	if err != nil {
		// KeyError paths and messages are fixed texts, never key material.
		// The key's own path extends the provider's, so the one log line
		// names the offending member (providers.idp.jwks.keys[0].n).
		path, msg := providerPath(cp.Name)+".jwks", err.Error()
		if ke, ok := err.(*jwt.KeyError); ok {
			msg = ke.Msg
			if ke.Path != "" {
				path += "." + ke.Path
			}
		}
		return nil, &config.Error{Path: path, Msg: msg}
	}
	p.verifier = jwt.NewVerifier(conf, ks)
	return p, nil
}

func compileAuthRoute(a *config.Auth, providers map[string]*authProvider) *authRoute {
	ar := &authRoute{cfg: a, jwtOnly: true}
	for _, name := range a.Providers {
		p := providers[name]
		if p == nil {
			continue // config.Parse refuses unknown providers
		}
		for _, src := range p.sources {
			rs := findSource(ar.sources, src)
			if rs == nil {
				rs = &routeSource{src: src}
				if src.Kind == config.SourceQuery || src.Kind == config.SourceCookie {
					rs.qname = config.NormalizeQueryName(src.Name)
				}
				ar.sources = append(ar.sources, rs)
			}
			rs.providers = append(rs.providers, p)
			switch src.Kind {
			case config.SourceCookie:
				ar.hasCookie = true
			case config.SourceHeader:
				ar.hasHeader = true
			}
		}
	}
	for _, rs := range ar.sources {
		if rs.src.Kind != config.SourceHeader {
			continue
		}
		g := findHeaderGroup(ar.headers, rs.src.Name)
		if g == nil {
			ar.headers = append(ar.headers, headerGroup{name: rs.src.Name})
			g = &ar.headers[len(ar.headers)-1]
		}
		g.sources = append(g.sources, rs)
	}
	for _, rs := range ar.sources {
		for _, p := range rs.providers {
			if p.isJWT() {
				rs.jwtCount++
				rs.soleJWT = p
			}
		}
		if rs.jwtCount != 1 {
			rs.soleJWT = nil
		}
		if len(rs.providers) != 1 || rs.soleJWT == nil {
			ar.jwtOnly = false
		}
	}
	for i := range a.Claims {
		ar.claims = append(ar.claims, claimRule(&a.Claims[i]))
	}
	for i := range a.Owner {
		ar.owner = append(ar.owner, compileOwner(&a.Owner[i]))
	}
	for i := range a.BodyOwner {
		ar.bodyOwner = append(ar.bodyOwner, compileBodyOwner(&a.BodyOwner[i]))
	}
	return ar
}

// findSource finds a source read the same way, so that one location is one
// credential however many providers read it: a header of the same name
// with the same prefix but for ASCII letter case (prefixes compare so), or
// a cookie or query parameter whose name normalises the same.
func findSource(list []*routeSource, src config.Source) *routeSource {
	for _, rs := range list {
		if rs.src.Kind != src.Kind {
			continue
		}
		if src.Kind == config.SourceHeader {
			if rs.src.Name == src.Name && len(rs.src.Prefix) == len(src.Prefix) {
				if _, ok := cutPrefixFold(rs.src.Prefix, src.Prefix); ok {
					return rs
				}
			}
		} else if rs.qname == config.NormalizeQueryName(src.Name) {
			return rs
		}
	}
	return nil
}

func findHeaderGroup(list []headerGroup, name string) *headerGroup {
	for i := range list {
		if list[i].name == name {
			return &list[i]
		}
	}
	return nil
}

// claimRule turns a configured rule into the claims package's form.
func claimRule(c *config.ClaimRule) claims.Rule {
	r := claims.Rule{Path: c.Claim}
	switch c.Op {
	case config.ClaimEquals:
		r.Equals = &c.Equals
	case config.ClaimAnyOf:
		r.AnyOf = c.Values
	case config.ClaimContains:
		r.Contains = c.Values
	}
	return r
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
	if a.cred.src.src.Kind == config.SourceCookie && unsafeMethod(s.method) && !s.cookieOriginAllowed() {
		return s.refuse(403, problem.ReasonCookieOrigin, nil)
	}
	return s.verifyCredential(ar)
}

// unsafeMethod reports methods that may change state (not GET, HEAD,
// OPTIONS); a cookie credential on them needs a trusted origin.
func unsafeMethod(m string) bool { return m != "GET" && m != "HEAD" && m != "OPTIONS" }

// cookieOriginAllowed: an Origin the route's cors lists by name, or
// exactly one Sec-Fetch-Site: same-origin (DESIGN.md Guarantees, cookie
// credentials).
func (s *stream) cookieOriginAllowed() bool {
	s.loadEdge()
	if s.originAllowed() {
		return true
	}
	n, same := 0, false
	for _, p := range s.auth.pairs {
		if p.Key == "sec-fetch-site" {
			n++
			same = p.Value == "same-origin"
		}
	}
	return n == 1 && same
}

// verifyCredential picks the provider of the one credential and verifies
// it. Among the route's providers that read the credential's source, a JWT
// goes to the provider whose issuer it names (PeekUnverified, used for
// nothing else), anything else to the API-key providers; a token naming
// another issuer is refused, allow_missing or not.
func (s *stream) verifyCredential(ar *authRoute) result {
	a := &s.auth
	rs := a.cred.src
	cands := rs.providers
	if ar.jwtOnly {
		return s.verifyJWT(cands[0])
	}
	if rs.soleJWT != nil {
		// A token this source's one JWT provider verified before needs
		// no peek: the cache entry names the provider.
		if tok := s.cachedToken(rs.soleJWT); tok != nil {
			return s.authenticated(rs.soleJWT, &tok.Claims, "")
		}
	}
	if rs.jwtCount > 0 {
		s.peekCredential()
	}
	var firstJWT, match, stale *authProvider
	var staleGen uint64
	hasKeys := false
	for _, p := range cands {
		if !p.isJWT() {
			hasKeys = true
			continue
		}
		if firstJWT == nil {
			firstJWT = p
		}
		if a.peekOK && a.peek.Issuer == p.jwt.Issuer {
			if match != nil {
				// Several providers trust this issuer (say, with
				// different audiences): any of them may accept it.
				tok, st, gen := s.tryJWT(match)
				if tok != nil {
					return s.authenticated(match, &tok.Claims, "")
				}
				if st && stale == nil {
					stale, staleGen = match, gen
				}
			}
			match = p
		}
	}
	if match != nil {
		if stale != nil {
			// An earlier provider's remote set may be the one that lacks
			// the token's key: unless the last provider accepts the token
			// now, wait for that set (or its early refetch) as if it were
			// the only provider, then decide again.
			if tok, _, _ := s.tryJWT(match); tok != nil {
				return s.authenticated(match, &tok.Claims, "")
			}
			if stale.keySet(s.host.Now()) == nil {
				return s.awaitKeys(stale, waitKeys)
			}
			if res, waiting := s.awaitRotation(stale, staleGen); waiting {
				return res
			}
		}
		return s.verifyJWT(match)
	}
	if hasKeys {
		p, i, st := s.lookupAPIKey(cands)
		switch {
		case st == apikey.Valid:
			return s.authenticated(p, p.keyClaims[i], p.keyMetrics[i])
		case st == apikey.Expired:
			s.countFailedAuth()
			return s.refuse(401, problem.ReasonAPIKeyExpired, challengeInvalid)
		case !a.peekOK || firstJWT == nil:
			// Not a token either (or no JWT provider reads here).
			s.countFailedAuth()
			return s.refuse(401, problem.ReasonAPIKeyUnknown, challengeInvalid)
		}
	}
	if a.peekOK {
		// A well-formed token from an issuer none of the route's
		// providers trusts.
		s.countFailedAuth()
		return s.refuse(401, problem.ReasonTokenWrongIssuer, challengeInvalid)
	}
	// Not a well-formed token: the verifier names the precise reason
	// (malformed, too large, unsupported, algorithm) before it needs keys.
	_, err := firstJWT.verifier.Verify(a.cred.value, s.now())
	s.countFailedAuth()
	return s.refuse(401, tokenReason(err), challengeInvalid)
}

func (s *stream) peekCredential() {
	a := &s.auth
	if !a.peeked {
		a.peeked = true
		a.peek, a.peekOK = jwt.PeekUnverified(a.cred.value)
	}
}

// verifyJWT verifies the credential as a token of provider p, through the
// verified-token cache.
func (s *stream) verifyJWT(p *authProvider) result {
	a := &s.auth
	ks := p.keySet(s.host.Now())
	if ks == nil {
		// A remote set that has not arrived yet.
		return s.awaitKeys(p, waitKeys)
	}
	if tok := s.cachedToken(p); tok != nil {
		return s.authenticated(p, &tok.Claims, "")
	}
	now := s.now()
	gen := ks.Generation()
	tok, err := p.verifier.Verify(a.cred.value, now)
	if err != nil {
		if p.remote != nil && jwt.ReasonOf(err) == jwt.ReasonUnknownKey {
			if res, waiting := s.awaitRotation(p, gen); waiting {
				return res
			}
		}
		s.countFailedAuth()
		return s.refuse(401, tokenReason(err), challengeInvalid)
	}
	s.verified(p, tok, now)
	return s.authenticated(p, &tok.Claims, "")
}

// cachedToken returns the credential's entry in the verified-token cache
// for provider p (with p's current key set), or nil.
// A hit is remembered on the stream, so step 8 (credentialCached) and step
// 9 look it up once.
func (s *stream) cachedToken(p *authProvider) *jwt.Token {
	a := &s.auth
	if a.hit != nil && a.hitBy == p {
		return a.hit
	}
	// A set past max_stale_seconds serves nothing, cached tokens included.
	if p.keySet(s.host.Now()) == nil {
		return nil
	}
	tok := s.r.auth.cache.Get(p.name, p.verifier, a.cred.value, s.now())
	if tok != nil {
		a.hit, a.hitBy = tok, p
		s.r.metrics.inc(metricCacheHit)
	}
	return tok
}

// tryJWT verifies the credential with p, through the cache, and returns
// the token or nil; it refuses nothing, waits for nothing. stale reports a
// failure a remote set may cure: its keys have not arrived, or it has no
// key for the token (gen is then the generation of the set tried).
func (s *stream) tryJWT(p *authProvider) (tok *jwt.Token, stale bool, gen uint64) {
	ks := p.keySet(s.host.Now())
	if ks == nil {
		return nil, p.remote != nil, 0
	}
	if tok := s.cachedToken(p); tok != nil {
		return tok, false, 0
	}
	now, value := s.now(), s.auth.cred.value
	gen = ks.Generation()
	tok, err := p.verifier.Verify(value, now)
	if err != nil {
		return nil, p.remote != nil && jwt.ReasonOf(err) == jwt.ReasonUnknownKey, gen
	}
	s.verified(p, tok, now)
	return tok, false, 0
}

// lookupAPIKey looks the credential up in every API-key provider among
// cands: the provider and entry of a valid key, else whether some provider
// has it expired.
func (s *stream) lookupAPIKey(cands []*authProvider) (*authProvider, int, apikey.Status) {
	now := s.now()
	status := apikey.Unknown
	for _, p := range cands {
		if p.keys == nil {
			continue
		}
		switch i, st := p.keys.Lookup(s.auth.cred.value, now); st {
		case apikey.Valid:
			return p, i, st
		case apikey.Expired:
			status = st
		}
	}
	return nil, -1, status
}

// authenticated records a verified credential: its claims (for steps 10
// to 12 and claim: rate-limit keys) and the claims_to_headers values, which
// must all be safe to forward (401 otherwise). A claim the token does not
// carry sets no header; the client's copies were removed in step 1.
func (s *stream) authenticated(p *authProvider, c *jsonx.Value, usedMetric string) result {
	a := &s.auth
	if len(p.headers) > 0 {
		hs := make([]proxy.Pair, 0, len(p.headers))
		for _, h := range p.headers {
			v := claims.Lookup(c, h.Claim)
			if v == nil {
				continue
			}
			text, ok := claims.HeaderValue(v)
			if !ok {
				return s.refuse(401, problem.ReasonClaimHeaderUnsafe, challengeInvalid)
			}
			hs = append(hs, proxy.Pair{Key: h.Header, Value: text})
		}
		a.headers = hs
	}
	a.provider, a.claims = p, c
	s.authd = true
	s.rl.claimValue = (*stream).claimValue
	if usedMetric != "" {
		s.r.metrics.inc(usedMetric)
	}
	return next
}

// claims returns the verified claims of the request's credential (a token's
// payload or an API key entry's claims), or nil for an anonymous request.
// Treat it as read-only: cached tokens share it.
func (s *stream) claims() *jsonx.Value { return s.auth.claims }

// claimValue is rateState.claimValue: a claim of the verified credential as
// a string.
func (s *stream) claimValue(path []string) (string, bool) {
	return claimText(s.auth.claims, path)
}

// claimText is a claim's string form for comparisons with request data
// (owner, body_owner, rate-limit keys): strings as they are, numbers as
// written, booleans as true or false. Other types, and missing claims,
// have none.
func claimText(c *jsonx.Value, path []string) (string, bool) {
	if c == nil {
		return "", false
	}
	return valueText(claims.Lookup(c, path))
}

func valueText(v *jsonx.Value) (string, bool) {
	if v == nil {
		return "", false
	}
	switch v.Kind {
	case jsonx.KindString, jsonx.KindNumber:
		return v.Str, true
	case jsonx.KindBool:
		if v.Bool {
			return "true", true
		}
		return "false", true
	}
	return "", false
}

// stepAuthorize is step 10: auth.claims, then auth.owner on the path and
// its query shadows (403 with insufficient_scope). An anonymous request
// (allow_missing) fails every rule.
func (s *stream) stepAuthorize() result {
	ar := s.authRoute()
	if ar == nil {
		return next
	}
	c := s.auth.claims
	for i := range ar.claims {
		if c == nil || !ar.claims[i].Holds(c) {
			return s.refuse(403, problem.ReasonClaimsNotSatisfied, challengeScope)
		}
	}
	for i := range ar.owner {
		if r := s.checkOwner(&ar.owner[i], c); r != next {
			return r
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
