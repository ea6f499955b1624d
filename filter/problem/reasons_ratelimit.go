package problem

// Reasons of rate limiting (steps 8 and 11). Each appears as
// apiguard.denied.<reason> (or apiguard.reported.<reason> on a report-only
// policy) and in the refusal log line. All answer 429.
const (
	// ReasonRateLimited: a local limit of the route has no token left for
	// the request's key.
	ReasonRateLimited Reason = "rate_limited"
	// ReasonRateLimitContended: the bucket could not be updated in shared
	// data within the bounded CAS retries (other workers kept winning the
	// race); refused rather than let through unchecked.
	ReasonRateLimitContended Reason = "rate_limit_contended"
	// ReasonRateLimitUnavailable: shared data failed, so no limit could be
	// decided; refused (fail closed).
	ReasonRateLimitUnavailable Reason = "rate_limit_unavailable"
	// ReasonFailedAuthLocked: the failed_auth_limit key (address or header)
	// is locked out after too many missing or invalid credentials, and the
	// request's credential is not one already verified.
	ReasonFailedAuthLocked Reason = "failed_auth_locked"
)
