package host

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/filter/proxy"
)

func TestNew_pluginRefusesToStart(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(*toy)
		wantErr string
	}{
		{"configure false", func(g *toy) {
			g.configure = func(t *toy) bool { t.h.Log(proxy.LogCritical, "apiguard: config: rules[0]: bad"); return false }
		}, "apiguard: config: rules[0]: bad"},
		{"vm start false", func(g *toy) { g.vmStart = func(*toy) bool { return false } }, "proxy_on_vm_start returned false"},
		{"trap in configure", func(g *toy) { g.configure = func(*toy) bool { panic("unreachable") } }, "proxy_on_configure failed: unreachable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := &toys{setup: tc.setup}
			_, err := New(Config{Workers: 2}, ts.factory)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "refuses to start") {
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
			if len(ts.all) != 1 {
				t.Errorf("%d VMs created; only the canary should run", len(ts.all))
			}
		})
	}
	_, err := New(Config{}, func(proxy.Host) (proxy.Handler, error) { return nil, errors.New("no module") })
	if err == nil || !strings.Contains(err.Error(), "no module") {
		t.Errorf("factory error = %v", err)
	}
}

func TestNew_workerConfigureFails(t *testing.T) {
	n := 0
	ts := &toys{setup: func(g *toy) {
		n++
		if n == 3 { // canary, worker 0, worker 1
			g.configure = func(*toy) bool { return false }
		}
	}}
	e, err := New(Config{Workers: 2}, ts.factory)
	if err != nil {
		t.Fatal(err)
	}
	if failed, _ := e.Worker(0).Failed(); failed {
		t.Error("worker 0 should be healthy")
	}
	if failed, why := e.Worker(1).Failed(); !failed || !strings.Contains(why, "proxy_on_configure returned false") {
		t.Errorf("worker 1 failed=%t why=%q", failed, why)
	}
	if d := e.Worker(1).RoundTrip(Request{}, echo(200, "")).Downstream; d.Status != 503 || d.LocalReply != "wasm_fail_stream" {
		t.Errorf("worker 1 stream = %+v", d)
	}
}

func TestVM_trapFailurePolicy(t *testing.T) {
	crashOn := "/crash"
	setup := func(g *toy) {
		g.reqHeaders = func(t *toy, id uint32, _ int, _ bool) proxy.Action {
			if p, _ := t.h.GetHeaderMapValue(proxy.MapRequestHeaders, ":path"); p == crashOn {
				t.h.SendLocalResponse(418, "queued before the trap", nil, nil, -1)
				panic("wasm error: unreachable")
			}
			return proxy.Continue
		}
	}
	t.Run("fail closed", func(t *testing.T) {
		e, ts := newEnvoy(t, Config{Workers: 2}, setup)
		r := e.Worker(0).RoundTrip(Request{Path: crashOn}, echo(200, "up"))
		if d := r.Downstream; d.Status != 503 || d.LocalReply != "wasm_fail_stream" || len(d.Body) != 0 || r.UpstreamCalled {
			t.Errorf("crashing stream = %+v", r)
		}
		if ev := ts.worker(0).evs(); strings.Contains(ev, "resp_headers") || strings.Contains(ev, "log(") {
			t.Errorf("no callback may reach a failed VM: %s", ev)
		}
		r = e.Worker(0).RoundTrip(Request{Path: "/fine"}, echo(200, "up"))
		if r.Downstream.Status != 503 || r.UpstreamCalled {
			t.Errorf("later stream = %+v", r.Downstream)
		}
		if r := e.Worker(1).RoundTrip(Request{Path: "/fine"}, echo(200, "up")); r.Downstream.Status != 200 {
			t.Errorf("other worker = %+v", r.Downstream)
		}
		if l := e.LogsContaining("proxy_on_request_headers failed: wasm error: unreachable"); len(l) != 1 || !l[0].Envoy || l[0].VM != 0 {
			t.Errorf("trap log = %v", l)
		}
	})
	t.Run("fail open", func(t *testing.T) {
		e, ts := newEnvoy(t, Config{FailOpen: true}, setup)
		r := e.Worker(0).RoundTrip(Request{Path: crashOn, Body: []byte("b")}, echo(200, "up"))
		if r.Downstream.Status != 200 || string(r.Upstream.Body) != "b" {
			t.Errorf("crashing stream = %+v", r)
		}
		before := len(ts.worker(0).events)
		r = e.Worker(0).RoundTrip(Request{Path: "/fine"}, echo(200, "up"))
		if r.Downstream.Status != 200 || string(r.Downstream.Body) != "up" || r.Stream.ID() != 0 {
			t.Errorf("later stream = %+v (id %d)", r.Downstream, r.Stream.ID())
		}
		if len(ts.worker(0).events) != before {
			t.Errorf("bypassed stream reached the guest: %v", ts.worker(0).events[before:])
		}
	})
	t.Run("trap mid-response", func(t *testing.T) {
		e, _ := newEnvoy(t, Config{}, func(g *toy) {
			g.resBody = func(*toy, uint32, int, bool) proxy.Action { panic("boom") }
		})
		r := e.Worker(0).RoundTrip(Request{}, echo(200, "x"))
		if !r.Downstream.Reset || r.Downstream.Status != 200 {
			t.Errorf("headers were sent, so the 503 becomes a reset: %+v", r.Downstream)
		}
	})
}

