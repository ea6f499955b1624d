package e2e

// Regression tests from an adversarial review of reading the request
// header list once: deny-log ticks across root deletion, method-override
// spellings, claims headers as limit keys, the list surviving a wait and a
// GC, open streams not pinning header blocks, lockout headers everywhere.

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/e2e/wasmguest"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// ---------------------------------------------------------------------
// A minimal multi-root host: Envoy shares one VM between the root contexts
// of every plugin configuration with the same vm_config, and deletes a
// root (proxy_on_done/proxy_on_delete) when its listener goes away while
// the VM lives on. The emulator has one root per VM, so this drives the
// handler directly.

type rootsHost struct {
	cur     uint32
	parent  map[uint32]uint32
	period  map[uint32]uint32 // per root, as Envoy's Wasm::setTimerPeriod keeps it
	asked   []string          // "root:ms" for every SetTickPeriod
	now     int64
	logs    []string
	config  []byte
	req     []proxy.Pair
	replies []uint32
	metric  uint32
}

func newRootsHost(cfg string, start time.Time) *rootsHost {
	return &rootsHost{parent: map[uint32]uint32{}, period: map[uint32]uint32{}, now: start.UnixNano(), config: []byte(cfg)}
}

func (h *rootsHost) rootOf(id uint32) uint32 {
	if p, ok := h.parent[id]; ok && p != 0 {
		return p
	}
	return id
}

