package authn

import "testing"

// Edges of credential extraction that mutation testing showed unpinned
// (the pure helpers' edges are in filter/httpx).

// TestCredential_cookieEdges: a cookie value of two double quotes is an
// empty value (no credential), and a Cookie header ending in "; " is read
// to its end without fault.
func TestCredential_cookieEdges(t *testing.T) {
	au := compiled(t, credConfig())
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
		got, _ := authenticate(au.Routes[1], request("/c", "cookie", c.cookie))
		expect(t, c.name, got, c.want)
	}
}
