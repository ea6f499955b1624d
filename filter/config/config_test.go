package config

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/route"
)

func readExample(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/design-example.json")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustParse(t testing.TB, doc string) *Config {
	t.Helper()
	cfg, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return cfg
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func check(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got: %#v\nwant: %#v", what, got, want)
	}
}

// TestParse_designExample parses docs/configuration.md's example configuration and
// checks every value it sets.
func TestParse_designExample(t *testing.T) {
	cfg, err := Parse(readExample(t))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}

	if len(cfg.Providers) != 2 || cfg.Providers[0].Name != "idp" || cfg.Providers[1].Name != "partners" {
		t.Fatalf("providers = %+v", cfg.Providers)
	}
	idp := cfg.Provider("idp")
	check(t, "idp kind", idp.Kind, ProviderJWT)
	check(t, "idp", *idp.JWT, JWTProvider{
		Issuer:     "https://idp.example.com/",
		Audiences:  []string{"orders-api"},
		Algorithms: []string{"RS256", "ES256", "EdDSA"},
		RemoteJWKS: &RemoteJWKS{Cluster: "idp", Authority: "idp.example.com", Path: "/.well-known/jwks.json",
			Timeout: 2 * time.Second, Refresh: 600 * time.Second, MaxStale: 86400 * time.Second},
		From: []Source{{Kind: SourceHeader, Name: "authorization", Prefix: "Bearer "},
			{Kind: SourceCookie, Name: "access_token"}},
		ClockSkew:         30 * time.Second,
		RequireExpiration: true,
		MaxLifetime:       86400 * time.Second,
		Forward:           false,
	})
	check(t, "idp claims_to_headers", idp.ClaimsToHeaders, []ClaimHeader{
		{Claim: []string{"sub"}, ClaimName: "sub", Header: "x-user-id"},
		{Claim: []string{"tenant"}, ClaimName: "tenant", Header: "x-tenant-id"},
	})
	check(t, "idp APIKeys", idp.APIKeys, (*APIKeysProvider)(nil))

	partners := cfg.Provider("partners")
	check(t, "partners kind", partners.Kind, ProviderAPIKeys)
	check(t, "partners JWT", partners.JWT, (*JWTProvider)(nil))
	check(t, "partners from", partners.From(), []Source{{Kind: SourceHeader, Name: "x-api-key"}})
	check(t, "partners claims_to_headers", partners.ClaimsToHeaders, []ClaimHeader{{Claim: []string{"sub"}, ClaimName: "sub", Header: "x-partner-id"}})
	if len(partners.APIKeys.Keys) != 1 {
		t.Fatalf("keys = %+v", partners.APIKeys.Keys)
	}
	key := partners.APIKeys.Keys[0]
	check(t, "key id", key.ID, "acme-2026-11")
	check(t, "key hash", hex.EncodeToString(key.SHA256[:]), hash64)
	check(t, "key expires", key.Expires, ts("2027-11-01T00:00:00Z"))
	if v := key.Claims.Get("sub"); v == nil || v.Str != "acme" {
		t.Errorf("key claims sub = %+v", v)
	}
	if v := key.Claims.Get("scope"); v == nil || v.Str != "orders:read" {
		t.Errorf("key claims scope = %+v", v)
	}
	check(t, "no provider", cfg.Provider("nope"), (*Provider)(nil))

	check(t, "hold_headers", cfg.HoldHeaders, true)
	check(t, "case_insensitive_paths", cfg.CaseInsensitivePaths, false)
	check(t, "default", *cfg.Default, RoutePolicy{Enforce: true, Auth: &Auth{Providers: []string{"idp"}}})

	if len(cfg.Routes) != 2 {
		t.Fatalf("routes = %d", len(cfg.Routes))
	}
	r := cfg.Routes[0]
	check(t, "route name", r.Name, "user-orders")
	check(t, "route match", r.Match, Match{Path: "/users/{user_id}/orders", Methods: []string{"GET", "POST"}, Params: []string{"user_id"}})
	check(t, "enforce", r.Policy.Enforce, true)
	check(t, "require_tls", r.Policy.RequireTLS, TLSConnection)
	check(t, "cors", *r.Policy.CORS, CORS{
		AllowOrigins:     []string{"https://app.example.com"},
		AllowMethods:     []string{"GET", "POST"},
		AllowHeaders:     []string{"authorization", "content-type"},
		AllowCredentials: true,
		MaxAge:           600 * time.Second,
		HasMaxAge:        true,
	})
	check(t, "deprecation", *r.Policy.Deprecation, Deprecation{
		Since:             ts("2026-06-01T00:00:00Z"),
		Sunset:            ts("2027-06-01T00:00:00Z"),
		Link:              "https://docs.example.com/migrate",
		RefuseAfterSunset: true,
	})
	auth := r.Policy.Auth
	check(t, "auth providers", auth.Providers, []string{"idp", "partners"})
	check(t, "allow_missing", auth.AllowMissing, false)
	if len(auth.Claims) != 3 {
		t.Fatalf("claims = %+v", auth.Claims)
	}
	check(t, "claim 0", auth.Claims[0], ClaimRule{Claim: []string{"scope"}, ClaimName: "scope", Op: ClaimContains, Values: []string{"orders:read"}})
	check(t, "claim 1", auth.Claims[1], ClaimRule{Claim: []string{"realm_access", "roles"}, ClaimName: "realm_access.roles", Op: ClaimAnyOf, Values: []string{"customer", "support"}})
	c2 := auth.Claims[2]
	if c2.Op != ClaimEquals || c2.ClaimName != "email_verified" || c2.Equals.Kind != jsonx.KindBool || !c2.Equals.Bool {
		t.Errorf("claim 2 = %+v", c2)
	}
	check(t, "owner", auth.Owner, []OwnerRule{{Param: "user_id", Claim: []string{"sub"}, ClaimName: "sub",
		Unless: &ClaimRule{Claim: []string{"roles"}, ClaimName: "roles", Op: ClaimAnyOf, Values: []string{"admin"}}}})
	check(t, "body_owner", auth.BodyOwner, []BodyOwnerRule{{Field: []string{"customer_id"}, FieldName: "customer_id", Claim: []string{"sub"}, ClaimName: "sub"}})
	check(t, "request", *r.Policy.Request, Request{
		MaxBodyBytes:      65536,
		MaxBodyBytesSet:   true,
		ForbidQueryParams: []string{"access_token", "api_key", "password"},
		JSON: &JSONRules{Required: true, MaxDepth: 16, MaxKeys: 1000, MaxArrayItems: 1000, MaxStringBytes: 8192,
			Fields: []FieldRule{{Path: []string{"items"}, PathName: "items", Type: TypeArray, Required: true}}},
	})
	check(t, "json limits", r.Policy.Request.JSON.Limits(), jsonx.Limits{MaxDepth: 16, MaxKeys: 1000, MaxArrayItems: 1000, MaxStringBytes: 8192})
	check(t, "response", *r.Policy.Response, Response{
		MaxBodyBytes: 1048576,
		Allow: []ResponsePath{
			{Raw: "id", Segments: []Segment{{Key: "id"}}},
			{Raw: "name", Segments: []Segment{{Key: "name"}}},
			{Raw: "orders.#.id", Segments: []Segment{{Key: "orders"}, {Each: true}, {Key: "id"}}},
		},
		Redact: &Redact{
			Paths:  []ResponsePath{{Raw: "data.#.ssn", Segments: []Segment{{Key: "data"}, {Each: true}, {Key: "ssn"}}}},
			Keys:   []string{"password", "secret"},
			Action: RedactRemove,
			Mask:   "****",
		},
		PassTypes: []string{"text/csv"},
	})
	check(t, "rate_limits", r.Policy.RateLimits, []RateLimit{
		{Name: "per-user", Key: Key{Kind: KeyClaim, Claim: []string{"sub"}, Raw: "claim:sub"}, Limit: 100, Window: time.Minute, Burst: 20},
		{Name: "per-ip", Key: Key{Kind: KeyIP, Raw: "ip"}, Limit: 1000, Window: time.Minute, Burst: 1000},
		{Name: "fleet-per-user", Key: Key{Kind: KeyClaim, Claim: []string{"sub"}, Raw: "claim:sub"}, Limit: 5000, Window: time.Hour, Global: true},
	})
	check(t, "health", cfg.Routes[1], Route{Name: "health", Match: Match{Path: "/healthz", Methods: []string{"GET"}}, Policy: RoutePolicy{Enforce: true}})

	check(t, "failed_auth_limit", *cfg.FailedAuthLimit, FailedAuthLimit{Key: Key{Kind: KeyIP, Raw: "ip"}, Limit: 10, Window: time.Minute})
	check(t, "rate_limit_service", *cfg.RateLimitService, RateLimitService{Cluster: "ratelimit", Domain: "apiguard", Timeout: 50 * time.Millisecond, FailureMode: FailureDeny})
	check(t, "rate_limit_slots", cfg.RateLimitSlots, 65536)
	check(t, "errors", cfg.Errors, Errors{SanitizeUpstream5xx: true})
	check(t, "security_headers", cfg.SecurityHeaders, true)
	check(t, "audit_log", cfg.AuditLog, AuditLog{Enabled: true})
	check(t, "claim headers", cfg.ClaimHeaders, []string{"x-partner-id", "x-tenant-id", "x-user-id", "x_partner_id", "x_tenant_id", "x_user_id"})

	// The compiled table follows Routes.
	idx, params, ok := routeTable(t, cfg).Match("GET", "/users/42/orders")
	if !ok || idx != 0 {
		t.Fatalf("Match = %d, %v", idx, ok)
	}
	if v, _ := params.Get("user_id"); v != "42" {
		t.Errorf("user_id = %q", v)
	}
	if idx, _, ok := routeTable(t, cfg).Match("HEAD", "/healthz/"); !ok || idx != 1 {
		t.Errorf("HEAD /healthz/ = %d, %v", idx, ok)
	}
	if _, _, ok := routeTable(t, cfg).Match("DELETE", "/users/42/orders"); ok {
		t.Error("DELETE matched a GET/POST route")
	}
	if _, _, ok := routeTable(t, cfg).Match("GET", "/nope"); ok {
		t.Error("/nope matched")
	}
}

