package problem

// LogHost is what the deny log needs of the worker it writes on: the
// clock, the log (at warning), the tick period, and whether a root of the
// worker ticks for its own work.
type LogHost interface {
	// Now is the time in Unix nanoseconds.
	Now() int64
	// Warn writes a line at warning level.
	Warn(line string)
	// SetTickPeriod asks for ticks every ms milliseconds (0 stops them);
	// false when the host refused.
	SetTickPeriod(ms uint32) bool
	// RootsTick reports whether any root of the worker ticks already.
	RootsTick() bool
}

// Deny writes the refusal line (DenyLine) of a stream of root rootID,
// when the limiter admits it at h.Now(). Warning, not info: Istio runs
// Wasm plugins at Envoy's "warning" log level by default, which would hide
// every refusal (docs/configuration.md "Choices where the contract is
// silent").
func (l *LogLimiter) Deny(h LogHost, rootID uint32, route string, status int, reason Reason, requestID string, reported bool) {
	if l.admitLine(h, h.Now(), rootID) {
		h.Warn(DenyLine(route, status, reason, requestID, reported))
	}
}

// admitLine reports whether a refusal line may be written at now (Unix
// ns) by a stream of root rootID. A count of an earlier second still
// pending is written first; a dropped line makes sure a tick comes.
func (l *LogLimiter) admitLine(h LogHost, now int64, rootID uint32) bool {
	l.flush(h, now)
	if !l.Admit(now) {
		l.tickForDropped(h, rootID)
		return false
	}
	return true
}

// flush writes the count of lines dropped in a second that is over.
func (l *LogLimiter) flush(h LogHost, now int64) {
	if line := l.Flush(now); line != "" {
		h.Warn(line)
	}
}

// FlushSoon writes a pending drop count once its second is over; it
// costs nothing while no count is pending. Request headers and ticks call
// it, so a flood that stops is still counted.
func (l *LogLimiter) FlushSoon(h LogHost) {
	if l.Pending() {
		l.flush(h, h.Now())
	}
}

// tickForDropped makes sure a tick will come to write the count of the
// line just dropped, should no request follow (NeedsTicks): it asks for
// ticks on rootID, the current stream's root (Envoy runs them on the
// worker's dispatcher, no runtime timer).
func (l *LogLimiter) tickForDropped(h LogHost, rootID uint32) {
	if l.NeedsTicks(h.RootsTick()) && h.SetTickPeriod(LogTickMs) {
		l.Ticking(rootID)
	}
}

// Tick is the drop count's share of a tick on a root (rootTicks: that
// root ticks for its own work): write a pending count, and stop the ticks
// the limiter asked for once none is pending.
func (l *LogLimiter) Tick(h LogHost, rootTicks bool) {
	l.FlushSoon(h)
	if l.StopTicks(rootTicks) {
		h.SetTickPeriod(0)
	}
}
