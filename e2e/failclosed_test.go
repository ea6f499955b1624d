package e2e

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/e2e/host/fault"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Fail closed (docs/responses.md "Guarantees"): when the filter cannot decide (a
// panic inside it, a hostcall that fails, a stream without its plugin
// context, request headers it cannot list) it refuses, and nothing it was
// told to check reaches either side unchecked.

// hostFault makes chosen hostcalls misbehave, for the guarantees that only
// show when something goes wrong inside the filter. Its hook is the
// fault.Hook of the guest's host (withPanics).
type hostFault struct {
	mu sync.Mutex
	// panicOn, while set, is asked about every intercepted hostcall; the
	// first call it matches panics (inside the plugin's callback, as a bug
	// of the plugin would) and disarms it.
	panicOn func(fault.Call) bool
	// tickStatus, when not OK, is what SetTickPeriod answers.
	tickStatus proxy.Status
	// ticks records every period asked for.
	ticks []uint32
}

const faultPanic = "injected fault"

func (f *hostFault) arm(match func(fault.Call) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.panicOn = match
}

func (f *hostFault) armed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.panicOn != nil
}

func (f *hostFault) hook(c fault.Call) proxy.Status {
	f.mu.Lock()
	if c.Method == "SetTickPeriod" {
		f.ticks = append(f.ticks, c.N)
		st := f.tickStatus
		f.mu.Unlock()
		return st
	}
	match := f.panicOn != nil && f.panicOn(c)
	if match {
		f.panicOn = nil
	}
	f.mu.Unlock()
	if match {
		panic(faultPanic + " in " + c.Method)
	}
	return proxy.StatusOK
}

// withPanics wraps a guest so that its hostcalls go through f.
func withPanics(g guest, f *hostFault) guest { return withFault(g, fault.Host{Hook: f.hook}) }

// onCall matches one header-map hostcall by name and map.
func onCall(method string, m proxy.MapType) func(fault.Call) bool {
	return func(c fault.Call) bool { return c.Method == method && c.Map == m }
}

