package plugin

import (
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/respcheck"
)

// Response protection (docs/configuration.md `response`, `errors`; "Upstream's response
// then gets: 5xx sanitising, response inspection"). The response-headers
// phase sanitises upstream 5xx and decides what becomes of the response:
// passed untouched (no rules, pass_types, no body), refused (502), or held
// and buffered until complete, then rewritten by filter/redact in one pass.

// defineRedactionMetrics defines each route's redaction counter once per
// configuration, so that it shows (at zero) before any redaction.
func (r *root) defineRedactionMetrics() error {
	for _, name := range r.policy.RedactionMetrics() {
		r.metrics.Predefine(name)
	}
	return nil
}

// prepareResponseInspection edits the request of a route with `response`
// rules once its header checks passed: no Range or If-Range (a 206 cannot
// be inspected as a whole) and Accept-Encoding: identity (the filter does
// not decompress). passHeaders calls it at the end of the request-header
// checks. A report-only route's request goes on untouched.
func (s *stream) prepareResponseInspection() {
	if s.route == nil || s.route.Response == nil || !s.route.Enforce {
		return
	}
	s.host.RemoveHeaderMapValue(reqHeaders, "range")
	s.host.RemoveHeaderMapValue(reqHeaders, "if-range")
	s.host.ReplaceHeaderMapValue(reqHeaders, "accept-encoding", "identity")
}

// responseChecks runs in the response-headers phase: 5xx sanitising and the
// decision to inspect, pass or refuse the response. done says it answered.
func (s *stream) responseChecks(endOfStream bool) (proxy.Action, bool) {
	if respcheck.Sanitizes(s.r.policy.SanitizeUpstream5xx, s.status) {
		s.sanitize5xx()
		return proxy.StopIteration, true
	}
	plan := s.route.Response
	if plan == nil || endOfStream {
		// No rules, or no body: nothing can leak.
		return proxy.Continue, false
	}
	pairs, st := s.host.GetHeaderMapPairs(respHeaders)
	if st != proxy.StatusOK {
		return s.refuseResponse(problem.ReasonInternal)
	}
	v := plan.ClassifyHeaders(s.status, pairs)
	switch v.Action {
	case respcheck.Pass:
		return proxy.Continue, false // untouched and unbuffered
	case respcheck.Refuse:
		return s.refuseResponse(v.Reason)
	}
	s.resp = respcheck.Inspection{Plan: plan, Untyped: v.Untyped}
	if s.enforced() {
		// The body will change: its length is unknown until it is read. A
		// stale length would frame a rewritten body wrongly (a longer mask
		// would spill into the connection's next response).
		if s.host.RemoveHeaderMapValue(respHeaders, "content-length") != proxy.StatusOK {
			return s.refuseResponse(problem.ReasonInternal)
		}
		s.resp.Held = s.r.policy.HoldHeaders
	}
	return proxy.Continue, false
}

// refuseResponse refuses from the response-headers phase. Envoy sends the
// local reply straight to the client in place of upstream's headers. On a
// report-only policy the response goes on untouched.
func (s *stream) refuseResponse(reason problem.Reason) (proxy.Action, bool) {
	s.refuse(502, reason, nil)
	if s.replied {
		return proxy.StopIteration, true
	}
	return proxy.Continue, false
}

// sanitize5xx answers an upstream 5xx with the filter's generic
// problem+json of the same status, before any of its body is read. It is
// not a refusal (the request was allowed; the decision stays), and it is
// the top-level `errors` setting, so report-only policies get it too.
func (s *stream) sanitize5xx() {
	headers := problem.Headers(s.r.policy.SecurityHeaders, nil, s.refusalHeaders())
	s.sendLocal(s.status, respcheck.DetailsSanitized5xx, problem.Body(s.status, s.req.RequestID), headers)
	s.r.metrics.Inc(respcheck.MetricSanitized5xx)
}

// onResponseBody buffers an inspected response until it is complete,
// within max_body_bytes, then rewrites it (respcheck.Inspection.Body).
func (s *stream) onResponseBody(bodySize int, endOfStream bool) proxy.Action {
	return s.responseStep(s.resp.Body(bodySize, endOfStream), bodySize)
}

// onResponseTrailers ends a response body that trailers follow.
func (s *stream) onResponseTrailers() proxy.Action {
	if !s.resp.Active() {
		return proxy.Continue
	}
	size, _, st := s.host.GetBufferStatus(proxy.BufferResponseBody)
	if st != proxy.StatusOK {
		return s.refuseBody(problem.ReasonInternal)
	}
	return s.responseStep(s.resp.Body(size, true), size)
}

// responseStep does what the inspection asks of a body callback.
func (s *stream) responseStep(step respcheck.BodyStep, size int) proxy.Action {
	switch step {
	case respcheck.BodyBuffer:
		return proxy.StopIterationAndBuffer
	case respcheck.BodyTooLarge:
		return s.refuseBody(problem.ReasonResponseTooLarge)
	case respcheck.BodyRewrite:
		return s.finishResponse(size)
	}
	return proxy.Continue
}

// refuseBody refuses from a body or trailers callback: a clean 502 when
// the headers were held, a reset once they have gone (Envoy resets a
// stream whose headers were sent when a local reply comes). On a
// report-only policy the response goes on untouched.
func (s *stream) refuseBody(reason problem.Reason) proxy.Action {
	s.resp.Done = true
	s.refuse(502, reason, nil)
	if s.replied {
		return proxy.StopIterationNoBuffer
	}
	return proxy.Continue
}

// finishResponse validates and projects the complete body of size bytes
// against the schema of its status, rewrites it (allow, then redact) and
// replaces it (respcheck.Scratch.Finish). A schema violation is refused
// with 502 under schema_violation "refuse"; under "report" it is counted
// (apiguard.reported.response_schema), logged, and the projection goes
// on. A body that does not parse is refused; an empty one carries nothing
// and passes.
func (s *stream) finishResponse(size int) proxy.Action {
	s.resp.Done = true
	if size == 0 {
		return proxy.Continue
	}
	body, st := s.host.GetBufferBytes(proxy.BufferResponseBody, 0, size)
	if st != proxy.StatusOK || len(body) != size {
		return s.refuseBody(problem.ReasonInternal)
	}
	sc := respcheck.GetScratch()
	defer sc.Release()
	f := sc.Finish(&s.resp, s.status, body, s.enforced())
	if f.SchemaRefused {
		// A report-only policy only reports it (refuse does), and the
		// rewrite goes on.
		if a := s.refuseBody(problem.ReasonResponseSchema); s.replied {
			return a
		}
	} else if f.SchemaReported {
		s.r.metrics.Report(problem.ReasonResponseSchema)
		s.p.logDeny(s.r.id, s.routeName(), 502, problem.ReasonResponseSchema, s.req.RequestID, true)
	}
	if f.Refused != "" {
		return s.refuseBody(f.Refused)
	}
	if f.Redactions > 0 {
		s.r.metrics.AddDefined(s.resp.Plan.Metric, int64(f.Redactions))
	}
	if !f.Replace {
		return proxy.Continue
	}
	if s.host.SetBufferBytes(proxy.BufferResponseBody, 0, size, f.Out) != proxy.StatusOK {
		return s.refuseBody(problem.ReasonInternal)
	}
	return proxy.Continue
}