func TestHost_outsideCallbacks(t *testing.T) {
	var (
		logSt, propSt, sharedSt proxy.Status
		lvl                     proxy.LogLevel
		now                     int64
	)
	factory := func(h proxy.Host) (proxy.Handler, error) {
		logSt = h.Log(proxy.LogInfo, "init")
		lvl, _ = h.GetLogLevel()
		now = h.Now()
		_, propSt = h.GetProperty([]string{"plugin_name"})
		sharedSt = h.SetSharedData("k", nil, 0)
		return &toy{h: h}, nil
	}
	e, err := New(Config{LogLevel: proxy.LogWarn, PluginName: "p"}, factory)
	if err != nil {
		t.Fatal(err)
	}
	if logSt != proxy.StatusOK || lvl != proxy.LogWarn || now != DefaultStart.UnixNano() {
		t.Errorf("log %v level %v now %d", logSt, lvl, now)
	}
	if propSt != proxy.StatusNotFound || sharedSt != proxy.StatusBadArgument {
		t.Errorf("property %v shared %v", propSt, sharedSt)
	}
	if l := e.LogsContaining("restricted_callback: proxy_get_property"); len(l) == 0 {
		t.Error("no restricted_callback log line")
	}
	var l []LogLine
	for _, x := range e.LogsContaining("init") {
		if !x.Envoy {
			l = append(l, x)
		}
	}
	if len(l) != 2 || l[0].VM != CanaryVM || l[1].VM != 0 || l[0].Level != proxy.LogInfo {
		t.Errorf("init log lines = %v", l)
	}
	if st := (*hostAPI)(e.Worker(0)).Log(proxy.LogLevel(6), "x"); st != proxy.StatusBadArgument {
		t.Errorf("log level 6 = %v", st)
	}
}

// calloutGuest makes one HTTP call per request from the request headers and
// records what its callback could read.
type calloutSeen struct {
	hdr, trl          string
	hdrSt, trlSt      proxy.Status
	body              []byte
	code              uint32
	msg               string
	outsideSt, bodySt proxy.Status
}

