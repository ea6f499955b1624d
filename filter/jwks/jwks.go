package jwks

import (
	"encoding/binary"
	"encoding/hex"
	"hash/fnv"
	"maps"
	"slices"
	"time"

	"github.com/apiguard/apiguard/filter/config"
)

const (
	layout = "/jwks2/"
	// KeysHeader is the version and fetch time before the stored JWKS.
	KeysHeader = 16
	// StateBytes is the size of an encoded State.
	StateBytes = 48
	// earlyRefetchEvery rate-limits refetches caused by unknown kids.
	earlyRefetchEvery = time.Minute
	// maxBackoff caps the delay between failed fetches.
	maxBackoff = time.Minute
	// lockSlack is added to timeout_ms for the fetch lock's lifetime.
	lockSlack = time.Second
	// stateAttempts bounds the CAS rounds of one state update.
	stateAttempts = 8
	// newKeyCAS creates a key: a new key accepts any CAS, but a non-zero
	// one makes a second worker creating it at the same time fail instead
	// of overwrite.
	newKeyCAS = ^uint32(0)
)

// Store is shared data: Get answers ok false when the key is absent or the
// host fails; Set writes under cas (0: unconditionally) and reports
// success.
type Store interface {
	Get(key string) (value []byte, cas uint32, ok bool)
	Set(key string, value []byte, cas uint32) bool
}

// Namespace is the prefix of every key-set key of the plugin named
// pluginName (defaultName when empty).
func Namespace(pluginName, defaultName string) string {
	if pluginName == "" {
		pluginName = defaultName
	}
	return pluginName + layout
}

// State is the shared fetch state of one remote provider.
type State struct {
	Version   uint64 // of the stored set; 0 = none yet
	NextFetch int64  // Unix ns
	LockUntil int64  // Unix ns; the lock is free at or after it
	LockOwner uint64 // 0 = free
	EarlyAt   int64  // Unix ns of the last early-refetch request
	Failures  uint32
	Early     bool // an early refetch is wanted and not done yet
}

// Encode is the state's shared-data value.
func (st *State) Encode() []byte {
	b := make([]byte, StateBytes)
	binary.LittleEndian.PutUint64(b[0:], st.Version)
	binary.LittleEndian.PutUint64(b[8:], uint64(st.NextFetch))
	binary.LittleEndian.PutUint64(b[16:], uint64(st.LockUntil))
	binary.LittleEndian.PutUint64(b[24:], st.LockOwner)
	binary.LittleEndian.PutUint64(b[32:], uint64(st.EarlyAt))
	binary.LittleEndian.PutUint32(b[40:], st.Failures)
	if st.Early {
		b[44] = 1
	}
	return b
}

// DecodeState reads a state value; ok is false for anything else.
func DecodeState(b []byte) (State, bool) {
	if len(b) != StateBytes {
		return State{}, false
	}
	return State{
		Version:   binary.LittleEndian.Uint64(b[0:]),
		NextFetch: int64(binary.LittleEndian.Uint64(b[8:])),
		LockUntil: int64(binary.LittleEndian.Uint64(b[16:])),
		LockOwner: binary.LittleEndian.Uint64(b[24:]),
		EarlyAt:   int64(binary.LittleEndian.Uint64(b[32:])),
		Failures:  binary.LittleEndian.Uint32(b[40:]),
		Early:     b[44] == 1,
	}, true
}

// Source is where one remote provider's set and state live.
type Source struct {
	Config            *config.RemoteJWKS
	StateKey, KeysKey string
}

// NewSource names provider's keys under namespace ns (Namespace), hashed
// with where the keys come from.
func NewSource(ns, provider string, cfg *config.RemoteJWKS) *Source {
	h := fnv.New64a()
	h.Write([]byte(cfg.Cluster + "\x00" + cfg.Authority + "\x00" + cfg.Path))
	if cfg.Discovery {
		// Where the keys come from also depends on which clusters may
		// serve a jwks_uri.
		h.Write([]byte("\x00discovery"))
		for _, a := range slices.Sorted(maps.Keys(cfg.Clusters)) {
			h.Write([]byte("\x00" + a + "\x00" + cfg.Clusters[a]))
		}
	}
	base := ns + provider + "/" + hex.EncodeToString(h.Sum(nil)) + "/"
	return &Source{Config: cfg, StateKey: base + "state", KeysKey: base + "keys"}
}

// Read reads the state. found is false when there is none (or the host
// failed); a value that is not a state (another layout) reads as found and
// empty, to be replaced under its CAS.
func (s *Source) Read(store Store) (st State, cas uint32, found bool) {
	v, cas, ok := store.Get(s.StateKey)
	if !ok {
		return State{}, 0, false
	}
	st, ok = DecodeState(v)
	if !ok {
		return State{}, cas, true
	}
	return st, cas, true
}

// Write writes the state under cas (creating it when it was not found).
func (s *Source) Write(store Store, st *State, cas uint32, found bool) bool {
	if !found {
		cas = newKeyCAS
	}
	return store.Set(s.StateKey, st.Encode(), cas)
}

