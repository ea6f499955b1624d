package route

import (
	"errors"
	"strings"
	"testing"
)

func mustCompile(t testing.TB, specs []Spec) *Table {
	t.Helper()
	tab, err := Compile(specs)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return tab
}

func TestTable_Match(t *testing.T) {
	type req struct {
		method, path string
		want         int // -1: no match
		params       map[string]string
	}
	tests := []struct {
		name  string
		specs []Spec
		reqs  []req
	}{
		{
			name:  "exact path",
			specs: []Spec{{Path: "/healthz"}},
			reqs: []req{
				{"GET", "/healthz", 0, nil},
				{"GET", "/healthz/", 0, nil},
				{"GET", "/healthz//", -1, nil},
				{"GET", "/healthzx", -1, nil},
				{"GET", "/Healthz", -1, nil},
				{"GET", "/healthz/x", -1, nil},
				{"GET", "/", -1, nil},
				{"GET", "", -1, nil},
				{"GET", "healthz", -1, nil},
			},
		},
		{
			name:  "pattern trailing slash is ignored",
			specs: []Spec{{Path: "/users/"}},
			reqs: []req{
				{"GET", "/users", 0, nil},
				{"GET", "/users/", 0, nil},
				{"GET", "/users/7", -1, nil},
			},
		},
		{
			name:  "root path",
			specs: []Spec{{Path: "/"}},
			reqs: []req{
				{"GET", "/", 0, nil},
				{"GET", "//", -1, nil},
				{"GET", "/a", -1, nil},
			},
		},
		{
			name:  "template one segment",
			specs: []Spec{{Path: "/users/{id}"}},
			reqs: []req{
				{"GET", "/users/7", 0, map[string]string{"id": "7"}},
				{"GET", "/users/7/", 0, map[string]string{"id": "7"}},
				{"GET", "/users/%41b", 0, map[string]string{"id": "%41b"}},
				{"GET", "/users/", -1, nil},
				{"GET", "/users", -1, nil},
				{"GET", "/users//", -1, nil},
				{"GET", "/users//x", -1, nil},
				{"GET", "/users/7/x", -1, nil},
				{"GET", "/users/7//", -1, nil},
				{"GET", "/Users/7", -1, nil},
			},
		},
		{
			name:  "template several params",
			specs: []Spec{{Path: "/users/{user_id}/orders/{order}/"}},
			reqs: []req{
				{"GET", "/users/u1/orders/o2", 0, map[string]string{"user_id": "u1", "order": "o2"}},
				{"GET", "/users/u1/orders/o2/", 0, map[string]string{"user_id": "u1", "order": "o2"}},
				{"GET", "/users/u1/orders/", -1, nil},
				{"GET", "/users//orders/o2", -1, nil},
				{"GET", "/users/u1/items/o2", -1, nil},
			},
		},
		{
			name:  "template with literal empty-looking segments",
			specs: []Spec{{Path: "/users/{id}/x"}},
			reqs: []req{
				{"GET", "/users//x", -1, nil},
				{"GET", "/users/a/x", 0, map[string]string{"id": "a"}},
			},
		},
		{
			name:  "prefix whole segments",
			specs: []Spec{{Prefix: "/users"}},
			reqs: []req{
				{"GET", "/users", 0, nil},
				{"GET", "/users/", 0, nil},
				{"GET", "/users/7", 0, nil},
				{"GET", "/users/7/orders/", 0, nil},
				{"GET", "/users-admin", -1, nil},
				{"GET", "/usersx/7", -1, nil},
				{"GET", "/user", -1, nil},
				{"GET", "/", -1, nil},
				{"GET", "/Users/7", -1, nil},
			},
		},
		{
			name:  "prefix with trailing slash",
			specs: []Spec{{Prefix: "/api/v1/"}},
			reqs: []req{
				{"GET", "/api/v1", 0, nil},
				{"GET", "/api/v1/x", 0, nil},
				{"GET", "/api/v10", -1, nil},
			},
		},
		{
			name:  "prefix root matches everything",
			specs: []Spec{{Prefix: "/"}},
			reqs: []req{
				{"GET", "/", 0, nil},
				{"DELETE", "/anything/at/all", 0, nil},
				{"GET", "//", 0, nil},
				{"GET", "*", -1, nil},
				{"GET", "", -1, nil},
			},
		},
		{
			name:  "methods exact and HEAD follows GET",
			specs: []Spec{{Path: "/a", Methods: []string{"GET", "POST"}}, {Path: "/b", Methods: []string{"POST"}}, {Path: "/c", Methods: []string{"HEAD"}}},
			reqs: []req{
				{"GET", "/a", 0, nil},
				{"HEAD", "/a", 0, nil},
				{"POST", "/a", 0, nil},
				{"get", "/a", -1, nil},
				{"PUT", "/a", -1, nil},
				{"", "/a", -1, nil},
				{"HEAD", "/b", -1, nil},
				{"POST", "/b", 1, nil},
				{"HEAD", "/c", 2, nil},
				{"GET", "/c", -1, nil},
			},
		},
		{
			name:  "no methods means any",
			specs: []Spec{{Path: "/a"}},
			reqs: []req{
				{"PATCH", "/a", 0, nil},
				{"X-CUSTOM", "/a", 0, nil},
				{"", "/a", 0, nil},
			},
		},
		{
			name: "first match wins",
			specs: []Spec{
				{Path: "/users/me"},
				{Path: "/users/{id}", Methods: []string{"GET"}},
				{Path: "/users/{uid}"},
				{Prefix: "/users"},
				{Prefix: "/"},
			},
			reqs: []req{
				{"GET", "/users/me", 0, nil},
				{"GET", "/users/7", 1, map[string]string{"id": "7"}},
				{"DELETE", "/users/7", 2, map[string]string{"uid": "7"}},
				{"DELETE", "/users/7/x", 3, nil},
				{"GET", "/users", 3, nil},
				{"GET", "/other", 4, nil},
			},
		},
		{
			name:  "empty table",
			specs: nil,
			reqs:  []req{{"GET", "/", -1, nil}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab := mustCompile(t, tc.specs)
			for _, r := range tc.reqs {
				idx, params, ok := tab.Match(r.method, r.path)
				if ok != (r.want >= 0) || idx != r.want {
					t.Errorf("Match(%q, %q) = %d, %v; want %d", r.method, r.path, idx, ok, r.want)
					continue
				}
				if params.Len() != len(r.params) {
					t.Errorf("Match(%q, %q): %d params, want %d", r.method, r.path, params.Len(), len(r.params))
				}
				for k, v := range r.params {
					got, ok := params.Get(k)
					if !ok || got != v {
						t.Errorf("Match(%q, %q): param %q = %q, %v; want %q", r.method, r.path, k, got, ok, v)
					}
				}
				if _, ok := params.Get("nope"); ok {
					t.Errorf("Match(%q, %q): unknown param found", r.method, r.path)
				}
			}
		})
	}
}

