package ratelimit

import (
	"math"
	"testing"
	"time"
)

// TestNewRate_toleranceBoundary: a burst whose tolerance is exactly what
// fits under maxTolerance keeps its exact tolerance; one more saturates.
func TestNewRate_toleranceBoundary(t *testing.T) {
	const iv = 7 // does not divide maxTolerance, so iv*burst < maxTolerance at the edge
	edge := int64(maxTolerance / iv)
	for _, c := range []struct {
		burst, tol int64
	}{
		{edge - 1, iv * (edge - 1)},
		{edge, iv * edge},
		{edge + 1, maxTolerance},
	} {
		r := NewRate(1, iv, c.burst)
		if r.Interval != iv || r.Tolerance != c.tol {
			t.Errorf("NewRate(1, 7ns, %d) = %+v, want tolerance %d", c.burst, r, c.tol)
		}
	}
	if iv*edge == maxTolerance {
		t.Fatal("the edge does not test the boundary")
	}
}

// TestTolerance_ceilingSaturates: bound + extra + clockSlack, saturating at maxTolerance
// exactly where the sum would reach it.
func TestTolerance_ceilingSaturates(t *testing.T) {
	const top = maxTolerance - clockSlack
	for _, c := range []struct{ bound, extra, want int64 }{
		{0, 0, clockSlack},
		{10, 5, 15 + clockSlack},
		{top - 1, 0, maxTolerance - 1},
		{top, 0, maxTolerance},
		{top + 1, 0, maxTolerance},
		{10, top - 10 - 1, maxTolerance - 1},
		{10, top - 10, maxTolerance},
		{10, top, maxTolerance},
		{math.MaxInt64 - 1, 0, maxTolerance},
	} {
		if got := ceilingFor(c.bound, c.extra); got != c.want {
			t.Errorf("ceilingFor(%d, %d) = %d, want %d", c.bound, c.extra, got, c.want)
		}
	}
}

func TestVerdict_String(t *testing.T) {
	for v, want := range map[Verdict]string{Allowed: "allowed", Limited: "limited", Contended: "contended", Unavailable: "unavailable", Unavailable + 1: "invalid", 255: "invalid"} {
		if got := v.String(); got != want {
			t.Errorf("Verdict(%d).String() = %q, want %q", v, got, want)
		}
	}
}

// TestWindowSeconds_huge: windows near the largest Duration are whole
// seconds rounded down (rounding up would overflow), below that rounded up.
func TestWindowSeconds_huge(t *testing.T) {
	edge := time.Duration(math.MaxInt64 - 1e9)
	for _, c := range []struct {
		d    time.Duration
		want int64
	}{
		{edge - 1, int64(edge-1)/1e9 + 1},
		{edge, int64(edge) / 1e9},
		{math.MaxInt64, math.MaxInt64 / int64(time.Second)},
	} {
		if got := WindowSeconds(c.d); got != c.want {
			t.Errorf("WindowSeconds(%d) = %d, want %d", int64(c.d), got, c.want)
		}
	}
}
