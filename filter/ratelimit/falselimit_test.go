package ratelimit

import (
	"math/rand/v2"
	"sort"
	"strconv"
	"testing"
	"time"
)

// arrival is one request of a simulated client.
type arrival struct {
	t   int64
	key uint32
}

// poisson draws each key's requests as a Poisson process at load(k) times
// its limit, over windows windows.
func poisson(keys int, load func(k int) float64, limit int64, window time.Duration, windows int, seed uint64) []arrival {
	rng := rand.New(rand.NewPCG(seed, 7))
	end := int64(windows) * int64(window)
	var out []arrival
	for k := 0; k < keys; k++ {
		rate := float64(limit) * load(k) / float64(window)
		for t := int64(rng.ExpFloat64() / rate); t < end; t += int64(rng.ExpFloat64() / rate) {
			out = append(out, arrival{t, uint32(k)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].t < out[j].t })
	return out
}

// simResult is what one simulated run measured.
type simResult struct {
	requests int
	// falseLimits are requests the key's own exact bucket would admit but
	// the shared slots refused.
	falseLimits int
	// lenient are requests the slots admitted that the key's own bucket,
	// fed the same admitted requests, would have refused: must be zero.
	lenient int
}

func (r simResult) rate() float64 { return float64(r.falseLimits) / float64(r.requests) }

// simulate runs arrivals through one limit with layout l and through an
// exact bucket per key.
func simulate(arrivals []arrival, keys int, rate Rate, l Layout) simResult {
	st := NewMemStore()
	lim := NewLimit("sim/", rate, l)
	h := NewHasher([]byte("false-limit-seed"))
	hashes := make([]uint64, keys)
	for k := range hashes {
		hashes[k] = h.Sum(0, strconv.Itoa(k))
	}
	alone := make([]int64, keys)  // each key's own bucket, on its own admissions
	shadow := make([]int64, keys) // each key's own bucket, on the slots' admissions
	reqs := make([]Request, 1)
	states := make([]State, 1)
	var res simResult
	const base = int64(1_800_000_000) * 1e9
	for _, a := range arrivals {
		now := base + a.t
		res.requests++
		tat := max(alone[a.key], now) + rate.Interval
		own := tat-now <= rate.Tolerance
		if own {
			alone[a.key] = tat
		}
		reqs[0] = Request{Limit: lim, Hash: hashes[a.key]}
		if Take(st, now, reqs, states).Verdict != Allowed {
			if own {
				res.falseLimits++
			}
			continue
		}
		s := max(shadow[a.key], now) + rate.Interval
		if s-now > rate.Tolerance {
			res.lenient++
		}
		shadow[a.key] = s
	}
	return res
}

// TestCollisions_falseLimitRate measures false limiting with ten times more active
// keys than slots (10,240 keys, 1,024 slots, 10 per minute with a burst of
// 10, four minutes of Poisson traffic), for the shipped layout (16 slots an
// entry, 2 per key) and, for comparison, one slot per key. It also checks,
// on every admitted request, that sharing never made a key's limit more
// lenient than its own bucket. Run with -v for the table.
func TestCollisions_falseLimitRate(t *testing.T) {
	const slots, keys, limit = 1024, 10240, 10
	rate := NewRate(limit, time.Minute, limit)
	loads := []struct {
		name  string
		load  func(k int) float64
		bound float64 // shipped layout
	}{
		// Every key at 5% of its limit: the table holds ~5 keys' worth of
		// traffic per slot, well under capacity.
		{"uniform 5%", func(int) float64 { return 0.05 }, 0.001},
		// Heavy-tailed: key k at 200%/(1 + k mod 1000) of its limit.
		{"zipf", func(k int) float64 { return 2 / float64(1+k%1000) }, 0.01},
		// 1% of keys over their limit (150%), the rest at 5%: the cost
		// of sharing slots with abusers.
		{"1% abusers", func(k int) float64 {
			if k%100 == 0 {
				return 1.5
			}
			return 0.05
		}, 0.05},
		// Every key at 10%: the slots are at capacity (10 keys × 10% per
		// slot), the point where any fixed table starts to refuse.
		{"uniform 10%", func(int) float64 { return 0.1 }, 0.12},
	}
	for i, c := range loads {
		arrivals := poisson(keys, c.load, limit, time.Minute, 4, uint64(i+1))
		shipped := simulate(arrivals, keys, rate, NewLayout(slots))
		plain := simulate(arrivals, keys, rate, newLayout(slots, 1, 1))
		t.Logf("%-12s %7d requests: false limits %.3f%% (one slot per key: %.3f%%)",
			c.name, shipped.requests, 100*shipped.rate(), 100*plain.rate())
		if shipped.lenient != 0 || plain.lenient != 0 {
			t.Errorf("%s: %d (%d) admitted requests the key's own bucket refuses", c.name, shipped.lenient, plain.lenient)
		}
		if shipped.rate() > c.bound {
			t.Errorf("%s: false-limit rate %.4f over %.4f", c.name, shipped.rate(), c.bound)
		}
	}
}

// TestCollisions_neverMoreLenient drives many keys through very few slots (heavy
// collisions) with random timing and checks the guarantee directly: a
// collision may refuse a request the key's own bucket would admit, never
// the reverse.
func TestCollisions_neverMoreLenient(t *testing.T) {
	for _, slots := range []int{1, 2, 16, 64} {
		rng := rand.New(rand.NewPCG(uint64(slots), 3))
		const keys = 200
		var arrivals []arrival
		tm := int64(0)
		for i := 0; i < 20000; i++ {
			tm += rng.Int64N(int64(50 * time.Millisecond))
			arrivals = append(arrivals, arrival{tm, uint32(rng.IntN(keys))})
		}
		for _, rate := range []Rate{NewRate(5, time.Second, 5), NewRate(3, time.Second, 1), NewRate(100, time.Minute, 20)} {
			res := simulate(arrivals, keys, rate, NewLayout(slots))
			if res.lenient != 0 {
				t.Errorf("slots %d rate %+v: %d admitted requests the key's own bucket refuses", slots, rate, res.lenient)
			}
		}
	}
}
