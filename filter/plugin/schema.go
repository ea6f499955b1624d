package plugin

import (
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/reqcheck"
	"github.com/apiguard/apiguard/filter/respcheck"
	"github.com/apiguard/apiguard/filter/schema"
)

// Schemas (docs/schemas.md): the adapters between the stream and the
// decisions of reqcheck.BodySchema (step 12) and respcheck.Schemas (the
// response, before allow and redact).

// checkBodySchema validates a non-empty request body against the route's
// request.json.schema, the JSON rules in the same walk: 400 with the JSON
// reason, json_schema or json_schema_not_allowed. With
// errors.validation_details the schema refusals list their violations.
func (s *stream) checkBodySchema(body []byte) result {
	var details []problem.Violation
	if s.r.policy.Config.Errors.ValidationDetails {
		details = make([]problem.Violation, 0, schema.MaxViolations)
	}
	f, details := s.route.BodySchema.Check(body, details)
	if f == reqcheck.OK {
		return next
	}
	if f == reqcheck.JSONSchema || f == reqcheck.JSONSchemaNotAllowed {
		s.violations = details
	}
	return s.refuse(400, problem.Reason(f.String()), nil)
}

// refusalBody is the problem+json of a refusal: with the violations of a
// schema refusal when errors.validation_details asked for them.
func (s *stream) refusalBody(status int) []byte {
	if s.violations != nil && status == 400 {
		return problem.BodyWithErrors(status, s.req.requestID, s.violations)
	}
	return problem.Body(status, s.req.requestID)
}

// responseSchema validates an inspected response body against the schema
// of its status and projects it. src is what allow and redact apply to
// next (the projection, or body), projected says it differs from body. A
// violation is refused with 502 under schema_violation "refuse" (refused
// is then true and a the callback's action); under "report" it is counted
// (apiguard.reported.response_schema), logged, and the projection goes on.
// A body that does not parse is refused as the rewrite would refuse it.
func (s *stream) responseSchema(sc *responseScratch, body []byte) (src []byte, projected bool, a proxy.Action, refused bool) {
	schemas := s.resp.plan.Schemas
	if schemas == nil {
		return body, false, proxy.Continue, false
	}
	out, outcome, changed, err := schemas.Apply(s.status, sc.proj[:0], body)
	if err != nil {
		return nil, false, s.refuseBody(respcheck.BodyReason(err, s.resp.untyped)), true
	}
	if changed {
		sc.proj = out
	}
	if outcome == respcheck.SchemaViolated {
		if schemas.Refuse() || !s.enforced() {
			// A report-only policy only reports it (refuse does).
			a := s.refuseBody(problem.ReasonResponseSchema)
			if s.replied {
				return nil, false, a, true
			}
		} else {
			s.r.metrics.report(problem.ReasonResponseSchema)
			s.p.logDeny(s.r.id, s.routeName(), 502, string(problem.ReasonResponseSchema), s.req.requestID, true)
		}
	}
	return out, changed, proxy.Continue, false
}
