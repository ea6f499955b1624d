package plugin

import (
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/reqcheck"
)

// bodyMode says what step 12 does with a request body.
type bodyMode uint8

const (
	// bodyPass: the route checks no body; it is never buffered or counted.
	bodyPass bodyMode = iota
	// bodyCount: the route only caps (request.max_body_bytes): chunks go
	// upstream as they come and are counted; crossing the cap answers 413
	// and Envoy resets the upstream request.
	bodyCount
	// bodyRead: the route reads the body (request.json, auth.body_owner,
	// or auth.owner on a form-encoded request): it is buffered (up to the
	// cap) until complete, then checked; with hold_headers the headers
	// wait too, so nothing of a refused request reaches upstream.
	bodyRead
)

// bodyState is the per-stream request-body state.
type bodyState struct {
	// endOfStream says the request headers ended the request (no body).
	endOfStream bool

	mode  bodyMode
	limit int64
	// form says the body is also read as a form, for the form shadows of
	// auth.owner and auth.body_owner: the route has such rules and the
	// request is application/x-www-form-urlencoded (or a POST without a
	// Content-Type, which Rack reads as one). multipart says it is read as
	// multipart/form-data (its part names), on such a route.
	form, multipart bool
	// seen is the number of body bytes counted (bodyCount) or buffered
	// (bodyRead) so far.
	seen int64
	// done says the body verdict was reached (passed, refused, or reported
	// by a report-only policy): later chunks and trailers just pass.
	done bool

	// Body that arrived while a header step waited on a callout
	// (bodyWhileWaiting): early says some did, earlyEnd that the request
	// is complete, over that it crossed the cap (the excess was dropped).
	early, earlyEnd, over bool
}

// stepForbiddenQuery is step 6: forbid_query_params (400). Names are
// compared normalised (httpx.FindQueryParam); values are never read.
func (s *stream) stepForbiddenQuery() result {
	req := s.route.Config.Request
	if req == nil || len(req.ForbidQueryParams) == 0 || s.req.Query == "" {
		return next
	}
	if httpx.FindQueryParam(s.req.Query, req.ForbidQueryParams) >= 0 {
		return s.refuse(400, problem.ReasonForbiddenQueryParam, nil)
	}
	return next
}

// stepDeclaredLength is step 7: a declared Content-Length over the cap
// (413), an upgrade on a route that reads bodies or inspects responses
// (400). It also decides the body mode of step 12.
//
// A form-encoded or multipart request (or a POST without a Content-Type)
// on a route with auth.owner or body_owner rules is read too, for the form
// shadows of those rules (checkOwnerForm), within max_body_bytes or the
// 1 MiB default; any other request to such a route is not (unless another
// rule reads it).
func (s *stream) stepDeclaredLength() result {
	cfg := s.route.Config
	limit, capped := cfg.RequestBodyLimit()
	s.body.form = cfg.ReadsFormBody() && s.req.FormEncoded()
	s.body.multipart = cfg.ReadsFormBody() && s.req.MultipartEncoded()
	formLike := s.body.form || s.body.multipart
	if formLike && !capped {
		limit, capped = config.DefaultMaxBodyBytes, true
	}
	if capped {
		s.body.limit = limit
		s.body.mode = bodyCount
		if cfg.ReadsRequestBody() || formLike {
			s.body.mode = bodyRead
		}
		if v, ok := s.req.Header("content-length"); ok {
			n, ok := reqcheck.ParseContentLength(v)
			if !ok {
				return s.refuse(400, problem.ReasonBadContentLength, nil)
			}
			if n > limit {
				return s.refuse(413, problem.ReasonBodyTooLarge, nil)
			}
		}
	}
	if (cfg.RefusesUpgrade() || formLike) && s.req.IsUpgrade() {
		return s.refuse(400, problem.ReasonUpgradeRefused, nil)
	}
	return next
}

// formHas reports whether the body read as a form (form is the body) has a
// field named like one of names (each normalised): as query parameters
// are named (httpx.FindQueryParam) when it is form-encoded, or as the
// names of its parts (httpx.EachMultipartName, compared by
// httpx.QueryNameIndex) when it is multipart (authn.Form).
func (s *stream) formHas(form string, names []string) bool { return s.bodyForm(form).Has(names) }

// formUnsafe reports whether a field name of the body read as a form holds
// a control character (httpx.UnsafeFormName; each part name of a
// multipart body likewise).
func (s *stream) formUnsafe(form string) bool {
	if s.body.form && httpx.UnsafeFormName(form) {
		return true
	}
	unsafe := false
	if s.body.multipart {
		httpx.EachMultipartName(form, func(name string) bool {
			unsafe = httpx.UnsafeFormName(name)
			return !unsafe
		})
	}
	return unsafe
}

