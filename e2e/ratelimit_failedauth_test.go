package e2e

import (
	"encoding/binary"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/e2e/host/fault"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// failed_auth_limit (steps 8 and 9): failures counted per key, the lockout
// before authentication, what still passes while locked, the keys it
// stores, and the RateLimit headers of a lockout.

// rlAuthConfig guards /private with authentication (anonymous allowed, so
// the route stays reachable once the auth feature verifies credentials)
// and failed_auth_limit; /public has no auth and is never locked. One slot:
// every address shares it, so the test can lock it without knowing the
// hash seed.
const rlAuthConfig = `{
  "rate_limit_slots": 1,
  "providers": {"keys": {"api_keys": {"from": [{"header": "x-api-key"}],
    "keys": [{"id": "k1", "sha256": "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"}]}}},
  "failed_auth_limit": {"key": "ip", "limit": 3, "window": "1m"},
  "routes": [
    {"name": "private", "match": {"prefix": "/private"}, "auth": {"providers": ["keys"], "allow_missing": true}},
    {"name": "public", "match": {"prefix": "/public"}}
  ]
}`

// TestFailedAuthLimit_lockout checks step 8 against a lockout as the
// counting path leaves it (the failure that reaches `limit` raises the
// key's slot to now + window + (limit-1)·window/limit): 429 before
// authentication with Retry-After and the failed_auth policy, public routes
// untouched, and recovery once the window passed. It pins the slot format
// docs/design.md "Shared data" documents; TestFailedAuthLimit_countsFailures produces the
// failures through authentication.
func TestFailedAuthLimit_lockout(t *testing.T) {
	const policy = `"failed_auth";q=3;w=60`
	locked := map[string]string{"retry-after": "60", "ratelimit-policy": policy, "ratelimit": `"failed_auth";r=0;t=60`}
	each(t, func(t *testing.T, g guest) {
		var c rlCounter
		e := start(t, counted(g, &c), rlAuthConfig, workers(2))
		vm := e.Worker(0)
		c.reset()
		check(t, e, exchange{req: rlReq("/private", "203.0.113.7:1"), want: 200}, roundTrip(vm, exchange{req: rlReq("/private", "203.0.113.7:1")}))
		if c.total() != 1 {
			t.Errorf("the lockout check cost %d shared-data calls, want 1", c.total())
		}
		now := e.Clock().Now().UnixNano()
		entry := make([]byte, 8)
		binary.LittleEndian.PutUint64(entry, uint64(now+int64(time.Minute)+2*int64(20*time.Second)))
		e.PutSharedData("apiguard/rl1/~fa/0", entry)
		runAlternating(t, e, []rlCase{
			{exchange: exchange{name: "locked", req: rlReq("/private", "203.0.113.7:1"), want: 429, reason: problem.ReasonFailedAuthLocked, headers: locked}},
			{exchange: exchange{name: "with a credential", req: rlReq("/private", "203.0.113.7:1", "x-api-key", "k"), want: 429, reason: problem.ReasonFailedAuthLocked, headers: locked}},
			{exchange: exchange{name: "public route", req: rlReq("/public", "203.0.113.7:1"), want: 200}},
			{advance: 59 * time.Second, exchange: exchange{name: "almost", req: rlReq("/private", "203.0.113.7:1"), want: 429, reason: problem.ReasonFailedAuthLocked,
				headers: map[string]string{"retry-after": "1"}}},
			{advance: time.Second, exchange: exchange{name: "window passed", req: rlReq("/private", "203.0.113.7:1"), want: 200}},
		})
		if got := metric(t, e, "apiguard.denied.failed_auth_locked"); got != 3 {
			t.Errorf("denied.failed_auth_locked = %d, want 3", got)
		}
	})
}

// TestFailedAuthLimit_countsFailures: missing and invalid credentials count per
// address; the failure that reaches the limit locks the address out of
// authenticated routes for a window (429 before verification), except for
// a token already verified; other addresses and public routes are
// unaffected; a failure right after the lockout locks again.
func TestFailedAuthLimit_countsFailures(t *testing.T) {
	const a, b = "203.0.113.7:1", "198.51.100.1:1"
	lockedFor := func(secs string) map[string]string {
		return map[string]string{"retry-after": secs, "ratelimit-policy": `"failed_auth";q=3;w=60`, "ratelimit": `"failed_auth";r=0;t=` + secs}
	}
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, rlAuthFlowConfig(), workers(2))
		good := rlToken(e.Clock().Now(), "alice")
		bearerTok := func(tok string) []string { return []string{"authorization", "Bearer " + tok} }
		locked := func(name string, r host.Request, secs string) rlCase {
			return rlCase{exchange: exchange{name: name, req: r, want: 429, reason: problem.ReasonFailedAuthLocked, headers: lockedFor(secs)}}
		}
		code := func(name string, r host.Request, want int) rlCase {
			return rlCase{exchange: exchange{name: name, req: r, want: want}}
		}
		runAlternating(t, e, []rlCase{
			code("verified token, now cached", rlReq("/jwt", a, bearerTok(good)...), 200),
			code("bad key 1", rlReq("/key", a, "x-api-key", "wrong"), 401),
			code("bad token 2", rlReq("/jwt", a, bearerTok("not.a.token")...), 401),
			code("missing credential 3", rlReq("/jwt", a), 401),
			locked("locked: anonymous", rlReq("/key", a), "60"),
			locked("locked: before verifying a token", rlReq("/jwt", a, bearerTok("x.y.z")...), "60"),
			// Step 6 runs on worker 0, like step 0: the verified-token cache
			// is per worker.
			code("locked, but the token was verified before", rlReq("/jwt", a, bearerTok(good)...), 200),
			code("another address", rlReq("/key", b, "x-api-key", "wrong"), 401),
			code("a public route", rlReq("/public", a), 200),
			{advance: 59 * time.Second, exchange: locked("almost a window", rlReq("/key", a), "1").exchange},
			{advance: time.Second, exchange: exchange{name: "window passed: anonymous is not a failure", req: rlReq("/key", a), want: 200}},
			code("valid key", rlReq("/key", a, "x-api-key", rlAPIKey), 200),
			code("failing again at once", rlReq("/key", a, "x-api-key", "wrong"), 401),
			locked("locked again for a window", rlReq("/key", a), "60"),
		})
		for name, want := range map[string]int64{
			"apiguard.failed_auth.counted":       5,
			"apiguard.failed_auth.lockouts":      2,
			"apiguard.failed_auth.cached_bypass": 1,
			"apiguard.denied.failed_auth_locked": 4,
		} {
			if got := metricWant(t, e, name, want); got != want {
				t.Errorf("%s = %d, want %d", name, got, want)
			}
		}
	})
}