func (h *rootsHost) Log(l proxy.LogLevel, msg string) proxy.Status {
	h.logs = append(h.logs, msg)
	return proxy.StatusOK
}
func (h *rootsHost) GetLogLevel() (proxy.LogLevel, proxy.Status) {
	return proxy.LogInfo, proxy.StatusOK
}
func (h *rootsHost) Now() int64 { return h.now }
func (h *rootsHost) SetTickPeriod(ms uint32) proxy.Status {
	r := h.rootOf(h.cur)
	h.period[r] = ms
	h.asked = append(h.asked, fmt.Sprintf("%d:%d", r, ms))
	return proxy.StatusOK
}
func (h *rootsHost) GetProperty(path []string) ([]byte, proxy.Status) {
	return nil, proxy.StatusNotFound
}
func (h *rootsHost) SetProperty(path []string, v []byte) proxy.Status { return proxy.StatusNotFound }
func (h *rootsHost) SendLocalResponse(code uint32, details string, body []byte, hs []proxy.Pair, grpc int32) proxy.Status {
	h.replies = append(h.replies, code)
	return proxy.StatusOK
}
func (h *rootsHost) GetSharedData(key string) ([]byte, uint32, proxy.Status) {
	return nil, 0, proxy.StatusNotFound
}
func (h *rootsHost) SetSharedData(key string, v []byte, cas uint32) proxy.Status {
	return proxy.StatusOK
}
func (h *rootsHost) GetHeaderMapValue(m proxy.MapType, key string) (string, proxy.Status) {
	if m == proxy.MapRequestHeaders {
		for _, p := range h.req {
			if p.Key == key {
				return p.Value, proxy.StatusOK
			}
		}
	}
	return "", proxy.StatusNotFound
}
func (h *rootsHost) GetHeaderMapPairs(m proxy.MapType) ([]proxy.Pair, proxy.Status) {
	if m == proxy.MapRequestHeaders {
		return append([]proxy.Pair(nil), h.req...), proxy.StatusOK
	}
	return nil, proxy.StatusOK
}
func (h *rootsHost) SetHeaderMapPairs(m proxy.MapType, p []proxy.Pair) proxy.Status {
	return proxy.StatusOK
}
func (h *rootsHost) AddHeaderMapValue(m proxy.MapType, k, v string) proxy.Status {
	return proxy.StatusOK
}
func (h *rootsHost) ReplaceHeaderMapValue(m proxy.MapType, k, v string) proxy.Status {
	return proxy.StatusOK
}
func (h *rootsHost) RemoveHeaderMapValue(m proxy.MapType, k string) proxy.Status {
	return proxy.StatusOK
}
func (h *rootsHost) GetBufferStatus(b proxy.BufferType) (int, uint32, proxy.Status) {
	if b == proxy.BufferPluginConfiguration {
		return len(h.config), 0, proxy.StatusOK
	}
	return 0, 0, proxy.StatusNotFound
}
func (h *rootsHost) GetBufferBytes(b proxy.BufferType, start, max int) ([]byte, proxy.Status) {
	if b == proxy.BufferPluginConfiguration {
		end := min(start+max, len(h.config))
		return append([]byte(nil), h.config[start:end]...), proxy.StatusOK
	}
	return nil, proxy.StatusNotFound
}
func (h *rootsHost) SetBufferBytes(b proxy.BufferType, start, size int, d []byte) proxy.Status {
	return proxy.StatusOK
}
func (h *rootsHost) ContinueStream(s proxy.StreamType) proxy.Status { return proxy.StatusOK }
func (h *rootsHost) CloseStream(s proxy.StreamType) proxy.Status    { return proxy.StatusOK }
func (h *rootsHost) HttpCall(c string, hs []proxy.Pair, b []byte, tr []proxy.Pair, t uint32) (uint32, proxy.Status) {
	return 0, proxy.StatusInternalFailure
}
func (h *rootsHost) GrpcCall(s, sn, m string, md []proxy.Pair, msg []byte, t uint32) (uint32, proxy.Status) {
	return 0, proxy.StatusInternalFailure
}
func (h *rootsHost) GrpcCancel(t uint32) proxy.Status                { return proxy.StatusOK }
func (h *rootsHost) GrpcClose(t uint32) proxy.Status                 { return proxy.StatusOK }
func (h *rootsHost) GetStatus() (uint32, string, proxy.Status)       { return 0, "", proxy.StatusNotFound }
func (h *rootsHost) IncrementMetric(id uint32, d int64) proxy.Status { return proxy.StatusOK }
func (h *rootsHost) RecordMetric(id uint32, v int64) proxy.Status    { return proxy.StatusOK }
func (h *rootsHost) GetMetric(id uint32) (uint64, proxy.Status)      { return 0, proxy.StatusOK }
func (h *rootsHost) DefineMetric(t proxy.MetricType, name string) (uint32, proxy.Status) {
	h.metric++
	return h.metric << 4, proxy.StatusOK
}
func (h *rootsHost) SetEffectiveContext(id uint32) proxy.Status { h.cur = id; return proxy.StatusOK }
func (h *rootsHost) Done() proxy.Status                         { return proxy.StatusOK }
func (h *rootsHost) CallForeignFunction(string, []byte) ([]byte, proxy.Status) {
	return nil, proxy.StatusNotFound
}

// rootsDriver runs handler callbacks as Envoy would, with the current
// context set for the host.
type rootsDriver struct {
	t     *testing.T
	h     *rootsHost
	g     proxy.Handler
	next  uint32
	alive map[uint32]bool
}

func (d *rootsDriver) on(ctx uint32, f func()) { d.h.cur = ctx; f() }

func (d *rootsDriver) addRoot() uint32 {
	d.next++
	id := d.next
	ok := false
	d.on(id, func() { d.g.OnContextCreate(id, 0) })
	d.on(id, func() { d.g.OnVMStart(id, 0) })
	d.on(id, func() { ok = d.g.OnConfigure(id, len(d.h.config)) })
	if !ok {
		d.t.Fatalf("root %d did not configure: %v", id, d.h.logs)
	}
	d.alive[id] = true
	return id
}

func (d *rootsDriver) deleteRoot(id uint32) {
	d.on(id, func() { d.g.OnDone(id) })
	d.on(id, func() { d.g.OnDelete(id) })
	d.alive[id] = false
}

