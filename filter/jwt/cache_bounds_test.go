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

	expiring := copyToken(tok)
	expiring.times.hasExp = true
	expiring.times.exp = testNow.Unix() - v.skew
	c = NewCache(16, 1<<20)
	c.Put("p", v, "x", expiring, testNow)
	if c.Len() != 0 {
		t.Error("a token whose exp plus skew is now was stored")
	}
	later := copyToken(expiring)
	later.times.exp++
	c.Put("p", v, "y", later, testNow)
	if c.Len() != 1 {
		t.Error("a token valid for one more second was not stored")
	}
}

// TestCache_exactCapacity: the entry and byte bounds hold exactly (a
// cache of N entries keeps N, a cache of exactly two entries' cost keeps
// two), an entry costs entryCost of its token, the smallest useful cache
// caches, a token stored again replaces its entry, and a full cache of
// entries all recently hit still makes room by CLOCK's second sweep.
func TestCache_exactCapacity(t *testing.T) {
	v := publicVerifier(t)
	_, tok := verified(t, v, "ES256")
	other := copyToken(tok)
	tokens := []string{"aaaa", "bbbb", "cccc", "dddd"}

	c := NewCache(3, 1<<20)
	for _, s := range tokens[:3] {
		c.Put("p", v, s, tok, testNow)
	}
	if c.Len() != 3 || c.Bytes() != 3*entryCost(4) {
		t.Fatalf("three entries of a three-entry cache: %d entries, %d bytes, want 3 and %d", c.Len(), c.Bytes(), 3*entryCost(4))
	}
	for _, s := range tokens[:3] {
		if c.Get("p", v, s, testNow) != tok { // every entry hit: the next Put needs CLOCK's second sweep
			t.Fatalf("%s not cached", s)
		}
	}
	c.Put("p", v, tokens[3], tok, testNow)
	if c.Len() != 3 || c.Get("p", v, tokens[3], testNow) != tok {
		t.Errorf("a fourth token in a full cache whose entries were all hit: %d entries, stored %v", c.Len(), c.Get("p", v, tokens[3], testNow) != nil)
	}

	c = NewCache(100, 2*entryCost(4))
	c.Put("p", v, tokens[0], tok, testNow)
	c.Put("p", v, tokens[1], tok, testNow)
	if c.Len() != 2 || c.Bytes() != c.maxBytes {
		t.Errorf("two entries in exactly their cost: %d entries, %d of %d bytes", c.Len(), c.Bytes(), c.maxBytes)
	}
	c.Put("p", v, tokens[2], tok, testNow)
	if c.Len() != 2 || c.Bytes() > c.maxBytes {
		t.Errorf("a third entry over the byte bound: %d entries, %d of %d bytes", c.Len(), c.Bytes(), c.maxBytes)
	}

	c = NewCache(16, entryCost(1))
	c.Put("p", v, "x", tok, testNow)
	if c.Get("p", v, "x", testNow) != tok {
		t.Error("a cache of exactly one one-byte entry's cost caches nothing")
	}
	c = NewCache(16, 1<<20)
	c.Put("p", v, "abcd", tok, testNow)
	c.Put("p", v, "abcd", other, testNow)
	if c.Len() != 1 || c.Get("p", v, "abcd", testNow) != other {
		t.Errorf("a token stored again: %d entries, want 1 holding the new verdict", c.Len())
	}
}

// TestCache_windowEviction: when every cell of a token's probe window is
// taken (all hashes collide), Put evicts in that window: the first entry
// not hit since, else the window's first entry.
func TestCache_windowEviction(t *testing.T) {
	v := publicVerifier(t)
	_, tok := verified(t, v, "ES256")
	name := func(i int) string { return string(rune('a'+i)) + "-token" }
	for _, c := range []struct {
		name   string
		notHit int // the entry not hit since it was stored, or -1
		gone   int
	}{
		{"all hit: the window's first", -1, 0},
		{"one not hit: that one", 3, 3},
	} {
		cache := NewCache(64, 1<<20)
		cache.hashFn = func(string, string) uint64 { return 7 }
		for i := range probeWindow {
			cache.Put("p", v, name(i), tok, testNow)
		}
		for i := range probeWindow {
			if i != c.notHit && cache.Get("p", v, name(i), testNow) != tok {
				t.Fatalf("%s: %s not cached", c.name, name(i))
			}
		}
		cache.Put("p", v, name(probeWindow), tok, testNow)
		for i := range probeWindow + 1 {
			if got := cache.Get("p", v, name(i), testNow) != nil; got == (i == c.gone) {
				t.Errorf("%s: %s cached %v", c.name, name(i), got)
			}
		}
	}
}

// TestCache_singleEntry: a one-entry cache whose entry was hit still takes
// the next token (CLOCK clears the hit mark, then evicts).
func TestCache_singleEntry(t *testing.T) {
	v := publicVerifier(t)
	_, tok := verified(t, v, "ES256")
	c := NewCache(1, 1<<20)
	c.Put("p", v, "first", tok, testNow)
	if c.Get("p", v, "first", testNow) != tok {
		t.Fatal("first token not cached")
	}
	c.Put("p", v, "second", tok, testNow)
	if c.Len() != 1 || c.Get("p", v, "second", testNow) != tok || c.Get("p", v, "first", testNow) != nil {
		t.Errorf("after a second token: %d entries, want only the second", c.Len())
	}
}
