package e2e

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// hostFault makes chosen hostcalls misbehave, for the guarantees that only show
// when something goes wrong inside the filter.
type hostFault struct {
	mu sync.Mutex
	// panicOn, while set, is asked about every intercepted hostcall; the
	// first call it matches panics (inside the plugin's callback, as a bug
	// of the plugin would) and disarms it.
	panicOn func(call string, m proxy.MapType, key string) bool
	// tickStatus, when not OK, is what SetTickPeriod answers.
	tickStatus proxy.Status
	// ticks records every period asked for.
	ticks []uint32
}

const faultPanic = "injected fault"

func (f *hostFault) arm(match func(call string, m proxy.MapType, key string) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.panicOn = match
}

func (f *hostFault) check(call string, m proxy.MapType, key string) {
	f.mu.Lock()
	match := f.panicOn != nil && f.panicOn(call, m, key)
	if match {
		f.panicOn = nil
	}
	f.mu.Unlock()
	if match {
		panic(faultPanic + " in " + call)
	}
}

func (f *hostFault) armed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.panicOn != nil
}

// panicHost wraps the emulator's proxy.Host with a hostFault.
type panicHost struct {
	proxy.Host
	f *hostFault
}

func (h panicHost) GetHeaderMapValue(m proxy.MapType, key string) (string, proxy.Status) {
	h.f.check("GetHeaderMapValue", m, key)
	return h.Host.GetHeaderMapValue(m, key)
}

func (h panicHost) GetHeaderMapPairs(m proxy.MapType) ([]proxy.Pair, proxy.Status) {
	h.f.check("GetHeaderMapPairs", m, "")
	return h.Host.GetHeaderMapPairs(m)
}

func (h panicHost) GetBufferBytes(b proxy.BufferType, start, maxSize int) ([]byte, proxy.Status) {
	h.f.check("GetBufferBytes", proxy.MapType(b), "")
	return h.Host.GetBufferBytes(b, start, maxSize)
}

func (h panicHost) HttpCall(cluster string, headers []proxy.Pair, body []byte, trailers []proxy.Pair, timeoutMs uint32) (uint32, proxy.Status) {
	h.f.check("HttpCall", 0, cluster)
	return h.Host.HttpCall(cluster, headers, body, trailers, timeoutMs)
}

func (h panicHost) SetTickPeriod(ms uint32) proxy.Status {
	h.f.mu.Lock()
	h.f.ticks = append(h.f.ticks, ms)
	st := h.f.tickStatus
	h.f.mu.Unlock()
	if st != proxy.StatusOK {
		return st
	}
	return h.Host.SetTickPeriod(ms)
}

// faulty wraps a guest so that its hostcalls go through f.
func withPanics(g guest, f *hostFault) guest {
	factory := g.factory
	g.factory = func(h proxy.Host) (proxy.Handler, error) { return factory(panicHost{Host: h, f: f}) }
	return g
}

// on matches one hostcall by name, and by map (or buffer) type.
func onCall(call string, m proxy.MapType) func(string, proxy.MapType, string) bool {
	return func(c string, mt proxy.MapType, _ string) bool { return c == call && mt == m }
}

// wantInternalRefusal checks the 500 problem+json a recovered panic must
// become, and that nothing of the upstream's answer reached the client.
func wantInternalRefusal(t *testing.T, e *host.Envoy, d host.Downstream, id string) {
	t.Helper()
	if d.Status != 500 || d.LocalReply != "apiguard_"+string(problem.ReasonInternal) {
		t.Fatalf("status %d details %q, want 500 apiguard_%s\n%s", d.Status, d.LocalReply, problem.ReasonInternal, logText(e))
	}
	if got := d.Header("content-type"); got != problem.ContentType {
		t.Errorf("content-type %q, want %q", got, problem.ContentType)
	}
	if want := problem.Body(500, id); !bytes.Equal(d.Body, want) {
		t.Errorf("body %s, want %s", d.Body, want)
	}
	if bytes.Contains(d.Body, []byte(`"ok"`)) {
		t.Errorf("the upstream's body reached the client: %s", d.Body)
	}
}

