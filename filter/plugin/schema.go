package plugin

import (
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/respcheck"
)

// Schemas (docs/schemas.md): the adapters between the stream and the
// decisions of reqcheck.BodySchema (step 12) and respcheck.Schemas (the
// response, before allow and redact).

// refusalBody is the problem+json of a refusal: with the violations of a
// schema refusal when errors.validation_details asked for them.
func (s *stream) refusalBody(status int) []byte {
	if s.violations != nil && status == 400 {
		return problem.BodyWithErrors(status, s.req.RequestID, s.violations)
	}
	return problem.Body(status, s.req.RequestID)
}

// responseSchema validates an inspected response body against the schema
// of its status and projects it (respcheck.Scratch.Project). src is what
// allow and redact apply to next (the projection, or body), projected says
// it differs from body. A violation is refused with 502 under
// schema_violation "refuse" (stop is then true and a the callback's
// action); under "report" it is counted (apiguard.reported.response_schema),
// logged, and the projection goes on. A body that does not parse is
// refused as the rewrite would refuse it.
func (s *stream) responseSchema(sc *respcheck.Scratch, body []byte) (src []byte, projected bool, a proxy.Action, stop bool) {
	plan := s.resp.Plan
	src, projected, violated, refused := sc.Project(plan, s.status, body, s.resp.Untyped)
	if refused != "" {
		return nil, false, s.refuseBody(refused), true
	}
	if violated {
		if plan.Schemas.Refuse() || !s.enforced() {
			// A report-only policy only reports it (refuse does).
			a := s.refuseBody(problem.ReasonResponseSchema)
			if s.replied {
				return nil, false, a, true
			}
		} else {
			s.r.metrics.Report(problem.ReasonResponseSchema)
			s.p.logDeny(s.r.id, s.routeName(), 502, problem.ReasonResponseSchema, s.req.RequestID, true)
		}
	}
	return src, projected, proxy.Continue, false
}
