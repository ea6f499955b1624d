package host

import (
	"sync"
	"time"
)

// Clock is the emulator's controllable wall clock. It only moves when a test
// moves it, so token expiry, rate-limit windows and ticks are deterministic.
// Envoy.Advance is the way to move it while firing ticks and callout timeouts;
// Clock.Advance alone moves time without firing anything.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock reading start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the current emulated time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d (negative d is ignored: Envoy's
// dispatcher time never runs backwards).
func (c *Clock) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *Clock) set(t time.Time) {
	c.mu.Lock()
	if t.After(c.now) {
		c.now = t
	}
	c.mu.Unlock()
}

// DefaultStart is the time a Config without a Clock starts at.
var DefaultStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
