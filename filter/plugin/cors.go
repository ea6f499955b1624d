package plugin

import (
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/route"
)

// The edge features, CORS and deprecation (steps 2, 4, 5 and every
// answer): filter/edge decides (edge.Request: the origin's verdict, the
// preflight's, the headers of every answer); this file routes preflights
// and applies what edge says.

// Metric and local-reply names of the edge features.
const (
	// metricCORSPreflight counts preflights the filter answered with 204.
	metricCORSPreflight = "apiguard.cors_preflight"
	// detailsPreflight is the response code details of a preflight answer.
	// It deliberately does not start with "apiguard_", the prefix of
	// refusals.
	detailsPreflight = "cors_preflight"
)

// loadEdge loads the current route's compiled edge policies and judges the
// request's Origin against its cors (edge.Request.Load).
func (s *stream) loadEdge() { s.edge.Load(s.route.CORS, s.route.Deprecation, &s.req) }

// preflightRoute is step 2 for a CORS preflight, matched with the method
// it asks about (docs/configuration.md "routes", "cors"). When that method's route has
// cors, it is the stream's route and answers in step 4. When the path
// matches routes none of which lists that method, the first of them with
// cors refuses the preflight in step 4 (403), enforced unless every route of
// the path is report-only (when that route is report-only but another route
// of the path enforces, it is refused here, before the route's own checks
// could only report). A path that matches a route only when case is
// ignored is refused (404). Anything else is no preflight this filter
// answers (a route without cors, no route): the OPTIONS request is matched
// as what it is (done false).
func (s *stream) preflightRoute() (res result, done bool) {
	method, ok := s.edge.PreflightMethod(&s.req)
	if !ok {
		return next, false
	}
	pol := s.r.policy
	m := pol.Lookup(method, s.req.MatchPath)
	c := &s.edge
	switch m.Outcome {
	case route.Matched:
		if m.Route.CORS == nil {
			return next, false
		}
		s.route, s.params = m.Route, m.Params
		c.Answer = true
		return next, true
	case route.WrongMethod:
		rt, params, ok := pol.CORSRoute(s.req.MatchPath)
		if !ok {
			return next, false
		}
		s.route, s.params = rt, params
		c.Answer, c.WrongMethod, c.EnforceRefusal = true, true, !m.ReportOnly
		if c.EnforceRefusal && !rt.Enforce {
			// A report-only route would only report its own checks of
			// steps 3 and 4 and let the preflight go: refuse it now.
			s.loadEdge()
			c.Preflight = true
			s.sendRefusal(403, c.WrongMethodReason(), nil)
			return stop, true
		}
		return next, true
	case route.WrongCase:
		return s.routeRefusal(m, 404, problem.ReasonRouteCaseMismatch, nil), true
	}
	return next, false
}

// stepCORSPreflight is step 4: a CORS preflight whose route step 2 chose
// for it is answered here (204 or 403); the route's require_tls already
// applied in step 3. A preflight carries no credential and needs none;
// with enforce:false an allowed preflight is still answered, and a refused
// one is reported and goes on. A preflight for a method none of the path's
// routes lists is refused whatever the route's cors allows.
func (s *stream) stepCORSPreflight() result {
	c := &s.edge
	if !c.Answer {
		return next
	}
	c.Preflight = true
	if c.WrongMethod {
		if c.EnforceRefusal {
			s.sendRefusal(403, c.WrongMethodReason(), nil)
			return stop
		}
		return s.refuse(403, c.WrongMethodReason(), nil)
	}
	echo, refused := c.PreflightVerdict(&s.req)
	if refused != "" {
		return s.refuse(403, refused, nil)
	}
	return s.answerPreflight(echo)
}

// answerPreflight sends the 204. It is not a refusal: the stream is marked
// replied (so the reply passes the response callbacks untouched) and
// allowed.
func (s *stream) answerPreflight(echo string) result {
	hs := problem.AppendSecure(s.edge.AppendPreflight(make([]proxy.Pair, 0, 12), echo), s.r.policy.SecurityHeaders)
	s.replied = true
	s.decision = decisionAllow
	s.status = 204
	s.host.SendLocalResponse(204, detailsPreflight, nil, hs, -1)
	s.r.metrics.inc(metricAllowed)
	s.r.metrics.inc(metricCORSPreflight)
	return stop
}

// edgeResponseHeaders applies the edge features' changes to upstream's
// response (edge.Request.AppendResponseEdits): CORS, then deprecation.
func (s *stream) edgeResponseHeaders() {
	var buf [8]httpx.Edit
	s.applyEdits(respHeaders, s.edge.AppendResponseEdits(buf[:0], s.enforced()))
}

// applyEdits applies a feature's header edits in order.
func (s *stream) applyEdits(m proxy.MapType, edits []httpx.Edit) {
	for _, e := range edits {
		switch e.Op {
		case httpx.Replace:
			s.host.ReplaceHeaderMapValue(m, e.Key, e.Value)
		case httpx.Remove:
			s.host.RemoveHeaderMapValue(m, e.Key)
		case httpx.Add:
			s.host.AddHeaderMapValue(m, e.Key, e.Value)
		}
	}
}