// defaultsDoc sets only what is required, so that every default applies.
const defaultsDoc = `{
  "hold_headers": true,
  "providers": {
    "j": {"issuer": "i", "audiences": ["a"], "algorithms": ["ES256"],
          "remote_jwks": {"cluster": "idp", "path": "/jwks"}},
    "k": {"api_keys": {"keys": [{"id": "k1", "sha256": "` + hash64 + `"}]}}
  },
  "routes": [{
    "name": "r", "match": {"prefix": "/"},
    "cors": {"allow_origins": ["https://a.example"]},
    "auth": {"providers": ["j", "k"]},
    "request": {"json": {}},
    "response": {"redact": {"keys": ["secret"]}},
    "rate_limits": [{"name": "l", "key": "ip", "limit": 7, "window": "1d"}]
  }],
  "rate_limit_service": {"cluster": "rl", "domain": "d"}
}`

func TestParse_defaults(t *testing.T) {
	cfg := mustParse(t, defaultsDoc)
	j := cfg.Provider("j").JWT
	k := cfg.Provider("k").APIKeys
	pol := cfg.Routes[0].Policy
	bearer := []Source{{Kind: SourceHeader, Name: "authorization", Prefix: "Bearer "}}
	tests := []struct {
		field     string
		got, want any
	}{
		{"hold_headers", cfg.HoldHeaders, true},
		{"case_insensitive_paths", cfg.CaseInsensitivePaths, false},
		{"table case-insensitive", routeTable(t, cfg).CaseInsensitive(), false},
		{"default", cfg.Default, (*RoutePolicy)(nil)},
		{"enforce", pol.Enforce, true},
		{"require_tls", pol.RequireTLS, TLSOff},
		{"jwt from", j.From, bearer},
		{"api_keys from", k.From, bearer},
		{"clock_skew_seconds", j.ClockSkew, 60 * time.Second},
		{"require_expiration", j.RequireExpiration, true},
		{"max_lifetime_seconds", j.MaxLifetime, time.Duration(0)},
		{"forward", j.Forward, false},
		{"remote_jwks.authority", j.RemoteJWKS.Authority, "idp"},
		{"remote_jwks.timeout_ms", j.RemoteJWKS.Timeout, 2 * time.Second},
		{"remote_jwks.refresh_seconds", j.RemoteJWKS.Refresh, 600 * time.Second},
		{"remote_jwks.max_stale_seconds", j.RemoteJWKS.MaxStale, 86400 * time.Second},
		{"api key claims", k.Keys[0].Claims.Kind, jsonx.KindObject},
		{"api key claims empty", len(k.Keys[0].Claims.Members), 0},
		{"api key expires", k.Keys[0].Expires.IsZero(), true},
		{"allow_missing", pol.Auth.AllowMissing, false},
		{"cors.allow_methods", pol.CORS.AllowMethods, []string{"GET", "HEAD", "POST"}},
		{"cors.allow_credentials", pol.CORS.AllowCredentials, false},
		{"cors.max_age_seconds", pol.CORS.HasMaxAge, false},
		{"request.max_body_bytes", pol.Request.MaxBodyBytes, int64(1 << 20)},
		{"request.max_body_bytes set", pol.Request.MaxBodyBytesSet, false},
		{"json.required", pol.Request.JSON.Required, false},
		{"json.max_depth", pol.Request.JSON.MaxDepth, 32},
		{"json.max_keys", pol.Request.JSON.MaxKeys, 1000},
		{"json.max_array_items", pol.Request.JSON.MaxArrayItems, 1000},
		{"json.max_string_bytes", pol.Request.JSON.MaxStringBytes, 65536},
		{"json.case_sensitive_keys", pol.Request.JSON.CaseSensitiveKeys, false},
		{"response.max_body_bytes", pol.Response.MaxBodyBytes, int64(1 << 20)},
		{"response.allow", pol.Response.Allow, []ResponsePath(nil)},
		{"redact.action", pol.Response.Redact.Action, RedactRemove},
		{"redact.mask", pol.Response.Redact.Mask, "****"},
		{"rate limit burst", pol.RateLimits[0].Burst, int64(7)},
		{"rate limit window days", pol.RateLimits[0].Window, 24 * time.Hour},
		{"rate limit global", pol.RateLimits[0].Global, false},
		{"rate_limit_slots", cfg.RateLimitSlots, 65536},
		{"token_cache", cfg.TokenCache, TokenCache{MaxEntries: 4096, MaxBytes: 4 << 20}},
		{"rate_limit_service.timeout_ms", cfg.RateLimitService.Timeout, 50 * time.Millisecond},
		{"rate_limit_service.failure_mode", cfg.RateLimitService.FailureMode, FailureDeny},
		{"rate_limit_service.hash_secret", cfg.RateLimitService.HashSecret, Secret("")},
		{"failed_auth_limit", cfg.FailedAuthLimit, (*FailedAuthLimit)(nil)},
		{"errors.sanitize_upstream_5xx", cfg.Errors.SanitizeUpstream5xx, true},
		{"security_headers", cfg.SecurityHeaders, true},
		{"audit_log", cfg.AuditLog, AuditLog{}},
		{"claim headers", cfg.ClaimHeaders, []string{}},
	}
	for _, tc := range tests {
		check(t, tc.field, tc.got, tc.want)
	}
}

