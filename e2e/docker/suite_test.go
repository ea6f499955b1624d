package docker

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
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

func testRefusals(t *testing.T, tg *target) {
	alice := tg.idp.token(t, "k1", aliceClaims())
	noScope := tg.idp.token(t, "k1", claims{"sub": "alice", "tenant": "t-1"})
	expired := tg.idp.token(t, "k1", claims{"sub": "alice", "scope": "orders:read",
		"iat": time.Now().Add(-2 * time.Hour).Unix(), "exp": time.Now().Add(-time.Hour).Unix()})
	forged := tg.idp.forgedToken(t, "k1", aliceClaims())

	const (
		realm   = `Bearer realm="apiguard"`
		invalid = `Bearer realm="apiguard", error="invalid_token"`
		scope   = `Bearer error="insufficient_scope"`
	)
	for _, c := range []struct {
		name, path string
		headers    []string
		status     int
		reason     string
		challenge  string // WWW-Authenticate, "" = absent
	}{
		{"no route", "/nowhere", nil, 404, "route_not_found", ""},
		{"method override", "/echo", []string{"X-HTTP-Method-Override", "DELETE"}, 400, "method_override", ""},
		{"forbidden query parameter", "/echo?ACCESS.TOKEN=x", nil, 400, "forbidden_query_param", ""},
		{"no credential", "/users/alice/orders", nil, 401, "credential_missing", realm},
		{"bad signature", "/users/alice/orders", []string{"Authorization", "Bearer " + forged}, 401, "token_bad_signature", invalid},
		{"expired", "/users/alice/orders", []string{"Authorization", "Bearer " + expired}, 401, "token_expired", invalid},
		{"unknown API key", "/users/partner-1/orders", []string{"X-Api-Key", "not-a-configured-key"}, 401, "apikey_unknown", invalid},
		{"two credentials", "/users/alice/orders", []string{"Authorization", "Bearer " + alice, "X-Api-Key", e2eAPIKey}, 401, "credential_multiple", invalid},
		{"claims not satisfied", "/users/alice/orders", []string{"Authorization", "Bearer " + noScope}, 403, "claims_not_satisfied", scope},
		{"not the owner", "/users/bob/orders", []string{"Authorization", "Bearer " + alice}, 403, "owner_mismatch", scope},
	} {
		t.Run(c.name, func(t *testing.T) {
			var x exchange
			counted(t, tg, "wasmcustom.apiguard.denied."+c.reason, func() { x = get(t, tg, c.path, c.headers...) })
			checkProblem(t, tg, x, c.status)
			if got := strings.Join(x.resp.Header.Values("WWW-Authenticate"), " | "); got != c.challenge {
				t.Errorf("WWW-Authenticate %q, want %q", got, c.challenge)
			}
		})
	}
	// A method the path's routes do not list, and another letter case of
	// a route (which Express or ASP.NET would serve): never another
	// policy. %55 is U, decoded by Envoy's normalize_path or by apiguard.
	for _, c := range []struct {
		name, method, path string
		status             int
		reason, allow      string
	}{
		{"method not listed", "DELETE", "/users/alice/orders", 405, "method_not_allowed", "GET, HEAD, POST"},
		{"method not listed on a GET route", "POST", "/healthz", 405, "method_not_allowed", "GET, HEAD"},
		{"upper-case segment", "GET", "/Users/alice/orders", 404, "route_case_mismatch", ""},
		{"upper-case last segment", "GET", "/users/alice/ORDERS", 404, "route_case_mismatch", ""},
		{"escaped upper-case letter", "GET", "/%55sers/alice/orders", 404, "route_case_mismatch", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var x exchange
			counted(t, tg, "wasmcustom.apiguard.denied."+c.reason, func() {
				x = do(t, newRequest(t, c.method, tg.base+c.path, nil, "Authorization", "Bearer "+alice), false)
			})
			checkProblem(t, tg, x, c.status)
			if got := x.resp.Header.Get("Allow"); got != c.allow {
				t.Errorf("Allow %q, want %q", got, c.allow)
			}
		})
	}
}