// LockFor is how long a fetch holds the lock: one call, or with discovery
// two (the document, then the JWKS), each within timeout_ms.
func (s *Source) LockFor() time.Duration {
	d := s.Config.Timeout
	if s.Config.Discovery {
		d *= 2
	}
	return d + lockSlack
}

// TryLock takes the fetch lock for owner at now when a fetch is due (first
// time, refresh_seconds, backoff after a failure, an early refetch) and no
// worker holds the lock. Times further ahead than this package ever
// schedules them come from a wall clock that has since stepped back (or
// from a foreign writer): they count as passed, or fetching would stop
// until the clock caught up with them.
func (s *Source) TryLock(store Store, owner uint64, now int64) bool {
	st, cas, found := s.Read(store)
	if found && now < st.NextFetch && st.NextFetch-now <= int64(s.Config.Refresh) {
		return false
	}
	if st.LockOwner != 0 && now < st.LockUntil && st.LockUntil-now <= int64(s.LockFor()) {
		return false
	}
	st.LockOwner = owner
	st.LockUntil = now + int64(s.LockFor())
	return s.Write(store, &st, cas, found) // false: another worker took it first
}

// Failed records a failed fetch at now: the next attempt after an
// exponential backoff, no early refetch pending, owner's lock released.
// nextFetch is the new due time when it was written.
func (s *Source) Failed(store Store, owner uint64, now int64) (nextFetch int64, ok bool) {
	for range stateAttempts {
		st, cas, found := s.Read(store)
		st.Failures++
		st.NextFetch = now + int64(Backoff(st.Failures, s.Config.Refresh))
		st.Early = false
		if st.LockOwner == owner {
			st.LockOwner, st.LockUntil = 0, 0
		}
		if s.Write(store, &st, cas, found) {
			return st.NextFetch, true
		}
	}
	return 0, false
}

// Publish stores a fetched JWKS body, fetched at now, under a version
// newer than both the stored one and have (this VM's), then the state that
// announces it: next fetch after refresh_seconds, failures cleared,
// owner's lock released. ver is the version used; nextFetch is set when the
// state was written (ok).
func (s *Source) Publish(store Store, owner uint64, now int64, have uint64, body []byte) (ver uint64, nextFetch int64, ok bool) {
	value := make([]byte, KeysHeader+len(body))
	binary.LittleEndian.PutUint64(value[8:], uint64(now))
	copy(value[KeysHeader:], body)
	for range stateAttempts {
		st, cas, found := s.Read(store)
		ver = max(st.Version, have) + 1
		binary.LittleEndian.PutUint64(value, ver)
		// The set first, then the state that announces it.
		if !store.Set(s.KeysKey, value, 0) {
			break
		}
		st.Version = ver
		st.NextFetch = now + int64(s.Config.Refresh)
		st.Failures, st.Early = 0, false
		if st.LockOwner == owner {
			st.LockOwner, st.LockUntil = 0, 0
		}
		if s.Write(store, &st, cas, found) {
			return ver, st.NextFetch, true
		}
	}
	return ver, 0, false
}

// Stored reads the stored set: its version, fetch time and JWKS body; ok
// is false when there is none or it is not one.
func (s *Source) Stored(store Store) (ver uint64, fetchedAt int64, body []byte, ok bool) {
	v, _, ok := store.Get(s.KeysKey)
	if !ok || len(v) < KeysHeader {
		return 0, 0, nil, false
	}
	return binary.LittleEndian.Uint64(v), int64(binary.LittleEndian.Uint64(v[8:])), v[KeysHeader:], true
}

// RequestEarly asks for a refetch because a token named a kid the set does
// not have, at most once per minute across workers. It reports whether a
// refetch is pending (asked now or earlier and not done), so the request
// may wait for it.
func (s *Source) RequestEarly(store Store, now int64) bool {
	for range stateAttempts {
		st, cas, found := s.Read(store)
		if st.Early {
			return true
		}
		if found && st.EarlyAt != 0 && now >= st.EarlyAt && now-st.EarlyAt < int64(earlyRefetchEvery) {
			return false
		}
		st.Early, st.EarlyAt = true, now
		st.NextFetch = min(st.NextFetch, now)
		if s.Write(store, &st, cas, found) {
			return true
		}
	}
	return false
}

// EarlyPending reports whether an early refetch is still wanted.
func (s *Source) EarlyPending(store Store) bool {
	st, _, _ := s.Read(store)
	return st.Early
}

// Backoff is the delay before the next attempt after n failures: 1 s
// doubling, at most a minute and at most refresh.
func Backoff(n uint32, refresh time.Duration) time.Duration {
	d := time.Second << min(n-1, 6)
	return max(min(d, maxBackoff, refresh), time.Second)
}

// TickPeriod polls for keys a few times within timeout, between 25 ms and
// 100 ms.
func TickPeriod(timeout time.Duration) uint32 {
	ms := timeout.Milliseconds() / 4
	return uint32(min(max(ms, 25), 100))
}