func TestParse_values(t *testing.T) {
	t.Run("require_tls", func(t *testing.T) {
		for doc, want := range map[string]TLSMode{
			`true`: TLSConnection, `false`: TLSOff, `"forwarded"`: TLSForwarded,
		} {
			cfg := mustParse(t, `{"default":{"require_tls":`+doc+`}}`)
			check(t, doc, cfg.Default.RequireTLS, want)
		}
	})
	t.Run("explicit false and overrides", func(t *testing.T) {
		cfg := mustParse(t, `{"hold_headers":false,"security_headers":false,"audit_log":true,
			"errors":{"sanitize_upstream_5xx":false},"rate_limit_slots":1024,
			"token_cache":{"max_entries":0,"max_bytes":1048576},
			"default":{"enforce":false},
			"rate_limit_service":{"cluster":"c","domain":"d","timeout_ms":250,"failure_mode":"allow","hash_secret":"0123456789abcdef"},
			"failed_auth_limit":{"key":"header:X-Client","limit":3,"window":"90s"}}`)
		check(t, "hold_headers", cfg.HoldHeaders, false)
		check(t, "security_headers", cfg.SecurityHeaders, false)
		check(t, "audit_log", cfg.AuditLog, AuditLog{Enabled: true})
		check(t, "sanitize", cfg.Errors.SanitizeUpstream5xx, false)
		check(t, "slots", cfg.RateLimitSlots, 1024)
		check(t, "token_cache", cfg.TokenCache, TokenCache{MaxEntries: 0, MaxBytes: 1 << 20})
		check(t, "enforce", cfg.Default.Enforce, false)
		check(t, "rls", *cfg.RateLimitService, RateLimitService{Cluster: "c", Domain: "d", Timeout: 250 * time.Millisecond, FailureMode: FailureAllow, HashSecret: "0123456789abcdef"})
		check(t, "fal", *cfg.FailedAuthLimit, FailedAuthLimit{Key: Key{Kind: KeyHeader, Header: "x-client", Raw: "header:X-Client"}, Limit: 3, Window: 90 * time.Second})
		check(t, "routes", cfg.Routes, []Route(nil))
		check(t, "table", routeTable(t, cfg).Len(), 0)
	})
	t.Run("case_insensitive_paths", func(t *testing.T) {
		// Routes that differ only in case are a config error while paths
		// are case-sensitive (see TestParse_errors); ignoring case, the
		// first simply wins.
		doc := `"routes":[{"name":"a","match":{"path":"/Users/{id}","methods":["GET"]}},{"name":"b","match":{"path":"/users/{uid}"}}]}`
		cfg := mustParse(t, `{"case_insensitive_paths":true,`+doc)
		check(t, "field", cfg.CaseInsensitivePaths, true)
		check(t, "table", routeTable(t, cfg).CaseInsensitive(), true)
		check(t, "options", cfg.RouteOptions(), route.Options{CaseInsensitive: true})
		if idx, params, ok := routeTable(t, cfg).Match("GET", "/USERS/BoB"); !ok || idx != 0 {
			t.Errorf("GET /USERS/BoB = %d, %v", idx, ok)
		} else if v, _ := params.Get("id"); v != "BoB" {
			t.Errorf("id = %q, want the request's spelling", v)
		}
		if idx, _, ok := routeTable(t, cfg).Match("DELETE", "/users/bob"); !ok || idx != 1 {
			t.Errorf("DELETE /users/bob = %d, %v", idx, ok)
		}
		cfg = mustParse(t, `{"case_insensitive_paths":false,"routes":[{"name":"a","match":{"path":"/a"}}]}`)
		check(t, "explicit false", routeTable(t, cfg).CaseInsensitive(), false)
	})
	t.Run("inline jwks kept byte for byte", func(t *testing.T) {
		jwks := `{ "keys" : [ {"kty":"oct","k":"c2VjcmV0\u002d","alg":"HS256"} , {"kty":"EC","x":"a}b]"} ], "x-extra": {"n":[1,2,{}]} }`
		cfg := mustParse(t, `{"providers":{"h":{"issuer":"i","audiences":["a"],"algorithms":["HS256","ES256"],"jwks":`+jwks+`,"forward":true}},"default":{}}`)
		got := cfg.Provider("h").JWT
		if !bytes.Equal(got.JWKS, []byte(jwks)) {
			t.Errorf("JWKS = %s", got.JWKS)
		}
		check(t, "remote", got.RemoteJWKS, (*RemoteJWKS)(nil))
		check(t, "forward", got.Forward, true)
	})
	t.Run("rate-limit keys", func(t *testing.T) {
		cfg := mustParse(t, `{"default":{"rate_limits":[
			{"name":"a","key":"route","limit":1,"window":"500ms"},
			{"name":"b","key":"header:X-Tenant","limit":1,"window":"1h30m"},
			{"name":"c","key":"claim:realm\\.access.roles","limit":1,"window":"1s","burst":9},
			{"name":"d","key":"ip","limit":2,"window":"1d","global":true}]},
			"rate_limit_service":{"cluster":"c","domain":"d"}}`)
		rl := cfg.Default.RateLimits
		check(t, "route", rl[0].Key, Key{Kind: KeyRoute, Raw: "route"})
		check(t, "route window", rl[0].Window, 500*time.Millisecond)
		check(t, "header", rl[1].Key, Key{Kind: KeyHeader, Header: "x-tenant", Raw: "header:X-Tenant"})
		check(t, "header window", rl[1].Window, 90*time.Minute)
		check(t, "claim", rl[2].Key, Key{Kind: KeyClaim, Claim: []string{"realm.access", "roles"}, Raw: `claim:realm\.access.roles`})
		check(t, "burst", rl[2].Burst, int64(9))
		check(t, "global", rl[3], RateLimit{Name: "d", Key: Key{Kind: KeyIP, Raw: "ip"}, Limit: 2, Window: 24 * time.Hour, Global: true})
	})
	t.Run("sources and headers", func(t *testing.T) {
		cfg := mustParse(t, `{"providers":{"q":{"issuer":"i","audiences":["a"],"algorithms":["PS512"],"jwks":{"keys":[{}]},
			"from":[{"header":"X-Token"},{"query":"token"},{"cookie":"Sess"}],
			"claims_to_headers":{"realm\\.x.id":"x-realm-id"}}},
			"default":{"cors":{"allow_origins":["null","http://[::1]:8080","https://a.example:8443"],"allow_headers":["X-Trace"],"max_age_seconds":0}}}`)
		q := cfg.Provider("q")
		check(t, "from", q.JWT.From, []Source{{Kind: SourceHeader, Name: "x-token"}, {Kind: SourceQuery, Name: "token"}, {Kind: SourceCookie, Name: "Sess"}})
		check(t, "c2h", q.ClaimsToHeaders, []ClaimHeader{{Claim: []string{"realm.x", "id"}, ClaimName: `realm\.x.id`, Header: "x-realm-id"}})
		check(t, "claim headers", cfg.ClaimHeaders, []string{"x-realm-id", "x_realm_id"})
		check(t, "cors headers", cfg.Default.CORS.AllowHeaders, []string{"x-trace"})
		check(t, "cors max age", cfg.Default.CORS.HasMaxAge, true)
		check(t, "any origin", cfg.Default.CORS.AnyOrigin, false)
		star := mustParse(t, `{"default":{"cors":{"allow_origins":["*"]}}}`)
		check(t, "star", star.Default.CORS.AnyOrigin, true)
	})
	t.Run("shared claim header across providers", func(t *testing.T) {
		cfg := mustParse(t, `{"providers":{
			"a":{"api_keys":{"keys":[]},"claims_to_headers":{"sub":"x-user-id"}},
			"b":{"api_keys":{"from":[{"header":"x-key"}],"keys":[]},"claims_to_headers":{"uid":"x-user-id"}}},"default":{}}`)
		check(t, "claim headers", cfg.ClaimHeaders, []string{"x-user-id", "x_user_id"})
	})
	t.Run("fields and response paths", func(t *testing.T) {
		cfg := mustParse(t, `{"hold_headers":true,"default":{"request":{"json":{"fields":[
			{"path":"a\\.b.c","type":"integer"},{"path":"n","type":"null","required":true},{"path":"h\\#","required":true}]}},
			"response":{"allow":["#.id","k\\#.v"],"redact":{"paths":["x"],"action":"mask","mask":""},"pass_types":["Text/CSV","application/octet-stream"]}}}`)
		f := cfg.Default.Request.JSON.Fields
		check(t, "field 0", f[0], FieldRule{Path: []string{"a.b", "c"}, PathName: `a\.b.c`, Type: TypeInteger})
		check(t, "field 1", f[1], FieldRule{Path: []string{"n"}, PathName: "n", Type: TypeNull, Required: true})
		check(t, "field 2", f[2].Path, []string{"h#"})
		resp := cfg.Default.Response
		check(t, "allow", resp.Allow, []ResponsePath{
			{Raw: "#.id", Segments: []Segment{{Each: true}, {Key: "id"}}},
			{Raw: `k\#.v`, Segments: []Segment{{Key: "k#"}, {Key: "v"}}},
		})
		check(t, "mask", *resp.Redact, Redact{Paths: []ResponsePath{{Raw: "x", Segments: []Segment{{Key: "x"}}}}, Action: RedactMask, Mask: ""})
		check(t, "pass types", resp.PassTypes, []string{"text/csv", "application/octet-stream"})
	})
	t.Run("case_sensitive_keys", func(t *testing.T) {
		cfg := mustParse(t, `{"hold_headers":true,"default":{"request":{"json":{"case_sensitive_keys":true}}}}`)
		check(t, "case_sensitive_keys", cfg.Default.Request.JSON.CaseSensitiveKeys, true)
		cfg = mustParse(t, `{"hold_headers":true,"default":{"request":{"json":{"case_sensitive_keys":false}}}}`)
		check(t, "case_sensitive_keys false", cfg.Default.Request.JSON.CaseSensitiveKeys, false)
	})
	t.Run("api key hash upper case", func(t *testing.T) {
		cfg := mustParse(t, withKeys(`[{"id":"k:1","sha256":"`+hexUpper(hash64)+`","claims":{"sub":"x","n":[1]},"expires":"2027-01-01T12:00:00+02:00"}]`))
		k := cfg.Provider("p").APIKeys.Keys[0]
		check(t, "hash", hex.EncodeToString(k.SHA256[:]), hash64)
		check(t, "expires", k.Expires, ts("2027-01-01T10:00:00Z"))
		check(t, "expires utc", k.Expires.Location(), time.UTC)
	})
}

