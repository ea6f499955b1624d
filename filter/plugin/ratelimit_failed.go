package plugin

import (
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/ratelimit"
)

// failed_auth_limit (step 8, and the count step 9 makes of each failure).

// failedAuthApplies says whether step 8 guards this route: failures are
// counted, and lockouts enforced, where credentials are verified (routes
// with `auth`); a locked-out address can still reach public routes.
func (s *stream) failedAuthApplies() bool {
	return s.r.limits.Failed != nil && s.route != nil && s.route.Config != nil && s.route.Config.Auth != nil
}

func (s *stream) failedAuthHash() uint64 {
	if !s.rl.faHashed {
		fa := s.r.limits.Failed
		s.rl.faHash = s.keyHash(s.r.limits.Hasher(), &fa.Key, fa.Tweak)
		s.rl.faHashed = true
	}
	return s.rl.faHash
}

// stepFailedAuthLimit is step 8: a key locked out by failed_auth_limit
// gets 429 before any verification, unless its credential is already in
// the verified-token cache (a locked-out address must not lock out the
// verified users behind it). One shared-data read.
func (s *stream) stepFailedAuthLimit() result {
	if !s.failedAuthApplies() {
		return next
	}
	rr := s.r.limits
	if !rr.EnsureSeed() {
		return s.refuseLimit(ratelimit.Refused(problem.ReasonRateLimitUnavailable, s.lockoutPolicy(), ratelimit.FailedAuthPolicyName, 1))
	}
	d, locked := rr.CheckLockout(s.host.Now(), s.failedAuthHash(), s.lockoutPolicy())
	if locked && s.credentialCached() {
		s.r.metrics.Inc(ratelimit.MetricFailedAuthBypass)
		return next
	}
	return s.refuseLimit(d)
}

// lockoutPolicy is the RateLimit-Policy of step 8's 429s: every limit of
// the route (docs/configuration.md), then failed_auth, which their RateLimit names.
// Only refusals read it; it was built at configure time.
func (s *stream) lockoutPolicy() string {
	if l := s.route.Limits; l != nil {
		return l.LockoutPolicy
	}
	return s.r.limits.Failed.Policy
}

// countFailedAuth counts a missing or invalid credential against its
// failed_auth_limit key (ratelimit.Runtime.CountFailure), once per
// request. Authentication (step 9) calls it before refusing.
func (s *stream) countFailedAuth() {
	if !s.failedAuthApplies() || s.rl.faCounted {
		return
	}
	s.rl.faCounted = true
	var buf [3]string
	for _, m := range s.r.limits.CountFailure(s.host.Now(), s.failedAuthHash, buf[:0]) {
		s.r.metrics.Inc(m)
	}
}
