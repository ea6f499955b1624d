package jwt

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// verified returns a token of alg verified by v at testNow.
func verified(t testing.TB, v *Verifier, alg string) (string, *Token) {
	t.Helper()
	s := valid(t, alg)
	tok, err := v.Verify(s, testNow)
	if err != nil {
		t.Fatal(err)
	}
	return s, tok
}

// checkCache walks the cache: every entry sits within the probe
// window of its hash, in the cell that points at it; the counts and bytes
// add up; the bounds hold.
func checkCache(t testing.TB, c *Cache) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	n, bytes, cells := 0, 0, 0
	for _, ref := range c.cells {
		if ref != 0 {
			cells++
		}
	}
	for i := range c.slots {
		s := &c.slots[i]
		if !s.used {
			continue
		}
		n++
		bytes += s.cost
		if c.cells[s.cell] != int32(i+1) {
			t.Fatalf("slot %d: its cell does not point at it", i)
		}
		if d := (uint64(s.cell) - s.hash) & c.mask; d >= probeWindow {
			t.Fatalf("slot %d sits %d cells from its hash", i, d)
		}
	}
	if n != c.len() || cells != n || bytes != c.bytes {
		t.Fatalf("entries %d, len %d, cells %d, bytes %d / %d", n, c.len(), cells, bytes, c.bytes)
	}
	if n > c.maxEntries || bytes > c.maxBytes {
		t.Fatalf("%d entries, %d bytes over the bounds %d, %d", n, bytes, c.maxEntries, c.maxBytes)
	}
}

func TestCache_keying(t *testing.T) {
	v := publicVerifier(t)
	s, tok := verified(t, v, "ES256")
	c := NewCache(16, 1<<20)
	c.Put("idp", v, s, tok, testNow)
	other := s[:len(s)-1] + "A"
	if other == s {
		other = s[:len(s)-1] + "B"
	}
	for _, cs := range []struct {
		name, provider, token string
		hit                   bool
	}{
		{"same", "idp", s, true},
		{"other provider", "partners", s, false},
		{"other token", "idp", other, false},
		{"token prefix", "idp", s[:len(s)-1], false},
		{"token extended", "idp", s + "A", false},
		// Same length and last bytes, so the same hash: only the whole
		// comparison tells it apart.
		{"token differing at its start", "idp", flipByte(s, 0), false},
		{"token differing mid-way", "idp", flipByte(s, len(s)/2), false},
	} {
		if got := c.Get(cs.provider, v, cs.token, testNow); (got == tok) != cs.hit || (got != nil && got != tok) {
			t.Errorf("%s: Get = %v, want hit=%v", cs.name, got, cs.hit)
		}
	}
	checkCache(t, c)
}

// flipByte returns s with byte i changed.
func flipByte(s string, i int) string {
	b := []byte(s)
	b[i] ^= 0x02
	return string(b)
}

// TestCache_tokenEqual: a hit compares the whole token with the
// comparison the module installed (SetTokenEqual), which decides.
func TestCache_tokenEqual(t *testing.T) {
	v := publicVerifier(t)
	s, tok := verified(t, v, "ES256")
	c := NewCache(16, 1<<20)
	c.Put("idp", v, s, tok, testNow)
	calls := 0
	SetTokenEqual(func(a, b string) bool { calls++; return false })
	defer SetTokenEqual(func(a, b string) bool { return a == b })
	if got := c.Get("idp", v, s, testNow); got != nil || calls == 0 {
		t.Errorf("Get with a comparison that never matches: %v after %d calls", got, calls)
	}
}

// TestToken_memo: a token's memo is nil until set, the first SetMemo
// stays (a second returns the first, as two streams racing to build one
// would see), and the cache hands out the token with its memo.
func TestToken_memo(t *testing.T) {
	v := publicVerifier(t)
	s, tok := verified(t, v, "ES256")
	if tok.Memo() != nil {
		t.Fatalf("a fresh token has memo %v", tok.Memo())
	}
	if got := tok.SetMemo("first"); got != "first" {
		t.Errorf("SetMemo returned %v", got)
	}
	if got := tok.SetMemo("second"); got != "first" || tok.Memo() != "first" {
		t.Errorf("a second SetMemo: returned %v, memo %v", got, tok.Memo())
	}
	c := NewCache(16, 1<<20)
	c.Put("idp", v, s, tok, testNow)
	if got := c.Get("idp", v, s, testNow); got == nil || got.Memo() != "first" {
		t.Errorf("the cached token's memo: %v", got)
	}
}

