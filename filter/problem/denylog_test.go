package problem

import (
	"slices"
	"strings"
	"testing"
)

// fakeLogHost records what the deny log asks of the host.
type fakeLogHost struct {
	now       int64
	lines     []string
	periods   []uint32
	refuse    bool // SetTickPeriod fails
	rootsTick bool
}

func (h *fakeLogHost) Now() int64       { return h.now }
func (h *fakeLogHost) Warn(line string) { h.lines = append(h.lines, line) }
func (h *fakeLogHost) SetTickPeriod(ms uint32) bool {
	h.periods = append(h.periods, ms)
	return !h.refuse
}
func (h *fakeLogHost) RootsTick() bool { return h.rootsTick }

const denySecond = int64(1_800_000_000e9)

// flood writes n refusal lines of root 7 within one second.
func flood(l *LogLimiter, h *fakeLogHost, n int) {
	for i := 0; i < n; i++ {
		l.Deny(h, 7, "r", 401, "credential_missing", "id", false)
	}
}

// TestDenyLog_ticksForDroppedLines: the first dropped line asks for
// ticks of LogTickMs once, unless a root ticks already or the host
// refused (then the next drop asks again).
func TestDenyLog_ticksForDroppedLines(t *testing.T) {
	tests := []struct {
		name      string
		rootsTick bool
		refuse    bool
		lines     int
		periods   []uint32
		ticking   bool
	}{
		{"within the cap", false, false, DenyLinesPerSecond, nil, false},
		{"drops ask once", false, false, DenyLinesPerSecond + 3, []uint32{LogTickMs}, true},
		{"a root ticks already", true, false, DenyLinesPerSecond + 3, nil, false},
		{"refused, asked on every drop", false, true, DenyLinesPerSecond + 3, []uint32{LogTickMs, LogTickMs, LogTickMs}, false},
	}
	for _, tc := range tests {
		var l LogLimiter
		h := &fakeLogHost{now: denySecond, rootsTick: tc.rootsTick, refuse: tc.refuse}
		flood(&l, h, tc.lines)
		if n := min(tc.lines, DenyLinesPerSecond); len(h.lines) != n {
			t.Errorf("%s: %d lines written, want %d", tc.name, len(h.lines), n)
		}
		if want := "apiguard: deny route=r status=401 reason=credential_missing request_id=\"id\""; h.lines[0] != want {
			t.Errorf("%s: line %q, want %q", tc.name, h.lines[0], want)
		}
		if !slices.Equal(h.periods, tc.periods) || l.ticking != tc.ticking || tc.ticking && l.tickRoot != 7 {
			t.Errorf("%s: periods %v ticking %v root %d, want %v %v", tc.name, h.periods, l.ticking, l.tickRoot, tc.periods, tc.ticking)
		}
	}
}

// TestDenyLog_countWritten: the count of dropped lines is written by the
// next line, FlushSoon or a tick once its second is over, never within
// it, and only once.
func TestDenyLog_countWritten(t *testing.T) {
	count := "apiguard: deny log: dropped 2 lines in the second from 2027-01-15T08:00:00Z (over 100 a second)"
	tests := []struct {
		name  string
		after func(l *LogLimiter, h *fakeLogHost)
		want  []string
	}{
		{"flush within the second", func(l *LogLimiter, h *fakeLogHost) { h.now += 5e8; l.FlushSoon(h) }, nil},
		{"flush after it", func(l *LogLimiter, h *fakeLogHost) { h.now += 1e9; l.FlushSoon(h); l.FlushSoon(h) }, []string{count}},
		{"the next line", func(l *LogLimiter, h *fakeLogHost) { h.now += 1e9; flood(l, h, 1) }, []string{count, "apiguard: deny route=r status=401 reason=credential_missing request_id=\"id\""}},
		{"a tick", func(l *LogLimiter, h *fakeLogHost) { h.now += 1e9; l.Tick(h, false) }, []string{count}},
	}
	for _, tc := range tests {
		var l LogLimiter
		h := &fakeLogHost{now: denySecond}
		flood(&l, h, DenyLinesPerSecond+2)
		h.lines = nil
		tc.after(&l, h)
		if !slices.Equal(h.lines, tc.want) {
			t.Errorf("%s: lines\n%s\nwant\n%s", tc.name, strings.Join(h.lines, "\n"), strings.Join(tc.want, "\n"))
		}
	}
}

// TestDenyLog_tickStopsItsTicks: a tick stops the ticks the limiter asked
// for once the count is written, unless the root ticks for its own work
// or a count is still pending.
func TestDenyLog_tickStopsItsTicks(t *testing.T) {
	tests := []struct {
		name      string
		later     int64
		rootTicks bool
		stops     bool
	}{
		{"count written", 1e9, false, true},
		{"count still pending", 1e8, false, false},
		{"root ticks itself", 1e9, true, false},
	}
	for _, tc := range tests {
		var l LogLimiter
		h := &fakeLogHost{now: denySecond}
		flood(&l, h, DenyLinesPerSecond+1)
		h.periods, h.now = nil, h.now+tc.later
		l.Tick(h, tc.rootTicks)
		if stopped := slices.Equal(h.periods, []uint32{0}); stopped != tc.stops || l.ticking == tc.stops {
			t.Errorf("%s: periods %v ticking %v, want stop %v", tc.name, h.periods, l.ticking, tc.stops)
		}
	}
}