func TestHost_httpCall(t *testing.T) {
	tests := []struct {
		name       string
		answer     func(HTTPRequest) (HTTPResponse, error)
		advance    time.Duration
		wantEvent  string
		wantStatus string
		wantBody   string
		wantCode   uint32
		wantMsg    string
	}{
		{
			name: "success",
			answer: func(r HTTPRequest) (HTTPResponse, error) {
				return HTTPResponse{Headers: hdrs(":status", "200", "X-Kid", "k1"), Body: []byte("jwks"), Trailers: hdrs("t", "1")}, nil
			},
			wantEvent: "http_resp(1,1,2,4,1)", wantStatus: "200", wantBody: "jwks",
		},
		{
			name:      "failure",
			answer:    func(HTTPRequest) (HTTPResponse, error) { return HTTPResponse{}, errors.New("connection refused") },
			wantEvent: "http_resp(1,1,0,0,0)", wantCode: uint32(proxy.StatusBrokenConnection), wantMsg: "reset",
		},
		{
			name:      "timeout",
			answer:    func(HTTPRequest) (HTTPResponse, error) { return HTTPResponse{}, ErrNoAnswer },
			advance:   2 * time.Second,
			wantEvent: "http_resp(1,1,3,24,0)", wantStatus: "504", wantBody: "upstream request timeout",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var seen calloutSeen
			var got HTTPRequest
			clusters := map[string]Cluster{"jwks": {HTTP: func(r HTTPRequest) (HTTPResponse, error) { got = r; return tc.answer(r) }}}
			e, ts := newEnvoy(t, Config{Workers: 2, Clusters: clusters}, func(g *toy) {
				g.reqHeaders = func(t *toy, _ uint32, _ int, _ bool) proxy.Action {
					tok, st := t.h.HttpCall("jwks", hdrs(":method", "POST", ":path", "/keys", ":Authority", "idp"), []byte("q"), nil, 1000)
					if st != proxy.StatusOK || tok != 1 {
						panic(st)
					}
					return proxy.Continue
				}
				g.httpResp = func(t *toy, _, _ uint32, _, size, _ int) {
					seen.hdr, seen.hdrSt = t.h.GetHeaderMapValue(proxy.MapHttpCallResponseHeaders, ":status")
					seen.trl, seen.trlSt = t.h.GetHeaderMapValue(proxy.MapHttpCallResponseTrailer, "t")
					seen.body, seen.bodySt = t.h.GetBufferBytes(proxy.BufferHttpCallResponseBody, 0, size)
					seen.code, seen.msg, _ = t.h.GetStatus()
				}
				g.resHeaders = func(t *toy, _ uint32, _ int, _ bool) proxy.Action {
					_, seen.outsideSt = t.h.GetHeaderMapValue(proxy.MapHttpCallResponseHeaders, ":status")
					return proxy.Continue
				}
			})
			e.Worker(0).RoundTrip(Request{}, echo(200, ""))
			e.Advance(tc.advance)
			if !strings.Contains(ts.worker(0).evs(), tc.wantEvent) {
				t.Errorf("events = %s, want %s", ts.worker(0).evs(), tc.wantEvent)
			}
			if strings.Contains(ts.worker(1).evs(), "http_resp") {
				t.Error("the answer reached another VM")
			}
			if got.Header(":authority") != "idp" || got.Header("content-length") != "1" || got.Timeout != time.Second {
				t.Errorf("request = %+v", got)
			}
			if seen.hdr != tc.wantStatus || string(seen.body) != tc.wantBody || seen.code != tc.wantCode || seen.msg != tc.wantMsg {
				t.Errorf("seen = %+v", seen)
			}
			if seen.outsideSt != proxy.StatusBadArgument {
				t.Errorf("call response map outside the callback = %v", seen.outsideSt)
			}
			if tc.name == "success" && (seen.trl != "1" || seen.trlSt != proxy.StatusOK) {
				t.Errorf("trailers = %q %v", seen.trl, seen.trlSt)
			}
			if len(e.Worker(0).PendingCallouts()) != 0 {
				t.Error("callout still pending")
			}
		})
	}
}

func TestHttpCall_badArguments(t *testing.T) {
	cases := []struct {
		name    string
		cluster string
		headers []proxy.Pair
		timeout uint32
		want    proxy.Status
	}{
		{"unknown cluster", "nope", hdrs(":method", "GET", ":path", "/", ":authority", "a"), 0, proxy.StatusBadArgument},
		{"no path", "c", hdrs(":method", "GET", ":authority", "a"), 0, proxy.StatusBadArgument},
		{"no method", "c", hdrs(":path", "/", ":authority", "a"), 0, proxy.StatusBadArgument},
		{"host is not authority", "c", hdrs(":method", "GET", ":path", "/", "host", "a"), 0, proxy.StatusBadArgument},
		{"negative timeout", "c", hdrs(":method", "GET", ":path", "/", ":authority", "a"), 1 << 31, proxy.StatusBadArgument},
		{"ok", "c", hdrs(":method", "GET", ":path", "/", ":authority", "a"), 0, proxy.StatusOK},
	}
	for _, tc := range cases {
		var st proxy.Status
		e, _ := newEnvoy(t, Config{Delivery: DeliverManually, Clusters: map[string]Cluster{"c": {}}}, func(g *toy) {
			g.reqHeaders = func(t *toy, _ uint32, _ int, _ bool) proxy.Action {
				_, st = t.h.HttpCall(tc.cluster, tc.headers, nil, nil, tc.timeout)
				return proxy.Continue
			}
		})
		e.Worker(0).RoundTrip(Request{}, echo(200, ""))
		if st != tc.want {
			t.Errorf("%s: status %v, want %v", tc.name, st, tc.want)
		}
	}
}

