package jwt

import (
	"hash/maphash"
	"math"
	"strings"
	"sync"
	"time"
)

// Cache remembers verified tokens so that a client repeating its token
// costs a lookup (docs/responses.md "Guarantees", Keys). An entry is keyed by the
// provider, the token itself and the generation of the key that verified
// it:
//
//   - the index is an open-addressing table over a 64-bit hash of the
//     token's length and its last hashedTail bytes, seeded
//     per cache (hash/maphash, so per VM), so nobody outside can aim
//     tokens at one place; a hit compares the provider and the whole
//     token, never the hash alone. The tail of a token is its signature,
//     which differs between any two valid tokens, and only verified tokens
//     are ever stored, so hashing the tail spreads entries as well as
//     hashing everything, at a fraction of the cost in wasm (where a byte costs about as much to hash as to compare, and both run a byte at a time);
//   - a hit also requires the verifier's key set to still hold the key
//     that verified the token, unchanged: every key has a generation, a
//     seeded hash of its kid, alg and material, so a refresh that keeps a
//     key keeps its tokens and one that removes or replaces it revokes
//     them;
//   - a hit re-checks exp, nbf, iat and the lifetime against now with the
//     verifier's rules; a token that no longer passes is dropped and the
//     caller verifies it afresh (and gets the precise refusal).
//
// Bounds: at most maxEntries entries and maxBytes bytes (an entry's cost is
// entryCost, what it takes in memory: the token twice, for our copy and the
// decoded parts its claims point into, plus 1 KiB for the parsed claims
// and the bookkeeping), and tokens over MaxCachedToken bytes are never
// stored. The index has four times as many cells as entries,
// and an entry always sits within probeWindow cells of where its hash
// points: a lookup reads at most probeWindow cells, whatever was stored
// before. When the window of a new entry is full, the new entry replaces
// one of the window's (one that was not hit since the clock hand passed it,
// else the first); when the entries or the bytes are at their bound, the
// CLOCK algorithm evicts (an approximation of least recently used: a hand
// sweeps the entries, dropping the first that expired or was not hit since
// it last passed, and clearing the hit mark of the others).
//
// The caller passes the time; the cache has no timers. Get allocates
// nothing; Put copies the token. A Cache is safe for concurrent use. A
// provider's configuration (issuer, audiences, algorithms, clock rules)
// is part of the verdict: build a new Cache when the configuration
// changes. A nil *Cache caches nothing.
type Cache struct {
	mu         sync.Mutex
	seed       maphash.Seed
	maxEntries int
	maxBytes   int
	bytes      int
	cells      []int32 // slot index + 1; 0 is an empty cell
	mask       uint64
	slots      []cacheSlot // grows up to maxEntries
	free       []int32     // slots dropped and not reused yet
	hand       int
	// hashFn replaces the seeded hash in tests (colliding hashes).
	hashFn func(provider, token string) uint64
}

type cacheSlot struct {
	hash     uint64
	provider string
	token    string // our own copy
	tok      *Token
	expires  int64 // Unix seconds past which the token never passes again
	cost     int
	cell     int32
	hit      bool
	used     bool
}

const (
	// MaxCachedToken is the longest token the cache stores.
	MaxCachedToken = 4 << 10
	// probeWindow bounds the cells a lookup reads.
	probeWindow = 8
	// hashedTail is how much of the end of a token the index hashes.
	hashedTail = 64
	// entryOverhead is the fixed part of an entry's cost: the slot, the
	// index cells, the Token and its parsed claims' bookkeeping. Measured
	// natively, an entry takes about 1.9 times the token's length plus
	// 950 bytes of heap (a dozen claims).
	entryOverhead = 1024
)

// entryCost is what an entry of a token of n bytes counts against
// maxBytes.
func entryCost(n int) int { return 2*n + entryOverhead }

// NewCache returns a cache of at most maxEntries entries and maxBytes
// bytes (see entryCost). Zero for either caches nothing.
func NewCache(maxEntries, maxBytes int) *Cache {
	maxEntries, maxBytes = max(maxEntries, 0), max(maxBytes, 0)
	c := &Cache{seed: maphash.MakeSeed(), maxEntries: maxEntries, maxBytes: maxBytes}
	if maxEntries == 0 || maxBytes < entryCost(1) {
		c.maxEntries = 0
		return c
	}
	n := probeWindow
	for n < 4*maxEntries {
		n <<= 1
	}
	c.cells = make([]int32, n)
	c.mask = uint64(n - 1)
	return c
}

func (c *Cache) hash(provider, token string) uint64 {
	if c.hashFn != nil {
		return c.hashFn(provider, token)
	}
	// One seeded hash of the tail (maphash.String hashes in place; a
	// maphash.Hash copies what it is given into its buffer first), the
	// length mixed in. The provider is not hashed: the same token cached
	// for two providers takes two cells of one window, and a hit compares
	// the provider.
	h := maphash.String(c.seed, token[max(len(token)-hashedTail, 0):])
	return h ^ uint64(len(token))*0x9e3779b97f4a7c15
}

// cacheable reports whether a token of n bytes may be stored.
func (c *Cache) cacheable(n int) bool {
	return c != nil && c.maxEntries > 0 && n <= MaxCachedToken && entryCost(n) <= c.maxBytes
}

// find returns the slot of (provider, token), or -1.
// tokenEqual compares a request's token with a cached one: == unless the
// module installed a faster comparison (SetTokenEqual).
var tokenEqual = func(a, b string) bool { return a == b }

