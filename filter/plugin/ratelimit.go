package plugin

// rateState is the per-stream rate-limit state.
type rateState struct{}

// rateRoot is the plugin-wide rate-limit state.
type rateRoot struct{}

// configureRateLimits compiles the limits once per configuration.
func (r *root) configureRateLimits() error { return nil }

// stepFailedAuthLimit is step 8: a key locked out by failed_auth_limit (429).
func (s *stream) stepFailedAuthLimit() result { return next }

// stepRateLimits is step 11: local limits, then global ones (429).
func (s *stream) stepRateLimits() result { return next }

// rateLimitHeaders adds RateLimit and RateLimit-Policy to a response.
func (s *stream) rateLimitHeaders() {}

// countFailedAuth counts a request with a missing or invalid credential
// against its failed_auth_limit key. Authentication (step 9) calls it.
func (s *stream) countFailedAuth() {}