func TestHttpCall_streamGoneAndManualDelivery(t *testing.T) {
	var id uint32
	var effSt proxy.Status
	e, ts := newEnvoy(t, Config{Delivery: DeliverManually, Clusters: okCluster()}, func(g *toy) {
		holdThenRelease(&id)(g)
		g.httpResp = func(t *toy, _, _ uint32, _, _, _ int) { effSt = t.h.SetEffectiveContext(id) }
	})
	s := e.Worker(0).NewStream(StreamProps{})
	s.RequestHeaders(reqHdrs(), true)
	if p := e.Worker(0).PendingCallouts(); len(p) != 1 || p[0].HTTP == nil || p[0].Token != 1 || !p[0].Deadline.Equal(DefaultStart.Add(time.Second)) {
		t.Fatalf("pending = %+v", p)
	}
	s.Complete()
	if n := e.DeliverCallouts(); n != 1 {
		t.Fatalf("delivered %d", n)
	}
	if !strings.HasSuffix(ts.worker(0).evs(), "delete(2) http_resp(1,1,1,0,0)") {
		t.Errorf("the callout completes on the root after the stream is gone: %s", ts.worker(0).evs())
	}
	if effSt != proxy.StatusBadArgument {
		t.Errorf("effective context of a deleted stream = %v", effSt)
	}
}

func TestHost_grpcCall(t *testing.T) {
	tests := []struct {
		name      string
		answer    func(GRPCRequest) (GRPCResponse, error)
		advance   time.Duration
		wantEvent string
		wantMsg   string
		wantBuf   string
	}{
		{"ok", func(GRPCRequest) (GRPCResponse, error) { return GRPCResponse{Message: []byte("resp")}, nil }, 0, "grpc_recv(1,1,4)", "", "resp"},
		{"status", func(GRPCRequest) (GRPCResponse, error) {
			return GRPCResponse{Status: 8, StatusMessage: "quota"}, nil
		}, 0, "grpc_close(1,1,8)", "quota", ""},
		{"error", func(GRPCRequest) (GRPCResponse, error) { return GRPCResponse{}, errors.New("no route") }, 0, "grpc_close(1,1,14)", "no route", ""},
		{"timeout", func(GRPCRequest) (GRPCResponse, error) { return GRPCResponse{}, ErrNoAnswer }, time.Second, "grpc_close(1,1,14)", "upstream request timeout", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var msg string
			var buf []byte
			var got GRPCRequest
			clusters := map[string]Cluster{"rls": {GRPC: func(r GRPCRequest) (GRPCResponse, error) { got = r; return tc.answer(r) }}}
			e, ts := newEnvoy(t, Config{Clusters: clusters}, func(g *toy) {
				g.reqHeaders = func(t *toy, _ uint32, _ int, _ bool) proxy.Action {
					if _, st := t.h.GrpcCall("nope", "s", "m", nil, nil, 0); st != proxy.StatusParseFailure {
						panic(st)
					}
					if _, st := t.h.GrpcCall("rls", "envoy.service.ratelimit.v3.RateLimitService", "ShouldRateLimit", hdrs("X-A", "1"), []byte("req"), 500); st != proxy.StatusOK {
						panic(st)
					}
					return proxy.Continue
				}
				g.grpcRecv = func(t *toy, _, _ uint32, size int) { buf, _ = t.h.GetBufferBytes(proxy.BufferGrpcReceive, 0, size) }
				g.grpcClose = func(t *toy, _, _, _ uint32) { _, msg, _ = t.h.GetStatus() }
			})
			e.Worker(0).RoundTrip(Request{}, echo(200, ""))
			e.Advance(tc.advance)
			ev := ts.worker(0).evs()
			if !strings.Contains(ev, tc.wantEvent) {
				t.Errorf("events = %s", ev)
			}
			if strings.Contains(ev, "grpc_recv") && strings.Contains(ev, "grpc_close") {
				t.Error("a unary call gets receive or close, never both")
			}
			if msg != tc.wantMsg || string(buf) != tc.wantBuf {
				t.Errorf("status message %q, buffer %q", msg, buf)
			}
			if got.Method != "ShouldRateLimit" || string(got.Message) != "req" || got.InitialMetadata[0].Key != "x-a" || got.Timeout != 500*time.Millisecond {
				t.Errorf("request = %+v", got)
			}
		})
	}
}

func TestHost_grpcCancel(t *testing.T) {
	var cancelSt, againSt proxy.Status
	e, ts := newEnvoy(t, Config{Delivery: DeliverManually, Clusters: map[string]Cluster{"rls": {}}}, func(g *toy) {
		g.reqHeaders = func(t *toy, _ uint32, _ int, _ bool) proxy.Action {
			tok, _ := t.h.GrpcCall("rls", "s", "m", nil, nil, 100)
			cancelSt = t.h.GrpcCancel(tok)
			againSt = t.h.GrpcClose(tok)
			return proxy.Continue
		}
	})
	e.Worker(0).RoundTrip(Request{}, echo(200, ""))
	e.Advance(time.Second)
	if cancelSt != proxy.StatusOK || againSt != proxy.StatusNotFound || strings.Contains(ts.worker(0).evs(), "grpc_") {
		t.Errorf("cancel %v, again %v, events %s", cancelSt, againSt, ts.worker(0).evs())
	}
}

