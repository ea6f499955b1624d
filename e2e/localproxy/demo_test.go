package localproxy

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/wasmguest"
)

// The demo of `make demo`, run for real: the built module, real HTTP on
// loopback, and the outcomes it prints.
func TestDemo_outcomes(t *testing.T) {
	mod, err := wasmguest.CompileFile(filepath.Join("..", "..", "build", "apiguard.wasm"))
	if err != nil {
		t.Fatalf("%v (run make build)", err)
	}
	config, err := os.ReadFile(filepath.Join("..", "..", "envoy", "apiguard.demo.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = RunDemo(Config{Guest: mod.Factory(wasmguest.Options{}), PluginConfig: config, Workers: 2}, &out)
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"GET   /healthz                     -> 200 allowed, upstream answered\n" +
			"      The health route's policy is empty",
		"POST  /healthz                     -> 405 refused by apiguard (reason=method_not_allowed)\n" +
			"      The route lists only GET: another method gets 405 and an Allow header, never a looser policy.\n" +
			"      Allow: GET, HEAD\n",
		"DELETE /users/globex/orders         [acme's API key] -> 405 refused by apiguard (reason=method_not_allowed)",
		"Allow: GET, HEAD, POST\n",
		"GET   /USERS/globex/orders         [acme's API key] -> 404 refused by apiguard (reason=route_case_mismatch)",
		`"instance":"demo-7"`,
		"-> 400 refused by apiguard (reason=unsafe_path)",
		"-> 401 refused by apiguard (reason=credential_missing)",
		"-> 401 refused by apiguard (reason=apikey_unknown)",
		// The JWT minted by the demo verifies, and uses the first of acme's
		// 4 requests; the expired one is refused and uses none.
		"GET   /users/acme/orders           [JWT] -> 200 allowed, upstream answered\n",
		"acme has used 1 of its 4 requests this minute.\n" +
			"      RateLimit-Policy: \"per-partner\";q=4;w=60\n" +
			"      RateLimit: \"per-partner\";r=3;",
		"GET   /users/acme/orders           [JWT] -> 401 refused by apiguard (reason=token_expired)",
		"Second of acme's 4 requests this minute.\n" +
			"      RateLimit-Policy: \"per-partner\";q=4;w=60\n" +
			"      RateLimit: \"per-partner\";r=2;",
		"A well-formed body with the required \"items\" array: allowed. 4 of 4 used.\n" +
			"      RateLimit-Policy: \"per-partner\";q=4;w=60\n" +
			"      RateLimit: \"per-partner\";r=0;",
		`"partner":"acme"`,
		`"ssn":"****"`,
		"-> 403 refused by apiguard (reason=owner_mismatch)",
		"-> 400 refused by apiguard (reason=forbidden_query_param)",
		"-> 400 refused by apiguard (reason=json_duplicate_key)",
		"-> 429 refused by apiguard (reason=rate_limited)\n" +
			"      acme has used its 4 requests of this minute",
		"Retry-After: 15\n",
		"wasmcustom.apiguard.requests = 20",
		"wasmcustom.apiguard.denied.token_expired = 1",
		"-> 400 refused by apiguard (reason=json_schema_not_allowed)",
		`body: {"body_bytes":26,"method":"POST","path":"/pets"}`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestDemo_tokenVerifies: the token the demo mints is what its policy's
// inline key verifies (the demo's JWT line depends on it), natively.
func TestDemo_tokenVerifies(t *testing.T) {
	config, err := os.ReadFile(filepath.Join("..", "..", "envoy", "apiguard.demo.json"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var out bytes.Buffer
	p, err := New(Config{Guest: nativeGuest, PluginConfig: config, Upstream: "127.0.0.1:9", Log: &out})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()
	for tok, want := range map[string]int{
		demoToken("acme", now.Add(-time.Minute), now.Add(time.Hour)):       502, // verified; the upstream is down
		demoToken("acme", now.Add(-2*time.Hour), now.Add(-time.Hour)):      401,
		demoToken("globex", now.Add(-time.Minute), now.Add(time.Hour)):     403,
		demoToken("acme", now.Add(-time.Minute), now.Add(time.Hour)) + "x": 401,
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/users/acme/orders", nil)
		req.Header.Set("authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want && !(want == 502 && resp.StatusCode == 503) {
			t.Errorf("token ...%s: status %d, want %d", tok[len(tok)-8:], resp.StatusCode, want)
		}
	}
}