// refuse sends n requests that no route matches on root.
func (d *rootsDriver) refuse(root uint32, n int) {
	for i := 0; i < n; i++ {
		d.next++
		id := d.next
		d.h.parent[id] = root
		d.h.req = []proxy.Pair{{Key: ":method", Value: "GET"}, {Key: ":scheme", Value: "http"},
			{Key: ":authority", Value: "api.example.com"}, {Key: ":path", Value: "/nope"}}
		d.on(id, func() { d.g.OnContextCreate(id, root) })
		d.on(id, func() { d.g.OnRequestHeaders(id, len(d.h.req), true) })
		d.on(id, func() { d.g.OnLog(id) })
		d.on(id, func() { d.g.OnDone(id) })
		d.on(id, func() { d.g.OnDelete(id) })
	}
}

// advance moves the clock and fires the ticks Envoy would: once per period
// elapsed, for every live root that has a period (a deleted root's timer
// finds no context and calls nothing).
func (d *rootsDriver) advance(dur time.Duration) {
	end := d.h.now + int64(dur)
	for step := int64(10 * time.Millisecond); d.h.now < end; {
		d.h.now += step
		for r, ms := range d.h.period {
			if ms > 0 && d.alive[r] && (d.h.now/int64(time.Millisecond))%int64(ms) == 0 {
				d.on(r, func() { d.g.OnTick(r) })
			}
		}
	}
}

func (d *rootsDriver) dropLines() []string {
	var out []string
	for _, l := range d.h.logs {
		if strings.Contains(l, "apiguard: deny log: dropped") {
			out = append(out, l)
		}
	}
	return out
}

// TestDenyLogTickAfterRootDeleted: the limiter's "ticking" flag is
// per VM but its tick belongs to the root whose stream asked for it. When
// that root is deleted before its tick turned the flag off, no later drop
// count on another root of the VM ever asks for a tick again: a flood that
// stops is never counted until the next request.
func TestDenyLogTickAfterRootDeleted(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		start := host.DefaultStart.Truncate(time.Second).Add(100 * time.Millisecond)
		rh := newRootsHost(routesConfig, start)
		hd, err := g.factory(rh)
		if err != nil {
			t.Fatal(err)
		}
		d := &rootsDriver{t: t, h: rh, g: hd, alive: map[uint32]bool{}}
		a := d.addRoot()
		b := d.addRoot()

		d.refuse(a, 110) // 10 dropped: root a asks for a 1 s tick
		if rh.period[a] != 1000 {
			t.Fatalf("root %d: tick period %d after a flood, want 1000 (asked %v)", a, rh.period[a], rh.asked)
		}
		d.deleteRoot(a) // its listener goes away before the tick
		d.advance(5 * time.Second)

		flood2 := time.Unix(0, rh.now)
		d.refuse(b, 110) // the first request writes the old count; 10 more dropped
		d.advance(5 * time.Second)
		lines := d.dropLines()
		want := droppedLine(10, flood2)
		found := false
		for _, l := range lines {
			found = found || l == want
		}
		if !found {
			t.Errorf("flood on root %d that stopped was never counted: drop lines %q, want %q; tick requests %v",
				b, lines, want, rh.asked)
		}
	})
}

// ---------------------------------------------------------------------
// Step 1's one list, and everything later read from it.

// reviewClaimsKeyConfig makes x-user-id a claims header that is also the
// header key of a rate limit and of failed_auth_limit.
func reviewClaimsKeyConfig(t testing.TB) string {
	return `{
  "providers": {
    "idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["EdDSA"],
            "jwks": ` + jwksOf(t, "ed") + `, "claims_to_headers": {"sub": "x-user-id"}}
  },
  "failed_auth_limit": {"key": "header:x-user-id", "limit": 2, "window": "1m"},
  "routes": [
    {"name": "p", "match": {"prefix": "/p"}, "auth": {"providers": ["idp"]},
     "rate_limits": [{"name": "per-user", "key": "header:x-user-id", "limit": 2, "window": "1m"}]},
    {"name": "open", "match": {"prefix": "/open"},
     "rate_limits": [{"name": "per-user-open", "key": "header:x-user-id", "limit": 2, "window": "1m"}]}
  ]
}`
}

