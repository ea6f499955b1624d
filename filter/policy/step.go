package policy

import (
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/route"
)

// Step is step 2's verdict on a request (docs/order-of-checks.md): the
// route it goes on under (Status 0), or the refusal and the route it
// belongs to (its CORS and deprecation headers go with it, and logs name
// it). A refusal whose Match is ReportOnly is only reported.
type Step struct {
	Match
	Status  int
	Reason  problem.Reason
	Headers []httpx.Pair // the 405's Allow
	// Answer says the route answers the request's CORS preflight in step 4;
	// WrongMethod that the preflight asks for a method none of the path's
	// routes lists, refused in step 4, enforced when EnforceRefusal.
	// RefuseNow says that refusal is sent in step 2 (Status 403; the reason
	// is edge's, which judges the origin): the route is report-only and
	// would only report it, yet another route of the path enforces.
	Answer, WrongMethod, EnforceRefusal, RefuseNow bool
}

// Step matches a request (Lookup), a CORS preflight with the method it
// asks for (preflight, when isPreflight) as docs/configuration.md
// "routes" and "cors" say: when that method's route has cors, it answers
// in step 4. When the path matches routes none of which lists that
// method, the first of them with cors refuses the preflight in step 4
// (403), enforced unless every route of the path is report-only. A path
// that matches a route only when case is ignored is refused (404).
// Anything else is no preflight this filter answers (a route without
// cors, no route): the OPTIONS request is matched as what it is.
func (p *Policy) Step(method, preflight string, isPreflight bool, path string) Step {
	if isPreflight {
		m := p.Lookup(preflight, path)
		switch m.Outcome {
		case route.Matched:
			if m.Route.CORS != nil {
				return Step{Match: m, Answer: true}
			}
		case route.WrongMethod:
			if rt, params, ok := p.CORSRoute(path); ok {
				v := Step{Match: Match{Outcome: route.Matched, Route: rt, Params: params},
					Answer: true, WrongMethod: true, EnforceRefusal: !m.ReportOnly}
				if v.EnforceRefusal && !rt.Enforce {
					v.Status, v.RefuseNow = 403, true
				}
				return v
			}
		case route.WrongCase:
			return Step{Match: m, Status: 404, Reason: problem.ReasonRouteCaseMismatch}
		}
	}
	m := p.Lookup(method, path)
	switch m.Outcome {
	case route.Matched:
		return Step{Match: m}
	case route.WrongMethod:
		return Step{Match: m, Status: 405, Reason: problem.ReasonMethodNotAllowed,
			Headers: []httpx.Pair{{Key: "allow", Value: p.Allow(path)}}}
	case route.WrongCase:
		return Step{Match: m, Status: 404, Reason: problem.ReasonRouteCaseMismatch}
	}
	return Step{Match: m, Status: 404, Reason: problem.ReasonRouteNotFound}
}
