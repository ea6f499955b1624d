package config

import (
	"errors"
	"strings"
	"testing"
)

// Builders of small documents around the part under test. Each yields a
// valid configuration when its argument is empty, so that a case's error
// comes from the argument alone.

// jwtIdp is a valid JWT provider named "idp".
const jwtIdp = `"idp":{"issuer":"https://idp/","audiences":["api"],"algorithms":["RS256"],"jwks":{"keys":[{"kty":"RSA"}]}}`

// withProvider puts body as provider "p", beside "idp".
func withProvider(body string) string {
	return `{"providers":{` + jwtIdp + `,"p":` + body + `},"default":{}}`
}

// withJWT adds fields to a valid JWT provider "p" (which has no jwks, so
// fields must supply jwks or remote_jwks unless told otherwise).
func withJWT(fields string) string {
	return withProvider(`{"issuer":"i","audiences":["a"],"algorithms":["RS256"]` + fields + `}`)
}

// withJWKS adds fields to a complete JWT provider "p".
func withJWKS(fields string) string {
	return withJWT(`,"jwks":{"keys":[{"kty":"RSA"}]}` + fields)
}

// withKeys puts keys as the api_keys.keys of provider "p".
func withKeys(keys string) string {
	return withProvider(`{"api_keys":{"keys":` + keys + `}}`)
}

// withRoute adds policy fields to route "r" at /users/{id}.
func withRoute(fields string) string {
	return `{"providers":{` + jwtIdp + `},"routes":[{"name":"r","match":{"path":"/users/{id}"}` + fields + `}]}`
}

// withTop adds top-level fields beside an empty default.
func withTop(fields string) string {
	return `{"providers":{` + jwtIdp + `},"default":{}` + fields + `}`
}

// unitsHint ends the message of a duration that names no unit it knows.
const unitsHint = ` (write a number and a unit: ms, s, m, h or d, as in "500ms", "30s", "1m", "1h30m", "1d")`

const hash64 = "1cc68cffb449b47a58990455ec596cc5be08feb0ccb8d83b2d6d483ac6c04289"

