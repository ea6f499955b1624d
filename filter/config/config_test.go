package config

import (
	"encoding/hex"
	"fmt"
	"os"
	"reflect"
	"testing"
	"time"

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

// routeTable compiles cfg's routes the way policy.Compile does.
func routeTable(t testing.TB, cfg *Config) *route.Table {
	t.Helper()
	tab, err := route.CompileWith(cfg.RouteSpecs(), cfg.RouteOptions())
	if err != nil {
		t.Fatal(err)
	}
	return tab
}
