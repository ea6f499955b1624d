package docker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

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
