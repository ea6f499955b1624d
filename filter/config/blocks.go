package config

// The blocks of a route policy: cors, deprecation, auth, request, response
// and the rate limits.

import (
	"time"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// CORS is `cors`.
type CORS struct {
	// AllowOrigins is `allow_origins`: exact origins (scheme://host[:port],
	// lower-case, default port omitted), and possibly "*" (alone) or "null".
	AllowOrigins []string
	// AnyOrigin is true when AllowOrigins is ["*"].
	AnyOrigin bool
	// AllowMethods is `allow_methods` (default GET, HEAD, POST).
	AllowMethods []string
	// AllowHeaders is `allow_headers`, lower-cased.
	AllowHeaders []string
	// AllowCredentials is `allow_credentials`.
	AllowCredentials bool
	// MaxAge is `max_age_seconds` (0..86400); only sent when HasMaxAge.
	MaxAge time.Duration
	// HasMaxAge says whether `max_age_seconds` was given.
	HasMaxAge bool
}

// Deprecation is `deprecation`.
type Deprecation struct {
	// Since is `since` (required).
	Since time.Time
	// Sunset is `sunset`, or the zero Time; after Since when set.
	Sunset time.Time
	// Link is `link`, an absolute http(s) URL, or "".
	Link string
	// RefuseAfterSunset is `refuse_after_sunset` (needs Sunset).
	RefuseAfterSunset bool
}

// Auth is `auth`.
type Auth struct {
	// Providers is `providers` (non-empty, each defined in `providers`).
	Providers []string
	// AllowMissing is `allow_missing` (default false).
	AllowMissing bool
	// Claims is `claims`: every rule must hold.
	Claims []ClaimRule
	// Owner is `owner`.
	Owner []OwnerRule
	// BodyOwner is `body_owner`.
	BodyOwner []BodyOwnerRule
}

// ClaimOp is the comparison of a ClaimRule.
type ClaimOp uint8

// Claim comparisons.
const (
	ClaimEquals   ClaimOp = iota + 1 // equals: strict JSON equality
	ClaimAnyOf                       // any_of: shares a string with Values
	ClaimContains                    // contains: holds every string of Values
)

// String returns the configuration spelling of the value.
func (o ClaimOp) String() string {
	switch o {
	case ClaimEquals:
		return "equals"
	case ClaimAnyOf:
		return "any_of"
	case ClaimContains:
		return "contains"
	}
	return "invalid"
}

// ClaimRule is one entry of `auth.claims`, or an owner rule's `unless`.
type ClaimRule struct {
	// Claim is `claim`, split on "." (see SplitClaimPath).
	Claim []string
	// ClaimName is `claim` as written, for logs.
	ClaimName string
	// Op says which of `equals`, `any_of`, `contains` was given.
	Op ClaimOp
	// Equals is the `equals` value (any JSON value) when Op is ClaimEquals.
	Equals jsonx.Value
	// Values are the `any_of` or `contains` strings (non-empty).
	Values []string
}

// OwnerRule is one entry of `auth.owner`.
type OwnerRule struct {
	// Param is `param`, a parameter of the route's path template.
	Param string
	// Claim is `claim`, split on ".".
	Claim []string
	// ClaimName is `claim` as written.
	ClaimName string
	// Unless is `unless`, or nil.
	Unless *ClaimRule
}

// BodyOwnerRule is one entry of `auth.body_owner`.
type BodyOwnerRule struct {
	// Field is `field`, a dotted path into the JSON request body.
	Field []string
	// FieldName is `field` as written.
	FieldName string
	// Claim is `claim`, split on ".".
	Claim []string
	// ClaimName is `claim` as written.
	ClaimName string
}

// Request is `request`.
type Request struct {
	// MaxBodyBytes is `max_body_bytes` (default 1 MiB, at most 64 MiB).
	MaxBodyBytes int64
	// MaxBodyBytesSet says whether `max_body_bytes` was written, which makes
	// the cap apply even where the body is not read.
	MaxBodyBytesSet bool
	// ForbidQueryParams is `forbid_query_params`, each normalised with
	// NormalizeQueryName.
	ForbidQueryParams []string
	// JSON is `json`, or nil.
	JSON *JSONRules
}

// JSONRules is `request.json`.
type JSONRules struct {
	// Required is `required` (default false): an empty body is refused.
	Required bool
	// MaxDepth, MaxKeys, MaxArrayItems and MaxStringBytes are the limits
	// (defaults 32, 1000, 1000, 65536).
	MaxDepth, MaxKeys, MaxArrayItems, MaxStringBytes int
	// Fields is `fields`.
	Fields []FieldRule
	// Schema is `schema`: a name of the top-level `schemas` the body must
	// satisfy, or "".
	Schema string
	// Undeclared is `undeclared` (default refuse; needs Schema).
	Undeclared Undeclared
	// CaseSensitiveKeys is `case_sensitive_keys` (default false): keys
	// equal only under case folding ("qty" and "QTY") are then not
	// duplicates. It never relaxes body_owner's letter-case rule.
	CaseSensitiveKeys bool
}

// Limits returns the rules' limits in the form jsonx takes.
func (j *JSONRules) Limits() jsonx.Limits {
	return jsonx.Limits{MaxDepth: j.MaxDepth, MaxKeys: j.MaxKeys, MaxArrayItems: j.MaxArrayItems, MaxStringBytes: j.MaxStringBytes}
}

// JSONType is a `fields[].type`.
type JSONType uint8

// JSON types of `request.json.fields`. TypeAny means no type was given.
const (
	TypeAny JSONType = iota
	TypeObject
	TypeArray
	TypeString
	TypeNumber
	TypeInteger
	TypeBoolean
	TypeNull
)

var jsonTypeNames = [...]string{"any", "object", "array", "string", "number", "integer", "boolean", "null"}

// String returns the configuration spelling of the value.
func (t JSONType) String() string {
	if int(t) < len(jsonTypeNames) {
		return jsonTypeNames[t]
	}
	return "invalid"
}

// FieldRule is one entry of `request.json.fields`.
type FieldRule struct {
	// Path is `path`, split on ".".
	Path []string
	// PathName is `path` as written.
	PathName string
	// Type is `type`, or TypeAny.
	Type JSONType
	// Required is `required` (default false).
	Required bool
}

// Response is `response`.
type Response struct {
	// MaxBodyBytes is `max_body_bytes` (default 1 MiB, at most 64 MiB).
	MaxBodyBytes int64
	// Allow is `allow` (nil when absent: every field is kept).
	Allow []ResponsePath
	// Redact is `redact`, or nil.
	Redact *Redact
	// PassTypes is `pass_types`: lower-cased media types passed unchecked.
	PassTypes []string
	// Schemas is `schemas`, in document order (nil when absent).
	Schemas []StatusSchema
	// SchemaViolation is `schema_violation` (default report; needs
	// Schemas).
	SchemaViolation SchemaViolation
}

// Segment is one step of a ResponsePath: an object key, or every element of
// an array (`#`).
type Segment struct {
	// Key is the object key (unescaped); empty when Each.
	Key string
	// Each means every element of an array.
	Each bool
}

// ResponsePath is a dotted path into a JSON response, as in `allow` and
// `redact.paths`.
type ResponsePath struct {
	// Segments are the steps of the path.
	Segments []Segment
	// Raw is the path as written.
	Raw string
}

// RedactAction is `redact.action`.
type RedactAction uint8

// Redaction actions.
const (
	RedactRemove RedactAction = iota + 1 // "remove" (default)
	RedactMask                           // "mask"
)

// String returns the configuration spelling of the value.
func (a RedactAction) String() string {
	switch a {
	case RedactRemove:
		return "remove"
	case RedactMask:
		return "mask"
	}
	return "invalid"
}

// Redact is `response.redact`.
type Redact struct {
	// Paths is `paths`.
	Paths []ResponsePath
	// Keys is `keys`, as written; they match keys at any depth after
	// unescaping, under Unicode case folding.
	Keys []string
	// Action is `action` (default remove).
	Action RedactAction
	// Mask is `mask` (default "****").
	Mask string
}

// KeyKind is the kind of a rate-limit key.
type KeyKind uint8

// Rate-limit key kinds.
const (
	KeyIP     KeyKind = iota + 1 // "ip"
	KeyRoute                     // "route"
	KeyHeader                    // "header:NAME"
	KeyClaim                     // "claim:PATH"
)

// String returns the configuration spelling of the value.
func (k KeyKind) String() string {
	switch k {
	case KeyIP:
		return "ip"
	case KeyRoute:
		return "route"
	case KeyHeader:
		return "header"
	case KeyClaim:
		return "claim"
	}
	return "invalid"
}

// Key is a parsed rate-limit `key`.
type Key struct {
	// Kind is the key's kind.
	Kind KeyKind
	// Header is the lower-cased header name for KeyHeader.
	Header string
	// Claim is the claim path for KeyClaim.
	Claim []string
	// Raw is the key as written.
	Raw string
}

// RateLimit is one entry of `rate_limits`.
type RateLimit struct {
	// Name is `name`, unique across the configuration.
	Name string
	// Key is `key`.
	Key Key
	// Limit is `limit` (> 0): tokens per Window.
	Limit int64
	// Window is `window` (> 0; exactly 1s, 1m, 1h or 1d when Global).
	Window time.Duration
	// Burst is `burst`, the bucket size (default Limit; 0 when Global).
	Burst int64
	// Global is `global`: decided by the rate limit service.
	Global bool
}

// TokenCache is `token_cache`: the bounds of each worker's verified-token
// cache. Zero in either turns the cache off.
type TokenCache struct {
	// MaxEntries is `max_entries` (default 4096, at most 2^20).
	MaxEntries int
	// MaxBytes is `max_bytes` (default 4 MiB, at most 256 MiB), counted as
	// the memory entries take (see jwt.Cache).
	MaxBytes int
}

// FailedAuthLimit is `failed_auth_limit`.
type FailedAuthLimit struct {
	// Key is `key`: KeyIP or KeyHeader only.
	Key Key
	// Limit is `limit` (> 0).
	Limit int64
	// Window is `window` (> 0).
	Window time.Duration
}

// FailureMode is `rate_limit_service.failure_mode`.
type FailureMode uint8

// Failure modes.
const (
	FailureDeny  FailureMode = iota + 1 // "deny" (default): 429
	FailureAllow                        // "allow"
)

// String returns the configuration spelling of the value.
func (m FailureMode) String() string {
	switch m {
	case FailureDeny:
		return "deny"
	case FailureAllow:
		return "allow"
	}
	return "invalid"
}

// RateLimitService is `rate_limit_service`.
type RateLimitService struct {
	// Cluster is `cluster` (required).
	Cluster string
	// Domain is `domain` (required).
	Domain string
	// Timeout is `timeout_ms` (default 50ms).
	Timeout time.Duration
	// FailureMode is `failure_mode` (default deny).
	FailureMode FailureMode
	// HashSecret is `hash_secret`, empty when absent: 16 to 1024
	// printable ASCII characters mixed into the seed of the descriptor
	// values' hash (see MinHashSecret). It is secret material: no error,
	// log line or metric shows it, and it formats as "[redacted]".
	HashSecret Secret
}

// Bounds of `rate_limit_service.hash_secret`, in bytes (each one a
// printable ASCII character).
const (
	MinHashSecret = 16
	MaxHashSecret = 1024
)

// Secret is secret configuration material. fmt prints it as "[redacted]"
// (empty when it is empty), so that printing a configuration value never
// shows it; string(s) is the value itself.
type Secret string

// String implements fmt.Stringer without revealing s.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString implements fmt.GoStringer (the %#v verb) without revealing s.
func (s Secret) GoString() string { return `"` + s.String() + `"` }

// Errors is `errors`.
type Errors struct {
	// SanitizeUpstream5xx is `sanitize_upstream_5xx` (default true).
	SanitizeUpstream5xx bool
	// ValidationDetails is `validation_details` (default false): a 400
	// for a body failing its schema lists its first violations.
	ValidationDetails bool
}