// SetTokenEqual makes every cache compare whole tokens with eq, which must
// answer exactly as == does. The module installs one that reads eight
// bytes at a time (abi.EqualStrings: Go's wasm code compares one byte per
// loop turn) from its init, before any cache exists.
func SetTokenEqual(eq func(a, b string) bool) { tokenEqual = eq }

func (c *Cache) find(h uint64, provider, token string) int {
	for i := range uint64(probeWindow) {
		ref := c.cells[(h+i)&c.mask]
		if ref == 0 {
			continue
		}
		s := &c.slots[ref-1]
		if s.hash == h && tokenEqual(s.token, token) && s.provider == provider {
			return int(ref - 1)
		}
	}
	return -1
}

// Get returns the cached verdict for token, verified for provider by v,
// or nil: nil also when the key that verified it is no longer in v's set
// as it was, or when the token no longer passes v's time rules at now (the
// entry is then dropped).
func (c *Cache) Get(provider string, v *Verifier, token string, now time.Time) *Token {
	if !c.cacheable(len(token)) || v == nil {
		return nil
	}
	h := c.hash(provider, token)
	c.mu.Lock()
	defer c.mu.Unlock()
	i := c.find(h, provider, token)
	if i < 0 {
		return nil
	}
	s := &c.slots[i]
	if !v.hasKeyGen(s.tok.keyGen) || v.checkTimes(&s.tok.times, now.Unix()) != nil {
		c.drop(i)
		return nil
	}
	s.hit = true
	return s.tok
}

// Put stores t, the result of verifying token for provider by v at now
// (v's clock skew decides how long past exp the entry may live).
func (c *Cache) Put(provider string, v *Verifier, token string, t *Token, now time.Time) {
	if !c.cacheable(len(token)) || t == nil || v == nil {
		return
	}
	expires := int64(math.MaxInt64)
	if t.times.hasExp {
		expires = t.times.exp + v.skew
		if expires <= now.Unix() {
			return
		}
	}
	h := c.hash(provider, token)
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := c.find(h, provider, token); i >= 0 {
		s := &c.slots[i]
		s.tok, s.expires = t, expires
		return
	}
	cost := entryCost(len(token))
	nowSec := now.Unix()
	for c.len() >= c.maxEntries || c.bytes+cost > c.maxBytes {
		if !c.evict(nowSec) {
			return
		}
	}
	cell := -1
	for i := range uint64(probeWindow) {
		if at := int((h + i) & c.mask); c.cells[at] == 0 {
			cell = at
			break
		}
	}
	if cell < 0 {
		cell = c.evictInWindow(h)
	}
	var i int
	if n := len(c.free); n > 0 {
		i = int(c.free[n-1])
		c.free = c.free[:n-1]
	} else {
		i = len(c.slots)
		c.slots = append(c.slots, cacheSlot{})
	}
	c.slots[i] = cacheSlot{
		hash: h, provider: provider, token: strings.Clone(token), tok: t,
		expires: expires, cost: cost, cell: int32(cell), used: true,
	}
	c.cells[cell] = int32(i + 1)
	c.bytes += cost
}

// evictInWindow drops one entry of the window of h and returns its cell:
// the first not hit since the hand last passed it, else the first.
func (c *Cache) evictInWindow(h uint64) int {
	victim := -1
	for i := range uint64(probeWindow) {
		ref := c.cells[(h+i)&c.mask]
		if victim < 0 {
			victim = int(ref - 1)
		}
		if !c.slots[ref-1].hit {
			victim = int(ref - 1)
			break
		}
	}
	cell := int(c.slots[victim].cell)
	c.drop(victim)
	return cell
}

// evict drops one entry by CLOCK; false when there is none. Two sweeps
// always find one: the first clears every hit mark.
func (c *Cache) evict(now int64) bool {
	n := len(c.slots)
	for range 2*n + 1 {
		i := c.hand
		c.hand = (c.hand + 1) % n
		s := &c.slots[i]
		switch {
		case !s.used:
		case now >= s.expires || !s.hit:
			c.drop(i)
			return true
		default:
			s.hit = false
		}
	}
	return false
}

func (c *Cache) drop(i int) {
	s := &c.slots[i]
	if !s.used {
		return
	}
	c.cells[s.cell] = 0
	c.bytes -= s.cost
	*s = cacheSlot{}
	c.free = append(c.free, int32(i))
}

func (c *Cache) len() int { return len(c.slots) - len(c.free) }

// Len returns the number of entries.
func (c *Cache) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.len()
}

// Bytes returns the entries' total cost (see entryCost).
func (c *Cache) Bytes() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

// keyGenSeed makes key generations unpredictable from outside, so they
// reveal nothing about the material of secret keys.
var keyGenSeed = maphash.MakeSeed()

// keyGenerations returns the generation of each key of ks: a seeded hash
// of whether it has a kid, the kid, its alg and its material. Two sets
// holding the same key give it the same generation; it is never 0.
func keyGenerations(ks *KeySet) []uint64 {
	if ks == nil {
		return nil
	}
	gens := make([]uint64, len(ks.keys))
	for i := range ks.keys {
		var h maphash.Hash
		h.SetSeed(keyGenSeed)
		ks.keys[i].writeIdentity(&h)
		if gens[i] = h.Sum64(); gens[i] == 0 {
			gens[i] = 1
		}
	}
	return gens
}

// hasKeyGen reports whether v's key set holds a key of generation g.
func (v *Verifier) hasKeyGen(g uint64) bool {
	for _, x := range v.keyGens {
		if x == g {
			return true
		}
	}
	return false
}
