package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
)

const routesConfig = `{
  "routes": [
    {"name": "health", "match": {"path": "/healthz", "methods": ["GET"]}},
    {"name": "user-orders", "match": {"path": "/users/{user_id}/orders", "methods": ["GET", "POST"]}},
    {"name": "users", "match": {"prefix": "/users"}},
    {"name": "public", "match": {"prefix": "/public/"}}
  ]
}`

func TestRouting(t *testing.T) {
	eachProfile(t, func(t *testing.T, g guest) {
		e := start(t, g, routesConfig)
		runTable(t, e, []exchange{
			{name: "exact path", req: host.Request{Path: "/healthz"}, want: 200},
			{name: "HEAD matches where GET is listed", req: host.Request{Method: "HEAD", Path: "/healthz"}, want: 200},
			{name: "method not listed", req: host.Request{Method: "POST", Path: "/healthz"}, want: 405, reason: problem.ReasonMethodNotAllowed,
				headers: map[string]string{"allow": "GET, HEAD"}},
			{name: "query is not part of the path", req: host.Request{Path: "/healthz?x=1"}, want: 200},
			{name: "one trailing slash ignored", req: host.Request{Path: "/healthz/"}, want: 200},
			{name: "template binds one segment", req: host.Request{Path: "/users/7/orders"}, want: 200},
			{name: "template then prefix", req: host.Request{Method: "DELETE", Path: "/users/7/orders"}, want: 200},
			{name: "prefix whole segments", req: host.Request{Path: "/users"}, want: 200},
			{name: "prefix never partial segment", req: host.Request{Path: "/users-admin"}, want: 404, reason: problem.ReasonRouteNotFound},
			{name: "paths are case-sensitive", req: host.Request{Path: "/HEALTHZ"}, want: 404, reason: problem.ReasonRouteCaseMismatch},
			{name: "nothing matches", req: host.Request{Path: "/internal/admin"}, want: 404, reason: problem.ReasonRouteNotFound},
			{name: "instance is the request id", req: host.Request{Path: "/nope", Headers: headers("x-request-id", "req-42")}, want: 404},
			{name: "instance escapes hostile ids", req: host.Request{Path: "/nope", Headers: headers("x-request-id", `a"b\c`)}, want: 404},
		})
		if got := metric(t, e, "apiguard.denied.route_not_found"); got != 4 {
			t.Errorf("denied.route_not_found = %d, want 4", got)
		}
		if got := metric(t, e, "apiguard.denied.route_case_mismatch"); got != 1 {
			t.Errorf("denied.route_case_mismatch = %d, want 1", got)
		}
		if got := metric(t, e, "apiguard.denied.method_not_allowed"); got != 1 {
			t.Errorf("denied.method_not_allowed = %d, want 1", got)
		}
		if got := metric(t, e, "apiguard.allowed"); got != 7 {
			t.Errorf("allowed = %d, want 7", got)
		}
		if got := metric(t, e, "apiguard.requests"); got != 13 {
			t.Errorf("requests = %d, want 13", got)
		}
	})
}

func TestDefaultPolicy(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, `{"default": {}, "routes": [{"name": "health", "match": {"path": "/healthz"}}]}`)
		runTable(t, e, []exchange{
			{name: "route", req: host.Request{Path: "/healthz"}, want: 200},
			{name: "default", req: host.Request{Path: "/anything/else"}, want: 200},
		})
	})
}

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

func TestSecurityHeaders(t *testing.T) {
	upstream := &host.Response{Status: 200, Headers: headers("content-type", "application/json",
		"server", "nginx/1.2", "x-powered-by", "PHP/5", "cache-control", "max-age=60"), Body: []byte(`{}`)}
	each(t, func(t *testing.T, g guest) {
		on := start(t, g, routesConfig)
		runTable(t, on, []exchange{
			{name: "upstream response", req: host.Request{Path: "/healthz"}, resp: upstream, want: 200, headers: map[string]string{
				"strict-transport-security": "max-age=31536000", "x-content-type-options": "nosniff",
				"server": "", "x-powered-by": "", "cache-control": "max-age=60"}},
			{name: "refusal", req: host.Request{Path: "/nope"}, want: 404, headers: map[string]string{
				"strict-transport-security": "max-age=31536000", "x-content-type-options": "nosniff",
				"cache-control": "no-store"}},
		})
		off := start(t, g, `{"security_headers": false, "default": {}}`)
		runTable(t, off, []exchange{
			{name: "off", req: host.Request{Path: "/x"}, resp: upstream, want: 200, headers: map[string]string{
				"strict-transport-security": "", "server": "nginx/1.2", "x-powered-by": "PHP/5"}},
		})
	})
}