// TestFailedAuthLimit_onlyCachedTokensWhileLocked: missing and invalid
// credentials count against failed_auth_limit; once locked out, only a
// credential already in the verified-token cache passes.
func TestFailedAuthLimit_onlyCachedTokensWhileLocked(t *testing.T) {
	now := host.DefaultStart
	conf := `{
  "providers": {"idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["ES256"],
                        "jwks": ` + jwksOf(t, "ec256") + `}},
  "routes": [{"name": "a", "match": {"prefix": "/a"}, "auth": {"providers": ["idp"]}},
             {"name": "public", "match": {"prefix": "/public"}}],
  "failed_auth_limit": {"key": "ip", "limit": 3, "window": "1m"}
}`
	from := func(req host.Request) host.Request {
		req.Props.SourceAddress = "192.0.2.7:5555"
		return req
	}
	cached := mint(t, "ec256", "ES256", claimsAt(now, idpIssuer, nil))
	fresh := mint(t, "ec256", "ES256", claimsAt(now, idpIssuer, map[string]any{"sub": "bob"}))
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, conf)
		vm := e.Worker(0)
		steps := []struct {
			req  host.Request
			want int
		}{
			{getWith("/a", bearer(cached)), 200},
			{getWith("/a", nil), 401},
			{getWith("/a", bearer("garbage")), 401},
			{getWith("/a", bearer(cached+"x")), 401},
			{getWith("/a", bearer(fresh)), 429},
			{getWith("/a", bearer(cached)), 200},
			{getWith("/public", nil), 200},
		}
		for i, st := range steps {
			if d := roundTrip(vm, exchange{req: from(st.req)}).Downstream; d.Status != st.want {
				t.Fatalf("step %d: status %d (%s), want %d", i, d.Status, d.LocalReply, st.want)
			}
		}
		if got := metric(t, e, "apiguard.failed_auth.cached_bypass"); got != 1 {
			t.Errorf("cached_bypass = %d", got)
		}
	})
}