// A client-sent claims header, in any spelling, is never forwarded and
// never chooses the client's rate-limit or lockout bucket: every value
// lands in the one "absent" bucket.
func TestClaimsHeaderAsLimitKey(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, reviewClaimsKeyConfig(t))
		vm := e.Worker(0)
		up := func(u host.UpstreamRequest) host.Response {
			for _, p := range u.Headers {
				if sameSpelling(p.Key, "x-user-id") {
					t.Errorf("upstream got client header %q: %q", p.Key, p.Value)
				}
			}
			return defaultResponse
		}
		spellings := []string{"x-user-id", "X-User-Id", "x_user_id", "x-user_id", "X_USER-ID"}
		var statuses []int
		for i, sp := range spellings {
			r := vm.RoundTrip(host.Request{Path: "/open", Headers: headers(sp, fmt.Sprintf("u%d", i))}, up)
			statuses = append(statuses, r.Downstream.Status)
		}
		if fmt.Sprint(statuses) != "[200 200 429 429 429]" {
			t.Errorf("statuses %v: a spelled claims header chose its own bucket", statuses)
		}
		// failed_auth_limit keyed by the claims header: one bucket too.
		statuses = statuses[:0]
		for i := 0; i < 4; i++ {
			r := vm.RoundTrip(host.Request{Path: "/p", Headers: headers("x_user_id", fmt.Sprintf("v%d", i))}, up)
			statuses = append(statuses, r.Downstream.Status)
		}
		if fmt.Sprint(statuses) != "[401 401 429 429]" {
			t.Errorf("failed-auth statuses %v", statuses)
		}
	})
}

func sameSpelling(a, b string) bool {
	n := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "_", "-") }
	return n(a) == n(b)
}

// The request headers are held as substrings of one host block in wasm:
// after a wait on keys, with heavy allocation and GC in between, the
// request id, the claims header, the credential removal and the rate-limit
// key still read what the client sent.
func TestHeaderListSurvivesWaitAndGC(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		srv := &jwksServer{}
		srv.set(200, jwksOf(t, "rsa-a"), false)
		e := startRemote(t, g, srv)
		tok := remoteToken(t, "rsa-a")
		vm := e.Worker(0)
		id := "rq-" + strings.Repeat("z", 300)
		s := vm.NewStream(host.StreamProps{})
		s.RequestHeaders(headers(":method", "GET", ":scheme", "https", ":authority", "api.example.com", ":path", "/r",
			"x-request-id", id, "x-pad", strings.Repeat("p", 20000), "authorization", "Bearer "+tok), true)
		if !waiting(s) {
			t.Fatalf("did not wait: %+v", s.Downstream())
		}
		// Churn the VM's heap while the stream waits.
		for i := 0; i < 300; i++ {
			vm.RoundTrip(host.Request{Path: "/nope", Headers: headers("x-request-id", fmt.Sprintf("other-%d-%s", i, strings.Repeat("q", 2000)),
				"x-big", strings.Repeat("b", 30000))}, nil)
		}
		runtime.GC()
		e.Advance(100 * time.Millisecond)
		u := s.Upstream()
		if u.Headers == nil {
			t.Fatalf("not forwarded: %+v\n%s", s.Downstream(), logText(e))
		}
		if got := u.Header("x-request-id"); got != id {
			t.Errorf("upstream x-request-id %q", got)
		}
		if got := u.Header("authorization"); got != "" {
			t.Errorf("credential forwarded: %q", got)
		}
		if got := u.Header("x-pad"); got != strings.Repeat("p", 20000) {
			t.Errorf("x-pad changed")
		}
		finish(s)
	})
}

