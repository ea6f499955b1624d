package jwt

import (
	"crypto/sha256"
	"strconv"
	"testing"
	"time"
)

func cacheToken(exp time.Time) *Token { return &Token{Algorithm: "ES256", Expires: exp} }

func TestCache_keying(t *testing.T) {
	c := NewCache(16, time.Minute)
	tok := cacheToken(testNow.Add(time.Hour))
	c.Put("idp", "tok-a", 1, tok, testNow)
	cases := []struct {
		name, provider, token string
		gen                   uint64
		hit                   bool
	}{
		{"same", "idp", "tok-a", 1, true},
		{"other provider", "partners", "tok-a", 1, false},
		{"other generation", "idp", "tok-a", 2, false},
		{"other token", "idp", "tok-b", 1, false},
		{"token prefix", "idp", "tok-", 1, false},
	}
	for _, cs := range cases {
		got := c.Get(cs.provider, cs.token, cs.gen, testNow)
		if (got == tok) != cs.hit || (got != nil && got != tok) {
			t.Errorf("%s: Get = %v, want hit=%v", cs.name, got, cs.hit)
		}
		// The digest forms key exactly like the token forms.
		if byDigest := c.GetDigest(cs.provider, Digest(cs.token), cs.gen, testNow); byDigest != got {
			t.Errorf("%s: GetDigest = %v, Get = %v", cs.name, byDigest, got)
		}
	}
	tok2 := cacheToken(testNow.Add(time.Hour))
	c.PutDigest("idp", Digest("tok-b"), 1, tok2, testNow)
	if got := c.Get("idp", "tok-b", 1, testNow); got != tok2 {
		t.Errorf("Get after PutDigest = %v, want the stored token", got)
	}
}

func TestCache_expiry(t *testing.T) {
	c := NewCache(16, time.Minute)
	long := cacheToken(testNow.Add(time.Hour))
	short := cacheToken(testNow.Add(10 * time.Second))
	c.Put("p", "long", 1, long, testNow)
	c.Put("p", "short", 1, short, testNow)
	c.Put("p", "noexp", 1, &Token{}, testNow)
	c.Put("p", "expired", 1, cacheToken(testNow), testNow)
	for _, cs := range []struct {
		token string
		at    time.Duration
		hit   bool
	}{
		{"long", 59 * time.Second, true},
		{"long", 60 * time.Second, false}, // TTL cap
		{"short", 9 * time.Second, true},
		{"short", 10 * time.Second, false}, // exp
		{"noexp", 59 * time.Second, true},
		{"expired", 0, false},
	} {
		if got := c.Get("p", cs.token, 1, testNow.Add(cs.at)); (got != nil) != cs.hit {
			t.Errorf("%s at +%v: hit=%v, want %v", cs.token, cs.at, got != nil, cs.hit)
		}
	}
	// Expired entries found by Get are dropped.
	if n := c.Len(); n != 1 {
		t.Fatalf("Len = %d after expiries, want 1 (noexp)", n)
	}
	// Put refreshes an existing entry.
	c.Put("p", "noexp", 1, long, testNow.Add(30*time.Second))
	if got := c.Get("p", "noexp", 1, testNow.Add(80*time.Second)); got != long {
		t.Fatalf("refreshed entry: %v", got)
	}
}

