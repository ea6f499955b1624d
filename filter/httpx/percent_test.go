package httpx

import (
	"strconv"
	"testing"
)

// TestPercent_byteAgainstStrconv checks every two-byte tail against strconv, and the
// cases where there is no escape at s[i].
func TestPercent_byteAgainstStrconv(t *testing.T) {
	for hi := 0; hi < 256; hi++ {
		for lo := 0; lo < 256; lo++ {
			s := "%" + string([]byte{byte(hi), byte(lo)})
			n, err := strconv.ParseUint(s[1:], 16, 8)
			got, ok := PercentByte(s, 0)
			if ok != (err == nil) || ok && got != byte(n) {
				t.Fatalf("PercentByte(%q, 0) = %#x, %v; want %#x, %v", s, got, ok, n, err == nil)
			}
		}
	}
	for _, c := range []struct {
		s string
		i int
	}{{"%4", 0}, {"%", 0}, {"", 0}, {"a41", 0}, {"x%41", 0}, {"%41", 1}, {"%41", 3}, {"%41", -1}} {
		if got, ok := PercentByte(c.s, c.i); ok {
			t.Errorf("PercentByte(%q, %d) = %#x, true", c.s, c.i, got)
		}
	}
	if got, ok := PercentByte("a/%2f", 2); !ok || got != '/' {
		t.Errorf("PercentByte(a/%%2f, 2) = %#x, %v", got, ok)
	}
}

// refPercent decodes the escape "%XY" at p[i] with strconv, independently
// of PercentByte, for the reference implementations of the tests.
func refPercent(p string, i int) (byte, bool) {
	if p[i] != '%' || i+2 >= len(p) {
		return 0, false
	}
	n, err := strconv.ParseUint(p[i+1:i+3], 16, 8)
	return byte(n), err == nil
}

// TestPercent_innerEscape: a percent-encoded '%' followed by two hex
// digits spells an escape once decoded; anything else does not.
func TestPercent_innerEscape(t *testing.T) {
	for _, c := range []struct {
		s    string
		i    int
		want byte
		ok   bool
	}{
		{"%252F", 0, '/', true}, {"%252f", 0, '/', true}, {"a%255cb", 1, '\\', true},
		{"%2500", 0, 0, true}, {"%252E", 0, '.', true}, {"%2541", 0, 'A', true},
		{"%252", 0, 0, false}, {"%25", 0, 0, false}, {"%25zz", 0, 0, false}, {"%25%2F", 0, 0, false},
		{"%2F2F", 0, 0, false}, {"x%252F", 0, 0, false}, {"%252F", 1, 0, false},
	} {
		got, ok := InnerEscape(c.s, c.i)
		if ok != c.ok || ok && got != c.want {
			t.Errorf("InnerEscape(%q, %d) = %#x, %v; want %#x, %v", c.s, c.i, got, ok, c.want, c.ok)
		}
	}
}
