package e2e

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
)

// Configuration refusals: every invalid configuration stops the plugin
// from starting, in both runs, with one line naming its JSON path and never
// the value of a secret.

// Every way a configuration can be wrong stops the plugin from starting,
// with one line naming the JSON path, in both runs.
func TestConfig_refused(t *testing.T) {
	cases := []struct {
		config string
		want   string
	}{
		{``, "apiguard: config: "},
		{`{"routes": [{"name": "a", "match": {"pth": "/"}}]}`, `apiguard: config: routes[0].match: unknown field "pth"`},
		{`{"routes": [{"name": "a", "match": {"path": "/"}, "rate_limits": [{"name": "r", "key": "ip", "limit": 1, "window": "1x"}]}]}`,
			`apiguard: config: routes[0].rate_limits[0].window: "1x" is not a duration`},
		{`{"default": {"enforce": "yes"}}`, `apiguard: config: default.enforce: `},
		{`{"routes": [{"name": "a", "match": {"path": "/"}}, {"name": "a", "match": {"path": "/b"}}]}`, `apiguard: config: routes[1].name: `},
		{`{"default": {}, "default": {}}`, `apiguard: config: `},
	}
	eachProfile(t, func(t *testing.T, g guest) {
		for i, c := range cases {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				_, err := newEnvoy(g, c.config)
				if err == nil {
					t.Fatalf("plugin started with a bad config %s", c.config)
				}
				if !strings.Contains(err.Error(), c.want) {
					t.Fatalf("error %q does not contain %q", err, c.want)
				}
			})
		}
	})
}

// TestConfig_holdHeadersRequired: a configuration whose routes read bodies
// or inspect responses must write hold_headers (its default would hang them
// under Istio); the plugin refuses to start and its line says when true and
// when false are right. Once written, either value starts.
func TestConfig_holdHeadersRequired(t *testing.T) {
	cases := []struct {
		name, config, want string
	}{
		{"json", `{"routes": [{"name": "a", "match": {"path": "/a"}, "request": {"json": {}}}]}`,
			"apiguard: config: hold_headers: required: routes[0].request.json reads a body or inspects responses"},
		{"response in default", `{"default": {"response": {"redact": {"keys": ["ssn"]}}}}`,
			"apiguard: config: hold_headers: required: default.response "},
		{"owner", `{"providers": {"k": {"api_keys": {"keys": []}}}, "routes": [{"name": "a", "match": {"path": "/u/{id}"}, "auth": {"providers": ["k"], "owner": [{"param": "id", "claim": "sub"}]}}]}`,
			"apiguard: config: hold_headers: required: routes[0].auth.owner "},
	}
	eachProfile(t, func(t *testing.T, g guest) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := newEnvoyAsWritten(g, c.config)
				if err == nil {
					t.Fatalf("plugin started without hold_headers: %s", c.config)
				}
				for _, want := range []string{c.want, "write true for Envoy 1.35", "false for Istio"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not contain %q", err, want)
					}
				}
				for _, hold := range []string{"true", "false"} {
					written := strings.Replace(c.config, "{", `{"hold_headers": `+hold+`, `, 1)
					if _, err := newEnvoyAsWritten(g, written); err != nil {
						t.Errorf("hold_headers %s: plugin did not start: %v", hold, err)
					}
				}
			})
		}
	})
}

