package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// API keys (step 9): what a key unlocks and what reaches upstream, key
// claims in claims and owner rules, keys read from a query parameter, and
// the per-key usage counter, bounded by the keys configured.

// keysConfig: API-key providers (issue 8) next to a JWT provider.
func keysConfig(t testing.TB) string {
	h := func(k string) string { s := sha256.Sum256([]byte(k)); return hex.EncodeToString(s[:]) }
	return `{
  "providers": {
    "partners": {"api_keys": {"from": [{"header": "x-api-key"}], "keys": [
        {"id": "acme-2026-05", "sha256": "` + h("acme-old-key") + `", "claims": {"sub": "acme", "scope": "orders:read"}},
        {"id": "acme-2026-06", "sha256": "` + h("acme-new-key") + `", "claims": {"sub": "acme", "scope": "orders:read"}},
        {"id": "globex", "sha256": "` + h("globex-key") + `", "claims": {"sub": "globex", "scope": "orders:write"},
         "expires": "2026-01-01T01:00:00Z"}]},
      "claims_to_headers": {"sub": "x-partner-id"}},
    "bearerkeys": {"api_keys": {"keys": [
        {"id": "bk", "sha256": "` + h("bearer-key") + `", "claims": {"sub": "bk"}}]}},
    "idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["EdDSA"],
            "jwks": ` + jwksOf(t, "ed") + `}
  },
  "routes": [
    {"name": "orders", "match": {"path": "/orders"}, "auth": {"providers": ["partners", "idp"],
      "claims": [{"claim": "scope", "contains": ["orders:read"]}]}},
    {"name": "tenant", "match": {"path": "/tenants/{t}/orders"}, "auth": {"providers": ["partners"],
      "owner": [{"param": "t", "claim": "sub"}]}},
    {"name": "limited", "match": {"path": "/limited"}, "auth": {"providers": ["partners"]},
      "rate_limits": [{"name": "per-partner", "key": "claim:sub", "limit": 2, "window": "1m"}]},
    {"name": "same-header", "match": {"path": "/same"}, "auth": {"providers": ["idp", "bearerkeys"]}}
  ]
}`
}

func TestAuthnAPIKey_verdicts(t *testing.T) {
	now := host.DefaultStart
	key := func(k string) []proxy.Pair { return headers("x-api-key", k) }
	jwtTok := mint(t, "ed", "EdDSA", claimsAt(now, idpIssuer, map[string]any{"scope": "orders:read"}))
	// A key whose SHA-256 differs from a configured hash in the first byte
	// and one that differs in the last: found by search, refused alike.
	near := func(first bool) string {
		want := sha256.Sum256([]byte("acme-new-key"))
		for i := 0; ; i++ {
			k := "probe-" + itoa(int64(i))
			h := sha256.Sum256([]byte(k))
			if first && h[0] != want[0] && h[1] == want[1] || !first && h[0] == want[0] && h[31] != want[31] {
				return k
			}
		}
	}
	cases := []exchange{
		{name: "key accepted, removed upstream, claims forwarded", req: getWith("/orders", key("acme-new-key")), want: 200,
			upHeaders: map[string]string{"x-api-key": "", "x-partner-id": "acme"}},
		{name: "rotated pair: old key still accepted", req: getWith("/orders", key("acme-old-key")), want: 200},
		invalid("revoked (never configured) key", getWith("/orders", key("acme-2025-key")), problem.ReasonAPIKeyUnknown),
		invalid("key differing in the first hash byte", getWith("/orders", key(near(true))), problem.ReasonAPIKeyUnknown),
		invalid("key differing in a later hash byte", getWith("/orders", key(near(false))), problem.ReasonAPIKeyUnknown),
		invalid("key with a trailing space", getWith("/orders", key("acme-new-key ")), problem.ReasonAPIKeyUnknown),
		scope("key claims drive claims rules", getWith("/orders", key("globex-key")), problem.ReasonClaimsNotSatisfied),
		{name: "key claims drive owner", req: getWith("/tenants/acme/orders", key("acme-new-key")), want: 200},
		scope("key claims drive owner: other tenant", getWith("/tenants/globex/orders", key("acme-new-key")), problem.ReasonOwnerMismatch),
		invalid("key and token", getWith("/orders", append(key("acme-new-key"), bearer(jwtTok)...)), problem.ReasonCredentialMultiple),
		invalid("key twice", getWith("/orders", headers("x-api-key", "acme-new-key", "x-api-key", "acme-old-key")), problem.ReasonCredentialMultiple),
		{name: "token on a key-or-token route", req: getWith("/orders", bearer(jwtTok)), want: 200},
		{name: "bearer key on a shared header", req: getWith("/same", bearer("bearer-key")), want: 200, upHeaders: map[string]string{"authorization": ""}},
		{name: "bearer token on a shared header", req: getWith("/same", bearer(jwtTok)), want: 200},
		invalid("unknown bearer key on a shared header", getWith("/same", bearer("nope")), problem.ReasonAPIKeyUnknown),
		invalid("foreign token on a shared header", getWith("/same", bearer(mint(t, "ed", "EdDSA", claimsAt(now, "https://evil.example.com/", nil)))), problem.ReasonTokenWrongIssuer),
		{name: "missing key", req: getWith("/orders", nil), want: 401, reason: problem.ReasonCredentialMissing, headers: chMissing},
	}
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, keysConfig(t))
		runTable(t, e, cases)
		vm := e.Worker(0)
		// Key claims drive claim: rate-limit keys: one bucket per partner
		// whichever of its keys is used.
		for i, k := range []string{"acme-new-key", "acme-old-key", "acme-new-key"} {
			want := 200
			if i == 2 {
				want = 429
			}
			if r := roundTrip(vm, exchange{req: getWith("/limited", key(k))}); r.Downstream.Status != want {
				t.Fatalf("limited request %d: status %d, want %d", i, r.Downstream.Status, want)
			}
		}
		if r := roundTrip(vm, exchange{req: getWith("/limited", key("globex-key"))}); r.Downstream.Status != 200 {
			t.Fatalf("another partner's bucket: status %d", r.Downstream.Status)
		}
		// Expiry: the globex key expires at 01:00.
		e.Advance(time.Hour)
		check(t, e, invalid("expired key", getWith("/tenants/globex/orders", key("globex-key")), problem.ReasonAPIKeyExpired),
			roundTrip(vm, exchange{req: getWith("/tenants/globex/orders", key("globex-key"))}))
		if got := metric(t, e, "apiguard.apikey.acme-2026-06.used"); got < 4 {
			t.Errorf("apikey.acme-2026-06.used = %d", got)
		}
		if got := metric(t, e, "apiguard.apikey.acme-2026-05.used"); got < 2 {
			t.Errorf("apikey.acme-2026-05.used = %d", got)
		}
		for _, l := range e.Logs() {
			for _, k := range []string{"acme-new-key", "acme-old-key", "globex-key", "bearer-key"} {
				if strings.Contains(l.Msg, k) {
					t.Errorf("a log line holds a key: %s", l.Msg)
				}
			}
		}
	})
}

