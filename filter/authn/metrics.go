package authn

import "github.com/apiguard/apiguard/filter/jwt"

// Metrics of authentication (docs/operating.md "Metrics"), besides each
// API key's apiguard.apikey.<id>.used.
const (
	// MetricCacheHit counts requests whose token was found in the
	// verified-token cache (no signature check).
	MetricCacheHit = "apiguard.auth.cache_hit"

	// Which path checked the signature of a token that verified (not
	// counting cache hits): the host's verify_signature or the module's
	// own Go code; and the request-time host answers that were not Ok with
	// a result, each followed by a check in Go.
	MetricVerifiedHost   = "apiguard.auth.verified_by_host"
	MetricVerifiedModule = "apiguard.auth.verified_by_module"
	MetricHostFallback   = "apiguard.auth.host_fallback"
)

// VerifiedMetric is the counter of the path that checked the signature of
// tok, a token the verifier just accepted.
func VerifiedMetric(tok *jwt.Token) string {
	if tok.ByHost {
		return MetricVerifiedHost
	}
	return MetricVerifiedModule
}