func hexUpper(s string) string { return string(bytes.ToUpper([]byte(s))) }

func TestPolicy_RequestBodyLimit(t *testing.T) {
	tests := []struct {
		name        string
		policy      string
		wantLimit   int64
		wantOn      bool
		wantUpgrade bool
		wantForm    bool
	}{
		{"nothing", `{}`, 0, false, false, false},
		{"forbid only", `{"request":{"forbid_query_params":["a"]}}`, 0, false, false, false},
		{"explicit cap", `{"request":{"max_body_bytes":100}}`, 100, true, false, false},
		{"json default cap", `{"request":{"json":{}}}`, 1 << 20, true, true, false},
		{"json explicit cap", `{"request":{"json":{},"max_body_bytes":7}}`, 7, true, true, false},
		{"body owner without request", `{"auth":{"providers":["idp"],"body_owner":[{"field":"a","claim":"sub"}]}}`, 1 << 20, true, true, true},
		// An owner route reads a body only when it is form-encoded,
		// which the plugin learns per request (docs/configuration.md auth.owner).
		{"owner only", `{"auth":{"providers":["idp"],"owner":[{"param":"id","claim":"sub"}]}}`, 0, false, false, true},
		{"owner and cap", `{"auth":{"providers":["idp"],"owner":[{"param":"id","claim":"sub"}]},"request":{"max_body_bytes":9}}`, 9, true, false, true},
		{"claims only", `{"auth":{"providers":["idp"],"claims":[{"claim":"sub","equals":"a"}]}}`, 0, false, false, false},
		{"response rules", `{"response":{}}`, 0, false, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := mustParse(t, `{"hold_headers":true,"providers":{`+jwtIdp+`},"routes":[`+routeWith(tc.policy)+`]}`)
			pol := &cfg.Routes[0].Policy
			limit, on := pol.RequestBodyLimit()
			if limit != tc.wantLimit || on != tc.wantOn {
				t.Errorf("RequestBodyLimit = %d, %v; want %d, %v", limit, on, tc.wantLimit, tc.wantOn)
			}
			if got := pol.RefusesUpgrade(); got != tc.wantUpgrade {
				t.Errorf("RefusesUpgrade = %v, want %v", got, tc.wantUpgrade)
			}
			if got := pol.ReadsFormBody(); got != tc.wantForm {
				t.Errorf("ReadsFormBody = %v, want %v", got, tc.wantForm)
			}
		})
	}
}

