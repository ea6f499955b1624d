package jwks

import (
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/filter/config"
)

func TestState_roundTrip(t *testing.T) {
	st := State{Version: 7, NextFetch: 1 << 62, LockUntil: 99, LockOwner: ^uint64(0), EarlyAt: 5, Failures: 3, Early: true}
	got, ok := DecodeState(st.Encode())
	if !ok || got != st {
		t.Fatalf("round trip = %+v, %v", got, ok)
	}
	if _, ok := DecodeState([]byte("short")); ok {
		t.Fatal("a short value decoded")
	}
}

func TestJWKS_backoff(t *testing.T) {
	for _, c := range []struct {
		n       uint32
		refresh time.Duration
		want    time.Duration
	}{
		{1, time.Hour, time.Second},
		{2, time.Hour, 2 * time.Second},
		{6, time.Hour, 32 * time.Second},
		{7, time.Hour, time.Minute},
		{100, time.Hour, time.Minute},
		{5, 5 * time.Second, 5 * time.Second},
		{1, time.Second, time.Second},
	} {
		if got := Backoff(c.n, c.refresh); got != c.want {
			t.Errorf("Backoff(%d, %v) = %v, want %v", c.n, c.refresh, got, c.want)
		}
	}
}

func TestJWKS_tickPeriod(t *testing.T) {
	for in, want := range map[time.Duration]uint32{
		2 * time.Second: 100, 400 * time.Millisecond: 100, 200 * time.Millisecond: 50, time.Millisecond: 25,
	} {
		if got := TickPeriod(in); got != want {
			t.Errorf("TickPeriod(%v) = %d, want %d", in, got, want)
		}
	}
}

// memStore is shared data in memory, with the host's CAS rules.
type memStore struct {
	v   map[string][]byte
	cas map[string]uint32
}

func newMemStore() *memStore { return &memStore{v: map[string][]byte{}, cas: map[string]uint32{}} }

func (m *memStore) Get(key string) ([]byte, uint32, bool) {
	v, ok := m.v[key]
	return v, m.cas[key], ok
}

func (m *memStore) Set(key string, value []byte, cas uint32) bool {
	if _, ok := m.v[key]; ok && cas != 0 && cas != m.cas[key] {
		return false
	}
	m.v[key] = append([]byte(nil), value...)
	m.cas[key]++
	return true
}

func TestSource_lockBackoffPublish(t *testing.T) {
	cfg := &config.RemoteJWKS{Cluster: "idp", Path: "/jwks", Timeout: time.Second, Refresh: time.Hour}
	src := NewSource(Namespace("", "apiguard"), "idp", cfg)
	if !strings.HasPrefix(src.StateKey, "apiguard/jwks2/idp/") || !strings.HasSuffix(src.StateKey, "/state") {
		t.Fatalf("StateKey = %q", src.StateKey)
	}
	if other := NewSource(Namespace("p", "apiguard"), "idp", &config.RemoteJWKS{Cluster: "idp", Path: "/other", Timeout: time.Second, Refresh: time.Hour}); other.KeysKey == src.KeysKey {
		t.Fatal("another path shares the keys")
	}
	store := newMemStore()
	now := int64(1e18)
	if !src.TryLock(store, 1, now) {
		t.Fatal("first lock refused")
	}
	if src.TryLock(store, 2, now+1) {
		t.Fatal("a second worker took a held lock")
	}
	if !src.TryLock(store, 2, now+int64(src.LockFor())) {
		t.Fatal("an expired lock was not taken over")
	}
	next, ok := src.Failed(store, 2, now)
	if !ok || next != now+int64(time.Second) {
		t.Fatalf("Failed = %d, %v", next, ok)
	}
	st, _, _ := src.Read(store)
	if st.LockOwner != 0 || st.Failures != 1 {
		t.Fatalf("after a failure: %+v", st)
	}
	if src.TryLock(store, 1, now+1) {
		t.Fatal("locked during backoff")
	}
	ver, next, ok := src.Publish(store, 1, now, 4, []byte(`{"keys":[]}`))
	if !ok || ver != 5 || next != now+int64(time.Hour) {
		t.Fatalf("Publish = %d, %d, %v", ver, next, ok)
	}
	gotVer, at, body, ok := src.Stored(store)
	if !ok || gotVer != 5 || at != now || string(body) != `{"keys":[]}` {
		t.Fatalf("Stored = %d, %d, %q, %v", gotVer, at, body, ok)
	}
	if !src.RequestEarly(store, now) || !src.EarlyPending(store) {
		t.Fatal("early refetch not pending")
	}
	if _, ok := src.Failed(store, 1, now); !ok || src.EarlyPending(store) {
		t.Fatal("a failed fetch left the early refetch pending")
	}
	if src.RequestEarly(store, now+int64(time.Second)) {
		t.Fatal("a second early refetch within a minute")
	}
	if !src.RequestEarly(store, now+int64(time.Minute)) {
		t.Fatal("no early refetch a minute later")
	}
}
