package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// rlConfig has one route per key kind, plus burst, several limits, a
// report-only route, a route mixing a local and a global limit, and a
// route without limits.
const rlConfig = `{
  "rate_limit_slots": 1024,
  "rate_limit_service": {"cluster": "ratelimit", "domain": "apiguard"},
  "routes": [
    {"name": "by-ip", "match": {"prefix": "/ip"},
     "rate_limits": [{"name": "per-ip", "key": "ip", "limit": 3, "window": "1m"}]},
    {"name": "by-header", "match": {"prefix": "/hdr"},
     "rate_limits": [{"name": "per-client", "key": "header:X-Client-Id", "limit": 2, "window": "1m"}]},
    {"name": "by-route", "match": {"prefix": "/route"},
     "rate_limits": [{"name": "whole-route", "key": "route", "limit": 2, "window": "1s"}]},
    {"name": "by-claim", "match": {"prefix": "/claim"},
     "rate_limits": [{"name": "per-user", "key": "claim:sub", "limit": 2, "window": "1m"}]},
    {"name": "burst", "match": {"prefix": "/burst"},
     "rate_limits": [{"name": "bursty", "key": "ip", "limit": 60, "window": "1m", "burst": 5}]},
    {"name": "multi", "match": {"prefix": "/multi"},
     "rate_limits": [{"name": "multi-ip", "key": "ip", "limit": 2, "window": "1m"},
                     {"name": "multi-client", "key": "header:x-client-id", "limit": 1, "window": "1m"}]},
    {"name": "report", "match": {"prefix": "/report"}, "enforce": false,
     "rate_limits": [{"name": "report-ip", "key": "ip", "limit": 1, "window": "1m"}]},
    {"name": "fleet", "match": {"prefix": "/fleet"},
     "rate_limits": [{"name": "fleet-local", "key": "ip", "limit": 5, "window": "1m"},
                     {"name": "fleet-global", "key": "ip", "limit": 1, "window": "1m", "global": true}]},
    {"name": "open", "match": {"prefix": "/open"}}
  ]
}`

// rlCase is one request of a rate-limit scenario, sent on worker
// step % workers after advancing the clock by advance.
type rlCase struct {
	exchange
	advance time.Duration
}

func rlReq(path, addr string, kv ...string) host.Request {
	return host.Request{Path: path, Headers: headers(kv...), Props: host.StreamProps{SourceAddress: addr}}
}

// allowed and limited build the expected outcome with the RateLimit
// headers the client must see.
func allowed(name, req string, r host.Request, policy, rateLimit string) rlCase {
	return rlCase{exchange: exchange{name: name + " " + req, req: r, want: 200,
		headers: map[string]string{"ratelimit-policy": policy, "ratelimit": rateLimit, "retry-after": ""}}}
}

func limited(name, req string, r host.Request, policy, rateLimit, retryAfter string) rlCase {
	return rlCase{exchange: exchange{name: name + " " + req, req: r, want: 429, reason: problem.ReasonRateLimited,
		headers: map[string]string{"ratelimit-policy": policy, "ratelimit": rateLimit, "retry-after": retryAfter}}}
}

// runAlternating sends the cases in order, alternating between the
// workers, so every bucket below is shared by two worker VMs.
func runAlternating(t *testing.T, e *host.Envoy, cases []rlCase) {
	t.Helper()
	n := len(e.Workers())
	for i, c := range cases {
		if c.advance > 0 {
			e.Advance(c.advance)
		}
		ok := t.Run(fmt.Sprintf("%02d %s", i, c.name), func(t *testing.T) {
			check(t, e, c.exchange, roundTrip(e.Worker(i%n), c.exchange))
		})
		if !ok {
			t.FailNow() // later steps depend on this one
		}
	}
}

func after(d time.Duration, c rlCase) rlCase { c.advance = d; return c }