// echoed is the testserver's echo of the request it received.
type echoed struct {
	Method    string              `json:"method"`
	Path      string              `json:"path"`
	Headers   map[string][]string `json:"headers"`
	BodyBytes int64               `json:"body_bytes"`
}

func decodeEcho(t *testing.T, x exchange) echoed {
	t.Helper()
	if x.resp.StatusCode != 200 {
		t.Fatalf("status %d, want 200; body %s", x.resp.StatusCode, x.body)
	}
	var e echoed
	if err := json.Unmarshal(x.body, &e); err != nil {
		t.Fatalf("not the upstream's echo: %v: %s", err, x.body)
	}
	return e
}

func testClaimsToHeaders(t *testing.T, tg *target) {
	alice := tg.idp.token(t, "k1", aliceClaims())
	t.Run("JWT", func(t *testing.T) {
		x := get(t, tg, "/users/alice/orders", "Authorization", "Bearer "+alice,
			"X-User-Id", "mallory", "X-Tenant-Id", "evil")
		e := decodeEcho(t, x)
		want := map[string][]string{"x-user-id": {"alice"}, "x-tenant-id": {"t-1"}, "authorization": nil}
		for h, v := range want {
			if got := e.Headers[h]; fmt.Sprint(got) != fmt.Sprint(v) {
				t.Errorf("upstream saw %s: %q, want %q", h, got, v)
			}
		}
		// Authenticated: no-store, and upstream's fingerprints removed.
		checkSecurityHeaders(t, x, true)
	})
	t.Run("API key", func(t *testing.T) {
		counted(t, tg, "wasmcustom.apiguard.apikey.e2e-partner.used", func() {
			x := get(t, tg, "/users/partner-1/orders", "X-Api-Key", e2eAPIKey, "X-Partner-Id", "someone-else")
			e := decodeEcho(t, x)
			if got := e.Headers["x-partner-id"]; fmt.Sprint(got) != "[partner-1]" {
				t.Errorf("upstream saw x-partner-id %q, want [partner-1]", got)
			}
			if got, ok := e.Headers["x-api-key"]; ok {
				t.Errorf("the API key reached upstream: %q", got)
			}
		})
	})
	t.Run("credentials without auth are removed", func(t *testing.T) {
		// docs/configuration.md "What reaches upstream": Authorization and every
		// location a provider reads never reach upstream unverified,
		// whatever their scheme, on a route without auth too.
		e := decodeEcho(t, get(t, tg, "/echo", "Authorization", "Basic YWRtaW46YWRtaW4=", "X-Api-Key", e2eAPIKey, "X-Other", "kept"))
		for _, h := range []string{"authorization", "x-api-key"} {
			if got, ok := e.Headers[h]; ok {
				t.Errorf("client-sent %s reached upstream: %q", h, got)
			}
		}
		if got := e.Headers["x-other"]; fmt.Sprint(got) != "[kept]" {
			t.Errorf("upstream saw x-other %q, want [kept]", got)
		}
	})
	t.Run("spoofed claim headers without auth", func(t *testing.T) {
		e := decodeEcho(t, get(t, tg, "/echo", "X-User-Id", "mallory", "X-Partner-Id", "mallory"))
		for _, h := range []string{"x-user-id", "x-partner-id"} {
			if got, ok := e.Headers[h]; ok {
				t.Errorf("client-sent %s reached upstream: %q", h, got)
			}
		}
	})
}

// chunked sends body with Transfer-Encoding: chunked, in 256-byte writes.
func chunked(t *testing.T, method, url string, body []byte, headers ...string) exchange {
	t.Helper()
	pr, pw := io.Pipe()
	go func() {
		for off := 0; off < len(body); off += 256 {
			if _, err := pw.Write(body[off:min(off+256, len(body))]); err != nil {
				return // the proxy answered and stopped reading
			}
		}
		pw.Close()
	}()
	defer pr.Close() // unblocks the writer if the request ended early
	req := newRequest(t, method, url, pr, headers...)
	req.ContentLength = -1
	return do(t, req, true)
}

