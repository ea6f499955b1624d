package ratelimit

import (
	"testing"
	"time"
)

// TestClock_stepsBackDoNotRefuseForever: the host clock is the wall clock, which an NTP step
// or a restored VM can move back. Slots written before the step then lie
// further ahead of now than any limiter writes them; they must not refuse
// a key (a `route` key: the whole route) until the clock catches up with
// them. A key is refused for at most about one bucket's worth afterwards,
// and the limit stays as strict as before once the slots are repaired.
func TestClock_stepsBackDoNotRefuseForever(t *testing.T) {
	const back = int64(time.Hour)
	cases := []struct {
		name                string
		limit, burst        int64
		window              time.Duration
		slots               int
		readmitWithin       time.Duration
		admittedAfterRepair int // admitted in one instant once readmitted
	}{
		{"1 per second", 1, 1, time.Second, 16, 3 * time.Second, 1},
		{"100 a minute, burst 20", 100, 20, time.Minute, 1024, 15 * time.Second, 1},
		{"one slot for every key", 5, 5, time.Second, 1, 3 * time.Second, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := NewMemStore()
			lim := NewLimit("l/", NewRate(c.limit, c.window, c.burst), NewLayout(c.slots))
			reqs, states := []Request{{Limit: lim, Hash: testHasher.Sum(0, "k")}}, make([]State, 1)
			// Empty the bucket before the step.
			takeUntilRefused(t, st, t0, reqs, states, int(c.burst))
			now := t0 - back
			readmitted := int64(-1)
			for d := int64(0); d <= int64(c.readmitWithin); d += int64(100 * time.Millisecond) {
				if Take(st, now+d, reqs, states).Verdict == Allowed {
					readmitted = now + d
					break
				}
			}
			if readmitted < 0 {
				t.Fatalf("still refused %v after the clock stepped back an hour", c.readmitWithin)
			}
			// Repaired, the bucket is empty again at once: no fresh burst.
			n := 1 + takeUntilRefused(t, st, readmitted, reqs, states, int(c.burst))
			if n > c.admittedAfterRepair {
				t.Errorf("%d admitted at the instant of readmission, want at most %d", n, c.admittedAfterRepair)
			}
		})
	}
}

// TestClock_stepsBackLockoutBounded: a failed_auth lockout written before the
// clock stepped back lasts at most a few windows of the new clock.
func TestClock_stepsBackLockoutBounded(t *testing.T) {
	st := NewMemStore()
	window := time.Minute
	lo := NewLockout("fa/", 3, window, NewLayout(16))
	h := testHasher.Sum(0, "203.0.113.7")
	locked := false
	for i := 0; i < 3 && !locked; i++ {
		_, locked, _ = lo.Fail(st, t0, h)
	}
	if !locked {
		t.Fatal("three failures did not lock the key out")
	}
	now := t0 - int64(24*time.Hour)
	if l, _, _ := lo.Check(st, now, h); !l {
		t.Fatal("the lockout vanished when the clock stepped back")
	}
	if l, wait, _ := lo.Check(st, now+int64(4*window), h); l {
		t.Fatalf("still locked out four windows after the clock stepped back a day (wait %v)", time.Duration(wait))
	}
	// Failing again locks it again, for a window.
	locked = false
	for i := 0; i < 3 && !locked; i++ {
		_, locked, _ = lo.Fail(st, now+int64(4*window), h)
	}
	if l, _, _ := lo.Check(st, now+int64(4*window)+int64(window/2), h); !l {
		t.Error("the repaired key is not locked again by its failures")
	}
}

// takeUntilRefused takes at now until the limiter refuses and returns how
// many it admitted. A limiter that admits more than max in one instant
// (max is the burst: no correct bucket holds more) fails the test at once
// instead of spinning until the package's timeout.
func takeUntilRefused(t *testing.T, st Store, now int64, reqs []Request, states []State, max int) int {
	t.Helper()
	for n := 0; ; n++ {
		if Take(st, now, reqs, states).Verdict != Allowed {
			return n
		}
		if n == max {
			t.Fatalf("more than %d requests admitted in one instant: the limiter never refuses", max)
		}
	}
}