func TestHost_effectiveContext(t *testing.T) {
	var ids []uint32
	var badSt, zeroSt proxy.Status
	var pathFromRoot, pathAfterZero proxy.Status
	var path string
	e, _ := newEnvoy(t, Config{Delivery: DeliverManually, Clusters: okCluster(), AllowOnHeadersStopIteration: true}, func(g *toy) {
		g.reqHeaders = func(t *toy, id uint32, _ int, _ bool) proxy.Action {
			ids = append(ids, id)
			t.h.HttpCall("auth", hdrs(":method", "GET", ":path", "/", ":authority", "a"), nil, nil, 0)
			return proxy.StopIteration
		}
		g.httpResp = func(t *toy, _, tok uint32, _, _, _ int) {
			if tok != 2 {
				return
			}
			badSt = t.h.SetEffectiveContext(99)
			_, pathFromRoot = t.h.GetHeaderMapValue(proxy.MapRequestHeaders, ":path")
			t.h.SetEffectiveContext(ids[0])
			path, _ = t.h.GetHeaderMapValue(proxy.MapRequestHeaders, ":path")
			t.h.SendLocalResponse(429, "limited", nil, nil, -1)
			zeroSt = t.h.SetEffectiveContext(0)
			_, pathAfterZero = t.h.GetHeaderMapValue(proxy.MapRequestHeaders, ":path")
		}
	})
	s1 := e.Worker(0).NewStream(StreamProps{})
	s1.RequestHeaders(append(hdrs(":method", "GET", ":path", "/one"), hdrs(":authority", "a")...), true)
	s2 := e.Worker(0).NewStream(StreamProps{})
	s2.RequestHeaders(append(hdrs(":method", "GET", ":path", "/two"), hdrs(":authority", "a")...), true)
	e.DeliverCallouts()
	if badSt != proxy.StatusBadArgument || zeroSt != proxy.StatusOK {
		t.Errorf("set effective: unknown %v, zero %v", badSt, zeroSt)
	}
	if pathFromRoot != proxy.StatusBadArgument || pathAfterZero != proxy.StatusBadArgument || path != "/one" {
		t.Errorf("root %v, stream path %q, after zero %v", pathFromRoot, path, pathAfterZero)
	}
	if d := s1.Downstream(); d.Status != 429 {
		t.Errorf("the reply from the root callback should answer stream 1: %+v", d)
	}
	if d := s2.Downstream(); d.Status != 0 || s2.Ended() {
		t.Errorf("stream 2 should still wait: %+v", d)
	}
}

func TestEnvoy_ticks(t *testing.T) {
	var order []string
	e, ts := newEnvoy(t, Config{Workers: 2}, func(g *toy) {
		g.configure = func(t *toy) bool { t.h.SetTickPeriod(1000); return true }
	})
	w1 := 0
	ts.worker(1).tick = func(t *toy, _ uint32) {
		order = append(order, "w1@"+time.Unix(0, t.h.Now()).Sub(DefaultStart).String())
		if w1++; w1 == 4 {
			t.h.SetTickPeriod(0)
		}
	}
	e.Advance(500 * time.Millisecond)
	ts.worker(0).tick = func(t *toy, _ uint32) {
		order = append(order, "w0@"+time.Unix(0, t.h.Now()).Sub(DefaultStart).String())
		t.h.SetTickPeriod(700)
	}
	e.Advance(3 * time.Second)
	want := []string{"w0@1s", "w1@1s", "w0@1.7s", "w1@2s", "w0@2.4s", "w1@3s", "w0@3.1s"}
	if !reflect.DeepEqual(order, want) {
		t.Errorf("ticks = %v, want %v", order, want)
	}
	if now := e.Clock().Now(); !now.Equal(DefaultStart.Add(3500 * time.Millisecond)) {
		t.Errorf("clock = %v", now)
	}
	if strings.Count(ts.all[0].evs(), "tick") != 0 {
		t.Error("the canary must not tick")
	}
	e.Advance(10 * time.Second)
	if n := strings.Count(ts.worker(1).evs(), "tick"); n != 4 {
		t.Errorf("worker 1 ticked %d times after disabling at its 4th", n)
	}
}

