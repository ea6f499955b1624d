package authn

import (
	"testing"

	"github.com/apiguard/apiguard/filter/httpx"
)

// TestCookieOnUnsafeMethod_methods: a credential from a cookie on a method
// other than GET, HEAD and OPTIONS is the CSRF case; a credential from a
// header or parameter, or no credential, never is.
func TestCookieOnUnsafeMethod_methods(t *testing.T) {
	au := compiled(t, credConfig())
	for _, c := range []struct {
		name, method, target string
		h                    []string
		want                 bool
	}{
		{"cookie, POST", "POST", "/a", []string{"cookie", "api_token=x"}, true},
		{"cookie, DELETE", "DELETE", "/a", []string{"cookie", "api_token=x"}, true},
		{"cookie, get in lower case", "get", "/a", []string{"cookie", "api_token=x"}, true},
		{"cookie, GET", "GET", "/a", []string{"cookie", "api_token=x"}, false},
		{"cookie, HEAD", "HEAD", "/a", []string{"cookie", "api_token=x"}, false},
		{"cookie, OPTIONS", "OPTIONS", "/a", []string{"cookie", "api_token=x"}, false},
		{"header, POST", "POST", "/a", []string{"x-api-key", "x"}, false},
		{"query, POST", "POST", "/a?api_key=x", nil, false},
		{"nothing, POST", "POST", "/a", nil, false},
	} {
		a := &State{}
		a.Extract(au.Routes[3], request(c.target, c.h...))
		if got := a.CookieOnUnsafeMethod(c.method); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// TestSameOriginFetch_header: exactly one Sec-Fetch-Site, exactly
// same-origin.
func TestSameOriginFetch_header(t *testing.T) {
	for _, c := range []struct {
		name string
		h    []string
		want bool
	}{
		{"same-origin", []string{"sec-fetch-site", "same-origin"}, true},
		{"among others", []string{"a", "1", "sec-fetch-site", "same-origin", "b", "2"}, true},
		{"same-site", []string{"sec-fetch-site", "same-site"}, false},
		{"cross-site", []string{"sec-fetch-site", "cross-site"}, false},
		{"a prefix", []string{"sec-fetch-site", "same-origin "}, false},
		{"absent", []string{"origin", "https://a"}, false},
		{"twice, both same-origin", []string{"sec-fetch-site", "same-origin", "sec-fetch-site", "same-origin"}, false},
		{"twice, the last same-origin", []string{"sec-fetch-site", "cross-site", "sec-fetch-site", "same-origin"}, false},
		{"twice, the first same-origin", []string{"sec-fetch-site", "same-origin", "sec-fetch-site", "none"}, false},
	} {
		req := &httpx.Request{}
		for i := 0; i+1 < len(c.h); i += 2 {
			req.Headers = append(req.Headers, httpx.Pair{Key: c.h[i], Value: c.h[i+1]})
		}
		if got := SameOriginFetch(req); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
