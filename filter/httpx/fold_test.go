package httpx

import "testing"

func TestFold_ASCIIOnly(t *testing.T) {
	tests := []struct {
		name       string
		a, b       string
		wantEqual  bool
		wantPrefix bool
	}{
		{"same", "Bearer ", "Bearer ", true, true},
		{"case", "bEARER ", "Bearer ", true, true},
		{"kelvin is not k", "\u212Aey", "key", false, false},
		{"digits exact", "a1", "A1", true, true},
		{"shorter", "Bear", "Bearer ", false, false},
		{"prefix only", "Bearer x", "bearer ", false, true},
		{"non-letter differs", "x-y", "x_y", false, false},
		{"@ is not `", "@", "`", false, false},
	}
	for _, tc := range tests {
		if got := EqualFold(tc.a, tc.b); got != tc.wantEqual {
			t.Errorf("%s: EqualFold = %v", tc.name, got)
		}
		if got := HasPrefixFold(tc.a, tc.b); got != tc.wantPrefix {
			t.Errorf("%s: HasPrefixFold = %v", tc.name, got)
		}
		rest, ok := CutPrefixFold(tc.a, tc.b)
		if ok != tc.wantPrefix || ok && rest != tc.a[len(tc.b):] {
			t.Errorf("%s: CutPrefixFold = %q, %v", tc.name, rest, ok)
		}
	}
	for _, c := range []struct {
		s, lower string
		want     bool
	}{{"Content-Type", "content-type", true}, {"content-typ", "content-type", false}, {"CONTENT_TYPE", "content-type", false}} {
		if got := EqualFoldLower(c.s, c.lower); got != c.want {
			t.Errorf("EqualFoldLower(%q, %q) = %v", c.s, c.lower, got)
		}
	}
	for c := 0; c < 256; c++ {
		want := byte(c)
		if c >= 'A' && c <= 'Z' {
			want = byte(c) + 32
		}
		if got := LowerASCII(byte(c)); got != want {
			t.Fatalf("LowerASCII(%#x) = %#x", c, got)
		}
	}
}
