package plugin

import (
	"github.com/apiguard/apiguard/filter/edge"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/route"
)

// Metric and local-reply names of the edge features.
const (
	// metricCORSPreflight counts preflights the filter answered with 204.
	metricCORSPreflight = "apiguard.cors_preflight"
	// detailsPreflight is the response code details of a preflight answer.
	// It deliberately does not start with "apiguard_", the prefix of
	// refusals.
	detailsPreflight = "cors_preflight"
)

var varyOrigin = proxy.Pair{Key: "vary", Value: "Origin"}

// edgeState is the per-stream state of the edge features: the route's
// compiled cors and deprecation, and what the request said about its
// origin. It is filled while the request headers are readable (steps 3
// and 4), because refusals and the response path need it after Envoy has
// taken the request headers away.
type edgeState struct {
	loaded bool // loadEdge ran for the current route

	cors *edge.CORS        // the route's cors, nil without
	dep  *edge.Deprecation // the route's deprecation, nil without

	originRead bool
	origin     string // Origin ("" when absent or empty)
	acrmRead   bool
	acrm       string // Access-Control-Request-Method on OPTIONS

	allowed   bool   // origin allowed by policy
	echo      string // Access-Control-Allow-Origin value when allowed
	preflight bool   // the request is a preflight answered by this route

	// answer says step 2 gave the stream the route that answers its
	// preflight in step 4; wrongMethod that the preflight asks for a method
	// none of the path's routes lists (refused in step 4), and
	// enforceRefusal that some of those routes enforce.
	answer, wrongMethod, enforceRefusal bool
}

// loadEdge loads the current route's compiled edge policies and judges the
// request's Origin against its cors.
func (s *stream) loadEdge() {
	c := &s.edge
	if c.loaded {
		return
	}
	c.loaded = true
	c.cors, c.dep, c.allowed, c.echo = s.route.CORS, s.route.Deprecation, false, ""
	if c.cors != nil {
		c.echo, c.allowed = c.cors.AllowOrigin(s.requestOrigin())
	}
}

// requestOrigin reads the Origin once. The attribute joins repeated
// headers with ",", which no configured origin contains, so a request
// sending several origins is never allowed.
func (s *stream) requestOrigin() string {
	c := &s.edge
	if !c.originRead {
		c.originRead = true
		c.origin = s.req.HeaderAll("origin")
	}
	return c.origin
}

// preflightMethod reports whether the request is a CORS preflight (OPTIONS
// with Origin and Access-Control-Request-Method) and returns the requested
// method.
func (s *stream) preflightMethod() (string, bool) {
	if s.req.Method != "OPTIONS" {
		return "", false
	}
	c := &s.edge
	if !c.acrmRead {
		c.acrmRead = true
		c.acrm = s.req.HeaderAll("access-control-request-method")
	}
	if c.acrm == "" || s.requestOrigin() == "" {
		return "", false
	}
	return c.acrm, true
}

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
	method, ok := s.preflightMethod()
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
		c.answer = true
		return next, true
	case route.WrongMethod:
		rt, params, ok := pol.CORSRoute(s.req.MatchPath)
		if !ok {
			return next, false
		}
		s.route, s.params = rt, params
		c.answer, c.wrongMethod, c.enforceRefusal = true, true, !m.ReportOnly
		if c.enforceRefusal && !rt.Enforce {
			// A report-only route would only report its own checks of
			// steps 3 and 4 and let the preflight go: refuse it now.
			s.loadEdge()
			c.preflight = true
			s.sendRefusal(403, c.wrongMethodReason(), nil)
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
	if !c.answer {
		return next
	}
	c.preflight = true
	if c.wrongMethod {
		if c.enforceRefusal {
			s.sendRefusal(403, c.wrongMethodReason(), nil)
			return stop
		}
		return s.refuse(403, c.wrongMethodReason(), nil)
	}
	echo, v := c.cors.Preflight(c.origin, c.acrm, s.req.HeaderAll("access-control-request-headers"))
	switch v {
	case edge.PreflightAllowed:
		return s.answerPreflight(echo)
	case edge.PreflightBadOrigin:
		return s.refuse(403, problem.ReasonCORSOrigin, nil)
	case edge.PreflightBadMethod:
		return s.refuse(403, problem.ReasonCORSMethod, nil)
	default:
		return s.refuse(403, problem.ReasonCORSHeader, nil)
	}
}