func TestRateLimitKeys(t *testing.T) {
	const (
		ipPolicy     = `"per-ip";q=3;w=60`
		hdrPolicy    = `"per-client";q=2;w=60`
		routePolicy  = `"whole-route";q=2;w=1`
		claimPolicy  = `"per-user";q=2;w=60`
		v4, v4b      = "203.0.113.7:40000", "198.51.100.1:1234"
		v6a, v6b     = "[2001:db8:1:2::1]:5000", "[2001:db8:1:2:ffff:ffff:ffff:ffff]:5001"
		v6other      = "[2001:db8:1:3::1]:5000"
		mapped, bare = "[::ffff:192.0.2.9]:1", "192.0.2.9:2"
	)
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, rlConfig, workers(2))
		runAlternating(t, e, []rlCase{
			// ip: three per minute, the port does not matter, X-Forwarded-For is ignored.
			allowed("ip", "1", rlReq("/ip", v4), ipPolicy, `"per-ip";r=2;t=20`),
			allowed("ip", "2 other port", rlReq("/ip", "203.0.113.7:40001", "x-forwarded-for", "192.0.2.200"), ipPolicy, `"per-ip";r=1;t=40`),
			allowed("ip", "3", rlReq("/ip", v4), ipPolicy, `"per-ip";r=0;t=60`),
			limited("ip", "4", rlReq("/ip", v4), ipPolicy, `"per-ip";r=0;t=20`, "20"),
			limited("ip", "spoofed XFF", rlReq("/ip", v4, "x-forwarded-for", "192.0.2.201"), ipPolicy, `"per-ip";r=0;t=20`, "20"),
			allowed("ip", "other address", rlReq("/ip", v4b), ipPolicy, `"per-ip";r=2;t=20`),
			// IPv6 counts per /64.
			allowed("ip", "v6 1", rlReq("/ip", v6a), ipPolicy, `"per-ip";r=2;t=20`),
			allowed("ip", "v6 2", rlReq("/ip", v6b), ipPolicy, `"per-ip";r=1;t=40`),
			allowed("ip", "v6 3", rlReq("/ip", v6a), ipPolicy, `"per-ip";r=0;t=60`),
			limited("ip", "v6 same /64", rlReq("/ip", v6b), ipPolicy, `"per-ip";r=0;t=20`, "20"),
			allowed("ip", "v6 other /64", rlReq("/ip", v6other), ipPolicy, `"per-ip";r=2;t=20`),
			// An IPv4-mapped address is its IPv4 address.
			allowed("ip", "mapped", rlReq("/ip", mapped), ipPolicy, `"per-ip";r=2;t=20`),
			allowed("ip", "plain", rlReq("/ip", bare), ipPolicy, `"per-ip";r=1;t=40`),

			// header: per value; no header (or an empty one) is one absent bucket.
			allowed("header", "a1", rlReq("/hdr", v4, "x-client-id", "a"), hdrPolicy, `"per-client";r=1;t=30`),
			allowed("header", "a2", rlReq("/hdr", v4b, "x-client-id", "a"), hdrPolicy, `"per-client";r=0;t=60`),
			limited("header", "a3", rlReq("/hdr", v4, "x-client-id", "a"), hdrPolicy, `"per-client";r=0;t=30`, "30"),
			allowed("header", "b", rlReq("/hdr", v4, "x-client-id", "b"), hdrPolicy, `"per-client";r=1;t=30`),
			allowed("header", "absent 1", rlReq("/hdr", v4), hdrPolicy, `"per-client";r=1;t=30`),
			allowed("header", "empty", rlReq("/hdr", v4b, "x-client-id", ""), hdrPolicy, `"per-client";r=0;t=60`),
			limited("header", "absent 3", rlReq("/hdr", v6a), hdrPolicy, `"per-client";r=0;t=30`, "30"),

			// route: one bucket for every request of the route.
			allowed("route", "1", rlReq("/route/x", v4), routePolicy, `"whole-route";r=1;t=1`),
			allowed("route", "2", rlReq("/route/y", v6a), routePolicy, `"whole-route";r=0;t=1`),
			limited("route", "3", rlReq("/route", v4b), routePolicy, `"whole-route";r=0;t=1`, "1"),
			after(time.Second, allowed("route", "refilled", rlReq("/route", v4b), routePolicy, `"whole-route";r=1;t=1`)),

			// claim: without a verified credential every request shares
			// the absent bucket (never skipping the limit).
			allowed("claim", "1", rlReq("/claim", v4), claimPolicy, `"per-user";r=1;t=30`),
			allowed("claim", "2", rlReq("/claim", v4b), claimPolicy, `"per-user";r=0;t=60`),
			limited("claim", "3", rlReq("/claim", v6a), claimPolicy, `"per-user";r=0;t=30`, "30"),

			// A route without limits gets no RateLimit headers.
			{exchange: exchange{name: "open", req: rlReq("/open", v4), want: 200,
				headers: map[string]string{"ratelimit-policy": "", "ratelimit": ""}}},
		})
		if got := metric(t, e, "apiguard.denied.rate_limited"); got != 7 {
			t.Errorf("denied.rate_limited = %d, want 7", got)
		}
		if got := metric(t, e, "apiguard.rate_limited.per-ip"); got != 3 {
			t.Errorf("rate_limited.per-ip = %d, want 3", got)
		}
	})
}

