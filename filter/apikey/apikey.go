package apikey

import (
	"crypto/sha256"
	"crypto/subtle"
	"time"
)

// MaxKeyBytes is the longest key Lookup hashes; anything longer is Unknown
// without being read (a real key is a few dozen bytes, and this bounds the
// work a client can cause).
const MaxKeyBytes = 4096

// Key is one configured key: its id (for metrics and logs), the SHA-256 of
// the key, and when it stops being accepted.
type Key struct {
	// ID names the key in metrics and logs; it is not secret.
	ID string
	// SHA256 is the SHA-256 of the key's bytes as the client sends them.
	SHA256 [sha256.Size]byte
	// Expires is the first instant the key is refused; the zero Time means
	// never.
	Expires time.Time
}

// Status is what Lookup found.
type Status uint8

// Lookup results.
const (
	// Unknown: no configured key has the presented key's hash (or the key
	// is empty or longer than MaxKeyBytes).
	Unknown Status = iota
	// Valid: a configured key matches and has not expired.
	Valid
	// Expired: a configured key matches but its Expires has passed.
	Expired
)

// String names the status for logs and tests.
func (s Status) String() string {
	switch s {
	case Valid:
		return "valid"
	case Expired:
		return "expired"
	}
	return "unknown"
}

// Set is an immutable set of keys, safe for concurrent use.
type Set struct {
	hashes  [][sha256.Size]byte
	expires []int64 // Unix nanoseconds; 0 = never
}

// NewSet builds the set. Hashes are expected to be unique (the
// configuration refuses duplicates); if two entries share one, the later
// one wins.
func NewSet(keys []Key) *Set {
	s := &Set{
		hashes:  make([][sha256.Size]byte, len(keys)),
		expires: make([]int64, len(keys)),
	}
	for i, k := range keys {
		s.hashes[i] = k.SHA256
		if !k.Expires.IsZero() {
			s.expires[i] = k.Expires.UnixNano()
			if s.expires[i] == 0 {
				s.expires[i] = 1 // 1970-01-01T00:00:00Z itself: long expired
			}
		}
	}
	return s
}

// Len is the number of keys.
func (s *Set) Len() int { return len(s.hashes) }

// probe, when set (by a test), is told each entry Lookup compares, so the
// test can observe that every entry is compared whether or not an earlier
// one matched. It is nil in production; the check does not depend on any
// key material.
var probe func(entry int)

// Lookup hashes key and returns the index (in the slice given to NewSet) of
// the configured key with that hash and whether it is still valid at now;
// the index is -1 when the status is Unknown. Every entry is compared, in
// full and in constant time, and the match is selected without a branch,
// so the time taken depends only on the number of configured keys and the
// length of the presented key.
func (s *Set) Lookup(key string, now time.Time) (int, Status) {
	if key == "" || len(key) > MaxKeyBytes {
		return -1, Unknown
	}
	h := hash(key)
	found := -1
	for i := range s.hashes {
		if probe != nil {
			probe(i)
		}
		// ConstantTimeCompare reads every byte of both hashes: no early
		// exit on the first differing byte.
		eq := subtle.ConstantTimeCompare(h[:], s.hashes[i][:])
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	if found < 0 {
		return -1, Unknown
	}
	if exp := s.expires[found]; exp != 0 && now.UnixNano() >= exp {
		return found, Expired
	}
	return found, Valid
}

// Hash returns the SHA-256 of key, the value a configuration's `sha256`
// holds (as 64 hex digits).
func Hash(key string) [sha256.Size]byte { return hash(key) }

// hash copies short keys to the stack so hashing allocates nothing.
func hash(key string) [sha256.Size]byte {
	var buf [256]byte
	if len(key) <= len(buf) {
		n := copy(buf[:], key)
		return sha256.Sum256(buf[:n])
	}
	return sha256.Sum256([]byte(key))
}
