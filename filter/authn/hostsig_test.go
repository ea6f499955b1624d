package authn

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/filter/jwt"
)

// TestHostSig_bind: a host without verify_signature binds nothing and says
// so once; no JWT provider asks nothing of the host.
func TestHostSig_bind(t *testing.T) {
	jwtDoc := `{"providers": {"idp": {"issuer": "https://idp.example.com/", "audiences": ["a"], "algorithms": ["RS256"],
	  "remote_jwks": {"cluster": "idp", "authority": "idp.example.com", "path": "/jwks.json"},
	  "from": [{"header": "authorization", "prefix": "Bearer "}]}},
	  "routes": [{"name": "r", "match": {"prefix": "/"}, "auth": {"providers": ["idp"]}}]}`
	for _, c := range []struct {
		name   string
		doc    string
		calls  int
		report string
	}{
		{"no host function", jwtDoc, 1, "signatures are verified in the module: "},
		{"api keys only", credConfig(), 0, ""},
	} {
		au := compiled(t, c.doc)
		before := map[string]*jwt.Verifier{}
		for n, p := range au.Providers {
			before[n] = p.Verifier
		}
		calls := 0
		call := func([]byte) ([]byte, error) { calls++; return nil, jwt.ErrNoHostFunction }
		report, warn := au.BindHost(call, func() {}, func(string, string) {})
		if calls != c.calls || warn || !strings.HasPrefix(report, c.report) || (c.report == "") != (report == "") {
			t.Errorf("%s: calls %d, report %q, warn %v", c.name, calls, report, warn)
		}
		for n, p := range au.Providers {
			if p.Verifier != before[n] {
				t.Errorf("%s: provider %s was bound to a host that has no verify_signature", c.name, n)
			}
		}
	}
}

// keySets is a fixed KeySets, by Provider.Remote.
type keySets []*jwt.KeySet

func (k keySets) Keys(remote int) *jwt.KeySet { return k[remote] }

// TestAuth_bindKeys: each remote provider's verifier verifies with the
// set loaded for its Remote; a verifier whose set did not change is kept,
// and an inline provider is never touched.
func TestAuth_bindKeys(t *testing.T) {
	doc := `{"providers": {
    "inline": ` + jwtProvider(`, "jwks": `+testJWKS) + `,
    "r1": {"issuer": "i", "audiences": ["a"], "algorithms": ["RS256"], "from": [{"header": "x-a"}], "remote_jwks": {"cluster": "idp", "path": "/a"}},
    "r2": {"issuer": "i", "audiences": ["a"], "algorithms": ["RS256"], "from": [{"header": "x-b"}], "remote_jwks": {"cluster": "idp", "path": "/b"}}
  }, "default": {}}`
	au := compiled(t, doc)
	first, second := &jwt.KeySet{}, &jwt.KeySet{}
	inline := au.Providers["inline"].Verifier
	rounds := []struct {
		name    string
		sets    keySets
		changed map[string]bool
	}{
		{"nothing loaded", keySets{nil, nil}, map[string]bool{}},
		{"one set arrives", keySets{first, nil}, map[string]bool{"r1": true}},
		{"the other arrives", keySets{first, second}, map[string]bool{"r2": true}},
		{"one replaced", keySets{second, second}, map[string]bool{"r1": true}},
	}
	for _, r := range rounds {
		before := map[string]*jwt.Verifier{}
		for n, p := range au.Providers {
			before[n] = p.Verifier
		}
		au.BindKeys(r.sets)
		for n, p := range au.Providers {
			if changed := p.Verifier != before[n]; changed != r.changed[n] {
				t.Errorf("%s: %s changed %v, want %v", r.name, n, changed, r.changed[n])
			}
		}
		for _, p := range au.Remotes {
			if p.Verifier.Keys() != r.sets[p.Remote] {
				t.Errorf("%s: %s verifies with %p, want %p", r.name, p.Name, p.Verifier.Keys(), r.sets[p.Remote])
			}
		}
	}
	if au.Providers["inline"].Verifier != inline {
		t.Error("the inline provider was rebound")
	}
}