// wrongMethodReason is the reason of a preflight refused for asking for a
// method none of the path's routes lists: the origin first, as Preflight
// judges it.
func (c *edgeState) wrongMethodReason() problem.Reason {
	if !c.allowed {
		return problem.ReasonCORSOrigin
	}
	return problem.ReasonCORSMethod
}

// answerPreflight sends the 204. It is not a refusal: the stream is marked
// replied (so the reply passes the response callbacks untouched) and
// allowed.
func (s *stream) answerPreflight(echo string) result {
	p := s.edge.cors
	hs := make([]proxy.Pair, 0, 12)
	hs = append(hs,
		proxy.Pair{Key: "access-control-allow-origin", Value: echo},
		proxy.Pair{Key: "access-control-allow-methods", Value: p.AllowMethodsValue()})
	if v := p.AllowHeadersValue(); v != "" {
		hs = append(hs, proxy.Pair{Key: "access-control-allow-headers", Value: v})
	}
	if v := p.MaxAgeValue(); v != "" {
		hs = append(hs, proxy.Pair{Key: "access-control-max-age", Value: v})
	}
	if p.Credentials() {
		hs = append(hs, proxy.Pair{Key: "access-control-allow-credentials", Value: "true"})
	}
	hs = append(hs, varyOrigin)
	hs = s.appendDeprecationPairs(hs)
	if s.r.policy.SecurityHeaders {
		hs = append(hs, securityHeaderPairs...)
		hs = append(hs, proxy.Pair{Key: "cache-control", Value: "no-store"})
	}
	s.replied = true
	s.decision = decisionAllow
	s.status = 204
	s.host.SendLocalResponse(204, detailsPreflight, nil, hs, -1)
	s.r.metrics.inc(metricAllowed)
	s.r.metrics.inc(metricCORSPreflight)
	return stop
}

// corsResponseHeaders adds the allow-origin headers and Vary to upstream's
// response. On an enforced route the filter's decision replaces whatever
// upstream said: a disallowed origin gets no allow headers at all. A
// report-only route adds its headers but removes nothing.
func (s *stream) corsResponseHeaders() {
	c := &s.edge
	if c.cors == nil {
		return
	}
	enforce := s.enforced()
	if c.allowed {
		s.host.ReplaceHeaderMapValue(respHeaders, "access-control-allow-origin", c.echo)
	} else if enforce {
		s.host.RemoveHeaderMapValue(respHeaders, "access-control-allow-origin")
	}
	if c.allowed && c.cors.Credentials() {
		s.host.ReplaceHeaderMapValue(respHeaders, "access-control-allow-credentials", "true")
	} else if enforce {
		s.host.RemoveHeaderMapValue(respHeaders, "access-control-allow-credentials")
	}
	s.host.AddHeaderMapValue(respHeaders, varyOrigin.Key, varyOrigin.Value)
}

// corsRefusalHeaders are the route headers a refusal of this route
// carries, for both edge features: Vary: Origin and, for an allowed origin,
// the allow headers (so the caller's script can read the problem), then
// the deprecation headers. A refused preflight gets no allow headers.
func (s *stream) corsRefusalHeaders() []proxy.Pair {
	c := &s.edge
	if c.cors == nil && c.dep == nil {
		return nil
	}
	out := make([]proxy.Pair, 0, 6)
	if c.cors != nil {
		if c.allowed && !c.preflight {
			out = append(out, proxy.Pair{Key: "access-control-allow-origin", Value: c.echo})
			if c.cors.Credentials() {
				out = append(out, proxy.Pair{Key: "access-control-allow-credentials", Value: "true"})
			}
		}
		out = append(out, varyOrigin)
	}
	return s.appendDeprecationPairs(out)
}

// originAllowed reports whether the request's Origin is one the route's
// cors lists by name (exactly: scheme, host, port). `*` and `null` never
// count. Authentication asks this for cookie credentials on unsafe
// methods (docs/responses.md "Guarantees"); it is valid from step 3 on.
func (s *stream) originAllowed() bool {
	c := &s.edge
	return c.cors != nil && c.cors.Listed(c.origin)
}
