package docker

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"testing"
	"time"
)

// e2eAPIKey is the partner key whose sha256 envoy.yaml configures.
const e2eAPIKey = "e2e-partner-key-5b1f0c7a9d2e4f68"

// target is one proxy running envoy.yaml's policy in front of the
// testserver: Envoy in docker compose, or the local proxy (the module on
// wazero in the Envoy emulator).
type target struct {
	// base is the proxy's URL, http://127.0.0.1:<port>.
	base string
	// envoy is true for the real Envoy: its admin interface, its own
	// request checks and its HTTP/1 framing are then checked too.
	envoy bool
	// metric returns a counter by its Envoy stat name
	// (wasmcustom.apiguard...); false when it does not exist yet.
	metric func(name string) (int64, bool)
	// logs returns what the proxy logged so far.
	logs func() string
	// workers returns the connections each worker accepted (Envoy only).
	workers func() (map[string]int64, error)
	// prometheus returns /stats/prometheus (Envoy only).
	prometheus func() (string, error)
	idp        *idp
}

// runSuite runs every end-to-end behaviour against tg. The subtests share
// the proxy, so they run in order and count metrics by difference.
func runSuite(t *testing.T, tg *target) {
	waitFor(t, "the first JWKS fetch", 60*time.Second, func() bool {
		n, ok := tg.metric("wasmcustom.apiguard.jwks.idp.fetch_ok")
		return ok && n >= 1
	})
	t.Run("refusals", func(t *testing.T) { testRefusals(t, tg) })
	t.Run("claims to headers", func(t *testing.T) { testClaimsToHeaders(t, tg) })
	t.Run("request bodies", func(t *testing.T) { testBodies(t, tg) })
	t.Run("response redaction", func(t *testing.T) { testRedaction(t, tg) })
	t.Run("rate limit shared by workers", func(t *testing.T) { testSharedRateLimit(t, tg) })
	if tg.envoy {
		// The compose stack runs envoyproxy/ratelimit over Redis; the
		// local run has no rate limit service (e2e/global_real_test.go runs
		// the real one against the emulator).
		t.Run("fleet-wide limit", func(t *testing.T) { testFleetLimit(t, tg) })
	}
	t.Run("remote JWKS rotation", func(t *testing.T) { testJWKSRotation(t, tg) })
	t.Run("audit log", func(t *testing.T) { testAuditLog(t, tg) })
	if tg.envoy {
		t.Run("Envoy settings", func(t *testing.T) { testEnvoySettings(t, tg) })
		t.Run("Prometheus labels", func(t *testing.T) { testPrometheus(t, tg) })
	}
}

// TestSuiteConfig_apiKeyMatchesEnvoyYAML keeps e2eAPIKey and envoy.yaml in step (it runs
// without Docker).
func TestSuiteConfig_apiKeyMatchesEnvoyYAML(t *testing.T) {
	b, err := os.ReadFile(bootstrapFile)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(e2eAPIKey))
	if !bytes.Contains(b, []byte(`"sha256": "`+hex.EncodeToString(sum[:])+`"`)) {
		t.Errorf("envoy.yaml does not configure the sha256 of e2eAPIKey (%x)", sum)
	}
}

// alice's token satisfies the orders route for /users/alice/...
func aliceClaims() claims {
	return claims{"sub": "alice", "tenant": "t-1", "scope": "openid orders:read"}
}

// exchange is one request and what the client got back.
type exchange struct {
	resp *http.Response
	body []byte
}

// problem is an RFC 9457 body.
type problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Instance string `json:"instance"`
}

var client = &http.Client{Timeout: 30 * time.Second}

// do sends req with a fresh connection when fresh is set (so that Envoy's
// kernel-balanced accept spreads requests over its workers).
func do(t *testing.T, req *http.Request, fresh bool) exchange {
	t.Helper()
	c := client
	if fresh {
		c = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL, err)
	}
	return exchange{resp: resp, body: body}
}

func newRequest(t *testing.T, method, url string, body io.Reader, headers ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	return req
}

func get(t *testing.T, tg *target, path string, headers ...string) exchange {
	t.Helper()
	return do(t, newRequest(t, "GET", tg.base+path, nil, headers...), false)
}

// checkProblem checks a refusal: status, problem+json body with the generic
// fields, and the headers every apiguard answer carries.
func checkProblem(t *testing.T, tg *target, x exchange, status int) {
	t.Helper()
	if x.resp.StatusCode != status {
		t.Fatalf("status %d, want %d; headers %v; body %s", x.resp.StatusCode, status, x.resp.Header, x.body)
	}
	if ct := x.resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	var p problem
	if err := json.Unmarshal(x.body, &p); err != nil {
		t.Fatalf("body is not problem+json: %v: %s", err, x.body)
	}
	if p.Type != "about:blank" || p.Status != status || p.Title == "" || p.Detail == "" {
		t.Errorf("problem %+v, want type about:blank, status %d, a title and a detail", p, status)
	}
	if tg.envoy && p.Instance == "" {
		t.Errorf("problem has no instance (Envoy's x-request-id)")
	}
	checkSecurityHeaders(t, x, true)
}

// checkSecurityHeaders: security_headers is on in envoy.yaml.
func checkSecurityHeaders(t *testing.T, x exchange, noStore bool) {
	t.Helper()
	h := x.resp.Header
	if got := h.Get("Strict-Transport-Security"); got != "max-age=31536000" {
		t.Errorf("Strict-Transport-Security %q", got)
	}
	if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options %q", got)
	}
	if noStore && h.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", h.Get("Cache-Control"))
	}
	for _, name := range []string{"Server", "X-Powered-By"} {
		if v := h.Values(name); len(v) > 0 {
			t.Errorf("%s: %q reached the client", name, v)
		}
	}
}

// counted checks that reason's denial counter grew by at least one across f.
func counted(t *testing.T, tg *target, name string, f func()) {
	t.Helper()
	before, _ := tg.metric(name)
	f()
	after, _ := tg.metric(name)
	if after <= before {
		t.Errorf("%s did not grow (%d -> %d)", name, before, after)
	}
}

// waitFor polls cond until it holds or the time is up.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s after %v", what, limit)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
