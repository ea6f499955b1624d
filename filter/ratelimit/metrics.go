package ratelimit

// Metrics of rate limiting besides the apiguard.denied.<reason> counters
// (docs/operating.md "Metrics").
const (
	// MetricCASConflict counts decisions that lost at least one CAS race
	// and retried.
	MetricCASConflict = "apiguard.ratelimit.cas_conflict"
	// MetricCASExhausted counts updates abandoned after MaxAttempts lost
	// races: a refused request (step 11) or an uncounted failure
	// (failed_auth_limit).
	MetricCASExhausted = "apiguard.ratelimit.cas_exhausted"
	// MetricFailedAuthCounted counts failures counted by failed_auth_limit.
	MetricFailedAuthCounted = "apiguard.failed_auth.counted"
	// MetricFailedAuthLockouts counts failures that locked their key out.
	MetricFailedAuthLockouts = "apiguard.failed_auth.lockouts"
	// MetricFailedAuthBypass counts requests from a locked-out key let
	// through because their credential was already verified.
	MetricFailedAuthBypass = "apiguard.failed_auth.cached_bypass"

	// Of global limits (besides apiguard.rate_limited.<limit name>,
	// counted for global limits too): MetricServiceFailed counts requests
	// whose call to the rate limit service failed (error, unreachable
	// cluster, timeout, bad answer), whatever failure_mode then did;
	// MetricServiceFailedOpen those admitted by failure_mode allow after
	// such a failure.
	MetricServiceFailed     = "apiguard.ratelimit_service.failed"
	MetricServiceFailedOpen = "apiguard.ratelimit_service.failed_open"
)

// Metrics appends the counters the decision counts to dst: a lost race,
// retries run out, the limit that refused.
func (d Decision) Metrics(dst []string) []string {
	if d.Conflict {
		dst = append(dst, MetricCASConflict)
	}
	if d.Exhausted {
		dst = append(dst, MetricCASExhausted)
	}
	if d.Metric != "" {
		dst = append(dst, d.Metric)
	}
	return dst
}

// CountFailure counts a request with a missing or invalid credential
// against its failed_auth_limit key (Lockout.Fail; hash is called once
// the seed is set) and appends the counters that record it to dst. The
// failure that reaches `limit` within `window` locks the key out for a
// whole window. When the count cannot be written (CAS retries exhausted,
// shared data failing) the failure is dropped and counted in a metric: the
// request is being refused anyway, and refusing others for it would be
// worse.
func (rt *Runtime) CountFailure(now int64, hash func() uint64, dst []string) []string {
	if !rt.EnsureSeed() {
		return dst
	}
	v, locked, conflicts := rt.Lockout.Fail(rt.Store, now, hash())
	if conflicts > 0 {
		dst = append(dst, MetricCASConflict)
	}
	switch v {
	case Allowed:
		dst = append(dst, MetricFailedAuthCounted)
		if locked {
			dst = append(dst, MetricFailedAuthLockouts)
		}
	case Contended:
		dst = append(dst, MetricCASExhausted)
	}
	return dst
}