// headersVerdict decides, once the header steps passed, whether the headers
// go upstream now or are held for the body checks of step 12.
func (s *stream) headersVerdict() proxy.Action {
	b := &s.body
	if s.reported || b.mode == bodyPass {
		// A report-only refusal ends the checks: the body goes on unread.
		// Part of a body that was to be read may have come while a header
		// step waited, kept with StopIterationAndBuffer: Envoy then moves
		// the next chunk into that buffer too, and only a Continue given
		// while this filter is stopped sends it on. So the headers stay
		// held until that chunk (or the trailers) comes, and its Continue
		// releases everything.
		held := b.early && !b.earlyEnd && b.mode == bodyRead
		b.mode = bodyPass
		if held {
			return proxy.StopIteration
		}
		return proxy.Continue
	}
	if b.endOfStream {
		if b.mode == bodyRead {
			return s.bodyAction(s.checkBody(nil), proxy.StopIteration)
		}
		return proxy.Continue
	}
	if b.early {
		// Body came while a header step waited; the headers are held.
		if b.over {
			b.done = true
			return s.bodyAction(s.refuse(413, problem.ReasonBodyTooLarge, nil), proxy.StopIteration)
		}
		if b.mode == bodyRead {
			if b.earlyEnd {
				body, ok := s.readBody(b.seen)
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
		if b.earlyEnd {
			b.done = true
		}
		return proxy.Continue
	}
	if b.mode == bodyRead && s.r.policy.HoldHeaders {
		return proxy.StopIteration
	}
	return proxy.Continue
}

// requestBody is step 12: streaming cap, JSON validation, body_owner.
func (s *stream) requestBody(bodySize int, endOfStream bool) proxy.Action {
	b := &s.body
	if b.done || b.mode == bodyPass {
		return proxy.Continue
	}
	if b.mode == bodyCount {
		// Each chunk was released with Continue, so bodySize is this chunk.
		b.seen += int64(bodySize)
		if b.seen > b.limit {
			b.done = true
			return s.bodyAction(s.refuse(413, problem.ReasonBodyTooLarge, nil), proxy.StopIterationNoBuffer)
		}
		return proxy.Continue
	}
	// bodyRead: every earlier chunk was kept with StopIterationAndBuffer,
	// so bodySize is the whole buffered body. Refusing as soon as it
	// crosses the cap keeps the buffer within max_body_bytes (plus the
	// last chunk, which Envoy added before calling).
	b.seen = int64(bodySize)
	if b.seen > b.limit {
		b.done = true
		return s.bodyAction(s.refuse(413, problem.ReasonBodyTooLarge, nil), proxy.StopIterationNoBuffer)
	}
	if !endOfStream {
		return proxy.StopIterationAndBuffer
	}
	body, ok := s.readBody(b.seen)
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
	if b.done || b.mode != bodyRead {
		return proxy.Continue
	}
	body, ok := s.readBody(b.seen)
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
// A body that will be read (bodyRead) is kept with StopIterationAndBuffer,
// so that the checks can read it whole. Any other body is kept with
// StopIterationAndWatermark: Envoy holds the chunks for this filter (with
// flow control rather than a 413 past its buffer limit) without setting
// the Wasm buffering flag. After StopIterationAndBuffer Envoy would move
// the next chunk into the filter manager's buffer before calling the
// filter, and the Continue of a stream whose headers already went on
// would leave that chunk behind: a body streamed upstream would lose it.
func (s *stream) bodyWhileWaiting(bodySize int, endOfStream bool) proxy.Action {
	b := &s.body
	b.early = true
	b.earlyEnd = b.earlyEnd || endOfStream
	if b.over {
		return proxy.StopIterationNoBuffer
	}
	if b.mode == bodyRead {
		// Everything so far was kept with StopIterationAndBuffer: bodySize
		// is the whole buffered body.
		b.seen = int64(bodySize)
	} else {
		// Each chunk was kept with StopIterationAndWatermark: bodySize is
		// this chunk.
		b.seen += int64(bodySize)
	}
	if b.mode != bodyPass && b.seen > b.limit && s.enforced() {
		b.over = true
		return proxy.StopIterationNoBuffer
	}
	if b.mode == bodyRead {
		return proxy.StopIterationAndBuffer
	}
	return proxy.StopIterationAndWatermark
}

// trailersWhileWaiting records that the request is complete while a header
// step waits. stream.onRequestTrailers should call it in its waiting branch.
func (s *stream) trailersWhileWaiting() proxy.Action {
	s.body.early = true
	s.body.earlyEnd = true
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

// checkBody runs the checks of a complete body: request.json (an empty
// body passes unless json.required), or on a body_owner route without
// request.json well-formedness alone; then the owner checks' form shadows
// (a form-encoded body on an owner route), then body_owner. Keys equal
// under case folding are duplicates unless json.case_sensitive_keys. JSON
// failures are 400 with the generic detail; the precise reason goes to the
// log and the metrics only.
func (s *stream) checkBody(body []byte) result {
	s.body.done = true
	cfg := s.route.Config
	j := cfg.Request
	switch {
	case j != nil && j.JSON != nil:
		if len(body) == 0 {
			if j.JSON.Required {
				return s.refuse(400, problem.ReasonJSONEmpty, nil)
			}
			break
		}
		if f := reqcheck.CheckBody(body, j.JSON.Limits(), j.JSON.Fields, reqcheck.KeyCaseOf(j.JSON)); f != reqcheck.OK {
			return s.refuse(400, problem.Reason(f.String()), nil)
		}
	case len(body) > 0 && cfg.ReadsRequestBody():
		if f := reqcheck.CheckBody(body, jsonx.Limits{}, nil, reqcheck.KeysFold); f != reqcheck.OK {
			return s.refuse(400, problem.Reason(f.String()), nil)
		}
	}
	var form string
	if s.body.form || s.body.multipart {
		// One copy of the body for the form checks: the splitter and the
		// name normaliser read strings.
		form = string(body)
		// As step 1 for the query: a control character in a field name
		// (PHP cuts it at NUL) and a `_method` field (Rack, Laravel and
		// Symfony read it from the body) are refused.
		if s.formUnsafe(form) {
			return s.refuse(400, problem.ReasonUnsafeForm, nil)
		}
		if s.formHas(form, reqcheck.MethodParam) {
			return s.refuse(400, problem.ReasonMethodOverride, nil)
		}
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