// failed_auth_limit keyed on header:NAME (only config tests cover it): the
// lockout follows the header value, not the address; a request without the
// header counts in the one absent bucket.
func TestFailedAuthLimit_headerKey(t *testing.T) {
	cfg := strings.Replace(orderConfig(), `"failed_auth_limit": {"key": "ip", "limit": 1, "window": "1m"}`,
		`"failed_auth_limit": {"key": "header:x-client", "limit": 1, "window": "1m"}`, 1)
	const a, b = "203.0.113.7:1", "198.51.100.1:1"
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, cfg)
		runTable(t, e, []exchange{
			{name: "client c1 fails", req: rlReq("/locked", a, "x-client", "c1", "x-api-key", "wrong"), want: 401},
			{name: "c1 locked from another address", req: rlReq("/locked", b, "x-client", "c1", "x-api-key", "order-reader-key"), want: 429, reason: problem.ReasonFailedAuthLocked},
			{name: "c2 from the same address is not", req: rlReq("/locked", a, "x-client", "c2", "x-api-key", "order-reader-key"), want: 200},
			{name: "no header fails", req: rlReq("/locked", a), want: 401},
			{name: "no header is locked (absent bucket)", req: rlReq("/locked", b, "x-api-key", "order-reader-key"), want: 429, reason: problem.ReasonFailedAuthLocked},
		})
	})
}

// TestFailedAuthLimit_keysPrefixed: the failed-auth counters live under
// the plugin's name like the rate-limit buckets (Istio shares one
// shared-data namespace between plugins).
func TestFailedAuthLimit_keysPrefixed(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, rlAuthFlowConfig(), workers(2), func(c *host.Config) { c.PluginName = "edge-guard" })
		for i := 0; i < 4; i++ {
			roundTrip(e.Worker(i%2), exchange{req: rlReq("/key", "203.0.113.7:1", "x-api-key", "wrong-secret-key")})
			roundTrip(e.Worker(i%2), exchange{req: rlReq("/jwt", "198.51.100.1:1")})
		}
		if got := metric(t, e, "apiguard.failed_auth.counted"); got == 0 {
			t.Fatalf("no failure was counted: the keys below prove nothing")
		}
		keys := e.SharedDataKeys()
		if len(keys) == 0 {
			t.Fatal("no shared data written")
		}
		for _, k := range keys {
			if !strings.HasPrefix(k, "edge-guard/") {
				t.Errorf("shared-data key %q is not under the plugin's name", k)
			}
			v, _, _ := e.SharedData(k)
			if strings.Contains(k+string(v), "wrong-secret-key") || strings.Contains(k+string(v), "203.0.113.7") {
				t.Errorf("a key value is stored in clear under %q", k)
			}
		}
	})
}

// lockoutConfig guards /both (a local and a global limit) and /bare (no
// limit) with failed_auth_limit. One slot: every address shares it, so the
// test can lock it without knowing the hash seed.
const lockoutConfig = `{
  "rate_limit_slots": 1,
  "rate_limit_service": {"cluster": "ratelimit", "domain": "apiguard-test", "timeout_ms": 200, "failure_mode": "deny"},
  "providers": {"keys": {"api_keys": {"from": [{"header": "x-api-key"}],
    "keys": [{"id": "k1", "sha256": "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"}]}}},
  "failed_auth_limit": {"key": "ip", "limit": 3, "window": "1m"},
  "routes": [
    {"name": "both", "match": {"prefix": "/both"}, "auth": {"providers": ["keys"], "allow_missing": true},
     "rate_limits": [{"name": "per-ip", "key": "ip", "limit": 100, "window": "1m"},
                     {"name": "fleet", "key": "header:x-client", "limit": 10, "window": "1h", "global": true}]},
    {"name": "bare", "match": {"prefix": "/bare"}, "auth": {"providers": ["keys"], "allow_missing": true}}
  ]
}`

