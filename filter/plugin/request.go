package plugin

import (
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/reqcheck"
	"github.com/apiguard/apiguard/filter/schema"
)

// The request checks of steps 6, 7 and 12: filter/reqcheck decides
// (reqcheck.Body: the body mode, the declared length, the body's
// content); this file runs the body's state machine over the host's body
// callbacks and reads the buffered body.

// stepForbiddenQuery is step 6: forbid_query_params (400,
// reqcheck.ForbiddenQuery).
func (s *stream) stepForbiddenQuery() result {
	if reqcheck.ForbiddenQuery(s.route.Config, s.req.Query) {
		return s.refuse(400, problem.ReasonForbiddenQueryParam, nil)
	}
	return next
}

// stepDeclaredLength is step 7 (reqcheck.Body.Declared): a declared
// Content-Length over the cap (413), an upgrade on a route that reads
// bodies or inspects responses (400); it decides the body mode of step 12.
func (s *stream) stepDeclaredLength() result {
	if status, reason := s.body.Declared(s.route.Config, &s.req); reason != "" {
		return s.refuse(status, reason, nil)
	}
	return next
}

// bodyActions are the host's actions of reqcheck's body flow.
var bodyActions = [...]proxy.Action{
	reqcheck.Go:        proxy.Continue,
	reqcheck.Hold:      proxy.StopIteration,
	reqcheck.Buffer:    proxy.StopIterationAndBuffer,
	reqcheck.Watermark: proxy.StopIterationAndWatermark,
	reqcheck.Drop:      proxy.StopIterationNoBuffer,
}

// bodyNext does what the body flow asks: the checks (reading the buffered
// body; a host that cannot give it fails closed), a 413, or a host action.
// stopped is the action when the filter answered.
func (s *stream) bodyNext(n, stopped reqcheck.Next) proxy.Action {
	switch n {
	case reqcheck.TooLarge:
		return s.bodyAction(s.refuse(413, problem.ReasonBodyTooLarge, nil), bodyActions[stopped])
	case reqcheck.CheckEmpty:
		return s.bodyAction(s.checkBody(nil), bodyActions[stopped])
	case reqcheck.Check:
		body, ok := s.readBody(s.body.Seen)
		if !ok {
			return s.fail()
		}
		return s.bodyAction(s.checkBody(body), bodyActions[stopped])
	}
	return bodyActions[n]
}

// readBody returns the buffered request body (size bytes at most). A host
// that cannot give it makes the filter fail closed.
func (s *stream) readBody(size int64) ([]byte, bool) {
	if size <= 0 {
		return nil, true
	}
	body, st := s.host.GetBufferBytes(proxy.BufferRequestBody, 0, int(size))
	return body, st == proxy.StatusOK
}

// checkBody runs the checks of a complete body: reqcheck's
// (request.json, well-formedness for body_owner, a form's field names),
// then the owner checks' form shadows (a form-encoded body on an owner
// route), then body_owner. JSON failures are 400 with the generic detail;
// the precise reason goes to the log and the metrics only.
func (s *stream) checkBody(body []byte) result {
	s.body.Done = true
	var details []problem.Violation
	if s.route.BodySchema != nil && s.r.policy.Config.Errors.ValidationDetails {
		details = make([]problem.Violation, 0, schema.MaxViolations)
	}
	form, refused, violations := s.body.CheckContent(s.route.Config, s.route.BodySchema, s.req.Query, body, details)
	if refused != "" {
		s.violations = violations
		return s.refuse(400, refused, nil)
	}
	if r := s.checkOwnerForm(form); r != next {
		return r
	}
	return s.checkBodyOwner(body, form)
}

// bodyAction turns the result of the body checks into the callback's
// action: stopped when the filter answered (Envoy forces a stop after a
// local reply anyway), Continue otherwise, which releases held headers and
// the buffered body. A report-only refusal also continues. The body
// checks cannot wait: a wait result fails closed.
func (s *stream) bodyAction(r result, stopped proxy.Action) proxy.Action {
	if s.replied {
		return stopped
	}
	if r == wait {
		s.fail()
		return stopped
	}
	return proxy.Continue
}
