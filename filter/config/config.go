package config

import (
	"time"

	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/route"
)

// Limits and defaults of the configuration. The Default* values are those of
// docs/configuration.md "Defaults"; the Max* values bound what an operator may ask for.
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

// Default durations (docs/configuration.md "Defaults", and the choices documented on the
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
	// the route table compares literal path segments after case folding.
	CaseInsensitivePaths bool
	// Default is `default`, or nil when absent (an unmatched request then
	// gets 404).
	Default *RoutePolicy
	// Routes is `routes`, in order; the route table policy.Compile builds
	// from RouteSpecs answers indexes into it.
	Routes []Route
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
	// Schemas is the top-level `schemas` object as written (nil when
	// absent), checked by schema.Compile; policy.Compile compiles it.
	Schemas *jsonx.Value
	// SchemaNames lists the names of Schemas in document order.
	SchemaNames []string
	// SecurityHeaders is `security_headers` (default true).
	SecurityHeaders bool
	// AuditLog is `audit_log` (default off).
	AuditLog AuditLog
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
// route.CompileWith with RouteOptions (Parse validates them that way;
// policy.Compile builds the table the filter uses).
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
	Policy RoutePolicy
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

// RoutePolicy is `default` or the policy part of a route. A field that is absent
// from the document is nil (or empty), and checks nothing.
type RoutePolicy struct {
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
	// verify them (docs/configuration.md "What reaches upstream").
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
func (p *RoutePolicy) ReadsRequestBody() bool {
	return p.Request != nil && p.Request.JSON != nil || p.Auth != nil && len(p.Auth.BodyOwner) > 0
}

// ReadsFormBody reports whether the policy reads request bodies sent as
// forms (application/x-www-form-urlencoded, multipart, or a POST without a
// Content-Type) as forms: its `auth.owner` checks
// refuse a form field named like their `param` (docs/configuration.md auth.owner), and
// its `auth.body_owner` checks one named like their field, so such a body
// is held and read like a JSON one (the plugin decides per request, from
// the Content-Type).
func (p *RoutePolicy) ReadsFormBody() bool {
	return p.Auth != nil && (len(p.Auth.Owner) > 0 || len(p.Auth.BodyOwner) > 0)
}

// ReadsJSONCopies reports whether the policy reads request bodies whose
// Content-Type says JSON for the JSON copies of its `auth.owner` params
// (docs/configuration.md auth.owner: Laravel's input() prefers a JSON
// body's member to the route's parameter).
func (p *RoutePolicy) ReadsJSONCopies() bool {
	return p.Auth != nil && len(p.Auth.Owner) > 0
}

// RefusesUpgrade reports whether upgrade (WebSocket) requests are refused
// with 400 on this policy: it must read a body (`request.json`,
// `auth.body_owner`) or inspect responses (`response`), and an upgraded
// stream is never buffered (docs/responses.md "Guarantees").
func (p *RoutePolicy) RefusesUpgrade() bool {
	return p.ReadsRequestBody() || p.Response != nil
}

// RequestBodyLimit returns the request body cap and whether it applies. It
// applies where `request.max_body_bytes` is written, and wherever the
// policy reads the body (with the 1 MiB default); otherwise the body is not
// counted.
func (p *RoutePolicy) RequestBodyLimit() (limit int64, enforced bool) {
	if p.Request != nil && p.Request.MaxBodyBytesSet {
		return p.Request.MaxBodyBytes, true
	}
	if p.ReadsRequestBody() {
		return DefaultMaxBodyBytes, true
	}
	return 0, false
}
