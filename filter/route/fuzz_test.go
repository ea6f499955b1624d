package route

import (
	"strings"
	"testing"
)

// FuzzMatch compiles a fuzzed pattern and matches a fuzzed request against
// it. Properties: no panic; a match's params are non-empty, slash-free
// substrings of the path at the positions the template says; compiled
// exact patterns match themselves.
func FuzzMatch(f *testing.F) {
	seeds := []struct{ pattern, method, path string }{
		{"/users/{id}", "GET", "/users/7"},
		{"/users/{id}/orders/{o}", "HEAD", "/users/a/orders/b/"},
		{"/users/{id}", "GET", "/users//x"},
		{"/users/", "GET", "/users"},
		{"/", "GET", "/"},
		{"/a/{x}", "", "/a/%2F"},
		{"/{a}/{b}/{c}", "PUT", "/1/2/3"},
	}
	for _, s := range seeds {
		f.Add(s.pattern, false, s.method, s.path)
		f.Add(s.pattern, true, s.method, s.path)
	}
	f.Fuzz(func(t *testing.T, pattern string, prefix bool, method, path string) {
		spec := Spec{Path: pattern, Methods: []string{"GET", "PUT"}}
		if prefix {
			spec = Spec{Prefix: pattern}
		}
		tab, err := Compile([]Spec{spec})
		if err != nil {
			return
		}
		idx, params, ok := tab.Match(method, path)
		if !ok {
			if idx != -1 || params.Len() != 0 {
				t.Fatalf("no match but idx=%d params=%d", idx, params.Len())
			}
		} else if idx != 0 {
			t.Fatalf("idx = %d", idx)
		}
		for i := 0; i < params.Len(); i++ {
			name, raw := params.At(i)
			if raw == "" || strings.Contains(raw, "/") || !strings.Contains(path, "/"+raw) {
				t.Fatalf("param %q = %q is not a segment of %q", name, raw, path)
			}
			if !strings.Contains(pattern, "{"+name+"}") {
				t.Fatalf("param %q not in pattern %q", name, pattern)
			}
		}
		if ok && !prefix && params.Len() == 0 && trimSlash(path) != trimSlash(pattern) {
			t.Fatalf("exact pattern %q matched %q", pattern, path)
		}
		if !prefix && !strings.Contains(pattern, "{") {
			if _, _, ok := tab.Match("GET", pattern); !ok {
				t.Fatalf("exact pattern %q does not match itself", pattern)
			}
		}
	})
}