// TestGuaranteePanicRecovered: DESIGN.md "Guarantees": a panic inside the
// module is recovered and answered as a refusal; the VM lives on.
//
// Native only. A Go panic of the host itself (this wrapper inside the
// wazero adapter) unwinds the host, not the module: the module's deferred
// recover never runs and the emulator records a VM trap, as Envoy would.
// No host answer makes the module's own code panic: filter/abi and the
// plugin check every size, status and encoding the host returns. So the
// module's recovery (plugin stream.run and safely, filter/abi's exports)
// can only be driven here, where the plugin runs natively.
func TestGuaranteePanicRecovered(t *testing.T) {
	g := guest{name: "native", factory: nativeFactory}
	ok := func(host.UpstreamRequest) host.Response { return defaultResponse }

	t.Run("request headers", func(t *testing.T) {
		f := &hostFault{}
		e := start(t, withPanics(g, f), routesConfig)
		vm := e.Worker(0)
		// At the one read of the request's header list (the request id
		// comes from it too, so the refusal has none to carry).
		f.arm(func(c string, m proxy.MapType, key string) bool {
			return c == "GetHeaderMapPairs" && m == proxy.MapRequestHeaders
		})
		x := exchange{req: host.Request{Path: "/healthz"}, want: 500, reason: problem.ReasonInternal}
		r := roundTrip(vm, x)
		check(t, e, x, r)
		if r.UpstreamCalled || r.Upstream.Headers != nil {
			t.Errorf("upstream saw the request: %+v", r.Upstream)
		}
		if l := e.LogsContaining("apiguard: panic in proxy_on_request_headers: " + faultPanic); len(l) != 1 {
			t.Errorf("panic log lines %v\n%s", l, logText(e))
		}
		if l := e.LogsContaining(`apiguard: deny route=- status=500 reason=internal_error`); len(l) != 1 {
			t.Errorf("deny lines %v", l)
		}
		if got := metric(t, e, "apiguard.denied.internal_error"); got != 1 {
			t.Errorf("denied.internal_error = %d, want 1", got)
		}
		if failed, why := vm.Failed(); failed {
			t.Fatalf("VM failed: %s", why)
		}
		if d := vm.RoundTrip(host.Request{Path: "/healthz"}, ok).Downstream; d.Status != 200 {
			t.Errorf("next request on the VM: status %d (%s)", d.Status, d.LocalReply)
		}
	})

	t.Run("request body", func(t *testing.T) {
		f := &hostFault{}
		e := start(t, withPanics(g, f), requestConfig(true))
		vm := e.Worker(0)
		f.arm(onCall("GetBufferBytes", proxy.MapType(proxy.BufferRequestBody)))
		x := exchange{req: post("/optional", `{"a":1}`, "x-request-id", "p2"), want: 500, reason: problem.ReasonInternal}
		r := roundTrip(vm, x)
		check(t, e, x, r)
		if r.Upstream.Headers != nil || len(r.Upstream.Body) != 0 {
			t.Errorf("upstream saw the request: %+v", r.Upstream)
		}
		if l := e.LogsContaining("apiguard: panic in proxy_on_request_body: " + faultPanic); len(l) != 1 {
			t.Errorf("panic log lines %v\n%s", l, logText(e))
		}
		if d := vm.RoundTrip(post("/optional", `{"a":1}`), ok).Downstream; d.Status != 200 {
			t.Errorf("next request on the VM: status %d (%s)", d.Status, d.LocalReply)
		}
	})

	t.Run("response headers", func(t *testing.T) {
		f := &hostFault{}
		e := start(t, withPanics(g, f), routesConfig)
		vm := e.Worker(0)
		f.arm(onCall("GetHeaderMapValue", proxy.MapResponseHeaders))
		r := vm.RoundTrip(host.Request{Path: "/healthz", Headers: headers("x-request-id", "p3")}, ok)
		wantInternalRefusal(t, e, r.Downstream, "p3")
		if l := e.LogsContaining("apiguard: panic in proxy_on_response_headers: " + faultPanic); len(l) != 1 {
			t.Errorf("panic log lines %v\n%s", l, logText(e))
		}
		if d := vm.RoundTrip(host.Request{Path: "/healthz"}, ok).Downstream; d.Status != 200 {
			t.Errorf("next request on the VM: status %d (%s)", d.Status, d.LocalReply)
		}
	})

	t.Run("response body", func(t *testing.T) {
		f := &hostFault{}
		e := respEnvoy(t, withPanics(g, f), true, "")
		vm := e.Worker(0)
		secret := host.Response{Status: 200, Headers: headers("content-type", "application/json"),
			Body: []byte(`{"id":1,"customer":{"ssn":"123-45-6789"},"ok":true}`)}
		up := func(host.UpstreamRequest) host.Response { return secret }
		f.arm(onCall("GetBufferBytes", proxy.MapType(proxy.BufferResponseBody)))
		r := vm.RoundTrip(host.Request{Path: "/orders/1", Headers: headers("x-request-id", "p4")}, up)
		wantInternalRefusal(t, e, r.Downstream, "p4")
		if bytes.Contains(r.Downstream.Body, []byte("123-45")) {
			t.Errorf("the unredacted body reached the client: %s", r.Downstream.Body)
		}
		if l := e.LogsContaining("apiguard: panic in proxy_on_response_body: " + faultPanic); len(l) != 1 {
			t.Errorf("panic log lines %v\n%s", l, logText(e))
		}
		d := vm.RoundTrip(host.Request{Path: "/orders/1"}, up).Downstream
		if d.Status != 200 || bytes.Contains(d.Body, []byte("123-45")) {
			t.Errorf("next request on the VM: status %d body %s", d.Status, d.Body)
		}
	})

	// Root-context work (ticks, callout answers) has no client to answer:
	// the panic is logged, and the requests waiting on that work fail
	// closed when their wait runs out; the next fetch succeeds.
	for _, c := range []struct {
		name, export string
		match        func(string, proxy.MapType, string) bool
	}{
		{"tick", "proxy_on_tick", onCall("HttpCall", 0)},
		{"http call response", "proxy_on_http_call_response", onCall("GetHeaderMapValue", proxy.MapHttpCallResponseHeaders)},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := &hostFault{}
			srv := &jwksServer{}
			srv.set(200, jwksOf(t, "rsa-a"), false)
			e := startRemote(t, withPanics(g, f), srv)
			tok := remoteToken(t, "rsa-a")
			f.arm(c.match)
			s := openReq(e.Worker(0), "/r", tok)
			e.Advance(100 * time.Millisecond)
			if f.armed() {
				t.Fatalf("the hostFault never fired\n%s", logText(e))
			}
			if l := e.LogsContaining("apiguard: panic in " + c.export + ": " + faultPanic); len(l) != 1 {
				t.Fatalf("panic log lines %v\n%s", l, logText(e))
			}
			if !waiting(s) {
				t.Fatalf("request did not keep waiting for keys: %+v", s.Downstream())
			}
			e.Advance(remoteTimeout)
			d := finish(s)
			if d.Status != 503 || d.LocalReply != "apiguard_"+string(problem.ReasonKeysUnavailable) {
				t.Fatalf("status %d (%s), want 503 apiguard_%s", d.Status, d.LocalReply, problem.ReasonKeysUnavailable)
			}
			for i, vm := range e.Workers() {
				if failed, why := vm.Failed(); failed {
					t.Fatalf("worker %d failed: %s", i, why)
				}
			}
			// The fetch lock the panicking worker held expires; a later
			// tick fetches and the keys serve.
			e.Advance(3 * time.Second)
			for i := range 2 {
				if d := finish(openReq(e.Worker(i), "/r", tok)); d.Status != 200 {
					t.Errorf("worker %d after recovery: status %d (%s)\n%s", i, d.Status, d.LocalReply, logText(e))
				}
			}
		})
	}
}

