package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/host"
)

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
		if got := metric(e, "apiguard.allowed"); got != 3 {
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
