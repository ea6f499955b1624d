package e2e

// Regression tests from an adversarial review of reading the request
// header list once: deny-log ticks across root deletion, method-override
// spellings, claims headers as limit keys, the list surviving a wait and a
// GC, open streams not pinning header blocks, lockout headers everywhere.

import (
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/host"
)

// TestDenyLogTickAfterRootDeleted: the limiter's "ticking" flag is
// per VM but its tick belongs to the root whose stream asked for it. When
// that root is deleted before its tick turned the flag off, no later drop
// count on another root of the VM ever asks for a tick again: a flood that
// stops is never counted until the next request.
func TestDenyLogTickAfterRootDeleted(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		start := host.DefaultStart.Truncate(time.Second).Add(100 * time.Millisecond)
		e, err := newEnvoy(g, routesConfig, func(c *host.Config) { c.Clock = host.NewClock(start) })
		if err != nil {
			t.Fatal(err)
		}
		vm := e.Worker(0)
		a := vm.RootID()
		b, err := vm.AddRoot([]byte(routesConfig))
		if err != nil {
			t.Fatalf("second root did not configure: %v\n%s", err, logText(e))
		}
		// refuse sends n requests that no route matches on root.
		refuse := func(root uint32, n int) {
			for i := 0; i < n; i++ {
				vm.RoundTrip(host.Request{Path: "/nope", Props: host.StreamProps{Root: root}}, nil)
			}
		}

		refuse(a, 110) // 10 dropped: root a asks for a 1 s tick
		if p := vm.TickPeriod(a); p != time.Second {
			t.Fatalf("root %d: tick period %v after a flood, want 1s (root %d: %v)", a, p, b, vm.TickPeriod(b))
		}
		vm.DeleteRoot(a) // its listener goes away before the tick
		e.Advance(5 * time.Second)

		flood2 := e.Clock().Now()
		refuse(b, 110) // the first request writes the old count; 10 more dropped
		e.Advance(5 * time.Second)
		var lines []string
		for _, l := range e.LogsContaining("apiguard: deny log: dropped") {
			lines = append(lines, l.Msg)
		}
		want := droppedLine(10, flood2)
		found := false
		for _, l := range lines {
			found = found || l == want
		}
		if !found {
			t.Errorf("flood on root %d that stopped was never counted: drop lines %q, want %q; root %d tick period %v",
				b, lines, want, b, vm.TickPeriod(b))
		}
	})
}

// ---------------------------------------------------------------------
// Lockout 429: RateLimit-Policy lists the route's limits then
// failed_auth, on a named route and on the default policy.
func TestLockoutPolicyOnEveryRoute(t *testing.T) {
	cfg := `{
  "providers": {"idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["EdDSA"], "jwks": ` + jwksOf(t, "ed") + `}},
  "failed_auth_limit": {"key": "ip", "limit": 1, "window": "1m"},
  "default": {"auth": {"providers": ["idp"]}, "rate_limits": [{"name": "d-ip", "key": "ip", "limit": 50, "window": "1m"}]},
  "routes": [
    {"name": "a", "match": {"prefix": "/a"}, "auth": {"providers": ["idp"]},
     "rate_limits": [{"name": "a-ip", "key": "ip", "limit": 50, "window": "1m"}, {"name": "a-route", "key": "route", "limit": 500, "window": "1h"}]},
    {"name": "nolimits", "match": {"prefix": "/n"}, "auth": {"providers": ["idp"]}}
  ]
}`
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, cfg)
		vm := e.Worker(0)
		vm.RoundTrip(host.Request{Path: "/a"}, nil) // one failure locks the ip
		for _, c := range []struct{ path, policy string }{
			{"/a", `"a-ip";q=50;w=60, "a-route";q=500;w=3600, "failed_auth";q=1;w=60`},
			{"/n", `"failed_auth";q=1;w=60`},
			{"/zzz", `"d-ip";q=50;w=60, "failed_auth";q=1;w=60`},
		} {
			r := vm.RoundTrip(host.Request{Path: c.path}, nil)
			d := r.Downstream
			if d.Status != 429 || d.Header("ratelimit-policy") != c.policy || !strings.HasPrefix(d.Header("ratelimit"), `"failed_auth";r=0;t=`) {
				t.Errorf("%s: %d policy %q ratelimit %q, want 429 %q", c.path, d.Status, d.Header("ratelimit-policy"), d.Header("ratelimit"), c.policy)
			}
		}
	})
}