// floodDenies sends n refusals on worker 0 at the current instant.
func floodDenies(vm *host.VM, n int) {
	for i := 0; i < n; i++ {
		vm.RoundTrip(host.Request{Path: "/nope"}, nil)
	}
}

func droppedLine(n int, second time.Time) string {
	lines := "lines"
	if n == 1 {
		lines = "line"
	}
	return fmt.Sprintf("apiguard: deny log: dropped %d %s in the second from %s (over 100 a second)",
		n, lines, second.UTC().Format(time.RFC3339))
}

// TestGuaranteeDenyLogDropCount: DESIGN.md "Observability": at most 100
// refusal lines a second per worker, "then one line counting what was
// dropped". The count is written even when the flood stops (a tick the
// filter asks for only while a count is pending), names the second it
// counts, and is written once. The tick is Envoy's (proxy_on_tick), no
// runtime timer, so it holds on the 1.33 profile too.
func TestGuaranteeDenyLogDropCount(t *testing.T) {
	eachProfile(t, func(t *testing.T, g guest) {
		t.Run("flood stops", func(t *testing.T) {
			f := &hostFault{}
			e := start(t, withPanics(g, f), routesConfig)
			flood := e.Clock().Now()
			floodDenies(e.Worker(0), 130)
			if d := e.LogsContaining("dropped"); len(d) != 0 {
				t.Fatalf("count written within its second: %v", d)
			}
			e.Advance(5 * time.Second)
			d := e.LogsContaining("apiguard: deny log:")
			if len(d) != 1 || d[0].Msg != droppedLine(30, flood) || d[0].Level != proxy.LogWarn {
				t.Fatalf("drop lines %v, want one %q", d, droppedLine(30, flood))
			}
			// The tick was asked for once and stopped once the count was
			// written: nothing else ticks on this configuration.
			if fmt.Sprint(f.ticks) != "[1000 0]" {
				t.Errorf("tick periods asked for %v, want [1000 0]", f.ticks)
			}
			// A second flood, later, is counted on its own.
			flood2 := e.Clock().Now()
			floodDenies(e.Worker(0), 110)
			e.Advance(2 * time.Second)
			if d := e.LogsContaining("apiguard: deny log:"); len(d) != 2 || d[1].Msg != droppedLine(10, flood2) {
				t.Errorf("drop lines %v, want a second %q", d, droppedLine(10, flood2))
			}
		})

		t.Run("written by the next request", func(t *testing.T) {
			// Without the tick (the host refuses it), the next request on
			// the worker writes the count, allowed or refused.
			f := &hostFault{tickStatus: proxy.StatusBadArgument}
			e := start(t, withPanics(g, f), routesConfig)
			flood := e.Clock().Now()
			floodDenies(e.Worker(0), 120)
			e.Advance(90 * time.Second)
			if d := e.LogsContaining("dropped"); len(d) != 0 {
				t.Fatalf("count written without a tick or a request: %v", d)
			}
			e.Worker(0).RoundTrip(host.Request{Path: "/healthz"}, func(host.UpstreamRequest) host.Response { return defaultResponse })
			d := e.LogsContaining("apiguard: deny log:")
			if len(d) != 1 || d[0].Msg != droppedLine(20, flood) {
				t.Fatalf("drop lines %v, want one %q", d, droppedLine(20, flood))
			}
			e.Worker(0).RoundTrip(host.Request{Path: "/nope"}, nil)
			if d := e.LogsContaining("apiguard: deny log:"); len(d) != 1 {
				t.Errorf("count written twice: %v", d)
			}
		})

		t.Run("flood goes on", func(t *testing.T) {
			f := &hostFault{}
			e := start(t, withPanics(g, f), routesConfig)
			first := e.Clock().Now()
			floodDenies(e.Worker(0), 105)
			e.Clock().Advance(time.Second) // no tick fires
			floodDenies(e.Worker(0), 107)
			d := e.LogsContaining("apiguard: deny log:")
			if len(d) != 1 || d[0].Msg != droppedLine(5, first) {
				t.Fatalf("drop lines %v, want one %q", d, droppedLine(5, first))
			}
			e.Advance(3 * time.Second)
			d = e.LogsContaining("apiguard: deny log:")
			if len(d) != 2 || d[1].Msg != droppedLine(7, first.Add(time.Second)) {
				t.Fatalf("drop lines %v, want then %q", d, droppedLine(7, first.Add(time.Second)))
			}
			if n := len(e.LogsContaining("apiguard: deny route=")); n != 200 {
				t.Errorf("%d deny lines over two seconds, want 200", n)
			}
		})

		t.Run("root ticks already", func(t *testing.T) {
			// A configuration that ticks for its own work (remote keys)
			// gets no extra tick: its ticks write the count, and keep
			// running afterwards.
			f := &hostFault{}
			srv := &jwksServer{}
			srv.set(200, jwksOf(t, "rsa-a"), false)
			e := startRemote(t, withPanics(g, f), srv)
			flood := e.Clock().Now()
			floodDenies(e.Worker(0), 101)
			e.Advance(1100 * time.Millisecond)
			if d := e.LogsContaining("apiguard: deny log:"); len(d) != 1 || d[0].Msg != droppedLine(1, flood) {
				t.Fatalf("drop lines %v, want one %q", d, droppedLine(1, flood))
			}
			for _, ms := range f.ticks {
				if ms == 0 || ms == 1000 {
					t.Errorf("tick periods asked for %v: the limiter changed the root's ticks", f.ticks)
					break
				}
			}
			if d := finish(openReq(e.Worker(0), "/r", remoteToken(t, "rsa-a"))); d.Status != 200 {
				t.Errorf("remote keys after the flood: status %d (%s)", d.Status, d.LocalReply)
			}
		})
	})
}