// routeWith merges policy (an object) into a route at /u/{id}.
func routeWith(policy string) string {
	inner := policy[1 : len(policy)-1]
	if inner != "" {
		inner = "," + inner
	}
	return `{"name":"r","match":{"path":"/u/{id}"}` + inner + `}`
}

func TestConfigClaims_splitClaimPath(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{"sub", []string{"sub"}, ""},
		{"realm_access.roles", []string{"realm_access", "roles"}, ""},
		{`https://example\.com/roles`, []string{"https://example.com/roles"}, ""},
		{`a\\.b`, []string{`a\`, "b"}, ""},
		{`a\#`, []string{"a#"}, ""},
		{`x.y\.z.w`, []string{"x", "y.z", "w"}, ""},
		{"", nil, "must not be empty"},
		{".a", nil, `empty key in path ".a"`},
		{"a.", nil, `empty key in path "a."`},
		{`a\`, nil, `bad escape in path "a\\" (the escapes are \., \\ and \#)`},
		{"a.#", nil, `"#" (every array element) is only allowed in response paths; write "\#" for a key named "#"`},
	}
	for _, tc := range tests {
		got, err := SplitClaimPath(tc.in)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("SplitClaimPath(%q) error = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SplitClaimPath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestConfigDuration_parse(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"500ms", 500 * time.Millisecond, true},
		{"30s", 30 * time.Second, true},
		{"1m", time.Minute, true},
		{"2h", 2 * time.Hour, true},
		{"1h30m", 90 * time.Minute, true},
		{"1d", 24 * time.Hour, true},
		{"7d", 7 * 24 * time.Hour, true},
		{"0", 0, true},
		{"-1s", -time.Second, true},
		{"1x", 0, false},
		{"d", 0, false},
		{"1.5d", 0, false},
		{"+1d", 0, false},
		{"-1d", 0, false},
		{"1d1h", 0, false},
		{"99999999999d", 0, false},
		{"", 0, false},
		{"1 s", 0, false},
	}
	for _, tc := range tests {
		got, ok := ParseDuration(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	for d, want := range map[time.Duration]string{24 * time.Hour: "1d", time.Minute: "1m0s", 365 * 24 * time.Hour: "365d", 36 * time.Hour: "36h0m0s"} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestConfigNames_normalizeQueryName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"access_token", "access_token"},
		{"Access.Token", "access_token"},
		{"access+token", "access_token"},
		{"access%20token", "access_token"},
		{"access%5btoken", "access_token"},
		{"ACCESS[TOKEN", "access_token"},
		{"%41pi_key", "api_key"},
		{"a%zz", "a%zz"},
		{"a%4", "a%4"},
		{"\u212Aey", "key"}, // Kelvin sign folds to k
		{"%ff", "\xff"},
		{"_method", "_method"},
		{"+_method", "_method"},
		{"%20%20jwt", "jwt"},
		{"jwt+", "jwt_"},
	}
	for _, tc := range tests {
		if got := httpx.NormalizeQueryName(tc.in); got != tc.want {
			t.Errorf("httpx.NormalizeQueryName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestParse_passCredentials: each kind, names canonicalised (header names
// lower-cased, cookie and query names normalised), Authorization allowed
// without a provider reading it; prefixes that differ only in letter case
// are one source, not a conflict.
func TestParse_passCredentials(t *testing.T) {
	cfg := mustParse(t, `{"providers":{
		"k":{"api_keys":{"from":[{"header":"X-Api-Key"},{"cookie":"Session"},{"query":"api.key"}],"keys":[]}},
		"b":{"api_keys":{"from":[{"header":"authorization","prefix":"bearer "}],"keys":[]}},
		"j":{"issuer":"i","audiences":["a"],"algorithms":["RS256"],"jwks":{"keys":[{}]}}},
		"routes":[{"name":"r","match":{"path":"/"},"auth":{"providers":["b","j"]},
		  "pass_credentials":["header:Authorization","header:x-api-key","cookie:SESSION","query:+API[key"]}],
		"default":{"pass_credentials":[]}}`)
	want := []PassCredential{
		{Kind: SourceHeader, Name: "authorization", Raw: "header:Authorization"},
		{Kind: SourceHeader, Name: "x-api-key", Raw: "header:x-api-key"},
		{Kind: SourceCookie, Name: "session", Raw: "cookie:SESSION"},
		{Kind: SourceQuery, Name: "api_key", Raw: "query:+API[key"},
	}
	check(t, "route", cfg.Routes[0].Policy.PassCredentials, want)
	check(t, "default", len(cfg.Default.PassCredentials), 0)
}

func TestError_path(t *testing.T) {
	p := root.field("providers").field("a.b").field("claims_to_headers").field("x y").at(3).field("k_1-2")
	if got, want := p.String(), `providers["a.b"].claims_to_headers["x y"][3].k_1-2`; got != want {
		t.Errorf("path = %s, want %s", got, want)
	}
	if got := root.at(0).String(); got != "[0]" {
		t.Errorf("path = %s", got)
	}
	if got := root.String(); got != "$" {
		t.Errorf("root = %s", got)
	}
	e := &Error{Msg: "configuration is empty"}
	if e.Error() != "configuration is empty" {
		t.Errorf("Error() = %q", e.Error())
	}
}

func TestParse_tooLarge(t *testing.T) {
	big := make([]byte, MaxConfigBytes+1)
	for i := range big {
		big[i] = ' '
	}
	_, err := Parse(big)
	if err == nil || err.Error() != "configuration is larger than 16 MiB" {
		t.Errorf("error = %v", err)
	}
}

func TestEnums_String(t *testing.T) {
	tests := []struct {
		got  fmt.Stringer
		want string
	}{
		{ProviderJWT, "jwt"}, {ProviderAPIKeys, "api_keys"}, {ProviderKind(0), "invalid"},
		{SourceHeader, "header"}, {SourceCookie, "cookie"}, {SourceQuery, "query"}, {SourceKind(9), "invalid"},
		{TLSOff, "off"}, {TLSConnection, "connection"}, {TLSForwarded, "forwarded"}, {TLSMode(9), "invalid"},
		{ClaimEquals, "equals"}, {ClaimAnyOf, "any_of"}, {ClaimContains, "contains"}, {ClaimOp(0), "invalid"},
		{TypeAny, "any"}, {TypeInteger, "integer"}, {TypeNull, "null"}, {JSONType(99), "invalid"},
		{RedactRemove, "remove"}, {RedactMask, "mask"}, {RedactAction(0), "invalid"},
		{KeyIP, "ip"}, {KeyRoute, "route"}, {KeyHeader, "header"}, {KeyClaim, "claim"}, {KeyKind(0), "invalid"},
		{FailureDeny, "deny"}, {FailureAllow, "allow"}, {FailureMode(0), "invalid"},
	}
	for _, tc := range tests {
		if s := tc.got.String(); s != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.got, s, tc.want)
		}
	}
}

func BenchmarkConfig_parse(b *testing.B) {
	data := readExample(b)
	if cfg, err := Parse(data); err != nil || len(cfg.Routes) == 0 {
		b.Fatalf("%v: the example has no routes", err)
	}
	b.Run("example", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := Parse(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestParse_hashSecret: rate_limit_service.hash_secret accepts 16 to 1024
// printable ASCII characters (space and punctuation included), kept as
// written; fmt never shows it.
func TestParse_hashSecret(t *testing.T) {
	for _, secret := range []string{
		"0123456789abcdef",
		" !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ Zz",
		strings.Repeat("k", MaxHashSecret),
	} {
		js, _ := json.Marshal(secret)
		cfg := mustParse(t, `{"default":{},"rate_limit_service":{"cluster":"c","domain":"d","hash_secret":`+string(js)+`}}`)
		rls := cfg.RateLimitService
		if string(rls.HashSecret) != secret {
			t.Errorf("hash_secret = %q, want %q", string(rls.HashSecret), secret)
		}
		for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			out := fmt.Sprintf(f, rls) + fmt.Sprintf(f, *rls) + fmt.Sprintf(f, rls.HashSecret)
			if strings.Contains(out, secret) || strings.Contains(out, hex.EncodeToString([]byte(secret))) {
				t.Errorf("%s shows the secret: %s", f, out)
			}
			if f != "%x" && !strings.Contains(out, "[redacted]") {
				t.Errorf("%s: no [redacted] in %s", f, out)
			}
		}
	}
	if got := fmt.Sprint(Secret("")); got != "" {
		t.Errorf("empty Secret prints %q", got)
	}
}

func TestParse_remoteJWKSMaxStale(t *testing.T) {
	for _, c := range []struct {
		remote string
		want   time.Duration
	}{
		{`{"cluster":"idp","path":"/jwks","max_stale_seconds":3600}`, time.Hour},
		{`{"cluster":"idp","path":"/jwks","refresh_seconds":60,"timeout_ms":999,"max_stale_seconds":61}`, 61 * time.Second},
		{`{"cluster":"idp","path":"/jwks","refresh_seconds":604800,"max_stale_seconds":2592000}`, 30 * 24 * time.Hour},
	} {
		doc := strings.Replace(defaultsDoc, `{"cluster": "idp", "path": "/jwks"}`, c.remote, 1)
		if got := mustParse(t, doc).Provider("j").JWT.RemoteJWKS.MaxStale; got != c.want {
			t.Errorf("%s: max_stale = %v, want %v", c.remote, got, c.want)
		}
	}
}

func TestParse_remoteJWKSLocation(t *testing.T) {
	for _, c := range []struct {
		remote          string
		authority, path string
		discovery       bool
		clusters        map[string]string
	}{
		{`{"cluster":"idp","url":"https://login.example.com/keys/jwks.json"}`, "login.example.com", "/keys/jwks.json", false, nil},
		{`{"cluster":"idp","url":"HTTPS://login.example.com:8443/jwks"}`, "login.example.com:8443", "/jwks", false, nil},
		{`{"cluster":"idp","url":"http://idp.internal/jwks"}`, "idp.internal", "/jwks", false, nil},
		{`{"cluster":"idp","url":"https://[2001:db8::1]:8443/jwks"}`, "[2001:db8::1]:8443", "/jwks", false, nil},
		{`{"cluster":"idp","discovery":true}`, "idp", "/.well-known/openid-configuration", true, nil},
		{`{"cluster":"idp","url":"https://login.example.com","discovery":true}`, "login.example.com", "/.well-known/openid-configuration", true, nil},
		{`{"cluster":"idp","url":"https://login.example.com/tenant/v2.0/.well-known/openid-configuration","discovery":true}`,
			"login.example.com", "/tenant/v2.0/.well-known/openid-configuration", true, nil},
		{`{"cluster":"idp","authority":"login.example.com","discovery":true,"clusters":{"keys.example.com":"keys"}}`,
			"login.example.com", "/.well-known/openid-configuration", true, map[string]string{"keys.example.com": "keys"}},
		{`{"cluster":"idp","path":"/jwks","discovery":false}`, "idp", "/jwks", false, nil},
	} {
		doc := strings.Replace(defaultsDoc, `{"cluster": "idp", "path": "/jwks"}`, c.remote, 1)
		r := mustParse(t, doc).Provider("j").JWT.RemoteJWKS
		if r.Authority != c.authority || r.Path != c.path || r.Discovery != c.discovery || !reflect.DeepEqual(r.Clusters, c.clusters) {
			t.Errorf("%s: got %q %q %v %v", c.remote, r.Authority, r.Path, r.Discovery, r.Clusters)
		}
	}
}

func TestConfigJWKS_splitFetchURL(t *testing.T) {
	for _, c := range []struct {
		url, authority, path, msg string
	}{
		{"https://keys.example.com/jwks?tenant=a", "keys.example.com", "/jwks?tenant=a", ""},
		{"https://keys.example.com?tenant=a", "keys.example.com", "/?tenant=a", ""},
		{"https://keys.example.com", "keys.example.com", "", ""},
		{"https://keys.example.com/jwks#x", "", "", "has a fragment (#)"},
		{"https://user@keys.example.com/jwks", "", "", "has no host[:port] (or user information in it)"},
		{"//keys.example.com/jwks", "", "", "is not an https (or http) URL"},
		{"https:/keys.example.com/jwks", "", "", "is not an https (or http) URL"},
		{"https://keys.example.com/a\x00b", "", "", "holds a space, a backslash or a control character"},
	} {
		a, p, msg := SplitFetchURL(c.url, true)
		if a != c.authority || p != c.path || msg != c.msg {
			t.Errorf("%q: got %q %q %q", c.url, a, p, msg)
		}
	}
	if !SameAuthority("Keys.Example.com:443", "keys.example.com") || SameAuthority("keys.example.com:8443", "keys.example.com") ||
		SameAuthority("keys.example.com.evil", "keys.example.com") {
		t.Error("SameAuthority")
	}
}

// TestParse_holdHeadersRequired pins docs/configuration.md's hold_headers default: a
// configuration with a rule that reads a body or inspects responses must
// write hold_headers (its default would hang such routes under Istio), and
// the error names the rule and says when true and when false are right.
func TestParse_holdHeadersRequired(t *testing.T) {
	idp := `"providers":{` + jwtIdp + `},`
	tests := []struct {
		name    string
		doc     string
		wantErr string // "" = accepted
		want    bool   // HoldHeaders when accepted
	}{
		{"no body rule: default true", `{` + idp + `"routes":[` + routeWith(`{"request":{"max_body_bytes":10}}`) + `]}`, "", true},
		{"json", `{` + idp + `"routes":[` + routeWith(`{"request":{"json":{}}}`) + `]}`, "routes[0].request.json", false},
		{"body_owner", `{` + idp + `"routes":[` + routeWith(`{"auth":{"providers":["idp"],"body_owner":[{"field":"a","claim":"sub"}]}}`) + `]}`, "routes[0].auth.body_owner", false},
		{"owner (form shadow)", `{` + idp + `"routes":[` + routeWith(`{"auth":{"providers":["idp"],"owner":[{"param":"id","claim":"sub"}]}}`) + `]}`, "routes[0].auth.owner", false},
		{"response", `{` + idp + `"routes":[` + routeWith(`{"response":{}}`) + `]}`, "routes[0].response", false},
		{"in default", `{"default":{"response":{"redact":{"keys":["k"]}}}}`, "default.response", false},
		{"first in document order", `{` + idp + `"routes":[` + routeWith(`{}`) + `,{"name":"b","match":{"path":"/b"},"response":{}}],"default":{"request":{"json":{}}}}`, "routes[1].response", false},
		{"written true", `{"hold_headers":true,"default":{"request":{"json":{}}}}`, "", true},
		{"written false", `{"hold_headers":false,"default":{"request":{"json":{}}}}`, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tc.doc))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if cfg.HoldHeaders != tc.want {
					t.Fatalf("HoldHeaders = %v, want %v", cfg.HoldHeaders, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted without hold_headers")
			}
			msg := err.Error()
			for _, want := range []string{"hold_headers: required: " + tc.wantErr + " ", "true for Envoy 1.35", "allow_on_headers_stop_iteration: true", "false for Istio"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q lacks %q", msg, want)
				}
			}
		})
	}
}

// routeTable compiles cfg's routes the way policy.Compile does.
func routeTable(t testing.TB, cfg *Config) *route.Table {
	t.Helper()
	tab, err := route.CompileWith(cfg.RouteSpecs(), cfg.RouteOptions())
	if err != nil {
		t.Fatal(err)
	}
	return tab
}