func TestCache_clockEviction(t *testing.T) {
	c := NewCache(3, time.Hour)
	tok := func(i int) *Token { return cacheToken(testNow.Add(time.Duration(i+1) * time.Minute * 100)) }
	for i := range 3 {
		c.Put("p", "t"+strconv.Itoa(i), 1, tok(i), testNow)
	}
	// t0 and t2 are used; t1 is the victim of the next insertion.
	c.Get("p", "t0", 1, testNow)
	c.Get("p", "t2", 1, testNow)
	c.Put("p", "t3", 1, tok(3), testNow)
	want := map[string]bool{"t0": true, "t1": false, "t2": true, "t3": true}
	for name, hit := range want {
		if got := c.Get("p", name, 1, testNow); (got != nil) != hit {
			t.Errorf("%s: hit=%v, want %v", name, got != nil, hit)
		}
	}
	// An expired entry goes before any live one, used or not.
	c2 := NewCache(2, time.Hour)
	c2.Put("p", "soon", 1, cacheToken(testNow.Add(time.Second)), testNow)
	c2.Put("p", "late", 1, cacheToken(testNow.Add(time.Hour)), testNow)
	c2.Get("p", "late", 1, testNow)
	c2.Put("p", "new", 1, cacheToken(testNow.Add(time.Hour)), testNow.Add(2*time.Second))
	if c2.Get("p", "late", 1, testNow.Add(2*time.Second)) == nil || c2.Get("p", "new", 1, testNow.Add(2*time.Second)) == nil {
		t.Fatal("a live entry was evicted while an expired one remained")
	}
	if c2.Len() != 2 {
		t.Fatalf("Len = %d", c2.Len())
	}
	// Capacity holds whatever is inserted.
	c3 := NewCache(8, time.Hour)
	for i := range 100 {
		c3.Put("p", strconv.Itoa(i), 1, tok(1), testNow)
		if c3.Len() > 8 {
			t.Fatalf("Len = %d over capacity", c3.Len())
		}
	}
}

func TestCache_limits(t *testing.T) {
	c := NewCache(0, time.Minute) // capacity clamps to 1
	big := string(make([]byte, MaxTokenBytes+1))
	c.Put("p", big, 1, cacheToken(testNow.Add(time.Hour)), testNow)
	if c.Len() != 0 || c.Get("p", big, 1, testNow) != nil {
		t.Fatal("an oversized token was cached")
	}
	c.Put("p", "a", 1, nil, testNow)
	if c.Len() != 0 {
		t.Fatal("nil token cached")
	}
	off := NewCache(4, 0)
	off.Put("p", "a", 1, cacheToken(testNow.Add(time.Hour)), testNow)
	if off.Len() != 0 {
		t.Fatal("a zero TTL cache stored an entry")
	}
}

// TestCache_revocationByGeneration: removing a key from the set changes
// the generation, so the token it verified no longer hits.
func TestCache_revocationByGeneration(t *testing.T) {
	ks := testKeys(t)
	v := publicVerifier(t)
	tokStr := valid(t, "ES256")
	tok, err := v.Verify(tokStr, testNow)
	if err != nil {
		t.Fatal(err)
	}
	c := NewCache(4, time.Minute)
	c.Put("idp", tokStr, v.Keys().Generation(), tok, testNow)
	rotated := mustJWKS(t, jwksJSON(jwkOf(&ks.rsa2048.PublicKey, "rsa", "")), JWKSOptions{})
	if rotated.Generation() == v.Keys().Generation() {
		t.Fatal("generation unchanged after removing keys")
	}
	if c.Get("idp", tokStr, rotated.Generation(), testNow) != nil {
		t.Fatal("cached token survived the removal of its key")
	}
	if c.Get("idp", tokStr, v.Keys().Generation(), testNow) != tok {
		t.Fatal("cache miss with the original generation")
	}
}

func TestCache_hitDoesNotAllocate(t *testing.T) {
	c := NewCache(16, time.Minute)
	tokStr := valid(t, "RS256")
	c.Put("idp", tokStr, 7, cacheToken(testNow.Add(time.Hour)), testNow)
	allocs := testing.AllocsPerRun(200, func() {
		if c.Get("idp", tokStr, 7, testNow) == nil {
			t.Fatal("miss")
		}
	})
	if allocs != 0 {
		t.Fatalf("Get allocates %.1f times per hit", allocs)
	}
}

// Digest hashes in chunks to avoid copying the token; it must equal the
// plain SHA-256 at every length around the chunk size.
func TestDigest_equalsSHA256(t *testing.T) {
	for _, n := range []int{0, 1, 511, 512, 513, 1024, 5000, MaxTokenBytes} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('a' + i%26)
		}
		if Digest(string(b)) != sha256.Sum256(b) {
			t.Errorf("Digest of %d bytes differs from sha256.Sum256", n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = Digest("header.payload.signature") }); n != 0 {
		t.Errorf("Digest allocates %v times", n)
	}
}
