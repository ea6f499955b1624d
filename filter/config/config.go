// Package config parses apiguard's configuration: the one JSON document
// described in DESIGN.md "Configuration (the public interface)".
//
// Parse is strict. Unknown fields, wrong JSON types, bad durations or
// timestamps, impossible values and dangling references are errors, and the
// plugin refuses to start on any of them. Empty input (or whitespace only)
// is an error too: the plugin never runs without a configuration.
//
// The result is fully resolved: every default of DESIGN.md "Defaults" is
// applied, durations are time.Duration, timestamps time.Time, dotted paths
// are split into segments, enumerations are typed, and names that compare
// case-insensitively (header names, media types) are lower-cased. Consumers
// compile it into runtime policies and never re-apply defaults or re-parse
// strings.
//
// Choices the design leaves open, made here (the README repeats them):
//
//   - issuer and algorithms are required for JWT providers; a fetched JWKS
//     never yields an HMAC key, so HS* algorithms need an inline `jwks`;
//   - remote_jwks: authority defaults to the cluster name, timeout_ms to
//     2000 (at most 60000), refresh_seconds to 600 (at most 604800);
//   - a provider without `from` (JWT or api_keys) reads
//     `Authorization: Bearer`;
//   - claims_to_headers: names are written as configured, so they must be
//     lower-case; one provider maps at most one claim to a header, while
//     several providers may set the same header (only one provider verifies
//     a request); a header any provider reads a credential from cannot be
//     set from claims;
//   - API key ids and hashes are unique across all providers;
//   - rate_limit_slots must be a power of two (a slot is hash & (slots-1));
//   - token_cache.max_entries (at most 2^20) and max_bytes (at most 256 MiB)
//     may be 0, which turns the verified-token cache off;
//   - a configuration with neither `routes` nor `default` is refused (it
//     would answer 404 to everything);
//   - lists that name a set (methods, providers, origins, ...) refuse
//     duplicates, and lists whose emptiness would be ambiguous (`methods`,
//     `audiences`, `allow_origins`, ...) refuse `[]`;
//   - cors.allow_methods defaults to GET, HEAD, POST; origins must be in
//     the serialised form browsers send (lower case, no default port);
//   - deprecation.since is required; refuse_after_sunset needs sunset;
//   - a request.json.fields entry must check something (type or required);
//     redact needs paths or keys; pass_types are exact media types and may
//     not name a JSON type (JSON responses are always inspected);
//   - while case_insensitive_paths is false, a route that an earlier route
//     matches only when case is ignored, for a method both take, is refused
//     (route.Table.CaseShadow): every such request would get 404;
//   - a policy caps the request body where it reads one (`request.json`,
//     `auth.body_owner`) or where `request.max_body_bytes` is written; see
//     Policy.RequestBodyLimit.
//
// Errors are *Error values whose Path is a JSON path such as
// `routes[1].rate_limits[0].window`. Parse reports the first structural
// error (syntax, unknown field, type, value) in document order; when there
// is none, the first reference error (an unknown provider, an owner
// parameter missing from the path template, a global limit without
// rate_limit_service, ...) in document order. Messages never echo secret
// material: API-key hashes, JWKS contents and
// `rate_limit_service.hash_secret` are never quoted.
package config

import (
	"time"

	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/route"
)

// Limits and defaults of the configuration. The Default* values are those of
// DESIGN.md "Defaults"; the Max* values bound what an operator may ask for.
const (
	DefaultMaxBodyBytes   = 1 << 20  // request/response max_body_bytes
	MaxBodyBytesLimit     = 64 << 20 // largest accepted max_body_bytes
	DefaultJSONMaxDepth   = 32       // request.json.max_depth
	DefaultJSONMaxKeys    = 1000     // request.json.max_keys
	DefaultJSONMaxItems   = 1000     // request.json.max_array_items
	DefaultJSONMaxString  = 65536    // request.json.max_string_bytes
	MaxJSONDepthLimit     = 1024     // largest accepted max_depth
	DefaultRateLimitSlots = 65536    // rate_limit_slots
	MaxRateLimitSlots     = 1 << 24  // largest accepted rate_limit_slots
	// token_cache: the verified-token cache of each worker.
	DefaultTokenCacheEntries = 4096      // token_cache.max_entries
	DefaultTokenCacheBytes   = 4 << 20   // token_cache.max_bytes
	MaxTokenCacheEntries     = 1 << 20   // largest accepted max_entries
	MaxTokenCacheBytes       = 256 << 20 // largest accepted max_bytes
	DefaultMask              = "****"    // response.redact.mask
	MaxNameLen               = 64        // route, provider and rate-limit names
	MaxConfigBytes           = 16 << 20  // largest accepted document
)

