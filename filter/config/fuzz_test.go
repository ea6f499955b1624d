package config

import (
	"errors"
	"os"
	"sort"
	"testing"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// FuzzConfig_parse feeds arbitrary documents to Parse. Properties: it never
// panics; it returns either a Config or an *Error, never both; an error
// without a path only for a document that is not JSON at all (empty, too
// large, or refused by the strict JSON parser); and an accepted Config is
// consistent (compiled table, resolvable provider references, sorted claim
// headers, every default in range).
func FuzzConfig_parse(f *testing.F) {
	example, err := os.ReadFile("testdata/design-example.json")
	if err != nil {
		f.Fatal(err)
	}
	seeds := []string{
		string(example),
		defaultsDoc,
		`{"default":{}}`,
		`{"routes":[{"name":"r","match":{"prefix":"/"}}]}`,
		withRoute(`,"auth":{"providers":["idp"],"owner":[{"param":"id","claim":"sub"}]}`),
		withRoute(`,"rate_limits":[{"name":"g","key":"claim:sub","limit":1,"window":"1m","global":true}]`),
		withTop(`,"rate_limit_service":{"cluster":"c","domain":"d","hash_secret":"0123456789abcdef"}`),
		withTop(`,"audit_log":{"raw_path":true,"hash_secret":{"env":"AUDIT_SECRET"}}`),
		withKeys(`[{"id":"k","sha256":"` + hash64 + `","claims":{"sub":"x"}}]`),
		withJWT(`,"jwks":{"keys":[{"kty":"oct","k":"AAAA"}]},"from":[{"query":"t"}]`),
		withJWT(`,"remote_jwks":{"cluster":"c","url":"https://idp.example/k","max_stale_seconds":7200}`),
		withJWT(`,"remote_jwks":{"cluster":"c","url":"https://idp.example","discovery":true,"clusters":{"keys.example:8443":"k"}}`),
		`{"providers":{"a.b":{}},"default":{}}`,
		withRoute(`,"pass_credentials":["header:authorization","cookie:x","query:+y"]`),
		`{"providers":{"k":{"api_keys":{"from":[{"header":"authorization","prefix":"Basic "},{"cookie":"s"}],"keys":[]}}},"default":{"auth":{"providers":["k"]},"pass_credentials":["cookie:S"]}}`,
		``,
		`[]`,
		`{"default":{},"default":{}}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data)
		if (cfg == nil) == (err == nil) {
			t.Fatalf("Parse returned cfg=%v err=%v", cfg != nil, err)
		}
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not *Error", err)
			}
			if ce.Path == "" {
				if _, jerr := jsonx.Parse(data, docLimits); jerr == nil && !isBlank(data) && len(data) <= MaxConfigBytes {
					t.Fatalf("pathless error %q for a valid JSON document", ce.Msg)
				}
			}
			if ce.Msg == "" {
				t.Fatal("empty message")
			}
			return
		}
		if routeTable(t, cfg) == nil || routeTable(t, cfg).Len() != len(cfg.Routes) {
			t.Fatal("table does not follow routes")
		}
		if cfg.RateLimitSlots <= 0 || cfg.RateLimitSlots&(cfg.RateLimitSlots-1) != 0 {
			t.Fatalf("rate_limit_slots = %d", cfg.RateLimitSlots)
		}
		if !sort.StringsAreSorted(cfg.ClaimHeaders) {
			t.Fatal("claim headers not sorted")
		}
		policies := []*RoutePolicy{cfg.Default}
		for i := range cfg.Routes {
			policies = append(policies, &cfg.Routes[i].Policy)
		}
		for _, p := range policies {
			if p == nil {
				continue
			}
			if p.Auth != nil {
				for _, name := range p.Auth.Providers {
					if cfg.Provider(name) == nil {
						t.Fatalf("dangling provider %q accepted", name)
					}
				}
			}
			for _, rl := range p.RateLimits {
				if rl.Limit <= 0 || rl.Window <= 0 || (!rl.Global && rl.Burst <= 0) {
					t.Fatalf("rate limit %+v", rl)
				}
				if rl.Global && cfg.RateLimitService == nil {
					t.Fatal("global limit without service")
				}
			}
			if limit, on := p.RequestBodyLimit(); on && (limit <= 0 || limit > MaxBodyBytesLimit) {
				t.Fatalf("request body limit %d", limit)
			}
		}
		for _, prov := range cfg.Providers {
			if (prov.JWT == nil) == (prov.APIKeys == nil) {
				t.Fatalf("provider %q has both or neither shape", prov.Name)
			}
			if len(prov.From()) == 0 {
				t.Fatalf("provider %q has no source", prov.Name)
			}
			if prov.JWT != nil && (prov.JWT.JWKS == nil) == (prov.JWT.RemoteJWKS == nil) {
				t.Fatalf("provider %q: exactly one of jwks and remote_jwks", prov.Name)
			}
			if r := remoteOf(prov); r != nil {
				if r.Path == "" || r.Path[0] != '/' || r.Authority == "" || r.Cluster == "" || r.MaxStale <= r.Refresh+r.Timeout {
					t.Fatalf("provider %q: remote_jwks %+v", prov.Name, r)
				}
				if len(r.Clusters) > 0 && !r.Discovery {
					t.Fatalf("provider %q: clusters without discovery", prov.Name)
				}
			}
			if prov.JWT != nil && prov.JWT.JWKS != nil {
				if v, err := jsonx.Parse(prov.JWT.JWKS, docLimits); err != nil || v.Kind != jsonx.KindObject {
					t.Fatalf("provider %q: raw JWKS is not one object: %v", prov.Name, err)
				}
			}
		}
	})
}

func remoteOf(p *Provider) *RemoteJWKS {
	if p.JWT == nil {
		return nil
	}
	return p.JWT.RemoteJWKS
}
