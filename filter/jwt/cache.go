package jwt

import (
	"crypto/sha256"
	"sync"
	"time"
)

// Cache remembers verified tokens so that a client repeating its token
// skips the signature check. An entry is keyed by the provider name, the
// SHA-256 of the token and the generation of the key set that verified it,
// so a key rotation (a new generation) makes every older entry miss, and
// one provider's verdict is never reused for another. An entry lives until
// the earlier of the token's exp and the time it was stored plus the TTL
// cap; entries for tokens past exp are never returned.
//
// Capacity is fixed. When it is full, Put evicts with the CLOCK algorithm
// (an approximation of least-recently-used): a hand sweeps the slots,
// taking the first one that is expired or was not hit since the hand last
// passed it, and clearing the hit mark of the others. Expired entries are
// also dropped when a Get finds them.
//
// The caller passes the time; the cache has no timers. Get allocates
// nothing. A Cache is safe for concurrent use. A provider's Verifier
// configuration (issuer, audiences, algorithms, clock rules) is part of the
// verdict: build a new Cache when the configuration changes.
type Cache struct {
	mu      sync.Mutex
	ttl     time.Duration
	slots   []cacheSlot
	index   map[cacheKey]int32
	hand    int
	scratch []byte
}

type cacheKey struct {
	provider string
	digest   [sha256.Size]byte
	gen      uint64
}

type cacheSlot struct {
	key     cacheKey
	tok     *Token
	expires int64 // Unix nanoseconds
	hit     bool
	used    bool
}

// NewCache returns a cache of capacity entries (at least 1) whose entries
// live at most ttl (positive).
func NewCache(capacity int, ttl time.Duration) *Cache {
	capacity = max(capacity, 1)
	return &Cache{
		ttl:   ttl,
		slots: make([]cacheSlot, capacity),
		index: make(map[cacheKey]int32, capacity),
	}
}

// keyOf hashes the token into a stack array. The copy into scratch keeps
// the string-to-bytes conversion from allocating.
func (c *Cache) keyOf(provider, token string, gen uint64) cacheKey {
	c.scratch = append(c.scratch[:0], token...)
	return cacheKey{provider: provider, digest: sha256.Sum256(c.scratch), gen: gen}
}

// Digest is the cache key of a token: its SHA-256. A caller that looks a
// token up and may then store it computes it once and uses GetDigest and
// PutDigest, since hashing is a large part of a cache hit's cost in wasm.
//
// The token goes to the hash through a stack buffer, in chunks: converting
// the whole string to bytes would allocate a copy of it on every request.
func Digest(token string) [sha256.Size]byte {
	h := sha256.New()
	var chunk [512]byte
	for len(token) > 0 {
		n := copy(chunk[:], token)
		h.Write(chunk[:n])
		token = token[n:]
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// Get returns the cached verdict for token, verified for provider with
// the key set of generation gen, or nil.
func (c *Cache) Get(provider, token string, gen uint64, now time.Time) *Token {
	if len(token) > MaxTokenBytes {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.get(c.keyOf(provider, token, gen), now)
}

// GetDigest is Get for a token whose Digest the caller already has.
func (c *Cache) GetDigest(provider string, digest [sha256.Size]byte, gen uint64, now time.Time) *Token {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.get(cacheKey{provider: provider, digest: digest, gen: gen}, now)
}

func (c *Cache) get(k cacheKey, now time.Time) *Token {
	i, ok := c.index[k]
	if !ok {
		return nil
	}
	s := &c.slots[i]
	if now.UnixNano() >= s.expires {
		c.drop(int(i))
		return nil
	}
	s.hit = true
	return s.tok
}

// Put stores t, the result of verifying token for provider with the key
// set of generation gen at time now.
func (c *Cache) Put(provider, token string, gen uint64, t *Token, now time.Time) {
	if len(token) > MaxTokenBytes {
		return
	}
	c.mu.Lock()
	k := c.keyOf(provider, token, gen)
	c.mu.Unlock()
	c.put(k, t, now)
}

// PutDigest is Put for a token whose Digest the caller already has.
func (c *Cache) PutDigest(provider string, digest [sha256.Size]byte, gen uint64, t *Token, now time.Time) {
	c.put(cacheKey{provider: provider, digest: digest, gen: gen}, t, now)
}

func (c *Cache) put(k cacheKey, t *Token, now time.Time) {
	if t == nil || c.ttl <= 0 {
		return
	}
	expires := now.Add(c.ttl).UnixNano()
	if !t.Expires.IsZero() {
		expires = min(expires, t.Expires.UnixNano())
	}
	nowNs := now.UnixNano()
	if expires <= nowNs {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if i, ok := c.index[k]; ok {
		s := &c.slots[i]
		s.tok, s.expires = t, expires
		return
	}
	i := c.victim(nowNs)
	c.slots[i] = cacheSlot{key: k, tok: t, expires: expires, used: true}
	c.index[k] = int32(i)
}

// victim returns a free slot, evicting by CLOCK when none is free.
func (c *Cache) victim(now int64) int {
	n := len(c.slots)
	for range 2 * n {
		i := c.hand
		c.hand = (c.hand + 1) % n
		s := &c.slots[i]
		switch {
		case !s.used:
			return i
		case now >= s.expires || !s.hit:
			c.drop(i)
			return i
		default:
			s.hit = false
		}
	}
	// Two sweeps always find a slot (the first clears every mark); this
	// only satisfies the compiler.
	i := c.hand
	c.drop(i)
	return i
}

func (c *Cache) drop(i int) {
	s := &c.slots[i]
	if s.used {
		delete(c.index, s.key)
	}
	*s = cacheSlot{}
}

// Len returns the number of entries (expired ones not yet dropped
// included).
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.index)
}
