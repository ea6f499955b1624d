package plugin

import (
	"github.com/apiguard/apiguard/filter/edge"
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// The edge features, CORS and deprecation (steps 2, 4, 5 and every
// answer): filter/edge decides (edge.Request: the origin's verdict, the
// preflight's, the headers of every answer; policy.Policy.Step routes
// preflights); this file applies what they say.

// loadEdge loads the current route's compiled edge policies and judges the
// request's Origin against its cors (edge.Request.Load).
func (s *stream) loadEdge() { s.edge.Load(s.route.CORS, s.route.Deprecation, &s.req) }

// stepCORSPreflight is step 4: a CORS preflight whose route step 2 chose
// for it is answered here (204 or 403); the route's require_tls already
// applied in step 3. A preflight carries no credential and needs none;
// with enforce:false an allowed preflight is still answered, and a refused
// one is reported and goes on. A preflight for a method none of the path's
// routes lists is refused whatever the route's cors allows.
func (s *stream) stepCORSPreflight() result {
	if !s.edge.Answer {
		return next
	}
	echo, refused, enforced := s.edge.PreflightStep(&s.req)
	switch {
	case enforced:
		s.sendRefusal(403, refused, nil)
		return stop
	case refused != "":
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
	s.host.SendLocalResponse(204, edge.DetailsPreflight, nil, hs, -1)
	s.r.metrics.Inc(metricAllowed)
	s.r.metrics.Inc(edge.MetricPreflight)
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
