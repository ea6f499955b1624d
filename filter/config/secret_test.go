package config

import (
	"strings"
	"testing"
)

func envMap(m map[string]string) Getenv {
	return func(name string) (string, bool) { v, ok := m[name]; return v, ok }
}

// TestSecrets_fromEnvironment: each place a secret may appear reads
// `{"env": NAME}` from the environment given.
func TestSecrets_fromEnvironment(t *testing.T) {
	env := map[string]string{
		"KEYS":   `[{"id": "k1", "sha256": "` + hash64 + `", "claims": {"sub": "acme"}}]`,
		"HS":     "c2VjcmV0LWhtYWMta2V5LW1hdGVyaWFs",
		"SECRET": "a-fleet-wide-secret-0123",
	}
	doc := `{"providers": {
	  "p": {"api_keys": {"keys": {"env": "KEYS"}}},
	  "h": {"issuer": "i", "audiences": ["a"], "algorithms": ["HS256"],
	        "jwks": {"keys": [{"kty": "oct", "kid": "x", "k": {"env": "HS"}, "alg": "HS256"}]}}},
	 "rate_limit_service": {"cluster": "c", "domain": "d", "hash_secret": {"env": "SECRET"}},
	 "default": {}}`
	cfg, err := ParseEnv([]byte(doc), envMap(env))
	if err != nil {
		t.Fatal(err)
	}
	if keys := cfg.Provider("p").APIKeys.Keys; len(keys) != 1 || keys[0].ID != "k1" || keys[0].Claims.Get("sub").Str != "acme" {
		t.Errorf("keys: %+v", keys)
	}
	if got, want := string(cfg.Provider("h").JWT.JWKS), `{"keys": [{"kty": "oct", "kid": "x", "k": "c2VjcmV0LWhtYWMta2V5LW1hdGVyaWFs", "alg": "HS256"}]}`; got != want {
		t.Errorf("jwks:\n got %s\nwant %s", got, want)
	}
	if string(cfg.RateLimitService.HashSecret) != env["SECRET"] {
		t.Error("hash_secret not read")
	}
	if refs := EnvRefs([]byte(doc)); strings.Join(refs, ",") != "KEYS,HS,SECRET" {
		t.Errorf("EnvRefs = %v", refs)
	}
}

// TestSecrets_errors: a missing, empty or malformed variable is an error
// naming the path and the variable, never the value.
func TestSecrets_errors(t *testing.T) {
	const secret = "Sup3rS3cretValue"
	keys := func(ref string) string { return withKeys(ref) }
	tests := []struct {
		doc  string
		env  map[string]string
		want string
	}{
		{keys(`{"env": "KEYS"}`), nil, `providers.p.api_keys.keys: environment variable KEYS is not set or empty (Envoy: vm_config.environment_variables; Istio: vmConfig.env)`},
		{keys(`{"env": "KEYS"}`), map[string]string{"KEYS": ""}, `providers.p.api_keys.keys: environment variable KEYS is not set or empty (Envoy: vm_config.environment_variables; Istio: vmConfig.env)`},
		{keys(`{"env": "KEYS"}`), map[string]string{"KEYS": `{"a": "` + secret + `"}`}, `providers.p.api_keys.keys: in environment variable KEYS: must be a JSON array of keys, not an object`},
		{keys(`{"env": "KEYS"}`), map[string]string{"KEYS": `[` + secret}, `providers.p.api_keys.keys: in environment variable KEYS: invalid JSON: syntax error (invalid character) at byte 2`},
		{keys(`{"env": "KEYS"}`), map[string]string{"KEYS": `[{"id": "k", "sha256": "` + secret + `"}, {"id": "k2"}]`},
			`providers.p.api_keys.keys: in environment variable KEYS: [0].sha256: must be 64 hex digits (the SHA-256 of the key)` + "\n" +
				`providers.p.api_keys.keys: in environment variable KEYS: [1]: missing required field "sha256"`},
		{keys(`{"env": "1KEYS"}`), nil, `providers.p.api_keys.keys.env: "1KEYS" is not an environment variable name (letters, digits and "_", not starting with a digit)`},
		{keys(`{"env": "KEYS", "default": "x"}`), map[string]string{"KEYS": "[]"}, `providers.p.api_keys.keys: unknown field "default"`},
		{keys(`{"env": 1}`), nil, `providers.p.api_keys.keys.env: must be a string, not a number`},
		{withTop(`,"rate_limit_service":{"cluster":"c","domain":"d","hash_secret":{"env":"S"}}`), map[string]string{"S": "Sup3r"},
			`rate_limit_service.hash_secret: environment variable S must hold 16 to 1024 printable ASCII characters`},
		{withTop(`,"rate_limit_service":{"cluster":"c","domain":"d","hash_secret":{"env":"S"}}`), nil,
			`rate_limit_service.hash_secret: environment variable S is not set or empty (Envoy: vm_config.environment_variables; Istio: vmConfig.env)`},
		{withTop(`,"rate_limit_service":{"cluster":"c","domain":"d","hash_secret":{"name":"S"}}`), nil,
			`rate_limit_service.hash_secret: must be a string or {"env": "NAME"}, not an object`},
		{withJWT(`,"jwks":{"keys":[{"kty":"oct","k":{"env":"HS"}}]}`), nil,
			`providers.p.jwks.keys[0].k: environment variable HS is not set or empty (Envoy: vm_config.environment_variables; Istio: vmConfig.env)`},
		{withJWT(`,"jwks":{"keys":[{"kty":"oct","k":{"env":"HS"}}]}`), map[string]string{"HS": `a"b` + secret},
			`providers.p.jwks.keys[0].k: the environment variable must hold the key in base64url`},
	}
	for _, tc := range tests {
		_, err := ParseEnv([]byte(tc.doc), envMap(tc.env))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s\n got: %v\nwant: %s", tc.doc, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "Sup3r") {
			t.Errorf("the value reached the error: %v", err)
		}
	}
}

// TestSecret_environ: NAME=value entries answer by exact name, the first
// of a name wins, an entry without "=" is no variable, and an empty value
// is set.
func TestSecret_environ(t *testing.T) {
	env := Environ([]string{"A=1", "B", "A=2", "C=", "D=x=y", "a=lower"})
	tests := []struct {
		name  string
		value string
		ok    bool
	}{
		{"A", "1", true},
		{"a", "lower", true},
		{"B", "", false},
		{"C", "", true},
		{"D", "x=y", true},
		{"E", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		if v, ok := env(tc.name); v != tc.value || ok != tc.ok {
			t.Errorf("%q: %q %v, want %q %v", tc.name, v, ok, tc.value, tc.ok)
		}
	}
}