// TestCache_keyGeneration: a refresh that keeps the key keeps its tokens;
// removing the key, or replacing its material or alg under the same kid,
// revokes them.
func TestCache_keyGeneration(t *testing.T) {
	ks := testKeys(t)
	v := publicVerifier(t)
	s, tok := verified(t, v, "ES256") // kid ec256
	for _, c := range []struct {
		name string
		set  string
		hit  bool
	}{
		{"same set parsed again", ks.publicJWKS, true},
		{"refresh keeping the key, others gone", jwksJSON(jwkOf(&ks.ec["P-256"].PublicKey, "ec256", "ES256")), true},
		{"refresh keeping the key, one added", jwksJSON(jwkOf(&ks.rsa2048.PublicKey, "new", ""), jwkOf(&ks.ec["P-256"].PublicKey, "ec256", "ES256")), true},
		{"key removed", jwksJSON(jwkOf(&ks.rsa2048.PublicKey, "rsa", "")), false},
		{"same kid, other material", jwksJSON(jwkOf(&ks.ec["P-384"].PublicKey, "ec256", "")), false},
		{"same material, alg dropped", jwksJSON(jwkOf(&ks.ec["P-256"].PublicKey, "ec256", "")), false},
		{"same material, other kid", jwksJSON(jwkOf(&ks.ec["P-256"].PublicKey, "ec256b", "ES256")), false},
	} {
		cache := NewCache(16, 1<<20)
		cache.Put("idp", v, s, tok, testNow)
		w := v.WithKeys(mustJWKS(t, c.set, JWKSOptions{}))
		if got := cache.Get("idp", w, s, testNow); (got != nil) != c.hit {
			t.Errorf("%s: hit = %v, want %v", c.name, got != nil, c.hit)
		}
		if !c.hit && cache.Len() != 0 {
			t.Errorf("%s: the revoked entry stays", c.name)
		}
		// Verify agrees: a revoked token is not valid under the new set,
		// or only through another key (a fresh verification).
		if _, err := w.Verify(s, testNow); c.hit && err != nil {
			t.Errorf("%s: a kept token does not verify: %v", c.name, err)
		}
	}
}

// TestCache_timesOnHit: a hit re-checks exp (with the skew), nbf, iat and
// the lifetime against now; one that fails is dropped and missed.
func TestCache_timesOnHit(t *testing.T) {
	v := publicVerifier(t) // skew 60 s, max lifetime 24 h
	s, tok := verified(t, v, "RS256")
	exp := tok.Expires
	for _, c := range []struct {
		name string
		at   time.Time
		hit  bool
	}{
		{"now", testNow, true},
		{"just before exp plus skew", exp.Add(59 * time.Second), true},
		{"at exp plus skew", exp.Add(60 * time.Second), false},
		{"long after", exp.Add(24 * time.Hour), false},
		{"clock stepped back before iat minus skew", testNow.Add(-10 * time.Minute), false},
	} {
		cache := NewCache(16, 1<<20)
		cache.Put("idp", v, s, tok, testNow)
		if got := cache.Get("idp", v, s, c.at); (got != nil) != c.hit {
			t.Errorf("%s: hit = %v, want %v", c.name, got != nil, c.hit)
		}
		if !c.hit && cache.Len() != 0 {
			t.Errorf("%s: the entry stays", c.name)
		}
		// The miss leads to Verify, which names the reason.
		if _, err := v.Verify(s, c.at); (err == nil) != c.hit {
			t.Errorf("%s: Verify says %v", c.name, err)
		}
	}
	// Stricter rules on the verifier apply to what is already cached.
	cache := NewCache(16, 1<<20)
	cache.Put("idp", v, s, tok, testNow)
	strict := testConfig()
	strict.MaxLifetime = time.Minute
	if cache.Get("idp", NewVerifier(strict, v.Keys()), s, testNow) != nil {
		t.Error("a hit ignored the verifier's lifetime cap")
	}
	// A token past its exp (plus skew) is not stored.
	cache = NewCache(16, 1<<20)
	cache.Put("idp", v, s, tok, exp.Add(time.Minute))
	if cache.Len() != 0 {
		t.Error("an expired token was stored")
	}
}

