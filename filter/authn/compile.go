package authn

import (
	"github.com/apiguard/apiguard/filter/apikey"
	"github.com/apiguard/apiguard/filter/claims"
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/jwt"
)

// Auth is the authentication of one configuration, compiled once: the
// providers, each route's auth, and the credential locations removed
// before upstream.
type Auth struct {
	// Providers are the providers by name; Remotes those with
	// remote_jwks, in configuration order.
	Providers map[string]*Provider
	Remotes   []*Provider
	// Routes holds each route's compiled auth by route index; nil where
	// the route has no auth.
	Routes []*Route
	// Creds are the locations removed before upstream on enforcing
	// routes; Pass holds each route's pass_credentials by route index.
	Creds CredNames
	Pass  []CredNames
}

// RouteAt is the compiled auth of the route with index i, nil where the
// route has no auth or there is no such route.
func (a *Auth) RouteAt(i int) *Route {
	if i >= 0 && i < len(a.Routes) {
		return a.Routes[i]
	}
	return nil
}

// Provider is one provider, compiled. Verifier is the one field the
// plugin replaces at run time (bound to the host's signatures, given a
// remote set's keys): it holds the VM's key set.
type Provider struct {
	Name    string
	Sources []config.Source
	Headers []config.ClaimHeader
	// Forward keeps the credential on the upstream request (JWT forward:
	// true); API keys are always removed.
	Forward bool
	// JWT providers: issuer, a verifier (whose key set is nil until a
	// remote set arrived) and the remote_jwks configuration (nil for an
	// inline set). Remote is the provider's position in Auth.Remotes.
	JWT       *config.JWTProvider
	Verifier  *jwt.Verifier
	RemoteCfg *config.RemoteJWKS
	Remote    int
	// API-key providers.
	Keys       *apikey.Set
	KeyClaims  []*jsonx.Value
	KeyMetrics []string // apiguard.apikey.<id>.used
}

// IsJWT reports a JWT provider.
func (p *Provider) IsJWT() bool { return p.JWT != nil }

// Route is one route's auth, compiled.
type Route struct {
	AllowMissing bool
	sources      []*source
	// headers groups the header sources by header name: every instance
	// of one of them is a credential (headerGroup.match).
	headers   []headerGroup
	hasCookie bool
	hasHeader bool
	// jwtOnly is set when every source is read by exactly one provider, a
	// JWT one: the token then goes straight to that provider's cache and
	// verifier, which checks the issuer itself, without a separate peek.
	jwtOnly bool
	Claims  []claims.Rule
	// ruleBit is the route's bit in a cached token's memo of which claim
	// rules hold (memo.go): set for the first 64 routes with claims, 0 for
	// the rest.
	ruleBit   uint64
	Owner     []Owner
	BodyOwner []BodyOwner
}

// ReadsHeaders reports whether a source of the route reads request
// headers (a header or a cookie).
func (rt *Route) ReadsHeaders() bool { return rt.hasHeader || rt.hasCookie }

// source is one place a credential is looked for on a route, with the
// providers of the route that read it.
type source struct {
	src       config.Source
	qname     string // normalised query parameter or cookie name (query and cookie sources)
	providers []*Provider
	// jwtCount is the number of JWT providers among providers; soleJWT
	// is the one when there is exactly one.
	jwtCount int
	soleJWT  *Provider
}

// Compile compiles the providers and the auth of each of n routes
// (route(i) is route i's policy, nil where there is none). Inline key sets
// are validated here (an invalid one is a *config.Error naming the
// provider); remote ones are fetched by the plugin.
func Compile(cfg *config.Config, n int, route func(i int) *config.RoutePolicy) (*Auth, error) {
	a := &Auth{Providers: make(map[string]*Provider, len(cfg.Providers))}
	for _, cp := range cfg.Providers {
		p, err := compileProvider(cp)
		if err != nil {
			return nil, err
		}
		a.Providers[cp.Name] = p
		if p.RemoteCfg != nil {
			p.Remote = len(a.Remotes)
			a.Remotes = append(a.Remotes, p)
		}
	}
	a.Routes = make([]*Route, n)
	a.Pass = make([]CredNames, n)
	ruleBits := 0
	for i := 0; i < n; i++ {
		rp := route(i)
		if rp == nil {
			continue
		}
		if rp.Auth != nil {
			ar := compileRoute(rp.Auth, a.Providers)
			if len(ar.Claims) > 0 && ruleBits < 64 {
				ar.ruleBit = 1 << ruleBits
				ruleBits++
			}
			a.Routes[i] = ar
		}
		for _, pc := range rp.PassCredentials {
			a.Pass[i].add(pc.Kind, pc.Name)
		}
	}
	a.Creds.add(config.SourceHeader, "authorization")
	for _, p := range cfg.Providers {
		for _, src := range p.From() {
			name := src.Name
			if src.Kind != config.SourceHeader {
				name = httpx.NormalizeQueryName(name)
			}
			a.Creds.add(src.Kind, name)
		}
	}
	return a, nil
}

