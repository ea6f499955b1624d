package plugin

import (
	"github.com/apiguard/apiguard/filter/authn"
	"github.com/apiguard/apiguard/filter/edge"
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/policy"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/ratelimit"
	"github.com/apiguard/apiguard/filter/reqcheck"
	"github.com/apiguard/apiguard/filter/respcheck"
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

// result is what one check step says.
type result uint8

const (
	// next: the step passed; run the next one.
	next result = iota
	// stop: the step answered (a refusal was sent, or a report-only policy
	// recorded a would-be refusal and lets the request go): no later check
	// runs.
	stop
	// wait: the step waits on a callout or a tick; the pipeline resumes at
	// the same step when stream.resume is called.
	wait
)

// headerSteps are steps 3 to 11 of docs/order-of-checks.md's "Order of checks", run in the
// request-headers phase after hygiene (1) and the route match (2). Each step
// lives in the file of its feature.
var headerSteps = [...]func(*stream) result{
	(*stream).stepRequireTLS,      // 3  tls.go
	(*stream).stepCORSPreflight,   // 4  cors.go
	(*stream).stepSunset,          // 5  deprecation.go
	(*stream).stepForbiddenQuery,  // 6  request.go
	(*stream).stepDeclaredLength,  // 7  request.go
	(*stream).stepFailedAuthLimit, // 8  ratelimit.go
	(*stream).stepAuthenticate,    // 9  auth.go
	(*stream).stepAuthorize,       // 10 auth.go
	(*stream).stepRateLimits,      // 11 ratelimit.go
}

// stream is one HTTP stream context. Each feature keeps its per-stream state
// in its own field, defined in its own file.
type stream struct {
	p    *Plugin
	r    *root
	id   uint32
	host proxy.Host

	// req is the request as read once in the request-headers phase.
	req    httpx.Request
	route  *policy.Route
	params route.Params
	// identity is step 9's verdict: the verified credential's claims (a
	// token's payload or an API key entry's), nil for an anonymous
	// request. Steps 10 to 12, rate-limit keys and the audit line read it;
	// treat it as read-only (cached tokens share it).
	identity *jsonx.Value

	// step is the next header step to run; waiting says the pipeline is
	// paused on a callout.
	step    int
	waiting bool
	// checked says every header step passed (or reported).
	checked bool

	// replied is set once the filter answered the client itself: its own
	// local reply then passes back through the response callbacks untouched.
	replied bool
	// replyLost says the host refused that local reply: the stream was reset
	// instead, and every later callback stops, since nothing of our own
	// travels through them.
	replyLost bool

	decision decision
	reason   problem.Reason
	status   int
	reported bool // an enforce:false policy would have refused

	auth  authn.State
	rl    ratelimit.Stream
	body  reqcheck.Body
	resp  respcheck.Inspection
	edge  edge.Request
	authd bool // a credential was verified (security headers: no-store)
	// violations are the schema violations a 400 lists with
	// errors.validation_details (problem.RefusalBody), nil otherwise.
	violations []problem.Violation
}

func newStream(p *Plugin, r *root, id uint32) *stream {
	s := p.streams.Recycled() // the last deleted stream's 850 bytes, or new ones
	*s = stream{p: p, r: r, id: id, host: p.host}
	return s
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
	if s.replied {
		// Our own local reply travelling through the encoder callbacks
		// (checked first: a stream without a plugin context answered 500,
		// and that answer must reach the client).
		if s.replyLost {
			return proxy.StopIterationNoBuffer
		}
		return proxy.Continue
	}
	if s.r == nil || s.r.policy == nil {
		s.host.Log(proxy.LogCritical, "apiguard: stream without a configured plugin context")
		return s.fail()
	}
	return f(s)
}

// guard runs a callback without a result (the access-log phase) under
// recovery. The stream is over by then, so a panic is only logged: there is
// nothing left to refuse, and a local reply would target a finished stream.
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

// onRequestHeaders runs steps 1 and 2, then the header steps.
//
// The request headers are read once, as pairs (each hostcall that returns
// bytes costs the host a call into the module's allocator on top of its
// own): x-request-id, :method and :path come from them, step 1 checks and
// strips them, and authentication searches what step 1 left
// (s.req.Headers).
func (s *stream) onRequestHeaders(endOfStream bool) proxy.Action {
	s.r.metrics.Inc(metricRequests)
	pairs, st := s.host.GetHeaderMapPairs(reqHeaders)
	var rawPath string
	if st == proxy.StatusOK {
		s.req.RequestID, s.req.Method, rawPath, s.req.HeaderBytes = httpx.RequestLine(pairs)
	}
	s.req.Path, s.req.Query = route.SplitPath(rawPath)
	s.body.EndOfStream = endOfStream

	// 1. Header hygiene: before a route is known, always enforced.
	if s.hygiene(rawPath, pairs, st == proxy.StatusOK) == stop {
		return proxy.StopIteration
	}

	// 2. Route match (405 and 404 included).
	s.req.MatchPath = reqcheck.DecodeUnreserved(s.req.Path)
	if s.stepRoute() == stop {
		s.step = len(headerSteps)
		if s.replied {
			return proxy.StopIteration
		}
		return s.passHeaders() // a report-only refusal
	}
	return s.runHeaderSteps()
}

// stepRoute is step 2 (policy.Policy.Step): the route of the request, or
// its refusal (405, 404), on behalf of the route it belongs to. When every
// route concerned is report-only the refusal is only reported and the
// request goes on under that route; otherwise it is sent even if that
// route itself is report-only. Routes are matched on MatchPath.
func (s *stream) stepRoute() result {
	c := &s.edge
	method, preflight := c.PreflightMethod(&s.req)
	v := s.r.policy.Step(s.req.Method, method, preflight, s.req.MatchPath)
	s.route, s.params = v.Route, v.Params
	c.Answer, c.WrongMethod, c.EnforceRefusal = v.Answer, v.WrongMethod, v.EnforceRefusal
	switch {
	case v.Status == 0:
		return next
	case v.RefuseNow:
		s.loadEdge()
		c.Preflight = true
		s.sendRefusal(v.Status, c.WrongMethodReason(), nil)
		return stop
	}
	if s.route != nil {
		s.loadEdge()
	}
	if v.ReportOnly {
		return s.refuse(v.Status, v.Reason, v.Headers)
	}
	s.sendRefusal(v.Status, v.Reason, v.Headers)
	return stop
}

// runHeaderSteps runs (or resumes) steps 3 to 11 and decides what the
// headers do next: go upstream, or wait for the body checks of step 12.
func (s *stream) runHeaderSteps() proxy.Action {
	for s.step < len(headerSteps) {
		switch headerSteps[s.step](s) {
		case next:
			s.step++
		case stop:
			s.step = len(headerSteps)
			if s.replied {
				return proxy.StopIteration
			}
			return s.passHeaders()
		case wait:
			s.waiting = true
			return proxy.StopIteration
		}
	}
	return s.passHeaders()
}

// resume continues a pipeline that waited on a callout or tick, from the
// root context after switching to this stream.
func (s *stream) resume() {
	if !s.waiting || s.replied {
		return
	}
	s.waiting = false
	if s.runHeaderSteps() == proxy.Continue && !s.replied {
		s.host.ContinueStream(proxy.StreamRequest)
	}
}

// passHeaders is reached when every header step passed or a report-only
// policy let the request go.
func (s *stream) passHeaders() proxy.Action {
	if !s.checked {
		s.checked = true
		if !s.reported {
			s.decision = decisionAllow
			s.r.metrics.Inc(metricAllowed)
		}
		s.addRequestHeaders()
		s.prepareResponseInspection() // response.go
		s.releaseHeaders()
	}
	// Now, or held for the body checks of step 12 (request.go).
	return s.bodyNext(s.body.Headers(s.reported, s.r.policy.HoldHeaders))
}

// onRequestBody is step 12 (reqcheck.Body.Chunk: streaming cap, JSON
// validation, body_owner; request.go runs it).
func (s *stream) onRequestBody(bodySize int, endOfStream bool) proxy.Action {
	if s.waiting {
		// Headers are still being checked (a callout is in flight): the
		// body checks record what arrives and judge it after the verdict.
		return bodyActions[s.body.WhileWaiting(bodySize, endOfStream, s.enforced())]
	}
	return s.bodyNext(s.body.Chunk(bodySize, endOfStream))
}

// onRequestTrailers ends a body that trailers follow.
func (s *stream) onRequestTrailers() proxy.Action {
	if s.waiting {
		return bodyActions[s.body.TrailersWhileWaiting()]
	}
	return s.bodyNext(s.body.Trailers())
}

// onResponseHeaders applies the response steps to upstream's answer.
func (s *stream) onResponseHeaders(endOfStream bool) proxy.Action {
	v, st := s.host.GetHeaderMapValue(respHeaders, ":status")
	if st != proxy.StatusOK {
		// Without the status the filter cannot tell an upstream 5xx (whose
		// body must not be forwarded) from any other answer.
		s.sendRefusal(502, problem.ReasonInternal, nil)
		return proxy.StopIteration
	}
	s.status = httpx.ParseStatus(v)
	if a, done := s.responseChecks(endOfStream); done { // response.go: 5xx, inspection
		return a
	}
	s.decorateResponse()
	if s.resp.Held {
		return proxy.StopIteration // until the body is inspected
	}
	return proxy.Continue
}

// decorateResponse adds the headers every checked response carries: CORS,
// deprecation, rate limit, then security headers.
func (s *stream) decorateResponse() {
	s.edgeResponseHeaders()
	s.rateLimitHeaders()
	if s.r.policy.SecurityHeaders {
		s.securityHeaders()
	}
}

func (s *stream) onLog() {
	if s.decision == decisionNone && !s.replied && !s.reported {
		// A stream that ended before its headers were checked (reset).
		return
	}
	if s.r.policy.AuditLog {
		s.auditLine()
	}
}