// TestCache_boundsUnderFlood: distinct tokens without end never take more
// than max_entries entries or max_bytes bytes, a token over 4 KiB is never
// stored, and a token in use survives the flood.
func TestCache_boundsUnderFlood(t *testing.T) {
	v := publicVerifier(t)
	hot, tok := verified(t, v, "ES256")
	pad := strings.Repeat("x", 700)
	for _, c := range []struct {
		name              string
		entries, bytes    int
		wantMax, wantFull int
		every             int // the token in use is used once per this many others
	}{
		{"entries bind", 64, 64 * entryCost(len(hot)+len(pad)+8), 64, 64, 20},
		{"bytes bind", 4096, 10 * entryCost(len(hot)+len(pad)+8), 10, 9, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			cache := NewCache(c.entries, c.bytes)
			cache.Put("idp", v, hot, tok, testNow)
			lost := 0
			for i := range 20000 {
				cache.Put("idp", v, hot+pad+strconv.Itoa(i), tok, testNow)
				if i%c.every == 0 && cache.Get("idp", v, hot, testNow) == nil {
					// Only a full probe window may push it out, rarely.
					lost++
					cache.Put("idp", v, hot, tok, testNow)
				}
				if n, b := cache.Len(), cache.Bytes(); n > c.wantMax || b > c.bytes {
					t.Fatalf("after %d: %d entries, %d bytes", i, n, b)
				}
				if i%1000 == 0 {
					checkCache(t, cache)
				}
			}
			if lost > 2 {
				t.Errorf("the token in use was lost %d times", lost)
			}
			if n := cache.Len(); n < c.wantFull {
				t.Errorf("only %d entries after the flood", n)
			}
			big := hot + "." + strings.Repeat("y", MaxCachedToken)
			cache.Put("idp", v, big, tok, testNow)
			if cache.Get("idp", v, big, testNow) != nil {
				t.Error("a token over 4 KiB was cached")
			}
			checkCache(t, cache)
		})
	}
}

// TestCache_floodCannotDegradeIndex: even if every token hashed to the
// same cell (which the per-cache seed keeps anyone from arranging), a
// lookup reads at most probeWindow cells, the cache keeps working, and the
// entries it keeps stay findable.
func TestCache_floodCannotDegradeIndex(t *testing.T) {
	v := publicVerifier(t)
	hot, tok := verified(t, v, "ES256")
	cache := NewCache(4096, 64<<20)
	cache.hashFn = func(string, string) uint64 { return 42 }
	cache.Put("idp", v, hot, tok, testNow)
	for i := range 5000 {
		cache.Put("idp", v, hot+strconv.Itoa(i), tok, testNow)
		if cache.Get("idp", v, hot, testNow) == nil {
			t.Fatalf("the token in use was lost after %d colliding ones", i)
		}
	}
	if n := cache.Len(); n != probeWindow {
		t.Errorf("%d entries share one window, want %d", n, probeWindow)
	}
	checkCache(t, cache)
	if cache.Get("idp", v, hot+"4999", testNow) == nil {
		t.Error("the newest colliding token is not findable")
	}
	// The seed differs per cache: the same token lands elsewhere.
	a, b := NewCache(16, 1<<20), NewCache(16, 1<<20)
	same := 0
	for i := range 16 {
		tokStr := hot + strconv.Itoa(i)
		if a.hash("idp", tokStr) == b.hash("idp", tokStr) {
			same++
		}
	}
	if same > 1 {
		t.Errorf("%d of 16 tokens hash alike in two caches", same)
	}
}

// TestCache_clockEviction: at capacity the entry not hit since the hand
// passed goes first, an expired one before any live one.
func TestCache_clockEviction(t *testing.T) {
	v := publicVerifier(t)
	s, tok := verified(t, v, "ES256")
	c := NewCache(3, 1<<20)
	for i := range 3 {
		c.Put("p", v, s+strconv.Itoa(i), tok, testNow)
	}
	c.Get("p", v, s+"0", testNow)
	c.Get("p", v, s+"2", testNow)
	c.Put("p", v, s+"3", tok, testNow)
	for name, hit := range map[string]bool{"0": true, "1": false, "2": true, "3": true} {
		if got := c.Get("p", v, s+name, testNow); (got != nil) != hit {
			t.Errorf("t%s: hit=%v, want %v", name, got != nil, hit)
		}
	}
}

func TestCache_disabled(t *testing.T) {
	v := publicVerifier(t)
	s, tok := verified(t, v, "ES256")
	for _, c := range []*Cache{nil, NewCache(0, 1<<20), NewCache(16, 0), NewCache(16, entryCost(len(s))-1)} {
		c.Put("idp", v, s, tok, testNow)
		if c.Get("idp", v, s, testNow) != nil || c.Len() != 0 {
			t.Errorf("%+v cached a token", c)
		}
	}
	c := NewCache(16, 1<<20)
	c.Put("idp", v, s, nil, testNow)
	if c.Len() != 0 {
		t.Error("nil token cached")
	}
}

func TestCache_hitDoesNotAllocate(t *testing.T) {
	v := publicVerifier(t)
	s, tok := verified(t, v, "RS256")
	c := NewCache(16, 1<<20)
	c.Put("idp", v, s, tok, testNow)
	allocs := testing.AllocsPerRun(200, func() {
		if c.Get("idp", v, s, testNow) == nil {
			t.Fatal("miss")
		}
	})
	if allocs != 0 {
		t.Fatalf("Get allocates %.1f times per hit", allocs)
	}
}
