package abi

import (
	"strings"
	"testing"
)

// TestEqualStrings_likeEquality: EqualStrings answers as == does, for
// every length around its 32-byte turns and eight-byte words and a
// difference in every position (first word, last word, the overlapping
// last word after the words, strings under eight bytes).
func TestEqualStrings_likeEquality(t *testing.T) {
	base := strings.Repeat("eyJhbGciOiJSUzI1NiJ9.", 4)
	for n := 0; n <= len(base); n++ {
		a := base[:n]
		b := string([]byte(a)) // another copy, not the same pointer
		if !EqualStrings(a, b) || !EqualStrings(a, a) {
			t.Fatalf("length %d: equal strings reported different", n)
		}
		for i := range n {
			c := []byte(a)
			c[i] ^= 0x01
			if EqualStrings(a, string(c)) {
				t.Fatalf("length %d: a difference at byte %d not seen", n, i)
			}
		}
		if n > 0 && (EqualStrings(a, a[:n-1]) || EqualStrings(a[:n-1], a)) {
			t.Fatalf("length %d: a prefix reported equal", n)
		}
	}
}

// FuzzEqualStrings_likeEquality: EqualStrings(a, b) == (a == b).
func FuzzEqualStrings_likeEquality(f *testing.F) {
	f.Add("", "")
	f.Add("abcdefgh", "abcdefgi")
	f.Add("abcdefghi", "abcdefghj")
	f.Fuzz(func(t *testing.T, a, b string) {
		if EqualStrings(a, b) != (a == b) {
			t.Fatalf("EqualStrings(%q, %q) = %v", a, b, !(a == b))
		}
	})
}
