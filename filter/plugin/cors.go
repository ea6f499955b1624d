package plugin

import "github.com/apiguard/apiguard/filter/proxy"

// corsState is the per-stream CORS state.
type corsState struct{}

// stepCORSPreflight is step 4: a CORS preflight is answered here (204 or 403).
func (s *stream) stepCORSPreflight() result { return next }

// corsResponseHeaders adds the allow-origin headers and Vary to a response.
func (s *stream) corsResponseHeaders() {}

// corsRefusalHeaders are the CORS headers a refusal of this route carries.
func (s *stream) corsRefusalHeaders() []proxy.Pair { return nil }
