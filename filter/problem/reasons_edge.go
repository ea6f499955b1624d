package problem

// Reasons of the edge features (require_tls, cors, deprecation). Each
// appears as apiguard.denied.<reason> (or apiguard.reported.<reason> on a
// report-only policy) and in the refusal log line.
const (
	// ReasonTLSRequired (403): require_tls is set and the request did not
	// arrive over TLS (true), or without exactly one
	// `X-Forwarded-Proto: https` ("forwarded").
	ReasonTLSRequired Reason = "tls_required"
	// ReasonCORSOrigin (403): a preflight from an origin the route's cors
	// does not allow.
	ReasonCORSOrigin Reason = "cors_origin_not_allowed"
	// ReasonCORSMethod (403): a preflight asking for a method the route's
	// cors does not allow.
	ReasonCORSMethod Reason = "cors_method_not_allowed"
	// ReasonCORSHeader (403): a preflight asking for a request header the
	// route's cors does not allow.
	ReasonCORSHeader Reason = "cors_header_not_allowed"
	// ReasonSunset (410): the route is past its sunset and
	// refuse_after_sunset is set.
	ReasonSunset Reason = "route_sunset"
)
