package reqcheck

import (
	"strconv"
	"strings"
	"testing"
)

// refPercent decodes the escape "%XY" at p[i] with strconv, independently
// of httpx.PercentByte, for the reference implementations of the tests.
func refPercent(p string, i int) (byte, bool) {
	if p[i] != '%' || i+2 >= len(p) {
		return 0, false
	}
	n, err := strconv.ParseUint(p[i+1:i+3], 16, 8)
	return byte(n), err == nil
}

func TestPath_unsafe(t *testing.T) {
	cases := []struct {
		path   string
		unsafe bool
	}{
		{"/", false},
		{"", false},
		{"/users/7/orders", false},
		{"/users/7/orders/", false},
		{"/a.b/c..d/.e/f.", false},
		{"/...", false},
		{"/caf%C3%A9/%20x%41", false},
		{"/%25", false},
		{"/%2541%25zz%252", false},
		{"/a%252Fb", true},
		{"/a%252fb", true},
		{"/%255c", true},
		{"/a%2500", true},
		{"/%252E%252e/admin", true},
		{"/a%25%2F", true},
		{"/a%2Fb", true},
		{"/a%2fb", true},
		{"/a%5Cb", true},
		{"/a%5cb", true},
		{"/a%00b", true},
		{"/%2E%2E/admin", true},
		{"/%2e", true},
		{"/a;b", true},
		{"/users;jsessionid=1/orders", true},
		{`/a\b`, true},
		{"/.", true},
		{"/..", true},
		{"/./a", true},
		{"/a/../b", true},
		{"/a/./", true},
		{"/a/..", true},
		{"//", true},
		{"//a", true},
		{"/a//b", true},
		{"/a/b//", true},
		{"../a", true},
		{"./a", true},
		{"a/b", false},
		{"/%", true},
		{"/%4", true},
		{"/%zz", true},
		{"/%u002e", true},
		{"/a%4", true},
		{"/a%41", false},
	}
	for _, c := range cases {
		if got := UnsafePath(c.path); got != c.unsafe {
			t.Errorf("UnsafePath(%q) = %v, want %v", c.path, got, c.unsafe)
		}
	}
}

// unsafePathRef is a slow, obviously correct statement of the rules.
func unsafePathRef(p string) bool {
	if strings.ContainsAny(p, `;\`) {
		return true
	}
	for i := 0; i < len(p); i++ {
		if p[i] != '%' {
			continue
		}
		if _, ok := refPercent(p, i); !ok {
			return true
		}
		switch strings.ToUpper(p[i+1 : i+3]) {
		case "2F", "5C", "00", "2E":
			return true
		case "25":
			if i+5 <= len(p) {
				switch strings.ToUpper(p[i+3 : i+5]) {
				case "2F", "5C", "00", "2E":
					return true
				}
			}
		}
		i += 2
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if s == "." || s == ".." {
			return true
		}
		// Empty segments other than before a leading slash or after a
		// trailing one.
		if s == "" && i > 0 && i < len(segs)-1 {
			return true
		}
	}
	return false
}

func FuzzPath_unsafe(f *testing.F) {
	for _, s := range []string{"/", "/a//b", "/a/./b", "/%2e", "/a%2", "/a;b", "/x/", "//", "a/../b", "/%41/", "/%252f", "/%25%2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if got, want := UnsafePath(p), unsafePathRef(p); got != want {
			t.Fatalf("UnsafePath(%q) = %v, reference says %v", p, got, want)
		}
	})
}

func TestContentLength_parse(t *testing.T) {
	cases := []struct {
		v  string
		n  int64
		ok bool
	}{
		{"0", 0, true},
		{"65536", 65536, true},
		{"007", 7, true},
		{"9223372036854775807", 1<<63 - 1, true},
		{"9223372036854775808", 1<<63 - 1, true},
		{"99999999999999999999999999", 1<<63 - 1, true},
		{"", 0, false},
		{"-1", 0, false},
		{"+1", 0, false},
		{" 1", 0, false},
		{"1,1", 0, false},
		{"0x10", 0, false},
	}
	for _, c := range cases {
		n, ok := ParseContentLength(c.v)
		if n != c.n || ok != c.ok {
			t.Errorf("ParseContentLength(%q) = %d, %v; want %d, %v", c.v, n, ok, c.n, c.ok)
		}
	}
}

func TestPath_originFormAndMethod(t *testing.T) {
	for p, want := range map[string]bool{
		"/": true, "/a?b=#": false, "/a#": false, "": false, "*": false, "a/b": false,
		"http://h/a": false, "/a?b=1": true,
	} {
		if got := OriginForm(p); got != want {
			t.Errorf("OriginForm(%q) = %v, want %v", p, got, want)
		}
	}
	for m, want := range map[string]bool{
		"GET": true, "PROPFIND": true, "M-SEARCH": true, "X_1!": true,
		"": false, "get": false, "Get": false, "GET ": false, "G\x00T": false, "GÉT": false,
	} {
		if got := ValidMethod(m); got != want {
			t.Errorf("ValidMethod(%q) = %v, want %v", m, got, want)
		}
	}
}

func TestPath_decodeUnreserved(t *testing.T) {
	for in, want := range map[string]string{
		"/users/7":          "/users/7",
		"/%75sers/%61lice":  "/users/alice",
		"/%7e%7E%2d%5F%30":  "/~~-_0",
		"/%2561lice":        "/%2561lice",
		"/%40x/%20y/%C3%A9": "/%40x/%20y/%C3%A9",
		"/%%41":             "/%%41",
		"/%%410":            "/%%410",
		"/%4":               "/%4",
		"/a%2F%41":          "/a%2FA",
		"/%41%":             "/%41%",
	} {
		if got := DecodeUnreserved(in); got != want {
			t.Errorf("DecodeUnreserved(%q) = %q, want %q", in, got, want)
		}
	}
}

// decodeAll is percent-decoding of every well-formed escape, once.
func decodeAll(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if d, ok := refPercent(p, i); ok {
			b.WriteByte(d)
			i += 2
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// FuzzPath_decodeUnreserved: the result means the same once decoded (so an
// upstream that decodes sees the same path), and no escape of an
// unreserved character is left for a route to miss.
func FuzzPath_decodeUnreserved(f *testing.F) {
	for _, s := range []string{"/%75sers/%61lice", "/%2561", "/%%41", "/%%410", "/%4", "/%41%", "/a%2F%7e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		out := DecodeUnreserved(p)
		if decodeAll(out) != decodeAll(p) {
			t.Fatalf("DecodeUnreserved(%q) = %q changes the decoded path", p, out)
		}
		if DecodeUnreserved(out) != out {
			t.Fatalf("DecodeUnreserved(%q) = %q leaves an unreserved escape", p, out)
		}
	})
}
