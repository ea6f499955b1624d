package problem

// Reasons of global rate limits (step 11, decided by Envoy's rate limit
// service). Each appears as apiguard.denied.<reason> (or
// apiguard.reported.<reason> on a report-only policy) and in the refusal
// log line. Both answer 429.
const (
	// ReasonGlobalRateLimited: the rate limit service answered OVER_LIMIT
	// for one of the route's global limits.
	ReasonGlobalRateLimited Reason = "global_rate_limited"
	// ReasonRateLimitServiceUnavailable: the rate limit service could not
	// decide (unreachable cluster, gRPC error, timeout, malformed answer)
	// and rate_limit_service.failure_mode is "deny".
	ReasonRateLimitServiceUnavailable Reason = "rate_limit_service_unavailable"
)
