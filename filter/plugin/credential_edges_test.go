package plugin

import (
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
)

// Edges of credential extraction that mutation testing showed unpinned
// (the pure helpers' edges are in filter/httpx).

// TestCredential_cookieEdges: a cookie value of two double quotes is an
// empty value (no credential), and a Cookie header ending in "; " is read
// to its end without fault.
func TestCredential_cookieEdges(t *testing.T) {
	e := emulated(t, credConfig())
	for _, c := range []struct {
		name, cookie string
		want         outcome
	}{
		{"quoted empty value", `api_token=""`, outcome{401, "credential_missing"}},
		{"one quote", `api_token="`, outcome{401, "apikey_unknown"}},
		{"trailing separator and space", "api_token=c-key; ", outcome{200, ""}},
		{"trailing spaces", "a=1; api_token=c-key;  \t", outcome{200, ""}},
		{"only separators", ";; ;", outcome{401, "credential_missing"}},
	} {
		expect(t, c.name, send(e, host.Request{Path: "/c", Headers: pairs("cookie", c.cookie)}), c.want)
	}
}