// Refill and burst: 60 a minute with a burst of 5 admits 5 at once, then
// one a second.
func TestRateLimitBurstRefill(t *testing.T) {
	const policy = `"bursty";q=60;w=60`
	r := rlReq("/burst", "203.0.113.7:1")
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, rlConfig, workers(3))
		runAlternating(t, e, []rlCase{
			allowed("burst", "1", r, policy, `"bursty";r=4;t=1`),
			allowed("burst", "2", r, policy, `"bursty";r=3;t=2`),
			allowed("burst", "3", r, policy, `"bursty";r=2;t=3`),
			allowed("burst", "4", r, policy, `"bursty";r=1;t=4`),
			allowed("burst", "5", r, policy, `"bursty";r=0;t=5`),
			limited("burst", "6", r, policy, `"bursty";r=0;t=1`, "1"),
			after(500*time.Millisecond, limited("burst", "half a token", r, policy, `"bursty";r=0;t=1`, "1")),
			after(500*time.Millisecond, allowed("burst", "one refilled", r, policy, `"bursty";r=0;t=5`)),
			limited("burst", "and only one", r, policy, `"bursty";r=0;t=1`, "1"),
			after(time.Minute, allowed("burst", "full again, never more than burst", r, policy, `"bursty";r=4;t=1`)),
		})
	})
}

// Several limits on a route all apply; RateLimit shows the one with the
// least remaining; a request refused by one consumes nothing from the
// others, before or after it.
func TestRateLimitSeveralLimits(t *testing.T) {
	const policy = `"multi-ip";q=2;w=60, "multi-client";q=1;w=60`
	const addr = "203.0.113.7:1"
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, rlConfig, workers(2))
		runAlternating(t, e, []rlCase{
			allowed("multi", "a", rlReq("/multi", addr, "x-client-id", "a"), policy, `"multi-client";r=0;t=60`),
			limited("multi", "a again: by the client limit", rlReq("/multi", addr, "x-client-id", "a"), policy, `"multi-client";r=0;t=60`, "60"),
			// The address limit kept the token the refusal did not use.
			allowed("multi", "b", rlReq("/multi", addr, "x-client-id", "b"), policy, `"multi-ip";r=0;t=60`),
			limited("multi", "c: by the address limit", rlReq("/multi", addr, "x-client-id", "c"), policy, `"multi-ip";r=0;t=30`, "30"),
			// c's own bucket was not consumed by that refusal.
			after(30*time.Second, allowed("multi", "c later", rlReq("/multi", addr, "x-client-id", "c"), policy, `"multi-ip";r=0;t=60`)),
		})
	})
}

// A report-only route counts the would-be refusal and lets the request and
// its response go on untouched.
func TestRateLimitReportOnly(t *testing.T) {
	r := rlReq("/report", "203.0.113.7:1")
	untouched := map[string]string{"ratelimit-policy": "", "ratelimit": "", "retry-after": ""}
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, rlConfig, workers(2))
		runAlternating(t, e, []rlCase{
			{exchange: exchange{name: "first", req: r, want: 200, headers: untouched}},
			{exchange: exchange{name: "over the limit", req: r, want: 200, headers: untouched}},
		})
		if got := metric(t, e, "apiguard.reported.rate_limited"); got != 1 {
			t.Errorf("reported.rate_limited = %d, want 1", got)
		}
		if got := metricOrZero(t, e, "apiguard.denied.rate_limited"); got != 0 {
			t.Errorf("denied.rate_limited = %d, want 0", got)
		}
	})
}

// rlCounter counts the shared-data calls of every VM of an Envoy.
type rlCounter struct{ gets, sets atomic.Int64 }

