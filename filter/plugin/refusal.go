package plugin

import (
	"strconv"

	"github.com/apiguard/apiguard/filter/authn"
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/ratelimit"
)

// The refusal exit: every refusal of the filter, whatever step or feature
// decided it, leaves through refuse (refuseFor maps authn's verdicts,
// refuseLimit ratelimit's decisions; edge and reqcheck give a reason) and
// sendRefusal, with the headers every answer of the route carries.

// enforced says whether refusals of steps 3-12 are applied.
func (s *stream) enforced() bool { return s.route == nil || s.route.Enforce }

// refuse applies a failed check and returns stop. Steps 1 and 2 always
// enforce; on a policy with enforce:false later steps only log and count
// the would-be refusal, and the request goes on unchecked.
func (s *stream) refuse(status int, reason problem.Reason, extra []proxy.Pair) result {
	if !s.enforced() {
		s.reported = true
		s.reason = reason
		s.r.metrics.Report(reason)
		s.p.logDeny(s.r.id, s.routeName(), status, reason, s.req.RequestID, true)
		return stop
	}
	s.sendRefusal(status, reason, extra)
	return stop
}

// refuseFor maps a feature's verdict to the answer: next when it passes,
// otherwise the refusal with its status, reason and WWW-Authenticate
// challenge (refuse).
func (s *stream) refuseFor(v authn.Verdict) result {
	if v.Pass() {
		return next
	}
	return s.refuse(v.Status, v.Reason, v.Headers())
}

// refuseLimit counts what a limit decision says and maps it to the step's
// result: next when admitted, else its 429.
func (s *stream) refuseLimit(d ratelimit.Decision) result {
	var buf [3]string
	for _, m := range d.Metrics(buf[:0]) {
		s.r.metrics.Inc(m)
	}
	if d.Reason == "" {
		return next
	}
	return s.refuse(429, d.Reason, d.Headers)
}

// sendRefusal is the one place a refusal leaves the filter.
func (s *stream) sendRefusal(status int, reason problem.Reason, extra []proxy.Pair) {
	s.replied = true
	s.decision = decisionDeny
	s.reason = reason
	s.status = status
	security := s.r == nil || s.r.policy == nil || s.r.policy.SecurityHeaders
	headers := problem.Headers(security, extra, s.refusalHeaders())
	s.sendLocal(status, s.r.refusalDetails(reason), problem.RefusalBody(status, s.req.RequestID, s.violations), headers)
	if s.r != nil {
		s.r.metrics.Deny(reason)
	}
	s.p.logDeny(s.r.id, s.routeName(), status, reason, s.req.RequestID, false)
}

// refusalDetails is problem.Details, built once per reason and root
// (problem.DetailsCache). A stream without a root builds it each time.
func (r *root) refusalDetails(reason problem.Reason) string {
	if r == nil {
		return problem.Details(reason)
	}
	return r.details.Details(reason)
}

// sendLocal answers the client from the filter. Should the host refuse the
// reply, the stream is reset instead: a refusal that is not sent must not
// leave the stream to go on with what it refused (run stops every later
// callback).
func (s *stream) sendLocal(status int, details string, body []byte, headers []proxy.Pair) {
	s.replied = true
	st := s.host.SendLocalResponse(uint32(status), details, body, headers, -1)
	if st == proxy.StatusOK {
		return
	}
	s.replyLost = true
	s.host.Log(proxy.LogCritical, "apiguard: local reply "+strconv.Itoa(status)+" refused by the host ("+st.String()+"); resetting the stream")
	s.host.CloseStream(proxy.StreamRequest)
}

// refusalHeaders are the route headers every refusal of a checked route
// carries (CORS, Vary, deprecation: edge.Request.RefusalHeaders).
func (s *stream) refusalHeaders() []proxy.Pair {
	if s.route == nil {
		return nil
	}
	return s.edge.RefusalHeaders()
}

func (s *stream) routeName() string {
	if s.route == nil {
		return "-"
	}
	return s.route.Name
}

// securityHeaders adds HSTS and nosniff to upstream's response, no-store on
// authenticated responses, and removes the headers that fingerprint the
// upstream (problem.AppendResponseSecurity).
func (s *stream) securityHeaders() {
	var buf [5]httpx.Edit
	s.applyEdits(respHeaders, problem.AppendResponseSecurity(buf[:0], s.authd))
}
