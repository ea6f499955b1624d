package plugin

import "github.com/apiguard/apiguard/filter/ratelimit"

// failed_auth_limit (step 8, and the count step 9 makes of each failure).

// failedAuthApplies says whether step 8 guards this route
// (ratelimit.Runtime.GuardsFailedAuth).
func (s *stream) failedAuthApplies() bool {
	return s.route != nil && s.r.limits.GuardsFailedAuth(s.route.Config)
}

// stepFailedAuthLimit is step 8 (ratelimit.Stream.Lockout): a key locked
// out by failed_auth_limit gets 429 before any verification, unless its
// credential is already in the verified-token cache (a locked-out address
// must not lock out the verified users behind it). One shared-data read.
func (s *stream) stepFailedAuthLimit() result {
	if !s.failedAuthApplies() {
		return next
	}
	d, locked := s.rl.Lockout(s.r.limits, rateEnv{s}, s.route.Limits)
	if locked && s.credentialCached() {
		s.r.metrics.Inc(ratelimit.MetricFailedAuthBypass)
		return next
	}
	return s.refuseLimit(d)
}

// countFailedAuth counts a missing or invalid credential against its
// failed_auth_limit key (ratelimit.Stream.CountFailure), once per
// request. Authentication (step 9) calls it before refusing.
func (s *stream) countFailedAuth() {
	if !s.failedAuthApplies() {
		return
	}
	var buf [3]string
	for _, m := range s.rl.CountFailure(s.r.limits, rateEnv{s}, buf[:0]) {
		s.r.metrics.Inc(m)
	}
}