// jsonItems is a JSON object of about n bytes.
func jsonItems(n int) []byte {
	b := []byte(`{"items":[0`)
	for len(b) < n-2 {
		b = append(b, ",0"...)
	}
	return append(b, "]}"...)
}

func testBodies(t *testing.T, tg *target) {
	auth := []string{"Authorization", "Bearer " + tg.idp.token(t, "k1", aliceClaims()), "Content-Type", "application/json"}
	orders := tg.base + "/users/alice/orders"
	t.Run("chunked JSON within the cap", func(t *testing.T) {
		body := jsonItems(1500)
		e := decodeEcho(t, chunked(t, "POST", orders, body, auth...))
		if e.BodyBytes != int64(len(body)) {
			t.Errorf("upstream got %d bytes, want %d", e.BodyBytes, len(body))
		}
	})
	t.Run("chunked JSON over the cap", func(t *testing.T) {
		var x exchange
		counted(t, tg, "wasmcustom.apiguard.denied.body_too_large", func() {
			x = chunked(t, "POST", orders, jsonItems(8192), auth...)
		})
		checkProblem(t, tg, x, 413)
	})
	t.Run("chunked upload over the cap", func(t *testing.T) {
		var x exchange
		counted(t, tg, "wasmcustom.apiguard.denied.body_too_large", func() {
			x = chunked(t, "POST", tg.base+"/upload", bytes.Repeat([]byte("a"), 4096))
		})
		checkProblem(t, tg, x, 413)
	})
	t.Run("declared length over the cap", func(t *testing.T) {
		var x exchange
		counted(t, tg, "wasmcustom.apiguard.denied.body_too_large", func() {
			x = do(t, newRequest(t, "POST", tg.base+"/upload", bytes.NewReader(bytes.Repeat([]byte("a"), 4096))), true)
		})
		checkProblem(t, tg, x, 413)
	})
	t.Run("duplicate key", func(t *testing.T) {
		var x exchange
		counted(t, tg, "wasmcustom.apiguard.denied.json_duplicate_key", func() {
			x = chunked(t, "POST", orders, []byte(`{"items":[],"items":[1]}`), auth...)
		})
		checkProblem(t, tg, x, 400)
	})
}

func testRedaction(t *testing.T, tg *target) {
	alice := tg.idp.token(t, "k1", aliceClaims())
	t.Run("profile", func(t *testing.T) {
		var x exchange
		counted(t, tg, "wasmcustom.apiguard.route.profile.redactions", func() {
			x = get(t, tg, "/users/alice/profile", "Authorization", "Bearer "+alice)
		})
		if x.resp.StatusCode != 200 {
			t.Fatalf("status %d; body %s", x.resp.StatusCode, x.body)
		}
		var got map[string]any
		if err := json.Unmarshal(x.body, &got); err != nil {
			t.Fatalf("body is not JSON: %v: %s", err, x.body)
		}
		want := map[string]any{"id": "alice", "name": "Test User", "card": map[string]any{"brand": "visa"}}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("body %s, want %v", x.body, want)
		}
		for _, secret := range []string{"hunter2", "4111111111111111"} {
			if bytes.Contains(x.body, []byte(secret)) {
				t.Errorf("%q reached the client", secret)
			}
		}
		// The upstream's Content-Length was for the unredacted body: Envoy
		// must frame the new one itself (chunked on HTTP/1.1). The local
		// proxy writes whole bodies with a length of its own.
		if tg.envoy {
			if cl := x.resp.Header.Values("Content-Length"); len(cl) > 0 || x.resp.ContentLength != -1 {
				t.Errorf("Content-Length %q (%d) survived the rewrite", cl, x.resp.ContentLength)
			}
		}
		checkSecurityHeaders(t, x, true)
	})
	t.Run("upstream 5xx sanitised", func(t *testing.T) {
		var x exchange
		counted(t, tg, "wasmcustom.apiguard.upstream_5xx_sanitized", func() { x = get(t, tg, "/boom") })
		checkProblem(t, tg, x, 500)
		if bytes.Contains(x.body, []byte("hunter2")) {
			t.Errorf("the upstream's 500 body reached the client: %s", x.body)
		}
	})
}