// parseErrorCases are the invalid documents of TestParse_errors, each with
// its expected error (TestSchema_invalid runs them through the published
// JSON Schema too).
func parseErrorCases() []struct{ name, doc, want string } {
	tests := []struct {
		name string
		doc  string
		want string
	}{
		// The document.
		{"empty", ``, `configuration is empty`},
		{"whitespace", " \n\t\r ", `configuration is empty`},
		{"truncated", `{`, `invalid JSON: syntax error (unexpected end of input) at line 1, column 2`},
		{"duplicate key", `{"default":{},"default":{}}`, `invalid JSON: duplicate object key at line 1, column 15`},
		{"trailing data", `{"default":{}} x`, `invalid JSON: data after the JSON value at line 1, column 16`},
		{"array", `[]`, `$: must be an object, not an array`},
		{"null", `null`, `$: must be an object, not null`},
		{"empty object", `{}`, `$: needs "routes" or "default" (without either, every request is refused with 404)`},
		{"only providers", `{"providers":{}}`, `$: needs "routes" or "default" (without either, every request is refused with 404)`},
		{"unknown top field", `{"default":{},"rutes":[]}`, `$: unknown field "rutes" (did you mean "routes"?)`},
		{"long unknown field is cut", `{"` + strings.Repeat("x", 100) + `":1}`, `$: unknown field "` + strings.Repeat("x", 64) + `"...` + "\n" + `$: needs "routes" or "default" (without either, every request is refused with 404)`},

		// Top-level scalars.
		{"hold_headers type", withTop(`,"hold_headers":"yes"`), `hold_headers: must be a boolean, not a string`},
		{"security_headers type", withTop(`,"security_headers":1`), `security_headers: must be a boolean, not a number`},
		{"case_insensitive_paths type", withTop(`,"case_insensitive_paths":"true"`), `case_insensitive_paths: must be a boolean, not a string`},
		{"case_insensitive_paths null", withTop(`,"case_insensitive_paths":null`), `case_insensitive_paths: must be a boolean, not null`},
		{"audit_log null", withTop(`,"audit_log":null`), `audit_log: must be a boolean or an object, not null`},
		{"audit_log string", withTop(`,"audit_log":"on"`), `audit_log: must be a boolean or an object, not a string`},
		{"audit_log unknown", withTop(`,"audit_log":{"raw_paths":true}`), `audit_log: unknown field "raw_paths" (did you mean "raw_path"?)`},
		{"audit_log raw_path type", withTop(`,"audit_log":{"raw_path":"yes"}`), `audit_log.raw_path: must be a boolean, not a string`},
		{"audit_log hash_secret short", withTop(`,"audit_log":{"hash_secret":"0123456789abcde"}`), `audit_log.hash_secret: must be 16 to 1024 printable ASCII characters`},
		{"audit_log hash_secret long", withTop(`,"audit_log":{"hash_secret":"` + strings.Repeat("s", 1025) + `"}`), `audit_log.hash_secret: must be 16 to 1024 printable ASCII characters`},
		{"audit_log hash_secret control", withTop(`,"audit_log":{"hash_secret":"0123456789abcdef\n"}`), `audit_log.hash_secret: must be 16 to 1024 printable ASCII characters`},
		{"audit_log hash_secret type", withTop(`,"audit_log":{"hash_secret":16}`), `audit_log.hash_secret: must be a string or {"env": "NAME"}, not a number`},
		{"audit_log hash_secret env type", withTop(`,"audit_log":{"hash_secret":{"env":1}}`), `audit_log.hash_secret.env: must be a string, not a number`},
		{"errors type", withTop(`,"errors":[]`), `errors: must be an object, not an array`},
		{"errors unknown", withTop(`,"errors":{"sanitize":true}`), `errors: unknown field "sanitize"`},
		{"errors sanitize type", withTop(`,"errors":{"sanitize_upstream_5xx":"no"}`), `errors.sanitize_upstream_5xx: must be a boolean, not a string`},
		{"slots zero", withTop(`,"rate_limit_slots":0`), `rate_limit_slots: must be between 1 and 16777216`},
		{"slots negative", withTop(`,"rate_limit_slots":-4`), `rate_limit_slots: must be between 1 and 16777216`},
		{"slots fraction", withTop(`,"rate_limit_slots":1.5`), `rate_limit_slots: must be an integer, not 1.5`},
		{"slots exponent", withTop(`,"rate_limit_slots":1e3`), `rate_limit_slots: must be an integer, not 1e3`},
		{"slots long fraction", withTop(`,"rate_limit_slots":1.00000000000000000000000000000000001`), `rate_limit_slots: must be an integer, not 1.000000000000000000000000000000...`},
		{"slots whole fraction", withTop(`,"rate_limit_slots":1024.0`), `rate_limit_slots: must be an integer, not 1024.0`},
		{"slots overflow", withTop(`,"rate_limit_slots":99999999999999999999999`), `rate_limit_slots: must be between 1 and 16777216`},
		{"slots too many", withTop(`,"rate_limit_slots":33554432`), `rate_limit_slots: must be between 1 and 16777216`},
		{"slots not power of two", withTop(`,"rate_limit_slots":100000`), `rate_limit_slots: must be a power of two (e.g. 65536)`},
		{"slots string", withTop(`,"rate_limit_slots":"65536"`), `rate_limit_slots: must be an integer, not a string`},

		// token_cache.
		{"token_cache type", withTop(`,"token_cache":4096`), `token_cache: must be an object, not a number`},
		{"token_cache unknown", withTop(`,"token_cache":{"entries":1}`), `token_cache: unknown field "entries"`},
		{"token_cache entries negative", withTop(`,"token_cache":{"max_entries":-1}`), `token_cache.max_entries: must be between 0 and 1048576`},
		{"token_cache entries too many", withTop(`,"token_cache":{"max_entries":1048577}`), `token_cache.max_entries: must be between 0 and 1048576`},
		{"token_cache bytes fraction", withTop(`,"token_cache":{"max_bytes":1.5}`), `token_cache.max_bytes: must be an integer, not 1.5`},
		{"token_cache bytes too many", withTop(`,"token_cache":{"max_bytes":268435457}`), `token_cache.max_bytes: must be between 0 and 268435456`},
		{"token_cache bytes string", withTop(`,"token_cache":{"max_bytes":"4MiB"}`), `token_cache.max_bytes: must be an integer, not a string`},

		// failed_auth_limit.
		{"fal type", withTop(`,"failed_auth_limit":true`), `failed_auth_limit: must be an object, not a boolean`},
		{"fal claim key", withTop(`,"failed_auth_limit":{"key":"claim:sub","limit":1,"window":"1m"}`), `failed_auth_limit.key: must be "ip" or "header:NAME" (no credential is verified when it counts)`},
		{"fal route key", withTop(`,"failed_auth_limit":{"key":"route","limit":1,"window":"1m"}`), `failed_auth_limit.key: must be "ip" or "header:NAME" (no credential is verified when it counts)`},
		{"fal bad key", withTop(`,"failed_auth_limit":{"key":"user","limit":1,"window":"1m"}`), `failed_auth_limit.key: "user" is not a rate-limit key (want ip, route, header:NAME or claim:PATH)`},
		{"fal missing key", withTop(`,"failed_auth_limit":{"limit":1,"window":"1m"}`), `failed_auth_limit: missing required field "key"`},
		{"fal missing limit", withTop(`,"failed_auth_limit":{"key":"ip","window":"1m"}`), `failed_auth_limit: missing required field "limit"`},
		{"fal missing window", withTop(`,"failed_auth_limit":{"key":"ip","limit":5}`), `failed_auth_limit: missing required field "window"`},
		{"fal limit zero", withTop(`,"failed_auth_limit":{"key":"ip","limit":0,"window":"1m"}`), `failed_auth_limit.limit: must be between 1 and 1000000000`},
		{"fal window bad", withTop(`,"failed_auth_limit":{"key":"ip","limit":1,"window":"1x"}`), `failed_auth_limit.window: "1x" is not a duration` + unitsHint},
		{"fal unknown", withTop(`,"failed_auth_limit":{"key":"ip","limit":1,"window":"1m","burst":2}`), `failed_auth_limit: unknown field "burst"`},

		// rate_limit_service.
		{"rls type", withTop(`,"rate_limit_service":"rl"`), `rate_limit_service: must be an object, not a string`},
		{"rls missing cluster", withTop(`,"rate_limit_service":{"domain":"d"}`), `rate_limit_service: missing required field "cluster"`},
		{"rls missing domain", withTop(`,"rate_limit_service":{"cluster":"c"}`), `rate_limit_service: missing required field "domain"`},
		{"rls empty cluster", withTop(`,"rate_limit_service":{"cluster":"","domain":"d"}`), `rate_limit_service.cluster: must not be empty`},
		{"rls control domain", withTop(`,"rate_limit_service":{"cluster":"c","domain":"a\nb"}`), `rate_limit_service.domain: must not contain control characters`},
		{"rls timeout zero", withTop(`,"rate_limit_service":{"cluster":"c","domain":"d","timeout_ms":0}`), `rate_limit_service.timeout_ms: must be between 1 and 10000`},
		{"rls failure mode", withTop(`,"rate_limit_service":{"cluster":"c","domain":"d","failure_mode":"open"}`), `rate_limit_service.failure_mode: must be "deny" or "allow", not "open"`},
		{"rls unknown", withTop(`,"rate_limit_service":{"cluster":"c","domain":"d","grpc":true}`), `rate_limit_service: unknown field "grpc"`},
		{"rls hash_secret type", withTop(`,"rate_limit_service":{"cluster":"c","domain":"d","hash_secret":1234567890123456}`), `rate_limit_service.hash_secret: must be a string or {"env": "NAME"}, not a number`},
		{"rls hash_secret null", withTop(`,"rate_limit_service":{"cluster":"c","domain":"d","hash_secret":null}`), `rate_limit_service.hash_secret: must be a string or {"env": "NAME"}, not null`},
		{"rls hash_secret empty", withTop(`,"rate_limit_service":{"cluster":"c","domain":"d","hash_secret":""}`), `rate_limit_service.hash_secret: must be 16 to 1024 printable ASCII characters`},
		{"rls hash_secret too short", withTop(`,"rate_limit_service":{"cluster":"c","domain":"d","hash_secret":"0123456789abcde"}`), `rate_limit_service.hash_secret: must be 16 to 1024 printable ASCII characters`},
		{"rls hash_secret too long", withTop(`,"rate_limit_service":{"cluster":"c","domain":"d","hash_secret":"` + strings.Repeat("s", 1025) + `"}`), `rate_limit_service.hash_secret: must be 16 to 1024 printable ASCII characters`},
		{"rls hash_secret control", withTop(`,"rate_limit_service":{"cluster":"c","domain":"d","hash_secret":"0123456789\nabcdef"}`), `rate_limit_service.hash_secret: must be 16 to 1024 printable ASCII characters`},
		{"rls hash_secret tab", withTop(`,"rate_limit_service":{"cluster":"c","domain":"d","hash_secret":"0123456789\tabcdef"}`), `rate_limit_service.hash_secret: must be 16 to 1024 printable ASCII characters`},
		{"rls hash_secret DEL", withTop(`,"rate_limit_service":{"cluster":"c","domain":"d","hash_secret":"0123456789\u007fabcdef"}`), `rate_limit_service.hash_secret: must be 16 to 1024 printable ASCII characters`},
		{"rls hash_secret non-ASCII", withTop(`,"rate_limit_service":{"cluster":"c","domain":"d","hash_secret":"0123456789abcdéf"}`), `rate_limit_service.hash_secret: must be 16 to 1024 printable ASCII characters`},

		// providers.
		{"providers type", `{"providers":[],"default":{}}`, `providers: must be an object, not an array`},
		{"provider name", `{"providers":{"a b":{}},"default":{}}`, `providers["a b"]: provider name must be 1 to 64 letters, digits, ".", "_" or "-"`},
		{"provider dotted name path", `{"providers":{"a.b":{"issuer":1}},"default":{}}`, `providers["a.b"].issuer: must be a string, not a number`},
		{"provider type", withProvider(`"x"`), `providers.p: must be an object, not a string`},
		{"provider empty", withProvider(`{}`), `providers.p: needs "api_keys", or the fields of a JWT provider ("issuer", "audiences", "algorithms", and "jwks" or "remote_jwks")`},
		{"provider only claims_to_headers", withProvider(`{"claims_to_headers":{}}`), `providers.p: needs "api_keys", or the fields of a JWT provider ("issuer", "audiences", "algorithms", and "jwks" or "remote_jwks")`},
		{"provider unknown", withJWKS(`,"issuers":["x"]`), `providers.p: unknown field "issuers" (did you mean "issuer"?)`},
		{"missing issuer", withProvider(`{"audiences":["a"],"algorithms":["RS256"],"jwks":{"keys":[{}]}}`), `providers.p: missing required field "issuer"`},
		{"missing audiences", withProvider(`{"issuer":"i","algorithms":["RS256"],"jwks":{"keys":[{}]}}`), `providers.p: missing required field "audiences"`},
		{"missing algorithms", withProvider(`{"issuer":"i","audiences":["a"],"jwks":{"keys":[{}]}}`), `providers.p: missing required field "algorithms"`},
		{"missing keys source", withJWT(``), `providers.p: needs one of "jwks" and "remote_jwks"`},
		{"issuer empty", withProvider(`{"issuer":""}`), `providers.p.issuer: must not be empty`},
		{"issuer type", withProvider(`{"issuer":["i"]}`), `providers.p.issuer: must be a string, not an array`},
		{"audiences empty", withProvider(`{"issuer":"i","audiences":[]}`), `providers.p.audiences: must not be empty`},
		{"audiences string", withProvider(`{"issuer":"i","audiences":"a"}`), `providers.p.audiences: must be an array, not a string`},
		{"audience empty string", withProvider(`{"issuer":"i","audiences":["a",""]}`), `providers.p.audiences[1]: must not be empty`},
		{"audience number", withProvider(`{"issuer":"i","audiences":[1]}`), `providers.p.audiences[0]: must be a string, not a number`},
		{"audience duplicate", withProvider(`{"issuer":"i","audiences":["a","b","a"]}`), `providers.p.audiences[2]: duplicate of "a" at [0]`},
		{"algorithms empty", withProvider(`{"issuer":"i","audiences":["a"],"algorithms":[]}`), `providers.p.algorithms: must not be empty`},
		{"algorithm none", withProvider(`{"issuer":"i","audiences":["a"],"algorithms":["RS256","none"]}`), `providers.p.algorithms[1]: "none" is never accepted`},
		{"algorithm None", withProvider(`{"issuer":"i","audiences":["a"],"algorithms":["None"]}`), `providers.p.algorithms[0]: "none" is never accepted`},
		{"algorithm unknown", withProvider(`{"issuer":"i","audiences":["a"],"algorithms":["rs256"]}`), `providers.p.algorithms[0]: unsupported algorithm "rs256" (want one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, HS256, HS384, HS512) (did you mean "RS256"?)`},
		{"algorithm duplicate", withProvider(`{"issuer":"i","audiences":["a"],"algorithms":["ES256","ES256"]}`), `providers.p.algorithms[1]: duplicate of "ES256" at [0]`},
		{"hmac with remote jwks", withProvider(`{"issuer":"i","audiences":["a"],"algorithms":["RS256","HS384"],"remote_jwks":{"cluster":"c","path":"/k"}}`), `providers.p.algorithms[1]: "HS384" needs an inline "jwks": a fetched JWKS never yields an HMAC key`},
		{"jwks type", withJWT(`,"jwks":"{}"`), `providers.p.jwks: must be an object, not a string`},
		{"jwks no keys", withJWT(`,"jwks":{}`), `providers.p.jwks: missing required field "keys"`},
		{"jwks keys empty", withJWT(`,"jwks":{"keys":[]}`), `providers.p.jwks.keys: must not be empty`},
		{"jwks keys object", withJWT(`,"jwks":{"keys":{"kty":"oct"}}`), `providers.p.jwks.keys: must be an array, not an object`},
		{"jwks key string", withJWT(`,"jwks":{"keys":[{"kty":"oct","k":"c2VjcmV0LWhtYWMta2V5"},"c2VjcmV0LWhtYWMta2V5"]}`), `providers.p.jwks.keys[1]: must be an object, not a string`},
		{"jwks and remote", withJWT(`,"jwks":{"keys":[{}]},"remote_jwks":{"cluster":"c","path":"/k"}`), `providers.p.remote_jwks: not allowed together with "jwks" (exactly one of them)`},
		{"remote and jwks", withJWT(`,"remote_jwks":{"cluster":"c","path":"/k"},"jwks":{"keys":[{}]}`), `providers.p.jwks: not allowed together with "remote_jwks" (exactly one of them)`},
		{"remote type", withJWT(`,"remote_jwks":"https://idp/jwks"`), `providers.p.remote_jwks: must be an object, not a string`},
		{"remote missing cluster", withJWT(`,"remote_jwks":{"path":"/k"}`), `providers.p.remote_jwks: missing required field "cluster"`},
		{"remote missing path", withJWT(`,"remote_jwks":{"cluster":"c"}`), `providers.p.remote_jwks: missing required field "path" (or "url")`},
		{"remote relative path", withJWT(`,"remote_jwks":{"cluster":"c","path":"k"}`), `providers.p.remote_jwks.path: must start with "/" and hold no space or "#"`},
		{"remote authority", withJWT(`,"remote_jwks":{"cluster":"c","path":"/k","authority":"idp/x"}`), `providers.p.remote_jwks.authority: "idp/x" is not a host[:port]`},
		{"remote timeout zero", withJWT(`,"remote_jwks":{"cluster":"c","path":"/k","timeout_ms":0}`), `providers.p.remote_jwks.timeout_ms: must be between 1 and 60000`},
		{"remote timeout huge", withJWT(`,"remote_jwks":{"cluster":"c","path":"/k","timeout_ms":60001}`), `providers.p.remote_jwks.timeout_ms: must be between 1 and 60000`},
		{"remote refresh zero", withJWT(`,"remote_jwks":{"cluster":"c","path":"/k","refresh_seconds":0}`), `providers.p.remote_jwks.refresh_seconds: must be between 1 and 604800`},
		{"remote refresh fraction", withJWT(`,"remote_jwks":{"cluster":"c","path":"/k","refresh_seconds":0.5}`), `providers.p.remote_jwks.refresh_seconds: must be an integer, not 0.5`},
		{"remote unknown", withJWT(`,"remote_jwks":{"cluster":"c","path":"/k","uri":"https://x"}`), `providers.p.remote_jwks: unknown field "uri" (did you mean "url"?)`},
		{"remote url not https", withJWT(`,"remote_jwks":{"cluster":"c","url":"ftp://idp/jwks"}`), `providers.p.remote_jwks.url: "ftp://idp/jwks" is not an https (or http) URL`},
		{"remote url relative", withJWT(`,"remote_jwks":{"cluster":"c","url":"/jwks"}`), `providers.p.remote_jwks.url: "/jwks" is not an https (or http) URL`},
		{"remote url query", withJWT(`,"remote_jwks":{"cluster":"c","url":"https://idp/jwks?v=1"}`), `providers.p.remote_jwks.url: "https://idp/jwks?v=1" has a query (?)`},
		{"remote url fragment", withJWT(`,"remote_jwks":{"cluster":"c","url":"https://idp/jwks#k"}`), `providers.p.remote_jwks.url: "https://idp/jwks#k" has a fragment (#)`},
		{"remote url userinfo", withJWT(`,"remote_jwks":{"cluster":"c","url":"https://u:p@idp/jwks"}`), `providers.p.remote_jwks.url: "https://u:p@idp/jwks" has no host[:port] (or user information in it)`},
		{"remote url no host", withJWT(`,"remote_jwks":{"cluster":"c","url":"https:///jwks"}`), `providers.p.remote_jwks.url: "https:///jwks" has no host[:port] (or user information in it)`},
		{"remote url space", withJWT(`,"remote_jwks":{"cluster":"c","url":"https://idp/a b"}`), `providers.p.remote_jwks.url: "https://idp/a b" holds a space, a backslash or a control character`},
		{"remote url backslash", withJWT(`,"remote_jwks":{"cluster":"c","url":"https://idp\\jwks"}`), `providers.p.remote_jwks.url: "https://idp\\jwks" holds a space, a backslash or a control character`},
		{"remote url no path", withJWT(`,"remote_jwks":{"cluster":"c","url":"https://idp"}`), `providers.p.remote_jwks.url: needs a path: the JWKS's (or set "discovery": true for the OpenID discovery document at /.well-known/openid-configuration)`},
		{"remote url and path", withJWT(`,"remote_jwks":{"cluster":"c","url":"https://idp/k","path":"/k"}`), `providers.p.remote_jwks.url: not allowed together with "authority" or "path" (url stands for both)`},
		{"remote url and authority", withJWT(`,"remote_jwks":{"cluster":"c","authority":"idp","url":"https://idp/k"}`), `providers.p.remote_jwks.url: not allowed together with "authority" or "path" (url stands for both)`},
		{"remote url number", withJWT(`,"remote_jwks":{"cluster":"c","url":7}`), `providers.p.remote_jwks.url: must be a string, not a number`},
		{"remote discovery string", withJWT(`,"remote_jwks":{"cluster":"c","discovery":"yes"}`), `providers.p.remote_jwks.discovery: must be a boolean, not a string`},
		{"remote clusters without discovery", withJWT(`,"remote_jwks":{"cluster":"c","path":"/k","clusters":{"keys.example":"k"}}`), `providers.p.remote_jwks.clusters: only allowed with "discovery": true (clusters for the authorities a discovery document's jwks_uri may name)`},
		{"remote clusters bad authority", withJWT(`,"remote_jwks":{"cluster":"c","discovery":true,"clusters":{"https://keys.example":"k"}}`), `providers.p.remote_jwks.clusters["https://keys.example"]: "https://keys.example" is not a host[:port]`},
		{"remote clusters empty cluster", withJWT(`,"remote_jwks":{"cluster":"c","discovery":true,"clusters":{"keys.example":""}}`), `providers.p.remote_jwks.clusters["keys.example"]: must not be empty`},
		{"remote clusters same authority twice", withJWT(`,"remote_jwks":{"cluster":"c","discovery":true,"clusters":{"keys.example":"k","KEYS.example:443":"k2"}}`), `providers.p.remote_jwks.clusters["KEYS.example:443"]: same authority as "keys.example"`},
		{"remote clusters the authority", withJWT(`,"remote_jwks":{"cluster":"c","authority":"idp.example","discovery":true,"clusters":{"IDP.example":"k"}}`), `providers.p.remote_jwks.clusters["IDP.example"]: is the authority itself, fetched through "cluster"`},
		{"remote discovery max_stale", withJWT(`,"remote_jwks":{"cluster":"c","discovery":true,"refresh_seconds":60,"timeout_ms":1000,"max_stale_seconds":62}`), `providers.p.remote_jwks.max_stale_seconds: must be more than refresh_seconds plus timeout_ms (at least 63), or the last good set goes stale before its refresh is answered`},
		{"remote max_stale zero", withJWT(`,"remote_jwks":{"cluster":"c","path":"/k","max_stale_seconds":0}`), `providers.p.remote_jwks.max_stale_seconds: must be between 1 and 2592000`},
		{"remote max_stale string", withJWT(`,"remote_jwks":{"cluster":"c","path":"/k","max_stale_seconds":"1d"}`), `providers.p.remote_jwks.max_stale_seconds: must be an integer, not a string`},
		{"remote max_stale below refresh", withJWT(`,"remote_jwks":{"cluster":"c","path":"/k","refresh_seconds":600,"max_stale_seconds":300}`), `providers.p.remote_jwks.max_stale_seconds: must be more than refresh_seconds plus timeout_ms (at least 603), or the last good set goes stale before its refresh is answered`},
		{"remote max_stale equal refresh plus timeout", withJWT(`,"remote_jwks":{"cluster":"c","path":"/k","refresh_seconds":60,"timeout_ms":1000,"max_stale_seconds":61}`), `providers.p.remote_jwks.max_stale_seconds: must be more than refresh_seconds plus timeout_ms (at least 62), or the last good set goes stale before its refresh is answered`},
		{"remote refresh past default max_stale", withJWT(`,"remote_jwks":{"cluster":"c","path":"/k","refresh_seconds":86400}`), `providers.p.remote_jwks.refresh_seconds: with max_stale_seconds at its default 86400, must be under it minus timeout_ms; raise max_stale_seconds to at least 86403`},
		{"from empty", withJWKS(`,"from":[]`), `providers.p.from: must not be empty`},
		{"from object", withJWKS(`,"from":{"header":"a"}`), `providers.p.from: must be an array, not an object`},
		{"from item type", withJWKS(`,"from":["authorization"]`), `providers.p.from[0]: must be an object, not a string`},
		{"from none", withJWKS(`,"from":[{}]`), `providers.p.from[0]: needs exactly one of "header", "cookie" and "query"`},
		{"from two", withJWKS(`,"from":[{"header":"a","cookie":"b"}]`), `providers.p.from[0]: needs exactly one of "header", "cookie" and "query"`},
		{"from prefix on cookie", withJWKS(`,"from":[{"cookie":"c","prefix":"x"}]`), `providers.p.from[0].prefix: only allowed with "header"`},
		{"from prefix type", withJWKS(`,"from":[{"header":"a","prefix":1}]`), `providers.p.from[0].prefix: must be a string, not a number`},
		{"from prefix control", withJWKS(`,"from":[{"header":"a","prefix":"B\r\n"}]`), `providers.p.from[0].prefix: must not contain control characters`},
		{"from bad header", withJWKS(`,"from":[{"header":"x api key"}]`), `providers.p.from[0].header: "x api key" is not a valid header name`},
		{"from pseudo header", withJWKS(`,"from":[{"header":":authority"}]`), `providers.p.from[0].header: ":authority" is a pseudo-header`},
		{"from cookie header", withJWKS(`,"from":[{"header":"Cookie"}]`), `providers.p.from[0].header: use {"cookie": NAME} to read a cookie`},
		{"from bad cookie", withJWKS(`,"from":[{"cookie":"a;b"}]`), `providers.p.from[0].cookie: "a;b" is not a valid cookie name`},
		{"from bad query", withJWKS(`,"from":[{"query":"a=b"}]`), `providers.p.from[0].query: must be a query parameter name (not empty or spaces only, no control characters, no "&", ";", "=" or "#")`},
		{"from duplicate", withJWKS(`,"from":[{"header":"X-Token"},{"header":"x-token","prefix":"T "}]`), `providers.p.from[1]: duplicate of [0]`},
		{"from unknown", withJWKS(`,"from":[{"header":"a","scheme":"Bearer"}]`), `providers.p.from[0]: unknown field "scheme"`},
		{"skew negative", withJWKS(`,"clock_skew_seconds":-1`), `providers.p.clock_skew_seconds: must be between 0 and 3600`},
		{"skew large", withJWKS(`,"clock_skew_seconds":3601`), `providers.p.clock_skew_seconds: must be between 0 and 3600`},
		{"skew string", withJWKS(`,"clock_skew_seconds":"30s"`), `providers.p.clock_skew_seconds: must be an integer, not a string`},
		{"require_expiration type", withJWKS(`,"require_expiration":"true"`), `providers.p.require_expiration: must be a boolean, not a string`},
		{"max lifetime zero", withJWKS(`,"max_lifetime_seconds":0`), `providers.p.max_lifetime_seconds: must be between 1 and 315360000`},
		{"forward type", withJWKS(`,"forward":0`), `providers.p.forward: must be a boolean, not a number`},
		{"c2h type", withJWKS(`,"claims_to_headers":[]`), `providers.p.claims_to_headers: must be an object, not an array`},
		{"c2h value type", withJWKS(`,"claims_to_headers":{"sub":1}`), `providers.p.claims_to_headers.sub: must be a string, not a number`},
		{"c2h upper", withJWKS(`,"claims_to_headers":{"sub":"X-User"}`), `providers.p.claims_to_headers.sub: "X-User" must be lower-case`},
		{"c2h host", withJWKS(`,"claims_to_headers":{"sub":"host"}`), `providers.p.claims_to_headers.sub: "host" cannot be set from claims`},
		{"c2h te", withJWKS(`,"claims_to_headers":{"sub":"te"}`), `providers.p.claims_to_headers.sub: "te" cannot be set from claims`},
		{"c2h content-length", withJWKS(`,"claims_to_headers":{"sub":"content-length"}`), `providers.p.claims_to_headers.sub: "content-length" cannot be set from claims`},
		{"c2h authorization", withJWKS(`,"claims_to_headers":{"sub":"authorization"}`), `providers.p.claims_to_headers.sub: "authorization" cannot be set from claims`},
		{"c2h envoy", withJWKS(`,"claims_to_headers":{"sub":"x-envoy-original-path"}`), `providers.p.claims_to_headers.sub: "x-envoy-original-path" cannot be set from claims`},
		{"c2h pseudo", withJWKS(`,"claims_to_headers":{"sub":":path"}`), `providers.p.claims_to_headers.sub: ":path" is a pseudo-header`},
		{"c2h not token", withJWKS(`,"claims_to_headers":{"sub":"x user"}`), `providers.p.claims_to_headers.sub: "x user" is not a valid header name`},
		{"c2h underscore", withJWKS(`,"claims_to_headers":{"sub":"x_user"}`), `providers.p.claims_to_headers.sub: "x_user" must not contain "_" (upstreams often read "_" and "-" alike; use "-")`},
		{"c2h bad claim path", withJWKS(`,"claims_to_headers":{"a..b":"x-a"}`), `providers.p.claims_to_headers["a..b"]: empty key in path "a..b"`},
		{"c2h same header", withJWKS(`,"claims_to_headers":{"sub":"x-a","tenant":"x-a"}`), `providers.p.claims_to_headers.tenant: header "x-a" is already set from claim "sub"`},
		{"c2h credential header", withProvider(`{"api_keys":{"from":[{"header":"X-Api-Key"}],"keys":[]}}` + `,"q":{"api_keys":{"keys":[]},"claims_to_headers":{"sub":"x-api-key"}}`), `providers.q.claims_to_headers.sub: header "x-api-key" is where provider "p" reads its credential (from[0])`},

		// api_keys providers.
		{"api_keys with issuer", withProvider(`{"issuer":"i","api_keys":{"keys":[]}}`), `providers.p.issuer: not allowed in an "api_keys" provider (JWT providers only)`},
		{"api_keys with forward", withProvider(`{"api_keys":{"keys":[]},"forward":true}`), `providers.p.forward: not allowed in an "api_keys" provider (JWT providers only)`},
		{"api_keys with outer from", withProvider(`{"api_keys":{"keys":[]},"from":[{"header":"x-key"}]}`), `providers.p.from: not allowed in an "api_keys" provider (JWT providers only)`},
		{"api_keys type", withProvider(`{"api_keys":[]}`), `providers.p.api_keys: must be an object, not an array`},
		{"api_keys missing keys", withProvider(`{"api_keys":{}}`), `providers.p.api_keys: missing required field "keys"`},
		{"api_keys unknown", withProvider(`{"api_keys":{"keys":[],"header":"x"}}`), `providers.p.api_keys: unknown field "header"`},
		{"api_keys from empty", withProvider(`{"api_keys":{"keys":[],"from":[]}}`), `providers.p.api_keys.from: must not be empty`},
		{"keys type", withKeys(`{}`), `providers.p.api_keys.keys: must be an array or {"env": "NAME"}, not an object`},
		{"key type", withKeys(`["k"]`), `providers.p.api_keys.keys[0]: must be an object, not a string`},
		{"key missing id", withKeys(`[{"sha256":"` + hash64 + `"}]`), `providers.p.api_keys.keys[0]: missing required field "id"`},
		{"key missing hash", withKeys(`[{"id":"k1"}]`), `providers.p.api_keys.keys[0]: missing required field "sha256"`},
		{"key id empty", withKeys(`[{"id":""}]`), `providers.p.api_keys.keys[0].id: must be 1 to 128 letters, digits, ".", "_", ":" or "-"` + "\n" + `providers.p.api_keys.keys[0]: missing required field "sha256"`},
		{"key id duplicate", withKeys(`[{"id":"k1","sha256":"` + hash64 + `"},{"id":"k1"}]`), `providers.p.api_keys.keys[1].id: duplicate key id "k1"` + "\n" + `providers.p.api_keys.keys[1]: missing required field "sha256"`},
		{"key hash short", withKeys(`[{"id":"k1","sha256":"abcdef"}]`), `providers.p.api_keys.keys[0].sha256: must be 64 hex digits (the SHA-256 of the key)`},
		{"key hash not hex", withKeys(`[{"id":"k1","sha256":"` + strings.Repeat("zz", 32) + `"}]`), `providers.p.api_keys.keys[0].sha256: must be 64 hex digits (the SHA-256 of the key)`},
		{"key hash type", withKeys(`[{"id":"k1","sha256":1}]`), `providers.p.api_keys.keys[0].sha256: must be a string, not a number`},
		{"key hash duplicate", withKeys(`[{"id":"k1","sha256":"` + hash64 + `"},{"sha256":"` + strings.ToUpper(hash64) + `","id":"k2"}]`), `providers.p.api_keys.keys[1].sha256: same hash as key "k1"`},
		{"key claims type", withKeys(`[{"id":"k1","sha256":"` + hash64 + `","claims":"sub=acme"}]`), `providers.p.api_keys.keys[0].claims: must be an object, not a string`},
		{"key expires bad", withKeys(`[{"id":"k1","sha256":"` + hash64 + `","expires":"2027-11-01"}]`), `providers.p.api_keys.keys[0].expires: "2027-11-01" is not an RFC 3339 timestamp`},
		{"key unknown", withKeys(`[{"id":"k1","sha256":"` + hash64 + `","key":"clear"}]`), `providers.p.api_keys.keys[0]: unknown field "key"`},

		// routes and match.
		{"routes type", `{"routes":{}}`, `routes: must be an array, not an object`},
		{"route type", `{"routes":["r"]}`, `routes[0]: must be an object, not a string`},
		{"route missing name", `{"routes":[{"match":{"path":"/"}}]}`, `routes[0]: missing required field "name"`},
		{"route missing match", `{"routes":[{"name":"r"}]}`, `routes[0]: missing required field "match"`},
		{"route name empty", `{"routes":[{"name":"","match":{"path":"/"}}]}`, `routes[0].name: must be 1 to 64 letters, digits, ".", "_" or "-"`},
		{"route name space", `{"routes":[{"name":"a b","match":{"path":"/"}}]}`, `routes[0].name: must be 1 to 64 letters, digits, ".", "_" or "-"`},
		{"route name long", `{"routes":[{"name":"` + strings.Repeat("n", 65) + `","match":{"path":"/"}}]}`, `routes[0].name: must be 1 to 64 letters, digits, ".", "_" or "-"`},
		{"route name type", `{"routes":[{"name":1,"match":{"path":"/"}}]}`, `routes[0].name: must be a string, not a number`},
		{"route name duplicate", `{"routes":[{"name":"r","match":{"path":"/a"}},{"name":"r","match":{"path":"/b"}}]}`, `routes[1].name: duplicate route name "r"`},
		{"route unknown field", withRoute(`,"auht":{}`), `routes[0]: unknown field "auht" (did you mean "auth"?)`},
		{"match type", `{"routes":[{"name":"r","match":"/"}]}`, `routes[0].match: must be an object, not a string`},
		{"match unknown", `{"routes":[{"name":"r","match":{"pth":"/"}}]}`, `routes[0].match: unknown field "pth" (did you mean "path"?)`},
		{"match empty", `{"routes":[{"name":"r","match":{}}]}`, `routes[0].match: needs exactly one of "path" and "prefix"`},
		{"match both", `{"routes":[{"name":"r","match":{"path":"/a","prefix":"/a"}}]}`, `routes[0].match: needs exactly one of "path" and "prefix", not both`},
		{"match path type", `{"routes":[{"name":"r","match":{"path":["/a"]}}]}`, `routes[0].match.path: must be a string, not an array`},
		{"match path relative", `{"routes":[{"name":"r","match":{"path":"users"}}]}`, `routes[0].match.path: must start with "/"`},
		{"match path empty", `{"routes":[{"name":"r","match":{"path":""}}]}`, `routes[0].match.path: must not be empty`},
		{"match path template", `{"routes":[{"name":"a","match":{"path":"/a"}},{"name":"b","match":{"path":"/b"}},{"name":"c","match":{"path":"/c"}},{"name":"d","match":{"path":"/u/x{id}"}}]}`, `routes[3].match.path: "{" is only allowed in a whole "{name}" segment`},
		{"match path dup param", `{"routes":[{"name":"r","match":{"path":"/{a}/{a}"}}]}`, `routes[0].match.path: duplicate parameter "a"`},
		{"match prefix template", `{"routes":[{"name":"r","match":{"prefix":"/{a}"}}]}`, `routes[0].match.prefix: "{" is not allowed in a prefix (templates belong in "path")`},
		{"match prefix empty segment", `{"routes":[{"name":"r","match":{"prefix":"/a//b"}}]}`, `routes[0].match.prefix: empty segment ("//")`},
		{"methods empty", `{"routes":[{"name":"r","match":{"path":"/","methods":[]}}]}`, `routes[0].match.methods: must not be empty (omit it to match any method)`},
		{"methods string", `{"routes":[{"name":"r","match":{"path":"/","methods":"GET"}}]}`, `routes[0].match.methods: must be an array, not a string`},
		{"methods lower", `{"routes":[{"name":"r","match":{"path":"/","methods":["GET","post"]}}]}`, `routes[0].match.methods[1]: "post" must be upper-case`},
		{"methods number", `{"routes":[{"name":"r","match":{"path":"/","methods":[1]}}]}`, `routes[0].match.methods[0]: must be a string, not a number`},
		{"methods duplicate", `{"routes":[{"name":"r","match":{"path":"/","methods":["GET","GET"]}}]}`, `routes[0].match.methods[1]: duplicate of "GET" at [0]`},

		// Routes an earlier one refuses as a case variant (404) while
		// case_insensitive_paths is false.
		{"case shadow exact", `{"routes":[{"name":"a","match":{"path":"/Users/{id}"}},{"name":"b","match":{"path":"/users/{uid}"}}]}`,
			`routes[1].match.path: no request can reach this route: routes[0] ("a") comes first and matches it when case is ignored, so it is refused with 404 while "case_insensitive_paths" is false; spell both alike, reorder them, or set "case_insensitive_paths"`},
		{"case shadow method", `{"routes":[{"name":"a","match":{"path":"/x","methods":["PUT","GET"]}},{"name":"b","match":{"path":"/X/","methods":["POST","GET"]}}]}`,
			`routes[1].match.path: no GET request can reach this route: routes[0] ("a") comes first and matches it when case is ignored, so it is refused with 404 while "case_insensitive_paths" is false; spell both alike, reorder them, or set "case_insensitive_paths"`},
		{"case shadow any method", `{"routes":[{"name":"a","match":{"prefix":"/API"}},{"name":"b","match":{"path":"/api/{v}/x","methods":["DELETE"]}}]}`,
			`routes[1].match.path: no DELETE request can reach this route: routes[0] ("a") comes first and matches it when case is ignored, so it is refused with 404 while "case_insensitive_paths" is false; spell both alike, reorder them, or set "case_insensitive_paths"`},
		{"case shadow prefix", `{"routes":[{"name":"a","match":{"path":"/ok"}},{"name":"b","match":{"prefix":"/v1"}},{"name":"c","match":{"prefix":"/V1/x"}}]}`,
			`routes[2].match.prefix: no request can reach this route: routes[1] ("b") comes first and matches it when case is ignored, so it is refused with 404 while "case_insensitive_paths" is false; spell both alike, reorder them, or set "case_insensitive_paths"`},
		{"case shadow escape", `{"routes":[{"name":"a","match":{"path":"/caf%C3%A9"}},{"name":"b","match":{"path":"/CAF%C3%89"}}]}`,
			`routes[1].match.path: no request can reach this route: routes[0] ("a") comes first and matches it when case is ignored, so it is refused with 404 while "case_insensitive_paths" is false; spell both alike, reorder them, or set "case_insensitive_paths"`},

		// Policy scalars and default.
		{"default type", `{"default":[]}`, `default: must be an object, not an array`},
		{"default unknown", `{"default":{"name":"d"}}`, `default: unknown field "name"`},
		{"default match", `{"default":{"match":{"prefix":"/"}}}`, `default: unknown field "match"`},
		{"enforce type", withRoute(`,"enforce":"true"`), `routes[0].enforce: must be a boolean, not a string`},
		{"require_tls string", withRoute(`,"require_tls":"yes"`), `routes[0].require_tls: must be true, false or "forwarded", not "yes"`},
		{"require_tls number", withRoute(`,"require_tls":1`), `routes[0].require_tls: must be true, false or "forwarded", not a number`},

		// cors.
		{"cors type", withRoute(`,"cors":true`), `routes[0].cors: must be an object, not a boolean`},
		{"cors no origins", withRoute(`,"cors":{"allow_methods":["GET"]}`), `routes[0].cors: missing required field "allow_origins"`},
		{"cors origins empty", withRoute(`,"cors":{"allow_origins":[]}`), `routes[0].cors.allow_origins: must not be empty`},
		{"cors star not alone", withRoute(`,"cors":{"allow_origins":["https://a.com","*"]}`), `routes[0].cors.allow_origins[1]: "*" must be the only origin`},
		{"cors star credentials", withRoute(`,"cors":{"allow_origins":["*"],"allow_credentials":true}`), `routes[0].cors.allow_origins[0]: "*" is not allowed with "allow_credentials": true`},
		{"cors null credentials", withRoute(`,"cors":{"allow_credentials":true,"allow_origins":["https://a.com","null"]}`), `routes[0].cors.allow_origins[1]: "null" is not allowed with "allow_credentials": true`},
		{"cors origin upper host", withRoute(`,"cors":{"allow_origins":["https://App.example.com"]}`), `routes[0].cors.allow_origins[0]: "https://App.example.com" must be lower-case (browsers send origins in lower case)`},
		{"cors origin upper scheme", withRoute(`,"cors":{"allow_origins":["HTTPS://a.com"]}`), `routes[0].cors.allow_origins[0]: "HTTPS://a.com" has an invalid or upper-case scheme`},
		{"cors origin path", withRoute(`,"cors":{"allow_origins":["https://a.com/"]}`), `routes[0].cors.allow_origins[0]: "https://a.com/" must not have a path, query or fragment`},
		{"cors origin default port", withRoute(`,"cors":{"allow_origins":["https://a.com:443"]}`), `routes[0].cors.allow_origins[0]: "https://a.com:443" must omit the default port (browsers omit it)`},
		{"cors origin http port 80", withRoute(`,"cors":{"allow_origins":["http://a.com:80"]}`), `routes[0].cors.allow_origins[0]: "http://a.com:80" must omit the default port (browsers omit it)`},
		{"cors origin bad port", withRoute(`,"cors":{"allow_origins":["https://a.com:99999"]}`), `routes[0].cors.allow_origins[0]: "https://a.com:99999" has an invalid port`},
		{"cors origin zero port", withRoute(`,"cors":{"allow_origins":["https://a.com:0"]}`), `routes[0].cors.allow_origins[0]: "https://a.com:0" has an invalid port`},
		{"cors origin no scheme", withRoute(`,"cors":{"allow_origins":["a.com"]}`), `routes[0].cors.allow_origins[0]: "a.com" is not an origin (want scheme://host[:port], "*" or "null")`},
		{"cors origin no host", withRoute(`,"cors":{"allow_origins":["https://"]}`), `routes[0].cors.allow_origins[0]: "https://" has no host`},
		{"cors origin userinfo", withRoute(`,"cors":{"allow_origins":["https://u@a.com"]}`), `routes[0].cors.allow_origins[0]: "https://u@a.com" has an invalid host`},
		{"cors origin duplicate", withRoute(`,"cors":{"allow_origins":["https://a.com","https://a.com"]}`), `routes[0].cors.allow_origins[1]: duplicate of "https://a.com" at [0]`},
		{"cors methods lower", withRoute(`,"cors":{"allow_origins":["https://a.com"],"allow_methods":["get"]}`), `routes[0].cors.allow_methods[0]: "get" must be upper-case`},
		{"cors methods star", withRoute(`,"cors":{"allow_origins":["https://a.com"],"allow_methods":["*"]}`), `routes[0].cors.allow_methods[0]: "*" is not allowed: list the methods`},
		{"cors methods empty", withRoute(`,"cors":{"allow_origins":["https://a.com"],"allow_methods":[]}`), `routes[0].cors.allow_methods: must not be empty`},
		{"cors headers star", withRoute(`,"cors":{"allow_origins":["https://a.com"],"allow_headers":["*"]}`), `routes[0].cors.allow_headers[0]: "*" is not allowed: list the headers`},
		{"cors headers bad", withRoute(`,"cors":{"allow_origins":["https://a.com"],"allow_headers":["content type"]}`), `routes[0].cors.allow_headers[0]: "content type" is not a valid header name`},
		{"cors headers duplicate", withRoute(`,"cors":{"allow_origins":["https://a.com"],"allow_headers":["X-A","x-a"]}`), `routes[0].cors.allow_headers[1]: duplicate of "x-a" at [0]`},
		{"cors credentials type", withRoute(`,"cors":{"allow_origins":["https://a.com"],"allow_credentials":"true"}`), `routes[0].cors.allow_credentials: must be a boolean, not a string`},
		{"cors max age", withRoute(`,"cors":{"allow_origins":["https://a.com"],"max_age_seconds":86401}`), `routes[0].cors.max_age_seconds: must be between 0 and 86400`},
		{"cors unknown", withRoute(`,"cors":{"allow_origins":["https://a.com"],"expose_headers":[]}`), `routes[0].cors: unknown field "expose_headers"`},

		// deprecation.
		{"deprecation type", withRoute(`,"deprecation":"2026"`), `routes[0].deprecation: must be an object, not a string`},
		{"deprecation no since", withRoute(`,"deprecation":{"sunset":"2027-01-01T00:00:00Z"}`), `routes[0].deprecation: missing required field "since"`},
		{"deprecation bad since", withRoute(`,"deprecation":{"since":"yesterday"}`), `routes[0].deprecation.since: "yesterday" is not an RFC 3339 timestamp`},
		{"deprecation since number", withRoute(`,"deprecation":{"since":1767225600}`), `routes[0].deprecation.since: must be a string, not a number`},
		{"deprecation sunset first", withRoute(`,"deprecation":{"since":"2027-01-01T00:00:00Z","sunset":"2026-01-01T00:00:00Z"}`), `routes[0].deprecation.sunset: must be after "since"`},
		{"deprecation sunset equal", withRoute(`,"deprecation":{"since":"2027-01-01T00:00:00Z","sunset":"2027-01-01T01:00:00+01:00"}`), `routes[0].deprecation.sunset: must be after "since"`},
		{"deprecation link scheme", withRoute(`,"deprecation":{"since":"2026-01-01T00:00:00Z","link":"ftp://docs/x"}`), `routes[0].deprecation.link: "ftp://docs/x" is not an absolute http or https URL`},
		{"deprecation link relative", withRoute(`,"deprecation":{"since":"2026-01-01T00:00:00Z","link":"/docs"}`), `routes[0].deprecation.link: "/docs" is not an absolute http or https URL`},
		{"deprecation link injection", withRoute(`,"deprecation":{"since":"2026-01-01T00:00:00Z","link":"https://a/>; rel=x"}`), `routes[0].deprecation.link: "https://a/>; rel=x" contains a character that must be percent-encoded`},
		{"deprecation link no host", withRoute(`,"deprecation":{"since":"2026-01-01T00:00:00Z","link":"https:///x"}`), `routes[0].deprecation.link: "https:///x" has no host`},
		{"deprecation refuse without sunset", withRoute(`,"deprecation":{"since":"2026-01-01T00:00:00Z","refuse_after_sunset":true}`), `routes[0].deprecation.refuse_after_sunset: needs "sunset"`},
		{"deprecation unknown", withRoute(`,"deprecation":{"since":"2026-01-01T00:00:00Z","until":"x"}`), `routes[0].deprecation: unknown field "until"`},

		// auth.
		{"auth type", withRoute(`,"auth":["idp"]`), `routes[0].auth: must be an object, not an array`},
		{"auth no providers", withRoute(`,"auth":{"allow_missing":true}`), `routes[0].auth: missing required field "providers"`},
		{"auth providers empty", withRoute(`,"auth":{"providers":[]}`), `routes[0].auth.providers: must not be empty`},
		{"auth providers string", withRoute(`,"auth":{"providers":"idp"}`), `routes[0].auth.providers: must be an array, not a string`},
		{"auth providers duplicate", withRoute(`,"auth":{"providers":["idp","idp"]}`), `routes[0].auth.providers[1]: duplicate of "idp" at [0]`},
		{"auth provider unknown", withRoute(`,"auth":{"providers":["idp","partners"]}`), `routes[0].auth.providers[1]: unknown provider "partners"`},
		{"auth provider misspelt", withRoute(`,"auth":{"providers":["ipd"]}`), `routes[0].auth.providers[0]: unknown provider "ipd" (did you mean "idp"?)`},
		{"auth allow_missing type", withRoute(`,"auth":{"providers":["idp"],"allow_missing":"no"}`), `routes[0].auth.allow_missing: must be a boolean, not a string`},
		{"auth unknown", withRoute(`,"auth":{"providers":["idp"],"require":[]}`), `routes[0].auth: unknown field "require"`},
		{"claims type", withRoute(`,"auth":{"providers":["idp"],"claims":{}}`), `routes[0].auth.claims: must be an array, not an object`},
		{"claim type", withRoute(`,"auth":{"providers":["idp"],"claims":["scope"]}`), `routes[0].auth.claims[0]: must be an object, not a string`},
		{"claim missing claim", withRoute(`,"auth":{"providers":["idp"],"claims":[{"equals":true}]}`), `routes[0].auth.claims[0]: missing required field "claim"`},
		{"claim missing op", withRoute(`,"auth":{"providers":["idp"],"claims":[{"claim":"scope"}]}`), `routes[0].auth.claims[0]: needs exactly one of "equals", "any_of" and "contains"`},
		{"claim two ops", withRoute(`,"auth":{"providers":["idp"],"claims":[{"claim":"scope","any_of":["a"],"contains":["b"]}]}`), `routes[0].auth.claims[0]: needs exactly one of "equals", "any_of" and "contains"`},
		{"claim any_of empty", withRoute(`,"auth":{"providers":["idp"],"claims":[{"claim":"scope","any_of":[]}]}`), `routes[0].auth.claims[0].any_of: must not be empty`},
		{"claim any_of number", withRoute(`,"auth":{"providers":["idp"],"claims":[{"claim":"scope","any_of":["a",1]}]}`), `routes[0].auth.claims[0].any_of[1]: must be a string, not a number`},
		{"claim contains string", withRoute(`,"auth":{"providers":["idp"],"claims":[{"claim":"scope","contains":"a"}]}`), `routes[0].auth.claims[0].contains: must be an array, not a string`},
		{"claim contains empty string", withRoute(`,"auth":{"providers":["idp"],"claims":[{"claim":"scope","contains":[""]}]}`), `routes[0].auth.claims[0].contains[0]: must not be empty`},
		{"claim path empty key", withRoute(`,"auth":{"providers":["idp"],"claims":[{"claim":"realm_access..roles","equals":1}]}`), `routes[0].auth.claims[0].claim: empty key in path "realm_access..roles"`},
		{"claim path bad escape", withRoute(`,"auth":{"providers":["idp"],"claims":[{"claim":"a\\x","equals":1}]}`), `routes[0].auth.claims[0].claim: bad escape in path "a\\x" (the escapes are \., \\ and \#)`},
		{"claim path hash", withRoute(`,"auth":{"providers":["idp"],"claims":[{"claim":"roles.#","equals":1}]}`), `routes[0].auth.claims[0].claim: "#" (every array element) is only allowed in response paths; write "\#" for a key named "#"`},
		{"claim path empty", withRoute(`,"auth":{"providers":["idp"],"claims":[{"claim":"","equals":1}]}`), `routes[0].auth.claims[0].claim: must not be empty`},
		{"claim unknown", withRoute(`,"auth":{"providers":["idp"],"claims":[{"claim":"a","equals":1,"not":true}]}`), `routes[0].auth.claims[0]: unknown field "not"`},
		{"owner in default", `{"providers":{` + jwtIdp + `},"default":{"auth":{"providers":["idp"],"owner":[{"param":"id","claim":"sub"}]}}}`, `default.auth.owner: not allowed in default (it has no path parameters)`},
		{"owner type", withRoute(`,"auth":{"providers":["idp"],"owner":{"param":"id"}}`), `routes[0].auth.owner: must be an array, not an object`},
		{"owner missing param", withRoute(`,"auth":{"providers":["idp"],"owner":[{"claim":"sub"}]}`), `routes[0].auth.owner[0]: missing required field "param"`},
		{"owner missing claim", withRoute(`,"auth":{"providers":["idp"],"owner":[{"param":"id"}]}`), `routes[0].auth.owner[0]: missing required field "claim"`},
		{"owner param unknown", withRoute(`,"auth":{"providers":["idp"],"owner":[{"param":"user_id","claim":"sub"}]}`), `routes[0].auth.owner[0].param: "user_id" is not a parameter of the route's path "/users/{id}"`},
		{"owner on prefix", `{"providers":{` + jwtIdp + `},"routes":[{"name":"r","auth":{"providers":["idp"],"owner":[{"param":"id","claim":"sub"}]},"match":{"prefix":"/users"}}]}`, `routes[0].auth.owner[0].param: the route matches a prefix, which has no parameters`},
		{"owner on exact path", `{"providers":{` + jwtIdp + `},"routes":[{"name":"r","match":{"path":"/users/me"},"auth":{"providers":["idp"],"owner":[{"param":"id","claim":"sub"}]}}]}`, `routes[0].auth.owner[0].param: "id" is not a parameter of the route's path "/users/me"`},
		{"owner unless type", withRoute(`,"auth":{"providers":["idp"],"owner":[{"param":"id","claim":"sub","unless":"admin"}]}`), `routes[0].auth.owner[0].unless: must be an object, not a string`},
		{"owner unless no op", withRoute(`,"auth":{"providers":["idp"],"owner":[{"param":"id","claim":"sub","unless":{"claim":"roles"}}]}`), `routes[0].auth.owner[0].unless: needs exactly one of "equals", "any_of" and "contains"`},
		{"owner unless unknown", withRoute(`,"auth":{"providers":["idp"],"owner":[{"param":"id","claim":"sub","unless":{"claim":"roles","any_of":["a"],"x":1}}]}`), `routes[0].auth.owner[0].unless: unknown field "x"`},
		{"owner unknown", withRoute(`,"auth":{"providers":["idp"],"owner":[{"param":"id","claim":"sub","decode":true}]}`), `routes[0].auth.owner[0]: unknown field "decode"`},
		{"body_owner missing claim", withRoute(`,"auth":{"providers":["idp"],"body_owner":[{"field":"customer_id"}]}`), `routes[0].auth.body_owner[0]: missing required field "claim"`},
		{"body_owner missing field", withRoute(`,"auth":{"providers":["idp"],"body_owner":[{"claim":"sub"}]}`), `routes[0].auth.body_owner[0]: missing required field "field"`},
		{"body_owner bad field", withRoute(`,"auth":{"providers":["idp"],"body_owner":[{"field":"a.","claim":"sub"}]}`), `routes[0].auth.body_owner[0].field: empty key in path "a."`},
		{"body_owner unknown", withRoute(`,"auth":{"providers":["idp"],"body_owner":[{"field":"a","claim":"sub","fold":1}]}`), `routes[0].auth.body_owner[0]: unknown field "fold" (did you mean "field"?)`},

		// request.
		{"request type", withRoute(`,"request":1`), `routes[0].request: must be an object, not a number`},
		{"request body zero", withRoute(`,"request":{"max_body_bytes":0}`), `routes[0].request.max_body_bytes: must be between 1 and 67108864`},
		{"request body huge", withRoute(`,"request":{"max_body_bytes":67108865}`), `routes[0].request.max_body_bytes: must be between 1 and 67108864`},
		{"request body fraction", withRoute(`,"request":{"max_body_bytes":1.5}`), `routes[0].request.max_body_bytes: must be an integer, not 1.5`},
		{"request body exponent", withRoute(`,"request":{"max_body_bytes":1e6}`), `routes[0].request.max_body_bytes: must be an integer, not 1e6`},
		{"forbid type", withRoute(`,"request":{"forbid_query_params":"token"}`), `routes[0].request.forbid_query_params: must be an array, not a string`},
		{"forbid empty name", withRoute(`,"request":{"forbid_query_params":[""]}`), `routes[0].request.forbid_query_params[0]: must be a query parameter name (not empty or spaces only, no control characters, no "&", ";", "=" or "#")`},
		{"forbid duplicate normalised", withRoute(`,"request":{"forbid_query_params":["access_token","Access.Token"]}`), `routes[0].request.forbid_query_params[1]: duplicate of "access_token" at [0]`},
		{"forbid credential query", `{"providers":{"q":{"issuer":"i","audiences":["a"],"algorithms":["RS256"],"jwks":{"keys":[{}]},"from":[{"header":"authorization","prefix":"Bearer "},{"query":"Access_Token"}]}},"routes":[{"name":"r","match":{"path":"/"},"request":{"forbid_query_params":["password","access.token"]},"auth":{"providers":["q"]}}]}`, `routes[0].request.forbid_query_params[1]: provider "q" reads its credential from this query parameter (from[1])`},
		{"request unknown", withRoute(`,"request":{"max_body":1}`), `routes[0].request: unknown field "max_body"`},
		{"forbid spaces only", withRoute(`,"request":{"forbid_query_params":["+%20"]}`), `routes[0].request.forbid_query_params[0]: must be a query parameter name (not empty or spaces only, no control characters, no "&", ";", "=" or "#")`},
		{"forbid semicolon", withRoute(`,"request":{"forbid_query_params":["a;b"]}`), `routes[0].request.forbid_query_params[0]: must be a query parameter name (not empty or spaces only, no control characters, no "&", ";", "=" or "#")`},
		{"forbid duplicate with a leading space", withRoute(`,"request":{"forbid_query_params":["jwt","+jwt"]}`), `routes[0].request.forbid_query_params[1]: duplicate of "jwt" at [0]`},

		// pass_credentials.
		{"pass type", withRoute(`,"pass_credentials":"header:authorization"`), `routes[0].pass_credentials: must be an array, not a string`},
		{"pass item type", withRoute(`,"pass_credentials":[1]`), `routes[0].pass_credentials[0]: must be a string, not a number`},
		{"pass no kind", withRoute(`,"pass_credentials":["authorization"]`), `routes[0].pass_credentials[0]: must be "header:NAME", "cookie:NAME" or "query:NAME", not "authorization"`},
		{"pass unknown kind", withRoute(`,"pass_credentials":["body:token"]`), `routes[0].pass_credentials[0]: must be "header:NAME", "cookie:NAME" or "query:NAME", not "body:token"`},
		{"pass kind case", withRoute(`,"pass_credentials":["Header:authorization"]`), `routes[0].pass_credentials[0]: must be "header:NAME", "cookie:NAME" or "query:NAME", not "Header:authorization"`},
		{"pass empty header", withRoute(`,"pass_credentials":["header:"]`), `routes[0].pass_credentials[0]: "" is not a valid header name`},
		{"pass pseudo-header", withRoute(`,"pass_credentials":["header::path"]`), `routes[0].pass_credentials[0]: ":path" is a pseudo-header`},
		{"pass cookie header", withRoute(`,"pass_credentials":["header:Cookie"]`), `routes[0].pass_credentials[0]: use "cookie:NAME" to pass a cookie`},
		{"pass bad cookie", withRoute(`,"pass_credentials":["cookie:a b"]`), `routes[0].pass_credentials[0]: "a b" is not a valid cookie name`},
		{"pass bad query", withRoute(`,"pass_credentials":["query:a=b"]`), `routes[0].pass_credentials[0]: must be a query parameter name (not empty or spaces only, no control characters, no "&", ";", "=" or "#")`},
		{"pass duplicate header", withRoute(`,"pass_credentials":["header:authorization","header:Authorization"]`), `routes[0].pass_credentials[1]: duplicate of "header:authorization" at [0]`},
		{"pass unread header", withRoute(`,"pass_credentials":["header:x-api-key"]`), `routes[0].pass_credentials[0]: no provider reads "header:x-api-key", so apiguard never removes it: pass_credentials lists only Authorization and providers' sources`},
		{"pass unread cookie", withRoute(`,"pass_credentials":["cookie:session"]`), `routes[0].pass_credentials[0]: no provider reads "cookie:session", so apiguard never removes it: pass_credentials lists only Authorization and providers' sources`},
		{"pass in default", `{"providers":{` + jwtIdp + `},"default":{"pass_credentials":["query:token"]}}`, `default.pass_credentials[0]: no provider reads "query:token", so apiguard never removes it: pass_credentials lists only Authorization and providers' sources`},
		{"pass duplicate spelling", `{"providers":{"q":{"issuer":"i","audiences":["a"],"algorithms":["RS256"],"jwks":{"keys":[{}]},"from":[{"cookie":"Session"}]}},"default":{"pass_credentials":["cookie:session","cookie:SESSION"]}}`, `default.pass_credentials[1]: duplicate of "cookie:session" at [0]`},
		{"pass forbidden query", `{"providers":{"q":{"issuer":"i","audiences":["a"],"algorithms":["RS256"],"jwks":{"keys":[{}]},"from":[{"query":"token"}]}},"default":{"pass_credentials":["query:Token"],"request":{"forbid_query_params":["token"]}}}`, `default.pass_credentials[0]: "query:Token" is in this policy's forbid_query_params, so it never passes`},

		// Header prefixes of one route's providers.
		{"prefix starts another", `{"providers":{` + jwtIdp + `,"k":{"api_keys":{"from":[{"header":"authorization"}],"keys":[]}}},"routes":[{"name":"r","match":{"path":"/"},"auth":{"providers":["idp","k"]}}]}`, `routes[0].auth.providers[1]: provider "k" reads header "authorization" with prefix "" (from[0]) and provider "idp" with prefix "Bearer " (from[0]): one prefix starts the other, so one value would be a credential of both`},
		{"prefix extends another", `{"providers":{` + jwtIdp + `,"k":{"api_keys":{"from":[{"header":"authorization","prefix":"bearer key-"}],"keys":[]}}},"default":{"auth":{"providers":["k","idp"]}}}`, `default.auth.providers[1]: provider "idp" reads header "authorization" with prefix "Bearer " (from[0]) and provider "k" with prefix "bearer key-" (from[0]): one prefix starts the other, so one value would be a credential of both`},
		{"json type", withRoute(`,"request":{"json":true}`), `routes[0].request.json: must be an object, not a boolean`},
		{"json required type", withRoute(`,"request":{"json":{"required":1}}`), `routes[0].request.json.required: must be a boolean, not a number`},
		{"json case_sensitive_keys type", withRoute(`,"request":{"json":{"case_sensitive_keys":"yes"}}`), `routes[0].request.json.case_sensitive_keys: must be a boolean, not a string`},
		{"json depth zero", withRoute(`,"request":{"json":{"max_depth":0}}`), `routes[0].request.json.max_depth: must be between 1 and 1024`},
		{"json depth huge", withRoute(`,"request":{"json":{"max_depth":1025}}`), `routes[0].request.json.max_depth: must be between 1 and 1024`},
		{"json keys negative", withRoute(`,"request":{"json":{"max_keys":-1}}`), `routes[0].request.json.max_keys: must be between 1 and 67108864`},
		{"json items fraction", withRoute(`,"request":{"json":{"max_array_items":10.5}}`), `routes[0].request.json.max_array_items: must be an integer, not 10.5`},
		{"json string zero", withRoute(`,"request":{"json":{"max_string_bytes":0}}`), `routes[0].request.json.max_string_bytes: must be between 1 and 67108864`},
		{"json unknown", withRoute(`,"request":{"json":{"max_size":1}}`), `routes[0].request.json: unknown field "max_size"`},
		{"fields type", withRoute(`,"request":{"json":{"fields":{}}}`), `routes[0].request.json.fields: must be an array, not an object`},
		{"field type", withRoute(`,"request":{"json":{"fields":["items"]}}`), `routes[0].request.json.fields[0]: must be an object, not a string`},
		{"field missing path", withRoute(`,"request":{"json":{"fields":[{"type":"array"}]}}`), `routes[0].request.json.fields[0]: missing required field "path"`},
		{"field checks nothing", withRoute(`,"request":{"json":{"fields":[{"path":"items","required":false}]}}`), `routes[0].request.json.fields[0]: checks nothing: give "type", or "required": true`},
		{"field bad type", withRoute(`,"request":{"json":{"fields":[{"path":"items","type":"list"}]}}`), `routes[0].request.json.fields[0].type: "list" is not a JSON type (want object, array, string, number, integer, boolean or null)`},
		{"field type type", withRoute(`,"request":{"json":{"fields":[{"path":"items","type":["array"]}]}}`), `routes[0].request.json.fields[0].type: must be a string, not an array`},
		{"field duplicate", withRoute(`,"request":{"json":{"fields":[{"path":"a.b","type":"array"},{"path":"a.b","required":true}]}}`), `routes[0].request.json.fields[1].path: duplicate of [0]`},
		{"field required type", withRoute(`,"request":{"json":{"fields":[{"path":"a","required":"yes"}]}}`), `routes[0].request.json.fields[0].required: must be a boolean, not a string`},
		{"field unknown", withRoute(`,"request":{"json":{"fields":[{"path":"a","type":"string","max":3}]}}`), `routes[0].request.json.fields[0]: unknown field "max"`},

		// response.
		{"response type", withRoute(`,"response":[]`), `routes[0].response: must be an object, not an array`},
		{"response body zero", withRoute(`,"response":{"max_body_bytes":0}`), `routes[0].response.max_body_bytes: must be between 1 and 67108864`},
		{"allow empty", withRoute(`,"response":{"allow":[]}`), `routes[0].response.allow: must not be empty (omit it to keep every field)`},
		{"allow type", withRoute(`,"response":{"allow":"id"}`), `routes[0].response.allow: must be an array, not a string`},
		{"allow empty path", withRoute(`,"response":{"allow":["id",""]}`), `routes[0].response.allow[1]: must not be empty`},
		{"allow bad path", withRoute(`,"response":{"allow":["orders..id"]}`), `routes[0].response.allow[0]: empty key in path "orders..id"`},
		{"allow duplicate", withRoute(`,"response":{"allow":["a.#.b","a.#.b"]}`), `routes[0].response.allow[1]: duplicate of "a.#.b" at [0]`},
		{"redact type", withRoute(`,"response":{"redact":["ssn"]}`), `routes[0].response.redact: must be an object, not an array`},
		{"redact nothing", withRoute(`,"response":{"redact":{"action":"mask"}}`), `routes[0].response.redact: needs "paths" or "keys"`},
		{"redact paths empty", withRoute(`,"response":{"redact":{"paths":[]}}`), `routes[0].response.redact.paths: must not be empty (omit it to redact by keys only)`},
		{"redact keys empty", withRoute(`,"response":{"redact":{"keys":[]}}`), `routes[0].response.redact.keys: must not be empty`},
		{"redact keys fold duplicate", withRoute(`,"response":{"redact":{"keys":["Password","PASSWORD"]}}`), `routes[0].response.redact.keys[1]: duplicate of "Password" at [0] (keys compare case-insensitively)`},
		{"redact action", withRoute(`,"response":{"redact":{"keys":["a"],"action":"drop"}}`), `routes[0].response.redact.action: must be "remove" or "mask", not "drop"`},
		{"redact mask type", withRoute(`,"response":{"redact":{"keys":["a"],"mask":null}}`), `routes[0].response.redact.mask: must be a string, not null`},
		{"redact unknown", withRoute(`,"response":{"redact":{"keys":["a"],"fields":["b"]}}`), `routes[0].response.redact: unknown field "fields"`},
		{"pass_types bad", withRoute(`,"response":{"pass_types":["text"]}`), `routes[0].response.pass_types[0]: "text" is not a media type (want "type/subtype", no parameters)`},
		{"pass_types params", withRoute(`,"response":{"pass_types":["text/csv; charset=utf-8"]}`), `routes[0].response.pass_types[0]: "text/csv; charset=utf-8" is not a media type (want "type/subtype", no parameters)`},
		{"pass_types json", withRoute(`,"response":{"pass_types":["Application/JSON"]}`), `routes[0].response.pass_types[0]: "application/json" is JSON, and JSON responses are always inspected`},
		{"pass_types json suffix", withRoute(`,"response":{"pass_types":["application/problem+json"]}`), `routes[0].response.pass_types[0]: "application/problem+json" is JSON, and JSON responses are always inspected`},
		{"pass_types duplicate", withRoute(`,"response":{"pass_types":["text/csv","TEXT/CSV"]}`), `routes[0].response.pass_types[1]: duplicate of "text/csv" at [0]`},
		{"response unknown", withRoute(`,"response":{"deny":["a"]}`), `routes[0].response: unknown field "deny"`},

		// rate_limits.
		{"rate_limits type", withRoute(`,"rate_limits":{}`), `routes[0].rate_limits: must be an array, not an object`},
		{"rate limit type", withRoute(`,"rate_limits":[1]`), `routes[0].rate_limits[0]: must be an object, not a number`},
		{"rate limit no name", withRoute(`,"rate_limits":[{"key":"ip","limit":1,"window":"1s"}]`), `routes[0].rate_limits[0]: missing required field "name"`},
		{"rate limit no key", withRoute(`,"rate_limits":[{"name":"a","limit":1,"window":"1s"}]`), `routes[0].rate_limits[0]: missing required field "key"`},
		{"rate limit no limit", withRoute(`,"rate_limits":[{"name":"a","key":"ip","window":"1s"}]`), `routes[0].rate_limits[0]: missing required field "limit"`},
		{"rate limit no window", withRoute(`,"rate_limits":[{"name":"a","key":"ip","limit":1}]`), `routes[0].rate_limits[0]: missing required field "window"`},
		{"rate limit bad name", withRoute(`,"rate_limits":[{"name":"per user","key":"ip","limit":1,"window":"1s"}]`), `routes[0].rate_limits[0].name: must be 1 to 64 letters, digits, ".", "_" or "-"`},
		{"rate limit name duplicate in route", withRoute(`,"rate_limits":[{"name":"a","key":"ip","limit":1,"window":"1s"},{"name":"a","key":"route","limit":1,"window":"1s"}]`), `routes[0].rate_limits[1].name: duplicate rate limit name "a" (names are unique across the configuration)`},
		{"rate limit name reserved", withRoute(`,"rate_limits":[{"name":"failed_auth","key":"ip","limit":1,"window":"1s"}]`), `routes[0].rate_limits[0].name: "failed_auth" is reserved: RateLimit headers name failed_auth_limit so`},
		{"rate limit name duplicate across", `{"default":{"rate_limits":[{"name":"a","key":"ip","limit":1,"window":"1s"}]},"routes":[{"name":"r","match":{"path":"/"},"rate_limits":[{"name":"a","key":"ip","limit":1,"window":"1s"}]}]}`, `routes[0].rate_limits[0].name: duplicate rate limit name "a" (names are unique across the configuration)`},
		{"rate limit key unknown", withRoute(`,"rate_limits":[{"name":"a","key":"user","limit":1,"window":"1s"}]`), `routes[0].rate_limits[0].key: "user" is not a rate-limit key (want ip, route, header:NAME or claim:PATH)`},
		{"rate limit key type", withRoute(`,"rate_limits":[{"name":"a","key":["ip"],"limit":1,"window":"1s"}]`), `routes[0].rate_limits[0].key: must be a string, not an array`},
		{"rate limit header empty", withRoute(`,"rate_limits":[{"name":"a","key":"header:","limit":1,"window":"1s"}]`), `routes[0].rate_limits[0].key: "" is not a valid header name`},
		{"rate limit header bad", withRoute(`,"rate_limits":[{"name":"a","key":"header:x key","limit":1,"window":"1s"}]`), `routes[0].rate_limits[0].key: "x key" is not a valid header name`},
		{"rate limit claim empty", withRoute(`,"rate_limits":[{"name":"a","key":"claim:","limit":1,"window":"1s"}]`), `routes[0].rate_limits[0].key: must not be empty`},
		{"rate limit claim bad", withRoute(`,"rate_limits":[{"name":"a","key":"claim:a..b","limit":1,"window":"1s"}]`), `routes[0].rate_limits[0].key: empty key in path "a..b"`},
		{"rate limit upper IP", withRoute(`,"rate_limits":[{"name":"a","key":"IP","limit":1,"window":"1s"}]`), `routes[0].rate_limits[0].key: "IP" is not a rate-limit key (want ip, route, header:NAME or claim:PATH) (did you mean "ip"?)`},
		{"rate limit limit zero", withRoute(`,"rate_limits":[{"name":"a","key":"ip","limit":0,"window":"1s"}]`), `routes[0].rate_limits[0].limit: must be between 1 and 1000000000`},
		{"rate limit limit fraction", withRoute(`,"rate_limits":[{"name":"a","key":"ip","limit":2.5,"window":"1s"}]`), `routes[0].rate_limits[0].limit: must be an integer, not 2.5`},
		{"rate limit limit string", withRoute(`,"rate_limits":[{"name":"a","key":"ip","limit":"10","window":"1s"}]`), `routes[0].rate_limits[0].limit: must be an integer, not a string`},
		{"rate limit window bad", withRoute(`,"rate_limits":[{"name":"a","key":"ip","limit":1,"window":"1x"}]`), `routes[0].rate_limits[0].window: "1x" is not a duration` + unitsHint},
		{"rate limit window zero", withRoute(`,"rate_limits":[{"name":"a","key":"ip","limit":1,"window":"0s"}]`), `routes[0].rate_limits[0].window: "0s" must be greater than zero`},
		{"rate limit window negative", withRoute(`,"rate_limits":[{"name":"a","key":"ip","limit":1,"window":"-1m"}]`), `routes[0].rate_limits[0].window: "-1m" must be greater than zero`},
		{"rate limit window long", withRoute(`,"rate_limits":[{"name":"a","key":"ip","limit":1,"window":"366d"}]`), `routes[0].rate_limits[0].window: "366d" is longer than 365d`},
		{"rate limit window days overflow", withRoute(`,"rate_limits":[{"name":"a","key":"ip","limit":1,"window":"99999999999d"}]`), `routes[0].rate_limits[0].window: "99999999999d" is not a duration` + unitsHint},
		{"rate limit window number", withRoute(`,"rate_limits":[{"name":"a","key":"ip","limit":1,"window":60}]`), `routes[0].rate_limits[0].window: must be a string, not a number`},
		{"rate limit window mixed days", withRoute(`,"rate_limits":[{"name":"a","key":"ip","limit":1,"window":"1d12h"}]`), `routes[0].rate_limits[0].window: "1d12h" is not a duration` + unitsHint},
		{"rate limit burst zero", withRoute(`,"rate_limits":[{"name":"a","key":"ip","limit":1,"window":"1s","burst":0}]`), `routes[0].rate_limits[0].burst: must be between 1 and 1000000000`},
		{"rate limit global type", withRoute(`,"rate_limits":[{"name":"a","key":"ip","limit":1,"window":"1s","global":"yes"}]`), `routes[0].rate_limits[0].global: must be a boolean, not a string`},
		{"rate limit global burst", withRoute(`,"rate_limits":[{"name":"a","key":"ip","limit":1,"window":"1s","burst":5,"global":true}]`), `routes[0].rate_limits[0].burst: not allowed with "global": true (the rate limit service has no burst)`},
		{"rate limit global window", withRoute(`,"rate_limits":[{"name":"a","key":"ip","limit":1,"window":"2m","global":true}]`), `routes[0].rate_limits[0].window: must be 1s, 1m, 1h or 1d with "global": true, not 2m0s`},
		{"rate limit global no service", withRoute(`,"rate_limits":[{"name":"a","key":"ip","limit":1,"window":"60s","global":true}]`), `routes[0].rate_limits[0].global: needs a top-level "rate_limit_service"`},
		{"rate limit unknown", withRoute(`,"rate_limits":[{"name":"a","key":"ip","limit":1,"window":"1s","per":"user"}]`), `routes[0].rate_limits[0]: unknown field "per"`},
	}
	return tests
}

func TestParse_errors(t *testing.T) {
	for _, tc := range parseErrorCases() {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tc.doc))
			if err == nil {
				t.Fatalf("Parse succeeded (%d routes), want %q", len(cfg.Routes), tc.want)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v is not *Error", err, err)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tc.want)
			}
			if cfg != nil {
				t.Error("non-nil Config with an error")
			}
			if ce.Path != "" && !strings.HasPrefix(tc.want, ce.Path+": ") {
				t.Errorf("Path %q does not lead the message", ce.Path)
			}
		})
	}
}
