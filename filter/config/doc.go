// Package config parses apiguard's configuration: the one JSON document
// described in docs/configuration.md "Configuration (the public interface)".
//
// Parse is strict. Unknown fields, wrong JSON types, bad durations or
// timestamps, impossible values and dangling references are errors, and the
// plugin refuses to start on any of them. Empty input (or whitespace only)
// is an error too: the plugin never runs without a configuration.
//
// The result is fully resolved: every default of docs/configuration.md "Defaults" is
// applied, durations are time.Duration, timestamps time.Time, dotted paths
// are split into segments, enumerations are typed, and names that compare
// case-insensitively (header names, media types) are lower-cased. Consumers
// compile it into runtime policies and never re-apply defaults or re-parse
// strings.
//
// Choices the design leaves open, made here (docs/configuration.md "Choices where the contract is silent" repeats them):
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
//     RoutePolicy.RequestBodyLimit.
//
// Errors: Parse returns an *ErrorList of *Error values, each with a JSON
// path such as `routes[1].rate_limits[0].window` and the line and column
// of the offending value. The walk goes on past errors so that one run
// reports them all (up to MaxErrors) in document order: syntax, unknown
// fields (with "did you mean" from the fields the object knows), types,
// values (with hints for durations in words and other routers' path
// syntax), missing fields; reference errors (an unknown provider, an owner
// parameter missing from the path template, a global limit without
// rate_limit_service, ...) are looked for once there is none. Messages
// never echo secret material: API-key hashes, JWKS contents and
// `rate_limit_service.hash_secret` are never quoted.
//
// Room: the model. It parses and validates strictly, and compiles nothing
// the filter runs (policy.Compile does; the route table and the `schemas`
// are compiled here only to check them); it imports only leaves (jsonx,
// httpx, route, schema).
package config
