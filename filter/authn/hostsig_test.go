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
