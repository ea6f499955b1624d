package localproxy

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
)

// The local proxy passes the variables a policy reads with {"env": NAME}
// from its own environment to the VMs, and only those.
func TestLocalProxy_passesEnvironment(t *testing.T) {
	sum := sha256.Sum256([]byte("partner-key"))
	t.Setenv("APIGUARD_TEST_KEYS", `[{"id": "p", "sha256": "`+hex.EncodeToString(sum[:])+`"}]`)
	t.Setenv("APIGUARD_TEST_UNRELATED", "x")
	policy := []byte(`{"providers": {"k": {"api_keys": {"from": [{"header": "x-api-key"}], "keys": {"env": "APIGUARD_TEST_KEYS"}}}},
	  "routes": [{"name": "r", "match": {"path": "/r"}, "auth": {"providers": ["k"]}}]}`)
	env := passEnv(policy)
	if len(env) != 1 || env["APIGUARD_TEST_KEYS"] == "" {
		t.Fatalf("passEnv = %v, want only APIGUARD_TEST_KEYS", env)
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer up.Close()
	p, err := New(Config{Guest: nativeGuest, PluginConfig: policy, Upstream: strings.TrimPrefix(up.URL, "http://"), Env: env})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()
	for key, want := range map[string]int{"partner-key": 200, "other": 401} {
		req, _ := http.NewRequest("GET", srv.URL+"/r", nil)
		req.Header.Set("x-api-key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("key %q: status %d, want %d", key, resp.StatusCode, want)
		}
	}

	// Unset: the plugin refuses the policy and its line names the variable.
	_, err = New(Config{Guest: nativeGuest, PluginConfig: policy, Upstream: "127.0.0.1:9"})
	var refused *host.RefusedError
	if !errors.As(err, &refused) || !strings.Contains(strings.Join(refused.PluginLines(), "\n"), "environment variable APIGUARD_TEST_KEYS is not set") {
		t.Errorf("without the variable: %v", err)
	}
	if err := refusal(err); !strings.HasPrefix(err.Error(), "apiguard: config: providers.k.api_keys.keys: environment variable APIGUARD_TEST_KEYS") {
		t.Errorf("the command would print %q", err)
	}
}