func TestSharedData_casAcrossWorkers(t *testing.T) {
	e, ts := newEnvoy(t, Config{Workers: 2, VMID: "vm"}, nil)
	h0, h1 := ts.worker(0).h, ts.worker(1).h
	inCall := func(vm *VM, f func()) { vm.rootCall(vm.rootID, "test", f) }
	var steps []string
	step := func(st proxy.Status) { steps = append(steps, st.String()) }
	inCall(e.Worker(0), func() {
		_, _, st := h0.GetSharedData("k")
		step(st)                                     // NotFound
		step(h0.SetSharedData("k", []byte("a"), 42)) // missing key: any cas
	})
	var cas0 uint32
	inCall(e.Worker(1), func() {
		v, cas, st := h1.GetSharedData("k")
		if string(v) != "a" || cas != 1 {
			t.Errorf("worker 1 reads %q cas %d", v, cas)
		}
		step(st)
		cas0 = cas
		step(h1.SetSharedData("k", []byte("b"), cas)) // Ok, cas now 2
	})
	inCall(e.Worker(0), func() {
		step(h0.SetSharedData("k", []byte("c"), cas0)) // stale: CasMismatch
		step(h0.SetSharedData("k", []byte("d"), 0))    // unconditional
	})
	want := []string{"NotFound", "Ok", "Ok", "Ok", "CasMismatch", "Ok"}
	if !reflect.DeepEqual(steps, want) {
		t.Errorf("steps = %v, want %v", steps, want)
	}
	if v, cas, ok := e.SharedData("k"); !ok || string(v) != "d" || cas != 3 {
		t.Errorf("final = %q %d %t", v, cas, ok)
	}
	other, _ := newEnvoy(t, Config{VMID: "vm"}, nil)
	if _, _, ok := other.SharedData("k"); ok || len(other.SharedDataKeys()) != 0 {
		t.Error("a second Envoy must not see the first one's store")
	}
	if !reflect.DeepEqual(e.SharedDataKeys(), []string{"k"}) {
		t.Errorf("keys = %v", e.SharedDataKeys())
	}
}

func TestSharedData_casSkipsZero(t *testing.T) {
	e, _ := newEnvoy(t, Config{}, nil)
	e.nextCas = ^uint32(0)
	e.PutSharedData("a", nil)
	e.PutSharedData("b", nil)
	_, ca, _ := e.SharedData("a")
	_, cb, _ := e.SharedData("b")
	if ca != ^uint32(0) || cb != 1 {
		t.Errorf("cas = %d, %d", ca, cb)
	}
}

func TestHost_metrics(t *testing.T) {
	type res struct {
		ids                               []uint32
		incZero, incNeg, incHist, getHist proxy.Status
		badType, unknown                  proxy.Status
		get                               uint64
	}
	var r res
	e, ts := newEnvoy(t, Config{Workers: 2}, func(g *toy) {
		g.configure = func(t *toy) bool {
			c, _ := t.h.DefineMetric(proxy.MetricCounter, "apiguard.allowed")
			gg, _ := t.h.DefineMetric(proxy.MetricGauge, "apiguard.keys")
			h, _ := t.h.DefineMetric(proxy.MetricHistogram, "apiguard.latency")
			c2, _ := t.h.DefineMetric(proxy.MetricCounter, "apiguard.denied")
			r.ids = []uint32{c, gg, h, c2}
			return true
		}
	})
	for i := 0; i < 2; i++ {
		h := ts.worker(i).h
		e.Worker(i).rootCall(e.Worker(i).rootID, "test", func() {
			h.IncrementMetric(r.ids[0], 2)
			h.RecordMetric(r.ids[0], 3)
			h.RecordMetric(r.ids[1], 7)
			h.IncrementMetric(r.ids[1], -2)
			h.RecordMetric(r.ids[2], 12)
			r.incZero = h.IncrementMetric(r.ids[0], 0)
			r.incNeg = h.IncrementMetric(r.ids[0], -1)
			r.incHist = h.IncrementMetric(r.ids[2], 1)
			_, r.getHist = h.GetMetric(r.ids[2])
			_, r.badType = h.DefineMetric(proxy.MetricType(3), "x")
			r.unknown = h.IncrementMetric(404, 1)
			r.get, _ = h.GetMetric(r.ids[0])
		})
	}
	if !reflect.DeepEqual(r.ids, []uint32{4, 5, 6, 8}) {
		t.Errorf("ids = %v", r.ids)
	}
	if r.incZero != proxy.StatusBadArgument || r.incNeg != proxy.StatusBadArgument || r.incHist != proxy.StatusBadArgument ||
		r.getHist != proxy.StatusBadArgument || r.badType != proxy.StatusBadArgument || r.unknown != proxy.StatusNotFound {
		t.Errorf("statuses = %+v", r)
	}
	if r.get != 10 {
		t.Errorf("get on worker 1 = %d, want 10 (both workers' increments)", r.get)
	}
	want := map[string]int64{"wasmcustom.apiguard.allowed": 10, "wasmcustom.apiguard.keys": 5, "wasmcustom.apiguard.denied": 0}
	if got := e.Metrics(); !reflect.DeepEqual(got, want) {
		t.Errorf("metrics = %v, want %v", got, want)
	}
	if v, ok := e.Metric("wasmcustom.apiguard.allowed"); !ok || v != 10 {
		t.Errorf("Metric = %d %t", v, ok)
	}
	if h, ok := e.Histogram("wasmcustom.apiguard.latency"); !ok || !reflect.DeepEqual(h, []uint64{12, 12}) {
		t.Errorf("histogram = %v", h)
	}
}