var (
	rateLimitPolicy = regexp.MustCompile(`^"shared";q=5;w=3600$`)
	rateLimitState  = regexp.MustCompile(`^"shared";r=(\d+);t=(\d+)$`)
)

// testFleetLimit: /fleet allows 3 requests an hour across the fleet,
// decided by the rate limit service: the fourth and fifth get 429.
func testFleetLimit(t *testing.T, tg *target) {
	for i := 1; i <= 5; i++ {
		x := do(t, newRequest(t, "GET", tg.base+"/fleet", nil), true)
		want := 200
		if i > 3 {
			want = 429
		}
		if x.resp.StatusCode != want {
			t.Fatalf("request %d: status %d, want %d; body %s", i, x.resp.StatusCode, want, x.body)
		}
		if want == 429 {
			checkProblem(t, tg, x, 429)
			if x.resp.Header.Get("Retry-After") == "" {
				t.Errorf("request %d: 429 without Retry-After", i)
			}
		}
	}
	if n, _ := tg.metric("wasmcustom.apiguard.denied.global_rate_limited"); n != 2 {
		t.Errorf("denied.global_rate_limited = %d, want 2", n)
	}
}

// testSharedRateLimit: /limited allows 5 requests an hour for the whole
// route. Each request opens its own connection, so Envoy's two workers both
// take some; one bucket in shared data means exactly 5 are admitted in all
// (two per-worker buckets would admit up to 10).
func testSharedRateLimit(t *testing.T, tg *target) {
	var before map[string]int64
	if tg.workers != nil {
		var err error
		if before, err = tg.workers(); err != nil {
			t.Fatal(err)
		}
	}
	admitted, refused := 0, 0
	send := func() {
		x := do(t, newRequest(t, "GET", tg.base+"/limited", nil), true)
		policy := x.resp.Header.Get("RateLimit-Policy")
		if !rateLimitPolicy.MatchString(policy) {
			t.Errorf("RateLimit-Policy %q", policy)
		}
		state := rateLimitState.FindStringSubmatch(x.resp.Header.Get("RateLimit"))
		if state == nil {
			t.Fatalf("RateLimit %q", x.resp.Header.Get("RateLimit"))
		}
		switch x.resp.StatusCode {
		case 200:
			admitted++
		case 429:
			refused++
			checkProblem(t, tg, x, 429)
			ra, err := strconv.Atoi(x.resp.Header.Get("Retry-After"))
			if err != nil || ra < 1 || state[1] != "0" || state[2] != strconv.Itoa(ra) {
				t.Errorf("Retry-After %q with RateLimit %q", x.resp.Header.Get("Retry-After"), state[0])
			}
		default:
			t.Fatalf("status %d: %s", x.resp.StatusCode, x.body)
		}
	}
	for range 12 {
		send()
	}
	if tg.workers != nil {
		// Until both workers have served some of these connections (the
		// kernel spreads them; a handful more is nearly always enough).
		for range 60 {
			after, err := tg.workers()
			if err != nil {
				t.Fatal(err)
			}
			if spread(before, after) {
				break
			}
			send()
		}
		after, _ := tg.workers()
		if !spread(before, after) {
			t.Fatalf("every connection went to one worker (before %v, after %v): the sharing was not exercised", before, after)
		}
		t.Logf("connections per worker: before %v, after %v", before, after)
	}
	if admitted != 5 {
		t.Errorf("%d requests admitted, %d refused; want exactly 5 admitted across the workers", admitted, refused)
	}
	if n, _ := tg.metric("wasmcustom.apiguard.rate_limited.shared"); n != int64(refused) {
		t.Errorf("rate_limited.shared = %d, want %d", n, refused)
	}
}

// spread reports whether at least two workers accepted connections between
// the two samples.
func spread(before, after map[string]int64) bool {
	moved := 0
	for w, n := range after {
		if n > before[w] {
			moved++
		}
	}
	return moved >= 2
}

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