func (c *rlCounter) reset()       { c.gets.Store(0); c.sets.Store(0) }
func (c *rlCounter) total() int64 { return c.gets.Load() + c.sets.Load() }

type rlCountingHost struct {
	proxy.Host
	c *rlCounter
}

// rlYieldHost yields the goroutine before each shared-data write, so VMs
// driven concurrently interleave between their read and their write.
type rlYieldHost struct{ proxy.Host }

func (h rlYieldHost) SetSharedData(key string, v []byte, cas uint32) proxy.Status {
	runtime.Gosched()
	return h.Host.SetSharedData(key, v, cas)
}

func (h rlCountingHost) GetSharedData(key string) ([]byte, uint32, proxy.Status) {
	h.c.gets.Add(1)
	return h.Host.GetSharedData(key)
}

func (h rlCountingHost) SetSharedData(key string, v []byte, cas uint32) proxy.Status {
	h.c.sets.Add(1)
	return h.Host.SetSharedData(key, v, cas)
}

// counted wraps a guest so that its hostcalls (native, or the module's
// through wazero) go through a counter.
func counted(g guest, c *rlCounter) guest {
	f := g.factory
	g.factory = func(h proxy.Host) (proxy.Handler, error) { return f(rlCountingHost{Host: h, c: c}) }
	return g
}

// TestRateLimitRoundTrips: one request under one limit costs one shared
// data get and one set (the target is at most two round trips); a refusal
// costs one get; a route without limits none.
func TestRateLimitRoundTrips(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		var c rlCounter
		e := start(t, counted(g, &c), rlConfig, workers(2))
		cases := []struct {
			req        host.Request
			want       int
			gets, sets int64
		}{
			{rlReq("/ip", "203.0.113.7:1"), 200, 1, 1},
			{rlReq("/ip", "203.0.113.7:1"), 200, 1, 1},
			{rlReq("/ip", "203.0.113.7:1"), 200, 1, 1},
			{rlReq("/ip", "203.0.113.7:1"), 429, 1, 0},
			{rlReq("/multi", "203.0.113.7:1", "x-client-id", "a"), 200, 2, 2},
			{rlReq("/open", "203.0.113.7:1"), 200, 0, 0},
		}
		for i, tc := range cases {
			c.reset()
			r := e.Worker(i%2).RoundTrip(tc.req, func(host.UpstreamRequest) host.Response { return defaultResponse })
			if r.Downstream.Status != tc.want {
				t.Fatalf("%d: status %d, want %d", i, r.Downstream.Status, tc.want)
			}
			if c.gets.Load() != tc.gets || c.sets.Load() != tc.sets {
				t.Errorf("%d %s: %d gets %d sets, want %d %d", i, tc.req.Path, c.gets.Load(), c.sets.Load(), tc.gets, tc.sets)
			}
		}
	})
}

// Shared-data keys carry the plugin's name (Istio puts every plugin in one
// namespace), and hold no key value in clear.
func TestRateLimitSharedDataKeys(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, rlConfig, workers(2), func(c *host.Config) { c.PluginName = "edge-guard" })
		for i := 0; i < 4; i++ {
			roundTrip(e.Worker(i%2), exchange{req: rlReq("/hdr", "203.0.113.7:1", "x-client-id", "secret-token-value")})
			roundTrip(e.Worker(i%2), exchange{req: rlReq("/ip", "203.0.113.7:1")})
		}
		keys := e.SharedDataKeys()
		if len(keys) < 3 {
			t.Fatalf("keys %v", keys)
		}
		for _, k := range keys {
			if !strings.HasPrefix(k, "edge-guard/rl1/") {
				t.Errorf("key %q is not under the plugin's name", k)
			}
			v, _, _ := e.SharedData(k)
			if strings.Contains(k+string(v), "secret") || strings.Contains(k+string(v), "203.0.113.7") {
				t.Errorf("key value stored in clear under %q", k)
			}
		}
		if _, _, ok := e.SharedData("edge-guard/rl1/~seed"); !ok {
			t.Error("no shared hash seed")
		}
	})
}