// Default durations (DESIGN.md "Defaults", and the choices documented on the
// package).
const (
	DefaultClockSkew           = 60 * time.Second
	DefaultRemoteJWKSTimeout   = 2 * time.Second
	DefaultRemoteJWKSRefresh   = 600 * time.Second
	DefaultRemoteJWKSMaxStale  = 86400 * time.Second
	DefaultRateLimitSvcTimeout = 50 * time.Millisecond
)

// Config is the parsed configuration.
type Config struct {
	// Providers is `providers`, in document order.
	Providers []*Provider
	// HoldHeaders is `hold_headers` (default true).
	HoldHeaders bool
	// CaseInsensitivePaths is `case_insensitive_paths` (default false):
	// Table compares literal path segments after case folding.
	CaseInsensitivePaths bool
	// Default is `default`, or nil when absent (an unmatched request then
	// gets 404).
	Default *Policy
	// Routes is `routes`, in order; Table.Match returns indexes into it.
	Routes []Route
	// Table is the compiled `match` of Routes, built once by Parse.
	Table *route.Table
	// FailedAuthLimit is `failed_auth_limit`, or nil.
	FailedAuthLimit *FailedAuthLimit
	// RateLimitService is `rate_limit_service`, or nil.
	RateLimitService *RateLimitService
	// RateLimitSlots is `rate_limit_slots` (default 65536, a power of two).
	RateLimitSlots int
	// TokenCache is `token_cache`.
	TokenCache TokenCache
	// Errors is `errors`.
	Errors Errors
	// SecurityHeaders is `security_headers` (default true).
	SecurityHeaders bool
	// AuditLog is `audit_log` (default false).
	AuditLog bool
	// ClaimHeaders lists, sorted and without duplicates, every header any
	// provider sets from claims (`claims_to_headers`) together with its
	// underscore spelling (`x-user-id` and `x_user_id`): step 1 of the order
	// of checks removes client-sent copies of all of them.
	ClaimHeaders []string
}