// TestConfig_authRefused: configuration errors of issues 3 and 8, in
// both runs, each naming its JSON path in the one log line.
func TestConfig_authRefused(t *testing.T) {
	jwt := func(fields string) string {
		return `{"providers": {"idp": {"issuer": "https://i/", "algorithms": ["RS256"]` + fields + `}}, "default": {}}`
	}
	keys := func(sha string) string {
		return `{"providers": {"k": {"api_keys": {"keys": [{"id": "a", "sha256": "` + sha + `"}]}}}, "default": {}}`
	}
	rsa := func(t testing.TB) string { return jwksOf(t, "rsa-a") }
	cases := []struct{ name, config, want string }{
		{"sha256 too short", keys(strings.Repeat("a", 63)), `providers.k.api_keys.keys[0].sha256: `},
		{"sha256 not hex", keys(strings.Repeat("g", 64)), `providers.k.api_keys.keys[0].sha256: `},
		{"sha256 holds a key in clear", keys("my-secret-api-key"), `providers.k.api_keys.keys[0].sha256: `},
		{"audiences empty", jwt(`, "audiences": [], "jwks": ` + rsa(t)), `providers.idp.audiences: must not be empty`},
		{"audiences missing", jwt(`, "jwks": ` + rsa(t)), `providers.idp: missing required field "audiences"`},
		{"jwks and remote_jwks", jwt(`, "audiences": ["a"], "jwks": ` + rsa(t) + `, "remote_jwks": {"cluster": "c", "path": "/j"}`), `providers.idp.remote_jwks: `},
		{"neither jwks nor remote_jwks", jwt(`, "audiences": ["a"]`), `providers.idp: `},
		{"algorithm none", `{"providers": {"idp": {"issuer": "https://i/", "algorithms": ["none"], "audiences": ["a"], "jwks": ` + rsa(t) + `}}, "default": {}}`,
			`providers.idp.algorithms[0]: `},
		{"weak RSA key inline", jwt(`, "audiences": ["a"], "jwks": {"keys": [{"kty": "RSA", "n": "` + strings.Repeat("A", 171) + `", "e": "AQAB"}]}`), `providers.idp.jwks.keys[0].n: RSA modulus under 2048 bits`},
		{"short HMAC key inline", `{"providers": {"h": {"issuer": "https://h/", "audiences": ["a"], "algorithms": ["HS256"],
			"jwks": {"keys": [{"kty": "oct", "k": "` + strings.Repeat("A", 20) + `"}]}}}, "default": {}}`, `providers.h.jwks.keys[0].k: HMAC key shorter than 32 bytes`},
		{"inline JWKS without keys", jwt(`, "audiences": ["a"], "jwks": {"kys": []}`), `providers.idp.jwks: missing required field "keys"`},
		{"query source forbidden on its route", `{"providers": {"q": {"issuer": "https://q/", "audiences": ["a"], "algorithms": ["RS256"],
			"jwks": ` + rsa(t) + `, "from": [{"query": "access_token"}]}},
			"routes": [{"name": "r", "match": {"prefix": "/"}, "auth": {"providers": ["q"]},
			            "request": {"forbid_query_params": ["access_token"]}}]}`, `routes[0].request.forbid_query_params[0]: `},
		{"unknown provider on a route", `{"routes": [{"name": "r", "match": {"prefix": "/"}, "auth": {"providers": ["nope"]}}]}`, `routes[0].auth.providers[0]: `},
		{"claims any_of not strings", `{"providers": {"q": {"issuer": "https://q/", "audiences": ["a"], "algorithms": ["RS256"], "jwks": ` + rsa(t) + `}},
			"routes": [{"name": "r", "match": {"prefix": "/"}, "auth": {"providers": ["q"], "claims": [{"claim": "x", "any_of": [1]}]}}]}`,
			`routes[0].auth.claims[0].any_of[0]: `},
		{"owner param not in the template", `{"providers": {"q": {"issuer": "https://q/", "audiences": ["a"], "algorithms": ["RS256"], "jwks": ` + rsa(t) + `}},
			"routes": [{"name": "r", "match": {"path": "/u/{id}"}, "auth": {"providers": ["q"], "owner": [{"param": "uid", "claim": "sub"}]}}]}`,
			`routes[0].auth.owner[0].param: `},
		{"api key expires not a time", `{"providers": {"k": {"api_keys": {"keys": [{"id": "a", "sha256": "` + strings.Repeat("a", 64) + `", "expires": "tomorrow"}]}}}, "default": {}}`,
			`providers.k.api_keys.keys[0].expires: `},
	}
	each(t, func(t *testing.T, g guest) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := newEnvoy(g, c.config)
				if err == nil {
					t.Fatalf("plugin started with %s", c.config)
				}
				if !strings.Contains(err.Error(), "apiguard: config: "+c.want) {
					t.Errorf("error %q does not name %q", err, c.want)
				}
				if strings.Contains(err.Error(), "my-secret-api-key") {
					t.Errorf("error echoes the configured value: %q", err)
				}
			})
		}
	})
}

