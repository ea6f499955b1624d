package plugin

import "github.com/apiguard/apiguard/filter/proxy"

// responseState is the per-stream response-inspection state.
type responseState struct{}

// responseChecks runs in the response-headers phase: 5xx sanitising and the
// decision to inspect, pass or refuse the response. done says it answered.
func (s *stream) responseChecks(endOfStream bool) (proxy.Action, bool) { return proxy.Continue, false }

// responseHeadersVerdict says whether response headers go on or are held
// while the body is inspected.
func (s *stream) responseHeadersVerdict(endOfStream bool) proxy.Action { return proxy.Continue }

// responseBody inspects the response body (allow, redact, caps).
func (s *stream) responseBody(bodySize int, endOfStream bool) proxy.Action { return proxy.Continue }

// responseTrailers ends a response body that trailers follow.
func (s *stream) responseTrailers() proxy.Action { return proxy.Continue }
