package problem

import (
	"strconv"
	"time"
)

// The log lines of refusals (docs/operating.md "Observability"): one line
// per refusal, at most DenyLinesPerSecond a second per worker, and the
// audit line of a request.

// DenyLinesPerSecond caps refusal log lines per worker, so a flood of bad
// requests cannot flood Envoy's log.
const DenyLinesPerSecond = 100

// LogLimiter admits DenyLinesPerSecond lines per wall-clock second and
// counts the lines it drops in that second; Flush gives the line that
// reports them once the second is over.
type LogLimiter struct {
	second  int64 // the Unix second being counted
	used    int
	dropped int
	// ticking says the limiter asked for ticks itself to write a pending
	// count (NeedsTicks), and must stop them once it has; tickRoot is the
	// root they run on.
	ticking  bool
	tickRoot uint32
}

// LogTickMs is the tick period a limiter asks for while a drop count
// waits to be written on a worker whose roots do not tick already.
const LogTickMs = 1000

// NeedsTicks reports whether a dropped line must ask for ticks to have its
// count written should no request follow: the limiter asked for none yet
// and no root of the worker ticks for its own work (rootsTick), whose
// ticks would write it. It is asked on every dropped line, so a root
// deleted since (with its ticks, RootGone) is replaced by the next drop.
func (l *LogLimiter) NeedsTicks(rootsTick bool) bool { return !l.ticking && !rootsTick }

// Ticking records that ticks were asked for on root.
func (l *LogLimiter) Ticking(root uint32) { l.ticking, l.tickRoot = true, root }

// RootGone forgets the ticks of a deleted root: they died with it.
func (l *LogLimiter) RootGone(root uint32) {
	if l.ticking && l.tickRoot == root {
		l.ticking = false
	}
}

// StopTicks reports, on a tick of a root that does not tick for its own
// work (rootTicks false), whether the limiter's ticks must stop: no count
// is pending any more. They then count as stopped.
func (l *LogLimiter) StopTicks(rootTicks bool) bool {
	if l.ticking && !l.Pending() && !rootTicks {
		l.ticking = false
		return true
	}
	return false
}

// Pending reports a drop count not written yet.
func (l *LogLimiter) Pending() bool { return l.dropped > 0 }

// Admit reports whether a line may be written at now (Unix ns); a line it
// refuses is counted. Flush a pending count first.
func (l *LogLimiter) Admit(now int64) bool {
	if sec := now / 1e9; sec != l.second {
		l.second, l.used = sec, 0
	}
	if l.used >= DenyLinesPerSecond {
		l.dropped++
		return false
	}
	l.used++
	return true
}

// Flush returns, once the second of a pending count is over at now, the
// line that reports it, naming that second (the line may come long after
// it); "" otherwise.
func (l *LogLimiter) Flush(now int64) string {
	if l.dropped == 0 || now/1e9 == l.second {
		return ""
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
	b = strconv.AppendInt(b, DenyLinesPerSecond, 10)
	b = append(b, " a second)"...)
	l.dropped = 0
	return string(b)
}

// DenyLine is the refusal line (reported: a report-only policy's
// would-be refusal). Every field is filter-chosen except the request id,
// which is quoted (and cut to 128 bytes) so a client cannot forge log
// fields.
func DenyLine(route string, status int, reason Reason, requestID string, reported bool) string {
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
	if len(requestID) > 128 {
		requestID = requestID[:128]
	}
	b = strconv.AppendQuote(b, requestID)
	return string(b)
}

// AuditDecision is the audit line's decision: deny when the filter
// refused, report when a report-only policy would have, allow otherwise.
func AuditDecision(denied, reported bool) string {
	switch {
	case denied:
		return "deny"
	case reported:
		return "report"
	}
	return "allow"
}

// Audit is what a request's audit line says (docs/operating.md "Logs").
type Audit struct {
	// RequestID and Method are the request's, as received.
	RequestID, Method string
	// Route names the policy that handled the request.
	Route string
	// Template is the route's path template (written "path_template"),
	// used unless RawPath.
	Template string
	// RawPath writes Path and Query (the request's, as received) as
	// "path" instead of Template.
	RawPath     bool
	Path, Query string
	// Decision is allow, deny or report; Reason its reason ("" for none);
	// Status the status the client got.
	Decision string
	Reason   Reason
	Status   int
	// Subject is the hashed subject, or "" for none.
	Subject string
}

// Caps of the client-chosen fields of the audit line, in bytes: longer
// values are cut, so a request cannot make a line of any length.
const (
	AuditMaxRequestID = 128
	AuditMaxMethod    = 64
	AuditMaxPath      = 2048
)

// AuditLine is a request's one JSON audit line (audit_log). Every string
// goes through AppendString, so a client cannot forge fields or break the
// JSON; the path is the route's template unless a.RawPath.
func AuditLine(a *Audit) string {
	b := make([]byte, 0, 192+len(a.Route)+len(a.Template))
	b = append(b, `apiguard: audit {"request_id":`...)
	b = AppendString(b, cut(a.RequestID, AuditMaxRequestID))
	b = append(b, `,"route":`...)
	b = AppendString(b, a.Route)
	b = append(b, `,"method":`...)
	b = AppendString(b, cut(a.Method, AuditMaxMethod))
	if a.RawPath {
		p := a.Path
		if a.Query != "" {
			p += "?" + a.Query
		}
		b = append(b, `,"path":`...)
		b = AppendString(b, cut(p, AuditMaxPath))
	} else {
		b = append(b, `,"path_template":`...)
		b = AppendString(b, a.Template)
	}
	b = append(b, `,"decision":`...)
	b = AppendString(b, a.Decision)
	if a.Reason != "" {
		b = append(b, `,"reason":`...)
		b = AppendString(b, string(a.Reason))
	}
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(a.Status), 10)
	if a.Subject != "" {
		b = append(b, `,"subject":`...)
		b = AppendString(b, a.Subject)
	}
	b = append(b, '}')
	return string(b)
}

// cut returns s's first n bytes (a multi-byte character cut in two is
// written as U+FFFD by AppendString).
func cut(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