const (
	lockoutRoutePolicy = `"per-ip";q=100;w=60, "fleet";q=10;w=3600`
	failedAuthPolicy   = `"failed_auth";q=3;w=60`
)

// confLockFailedAuth locks every address out (the slot as the counting path
// leaves it at the failure that reaches the limit).
func confLockFailedAuth(e *host.Envoy) {
	now := e.Clock().Now().UnixNano()
	entry := make([]byte, 8)
	binary.LittleEndian.PutUint64(entry, uint64(now+int64(time.Minute)+2*int64(20*time.Second)))
	e.PutSharedData("apiguard/rl1/~fa/0", entry)
}

// docs/responses.md "Responses the filter sends": "RateLimit-Policy lists every
// limit of the route (`"per-user";q=100;w=60`), RateLimit reports the limit
// that refused". A failed_auth_limit lockout lists the route's limits,
// local and global, then failed_auth, the limit its RateLimit names.
func TestFailedAuthLimit_lockoutPolicyHeaders(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, lockoutConfig)
		confLockFailedAuth(e)
		runTable(t, e, []exchange{
			{name: "route with limits", req: rlReq("/both", "203.0.113.7:1"), want: 429, reason: problem.ReasonFailedAuthLocked,
				headers: map[string]string{"retry-after": "60", "ratelimit-policy": lockoutRoutePolicy + ", " + failedAuthPolicy,
					"ratelimit": `"failed_auth";r=0;t=60`}},
			{name: "route without limits", req: rlReq("/bare", "203.0.113.7:1"), want: 429, reason: problem.ReasonFailedAuthLocked,
				headers: map[string]string{"retry-after": "60", "ratelimit-policy": failedAuthPolicy,
					"ratelimit": `"failed_auth";r=0;t=60`}},
		})
	})
}

// The same sentence for the 429 step 8 answers when failed_auth_limit's
// state cannot be read (rate_limit_unavailable): RateLimit names
// failed_auth, so RateLimit-Policy lists the route's limits and then it.
func TestFailedAuthLimit_unavailablePolicyHeaders(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		// Shared-data reads of failed_auth_limit's slots fail once armed.
		armed := new(atomic.Bool)
		g = withFault(g, fault.Host{Hook: func(c fault.Call) proxy.Status {
			if armed.Load() && c.Method == "GetSharedData" && strings.Contains(c.Key, "/~fa/") {
				return proxy.StatusInternalFailure
			}
			return proxy.StatusOK
		}})
		e := start(t, g, lockoutConfig)
		armed.Store(true)
		runTable(t, e, []exchange{
			{name: "route with limits", req: rlReq("/both", "203.0.113.7:1"), want: 429, reason: problem.ReasonRateLimitUnavailable,
				headers: map[string]string{"retry-after": "1", "ratelimit-policy": lockoutRoutePolicy + ", " + failedAuthPolicy,
					"ratelimit": `"failed_auth";r=0;t=1`}},
			{name: "route without limits", req: rlReq("/bare", "203.0.113.7:1"), want: 429, reason: problem.ReasonRateLimitUnavailable,
				headers: map[string]string{"retry-after": "1", "ratelimit-policy": failedAuthPolicy,
					"ratelimit": `"failed_auth";r=0;t=1`}},
		})
	})
}

// Lockout 429: RateLimit-Policy lists the route's limits then
// failed_auth, on a named route and on the default policy.
func TestFailedAuthLimit_policyOnEveryRoute(t *testing.T) {
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
