package plugin

import "github.com/apiguard/apiguard/filter/proxy"

// bodyState is the per-stream request-body state.
type bodyState struct {
	// endOfStream says the request headers ended the request (no body).
	endOfStream bool
}

// stepForbiddenQuery is step 6: forbid_query_params (400).
func (s *stream) stepForbiddenQuery() result { return next }

// stepDeclaredLength is step 7: a declared Content-Length over the cap
// (413), an upgrade on a route that reads bodies (400).
func (s *stream) stepDeclaredLength() result { return next }

// headersVerdict decides, once the header steps passed, whether the headers
// go upstream now or are held for the body checks of step 12.
func (s *stream) headersVerdict() proxy.Action { return proxy.Continue }

// requestBody is step 12: streaming cap, JSON validation, body_owner.
func (s *stream) requestBody(bodySize int, endOfStream bool) proxy.Action { return proxy.Continue }

// requestTrailers ends a body that trailers follow.
func (s *stream) requestTrailers() proxy.Action { return proxy.Continue }
