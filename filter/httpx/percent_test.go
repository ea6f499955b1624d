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