// TestAuthnAPIKey_usageCounterBounded: issue 8, "a per-key-id usage counter
// (bounded by the number of configured keys)": unknown keys define no
// counter of their own.
func TestAuthnAPIKey_usageCounterBounded(t *testing.T) {
	sum := sha256.Sum256([]byte("good-key"))
	conf := `{
  "providers": {"keys": {"api_keys": {"from": [{"header": "x-api-key"}],
    "keys": [{"id": "k1", "sha256": "` + hex.EncodeToString(sum[:]) + `"}]}}},
  "routes": [{"name": "api", "match": {"prefix": "/"}, "auth": {"providers": ["keys"]}}]
}`
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, conf)
		vm := e.Worker(0)
		for i := range 20 {
			roundTrip(vm, exchange{req: getWith("/x", headers("x-api-key", "guess-"+itoa(int64(i))))})
		}
		roundTrip(vm, exchange{req: getWith("/x", headers("x-api-key", "good-key"))})
		var keyMetrics []string
		for name := range e.Metrics() {
			if strings.Contains(name, "apiguard.apikey.") {
				keyMetrics = append(keyMetrics, name)
			}
		}
		if len(keyMetrics) != 1 || keyMetrics[0] != "wasmcustom.apiguard.apikey.k1.used" {
			t.Errorf("API key metrics %v, want only wasmcustom.apiguard.apikey.k1.used", keyMetrics)
		}
		if got := metric(t, e, "apiguard.denied."+string(problem.ReasonAPIKeyUnknown)); got != 20 {
			t.Errorf("denied.%s = %d, want 20", problem.ReasonAPIKeyUnknown, got)
		}
	})
}

// TestAuthnAPIKey_claimsAndQuerySource: issue 8, key claims drive body_owner
// exactly as a token's do, and a key read from a query parameter never
// reaches upstream.
func TestAuthnAPIKey_claimsAndQuerySource(t *testing.T) {
	h := func(k string) string { s := sha256.Sum256([]byte(k)); return hex.EncodeToString(s[:]) }
	conf := `{
  "providers": {
    "partners": {"api_keys": {"from": [{"header": "x-api-key"}], "keys": [
      {"id": "acme", "sha256": "` + h("acme-key") + `", "claims": {"sub": "acme"}}]}},
    "qkeys": {"api_keys": {"from": [{"query": "api_key"}], "keys": [
      {"id": "q", "sha256": "` + h("query-key") + `", "claims": {"sub": "q"}}]}}
  },
  "routes": [
    {"name": "orders", "match": {"path": "/orders", "methods": ["POST"]},
     "auth": {"providers": ["partners"], "body_owner": [{"field": "customer_id", "claim": "sub"}]}},
    {"name": "q", "match": {"prefix": "/q"}, "auth": {"providers": ["qkeys"]}}
  ]
}`
	post := func(body string) host.Request {
		return host.Request{Method: "POST", Path: "/orders", Headers: headers("x-api-key", "acme-key"), Body: []byte(body)}
	}
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, conf)
		runTable(t, e, []exchange{
			{name: "body_owner holds for the key's sub", req: post(`{"customer_id":"acme"}`), want: 200,
				upHeaders: map[string]string{"x-api-key": ""}},
			scope("body_owner fails for another customer", post(`{"customer_id":"globex"}`), problem.ReasonBodyOwnerMismatch),
			{name: "query key removed from the path", req: getWith("/q/x?a=1&api_key=query-key&b=2", nil), want: 200,
				upHeaders: map[string]string{":path": "/q/x?a=1&b=2"}},
			invalid("unknown query key", getWith("/q/x?api_key=nope", nil), problem.ReasonAPIKeyUnknown),
		})
	})
}