// onBuffer matches one buffer hostcall by name and buffer.
func onBuffer(method string, b proxy.BufferType) func(fault.Call) bool {
	return func(c fault.Call) bool { return c.Method == method && c.Buffer == b }
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

// TestFailClosed_panicRecovered: docs/responses.md "Guarantees": a panic inside the
// module is recovered and answered as a refusal; the VM lives on.
//
// Native only. A Go panic of the host itself (this wrapper inside the
// wazero adapter) unwinds the host, not the module: the module's deferred
// recover never runs and the emulator records a VM trap, as Envoy would.
// No host answer makes the module's own code panic: filter/abi and the
// plugin check every size, status and encoding the host returns. So the
// module's recovery (plugin stream.run and safely, filter/abi's exports)
// can only be driven here, where the plugin runs natively.
func TestFailClosed_panicRecovered(t *testing.T) {
	g := guest{name: "native", factory: nativeFactory}
	ok := func(host.UpstreamRequest) host.Response { return defaultResponse }

	t.Run("request headers", func(t *testing.T) {
		f := &hostFault{}
		e := start(t, withPanics(g, f), routesConfig)
		vm := e.Worker(0)
		// At the one read of the request's header list (the request id
		// comes from it too, so the refusal has none to carry).
		f.arm(onCall("GetHeaderMapPairs", proxy.MapRequestHeaders))
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
		f.arm(onBuffer("GetBufferBytes", proxy.BufferRequestBody))
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
		f.arm(onBuffer("GetBufferBytes", proxy.BufferResponseBody))
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
		match        func(fault.Call) bool
	}{
		{"tick", "proxy_on_tick", func(c fault.Call) bool { return c.Method == "HttpCall" }},
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

// failing is a fault.Hook that fails the response-side hostcalls it
// names, as "Method" or "Method argument" (e.g. "GetBufferBytes",
// "RemoveHeaderMapValue content-length", "SendLocalResponse 503"), with
// the status a host returning an unexpected one would answer.
func failing(calls ...string) fault.Hook {
	return func(c fault.Call) proxy.Status {
		name, st := responseCall(c)
		if st != proxy.StatusOK && slices.Contains(calls, name) {
			return st
		}
		return proxy.StatusOK
	}
}

// responseCall names a hostcall of the response path as failing lists it,
// with the status it fails with; StatusOK for the calls it cannot fail.
func responseCall(c fault.Call) (string, proxy.Status) {
	switch c.Method {
	case "GetHeaderMapValue":
		if c.Map == proxy.MapResponseHeaders {
			return c.Method + " " + c.Key, proxy.StatusNotFound
		}
	case "GetHeaderMapPairs":
		if c.Map == proxy.MapResponseHeaders {
			return c.Method, proxy.StatusBadArgument
		}
	case "RemoveHeaderMapValue":
		if c.Map == proxy.MapResponseHeaders {
			return c.Method + " " + c.Key, proxy.StatusBadArgument
		}
	case "GetBufferStatus", "GetBufferBytes":
		if c.Buffer == proxy.BufferResponseBody {
			return c.Method, proxy.StatusNotFound
		}
	case "SetBufferBytes":
		if c.Buffer == proxy.BufferResponseBody {
			return c.Method, proxy.StatusBadArgument
		}
	case "SendLocalResponse":
		return c.Method + " " + strconv.Itoa(int(c.N)), proxy.StatusInternalFailure
	}
	return "", proxy.StatusOK
}

// leaked reports which sensitive values of ordersDoc (or the markers of the
// other documents) the client received.
func leaked(d host.Downstream) []string {
	var out []string
	for _, v := range append([]string{"SECRET-MARKER"}, sensitive...) {
		if bytes.Contains(d.Body, []byte(v)) {
			out = append(out, v)
		}
	}
	return out
}

// A failing hostcall never lets an unchecked body through: whatever the
// status a hostcall returns, the client gets a refusal, a reset, or at
// worst nothing, never the upstream document unredacted, and never a
// Content-Length that disagrees with the body it carries.
func TestFailClosed_responseHostFaults(t *testing.T) {
	secret5xx := `{"trace":"SECRET-MARKER at db.go:12"}`
	big := `{"pad":"` + strings.Repeat("x", 4000) + `","note":"SECRET-MARKER"}`
	cases := []struct {
		name  string
		hold  bool
		path  string
		fault fault.Hook
		resp  *host.Response
	}{
		{name: "status unreadable on an upstream 500", hold: true, path: "/plain",
			fault: failing("GetHeaderMapValue :status"), resp: jsonResp(500, secret5xx)},
		{name: "status unreadable on an inspected route", hold: true, path: "/orders",
			fault: failing("GetHeaderMapValue :status"), resp: jsonResp(503, secret5xx)},
		{name: "header pairs unreadable", hold: true, path: "/orders",
			fault: failing("GetHeaderMapPairs"), resp: jsonResp(200, ordersDoc)},
		{name: "body unreadable", hold: true, path: "/orders",
			fault: failing("GetBufferBytes"), resp: chunked(jsonResp(200, ordersDoc), 64)},
		{name: "body unreadable, no hold", path: "/orders",
			fault: failing("GetBufferBytes"), resp: chunked(jsonResp(200, ordersDoc), 64)},
		{name: "rewrite refused", hold: true, path: "/orders",
			fault: failing("SetBufferBytes"), resp: jsonResp(200, ordersDoc)},
		{name: "rewrite refused, no hold", path: "/orders",
			fault: failing("SetBufferBytes"), resp: chunked(jsonResp(200, ordersDoc), 50)},
		{name: "buffer status unreadable before trailers", hold: true, path: "/orders",
			fault: failing("GetBufferStatus"), resp: &host.Response{Status: 200,
				Headers: headers("content-type", "application/json"), Body: []byte(ordersDoc), Trailers: headers("x-t", "1")}},
		{name: "content-length not removable", hold: true, path: "/masked",
			fault: failing("RemoveHeaderMapValue content-length"),
			resp:  withLength(jsonResp(200, `{"token":1,"x":2}`))},
		{name: "5xx answer not sent", hold: true, path: "/plain",
			fault: failing("SendLocalResponse 503"), resp: jsonResp(503, secret5xx)},
		{name: "5xx answer not sent, no hold", path: "/orders",
			fault: failing("SendLocalResponse 500"), resp: chunked(jsonResp(500, secret5xx), 8)},
		{name: "502 not sent for an oversized body, no hold", path: "/orders",
			fault: failing("SendLocalResponse 502"), resp: chunked(jsonResp(200, big), 256)},
		{name: "502 not sent for an oversized body", hold: true, path: "/orders",
			fault: failing("SendLocalResponse 502"), resp: chunked(jsonResp(200, big), 256)},
		{name: "502 not sent for a duplicate key, trailers follow", hold: true, path: "/orders",
			fault: failing("SendLocalResponse 502"), resp: &host.Response{Status: 200,
				Headers: headers("content-type", "application/json"),
				Body:    []byte(`{"id":1,"id":"SECRET-MARKER"}`), Trailers: headers("x-t", "1")}},
		{name: "502 not sent for a refused type", hold: true, path: "/orders",
			fault: failing("SendLocalResponse 502"), resp: chunked(typedResp("text/html", "<p>SECRET-MARKER</p>"), 4)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				var sw fault.Switch
				e := respEnvoy(t, withFault(g, fault.Host{Hook: sw.Hook}), c.hold, "")
				sw.Set(c.fault)
				resp := *c.resp
				r := e.Worker(0).RoundTrip(host.Request{Path: c.path, Headers: headers("x-request-id", "rq-1")},
					func(host.UpstreamRequest) host.Response { return resp })
				sw.Set(nil)
				d := r.Downstream
				if l := leaked(d); len(l) > 0 {
					t.Fatalf("the client got %q (status %d, reset %v, details %q, body %q)\nlogs:\n%s",
						l, d.Status, d.Reset, d.Details, d.Body, logText(e))
				}
				if cl, ok := header(d.Headers, "content-length"); ok && !d.Reset && cl != strconv.Itoa(len(d.Body)) {
					t.Errorf("content-length %s but a body of %d bytes: %q", cl, len(d.Body), d.Body)
				}
				if d.Status == 0 && !d.Reset {
					t.Errorf("the stream hung: the client got neither an answer nor a reset (details %q)", d.Details)
				}
			})
		})
	}
}

// rootless makes every stream context refer to a root context the plugin
// never saw, as when proxy_on_context_create of the stream is routed to a
// root whose configuration failed on this worker.
type rootless struct{ proxy.Handler }

func (r rootless) OnContextCreate(contextID, parentID uint32) {
	if parentID != 0 {
		parentID += 1000
	}
	r.Handler.OnContextCreate(contextID, parentID)
}

// A stream without a configured plugin context fails closed with the
// generic 500, and that answer reaches the client: the filter's own local
// reply must not be held by the same filter's response callbacks.
func TestFailClosed_streamWithoutRoot(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := respEnvoy(t, withHandler(g, func(hd proxy.Handler) proxy.Handler { return rootless{hd} }), true, "")
		r := e.Worker(0).RoundTrip(host.Request{Path: "/plain"}, func(host.UpstreamRequest) host.Response {
			return *jsonResp(200, `{"x":"SECRET-MARKER"}`)
		})
		d := r.Downstream
		if r.UpstreamCalled {
			t.Errorf("a stream without a plugin context reached upstream")
		}
		if d.Status != 500 || d.Reset {
			t.Fatalf("status %d (reset %v, details %q), want the filter's 500\nlogs:\n%s", d.Status, d.Reset, d.Details, logText(e))
		}
		if !bytes.Equal(d.Body, problem.Body(500, "")) {
			t.Errorf("body %s, want the generic 500", d.Body)
		}
	})
}

