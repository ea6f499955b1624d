package plugin

import (
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// admitDenyLine reports whether a refusal line may be written at now (Unix
// ns) by a stream of root rootID. A count of an earlier second still
// pending is written first; a dropped line makes sure a tick comes.
func (p *Plugin) admitDenyLine(now int64, rootID uint32) bool {
	p.flushDropped(now)
	if !p.denyLog.Admit(now) {
		p.tickForDropped(rootID)
		return false
	}
	return true
}

// flushDropped writes the count of lines dropped in a second that is over.
func (p *Plugin) flushDropped(now int64) {
	if line := p.denyLog.Flush(now); line != "" {
		p.host.Log(proxy.LogWarn, line)
	}
}

// flushDroppedSoon writes a pending drop count once its second is over; it
// costs nothing while no count is pending. Request headers and ticks call
// it, so a flood that stops is still counted.
func (p *Plugin) flushDroppedSoon() {
	if p.denyLog.Pending() {
		p.flushDropped(p.host.Now())
	}
}

// tickForDropped makes sure a tick will come to write the count of the
// line just dropped, should no request follow (problem.LogLimiter's
// NeedsTicks): it asks for ticks on rootID, the current stream's root
// (Envoy runs them on the worker's dispatcher, no runtime timer).
func (p *Plugin) tickForDropped(rootID uint32) {
	rootsTick := false
	for _, r := range p.roots {
		rootsTick = rootsTick || r.tickPeriod > 0
	}
	if p.denyLog.NeedsTicks(rootsTick) && p.host.SetTickPeriod(problem.LogTickMs) == proxy.StatusOK {
		p.denyLog.Ticking(rootID)
	}
}

// tickDenyLog is the drop count's share of a tick on root r: write a
// pending count, and stop the ticks the limiter asked for once none is
// pending.
func (p *Plugin) tickDenyLog(r *root) {
	p.flushDroppedSoon()
	if p.denyLog.StopTicks(r.tickPeriod > 0) {
		p.host.SetTickPeriod(0)
	}
}

// logDeny writes the refusal line (problem.DenyLine). Warning, not info:
// Istio runs Wasm plugins at Envoy's "warning" log level by default, which
// would hide every refusal (docs/configuration.md "Choices where the
// contract is silent").
func (p *Plugin) logDeny(rootID uint32, route string, status int, reason problem.Reason, requestID string, reported bool) {
	if p.admitDenyLine(p.host.Now(), rootID) {
		p.host.Log(proxy.LogWarn, problem.DenyLine(route, status, reason, requestID, reported))
	}
}
