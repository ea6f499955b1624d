package authn

import (
	"slices"
	"testing"
)

// The boundaries of credential removal that mutation testing showed
// unpinned: every provider's names removed (not only the first), the
// pass_credentials of route 0 and of no route, the one verified
// credential of a forward: true provider kept in its own location only,
// and a credential at offset 1 of the Cookie header or the query.

// removeConfig: a forwarding JWT provider reading a header, a cookie and a
// query parameter, an API-key provider reading another header; route 0
// passes the key header, the cookie and the parameter, route 1 passes
// nothing.
func removeConfig() string {
	return `{
  "providers": {
    "fwd": {"issuer": "i", "audiences": ["a"], "algorithms": ["HS256"],
      "jwks": {"keys": [{"kty": "oct", "kid": "k", "k": "c2VjcmV0LWhtYWMta2V5LXRoaXJ0eS10d28tYnl0ZXMh"}]},
      "forward": true,
      "from": [{"header": "x-token"}, {"cookie": "tok"}, {"query": "tok"}]},
    "key": {"api_keys": {"from": [{"header": "x-api-key"}], "keys": [{"id": "k1", "sha256": "` + hexKey("k1-key") + `"}]}}
  },
  "routes": [
    {"name": "p", "match": {"prefix": "/p"}, "auth": {"providers": ["fwd", "key"]},
     "pass_credentials": ["header:x-api-key", "cookie:tok", "query:tok"]},
    {"name": "f", "match": {"prefix": "/f"}, "auth": {"providers": ["fwd", "key"]}}
  ]
}`
}

// removal is what upstream loses: the header names removed (sorted), the
// Cookie header values that replace the request's ("-" for unchanged) and
// the :path ("-" for unchanged).
type removal struct {
	headers []string
	cookies []string
	path    string
}

func removedBy(rm Removing) removal {
	var out removal
	out.headers = rm.Headers(nil)
	slices.Sort(out.headers)
	if kept, changed := rm.Cookies(nil); changed {
		out.cookies = kept
	} else {
		out.cookies = []string{"-"}
	}
	out.path = "-"
	if p, changed := rm.Query(); changed {
		out.path = p
	}
	return out
}

// TestRemove_boundaries: the names of every provider leave (the list of
// names is not cut at its second entry); route 0's pass_credentials apply
// and a route index out of range passes nothing (and does not fault); a
// forward: true provider's verified credential stays in its own location
// (header, cookie of its own Cookie header, parameter) while every other
// spelling leaves; a cookie or parameter starting at offset 1 leaves when
// nothing is forwarded.
func TestRemove_boundaries(t *testing.T) {
	au := compiled(t, removeConfig())
	all := []string{"authorization", "x-api-key", "x-token"}
	for _, c := range []struct {
		name    string
		route   int
		target  string
		h       []string
		forward bool // the state is the forwarding provider's
		want    removal
	}{
		{"every provider's header, no forward", 1, "/f?tok=v&b=1",
			[]string{"authorization", "Bearer x", "x-token", "v", "x-api-key", "k", "cookie", "a=1; tok=v"}, false,
			removal{all, []string{"a=1"}, "/f?b=1"}},
		{"route 0 passes its names", 0, "/p?tok=v&b=1",
			[]string{"authorization", "Bearer x", "x-token", "v", "x-api-key", "k", "cookie", "a=1; tok=v"}, false,
			removal{[]string{"authorization", "x-token"}, []string{"-"}, "-"}},
		{"route 0 passes every spelling", 0, "/p?TOK=v&b=1",
			[]string{"X-Api-Key", "k", "cookie", "a=1; T.O.K=v"}, false,
			removal{nil, []string{"-"}, "-"}},
		{"no route passes nothing", -1, "/p?tok=v",
			[]string{"x-api-key", "k", "cookie", "tok=v"}, false,
			removal{[]string{"x-api-key"}, nil, "/p"}},
		{"a route past the end passes nothing", len(au.Pass), "/p?tok=v",
			[]string{"x-api-key", "k", "cookie", "tok=v"}, false,
			removal{[]string{"x-api-key"}, nil, "/p"}},
		{"cookie at offset 1", 1, "/f",
			[]string{"cookie", " tok=v"}, false,
			removal{nil, nil, "-"}},
		{"cookie after one byte", 1, "/f",
			[]string{"cookie", ";tok=v; a=1"}, false,
			removal{nil, []string{"a=1"}, "-"}},
		{"parameter at offset 1", 1, "/f?&tok=v",
			nil, false,
			removal{nil, []string{"-"}, "/f"}},
		{"forwarded header kept", 1, "/f",
			[]string{"x-token", "v", "authorization", "Bearer x", "x-api-key", "k"}, true,
			removal{[]string{"authorization", "x-api-key"}, []string{"-"}, "-"}},
		{"forwarded cookie kept, in its second Cookie header", 1, "/f?tok=x",
			[]string{"authorization", "Bearer x", "cookie", "a=1", "cookie", "tok=v; b=2"}, true,
			removal{[]string{"authorization"}, []string{"-"}, "/f"}},
		{"forwarded cookie kept, the other spelling leaves", 1, "/f",
			[]string{"cookie", "tok=v; TOK=w"}, true,
			removal{nil, []string{"tok=v"}, "-"}},
		{"forwarded parameter kept, the other spelling leaves", 1, "/f?a=1&tok=v&TOK=w&b=2",
			[]string{"authorization", "Bearer x"}, true,
			removal{[]string{"authorization"}, []string{"-"}, "/f?a=1&tok=v&b=2"}},
	} {
		req := request(c.target, c.h...)
		a := &State{}
		a.Extract(au.Routes[1], req)
		if c.forward {
			a.Provider = au.Providers["fwd"]
			if a.Cred.src == nil {
				t.Fatalf("%s: no credential extracted", c.name)
			}
		}
		got := removedBy(au.Remove(c.route, a, req))
		if !slices.Equal(got.headers, c.want.headers) || !slices.Equal(got.cookies, c.want.cookies) || got.path != c.want.path {
			t.Errorf("%s: removed %+v, want %+v", c.name, got, c.want)
		}
	}
}