// Provider looks a provider up by name; it returns nil when there is none.
func (c *Config) Provider(name string) *Provider {
	for _, p := range c.Providers {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// RouteSpecs returns the `match` of every route, ready for
// route.CompileWith with RouteOptions (Parse has already compiled them into
// Table).
func (c *Config) RouteSpecs() []route.Spec {
	specs := make([]route.Spec, len(c.Routes))
	for i, r := range c.Routes {
		specs[i] = route.Spec{Path: r.Match.Path, Prefix: r.Match.Prefix, Methods: r.Match.Methods}
	}
	return specs
}

// RouteOptions returns the table-wide matching options.
func (c *Config) RouteOptions() route.Options {
	return route.Options{CaseInsensitive: c.CaseInsensitivePaths}
}

// ProviderKind tells the two shapes of a provider apart.
type ProviderKind uint8

// Provider kinds.
const (
	ProviderJWT     ProviderKind = iota + 1 // issuer, audiences, jwks/remote_jwks...
	ProviderAPIKeys                         // api_keys
)

// String returns the configuration spelling of the value.
func (k ProviderKind) String() string {
	switch k {
	case ProviderJWT:
		return "jwt"
	case ProviderAPIKeys:
		return "api_keys"
	}
	return "invalid"
}

// Provider is one entry of `providers`.
type Provider struct {
	// Name is the provider's key in `providers`.
	Name string
	// Kind says which of JWT and APIKeys is set.
	Kind ProviderKind
	// JWT is set for JWT providers.
	JWT *JWTProvider
	// APIKeys is set for `api_keys` providers.
	APIKeys *APIKeysProvider
	// ClaimsToHeaders is `claims_to_headers`, in document order.
	ClaimsToHeaders []ClaimHeader
}

// From returns where the provider looks for its credential, whatever its
// kind.
func (p *Provider) From() []Source {
	if p.JWT != nil {
		return p.JWT.From
	}
	if p.APIKeys != nil {
		return p.APIKeys.From
	}
	return nil
}

// JWTProvider holds the JWT fields of a provider.
type JWTProvider struct {
	// Issuer is `issuer` (required, compared exactly with `iss`).
	Issuer string
	// Audiences is `audiences` (required, non-empty).
	Audiences []string
	// Algorithms is `algorithms` (required, non-empty): names from RS256,
	// RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, HS256,
	// HS384, HS512.
	Algorithms []string
	// JWKS is the inline `jwks` object, byte for byte as written, or nil.
	// Parse only checks that it is an object with a non-empty `keys` array of
	// objects; key validation belongs to the JWT package.
	JWKS []byte
	// RemoteJWKS is `remote_jwks`, or nil. Exactly one of JWKS and
	// RemoteJWKS is set.
	RemoteJWKS *RemoteJWKS
	// From is `from` (default: the Authorization header with "Bearer ").
	From []Source
	// ClockSkew is `clock_skew_seconds` (default 60s, at most 1h).
	ClockSkew time.Duration
	// RequireExpiration is `require_expiration` (default true).
	RequireExpiration bool
	// MaxLifetime is `max_lifetime_seconds`; 0 means no limit.
	MaxLifetime time.Duration
	// Forward is `forward` (default false: the credential is removed before
	// upstream).
	Forward bool
}

// RemoteJWKS is `remote_jwks`: a JWKS fetched through an Envoy cluster.
type RemoteJWKS struct {
	// Cluster is `cluster` (required).
	Cluster string
	// Authority is `authority` (default: Cluster). `url` sets Authority
	// and Path.
	Authority string
	// Path is `path` (starts with "/"; required unless url or discovery
	// gives it).
	Path string
	// Timeout is `timeout_ms` (default 2s).
	Timeout time.Duration
	// Refresh is `refresh_seconds` (default 600s).
	Refresh time.Duration
	// MaxStale is `max_stale_seconds` (default 86400s): how old the last
	// good set may grow while fetches fail before it stops serving. It is
	// more than Refresh plus Timeout, so a working endpoint never lets a
	// set go stale.
	MaxStale time.Duration
	// Discovery is `discovery`: Path (default DefaultDiscoveryPath) names
	// the OpenID discovery document, whose issuer must be the provider's
	// and whose jwks_uri is the JWKS to fetch.
	Discovery bool
	// Clusters is `clusters` (discovery only): the cluster through which a
	// jwks_uri on another authority than Authority is fetched, by
	// authority (compare with SameAuthority).
	Clusters map[string]string
}

// APIKeysProvider is `api_keys`.
type APIKeysProvider struct {
	// From is `api_keys.from` (default: the Authorization header with
	// "Bearer ").
	From []Source
	// Keys is `api_keys.keys`, in document order. It may be empty (every
	// key revoked).
	Keys []APIKey
}

// APIKey is one entry of `api_keys.keys`.
type APIKey struct {
	// ID is `id`, unique across the configuration; usage is counted by it.
	ID string
	// SHA256 is the decoded `sha256`.
	SHA256 [32]byte
	// Claims is `claims`, an object (empty when absent).
	Claims jsonx.Value
	// Expires is `expires`; the zero Time means never.
	Expires time.Time
}

// SourceKind says where a credential is looked for.
type SourceKind uint8

// Source kinds.
const (
	SourceHeader SourceKind = iota + 1
	SourceCookie
	SourceQuery
)

// String returns the configuration spelling of the value.
func (k SourceKind) String() string {
	switch k {
	case SourceHeader:
		return "header"
	case SourceCookie:
		return "cookie"
	case SourceQuery:
		return "query"
	}
	return "invalid"
}

// Source is one entry of `from`.
type Source struct {
	// Kind is the one of `header`, `cookie` and `query` that is set.
	Kind SourceKind
	// Name is the header name (lower-cased), the cookie name or the query
	// parameter name (both as written).
	Name string
	// Prefix is `prefix` (headers only), e.g. "Bearer ".
	Prefix string
}

// ClaimHeader is one entry of `claims_to_headers`.
type ClaimHeader struct {
	// Claim is the claim path, split on "." (see SplitClaimPath).
	Claim []string
	// ClaimName is the claim path as written, for logs.
	ClaimName string
	// Header is the upstream header name (lower-case).
	Header string
}

// Route is one entry of `routes`: a policy plus `name` and `match`.
type Route struct {
	// Name is `name` (required, unique).
	Name string
	// Match is `match`.
	Match Match
	// Policy holds the route's policy fields.
	Policy Policy
}

// Match is a route's `match`.
type Match struct {
	// Path is `match.path` (exact or template), or "".
	Path string
	// Prefix is `match.prefix`, or "". Exactly one of Path and Prefix is set.
	Prefix string
	// Methods is `match.methods`; nil means any method.
	Methods []string
	// Params are the `{name}` parameters of a Path template, in order.
	Params []string
}

// TLSMode is `require_tls`.
type TLSMode uint8

// TLS modes.
const (
	TLSOff        TLSMode = iota // false (default)
	TLSConnection                // true: the downstream connection is TLS
	TLSForwarded                 // "forwarded": X-Forwarded-Proto: https
)

// String returns the configuration spelling of the value.
func (m TLSMode) String() string {
	switch m {
	case TLSOff:
		return "off"
	case TLSConnection:
		return "connection"
	case TLSForwarded:
		return "forwarded"
	}
	return "invalid"
}

// Policy is `default` or the policy part of a route. A field that is absent
// from the document is nil (or empty), and checks nothing.
type Policy struct {
	// Enforce is `enforce` (default true; false is report-only).
	Enforce bool
	// RequireTLS is `require_tls` (default off).
	RequireTLS TLSMode
	// CORS is `cors`, or nil.
	CORS *CORS
	// Deprecation is `deprecation`, or nil.
	Deprecation *Deprecation
	// Auth is `auth`, or nil.
	Auth *Auth
	// Request is `request`, or nil. See RequestBodyLimit for the body cap.
	Request *Request
	// Response is `response`, or nil. When set, responses are inspected.
	Response *Response
	// RateLimits is `rate_limits`, in order (local and global mixed; local
	// ones are checked first).
	RateLimits []RateLimit
	// PassCredentials is `pass_credentials`: credential locations that
	// reach upstream as the client sent them although apiguard did not
	// verify them (DESIGN.md "What reaches upstream").
	PassCredentials []PassCredential
}

// PassCredential is one entry of `pass_credentials`, written
// "header:NAME", "cookie:NAME" or "query:NAME".
type PassCredential struct {
	// Kind is the location's kind.
	Kind SourceKind
	// Name is the header name lower-cased, or the cookie or query
	// parameter name normalised with NormalizeQueryName.
	Name string
	// Raw is the entry as written, for messages.
	Raw string
}

// ReadsRequestBody reports whether the policy needs the whole request body:
// it validates JSON (`request.json`) or checks `auth.body_owner`.
func (p *Policy) ReadsRequestBody() bool {
	return p.Request != nil && p.Request.JSON != nil || p.Auth != nil && len(p.Auth.BodyOwner) > 0
}

// ReadsFormBody reports whether the policy reads request bodies sent as
// forms (application/x-www-form-urlencoded, multipart, or a POST without a
// Content-Type) as forms: its `auth.owner` checks
// refuse a form field named like their `param` (DESIGN.md auth.owner), and
// its `auth.body_owner` checks one named like their field, so such a body
// is held and read like a JSON one (the plugin decides per request, from
// the Content-Type).
func (p *Policy) ReadsFormBody() bool {
	return p.Auth != nil && (len(p.Auth.Owner) > 0 || len(p.Auth.BodyOwner) > 0)
}

// RefusesUpgrade reports whether upgrade (WebSocket) requests are refused
// with 400 on this policy: it must read a body (`request.json`,
// `auth.body_owner`) or inspect responses (`response`), and an upgraded
// stream is never buffered (DESIGN.md "Guarantees").
func (p *Policy) RefusesUpgrade() bool {
	return p.ReadsRequestBody() || p.Response != nil
}

// RequestBodyLimit returns the request body cap and whether it applies. It
// applies where `request.max_body_bytes` is written, and wherever the
// policy reads the body (with the 1 MiB default); otherwise the body is not
// counted.
func (p *Policy) RequestBodyLimit() (limit int64, enforced bool) {
	if p.Request != nil && p.Request.MaxBodyBytesSet {
		return p.Request.MaxBodyBytes, true
	}
	if p.ReadsRequestBody() {
		return DefaultMaxBodyBytes, true
	}
	return 0, false
}

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
}