func TestDenyLogLines(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, routesConfig)
		vm := e.Worker(0)
		for i := 0; i < 150; i++ {
			vm.RoundTrip(host.Request{Path: "/nope", Headers: headers("x-request-id", fmt.Sprint("r", i))}, nil)
		}
		lines := e.LogsContaining("apiguard: deny route=")
		if len(lines) != 100 {
			t.Fatalf("%d deny lines in one second, want 100", len(lines))
		}
		if got, want := lines[0].Msg, `apiguard: deny route=- status=404 reason=route_not_found request_id="r0"`; got != want {
			t.Errorf("line %q, want %q", got, want)
		}
		e.Advance(time.Second)
		vm.RoundTrip(host.Request{Path: "/nope"}, nil)
		if d := e.LogsContaining("dropped 50 lines"); len(d) != 1 {
			t.Errorf("want one line counting 50 dropped lines, got %v", d)
		}
		if got := len(e.LogsContaining("apiguard: deny route=")); got != 101 {
			t.Errorf("%d deny lines after the second passed, want 101", got)
		}
	})
}

func TestAuditLog(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, `{"audit_log": true, "routes": [{"name": "health", "match": {"path": "/healthz"}}]}`)
		e.Worker(0).RoundTrip(host.Request{Path: "/healthz"}, func(host.UpstreamRequest) host.Response { return defaultResponse })
		e.Worker(0).RoundTrip(host.Request{Path: "/nope"}, nil)
		lines := e.LogsContaining("apiguard: audit ")
		want := []string{
			`apiguard: audit {"route":"health","decision":"allow","status":200}`,
			`apiguard: audit {"route":"-","decision":"deny","reason":"route_not_found","status":404}`,
		}
		if len(lines) != len(want) {
			t.Fatalf("audit lines %v, want %d", lines, len(want))
		}
		for i := range want {
			if lines[i].Msg != want[i] {
				t.Errorf("audit line %q, want %q", lines[i].Msg, want[i])
			}
		}
	})
}

// Several workers each run their own VM of the same module.
func TestWorkers(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, routesConfig, workers(3))
		for i := 0; i < 3; i++ {
			r := e.Worker(i).RoundTrip(host.Request{Path: "/healthz"}, func(host.UpstreamRequest) host.Response { return defaultResponse })
			if r.Downstream.Status != 200 {
				t.Fatalf("worker %d: status %d", i, r.Downstream.Status)
			}
		}
		if got := metric(t, e, "apiguard.allowed"); got != 3 {
			t.Errorf("allowed across workers = %d, want 3", got)
		}
	})
}

// An authenticated request's audit line carries the subject hashed with its
// provider, never in clear.
func TestAuditLogSubject(t *testing.T) {
	const cfg = `{"audit_log": true,
	  "providers": {"keys": {"api_keys": {"from": [{"header": "x-api-key"}],
	    "keys": [{"id": "k1", "sha256": "6ab9f1eb8f7d3388f4f9d586f66e99fd54080df2c446f0e58668b09c08a16dd0",
	              "claims": {"sub": "alice@example.com"}}]}}},
	  "routes": [{"name": "api", "match": {"prefix": "/"}, "auth": {"providers": ["keys"]}}]}`
	sum := sha256.Sum256([]byte("apiguard-audit\x00keys\x00alice@example.com"))
	want := `apiguard: audit {"route":"api","decision":"allow","status":200,"subject":"` + hex.EncodeToString(sum[:8]) + `"}`
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, cfg)
		up := func(host.UpstreamRequest) host.Response { return defaultResponse }
		e.Worker(0).RoundTrip(host.Request{Path: "/x", Headers: headers("x-api-key", "k1")}, up)
		e.Worker(0).RoundTrip(host.Request{Path: "/x"}, up)
		lines := e.LogsContaining("apiguard: audit ")
		if len(lines) != 2 {
			t.Fatalf("audit lines %v, want 2", lines)
		}
		if lines[0].Msg != want {
			t.Errorf("audit line %q, want %q", lines[0].Msg, want)
		}
		if strings.Contains(lines[1].Msg, "subject") {
			t.Errorf("anonymous request has a subject: %q", lines[1].Msg)
		}
		if len(e.LogsContaining("alice")) != 0 {
			t.Error("the subject appears in clear in the log")
		}
	})
}