func TestHost_properties(t *testing.T) {
	type prop struct {
		path []string
		want []byte
		st   proxy.Status
	}
	props := StreamProps{
		SourceAddress: "198.51.100.9:5555",
		TLS:           &TLSInfo{Version: "TLSv1.3", SNI: "api.example.com", MTLS: true, PeerSubject: "CN=client"},
		Extra:         map[string][]byte{"xds.route_name": []byte("r1")},
	}
	inHeaders := []prop{
		{[]string{"request", "path"}, []byte("/a/b?x=1#f"), proxy.StatusOK},
		{[]string{"request", "url_path"}, []byte("/a/b"), proxy.StatusOK},
		{[]string{"request", "query"}, []byte("x=1"), proxy.StatusOK},
		{[]string{"request", "host"}, []byte("api.example.com"), proxy.StatusOK},
		{[]string{"request", "method"}, []byte("POST"), proxy.StatusOK},
		{[]string{"request", "scheme"}, []byte("https"), proxy.StatusOK},
		{[]string{"request", "id"}, []byte("rid-1"), proxy.StatusOK},
		{[]string{"request", "protocol"}, []byte("HTTP/1.1"), proxy.StatusOK},
		{[]string{"request", "time"}, EncodeInt64(DefaultStart.UnixNano()), proxy.StatusOK},
		{[]string{"request", "headers", "x-dup"}, []byte("1,2"), proxy.StatusOK},
		{[]string{"request", "headers", "x-none"}, nil, proxy.StatusNotFound},
		{[]string{"request", "headers"}, proxy.EncodePairs(hdrs(":method", "POST", ":scheme", "https", ":authority", "api.example.com",
			":path", "/a/b?x=1#f", "x-request-id", "rid-1", "x-dup", "1,2")), proxy.StatusOK},
		{[]string{"source", "address"}, []byte("198.51.100.9:5555"), proxy.StatusOK},
		{[]string{"source", "port"}, EncodeInt64(5555), proxy.StatusOK},
		{[]string{"destination", "address"}, []byte("10.0.0.1:10000"), proxy.StatusOK},
		{[]string{"connection", "tls_version"}, []byte("TLSv1.3"), proxy.StatusOK},
		{[]string{"connection", "mtls"}, []byte{1}, proxy.StatusOK},
		{[]string{"connection", "requested_server_name"}, []byte("api.example.com"), proxy.StatusOK},
		{[]string{"connection", "subject_peer_certificate"}, []byte("CN=client"), proxy.StatusOK},
		{[]string{"plugin_name"}, []byte("apiguard"), proxy.StatusOK},
		{[]string{"plugin_root_id"}, []byte("root"), proxy.StatusOK},
		{[]string{"plugin_vm_id"}, []byte("vm"), proxy.StatusOK},
		{[]string{"xds", "node", "id"}, []byte("node-1"), proxy.StatusOK},
		{[]string{"xds", "route_name"}, []byte("r1"), proxy.StatusOK},
		{[]string{"nonsense"}, nil, proxy.StatusNotFound},
		{[]string{"request", "nonsense"}, nil, proxy.StatusNotFound},
		{[]string{"mine"}, []byte("v"), proxy.StatusOK},
	}
	inResponse := []prop{
		{[]string{"request", "path"}, nil, proxy.StatusNotFound},
		{[]string{"response", "code"}, EncodeInt64(202), proxy.StatusOK},
		{[]string{"response", "headers", "x-r"}, []byte("r"), proxy.StatusOK},
		{[]string{"mine"}, []byte("v"), proxy.StatusOK},
	}
	plain := []prop{
		{[]string{"connection", "tls_version"}, nil, proxy.StatusNotFound},
		{[]string{"connection", "mtls"}, []byte{0}, proxy.StatusOK},
		{[]string{"source", "address"}, []byte("203.0.113.7:40000"), proxy.StatusOK},
	}
	check := func(t *testing.T, h proxy.Host, where string, ps []prop) {
		t.Helper()
		for _, p := range ps {
			v, st := h.GetProperty(p.path)
			if st != p.st || !reflect.DeepEqual(v, p.want) && !(len(v) == 0 && len(p.want) == 0) {
				t.Errorf("%s %v = %q %v, want %q %v", where, p.path, v, st, p.want, p.st)
			}
		}
	}
	var rootSt, setRootSt proxy.Status
	e, _ := newEnvoy(t, Config{PluginName: "apiguard", RootID: "root", VMID: "vm", NodeID: "node-1"}, func(g *toy) {
		g.configure = func(t *toy) bool {
			_, rootSt = t.h.GetProperty([]string{"request", "path"})
			setRootSt = t.h.SetProperty([]string{"mine"}, []byte("v"))
			return true
		}
		g.reqHeaders = func(tt *toy, _ uint32, _ int, _ bool) proxy.Action {
			if st := tt.h.SetProperty([]string{"mine"}, []byte("v")); st != proxy.StatusOK {
				t.Errorf("set property = %v", st)
			}
			if v, _ := tt.h.GetProperty([]string{"source", "address"}); string(v) == "203.0.113.7:40000" {
				check(t, tt.h, "plain", plain)
				return proxy.Continue
			}
			check(t, tt.h, "request headers", inHeaders)
			return proxy.Continue
		}
		g.resHeaders = func(tt *toy, _ uint32, _ int, _ bool) proxy.Action {
			if v, _ := tt.h.GetProperty([]string{"source", "address"}); string(v) != "203.0.113.7:40000" {
				check(t, tt.h, "response headers", inResponse)
			}
			return proxy.Continue
		}
	})
	e.Worker(0).RoundTrip(Request{Method: "POST", Path: "/a/b?x=1#f", Headers: hdrs("x-request-id", "rid-1", "x-dup", "1", "x-dup", "2"), Props: props},
		func(UpstreamRequest) Response { return Response{Status: 202, Headers: hdrs("x-r", "r")} })
	e.Worker(0).RoundTrip(Request{}, echo(200, ""))
	if rootSt != proxy.StatusNotFound || setRootSt != proxy.StatusNotFound {
		t.Errorf("root context: get %v, set %v", rootSt, setRootSt)
	}
}

