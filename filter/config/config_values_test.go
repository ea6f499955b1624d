package config

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/route"
)

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
