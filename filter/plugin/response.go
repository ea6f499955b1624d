package plugin

import (
	"sync"

	"errors"
	"strconv"
	"strings"

	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/policy"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/redact"
)

// Response protection (DESIGN.md `response`, `errors`; "Upstream's response
// then gets: 5xx sanitising, response inspection"). The response-headers
// phase sanitises upstream 5xx and decides what becomes of the response:
// passed untouched (no rules, pass_types, no body), refused (502), or held
// and buffered until complete, then rewritten by filter/redact in one pass.

const (
	// metricSanitized5xx counts upstream 5xx answered with the filter's
	// generic problem+json.
	metricSanitized5xx = "apiguard.upstream_5xx_sanitized"
	// detailsSanitized5xx is the response code details of that answer. It
	// does not start with "apiguard_", the prefix of refusals: the request
	// was allowed, only the upstream's error body is hidden.
	detailsSanitized5xx = "upstream_5xx_sanitized"
	// maxPooledResponse bounds the output buffer a pooled rewriter keeps,
	// so one huge response does not pin its memory for the life of the VM.
	maxPooledResponse = 1 << 20
)

// redactionsMetric is the per-route counter of redacted values.
func redactionsMetric(route string) string { return "apiguard.route." + route + ".redactions" }

// responseState is the per-stream response-inspection state.
type responseState struct {
	rules *routeResponse // the route's response rules while inspecting
	// inspect: the body is buffered and rewritten at its end.
	inspect bool
	// held: the response headers wait for the body verdict (hold_headers).
	held bool
	// untyped: the response had no Content-Type (JSON only if it parses).
	untyped bool
	// done: the body verdict was given; later callbacks pass.
	done bool
}

// responseRoot is the plugin-wide response state: each route's compiled
// rules, by policy.Route.Index (nil for routes without `response`).
type responseRoot struct {
	policy *policy.Policy
	routes []*routeResponse
}

// routeResponse is one route's compiled `response`.
type routeResponse struct {
	rules     *redact.Rules
	maxBody   int64
	passTypes []string
	metric    string // the route's redactions counter
	metricID  uint32
	hasMetric bool
}

// configureResponse compiles every route's response rules once per
// configuration and defines the redaction counters.
func (r *root) configureResponse() error {
	r.resp = compileResponse(r)
	return nil
}

func compileResponse(r *root) *responseRoot {
	pol := r.policy
	rr := &responseRoot{policy: pol, routes: make([]*routeResponse, pol.NumRoutes())}
	for i := range rr.routes {
		rt := pol.Route(i)
		if rt == nil || rt.Config.Response == nil {
			continue
		}
		resp := rt.Config.Response
		c := &routeResponse{
			rules:     redact.Compile(resp),
			maxBody:   resp.MaxBodyBytes,
			passTypes: resp.PassTypes,
			metric:    redactionsMetric(rt.Name),
		}
		c.metricID, c.hasMetric = r.metrics.define(c.metric)
		rr.routes[i] = c
	}
	return rr
}

// routeRules returns the response rules of the stream's route, or nil.
func (s *stream) routeRules() *routeResponse {
	if s.route == nil || s.route.Config.Response == nil {
		return nil
	}
	routes := s.r.resp.routes
	if s.route.Index >= len(routes) {
		return nil
	}
	return routes[s.route.Index]
}

// prepareResponseInspection edits the request of a route with `response`
// rules once its header checks passed: no Range or If-Range (a 206 cannot
// be inspected as a whole) and Accept-Encoding: identity (the filter does
// not decompress). passHeaders calls it at the end of the request-header
// checks. A report-only route's request goes on untouched.
func (s *stream) prepareResponseInspection() {
	if s.route == nil || s.route.Config.Response == nil || !s.route.Enforce {
		return
	}
	s.host.RemoveHeaderMapValue(reqHeaders, "range")
	s.host.RemoveHeaderMapValue(reqHeaders, "if-range")
	s.host.ReplaceHeaderMapValue(reqHeaders, "accept-encoding", "identity")
}

