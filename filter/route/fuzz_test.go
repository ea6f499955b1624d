package route

import (
	"strings"
	"testing"
)

// FuzzRoute_match compiles a fuzzed pattern and matches a fuzzed request against
// it, on a case-sensitive and a case-insensitive table. Properties: no
// panic; a match's params are non-empty, slash-free substrings of the path
// at the positions the template says; compiled exact patterns match
// themselves; an exact pattern matches a path only when their decoded
// forms are equal, and with case ignored only when their folded forms are
// (the folded forms of a case-insensitive match are equal); Lookup's
// outcomes agree between the two tables (WrongCase on one is Matched or
// WrongMethod on the other, every other outcome the same) and with
// PathMatches and CaseMatches.
func FuzzRoute_match(f *testing.F) {
	seeds := []struct{ pattern, method, path string }{
		{"/users/{id}", "GET", "/users/7"},
		{"/users/{id}/orders/{o}", "HEAD", "/users/a/orders/b/"},
		{"/users/{id}", "GET", "/users//x"},
		{"/users/", "GET", "/users"},
		{"/", "GET", "/"},
		{"/a/{x}", "", "/a/%2F"},
		{"/{a}/{b}/{c}", "PUT", "/1/2/3"},
		{"/users/{id}/orders", "DELETE", "/USERS/bob/orders"},
		{"/users", "GET", "/u\u017fers"},
		{"/users", "GET", "/u%C5%BFers"},
		{"/kelvin", "GET", "/\u212Aelvin"},
		{"/ski", "GET", "/sk\u0131"},
		{"/caf%C3%A9/{x}", "GET", "/CAF%c3%89/x"},
		{"/a/%41", "GET", "/A/a"},
		{"/api", "POST", "/API/v1"},
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
		ins, err := CompileWith([]Spec{spec}, Options{CaseInsensitive: true})
		if err != nil {
			t.Fatalf("case-insensitive compile failed: %v", err)
		}
		idx, params, ok := tab.Match(method, path)
		if !ok {
			if idx != -1 || params.Len() != 0 {
				t.Fatalf("no match but idx=%d params=%d", idx, params.Len())
			}
		} else if idx != 0 {
			t.Fatalf("idx = %d", idx)
		}
		checkParams(t, pattern, path, params)
		_, iparams, iout := ins.Lookup(method, path)
		checkParams(t, pattern, path, iparams)
		_, _, out := tab.Lookup(method, path)
		// With one route, ignoring case turns WrongCase into Matched or
		// WrongMethod and changes nothing else.
		want := out
		if out == WrongCase {
			want = Matched
			if !hasMethod(tab.routes[0].methods, method) && tab.routes[0].methods != nil {
				want = WrongMethod
			}
		}
		if iout != want {
			t.Fatalf("case-sensitive %v, case-insensitive %v", out, iout)
		}
		if !prefix && !strings.Contains(pattern, "{") {
			p, q := trimSlash(path), trimSlash(pattern)
			if out == Matched && string(appendDecoded(nil, p)) != string(appendDecoded(nil, q)) {
				t.Fatalf("exact pattern %q matched %q", pattern, path)
			}
			if (iout == Matched || iout == WrongMethod) && string(appendFold(nil, p)) != string(appendFold(nil, q)) {
				t.Fatalf("exact pattern %q matched %q with case ignored, but the folded paths differ", pattern, path)
			}
			if _, _, ok := tab.Match("GET", pattern); !ok {
				t.Fatalf("exact pattern %q does not match itself", pattern)
			}
		}
		pathHit, caseHit := false, false
		tab.PathMatches(path, func(int) bool { pathHit = true; return true })
		tab.CaseMatches(path, func(int) bool { caseHit = true; return true })
		if pathHit != (out == Matched || out == WrongMethod) || caseHit != (out == WrongCase) {
			t.Fatalf("outcome %v, PathMatches %v, CaseMatches %v", out, pathHit, caseHit)
		}
	})
}

// checkParams: each parameter is a non-empty segment of path, named in
// pattern.
func checkParams(t *testing.T, pattern, path string, params Params) {
	t.Helper()
	for i := 0; i < params.Len(); i++ {
		name, raw := params.At(i)
		if raw == "" || strings.Contains(raw, "/") || !strings.Contains(path, "/"+raw) {
			t.Fatalf("param %q = %q is not a segment of %q", name, raw, path)
		}
		if !strings.Contains(pattern, "{"+name+"}") {
			t.Fatalf("param %q not in pattern %q", name, pattern)
		}
	}
}

// appendDecoded appends s percent-decoded, the form two paths that match
// as written share.
func appendDecoded(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		var b byte
		b, i = nextByte(s, i)
		dst = append(dst, b)
	}
	return dst
}
