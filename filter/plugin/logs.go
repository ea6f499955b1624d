package plugin

import (
	"strconv"

	"github.com/apiguard/apiguard/filter/proxy"
)

// denyLogsPerSecond caps refusal log lines per worker, so a flood of bad
// requests cannot flood Envoy's log (DESIGN.md "Observability").
const denyLogsPerSecond = 100

// logLimiter admits denyLogsPerSecond lines per wall-clock second and
// reports how many it dropped once the next second starts.
type logLimiter struct {
	second  int64
	used    int
	dropped int
}

// admit reports whether a line may be written at now (Unix ns), and the
// number of lines dropped in the previous second that must be reported first.
func (l *logLimiter) admit(now int64) (ok bool, droppedBefore int) {
	sec := now / 1e9
	if sec != l.second {
		droppedBefore = l.dropped
		l.second, l.used, l.dropped = sec, 0, 0
	}
	if l.used >= denyLogsPerSecond {
		l.dropped++
		return false, droppedBefore
	}
	l.used++
	return true, droppedBefore
}

// logDeny writes the refusal line. Every field is filter-chosen except the
// request id, which is quoted so a client cannot forge log fields.
func (p *Plugin) logDeny(route string, status int, reason string, requestID string, reported bool) {
	ok, dropped := p.denyLog.admit(p.host.Now())
	if dropped > 0 {
		p.host.Log(proxy.LogWarn, "apiguard: deny log: dropped "+strconv.Itoa(dropped)+" lines in the last second")
	}
	if !ok {
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
	p.host.Log(proxy.LogInfo, string(b))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
