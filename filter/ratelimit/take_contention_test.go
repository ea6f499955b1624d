package ratelimit

import (
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// An entry that another worker rewrites between every read and write makes
// every CAS fail: after MaxAttempts writes the request is refused
// (Contended), and nothing is written.
func TestTake_contentionExhaustedRefuses(t *testing.T) {
	st := NewMemStore()
	l := NewLimit("t/", NewRate(1000, time.Minute, 1000), NewLayout(16))
	states := make([]State, 1)
	Take(st, t0, []Request{{l, 1}}, states) // create the entry
	before, _, _ := st.Get(EntryKey("t/", 0))
	st.BeforeSet = func(key string) {
		v, _, _ := st.Get(key)
		st.mu.Lock()
		st.m[key] = memEntry{v: v, cas: st.nextCAS} // same value, new CAS
		st.nextCAS++
		st.mu.Unlock()
	}
	st.Sets.Store(0)
	o := Take(st, t0, []Request{{l, 1}}, states)
	if o.Verdict != Contended || o.Conflicts != MaxAttempts {
		t.Fatalf("%+v, want contended after %d conflicts", o, MaxAttempts)
	}
	if st.Sets.Load() != MaxAttempts {
		t.Errorf("%d writes, want %d", st.Sets.Load(), MaxAttempts)
	}
	st.BeforeSet = nil
	if after, _, _ := st.Get(EntryKey("t/", 0)); string(after) != string(before) {
		t.Error("a contended request changed the bucket")
	}
	lo := NewLockout("t/fa/", 3, time.Minute, NewLayout(16))
	lo.Fail(st, t0, 1)
	st.BeforeSet = func(key string) {
		st.mu.Lock()
		e := st.m[key]
		e.cas = st.nextCAS
		st.m[key] = e
		st.nextCAS++
		st.mu.Unlock()
	}
	if v, _, n := lo.Fail(st, t0, 1); v != Contended || n != MaxAttempts {
		t.Errorf("lockout under contention: %v after %d", v, n)
	}
}

// Two workers that both find no entry must not both create it: the second
// insert is a CAS mismatch (Envoy accepts any CAS on a missing key, so the
// limiter creates with a non-zero one) and is retried on the first's entry.
func TestTake_createRaceRetried(t *testing.T) {
	st := NewMemStore()
	l := NewLimit("t/", NewRate(2, time.Minute, 2), NewLayout(16))
	other := make([]State, 1)
	raced := false
	st.BeforeSet = func(string) {
		if !raced {
			raced = true
			// Another worker creates the entry between our read and write.
			if o := Take(st, t0, []Request{{l, 1}}, other); o.Verdict != Allowed {
				t.Errorf("other worker: %v", o.Verdict)
			}
		}
	}
	states := make([]State, 1)
	o := Take(st, t0, []Request{{l, 1}}, states)
	if o.Verdict != Allowed || o.Conflicts != 1 || states[0].Remaining != 0 {
		t.Fatalf("%+v %+v, want allowed after one conflict with nothing left", o, states[0])
	}
	st.BeforeSet = nil
	if o := Take(st, t0, []Request{{l, 1}}, states); o.Verdict != Limited {
		t.Fatalf("third request: %v, want limited (two tokens, two admitted)", o.Verdict)
	}
}

// A value that is not an entry of this layout is replaced, under its CAS.
func TestTake_foreignValueReplaced(t *testing.T) {
	st := NewMemStore()
	l := NewLimit("t/", NewRate(1, time.Minute, 1), NewLayout(16))
	st.Set("t/0", []byte("not an entry"), 0)
	states := make([]State, 1)
	if o := Take(st, t0, []Request{{l, 1}}, states); o.Verdict != Allowed {
		t.Fatal(o.Verdict)
	}
	if v, _, _ := st.Get("t/0"); len(v) != l.Layout().EntryBytes() {
		t.Fatalf("entry not replaced: %q", v)
	}
	if o := Take(st, t0, []Request{{l, 1}}, states); o.Verdict != Limited {
		t.Fatal(o.Verdict)
	}
}

// Flooding the table with new keys never gives an exhausted key a fresh
// bucket: slots are never evicted, only raised.
func TestTake_noFreshBucketByFlooding(t *testing.T) {
	st := NewMemStore()
	l := NewLimit("t/", NewRate(5, time.Minute, 5), NewLayout(16))
	states := make([]State, 1)
	attacker := testHasher.Sum(0, "attacker")
	for i := 0; i < 5; i++ {
		Take(st, t0, []Request{{l, attacker}}, states)
	}
	for i := 0; i < 10000; i++ {
		Take(st, t0+int64(i), []Request{{l, testHasher.Sum(0, "flood"+strconv.Itoa(i))}}, states)
	}
	if o := Take(st, t0+int64(time.Second), []Request{{l, attacker}}, states); o.Verdict != Limited {
		t.Fatalf("after the flood the attacker got %v", o.Verdict)
	}
	if st.Len() != 1 {
		t.Errorf("%d entries for a 16-slot limit, want 1", st.Len())
	}
}

// TestTake_concurrentAdmitsExactlyBurst has many goroutines take from one bucket through the CAS
// protocol until it refuses: exactly burst requests are admitted, never
// more (no lost update), never fewer.
func TestTake_concurrentAdmitsExactlyBurst(t *testing.T) {
	const burst = 500
	st := NewMemStore()
	st.BeforeSet = func(string) { runtime.Gosched() } // widen the race window
	l := NewLimit("t/", NewRate(burst, time.Hour, burst), NewLayout(16))
	var admitted, contended atomic.Int64
	var wg sync.WaitGroup
	// Bounded: a limiter that never refuses (or refuses every take as
	// contended) fails the test instead of spinning until the timeout.
	const maxTakes = 100 * burst
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			states := make([]State, 1)
			for {
				if n := admitted.Load() + contended.Load(); n > maxTakes {
					t.Errorf("%d takes (%d admitted, %d contended) and the limiter has not refused yet", n, admitted.Load(), contended.Load())
					return
				}
				switch Take(st, t0, []Request{{l, 42}}, states).Verdict {
				case Allowed:
					if admitted.Add(1) > burst {
						t.Errorf("more than %d admitted: the limiter lost an update or never refuses", burst)
						return
					}
				case Contended:
					contended.Add(1)
				case Limited:
					return
				default:
					t.Error("store failed")
					return
				}
			}
		}()
	}
	wg.Wait()
	if admitted.Load() != burst {
		t.Fatalf("admitted %d, want exactly %d (contended %d)", admitted.Load(), burst, contended.Load())
	}
	t.Logf("16 goroutines, %d admitted, %d refused as contended", admitted.Load(), contended.Load())
}

