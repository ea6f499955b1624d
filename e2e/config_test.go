package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// Every way a configuration can be wrong stops the plugin from starting,
// with one line naming the JSON path, in both runs.
func TestConfigRefused(t *testing.T) {
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
