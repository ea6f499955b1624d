package ratelimit

import (
	"sync"
	"sync/atomic"
)

// Status is what a Store operation reports.
type Status uint8

// Store statuses.
const (
	// OK: the value was read or written.
	OK Status = iota
	// NotFound: Get of a key never written.
	NotFound
	// CasMismatch: Set lost a race: the key changed since it was read.
	CasMismatch
	// Failed: any other host error.
	Failed
)

// Store is proxy-wasm shared data as the limiter needs it, with Envoy's
// rules (docs/internals/proxy-wasm.md §4 (d)): Get returns a value and its CAS; Set
// with CAS 0 writes unconditionally, with another CAS writes only if the
// stored CAS still matches, and writes a key that does not exist whatever
// the CAS. Every successful Set gives the key a new CAS.
type Store interface {
	Get(key string) (value []byte, cas uint32, st Status)
	Set(key string, value []byte, cas uint32) Status
}

// InsertCAS is the CAS used to create an entry that Get reported missing.
// Envoy accepts any CAS for a missing key, and CAS 0 would overwrite an
// entry another worker created in between (losing its update); any other
// value makes that race a mismatch, unless the other worker's write was
// given exactly this CAS, which Envoy's counter (from 1, one per write of
// the whole process) reaches once every 2^32 writes.
const InsertCAS = ^uint32(0)

// MemStore is an in-memory Store with Envoy's CAS rules, safe for
// concurrent use: the stand-in for shared data in tests and benchmarks.
// It counts calls, so tests can assert the round trips a decision costs.
type MemStore struct {
	mu      sync.Mutex
	m       map[string]memEntry
	nextCAS uint32
	// Gets and Sets count the calls made.
	Gets, Sets atomic.Int64
	// BeforeSet, when set, runs before each Set outside the lock (tests use
	// it to force interleavings).
	BeforeSet func(key string)
}

type memEntry struct {
	v   []byte
	cas uint32
}

// NewMemStore returns an empty store.
func NewMemStore() *MemStore { return &MemStore{m: map[string]memEntry{}, nextCAS: 1} }

// Get implements Store.
func (s *MemStore) Get(key string) ([]byte, uint32, Status) {
	s.Gets.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key]
	if !ok {
		return nil, 0, NotFound
	}
	return append([]byte(nil), e.v...), e.cas, OK
}

// Set implements Store.
func (s *MemStore) Set(key string, value []byte, cas uint32) Status {
	s.Sets.Add(1)
	if s.BeforeSet != nil {
		s.BeforeSet(key)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[key]; ok && cas != 0 && cas != e.cas {
		return CasMismatch
	}
	c := s.nextCAS
	if s.nextCAS++; s.nextCAS == 0 {
		s.nextCAS = 1
	}
	s.m[key] = memEntry{v: append([]byte(nil), value...), cas: c}
	return OK
}

// Len is the number of keys stored.
func (s *MemStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// Keys returns the keys stored, in no order.
func (s *MemStore) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.m))
	for k := range s.m {
		out = append(out, k)
	}
	return out
}
