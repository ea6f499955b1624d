package plugin

import (
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/reqcheck"
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

// headersVerdict decides, once the header steps passed, whether the headers
// go upstream now or are held for the body checks of step 12.
func (s *stream) headersVerdict() proxy.Action {
	b := &s.body
	if s.reported || b.Mode == reqcheck.BodyPass {
		// A report-only refusal ends the checks: the body goes on unread.
		// Part of a body that was to be read may have come while a header
		// step waited, kept with StopIterationAndBuffer: Envoy then moves
		// the next chunk into that buffer too, and only a Continue given
		// while this filter is stopped sends it on. So the headers stay
		// held until that chunk (or the trailers) comes, and its Continue
		// releases everything.
		held := b.Early && !b.EarlyEnd && b.Mode == reqcheck.BodyRead
		b.Mode = reqcheck.BodyPass
		if held {
			return proxy.StopIteration
		}
		return proxy.Continue
	}
	if b.EndOfStream {
		if b.Mode == reqcheck.BodyRead {
			return s.bodyAction(s.checkBody(nil), proxy.StopIteration)
		}
		return proxy.Continue
	}
	if b.Early {
		// Body came while a header step waited; the headers are held.
		if b.Over {
			b.Done = true
			return s.bodyAction(s.refuse(413, problem.ReasonBodyTooLarge, nil), proxy.StopIteration)
		}
		if b.Mode == reqcheck.BodyRead {
			if b.EarlyEnd {
				body, ok := s.readBody(b.Seen)
				if !ok {
					return s.fail()
				}
				return s.bodyAction(s.checkBody(body), proxy.StopIteration)
			}
			// The host delivered body callbacks while the headers were
			// stopped, so it honours StopIteration: keep holding whatever
			// hold_headers says, or the buffered part would leave unchecked.
			return proxy.StopIteration
		}
		if b.EarlyEnd {
			b.Done = true
		}
		return proxy.Continue
	}
	if b.Mode == reqcheck.BodyRead && s.r.policy.HoldHeaders {
		return proxy.StopIteration
	}
	return proxy.Continue
}

// requestBody is step 12: streaming cap, JSON validation, body_owner.
func (s *stream) requestBody(bodySize int, endOfStream bool) proxy.Action {
	b := &s.body
	if b.Done || b.Mode == reqcheck.BodyPass {
		return proxy.Continue
	}
	if b.Mode == reqcheck.BodyCount {
		// Each chunk was released with Continue, so bodySize is this chunk.
		b.Seen += int64(bodySize)
		if b.Seen > b.Limit {
			b.Done = true
			return s.bodyAction(s.refuse(413, problem.ReasonBodyTooLarge, nil), proxy.StopIterationNoBuffer)
		}
		return proxy.Continue
	}
	// reqcheck.BodyRead: every earlier chunk was kept with StopIterationAndBuffer,
	// so bodySize is the whole buffered body. Refusing as soon as it
	// crosses the cap keeps the buffer within max_body_bytes (plus the
	// last chunk, which Envoy added before calling).
	b.Seen = int64(bodySize)
	if b.Seen > b.Limit {
		b.Done = true
		return s.bodyAction(s.refuse(413, problem.ReasonBodyTooLarge, nil), proxy.StopIterationNoBuffer)
	}
	if !endOfStream {
		return proxy.StopIterationAndBuffer
	}
	body, ok := s.readBody(b.Seen)
	if !ok {
		return s.fail()
	}
	return s.bodyAction(s.checkBody(body), proxy.StopIterationNoBuffer)
}

// requestTrailers ends a body that trailers follow: the buffered body is
// complete now and is checked before anything is released, so trailers
// cannot carry a request past the body checks.
func (s *stream) requestTrailers() proxy.Action {
	b := &s.body
	if b.Done || b.Mode != reqcheck.BodyRead {
		return proxy.Continue
	}
	body, ok := s.readBody(b.Seen)
	if !ok {
		return s.fail()
	}
	return s.bodyAction(s.checkBody(body), proxy.StopIteration)
}

// bodyWhileWaiting is what a body callback does while a header step waits
// on a callout (the headers are stopped): it records what came, keeps it,
// and past the cap drops the excess of an enforcing route (which will be
// refused with 413 once the header steps pass, keeping the order of
// checks). stream.onRequestBody should call it in its waiting branch.
//
// A body that will be read (reqcheck.BodyRead) is kept with StopIterationAndBuffer,
// so that the checks can read it whole. Any other body is kept with
// StopIterationAndWatermark: Envoy holds the chunks for this filter (with
// flow control rather than a 413 past its buffer limit) without setting
// the Wasm buffering flag. After StopIterationAndBuffer Envoy would move
// the next chunk into the filter manager's buffer before calling the
// filter, and the Continue of a stream whose headers already went on
// would leave that chunk behind: a body streamed upstream would lose it.
func (s *stream) bodyWhileWaiting(bodySize int, endOfStream bool) proxy.Action {
	b := &s.body
	b.Early = true
	b.EarlyEnd = b.EarlyEnd || endOfStream
	if b.Over {
		return proxy.StopIterationNoBuffer
	}
	if b.Mode == reqcheck.BodyRead {
		// Everything so far was kept with StopIterationAndBuffer: bodySize
		// is the whole buffered body.
		b.Seen = int64(bodySize)
	} else {
		// Each chunk was kept with StopIterationAndWatermark: bodySize is
		// this chunk.
		b.Seen += int64(bodySize)
	}
	if b.Mode != reqcheck.BodyPass && b.Seen > b.Limit && s.enforced() {
		b.Over = true
		return proxy.StopIterationNoBuffer
	}
	if b.Mode == reqcheck.BodyRead {
		return proxy.StopIterationAndBuffer
	}
	return proxy.StopIterationAndWatermark
}

// trailersWhileWaiting records that the request is complete while a header
// step waits. stream.onRequestTrailers should call it in its waiting branch.
func (s *stream) trailersWhileWaiting() proxy.Action {
	s.body.Early = true
	s.body.EarlyEnd = true
	return proxy.StopIteration
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
	form, refused := s.body.CheckContent(s.route.Config, body)
	if refused != "" {
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
