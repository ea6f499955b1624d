package plugin

import (
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// The deny log (problem.LogLimiter: a capped refusal line per refusal,
// the count of dropped lines, the ticks that write it); this file gives
// it the host.

// denyLogHost is the worker's host as problem.LogHost.
type denyLogHost struct{ p *Plugin }

func (h denyLogHost) Now() int64 { return h.p.host.Now() }

func (h denyLogHost) Warn(line string) { h.p.host.Log(proxy.LogWarn, line) }

func (h denyLogHost) SetTickPeriod(ms uint32) bool {
	return h.p.host.SetTickPeriod(ms) == proxy.StatusOK
}

func (h denyLogHost) RootsTick() bool {
	rootsTick := false
	for _, r := range h.p.roots {
		rootsTick = rootsTick || r.tickPeriod > 0
	}
	return rootsTick
}

// logDeny writes the refusal line (problem.LogLimiter.Deny).
func (p *Plugin) logDeny(rootID uint32, route string, status int, reason problem.Reason, requestID string, reported bool) {
	p.denyLog.Deny(denyLogHost{p}, rootID, route, status, reason, requestID, reported)
}