func TestParams_At(t *testing.T) {
	tab := mustCompile(t, []Spec{{Path: "/a/{x}/b/{y}"}})
	_, p, ok := tab.Match("GET", "/a/1/b/22")
	if !ok {
		t.Fatal("no match")
	}
	var got []string
	for i := 0; i < p.Len(); i++ {
		n, v := p.At(i)
		got = append(got, n+"="+v)
	}
	if strings.Join(got, ",") != "x=1,y=22" {
		t.Errorf("params = %v", got)
	}
	var zero Params
	if zero.Len() != 0 {
		t.Error("zero Params not empty")
	}
	if _, ok := zero.Get("x"); ok {
		t.Error("zero Params has x")
	}
}

func TestCompile_errors(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"neither", Spec{}, `route 1: match: needs exactly one of "path" and "prefix"`},
		{"both", Spec{Path: "/a", Prefix: "/a"}, `route 1: match: needs exactly one of "path" and "prefix", not both`},
		{"relative", Spec{Path: "a"}, `route 1: match.path: must start with "/"`},
		{"empty segment", Spec{Path: "/a//b"}, `route 1: match.path: empty segment ("//")`},
		{"double root", Spec{Path: "//"}, `route 1: match.path: empty segment ("//")`},
		{"two trailing slashes", Spec{Path: "/a//"}, `route 1: match.path: empty segment ("//")`},
		{"dot", Spec{Path: "/a/./b"}, `route 1: match.path: dot segment "." (such requests are refused)`},
		{"dotdot", Spec{Prefix: "/a/.."}, `route 1: match.prefix: dot segment ".." (such requests are refused)`},
		{"semicolon", Spec{Path: "/a;b"}, `route 1: match.path: ";" is refused in request paths, so it can never match`},
		{"encoded slash", Spec{Path: "/a%2fb"}, `route 1: match.path: "%2F" is refused in request paths, so it can never match`},
		{"encoded dot", Spec{Path: "/a%2Eb"}, `route 1: match.path: "%2E" is refused in request paths, so it can never match`},
		{"encoded backslash", Spec{Path: "/a%5c"}, `route 1: match.path: "%5C" is refused in request paths, so it can never match`},
		{"encoded nul", Spec{Path: "/%00"}, `route 1: match.path: "%00" is refused in request paths, so it can never match`},
		{"double-encoded slash", Spec{Path: "/a%252fb"}, `route 1: match.path: "%252F" is refused in request paths, so it can never match`},
		{"double-encoded dot", Spec{Prefix: "/%252E"}, `route 1: match.prefix: "%252E" is refused in request paths, so it can never match`},
		{"bad escape", Spec{Path: "/a%4"}, `route 1: match.path: "%" must start a two-hex-digit escape`},
		{"bad escape hex", Spec{Path: "/a%zz"}, `route 1: match.path: "%" must start a two-hex-digit escape`},
		{"query", Spec{Path: "/a?b"}, `route 1: match.path: invalid character '?' in path`},
		{"space", Spec{Path: "/a b"}, `route 1: match.path: invalid character ' ' in path`},
		{"non-ascii", Spec{Path: "/\xc3\xa9"}, `route 1: match.path: invalid character 'Ã' in path`},
		{"brace inside segment", Spec{Path: "/a{id}"}, `route 1: match.path: "{" is only allowed in a whole "{name}" segment`},
		{"closing brace", Spec{Path: "/a}"}, `route 1: match.path: "}" is only allowed in a whole "{name}" segment`},
		{"empty param", Spec{Path: "/{}"}, `route 1: match.path: bad parameter segment "{}" (want "{name}", name an identifier)`},
		{"unclosed param", Spec{Path: "/{id"}, `route 1: match.path: bad parameter segment "{id" (want "{name}", name an identifier)`},
		{"param suffix", Spec{Path: "/{id}x"}, `route 1: match.path: bad parameter segment "{id}x" (want "{name}", name an identifier)`},
		{"param name digit", Spec{Path: "/{1d}"}, `route 1: match.path: bad parameter segment "{1d}" (want "{name}", name an identifier)`},
		{"param name dash", Spec{Path: "/{a-b}"}, `route 1: match.path: bad parameter segment "{a-b}" (want "{name}", name an identifier)`},
		{"duplicate param", Spec{Path: "/{id}/x/{id}"}, `route 1: match.path: duplicate parameter "id"`},
		{"too many params", Spec{Path: "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}"}, `route 1: match.path: more than 8 parameters`},
		{"template in prefix", Spec{Prefix: "/users/{id}"}, `route 1: match.prefix: "{" is not allowed in a prefix (templates belong in "path")`},
		{"brace in prefix", Spec{Prefix: "/users/a{"}, `route 1: match.prefix: "{" is not allowed in a prefix (templates belong in "path")`},
		{"long", Spec{Path: "/" + strings.Repeat("a", MaxPatternLen)}, `route 1: match.path: longer than 2048 bytes`},
		{"lower method", Spec{Path: "/a", Methods: []string{"GET", "post"}}, `route 1: match.methods[1]: "post" must be upper-case`},
		{"method not token", Spec{Path: "/a", Methods: []string{"GE T"}}, `route 1: match.methods[0]: "GE T" is not an HTTP method`},
		{"empty method", Spec{Path: "/a", Methods: []string{""}}, `route 1: match.methods[0]: must not be empty`},
		{"duplicate method", Spec{Path: "/a", Methods: []string{"GET", "PUT", "GET"}}, `route 1: match.methods[2]: duplicate method "GET"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile([]Spec{{Path: "/ok"}, tc.spec})
			var re *Error
			if !errors.As(err, &re) {
				t.Fatalf("Compile error = %v, want *Error", err)
			}
			if re.Index != 1 || err.Error() != tc.want {
				t.Errorf("Compile error = %q (index %d), want %q", err, re.Index, tc.want)
			}
		})
	}
}

func TestCompile_valid(t *testing.T) {
	for _, s := range []Spec{
		{Path: "/"},
		{Prefix: "/"},
		{Path: "/a-b_c.d~e/!$&'()*+,=:@/%41%e9"},
		{Path: "/v1/{_x}/{Y9}"},
		{Path: "/a.b/..c/.d"},
		{Prefix: "/a/b/"},
		{Path: "/a", Methods: []string{"GET", "M-SEARCH", "PROPFIND"}},
	} {
		if _, err := Compile([]Spec{s}); err != nil {
			t.Errorf("Compile(%+v): %v", s, err)
		}
	}
}

func TestRoute_splitPathAndQuery(t *testing.T) {
	tests := []struct{ in, path, query string }{
		{"/a/b?x=1&y=2", "/a/b", "x=1&y=2"},
		{"/a/b", "/a/b", ""},
		{"/a?", "/a", ""},
		{"?x", "", "x"},
		{"/a?b?c", "/a", "b?c"},
		{"", "", ""},
	}
	for _, tc := range tests {
		p, q := SplitPath(tc.in)
		if p != tc.path || q != tc.query {
			t.Errorf("SplitPath(%q) = %q, %q; want %q, %q", tc.in, p, q, tc.path, tc.query)
		}
	}
	if n := testing.AllocsPerRun(100, func() { splitSink, _ = SplitPath("/a/b?c=d") }); n != 0 {
		t.Errorf("SplitPath allocates %v times", n)
	}
}

// benchSpecs is a realistic table of about 20 routes, the target at the end.
func benchSpecs() []Spec {
	return []Spec{
		{Path: "/healthz", Methods: []string{"GET"}},
		{Path: "/readyz", Methods: []string{"GET"}},
		{Path: "/v1/login", Methods: []string{"POST"}},
		{Path: "/v1/logout", Methods: []string{"POST"}},
		{Path: "/v1/users", Methods: []string{"GET", "POST"}},
		{Path: "/v1/users/me"},
		{Path: "/v1/users/{user_id}", Methods: []string{"GET", "PUT", "DELETE"}},
		{Path: "/v1/users/{user_id}/orders", Methods: []string{"GET", "POST"}},
		{Path: "/v1/users/{user_id}/orders/{order_id}/items"},
		{Path: "/v1/products", Methods: []string{"GET"}},
		{Path: "/v1/products/{sku}", Methods: []string{"GET"}},
		{Path: "/v1/carts/{cart_id}"},
		{Path: "/v1/carts/{cart_id}/checkout", Methods: []string{"POST"}},
		{Prefix: "/v1/admin"},
		{Prefix: "/v1/reports"},
		{Path: "/v2/users/{user_id}"},
		{Path: "/v2/orders/{order_id}"},
		{Prefix: "/static"},
		{Path: "/v1/users/{user_id}/orders/{order_id}", Methods: []string{"GET", "PATCH"}},
		{Prefix: "/"},
	}
}

func TestTable_MatchAllocs(t *testing.T) {
	tab := mustCompile(t, benchSpecs())
	for _, path := range []string{"/v1/users/42/orders/77", "/healthz", "/nowhere/at/all", "/v1/admin/x"} {
		n := testing.AllocsPerRun(100, func() {
			_, p, _ := tab.Match("GET", path)
			_, _ = p.Get("order_id")
		})
		if n != 0 {
			t.Errorf("Match(%q) allocates %v times", path, n)
		}
	}
}

func BenchmarkRoute_match(b *testing.B) {
	tab := mustCompile(b, benchSpecs())
	cases := []struct{ name, method, path string }{
		{"first", "GET", "/healthz"},
		{"template-late", "GET", "/v1/users/42/orders/77"},
		{"prefix", "DELETE", "/v1/admin/users/9"},
		{"fallthrough", "GET", "/unknown/path/here"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				idx, p, ok := tab.Match(c.method, c.path)
				if !ok || idx < 0 {
					b.Fatal("no match")
				}
				_, _ = p.Get("order_id")
			}
		})
	}
}

func BenchmarkRoute_splitPath(b *testing.B) {
	if p, q := SplitPath("/v1/users/42/orders?limit=10&page=2"); p != "/v1/users/42/orders" || q != "limit=10&page=2" {
		b.Fatalf("%q, %q", p, q)
	}
	b.ReportAllocs()
	for b.Loop() {
		SplitPath("/v1/users/42/orders?limit=10&page=2")
	}
}

// splitSink keeps SplitPath's result alive in the allocation test.
var splitSink string
