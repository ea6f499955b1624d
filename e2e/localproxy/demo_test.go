package localproxy

import (
	"bytes"
	"github.com/apiguard/apiguard/e2e/wasmguest"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
		"GET   /healthz                     -> 200 allowed, upstream answered",
		"POST  /healthz                     -> 405 refused by apiguard (reason=method_not_allowed)\n" +
			"      method not listed: 405 with Allow, never another policy\n" +
			"      Allow: GET, HEAD\n",
		"DELETE /users/globex/orders         -> 405 refused by apiguard (reason=method_not_allowed)",
		"Allow: GET, HEAD, POST\n",
		"GET   /USERS/globex/orders         -> 404 refused by apiguard (reason=route_case_mismatch)",
		`"instance":"demo-7"`,
		"-> 400 refused by apiguard (reason=unsafe_path)",
		"-> 401 refused by apiguard (reason=credential_missing)",
		"-> 401 refused by apiguard (reason=apikey_unknown)",
		`"partner":"acme"`,
		`"ssn":"****"`,
		"-> 403 refused by apiguard (reason=owner_mismatch)",
		"-> 400 refused by apiguard (reason=forbidden_query_param)",
		"-> 400 refused by apiguard (reason=json_duplicate_key)",
		"-> 429 refused by apiguard (reason=rate_limited)",
		"Retry-After: ",
		"wasmcustom.apiguard.requests = 16",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
}
