package ratelimit

import (
	"strconv"
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