// responseChecks runs in the response-headers phase: 5xx sanitising and the
// decision to inspect, pass or refuse the response. done says it answered.
func (s *stream) responseChecks(endOfStream bool) (proxy.Action, bool) {
	if s.r.policy.SanitizeUpstream5xx && s.status >= 500 && s.status <= 599 {
		s.sanitize5xx()
		return proxy.StopIteration, true
	}
	rr := s.routeRules()
	if rr == nil || endOfStream {
		// No rules, or no body: nothing can leak.
		return proxy.Continue, false
	}
	pairs, st := s.host.GetHeaderMapPairs(respHeaders)
	if st != proxy.StatusOK {
		return s.refuseResponse(problem.ReasonInternal)
	}
	var ctype, clen string
	types, encoded := 0, false
	for _, p := range pairs {
		switch strings.ToLower(p.Key) {
		case "content-type":
			ctype = p.Value
			types++
		case "content-encoding":
			encoded = encoded || !identityEncoding(p.Value)
		case "content-length":
			clen = p.Value
		}
	}
	mt := mediaType(ctype)
	if types == 1 && mt != "" && rr.passes(mt) {
		return proxy.Continue, false // untouched and unbuffered
	}
	switch {
	case s.status == 206:
		return s.refuseResponse(problem.ReasonResponsePartial)
	case encoded:
		return s.refuseResponse(problem.ReasonResponseCompressed)
	case types > 1 || mt != "" && !jsonType(mt):
		return s.refuseResponse(problem.ReasonResponseNotJSON)
	}
	if n, err := strconv.ParseInt(strings.TrimSpace(clen), 10, 64); clen != "" && err == nil && n > rr.maxBody {
		return s.refuseResponse(problem.ReasonResponseTooLarge)
	}
	s.resp = responseState{rules: rr, inspect: true, untyped: mt == ""}
	if s.enforced() {
		// The body will change: its length is unknown until it is read. A
		// stale length would frame a rewritten body wrongly (a longer mask
		// would spill into the connection's next response).
		if s.host.RemoveHeaderMapValue(respHeaders, "content-length") != proxy.StatusOK {
			return s.refuseResponse(problem.ReasonInternal)
		}
		s.resp.held = s.r.policy.HoldHeaders
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
	headers := make([]proxy.Pair, 0, 6)
	headers = append(headers, proxy.Pair{Key: "content-type", Value: problem.ContentType})
	if s.r.policy.SecurityHeaders {
		headers = append(headers, securityHeaderPairs...)
		headers = append(headers, proxy.Pair{Key: "cache-control", Value: "no-store"})
	}
	headers = append(headers, s.refusalHeaders()...)
	s.sendLocal(s.status, detailsSanitized5xx, problem.Body(s.status, s.requestID), headers)
	s.r.metrics.inc(metricSanitized5xx)
}

// responseHeadersVerdict says whether response headers go on or are held
// while the body is inspected.
func (s *stream) responseHeadersVerdict(endOfStream bool) proxy.Action {
	if s.resp.held {
		return proxy.StopIteration
	}
	return proxy.Continue
}

// responseBody buffers an inspected response until it is complete, within
// max_body_bytes, then rewrites it.
func (s *stream) responseBody(bodySize int, endOfStream bool) proxy.Action {
	if !s.resp.inspect || s.resp.done {
		return proxy.Continue
	}
	if int64(bodySize) > s.resp.rules.maxBody {
		return s.refuseBody(problem.ReasonResponseTooLarge)
	}
	if !endOfStream {
		return proxy.StopIterationAndBuffer
	}
	return s.finishResponse(bodySize)
}

// responseTrailers ends a response body that trailers follow.
func (s *stream) responseTrailers() proxy.Action {
	if !s.resp.inspect || s.resp.done {
		return proxy.Continue
	}
	size, _, st := s.host.GetBufferStatus(proxy.BufferResponseBody)
	if st != proxy.StatusOK {
		return s.refuseBody(problem.ReasonInternal)
	}
	if int64(size) > s.resp.rules.maxBody {
		return s.refuseBody(problem.ReasonResponseTooLarge)
	}
	return s.finishResponse(size)
}

// refuseBody refuses from a body or trailers callback: a clean 502 when
// the headers were held, a reset once they have gone (Envoy resets a
// stream whose headers were sent when a local reply comes). On a
// report-only policy the response goes on untouched.
func (s *stream) refuseBody(reason problem.Reason) proxy.Action {
	s.resp.done = true
	s.refuse(502, reason, nil)
	if s.replied {
		return proxy.StopIterationNoBuffer
	}
	return proxy.Continue
}

// responseScratch is the reusable memory of one rewrite.
type responseScratch struct {
	w   redact.Rewriter
	out []byte
}

var scratchPool = sync.Pool{New: func() any { return new(responseScratch) }}

// finishResponse rewrites the complete body of size bytes (allow, then
// redact) and replaces it. A body that does not parse is refused; an empty
// one carries nothing and passes.
func (s *stream) finishResponse(size int) proxy.Action {
	s.resp.done = true
	if size == 0 {
		return proxy.Continue
	}
	body, st := s.host.GetBufferBytes(proxy.BufferResponseBody, 0, size)
	if st != proxy.StatusOK || len(body) != size {
		return s.refuseBody(problem.ReasonInternal)
	}
	sc := scratchPool.Get().(*responseScratch)
	defer func() {
		if cap(sc.out) > maxPooledResponse {
			sc.out = nil
		}
		scratchPool.Put(sc)
	}()
	rr := s.resp.rules
	out, stats, err := sc.w.Rewrite(rr.rules, sc.out[:0], body)
	if err != nil {
		return s.refuseBody(s.parseReason(err))
	}
	if stats.Changed {
		sc.out = out
	}
	if stats.Redactions > 0 && rr.hasMetric {
		s.host.IncrementMetric(rr.metricID, int64(stats.Redactions))
	}
	if !s.enforced() || !stats.Changed {
		return proxy.Continue
	}
	if s.host.SetBufferBytes(proxy.BufferResponseBody, 0, size, out) != proxy.StatusOK {
		return s.refuseBody(problem.ReasonInternal)
	}
	return proxy.Continue
}

// parseReason names why a body was refused. An untyped body that does not
// parse is simply not JSON.
func (s *stream) parseReason(err error) problem.Reason {
	var je *jsonx.Error
	switch {
	case errors.As(err, &je) && je.Reason == jsonx.ReasonDuplicateKey:
		return problem.ReasonResponseDuplicateKey
	case s.resp.untyped:
		return problem.ReasonResponseNotJSON
	}
	return problem.ReasonResponseInvalidJSON
}

// passes reports whether the media type mt is listed in pass_types.
func (rr *routeResponse) passes(mt string) bool {
	for _, t := range rr.passTypes {
		if t == mt {
			return true
		}
	}
	return false
}

// mediaType returns the lower-cased type/subtype of a Content-Type value,
// without parameters; "" when there is none.
func mediaType(v string) string {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	return strings.ToLower(strings.Trim(v, " \t"))
}

// jsonType reports whether a media type is JSON: application/json or any
// structured-syntax "+json" type (RFC 6839).
func jsonType(mt string) bool {
	t, sub, ok := strings.Cut(mt, "/")
	return ok && t != "" && (mt == "application/json" || len(sub) > len("+json") && strings.HasSuffix(sub, "+json"))
}

// identityEncoding reports whether a Content-Encoding value leaves the body
// as it is: only "identity" codings (or empty list elements).
func identityEncoding(v string) bool {
	for _, c := range strings.Split(v, ",") {
		c = strings.Trim(c, " \t")
		if c != "" && !strings.EqualFold(c, "identity") {
			return false
		}
	}
	return true
}