// ProviderPath is the configuration path of a provider, for errors.
func ProviderPath(name string) string {
	for i := 0; i < len(name); i++ {
		if c := name[i]; c == '.' {
			return `providers["` + name + `"]`
		}
	}
	return "providers." + name
}

func compileProvider(cp *config.Provider) (*Provider, error) {
	p := &Provider{Name: cp.Name, Sources: cp.From(), Headers: cp.ClaimsToHeaders, Remote: -1}
	if cp.APIKeys != nil {
		keys := make([]apikey.Key, len(cp.APIKeys.Keys))
		p.KeyClaims = make([]*jsonx.Value, len(keys))
		p.KeyMetrics = make([]string, len(keys))
		for i := range cp.APIKeys.Keys {
			k := &cp.APIKeys.Keys[i]
			keys[i] = apikey.Key{ID: k.ID, SHA256: k.SHA256, Expires: k.Expires}
			p.KeyClaims[i] = &k.Claims
			p.KeyMetrics[i] = "apiguard.apikey." + k.ID + ".used"
		}
		p.Keys = apikey.NewSet(keys)
		return p, nil
	}
	j := cp.JWT
	p.JWT, p.Forward = j, j.Forward
	conf := jwt.Config{
		Issuer:            j.Issuer,
		Audiences:         j.Audiences,
		Algorithms:        j.Algorithms,
		ClockSkew:         j.ClockSkew,
		MaxLifetime:       j.MaxLifetime,
		RequireExpiration: j.RequireExpiration,
	}
	if j.RemoteJWKS != nil {
		p.Verifier = jwt.NewVerifier(conf, nil)
		p.RemoteCfg = j.RemoteJWKS
		return p, nil
	}
	ks, err := jwt.ParseJWKS(j.JWKS, jwt.JWKSOptions{AllowHMAC: true})
	if err != nil {
		// KeyError paths and messages are fixed texts, never key material.
		// The key's own path extends the provider's, so the one log line
		// names the offending member (providers.idp.jwks.keys[0].n).
		path, msg := ProviderPath(cp.Name)+".jwks", err.Error()
		if ke, ok := err.(*jwt.KeyError); ok {
			msg = ke.Msg
			if ke.Path != "" {
				path += "." + ke.Path
			}
		}
		return nil, &config.Error{Path: path, Msg: msg}
	}
	p.Verifier = jwt.NewVerifier(conf, ks)
	return p, nil
}

func compileRoute(a *config.Auth, providers map[string]*Provider) *Route {
	ar := &Route{AllowMissing: a.AllowMissing, jwtOnly: true}
	for _, name := range a.Providers {
		p := providers[name]
		if p == nil {
			continue // config.Parse refuses unknown providers
		}
		for _, src := range p.Sources {
			rs := findSource(ar.sources, src)
			if rs == nil {
				rs = &source{src: src}
				if src.Kind == config.SourceQuery || src.Kind == config.SourceCookie {
					rs.qname = httpx.NormalizeQueryName(src.Name)
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
			if p.IsJWT() {
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
		ar.Claims = append(ar.Claims, ClaimRule(&a.Claims[i]))
	}
	for i := range a.Owner {
		ar.Owner = append(ar.Owner, CompileOwner(&a.Owner[i]))
	}
	for i := range a.BodyOwner {
		ar.BodyOwner = append(ar.BodyOwner, CompileBodyOwner(&a.BodyOwner[i]))
	}
	return ar
}

// findSource finds a source read the same way, so that one location is one
// credential however many providers read it: a header of the same name
// with the same prefix but for ASCII letter case (prefixes compare so), or
// a cookie or query parameter whose name normalises the same.
func findSource(list []*source, src config.Source) *source {
	for _, rs := range list {
		if rs.src.Kind != src.Kind {
			continue
		}
		if src.Kind == config.SourceHeader {
			if rs.src.Name == src.Name && len(rs.src.Prefix) == len(src.Prefix) {
				if _, ok := httpx.CutPrefixFold(rs.src.Prefix, src.Prefix); ok {
					return rs
				}
			}
		} else if rs.qname == httpx.NormalizeQueryName(src.Name) {
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