// TestEnvoy_workersConcurrently drives two workers from two goroutines, as
// Envoy's worker threads run, contending on one shared-data key with a CAS
// loop and one counter; run with -race to check the emulator's locking.
func TestEnvoy_workersConcurrently(t *testing.T) {
	const perWorker = 200
	e, _ := newEnvoy(t, Config{Workers: 2}, func(g *toy) {
		var counter uint32
		g.configure = func(t *toy) bool { counter, _ = t.h.DefineMetric(proxy.MetricCounter, "requests"); return true }
		g.reqHeaders = func(t *toy, _ uint32, _ int, _ bool) proxy.Action {
			t.h.IncrementMetric(counter, 1)
			for {
				v, cas, _ := t.h.GetSharedData("n")
				if t.h.SetSharedData("n", append(v, 'x'), cas) == proxy.StatusOK {
					return proxy.Continue
				}
			}
		}
	})
	done := make(chan struct{})
	for i := 0; i < 2; i++ {
		vm := e.Worker(i)
		go func() {
			defer func() { done <- struct{}{} }()
			for j := 0; j < perWorker; j++ {
				vm.RoundTrip(Request{}, echo(200, ""))
			}
		}()
	}
	<-done
	<-done
	if v, _, _ := e.SharedData("n"); len(v) != 2*perWorker {
		t.Errorf("shared value length = %d, want %d (lost CAS updates)", len(v), 2*perWorker)
	}
	if n, _ := e.Metric("wasmcustom.requests"); n != 2*perWorker {
		t.Errorf("counter = %d", n)
	}
}

// DrainLogs hands out every captured line once and keeps none.
func TestEnvoy_drainLogs(t *testing.T) {
	ts := &toys{setup: func(g *toy) {
		g.configure = func(t *toy) bool { t.h.Log(proxy.LogInfo, "configured"); return true }
	}}
	e, err := New(Config{Workers: 2}, ts.factory)
	if err != nil {
		t.Fatal(err)
	}
	first := e.DrainLogs()
	if got := len(first); got < 2 {
		t.Fatalf("drained %d lines, want the canary's and each worker's", got)
	}
	if again := e.DrainLogs(); len(again) != 0 {
		t.Errorf("second drain returned %v, want nothing", again)
	}
	if all := e.Logs(); len(all) != 0 {
		t.Errorf("Logs after drain = %v, want none", all)
	}
}