// rlManyConfig gives one ip limit 1,024 slots: 64 shared-data entries.
const rlManyConfig = `{"rate_limit_slots": 1024, "routes": [{"name": "api", "match": {"prefix": "/"},
  "rate_limits": [{"name": "per-ip", "key": "ip", "limit": 1000, "window": "1m"}]}]}`

// TestRateLimitManyClients: however many distinct clients come, the state
// stays within the slot bound (64 entries of 16 slots, plus the seed):
// 50,000 addresses, natively and through the module (2,000 with -short).
func TestRateLimitManyClients(t *testing.T) {
	const bound = 1024/16 + 1
	each(t, func(t *testing.T, g guest) {
		n := 50000
		if testing.Short() {
			n = 2000
		}
		e := start(t, g, rlManyConfig, workers(2))
		up := func(host.UpstreamRequest) host.Response { return defaultResponse }
		for i := 0; i < n; i++ {
			addr := fmt.Sprintf("10.%d.%d.%d:4000", i>>16&0xff, i>>8&0xff, i&0xff)
			if i%2 == 1 {
				addr = fmt.Sprintf("[2001:db8:%x:%x::1]:4000", i>>16, i&0xffff)
			}
			if r := e.Worker(i%2).RoundTrip(host.Request{Path: "/x", Props: host.StreamProps{SourceAddress: addr}}, up); r.Downstream.Status != 200 {
				t.Fatalf("client %d: %d", i, r.Downstream.Status)
			}
		}
		keys := e.SharedDataKeys()
		if len(keys) != bound {
			t.Errorf("%d clients left %d shared-data keys, want the bound %d", n, len(keys), bound)
		}
		for _, k := range keys {
			if v, _, _ := e.SharedData(k); !strings.HasSuffix(k, "~seed") && len(v) != 16*8 {
				t.Errorf("entry %s holds %d bytes", k, len(v))
			}
		}
	})
}

// TestRateLimitWorkersHammer drives four worker VMs concurrently on one
// bucket: exactly the limit is admitted, whatever the interleaving.
func TestRateLimitWorkersHammer(t *testing.T) {
	const cfg = `{"routes": [{"name": "api", "match": {"prefix": "/"},
	  "rate_limits": [{"name": "all", "key": "route", "limit": 100, "window": "1h"}]}]}`
	each(t, func(t *testing.T, g guest) {
		f := g.factory
		g.factory = func(h proxy.Host) (proxy.Handler, error) { return f(rlYieldHost{h}) }
		e := start(t, g, cfg, workers(4))
		var ok, refused atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(vm *host.VM) {
				defer wg.Done()
				for i := 0; i < 50; i++ {
					r := vm.RoundTrip(host.Request{Path: "/x"}, func(host.UpstreamRequest) host.Response { return defaultResponse })
					switch r.Downstream.Status {
					case 200:
						ok.Add(1)
					case 429:
						refused.Add(1)
					default:
						t.Errorf("status %d", r.Downstream.Status)
					}
				}
			}(e.Worker(w))
		}
		wg.Wait()
		contended := metricOrZero(t, e, "apiguard.denied.rate_limit_contended")
		if ok.Load() > 100 || ok.Load()+contended < 100 {
			t.Fatalf("admitted %d of 200 (contended %d), want exactly 100 unless contention refused some", ok.Load(), contended)
		}
		t.Logf("admitted %d, refused %d (%d as contended), %d CAS conflicts", ok.Load(), refused.Load(), contended, metricOrZero(t, e, "apiguard.ratelimit.cas_conflict"))
	})
}

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

// TestRateLimitFailedAuthLockout checks step 8 against a lockout as the
// counting path leaves it (the failure that reaches `limit` raises the
// key's slot to now + window + (limit-1)·window/limit): 429 before
// authentication with Retry-After and the failed_auth policy, public routes
// untouched, and recovery once the window passed. It pins the slot format
// the README documents; TestRateLimitFailedAuthFlow produces the failures
// through authentication.
func TestRateLimitFailedAuthLockout(t *testing.T) {
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

// A corrupted or foreign value under a limit's key is replaced, not
// trusted and not fatal.
func TestRateLimitForeignEntry(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, `{"rate_limit_slots": 16, "routes": [{"name": "api", "match": {"prefix": "/"},
		  "rate_limits": [{"name": "one", "key": "route", "limit": 1, "window": "1m"}]}]}`)
		e.PutSharedData("apiguard/rl1/one/0", []byte("garbage"))
		vm := e.Worker(0)
		check(t, e, exchange{req: rlReq("/x", ""), want: 200}, roundTrip(vm, exchange{req: rlReq("/x", "")}))
		check(t, e, exchange{req: rlReq("/x", ""), want: 429, reason: problem.ReasonRateLimited}, roundTrip(vm, exchange{req: rlReq("/x", "")}))
	})
}

