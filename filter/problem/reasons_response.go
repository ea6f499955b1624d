package problem

// Reasons of response inspection (routes with `response` rules). Each
// appears as apiguard.denied.<reason> (or apiguard.reported.<reason> on a
// report-only policy) and in the refusal log line. All answer 502: the
// client learns only that the upstream response could not be delivered.
const (
	// ReasonResponseNotJSON: the response has a type that is neither JSON
	// nor listed in pass_types, more than one Content-Type, or no type
	// and a body that does not parse as JSON.
	ReasonResponseNotJSON Reason = "response_not_json"
	// ReasonResponsePartial: a 206 Partial Content response, which cannot
	// be inspected as a whole (Range is removed from such requests, so an
	// upstream sending one anyway is refused).
	ReasonResponsePartial Reason = "response_partial"
	// ReasonResponseCompressed: a Content-Encoding other than identity
	// (Accept-Encoding is rewritten to identity, so this upstream ignored
	// it); the filter does not decompress.
	ReasonResponseCompressed Reason = "response_compressed"
	// ReasonResponseInvalidJSON: a JSON response that is not strict JSON
	// (syntax, invalid UTF-8, a lone surrogate escape, nesting deeper than
	// the filter inspects).
	ReasonResponseInvalidJSON Reason = "response_invalid_json"
	// ReasonResponseDuplicateKey: an object of the response holds the same
	// key twice (after unescaping); readers disagree on which copy counts,
	// so redacting one would leak the other.
	ReasonResponseDuplicateKey Reason = "response_duplicate_key"
	// ReasonResponseTooLarge: the response body (declared Content-Length,
	// or the bytes received) is over response.max_body_bytes.
	ReasonResponseTooLarge Reason = "response_too_large"
	// ReasonResponseSchema: the response fails the schema response.schemas
	// names for its status. Refused only with schema_violation "refuse";
	// with "report" (the default) it is counted as reported and logged,
	// and the projection is served.
	ReasonResponseSchema Reason = "response_schema"
)