// Origins the browsers never send, and wildcards with credentials, are
// configuration errors.
func TestConfig_corsRefused(t *testing.T) {
	cases := []struct{ config, want string }{
		{`{"default": {"cors": {"allow_origins": ["https://app.example.com:443"]}}}`, `default.cors.allow_origins[0]: `},
		{`{"default": {"cors": {"allow_origins": ["https://App.example.com"]}}}`, `default.cors.allow_origins[0]: `},
		{`{"default": {"cors": {"allow_origins": ["https://app.example.com/"]}}}`, `default.cors.allow_origins[0]: `},
		{`{"default": {"cors": {"allow_origins": ["*"], "allow_credentials": true}}}`, `default.cors.allow_origins[0]: `},
		{`{"default": {"cors": {"allow_origins": ["https://a.example", "null"], "allow_credentials": true}}}`, `default.cors.allow_origins[1]: `},
		{`{"default": {"require_tls": "yes"}}`, `default.require_tls: `},
		{`{"default": {"deprecation": {"since": "2026-06-01T00:00:00Z", "refuse_after_sunset": true}}}`, `default.deprecation.refuse_after_sunset: `},
		{`{"default": {"deprecation": {"since": "2026-06-01T00:00:00Z", "link": "https://x.example/<a>"}}}`, `default.deprecation.link: `},
	}
	each(t, func(t *testing.T, g guest) {
		for _, c := range cases {
			_, err := newEnvoy(g, c.config)
			if err == nil {
				t.Fatalf("plugin started with %s", c.config)
			}
			if !strings.Contains(err.Error(), "apiguard: config: "+c.want) {
				t.Errorf("error %q does not name %q", err, c.want)
			}
		}
	})
}

// TestConfig_hashSecretRefused: a malformed hash_secret stops the plugin
// with a configuration error that names the field and never the value.
func TestConfig_hashSecretRefused(t *testing.T) {
	for name, secret := range map[string]string{
		"too short": "Sh0rt-S3cr3t",
		"control":   `Ctl-S3cr3t-Value\nwith-a-newline`, // a JSON escape
		"too long":  strings.Repeat("L0ng-S3cr3t", 100),
	} {
		// The secret goes in as written, JSON escapes included.
		cfg := strings.Replace(withHashSecret(globalCfg("deny"), "PLACEHOLDER"), `"PLACEHOLDER"`, `"`+secret+`"`, 1)
		t.Run(name, func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				_, err := newEnvoy(g, cfg)
				if err == nil {
					t.Fatalf("plugin started with hash_secret %.20q...", secret)
				}
				const want = "apiguard: config: rate_limit_service.hash_secret: must be 16 to 1024 printable ASCII characters"
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
				if strings.Contains(err.Error(), secret[:8]) {
					t.Errorf("error %q shows the secret", err)
				}
			})
		})
	}
}

// TestConfig_errorLines: a refused configuration logs every error, one
// line each with its path, line and column, exactly as the native parser's
// golden files in filter/config/testdata/errors say (in both runs).
func TestConfig_errorLines(t *testing.T) {
	docs, err := filepath.Glob("../filter/config/testdata/errors/*.json")
	if err != nil || len(docs) == 0 {
		t.Fatalf("no documents: %v", err)
	}
	each(t, func(t *testing.T, g guest) {
		for _, doc := range docs {
			t.Run(filepath.Base(doc), func(t *testing.T) {
				data, err := os.ReadFile(doc)
				if err != nil {
					t.Fatal(err)
				}
				golden, err := os.ReadFile(strings.TrimSuffix(doc, ".json") + ".golden")
				if err != nil {
					t.Fatal(err)
				}
				_, err = newEnvoyAsWritten(g, string(data))
				var refused *host.RefusedError
				if !errors.As(err, &refused) {
					t.Fatalf("plugin started, or failed otherwise: %v", err)
				}
				var want []string
				for _, line := range strings.Split(strings.TrimSuffix(string(golden), "\n"), "\n") {
					want = append(want, "apiguard: config: "+line)
				}
				if got := refused.PluginLines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("logged\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
			})
		}
	})
}