// rlSecret is the HS256 key of the test provider; rlAPIKey the valid key.
var (
	rlSecret = []byte("rate-limit-tests-hmac-secret-0123456789")
	rlAPIKey = "rl-good-api-key"
)

// rlToken mints an HS256 token of the test provider for sub, valid an hour
// from now.
func rlToken(now time.Time, sub string) string {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT","kid":"rl"}`))
	payload := enc.EncodeToString([]byte(fmt.Sprintf(
		`{"iss":"https://rl.example.com/","aud":"rl-api","sub":%q,"iat":%d,"exp":%d}`, sub, now.Unix()-10, now.Unix()+3600)))
	m := hmac.New(sha256.New, rlSecret)
	m.Write([]byte(header + "." + payload))
	return header + "." + payload + "." + enc.EncodeToString(m.Sum(nil))
}

// rlAuthFlowConfig verifies tokens on /jwt and API keys (anonymous
// allowed) on /key, limits failures per address, and limits /user per
// subject claim.
func rlAuthFlowConfig() string {
	sum := sha256.Sum256([]byte(rlAPIKey))
	return `{
  "providers": {
    "idp": {"issuer": "https://rl.example.com/", "audiences": ["rl-api"], "algorithms": ["HS256"],
            "jwks": {"keys": [{"kty": "oct", "kid": "rl", "alg": "HS256", "k": "` + base64.RawURLEncoding.EncodeToString(rlSecret) + `"}]}},
    "keys": {"api_keys": {"from": [{"header": "x-api-key"}], "keys": [{"id": "k1", "sha256": "` + hex.EncodeToString(sum[:]) + `"}]}}
  },
  "failed_auth_limit": {"key": "ip", "limit": 3, "window": "1m"},
  "routes": [
    {"name": "jwt", "match": {"prefix": "/jwt"}, "auth": {"providers": ["idp"]}},
    {"name": "key", "match": {"prefix": "/key"}, "auth": {"providers": ["keys"], "allow_missing": true}},
    {"name": "user", "match": {"prefix": "/user"}, "auth": {"providers": ["idp"]},
     "rate_limits": [{"name": "per-user", "key": "claim:sub", "limit": 2, "window": "1m"}]},
    {"name": "public", "match": {"prefix": "/public"}}
  ]
}`
}

// TestRateLimitFailedAuthFlow: missing and invalid credentials count per
// address; the failure that reaches the limit locks the address out of
// authenticated routes for a window (429 before verification), except for
// a token already verified; other addresses and public routes are
// unaffected; a failure right after the lockout locks again.
func TestRateLimitFailedAuthFlow(t *testing.T) {
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

// TestRateLimitClaimKey: a claim: key limits per verified subject.
func TestRateLimitClaimKey(t *testing.T) {
	const policy = `"per-user";q=2;w=60`
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, rlAuthFlowConfig(), workers(2))
		now := e.Clock().Now()
		alice := []string{"authorization", "Bearer " + rlToken(now, "alice")}
		alice2 := []string{"authorization", "Bearer " + rlToken(now.Add(time.Second), "alice")}
		bob := []string{"authorization", "Bearer " + rlToken(now, "bob")}
		runAlternating(t, e, []rlCase{
			allowed("claim", "alice 1", rlReq("/user", "203.0.113.7:1", alice...), policy, `"per-user";r=1;t=30`),
			allowed("claim", "alice 2, other address", rlReq("/user", "198.51.100.1:1", alice...), policy, `"per-user";r=0;t=60`),
			limited("claim", "alice 3, another token", rlReq("/user", "203.0.113.7:1", alice2...), policy, `"per-user";r=0;t=30`, "30"),
			allowed("claim", "bob", rlReq("/user", "203.0.113.7:1", bob...), policy, `"per-user";r=1;t=30`),
		})
	})
}
