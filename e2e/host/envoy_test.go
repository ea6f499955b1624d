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
