package e2e

import (
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/version"
)

// TestLogLevel_denyAndAuditAtWarning: Istio runs Wasm plugins at Envoy's
// "warning" log level unless told otherwise, so the deny and audit lines are
// written at warning; the configured line (once per VM) stays at info and
// names the version.
func TestLogLevel_denyAndAuditAtWarning(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, `{"audit_log": true, "routes": [{"name": "health", "match": {"path": "/healthz", "methods": ["GET"]}}]}`)
		vm := e.Worker(0)
		vm.RoundTrip(host.Request{Path: "/nope", Headers: headers("x-request-id", "r1")}, nil)
		vm.RoundTrip(host.Request{Method: "GET", Path: "/healthz"}, func(host.UpstreamRequest) host.Response { return defaultResponse })
		for _, c := range []struct {
			line  string
			n     int
			level proxy.LogLevel
		}{
			{`apiguard: deny route=- status=404 reason=route_not_found request_id="r1"`, 1, proxy.LogWarn},
			{`apiguard: audit {"route":"-","decision":"deny"`, 1, proxy.LogWarn},
			{`apiguard: audit {"route":"health","decision":"allow"`, 1, proxy.LogWarn},
			// canary and worker; the revision is whatever the build stamped.
			{"apiguard " + version.Version + " (", 2, proxy.LogInfo},
		} {
			lines := e.LogsContaining(c.line)
			if len(lines) != c.n {
				t.Errorf("%d lines with %q, want %d\n%s", len(lines), c.line, c.n, logText(e))
				continue
			}
			for _, l := range lines {
				if l.Level != c.level {
					t.Errorf("%q at level %v, want %v", l.Msg, l.Level, c.level)
				}
			}
		}
	})
}
