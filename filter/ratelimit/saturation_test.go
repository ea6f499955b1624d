package ratelimit

import (
	"strconv"
	"testing"
	"time"
)

// TestCollisions_floodSaturation measures what an attacker who floods the table with
// fresh keys (a `header:` key it can rotate at will, or the /64s of a large
// IPv6 allocation) does to victims: each attacker key spends its whole
// burst at once, and the attacker brings in a new key at a steady pace.
// Victims (500 keys at 20% of their limit) then see false limits growing
// with the attacker's volume relative to the table's capacity, slots ×
// limit / Ways requests per window. The flood can only make limits
// stricter: no attacker key is ever admitted beyond its own bucket. Run
// with -v for the table.
func TestCollisions_floodSaturation(t *testing.T) {
	const (
		slots   = 1024
		limit   = 10
		victims = 500
		windows = 4
	)
	window := time.Minute
	rate := NewRate(limit, window, limit)
	capacity := float64(slots) * limit / Ways // requests per window the slots absorb
	victimArrivals := poisson(victims, func(int) float64 { return 0.2 }, limit, window, windows, 11)
	h := NewHasher([]byte("flood-saturation"))
	for _, c := range []struct {
		volume float64 // attacker requests per window, as a share of capacity
		bound  float64 // victims' false-limit rate must stay under
	}{
		{0, 0.001}, {0.1, 0.01}, {1, 0.05}, {4, 0.2}, {16, 1},
	} {
		st := NewMemStore()
		lim := NewLimit("sat/", rate, NewLayout(slots))
		reqs, states := make([]Request, 1), make([]State, 1)
		attackKeys := int(c.volume * capacity * windows / limit)
		var gap int64
		if attackKeys > 0 {
			gap = int64(windows) * int64(window) / int64(attackKeys)
		}
		const base = t0
		next, ak := int64(0), 0
		own := make([]int64, victims)
		var vReq, vFalse, aAdmitted int
		for _, a := range victimArrivals {
			for attackKeys > 0 && next <= a.t && ak < attackKeys {
				reqs[0] = Request{Limit: lim, Hash: h.Sum(1, "attacker-"+strconv.Itoa(ak))}
				n := 0
				for range limit + 1 {
					if Take(st, base+next, reqs, states).Verdict == Allowed {
						n++
					}
				}
				if n > limit {
					t.Fatalf("a fresh attacker key was admitted %d times, over its burst of %d", n, limit)
				}
				aAdmitted += n
				ak++
				next += gap
			}
			now := base + a.t
			vReq++
			tat := max(own[a.key], now) + rate.Interval
			ok := tat-now <= rate.Tolerance
			if ok {
				own[a.key] = tat
			}
			reqs[0] = Request{Limit: lim, Hash: h.Sum(2, strconv.Itoa(int(a.key)))}
			if Take(st, now, reqs, states).Verdict != Allowed && ok {
				vFalse++
			}
		}
		fr := float64(vFalse) / float64(vReq)
		t.Logf("attack at %4.0f%% of capacity (%6d attacker requests admitted): victims falsely limited %.2f%%",
			100*c.volume, aAdmitted, 100*fr)
		if fr > c.bound {
			t.Errorf("attack at %.0f%% of capacity: victims' false-limit rate %.4f over %.4f", 100*c.volume, fr, c.bound)
		}
	}
}
