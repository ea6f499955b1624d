package plugin

import (
	"github.com/apiguard/apiguard/filter/apikey"
	"github.com/apiguard/apiguard/filter/authn"
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/jwt"
)

// Providers and each route's auth, compiled once per configuration
// (configureAuth).

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
		ar.claims = append(ar.claims, authn.ClaimRule(&a.Claims[i]))
	}
	for i := range a.Owner {
		ar.owner = append(ar.owner, authn.CompileOwner(&a.Owner[i]))
	}
	for i := range a.BodyOwner {
		ar.bodyOwner = append(ar.bodyOwner, authn.CompileBodyOwner(&a.BodyOwner[i]))
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
