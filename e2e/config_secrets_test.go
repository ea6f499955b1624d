package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
)

// Secrets by reference (docs/configuration.md "Secrets from the
// environment"): `{"env": "NAME"}` is read from the VM's environment
// (vm_config.environment_variables), which the emulator hands to the
// native plugin and, through WASI environ, to the .wasm.

func withEnv(env map[string]string) envoyOpt { return func(c *host.Config) { c.Env = env } }

// secretsConfig reads an API-key list, an HMAC key and the rate limit
// service's hash secret from the environment.
func secretsConfig(t testing.TB) (string, map[string]string) {
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal([]byte(jwksOf(t, "hs")), &set); err != nil {
		t.Fatal(err)
	}
	k := set.Keys[0]["k"].(string)
	set.Keys[0]["k"] = map[string]string{"env": "APIGUARD_HS_KEY"}
	jwks, _ := json.Marshal(set)
	sum := sha256.Sum256([]byte("env-partner-key"))
	env := map[string]string{
		"APIGUARD_KEYS":            `[{"id": "env-partner", "sha256": "` + hex.EncodeToString(sum[:]) + `", "claims": {"sub": "acme"}}]`,
		"APIGUARD_HS_KEY":          k,
		"APIGUARD_RLS_HASH_SECRET": "a-fleet-wide-secret-0123",
	}
	return `{
  "providers": {
    "partners": {"api_keys": {"from": [{"header": "x-api-key"}], "keys": {"env": "APIGUARD_KEYS"}}},
    "hmac": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["HS256"], "jwks": ` + string(jwks) + `}
  },
  "rate_limit_service": {"cluster": "ratelimit", "domain": "apiguard", "hash_secret": {"env": "APIGUARD_RLS_HASH_SECRET"}},
  "routes": [
    {"name": "keys", "match": {"path": "/keys"}, "auth": {"providers": ["partners"]}},
    {"name": "hmac", "match": {"path": "/hmac"}, "auth": {"providers": ["hmac"]}}
  ]
}`, env
}

func TestConfigSecrets_fromEnvironment(t *testing.T) {
	config, env := secretsConfig(t)
	tok := mint(t, "hs", "HS256", claimsAt(host.DefaultStart, idpIssuer, nil))
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, config, withEnv(env))
		runTable(t, e, []exchange{
			{name: "key from the environment accepted", req: getWith("/keys", headers("x-api-key", "env-partner-key")), want: 200},
			invalid("other key refused", getWith("/keys", headers("x-api-key", "other-key")), problem.ReasonAPIKeyUnknown),
			{name: "HMAC key from the environment verifies", req: getWith("/hmac", bearer(tok)), want: 200},
		})
		if strings.Contains(logText(e), env["APIGUARD_HS_KEY"]) || strings.Contains(logText(e), "a-fleet-wide-secret") {
			t.Error("a secret reached the log")
		}
	})
}

// TestConfigSecrets_refusals: a variable that is missing, empty or wrong
// stops the plugin with a line naming the path and the variable, never
// the value.
func TestConfigSecrets_refusals(t *testing.T) {
	config, good := secretsConfig(t)
	with := func(name, value string) map[string]string {
		env := map[string]string{}
		for k, v := range good {
			env[k] = v
		}
		if value == "-" {
			delete(env, name)
		} else {
			env[name] = value
		}
		return env
	}
	const secretish = "Sup3rS3cretValue"
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"keys unset", with("APIGUARD_KEYS", "-"),
			`apiguard: config: providers.partners.api_keys.keys: environment variable APIGUARD_KEYS is not set or empty (Envoy: vm_config.environment_variables; Istio: vmConfig.env) (line 3, column 74)`},
		{"keys empty", with("APIGUARD_KEYS", ""),
			`apiguard: config: providers.partners.api_keys.keys: environment variable APIGUARD_KEYS is not set or empty (Envoy: vm_config.environment_variables; Istio: vmConfig.env) (line 3, column 74)`},
		{"keys not JSON", with("APIGUARD_KEYS", `[{"id": "`+secretish),
			`apiguard: config: providers.partners.api_keys.keys: in environment variable APIGUARD_KEYS: invalid JSON: syntax error (unterminated string) at byte 9 (line 3, column 74)`},
		{"error inside the keys", with("APIGUARD_KEYS", `[{"id": "k", "sha256": "`+secretish+`"}]`),
			`apiguard: config: providers.partners.api_keys.keys: in environment variable APIGUARD_KEYS: [0].sha256: must be 64 hex digits (the SHA-256 of the key) (line 3, column 74)`},
		{"HMAC key unset", with("APIGUARD_HS_KEY", "-"),
			`apiguard: config: providers.hmac.jwks.keys[0].k: environment variable APIGUARD_HS_KEY is not set or empty`},
		{"hash secret too short", with("APIGUARD_RLS_HASH_SECRET", "Sup3r"),
			`apiguard: config: rate_limit_service.hash_secret: environment variable APIGUARD_RLS_HASH_SECRET must hold 16 to 1024 printable ASCII characters`},
	}
	each(t, func(t *testing.T, g guest) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := newEnvoy(g, config, withEnv(c.env))
				var refused *host.RefusedError
				if !errors.As(err, &refused) {
					t.Fatalf("started, or failed otherwise: %v", err)
				}
				lines := strings.Join(refused.PluginLines(), "\n")
				if !strings.Contains(lines, c.want) {
					t.Errorf("logged\n%s\nwant a line containing\n%s", lines, c.want)
				}
				if strings.Contains(lines, "Sup3r") {
					t.Errorf("the variable's value reached the log:\n%s", lines)
				}
			})
		}
	})
}
