package ratelimit

import (
	"testing"
	"time"
)

func BenchmarkTake_oneLimit(b *testing.B) {
	st := NewMemStore()
	l := NewLimit("apiguard/rl1/per-ip/", NewRate(1_000_000_000, time.Second, 1_000_000_000), NewLayout(65536))
	reqs := []Request{{l, testHasher.Sum(0, "203.0.113.7")}}
	states := make([]State, 1)
	// The path measured: an admitted take is one get and one set.
	cs := &countingStore{Store: st}
	if Take(cs, t0, reqs, states).Verdict != Allowed || cs.gets != 1 || cs.sets != 1 {
		b.Fatalf("%d gets and %d sets for an admitted take, want 1 and 1", cs.gets, cs.sets)
	}
	b.ReportAllocs()
	now := t0
	for b.Loop() {
		now++
		if Take(st, now, reqs, states).Verdict != Allowed {
			b.Fatal("refused")
		}
	}
}

func BenchmarkSipHash_key(b *testing.B) {
	b.ReportAllocs()
	v := "user-1234567890@example.com"
	if h := testHasher.Sum(7, v); h == testHasher.Sum(8, v) || h == testHasher.Sum(7, v+"x") || h != testHasher.Sum(7, v) {
		b.Fatal("the hash ignores its seed or input, or is not deterministic")
	}
	for b.Loop() {
		testHasher.Sum(7, v)
	}
}

func BenchmarkAddrKey_parse(b *testing.B) {
	if _, n, ok := AddrKey("[2001:db8:1:2:3:4:5:6]:443"); !ok || n == 0 {
		b.Fatal("the address measured has no key")
	}
	b.ReportAllocs()
	for b.Loop() {
		AddrKey("[2001:db8:1:2:3:4:5:6]:443")
	}
}

// countingStore counts the calls a Take makes.
type countingStore struct {
	Store
	gets, sets int
}

func (c *countingStore) Get(key string) ([]byte, uint32, Status) {
	c.gets++
	return c.Store.Get(key)
}

func (c *countingStore) Set(key string, value []byte, cas uint32) Status {
	c.sets++
	return c.Store.Set(key, value, cas)
}
