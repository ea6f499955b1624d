package jwt

import (
	"strings"
	"testing"
	"time"
)

// TestCache_bounds: a token of exactly MaxTokenBytes is cached, one byte
// more is not; an entry that would expire at the instant it is stored,
// or a cache without a lifetime, stores nothing.
func TestCache_bounds(t *testing.T) {
	tok := &Token{Algorithm: "ES256"}
	at := strings.Repeat("a", MaxTokenBytes)
	over := at + "a"
	c := NewCache(16, time.Minute)
	c.Put("p", at, 1, tok, testNow)
	c.Put("p", over, 1, tok, testNow)
	if c.Get("p", at, 1, testNow) != tok {
		t.Error("a token of exactly MaxTokenBytes is not cached")
	}
	if c.Get("p", over, 1, testNow) != nil || c.Len() != 1 {
		t.Errorf("a token of MaxTokenBytes+1 is cached (%d entries)", c.Len())
	}

	c = NewCache(16, time.Minute)
	c.Put("p", "x", 1, &Token{Expires: testNow}, testNow)
	if c.Len() != 0 {
		t.Error("a token expiring now was stored")
	}
	c.Put("p", "y", 1, &Token{Expires: testNow.Add(time.Nanosecond)}, testNow)
	if c.Len() != 1 {
		t.Error("a token expiring a nanosecond from now was not stored")
	}

	c = NewCache(16, 0)
	c.Put("p", "x", 1, tok, testNow)
	if c.Len() != 0 || c.Get("p", "x", 1, testNow) != nil {
		t.Error("a cache without a lifetime stored a token")
	}
}