// ---------------------------------------------------------------------
// Step 1 refuses the method override headers, and removes the claims
// headers in their underscore spellings because CGI-style upstreams read
// x_user_id as x-user-id. The same upstreams read X_HTTP_METHOD_OVERRIDE
// as X-HTTP-Method-Override (Rack::MethodOverride reads
// HTTP_X_HTTP_METHOD_OVERRIDE). Pre-existing, not from this session.
func TestMethodOverrideUnderscoreSpelling(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, routesConfig)
		runTable(t, e, []exchange{
			{name: "x_http_method_override", req: host.Request{Method: "POST", Path: "/users/7/orders", Headers: headers("x_http_method_override", "DELETE")}, want: 400, reason: problem.ReasonMethodOverride},
			{name: "x-http_method", req: host.Request{Method: "POST", Path: "/users/7/orders", Headers: headers("x-http_method", "DELETE")}, want: 400, reason: problem.ReasonMethodOverride},
		})
	})
}

// ---------------------------------------------------------------------
// Memory: each open stream now keeps its whole request-header block alive
// (the substrings of s.auth.pairs, s.requestID, s.method, s.path), even on
// a configuration without claims headers or header credentials, where it
// used to keep three small copies.
func TestOpenStreamsReleaseHeaderBlocks(t *testing.T) {
	token := bearer(mint(t, "ec256", "ES256", claimsAt(host.DefaultStart, idpIssuer, nil)))
	for _, c := range []struct {
		name, config, path string
		extra              []proxy.Pair
	}{
		{"no auth anywhere", routesConfig, "/public/x", nil},
		{"claims headers configured, public route", claimsConfig(t), "/public/x", nil},
		{"authenticated, claims copied to headers", claimsConfig(t), "/users/alice/orders", token},
	} {
		t.Run(c.name, func(t *testing.T) { pinnedPerStream(t, c.config, c.path, c.extra) })
	}
}

func pinnedPerStream(t *testing.T, config, path string, extra []proxy.Pair) {
	var last proxy.Handler
	f := wasmModule(t).Factory(wasmguest.Options{})
	g := guest{name: "wasm", wasm: true, factory: func(h proxy.Host) (proxy.Handler, error) {
		x, err := f(h)
		last = x
		return x, err
	}}
	e := start(t, g, config)
	vm := e.Worker(0)
	for i := 0; i < 200; i++ { // warm up
		r := vm.RoundTrip(host.Request{Path: path, Headers: extra}, func(host.UpstreamRequest) host.Response { return defaultResponse })
		if r.Downstream.Status != 200 {
			t.Fatalf("warm-up request answered %d (%q)", r.Downstream.Status, r.Downstream.Details)
		}
	}
	before, ok := wasmguest.MemoryPages(last)
	if !ok || before == 0 {
		t.Fatalf("no linear memory to measure (%d pages, ok %v)", before, ok)
	}
	const n, size = 1500, 32 << 10
	var open []*host.Stream
	for i := 0; i < n; i++ {
		s := vm.NewStream(host.StreamProps{})
		s.RequestHeaders(append(headers(":method", "GET", ":scheme", "https", ":authority", "api.example.com",
			":path", path, "x-pad", strings.Repeat("a", size)), extra...), true)
		if s.Ended() || s.Upstream().Headers == nil {
			t.Fatalf("stream %d did not reach upstream (details %q): it is not open", i, s.Downstream().Details)
		}
		open = append(open, s)
	}
	after, ok := wasmguest.MemoryPages(last)
	if !ok {
		t.Fatal("the module's memory could not be read after the streams opened")
	}
	grown := int64(after-before) * 65536
	t.Logf("%d open streams with a %d-byte header: linear memory %d -> %d pages (+%d KiB, %d B/stream)",
		n, size, before, after, grown>>10, grown/n)
	if grown/n > size/2 {
		t.Errorf("each open stream keeps ~%d bytes of the guest's memory: its request-header block", grown/n)
	}
	for _, s := range open {
		finish(s)
	}
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
