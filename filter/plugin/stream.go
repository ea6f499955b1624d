package plugin

import (
	"github.com/apiguard/apiguard/filter/policy"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/route"
)

const (
	reqHeaders  = proxy.MapRequestHeaders
	respHeaders = proxy.MapResponseHeaders
)

// decision is what became of a request, for metrics and the audit line.
type decision uint8

const (
	decisionNone decision = iota
	decisionAllow
	decisionDeny
)

// stream is one HTTP stream context. It runs DESIGN.md's "Order of checks":
// steps 1-11 in the request-headers phase, step 12 in the body phase, and
// the response steps on the way back. Each step is one method, so each
// feature fills in its own.
type stream struct {
	p    *Plugin
	r    *root
	id   uint32
	host proxy.Host

	route     *policy.Route
	params    route.Params
	requestID string

	// replied is set once the filter answered the client itself: its own
	// local reply then passes back through the response callbacks untouched.
	replied  bool
	decision decision
	reason   problem.Reason
	status   int
	reported bool // an enforce:false policy would have refused
}

func newStream(p *Plugin, r *root, id uint32) *stream {
	return &stream{p: p, r: r, id: id, host: p.host}
}

// run executes one stream callback. A stream without a configured root
// fails closed, and a panic is recovered into a 500 refusal, so nothing
// unchecked passes and the VM survives.
func (s *stream) run(export string, f func(*stream) proxy.Action) (action proxy.Action) {
	defer func() {
		if v := recover(); v != nil {
			s.host.Log(proxy.LogCritical, "apiguard: panic in "+export+": "+panicText(v))
			action = s.fail()
		}
	}()
	if s.r == nil || s.r.policy == nil {
		s.host.Log(proxy.LogCritical, "apiguard: stream without a configured plugin context")
		return s.fail()
	}
	if s.replied {
		// Our own local reply travelling through the encoder callbacks.
		return proxy.Continue
	}
	return f(s)
}

// guard runs a callback without a result under the same recovery.
func (s *stream) guard(export string, f func()) {
	defer func() {
		if v := recover(); v != nil {
			s.host.Log(proxy.LogCritical, "apiguard: panic in "+export+": "+panicText(v))
		}
	}()
	if s.r != nil && s.r.policy != nil {
		f()
	}
}

func panicText(v any) string {
	switch e := v.(type) {
	case error:
		return e.Error()
	case string:
		return e
	}
	return "unknown panic value"
}

// fail answers 500 once; later callbacks of the stream just stop.
func (s *stream) fail() proxy.Action {
	if !s.replied {
		s.sendRefusal(500, problem.ReasonInternal, nil)
	}
	return proxy.StopIteration
}

// onRequestHeaders runs steps 1 to 11 of the order of checks.
func (s *stream) onRequestHeaders(endOfStream bool) proxy.Action {
	pol := s.r.policy
	s.r.metrics.inc(metricRequests)
	s.requestID, _ = s.host.GetHeaderMapValue(reqHeaders, "x-request-id")

	// 1. Header hygiene. Runs before a route is known and always applies.
	for _, name := range pol.StripHeaders {
		s.host.RemoveHeaderMapValue(reqHeaders, name)
	}

	// 2. Route match.
	method, _ := s.host.GetHeaderMapValue(reqHeaders, ":method")
	rawPath, _ := s.host.GetHeaderMapValue(reqHeaders, ":path")
	path, _ := route.SplitPath(rawPath)
	rt, params, ok := pol.Match(method, path)
	if !ok {
		return s.refuse(404, problem.ReasonRouteNotFound, nil)
	}
	s.route, s.params = rt, params

	// Steps 3 (require_tls) to 11 (rate limits) land with their features.

	return s.allow()
}

func (s *stream) onRequestBody(bodySize int, endOfStream bool) proxy.Action {
	// 12. Body checks land with request protection.
	return proxy.Continue
}

func (s *stream) onRequestTrailers() proxy.Action { return proxy.Continue }

// onResponseHeaders applies the response steps to upstream's answer.
func (s *stream) onResponseHeaders(endOfStream bool) proxy.Action {
	if v, st := s.host.GetHeaderMapValue(respHeaders, ":status"); st == proxy.StatusOK {
		s.status = atoi(v)
	}
	if s.r.policy.SecurityHeaders {
		s.securityHeaders()
	}
	return proxy.Continue
}

func (s *stream) onResponseBody(bodySize int, endOfStream bool) proxy.Action {
	return proxy.Continue
}

func (s *stream) onResponseTrailers() proxy.Action { return proxy.Continue }

func (s *stream) onLog() {
	if s.decision == decisionNone && !s.replied {
		// A stream that ended before its headers were checked (reset).
		return
	}
	if s.r.policy.AuditLog {
		s.auditLine()
	}
}

// allow records that the request passed the header-phase checks.
func (s *stream) allow() proxy.Action {
	s.decision = decisionAllow
	s.r.metrics.inc(metricAllowed)
	return proxy.Continue
}

// refuse applies a failed check. Steps 1 and 2 always enforce; later steps of
// a policy with enforce:false only log and count (report-only).
func (s *stream) refuse(status int, reason problem.Reason, extra []proxy.Pair) proxy.Action {
	if s.route != nil && !s.route.Enforce {
		s.reported = true
		s.reason = reason
		s.r.metrics.report(reason)
		s.p.logDeny(s.routeName(), status, string(reason), s.requestID, true)
		return proxy.Continue
	}
	s.sendRefusal(status, reason, extra)
	return proxy.StopIteration
}

// sendRefusal is the one place a refusal leaves the filter.
func (s *stream) sendRefusal(status int, reason problem.Reason, extra []proxy.Pair) {
	s.replied = true
	s.decision = decisionDeny
	s.reason = reason
	s.status = status
	headers := make([]proxy.Pair, 0, 4+len(extra))
	headers = append(headers, proxy.Pair{Key: "content-type", Value: problem.ContentType})
	if s.r == nil || s.r.policy == nil || s.r.policy.SecurityHeaders {
		headers = append(headers, securityHeaderPairs...)
		headers = append(headers, proxy.Pair{Key: "cache-control", Value: "no-store"})
	}
	headers = append(headers, extra...)
	body := problem.Body(status, s.requestID)
	s.host.SendLocalResponse(uint32(status), "apiguard_"+string(reason), body, headers, -1)
	if s.r != nil {
		s.r.metrics.deny(reason)
	}
	s.p.logDeny(s.routeName(), status, string(reason), s.requestID, false)
}

func (s *stream) routeName() string {
	if s.route == nil {
		return "-"
	}
	return s.route.Name
}

var securityHeaderPairs = []proxy.Pair{
	{Key: "strict-transport-security", Value: "max-age=31536000"},
	{Key: "x-content-type-options", Value: "nosniff"},
}

// securityHeaders adds HSTS and nosniff to upstream's response and removes
// the headers that fingerprint the upstream.
func (s *stream) securityHeaders() {
	for _, h := range securityHeaderPairs {
		s.host.ReplaceHeaderMapValue(respHeaders, h.Key, h.Value)
	}
	s.host.RemoveHeaderMapValue(respHeaders, "server")
	s.host.RemoveHeaderMapValue(respHeaders, "x-powered-by")
}

// atoi parses a small non-negative decimal such as a :status; 0 otherwise.
func atoi(v string) int {
	n := 0
	if len(v) == 0 || len(v) > 9 {
		return 0
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}
