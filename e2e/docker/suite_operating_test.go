package docker

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// testJWKSRotation publishes a second key and sends a token signed with it:
// the unknown kid makes apiguard refetch the JWKS early and wait for it
// (held across ticks, in Envoy and in the local proxy alike).
func testJWKSRotation(t *testing.T, tg *target) {
	fetched, _ := tg.metric("wasmcustom.apiguard.jwks.idp.fetch_ok")
	if fetched < 1 {
		t.Fatalf("no JWKS fetched yet")
	}
	tg.idp.addKey(t, "k2")
	tok := tg.idp.token(t, "k2", aliceClaims())
	e := decodeEcho(t, get(t, tg, "/users/alice/orders", "Authorization", "Bearer "+tok))
	if got := e.Headers["x-user-id"]; fmt.Sprint(got) != "[alice]" {
		t.Errorf("x-user-id %q", got)
	}
	if n, _ := tg.metric("wasmcustom.apiguard.jwks.idp.fetch_ok"); n <= fetched {
		t.Errorf("fetch_ok %d -> %d: the new key did not come from a refetch", fetched, n)
	}
}

var (
	auditAllow = regexp.MustCompile(`apiguard: audit \{"request_id":"[^"\n]+","route":"health","method":"GET","path_template":"/healthz","decision":"allow"[^\n]*"status":200\}`)
	auditDeny  = regexp.MustCompile(`apiguard: audit \{"request_id":"[^"\n]+","route":"-","method":"GET","path_template":"-","decision":"deny","reason":"route_not_found"[^\n]*"status":404\}`)
)

// testAuditLog: audit_log is on, so every request leaves one JSON line.
func testAuditLog(t *testing.T, tg *target) {
	get(t, tg, "/healthz")
	get(t, tg, "/nowhere/audit")
	waitFor(t, "the audit lines", 10*time.Second, func() bool {
		logs := tg.logs()
		return auditAllow.MatchString(logs) && auditDeny.MatchString(logs)
	})
}

// testEnvoySettings checks the HTTP connection manager settings apiguard
// relies on: Envoy refuses these before the filter runs.
func testEnvoySettings(t *testing.T, tg *target) {
	for _, c := range []struct {
		name string
		req  *http.Request
	}{
		{"escaped slash", newRequest(t, "GET", tg.base+"/echo/a%2Fb", nil)},
		{"header with underscore", newRequest(t, "GET", tg.base+"/echo", nil, "X_User_Id", "mallory")},
	} {
		t.Run(c.name, func(t *testing.T) {
			x := do(t, c.req, true)
			if x.resp.StatusCode != 400 {
				t.Errorf("status %d, want Envoy's 400; body %s", x.resp.StatusCode, x.body)
			}
		})
	}
}

func testPrometheus(t *testing.T, tg *target) {
	text, err := tg.prometheus()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^apiguard_requests(\{[^}]*\})? \d+`),
		regexp.MustCompile(`(?m)^apiguard_denied\{reason="route_not_found"\} \d+`),
		regexp.MustCompile(`(?m)^apiguard_rate_limited\{limit="shared"\} \d+`),
		regexp.MustCompile(`(?m)^apiguard_jwks_fetch_ok\{provider="idp"\} \d+`),
		regexp.MustCompile(`(?m)^apiguard_route_redactions\{route="profile"\} \d+`),
		regexp.MustCompile(`(?m)^apiguard_apikey_used\{key_id="e2e-partner"\} \d+`),
	} {
		if !want.MatchString(text) {
			t.Errorf("/stats/prometheus has no line matching %s", want)
		}
	}
	if t.Failed() {
		var lines []string
		for _, l := range strings.Split(text, "\n") {
			if strings.Contains(l, "apiguard") {
				lines = append(lines, l)
			}
		}
		t.Logf("apiguard lines:\n%s", strings.Join(lines, "\n"))
	}
}
