package ratelimit

import (
	"encoding/binary"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const t0 = int64(1_800_000_000) * 1e9 // a Unix time in ns, as the host clock gives

var testHasher = NewHasher([]byte("0123456789abcdef"))

// TestSipHash_referenceVectors checks SipHash-2-4 against the reference vectors (key
// 00..0f, message 00..(n-1)).
func TestSipHash_referenceVectors(t *testing.T) {
	want := map[int]uint64{
		0:  0x726fdb47dd0e0e31,
		1:  0x74f839c593dc67fd,
		2:  0x0d6c8009d9a94f5a,
		3:  0x85676696d7fb7e2d,
		4:  0xcf2794e0277187b7,
		5:  0x18765564cd99a68d,
		6:  0xcbc9466e58fee3ce,
		7:  0xab0200f58b01d137,
		8:  0x93f5f5799a932462,
		15: 0xa129ca6149be45e5,
	}
	var key [16]byte
	msg := make([]byte, 16)
	for i := range key {
		key[i] = byte(i)
		msg[i] = byte(i)
	}
	h := NewHasher(key[:])
	for n, w := range want {
		if got := h.SumBytes(0, msg[:n]); got != w {
			t.Errorf("len %d: %#x, want %#x", n, got, w)
		}
		if got := h.Sum(0, string(msg[:n])); got != w {
			t.Errorf("string len %d: %#x, want %#x", n, got, w)
		}
	}
	if h.Sum(1, "x") == h.Sum(2, "x") {
		t.Error("tweaks do not separate equal values")
	}
	if NewHasher([]byte("seed-a..........")).Sum(0, "x") == NewHasher([]byte("seed-b..........")).Sum(0, "x") {
		t.Error("seeds do not change the hash")
	}
}

func TestLayout_sizes(t *testing.T) {
	cases := []struct {
		slots, groups, entryBytes, ways int
	}{
		{1, 1, 8, 1},
		{2, 1, 16, 2},
		{16, 1, 128, 2},
		{1024, 64, 128, 2},
		{65536, 4096, 128, 2},
		{1 << 24, 1 << 20, 128, 2},
		{100, 4, 128, 2}, // not a power of two: rounded down to 64
	}
	for _, c := range cases {
		l := NewLayout(c.slots)
		if l.Groups() != c.groups || l.EntryBytes() != c.entryBytes {
			t.Errorf("slots %d: groups %d bytes %d, want %d %d", c.slots, l.Groups(), l.EntryBytes(), c.groups, c.entryBytes)
		}
		used := map[[2]uint32]bool{}
		for i := 0; i < 20000; i++ {
			p := l.Locate(testHasher.Sum(0, strconv.Itoa(i)))
			cells := p.Cells()
			if p.Group >= uint32(l.Groups()) || len(cells) != c.ways {
				t.Fatalf("slots %d: place %+v out of the layout", c.slots, p)
			}
			for j, x := range cells {
				if int(x)*CellBytes >= l.EntryBytes() {
					t.Fatalf("slots %d: cell %d past the entry", c.slots, x)
				}
				for _, y := range cells[:j] {
					if x == y {
						t.Fatalf("slots %d: a key uses cell %d twice", c.slots, x)
					}
				}
				used[[2]uint32{p.Group % 64, uint32(x)}] = true
			}
		}
		if want := min(c.groups, 64) * c.entryBytes / CellBytes; len(used) != want {
			t.Errorf("slots %d: %d slots used by 20000 keys, want all %d", c.slots, len(used), want)
		}
	}
	if got := EntryKey("apiguard/rl1/per-ip/", 0xbeef); got != "apiguard/rl1/per-ip/beef" {
		t.Errorf("EntryKey = %q", got)
	}
}

func TestRate_new(t *testing.T) {
	cases := []struct {
		limit  int64
		window time.Duration
		burst  int64
		want   Rate
	}{
		{10, time.Minute, 10, Rate{6e9, 60e9}},
		{100, time.Minute, 20, Rate{6e8, 12e9}},
		{3, time.Second, 3, Rate{333333333, 999999999}},
		{1_000_000_000, time.Second, 1, Rate{1, 1}},
		{1_000_000_000, time.Nanosecond, 5, Rate{1, 5}}, // never below 1 ns a token
		{1, 365 * 24 * time.Hour, 1_000_000_000, Rate{int64(365 * 24 * time.Hour), maxTolerance}},
	}
	for _, c := range cases {
		if got := NewRate(c.limit, c.window, c.burst); got != c.want {
			t.Errorf("NewRate(%d, %v, %d) = %+v, want %+v", c.limit, c.window, c.burst, got, c.want)
		}
	}
}

// step is one request in a bucket scenario.
type step struct {
	at        time.Duration // since t0
	key       string
	verdict   Verdict
	remaining int64 // when allowed
	wait      time.Duration
}

func TestTake_oneLimit(t *testing.T) {
	cases := []struct {
		name  string
		rate  Rate
		steps []step
	}{
		{"limit then refill", NewRate(2, time.Second, 2), []step{
			{0, "a", Allowed, 1, 0},
			{0, "a", Allowed, 0, 0},
			{0, "a", Limited, 0, 500 * time.Millisecond},
			{499 * time.Millisecond, "a", Limited, 0, time.Millisecond},
			{500 * time.Millisecond, "a", Allowed, 0, 0},
			{time.Second, "a", Allowed, 0, 0},
			{3 * time.Second, "a", Allowed, 1, 0},
		}},
		{"burst over rate", NewRate(60, time.Minute, 3), []step{
			{0, "a", Allowed, 2, 0},
			{0, "a", Allowed, 1, 0},
			{0, "a", Allowed, 0, 0},
			{0, "a", Limited, 0, time.Second},
			{time.Second, "a", Allowed, 0, 0},
			{2 * time.Second, "a", Allowed, 0, 0},
			{10 * time.Second, "a", Allowed, 2, 0},
		}},
		{"keys apart", NewRate(1, time.Minute, 1), []step{
			{0, "a", Allowed, 0, 0},
			{0, "b", Allowed, 0, 0},
			{0, "a", Limited, 0, time.Minute},
			{0, "b", Limited, 0, time.Minute},
			{time.Minute, "a", Allowed, 0, 0},
		}},
		{"idle bucket is full, never more", NewRate(5, time.Second, 5), []step{
			{0, "a", Allowed, 4, 0},
			{time.Hour, "a", Allowed, 4, 0},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := NewMemStore()
			l := NewLimit("t/", c.rate, NewLayout(1024))
			states := make([]State, 1)
			for i, s := range c.steps {
				now := t0 + int64(s.at)
				o := Take(st, now, []Request{{l, testHasher.Sum(0, s.key)}}, states)
				if o.Verdict != s.verdict {
					t.Fatalf("step %d: %v, want %v", i, o.Verdict, s.verdict)
				}
				switch s.verdict {
				case Allowed:
					if states[0].Remaining != s.remaining {
						t.Errorf("step %d: remaining %d, want %d", i, states[0].Remaining, s.remaining)
					}
				case Limited:
					if o.Wait != int64(s.wait) {
						t.Errorf("step %d: wait %v, want %v", i, time.Duration(o.Wait), s.wait)
					}
				}
			}
		})
	}
}

func TestTake_reset(t *testing.T) {
	st := NewMemStore()
	l := NewLimit("t/", NewRate(10, time.Minute, 10), NewLayout(64))
	states := make([]State, 1)
	for i := 1; i <= 3; i++ {
		Take(st, t0, []Request{{l, 1}}, states)
		if want := int64(i) * 6e9; states[0].Reset != want {
			t.Errorf("after %d: reset %v, want %v", i, time.Duration(states[0].Reset), time.Duration(want))
		}
	}
}

// Several limits all apply, and one refusal consumes from none of them:
// neither the limits before the refusing one nor those after.
func TestTake_severalLimitsAllOrNothing(t *testing.T) {
	st := NewMemStore()
	perKey := NewLimit("t/k/", NewRate(1, time.Minute, 1), NewLayout(64))
	shared := NewLimit("t/s/", NewRate(3, time.Minute, 3), NewLayout(64))
	states := make([]State, 2)
	take := func(key string, order ...*Limit) Outcome {
		reqs := make([]Request, len(order))
		for i, l := range order {
			h := testHasher.Sum(0, key)
			if l == shared {
				h = testHasher.Sum(0, "everyone")
			}
			reqs[i] = Request{l, h}
		}
		return Take(st, t0, reqs, states)
	}
	if o := take("a", shared, perKey); o.Verdict != Allowed || states[0].Remaining != 2 || states[1].Remaining != 0 {
		t.Fatalf("first: %+v %+v", o, states)
	}
	// Refused by the second limit: the first (shared) keeps its tokens.
	for i := 0; i < 5; i++ {
		if o := take("a", shared, perKey); o.Verdict != Limited || o.Index != 1 {
			t.Fatalf("repeat: %+v", o)
		}
	}
	// Refused by the first: the second (b's own) keeps its token.
	if o := take("b", shared, perKey); o.Verdict != Allowed || states[0].Remaining != 1 {
		t.Fatalf("b: %+v %+v", o, states)
	}
	if o := take("c", shared, perKey); o.Verdict != Allowed || states[0].Remaining != 0 {
		t.Fatalf("c: %+v %+v", o, states)
	}
	if o := take("d", shared, perKey); o.Verdict != Limited || o.Index != 0 {
		t.Fatalf("d: %+v", o)
	}
	if o := take("d", perKey); o.Verdict != Allowed {
		t.Fatalf("d's own limit was consumed by a refused request: %+v", o)
	}
}

// TestTake_storeRoundTrips counts shared-data calls: one limit costs one get and one
// set; a refusal only gets.
func TestTake_storeRoundTrips(t *testing.T) {
	st := NewMemStore()
	a := NewLimit("t/a/", NewRate(1, time.Minute, 1), NewLayout(64))
	b := NewLimit("t/b/", NewRate(5, time.Minute, 5), NewLayout(64))
	states := make([]State, 2)
	check := func(name string, reqs []Request, verdict Verdict, gets, sets int64) {
		t.Helper()
		st.Gets.Store(0)
		st.Sets.Store(0)
		if o := Take(st, t0, reqs, states); o.Verdict != verdict {
			t.Fatalf("%s: %v", name, o.Verdict)
		}
		if st.Gets.Load() != gets || st.Sets.Load() != sets {
			t.Errorf("%s: %d gets %d sets, want %d %d", name, st.Gets.Load(), st.Sets.Load(), gets, sets)
		}
	}
	check("one limit, new entry", []Request{{a, 1}}, Allowed, 1, 1)
	check("one limit, refused", []Request{{a, 1}}, Limited, 1, 0)
	check("one limit, existing entry", []Request{{a, 2}}, Allowed, 1, 1)
	check("two limits", []Request{{b, 7}, {a, 3}}, Allowed, 2, 2)
	check("two limits, second refuses", []Request{{b, 7}, {a, 3}}, Limited, 2, 0)
}

// failingStore fails every call after the first n.
type failingStore struct {
	*MemStore
	n int
}

func (f *failingStore) Get(key string) ([]byte, uint32, Status) {
	if f.n--; f.n < 0 {
		return nil, 0, Failed
	}
	return f.MemStore.Get(key)
}

func (f *failingStore) Set(key string, v []byte, cas uint32) Status {
	if f.n--; f.n < 0 {
		return Failed
	}
	return f.MemStore.Set(key, v, cas)
}

func TestTake_storeFailures(t *testing.T) {
	l := NewLimit("t/", NewRate(5, time.Minute, 5), NewLayout(64))
	states := make([]State, 1)
	for n := 0; n < 2; n++ {
		st := &failingStore{NewMemStore(), n}
		if o := Take(st, t0, []Request{{l, 1}}, states); o.Verdict != Unavailable {
			t.Errorf("failing after %d calls: %v, want unavailable", n, o.Verdict)
		}
	}
	lo := NewLockout("t/fa/", 3, time.Minute, NewLayout(64))
	if _, _, s := lo.Check(&failingStore{NewMemStore(), 0}, t0, 1); s != Failed {
		t.Errorf("lockout check on a failing store: %v", s)
	}
	if v, _, _ := lo.Fail(&failingStore{NewMemStore(), 1}, t0, 1); v != Unavailable {
		t.Errorf("lockout count on a failing store: %v", v)
	}
}

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

func TestLockout_failuresLockAndExpire(t *testing.T) {
	st := NewMemStore()
	lo := NewLockout("t/fa/", 3, time.Minute, NewLayout(64)) // 20 s a failure
	key := testHasher.Sum(0, "203.0.113.7")
	at := func(d time.Duration) int64 { return t0 + int64(d) }
	checkLocked := func(when time.Duration, want bool, wantWait time.Duration) {
		t.Helper()
		locked, wait, s := lo.Check(st, at(when), key)
		if s != OK || locked != want || (want && wait != int64(wantWait)) {
			t.Fatalf("at %v: locked %v wait %v (%v), want %v %v", when, locked, time.Duration(wait), s, want, wantWait)
		}
	}
	fail := func(when time.Duration, wantLocked bool) {
		t.Helper()
		v, locked, _ := lo.Fail(st, at(when), key)
		if v != Allowed || locked != wantLocked {
			t.Fatalf("failure at %v: %v locked %v, want locked %v", when, v, locked, wantLocked)
		}
	}
	checkLocked(0, false, 0)
	fail(0, false)
	fail(time.Second, false)
	checkLocked(time.Second, false, 0)
	fail(2*time.Second, true) // the third failure within the window locks
	checkLocked(2*time.Second, true, time.Minute)
	checkLocked(61*time.Second, true, time.Second)
	if other, _, _ := lo.Check(st, at(30*time.Second), testHasher.Sum(0, "198.51.100.1")); other {
		t.Fatal("another key is locked out")
	}
	checkLocked(62*time.Second, false, 0) // the window passed
	fail(62*time.Second, true)            // failing again at once locks again
	checkLocked(63*time.Second, true, time.Minute-time.Second)
	// Quiet for a window and a bit: a full allowance again.
	checkLocked(200*time.Second, false, 0)
	fail(200*time.Second, false)
	fail(200*time.Second, false)
	fail(200*time.Second, true)
}

func TestAddrKey_ipv6PrefixShared(t *testing.T) {
	v4 := func(a, b, c, d byte) string { return string([]byte{a, b, c, d}) }
	cases := []struct {
		addr string
		want string // "" when not an address
	}{
		{"203.0.113.7:40000", v4(203, 0, 113, 7)},
		{"203.0.113.7", v4(203, 0, 113, 7)},
		{"[::ffff:203.0.113.7]:1", v4(203, 0, 113, 7)},
		{"::ffff:203.0.113.7", v4(203, 0, 113, 7)},
		{"[2001:db8:1:2:3:4:5:6]:443", "\x20\x01\x0d\xb8\x00\x01\x00\x02"},
		{"[2001:db8:1:2:ffff::]:80", "\x20\x01\x0d\xb8\x00\x01\x00\x02"},
		{"2001:db8:1:2::9", "\x20\x01\x0d\xb8\x00\x01\x00\x02"},
		{"[fe80::1%eth0]:80", "\xfe\x80\x00\x00\x00\x00\x00\x00"},
		{"[::1]:8080", "\x00\x00\x00\x00\x00\x00\x00\x00"},
		{"/var/run/envoy.sock", ""},
		{"", ""},
		{"203.0.113.7:", ""},
		{"[2001:db8::1]", ""},
		{"999.0.0.1:80", ""},
		{"example.com:80", ""},
	}
	for _, c := range cases {
		k, n, ok := AddrKey(c.addr)
		if ok != (c.want != "") || string(k[:n]) != c.want {
			t.Errorf("AddrKey(%q) = %x %v, want %x", c.addr, k[:n], ok, c.want)
		}
	}
}

func TestSeconds_roundsUp(t *testing.T) {
	cases := []struct{ ns, want int64 }{
		{-5, 1}, {0, 1}, {1, 1}, {1e9, 1}, {1e9 + 1, 2}, {12e9, 12}, {59_999_999_999, 60},
	}
	for _, c := range cases {
		if got := Seconds(c.ns); got != c.want {
			t.Errorf("Seconds(%d) = %d, want %d", c.ns, got, c.want)
		}
	}
	for _, c := range []struct {
		d    time.Duration
		want int64
	}{{500 * time.Millisecond, 1}, {time.Minute, 60}, {90 * time.Second, 90}, {24 * time.Hour, 86400}} {
		if got := WindowSeconds(c.d); got != c.want {
			t.Errorf("WindowSeconds(%v) = %d, want %d", c.d, got, c.want)
		}
	}
}

// FuzzAddrKey_ipv6PrefixShared: any address text parses without panicking, and two
// addresses in one IPv6 /64 share their key.
func FuzzAddrKey_ipv6PrefixShared(f *testing.F) {
	for _, s := range []string{"203.0.113.7:40000", "[2001:db8::1]:443", "::ffff:1.2.3.4", "[fe80::1%25eth0]:1", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		k, n, ok := AddrKey(addr)
		if !ok {
			if n != 0 {
				t.Fatal("length without an address")
			}
			return
		}
		if n != 4 && n != 8 {
			t.Fatalf("key of %d bytes", n)
		}
		if n == 8 {
			// Rewrite the low 64 bits: same key.
			var b [16]byte
			copy(b[:8], k[:8])
			binary.BigEndian.PutUint64(b[8:], 0x0123456789abcdef)
			if b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 0 && b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] == 0 {
				return // ::/64 holds IPv4-compatible forms; skip
			}
			k2, n2, ok2 := AddrKey("[" + ipv6Text(b) + "]:1")
			if !ok2 || n2 != 8 || k2 != k {
				t.Fatalf("same /64, other key: %x vs %x", k[:n], k2[:n2])
			}
		}
	})
}

func ipv6Text(b [16]byte) string {
	out := make([]byte, 0, 40)
	for i := 0; i < 16; i += 2 {
		if i > 0 {
			out = append(out, ':')
		}
		out = strconv.AppendUint(out, uint64(b[i])<<8|uint64(b[i+1]), 16)
	}
	return string(out)
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
