package jwt

import (
	"strings"
	"testing"
)

// TestCache_bounds: a token of exactly MaxCachedToken bytes is cached, one
// byte more is not; an entry whose exp (plus the verifier's skew) is now
// is not stored, one a second later is.
func TestCache_bounds(t *testing.T) {
	v := publicVerifier(t)
	_, tok := verified(t, v, "ES256")
	at := strings.Repeat("a", MaxCachedToken)
	over := at + "a"
	c := NewCache(16, 1<<20)
	c.Put("p", v, at, tok, testNow)
	c.Put("p", v, over, tok, testNow)
	if c.Get("p", v, at, testNow) != tok {
		t.Error("a token of exactly MaxCachedToken bytes is not cached")
	}
	if c.Get("p", v, over, testNow) != nil || c.Len() != 1 {
		t.Errorf("a token of MaxCachedToken+1 bytes is cached (%d entries)", c.Len())
	}

	expiring := *tok
	expiring.times.hasExp = true
	expiring.times.exp = testNow.Unix() - v.skew
	c = NewCache(16, 1<<20)
	c.Put("p", v, "x", &expiring, testNow)
	if c.Len() != 0 {
		t.Error("a token whose exp plus skew is now was stored")
	}
	later := expiring
	later.times.exp++
	c.Put("p", v, "y", &later, testNow)
	if c.Len() != 1 {
		t.Error("a token valid for one more second was not stored")
	}
}