// requestPairs is a host whose answer to GetHeaderMapPairs for the
// request headers fails with status (unless OK), or is the list as edit
// returns it.
func requestPairs(status proxy.Status, edit func([]proxy.Pair) []proxy.Pair) fault.Host {
	return fault.Host{
		Hook: func(c fault.Call) proxy.Status {
			if c.Method == "GetHeaderMapPairs" && c.Map == proxy.MapRequestHeaders {
				return status
			}
			return proxy.StatusOK
		},
		Pairs: func(m proxy.MapType, ps []proxy.Pair) []proxy.Pair {
			if m == proxy.MapRequestHeaders && edit != nil {
				ps = edit(ps)
			}
			return ps
		},
	}
}

// A host that cannot list the request headers gets a 500, never a pass:
// the filter cannot tell the method, the path or the credential, so
// nothing of the request can be checked. The refusal cannot carry the
// request id (it is one of the headers that could not be read).
func TestFailClosed_requestHeadersUnlisted(t *testing.T) {
	for _, st := range []proxy.Status{proxy.StatusNotFound, proxy.StatusBadArgument, proxy.StatusInternalFailure, proxy.StatusSerializationFailure} {
		t.Run(st.String(), func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				for _, cfg := range []struct{ name, config, path string }{
					{"no claims headers", routesConfig, "/healthz"},
					{"claims headers", authBenchConfig(t), "/p"},
				} {
					e := start(t, withFault(g, requestPairs(st, nil)), cfg.config)
					r := e.Worker(0).RoundTrip(host.Request{Path: cfg.path, Headers: headers("x-request-id", "rq-1")},
						func(host.UpstreamRequest) host.Response { return defaultResponse })
					d := r.Downstream
					if r.UpstreamCalled {
						t.Errorf("%s: the request reached upstream", cfg.name)
					}
					if d.Status != 500 || d.LocalReply != "apiguard_"+string(problem.ReasonInternal) {
						t.Fatalf("%s: status %d details %q, want 500 apiguard_internal_error\n%s", cfg.name, d.Status, d.LocalReply, logText(e))
					}
					if want := string(problem.Body(500, "")); string(d.Body) != want {
						t.Errorf("%s: body %s, want %s", cfg.name, d.Body, want)
					}
					if got := metric(t, e, "apiguard.denied.internal_error"); got != 1 {
						t.Errorf("%s: denied.internal_error = %d, want 1", cfg.name, got)
					}
				}
			})
		})
	}
}
