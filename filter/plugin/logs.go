package plugin

import (
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// denyLogTickMs is the tick asked for while a drop count waits to be
// written on a VM whose roots do not tick already.
const denyLogTickMs = 1000

// logLimiter is problem.LogLimiter on a worker: the count of dropped
// refusal lines is written once its second is over, by whichever comes
// first on the worker: the next refusal, the next request, or a tick.
type logLimiter struct {
	problem.LogLimiter
	// ticking says the limiter asked for ticks itself (denyLogTickMs) to
	// write a pending count, and must stop them once it has; tickRoot is
	// the root they run on (the root of the stream that asked).
	ticking  bool
	tickRoot uint32
}

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
// line just dropped, should no request follow: when no root of this VM
// ticks for its own work, it asks for a tick (on rootID, the current
// stream's root; Envoy runs it on the worker's dispatcher, no runtime
// timer) until the count is written. It runs on every dropped line, so a
// root deleted since (with its ticks) is replaced by the next drop.
func (p *Plugin) tickForDropped(rootID uint32) {
	if p.denyLog.ticking {
		return
	}
	for _, r := range p.roots {
		if r.tickPeriod > 0 {
			return // its ticks flush the count
		}
	}
	if p.host.SetTickPeriod(denyLogTickMs) == proxy.StatusOK {
		p.denyLog.ticking, p.denyLog.tickRoot = true, rootID
	}
}

// rootGone forgets the drop-count ticks of a deleted root: they died with
// it, and the next dropped line asks again on a live root.
func (p *Plugin) rootGone(rootID uint32) {
	if p.denyLog.ticking && p.denyLog.tickRoot == rootID {
		p.denyLog.ticking = false
	}
}

// tickDenyLog is the drop count's share of a tick on root r: write a
// pending count, and stop the ticks the limiter asked for once none is
// pending.
func (p *Plugin) tickDenyLog(r *root) {
	p.flushDroppedSoon()
	if p.denyLog.ticking && !p.denyLog.Pending() && r.tickPeriod == 0 {
		p.host.SetTickPeriod(0)
		p.denyLog.ticking = false
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
