package plugin

import (
	"strconv"
	"time"

	"github.com/apiguard/apiguard/filter/proxy"
)

// denyLogsPerSecond caps refusal log lines per worker, so a flood of bad
// requests cannot flood Envoy's log (docs/operating.md "Observability").
const denyLogsPerSecond = 100

// denyLogTickMs is the tick asked for while a drop count waits to be
// written on a VM whose roots do not tick already.
const denyLogTickMs = 1000

// logLimiter admits denyLogsPerSecond lines per wall-clock second and
// counts the lines it drops in that second. The count is written once the
// second is over, by whichever comes first on the worker: the next refusal,
// the next request, or a tick.
type logLimiter struct {
	second  int64 // the Unix second being counted
	used    int
	dropped int
	// ticking says the limiter asked for ticks itself (denyLogTickMs) to
	// write a pending count, and must stop them once it has; tickRoot is
	// the root they run on (the root of the stream that asked).
	ticking  bool
	tickRoot uint32
}

// admitDenyLine reports whether a refusal line may be written at now (Unix
// ns) by a stream of root rootID. A count of an earlier second still
// pending is written first.
func (p *Plugin) admitDenyLine(now int64, rootID uint32) bool {
	l := &p.denyLog
	p.flushDropped(now)
	if sec := now / 1e9; sec != l.second {
		l.second, l.used = sec, 0
	}
	if l.used >= denyLogsPerSecond {
		l.dropped++
		p.tickForDropped(rootID)
		return false
	}
	l.used++
	return true
}

// flushDropped writes the count of lines dropped in a second that is over,
// naming that second: the line may come long after it.
func (p *Plugin) flushDropped(now int64) {
	l := &p.denyLog
	if l.dropped == 0 || now/1e9 == l.second {
		return
	}
	b := make([]byte, 0, 112)
	b = append(b, "apiguard: deny log: dropped "...)
	b = strconv.AppendInt(b, int64(l.dropped), 10)
	if l.dropped == 1 {
		b = append(b, " line"...)
	} else {
		b = append(b, " lines"...)
	}
	b = append(b, " in the second from "...)
	b = time.Unix(l.second, 0).UTC().AppendFormat(b, time.RFC3339)
	b = append(b, " (over "...)
	b = strconv.AppendInt(b, denyLogsPerSecond, 10)
	b = append(b, " a second)"...)
	l.dropped = 0
	p.host.Log(proxy.LogWarn, string(b))
}

// flushDroppedSoon writes a pending drop count once its second is over; it
// costs nothing while no count is pending. Request headers and ticks call
// it, so a flood that stops is still counted.
func (p *Plugin) flushDroppedSoon() {
	if p.denyLog.dropped > 0 {
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
	if p.denyLog.ticking && p.denyLog.dropped == 0 && r.tickPeriod == 0 {
		p.host.SetTickPeriod(0)
		p.denyLog.ticking = false
	}
}

// logDeny writes the refusal line. Every field is filter-chosen except the
// request id, which is quoted so a client cannot forge log fields.
func (p *Plugin) logDeny(rootID uint32, route string, status int, reason string, requestID string, reported bool) {
	if !p.admitDenyLine(p.host.Now(), rootID) {
		return
	}
	verb := "deny"
	if reported {
		verb = "report"
	}
	b := make([]byte, 0, 96+len(route)+len(requestID))
	b = append(b, "apiguard: "...)
	b = append(b, verb...)
	b = append(b, " route="...)
	b = append(b, route...)
	b = append(b, " status="...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, " reason="...)
	b = append(b, reason...)
	b = append(b, " request_id="...)
	b = strconv.AppendQuote(b, truncate(requestID, 128))
	// Warning, not info: Istio runs Wasm plugins at Envoy's "warning" log
	// level by default, which would hide every refusal (docs/configuration.md "Choices where the contract is silent").
	p.host.Log(proxy.LogWarn, string(b))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