// TestTake_concurrentWithRefillBounded is the hammer with the clock moving: over [start, end]
// a bucket admits at most burst + (end-start)/interval requests.
//
// Each goroutine reads the shared clock just before it takes, but the
// scheduler may park it between the two for as long as it likes; a reading
// older than the limit's ceiling (tolerance + clockSlack) is then rightly
// taken for a clock that stepped back. Real workers take within
// microseconds of reading the clock, so the whole run spans less than the
// ceiling: no reading can be that stale however the goroutines are
// scheduled, and the bound holds exactly.
func TestTake_concurrentWithRefillBounded(t *testing.T) {
	const burst = 50
	st := NewMemStore()
	st.BeforeSet = func(string) { runtime.Gosched() }
	rate := NewRate(burst, 100*time.Millisecond, burst) // 2 ms a token
	l := NewLimit("t/", rate, NewLayout(16))
	const step = 250 * time.Microsecond // 8 × 400 takes span 800 ms
	if span := int64(8 * 400 * step); span >= l.ceiling {
		t.Fatalf("the run spans %v, not under the ceiling %v", time.Duration(span), time.Duration(l.ceiling))
	}
	var clock atomic.Int64
	clock.Store(t0)
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			states := make([]State, 1)
			for i := 0; i < 400; i++ {
				now := clock.Add(int64(step))
				if Take(st, now, []Request{{l, 42}}, states).Verdict == Allowed {
					admitted.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := clock.Load() - t0
	bound := burst + elapsed/rate.Interval
	if admitted.Load() > bound {
		t.Fatalf("admitted %d over %v, bound %d", admitted.Load(), time.Duration(elapsed), bound)
	}
	if admitted.Load() < bound/2 {
		t.Errorf("admitted only %d of %d", admitted.Load(), bound)
	}
}

// FuzzTake_anyEntryBytes: whatever bytes sit in an entry, Take decides without
// panicking, and an admitted request leaves a well-formed entry whose slots
// for the key are at least the new state.
func FuzzTake_anyEntryBytes(f *testing.F) {
	f.Add([]byte{}, uint64(0), int64(0))
	f.Add(make([]byte, 128), uint64(42), int64(5e9))
	f.Add([]byte("\xff\xff\xff\xff\xff\xff\xff\x7f"), uint64(1), int64(-1))
	f.Fuzz(func(t *testing.T, entry []byte, hash uint64, skew int64) {
		st := NewMemStore()
		l := NewLimit("f/", NewRate(10, time.Second, 10), NewLayout(64))
		p := l.Layout().Locate(hash)
		key := EntryKey("f/", p.Group)
		st.Set(key, entry, 0)
		now := t0 + skew%int64(time.Hour)
		states := make([]State, 1)
		o := Take(st, now, []Request{{l, hash}}, states)
		if o.Verdict != Allowed {
			if o.Verdict != Limited || o.Wait <= 0 {
				t.Fatalf("%+v", o)
			}
			return
		}
		v, _, _ := st.Get(key)
		if len(v) != l.Layout().EntryBytes() {
			t.Fatalf("entry of %d bytes", len(v))
		}
		for _, c := range p.Cells() {
			if got := cell(v, c); got <= now {
				t.Fatalf("slot %d = %d not raised past now %d", c, got, now)
			}
		}
	})
}
