package host

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/filter/proxy"
)

func newEnvoy(t testing.TB, cfg Config, setup func(*toy)) (*Envoy, *toys) {
	t.Helper()
	ts := &toys{setup: setup}
	e, err := New(cfg, ts.factory)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e, ts
}

func echo(status int, body string) func(UpstreamRequest) Response {
	return func(UpstreamRequest) Response { return Response{Status: status, Body: []byte(body)} }
}

func TestEnvoy_contextIDsAndCallbackOrder(t *testing.T) {
	e, ts := newEnvoy(t, Config{Workers: 2, PluginConfig: []byte(`{"a":1}`), VMConfig: []byte("vm")}, nil)
	if got, want := ts.all[0].evs(), "create(1,0) vm_start(1,2) configure(1,7)"; got != want {
		t.Errorf("canary events = %q, want %q", got, want)
	}
	for i := 0; i < 2; i++ {
		if got, want := ts.worker(i).evs(), "create(1,0) vm_start(1,2) configure(1,7)"; got != want {
			t.Errorf("worker %d events = %q, want %q", i, got, want)
		}
	}
	w0 := ts.worker(0)
	w0.events = nil
	r := e.Worker(0).RoundTrip(Request{Method: "POST", Body: []byte("abc")}, echo(200, "ok"))
	r2 := e.Worker(0).RoundTrip(Request{}, echo(204, ""))
	want := "create(2,1) req_headers(2,false) req_body(2,3,true) resp_headers(2,false) resp_body(2,2,true) log(2) done(2) delete(2) " +
		"create(3,1) req_headers(3,true) resp_headers(3,true) log(3) done(3) delete(3)"
	if got := w0.evs(); got != want {
		t.Errorf("events =\n %q\nwant\n %q", got, want)
	}
	if r.Stream.ID() != 2 || r2.Stream.ID() != 3 {
		t.Errorf("ids = %d, %d; want 2, 3", r.Stream.ID(), r2.Stream.ID())
	}
	r3 := e.Worker(1).RoundTrip(Request{}, echo(200, ""))
	if r3.Stream.ID() != 2 {
		t.Errorf("worker 1 first stream id = %d, want 2 (ids are per VM)", r3.Stream.ID())
	}
	if !r.Stream.Ended() || e.Worker(0).contextExists(2) {
		t.Error("stream context should be gone after the stream ended")
	}
}

func TestRoundTrip_passThrough(t *testing.T) {
	e, _ := newEnvoy(t, Config{}, nil)
	var got UpstreamRequest
	r := e.Worker(0).RoundTrip(Request{
		Method: "PUT", Path: "/a?b=1", Headers: hdrs("X-Thing", "1"), Body: []byte("hello world"), ChunkSize: 4,
		Trailers: hdrs("x-sum", "9"),
	}, func(u UpstreamRequest) Response {
		got = u
		return Response{Status: 201, Headers: hdrs("Content-Type", "application/json"), Body: []byte(`{"ok":true}`), ChunkSize: 3}
	})
	if !r.UpstreamCalled {
		t.Fatal("upstream not called")
	}
	wantHdrs := hdrs(":method", "PUT", ":scheme", "http", ":authority", "api.example.com", ":path", "/a?b=1", "x-thing", "1")
	if !reflect.DeepEqual(got.Headers, wantHdrs) {
		t.Errorf("upstream headers = %v, want %v", got.Headers, wantHdrs)
	}
	if string(got.Body) != "hello world" || got.Header("x-sum") != "" || !reflect.DeepEqual(got.Trailers, hdrs("x-sum", "9")) {
		t.Errorf("upstream body %q trailers %v", got.Body, got.Trailers)
	}
	d := r.Downstream
	if d.Status != 201 || string(d.Body) != `{"ok":true}` || d.Header("content-type") != "application/json" || !d.EndOfStream || d.LocalReply != "" || d.Details != "via_upstream" {
		t.Errorf("downstream = %+v", d)
	}
	if r.Upstream.Reset || d.Reset {
		t.Error("nothing should be reset")
	}
}

// holdThenRelease builds a guest that returns StopIteration from the request
// headers, records body sizes, and continues the request when its HTTP
// callout is answered (the usual asynchronous pattern).
func holdThenRelease(stream *uint32) func(*toy) {
	return func(t *toy) {
		t.reqHeaders = func(t *toy, id uint32, _ int, _ bool) proxy.Action {
			*stream = id
			if _, st := t.h.HttpCall("auth", hdrs(":method", "GET", ":path", "/check", ":authority", "auth"), nil, nil, 1000); st != proxy.StatusOK {
				panic(st)
			}
			return proxy.StopIteration
		}
		t.httpResp = func(t *toy, _, _ uint32, _, _, _ int) {
			if st := t.h.SetEffectiveContext(*stream); st != proxy.StatusOK {
				panic(st)
			}
			t.h.ContinueStream(proxy.StreamRequest)
		}
	}
}

func okCluster() map[string]Cluster {
	return map[string]Cluster{"auth": {HTTP: func(HTTPRequest) (HTTPResponse, error) {
		return HTTPResponse{Headers: hdrs(":status", "200")}, nil
	}}}
}

func TestStream_stopIterationWithFlag(t *testing.T) {
	var id uint32
	e, ts := newEnvoy(t, Config{AllowOnHeadersStopIteration: true, Delivery: DeliverManually, Clusters: okCluster()}, func(g *toy) {
		holdThenRelease(&id)(g)
		g.reqBody = func(*toy, uint32, int, bool) proxy.Action { return proxy.StopIterationAndBuffer }
	})
	g := ts.worker(0)
	s := e.Worker(0).NewStream(StreamProps{})
	s.RequestHeaders(reqHdrs(), false)
	s.RequestBody([]byte("abc"), false)
	if s.Upstream().Headers != nil {
		t.Fatal("headers released while held")
	}
	if !strings.Contains(g.evs(), "req_body(2,3,false)") {
		t.Errorf("body callback should arrive while headers are held: %s", g.evs())
	}
	if n := e.DeliverCallouts(); n != 1 {
		t.Fatalf("delivered %d callouts", n)
	}
	up := s.Upstream()
	if up.Headers == nil || string(up.Body) != "abc" || up.EndOfStream {
		t.Fatalf("after continue upstream = %+v", up)
	}
	s.RequestBody([]byte("def"), true)
	if up := s.Upstream(); string(up.Body) != "abc" || up.EndOfStream {
		t.Errorf("the filter buffers again: upstream = %+v", up)
	}
}

func TestStream_bodyContinueReleasesHeldHeaders(t *testing.T) {
	e, _ := newEnvoy(t, Config{AllowOnHeadersStopIteration: true}, func(g *toy) {
		g.reqHeaders = func(*toy, uint32, int, bool) proxy.Action { return proxy.StopIteration }
		g.reqBody = func(_ *toy, _ uint32, _ int, eos bool) proxy.Action {
			if eos {
				return proxy.Continue
			}
			return proxy.StopIterationAndBuffer
		}
	})
	s := e.Worker(0).NewStream(StreamProps{})
	s.RequestHeaders(reqHdrs(), false)
	s.RequestBody([]byte("abc"), false)
	if s.Upstream().Headers != nil {
		t.Fatal("headers released early")
	}
	s.RequestBody([]byte("def"), true)
	if up := s.Upstream(); up.Headers == nil || string(up.Body) != "abcdef" || !up.EndOfStream {
		t.Errorf("upstream = %+v", up)
	}
}

func TestStream_stopIterationWithoutFlag(t *testing.T) {
	var id uint32
	e, ts := newEnvoy(t, Config{Delivery: DeliverManually, Clusters: okCluster()}, holdThenRelease(&id))
	g := ts.worker(0)
	s := e.Worker(0).NewStream(StreamProps{})
	s.RequestHeaders(reqHdrs(), false)
	s.RequestBody([]byte("abc"), false)
	s.RequestBody([]byte("def"), true)
	if strings.Contains(g.evs(), "req_body") {
		t.Fatalf("no body callback may arrive under StopAllIterationAndWatermark: %s", g.evs())
	}
	e.DeliverCallouts()
	if !strings.HasSuffix(g.evs(), "http_resp(1,1,1,0,0) req_body(2,6,true)") {
		t.Errorf("buffered body should reach the filter once it continues: %s", g.evs())
	}
	if up := s.Upstream(); up.Headers == nil || string(up.Body) != "abcdef" || !up.EndOfStream {
		t.Errorf("upstream = %+v", up)
	}
}

func TestStream_headerStatusConversion(t *testing.T) {
	tests := []struct {
		name      string
		allow     bool
		ret       proxy.Action
		wantBody  bool // body callback arrives while stopped
		wantAhead bool // headers reach upstream at once
	}{
		{"continue", false, proxy.Continue, true, true},
		{"stop iteration with flag", true, proxy.StopIteration, true, false},
		{"stop iteration without flag", false, proxy.StopIteration, false, false},
		{"stop all and buffer", true, proxy.StopAllIterationAndBuffer, false, false},
		{"stop all and watermark", true, proxy.StopAllIterationAndWatermark, false, false},
		{"unknown value", true, proxy.Action(9), false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, ts := newEnvoy(t, Config{AllowOnHeadersStopIteration: tc.allow}, func(g *toy) {
				g.reqHeaders = func(*toy, uint32, int, bool) proxy.Action { return tc.ret }
				g.reqBody = func(*toy, uint32, int, bool) proxy.Action { return proxy.StopIterationAndBuffer }
			})
			s := e.Worker(0).NewStream(StreamProps{})
			s.RequestHeaders(reqHdrs(), false)
			s.RequestBody([]byte("x"), false)
			if got := strings.Contains(ts.worker(0).evs(), "req_body"); got != tc.wantBody {
				t.Errorf("body callback = %t, want %t (%s)", got, tc.wantBody, ts.worker(0).evs())
			}
			if got := s.Upstream().Headers != nil; got != tc.wantAhead {
				t.Errorf("headers upstream = %t, want %t", got, tc.wantAhead)
			}
		})
	}
}

func TestStream_bodyBuffering(t *testing.T) {
	var sizes []int
	var full []byte
	e, _ := newEnvoy(t, Config{}, func(g *toy) {
		g.reqBody = func(t *toy, _ uint32, size int, eos bool) proxy.Action {
			sizes = append(sizes, size)
			if !eos {
				return proxy.StopIterationAndBuffer
			}
			full, _ = t.h.GetBufferBytes(proxy.BufferRequestBody, 0, size)
			if st := t.h.SetBufferBytes(proxy.BufferRequestBody, 0, size, []byte("REPLACED")); st != proxy.StatusOK {
				panic(st)
			}
			return proxy.Continue
		}
	})
	r := e.Worker(0).RoundTrip(Request{Method: "POST", Body: []byte("abcdefghi"), ChunkSize: 3}, echo(200, ""))
	if !reflect.DeepEqual(sizes, []int{3, 6, 9}) {
		t.Errorf("body sizes = %v, want [3 6 9]", sizes)
	}
	if string(full) != "abcdefghi" {
		t.Errorf("buffered body = %q", full)
	}
	if string(r.Upstream.Body) != "REPLACED" {
		t.Errorf("upstream body = %q", r.Upstream.Body)
	}
}

func TestStream_bodyDataStatuses(t *testing.T) {
	tests := []struct {
		name     string
		ret      proxy.Action
		wantSize []int
		wantUp   string
	}{
		{"continue streams each chunk", proxy.Continue, []int{2, 2, 2}, "aabbcc"},
		{"buffer accumulates", proxy.StopIterationAndBuffer, []int{2, 4, 6}, "aabbcc"},
		{"watermark holds but shows chunks", proxy.StopIterationAndWatermark, []int{2, 2, 2}, "aabbcc"},
		{"no buffer drops stopped chunks", proxy.StopIterationNoBuffer, []int{2, 2, 2}, "cc"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var sizes []int
			e, _ := newEnvoy(t, Config{}, func(g *toy) {
				g.reqBody = func(_ *toy, _ uint32, size int, eos bool) proxy.Action {
					sizes = append(sizes, size)
					if eos {
						return proxy.Continue
					}
					return tc.ret
				}
			})
			r := e.Worker(0).RoundTrip(Request{Body: []byte("aabbcc"), ChunkSize: 2}, echo(200, ""))
			if !reflect.DeepEqual(sizes, tc.wantSize) {
				t.Errorf("sizes = %v, want %v", sizes, tc.wantSize)
			}
			if string(r.Upstream.Body) != tc.wantUp || !r.Upstream.EndOfStream {
				t.Errorf("upstream body = %q (eos %t), want %q", r.Upstream.Body, r.Upstream.EndOfStream, tc.wantUp)
			}
		})
	}
}

func TestHost_bufferBytes(t *testing.T) {
	type op struct {
		start, size int
		data        string
		wantSt      proxy.Status
		want        string
	}
	tests := []op{
		{0, 0, "ab", proxy.StatusOK, "abhello"},
		{0, 5, "x", proxy.StatusOK, "x"},
		{0, 99, "x", proxy.StatusOK, "x"},
		{0, 2, "x", proxy.StatusBadArgument, "hello"},
		{5, 0, "!", proxy.StatusOK, "hello!"},
		{9, 3, "!", proxy.StatusOK, "hello!"},
		{2, 0, "x", proxy.StatusBadArgument, "hello"},
		{-1, 0, "x", proxy.StatusBadArgument, "hello"},
	}
	for _, tc := range tests {
		var st proxy.Status
		var after []byte
		e, _ := newEnvoy(t, Config{}, func(g *toy) {
			g.reqBody = func(t *toy, _ uint32, _ int, _ bool) proxy.Action {
				st = t.h.SetBufferBytes(proxy.BufferRequestBody, tc.start, tc.size, []byte(tc.data))
				after, _ = t.h.GetBufferBytes(proxy.BufferRequestBody, 0, 100)
				return proxy.Continue
			}
		})
		r := e.Worker(0).RoundTrip(Request{Body: []byte("hello")}, echo(200, ""))
		if st != tc.wantSt || string(after) != tc.want || string(r.Upstream.Body) != tc.want {
			t.Errorf("set(%d,%d,%q) = %v, buffer %q, upstream %q; want %v, %q", tc.start, tc.size, tc.data, st, after, r.Upstream.Body, tc.wantSt, tc.want)
		}
	}

	gets := []struct {
		start, max int
		want       string
		wantSt     proxy.Status
	}{
		{0, 5, "hello", proxy.StatusOK},
		{1, 100, "ello", proxy.StatusOK},
		{5, 10, "", proxy.StatusOK},
		{6, 1, "", proxy.StatusInvalidMemoryAccess},
		{0, -1, "", proxy.StatusBadArgument},
	}
	for _, tc := range gets {
		var got []byte
		var st proxy.Status
		e, _ := newEnvoy(t, Config{}, func(g *toy) {
			g.reqBody = func(t *toy, _ uint32, _ int, _ bool) proxy.Action {
				got, st = t.h.GetBufferBytes(proxy.BufferRequestBody, tc.start, tc.max)
				return proxy.Continue
			}
		})
		e.Worker(0).RoundTrip(Request{Body: []byte("hello")}, echo(200, ""))
		if string(got) != tc.want || st != tc.wantSt {
			t.Errorf("get(%d,%d) = %q, %v; want %q, %v", tc.start, tc.max, got, st, tc.want, tc.wantSt)
		}
	}
}

func TestHost_buffersOutsideTheirPhase(t *testing.T) {
	type res struct {
		bodyGet               []byte
		bodyGetSt, bodySetSt  proxy.Status
		pluginSt, vmSt        proxy.Status
		vmCfg                 []byte
		pluginInConfigure     []byte
		callSt, grpcSt, badSt proxy.Status
	}
	var r res
	e, _ := newEnvoy(t, Config{PluginConfig: []byte("pc"), VMConfig: []byte("vc")}, func(g *toy) {
		g.configure = func(t *toy) bool {
			r.pluginInConfigure, _ = t.h.GetBufferBytes(proxy.BufferPluginConfiguration, 0, 10)
			return true
		}
		g.reqHeaders = func(t *toy, _ uint32, _ int, _ bool) proxy.Action {
			r.bodyGet, r.bodyGetSt = t.h.GetBufferBytes(proxy.BufferRequestBody, 0, 10)
			r.bodySetSt = t.h.SetBufferBytes(proxy.BufferRequestBody, 0, 0, []byte("x"))
			_, r.pluginSt = t.h.GetBufferBytes(proxy.BufferPluginConfiguration, 0, 10)
			r.vmCfg, r.vmSt = t.h.GetBufferBytes(proxy.BufferVMConfiguration, 0, 10)
			_, r.callSt = t.h.GetBufferBytes(proxy.BufferHttpCallResponseBody, 0, 10)
			_, _, r.grpcSt = t.h.GetBufferStatus(proxy.BufferGrpcReceive)
			_, r.badSt = t.h.GetBufferBytes(proxy.BufferType(9), 0, 1)
			return proxy.Continue
		}
	})
	e.Worker(0).RoundTrip(Request{Body: []byte("body")}, echo(200, ""))
	if string(r.pluginInConfigure) != "pc" {
		t.Errorf("plugin config in configure = %q", r.pluginInConfigure)
	}
	if r.bodyGet != nil || r.bodyGetSt != proxy.StatusOK || r.bodySetSt != proxy.StatusBadArgument {
		t.Errorf("request body outside body callback: get %q %v, set %v", r.bodyGet, r.bodyGetSt, r.bodySetSt)
	}
	if r.pluginSt != proxy.StatusNotFound || r.vmSt != proxy.StatusOK || string(r.vmCfg) != "vc" {
		t.Errorf("config buffers: plugin %v, vm %v %q", r.pluginSt, r.vmSt, r.vmCfg)
	}
	if r.callSt != proxy.StatusNotFound || r.grpcSt != proxy.StatusOK || r.badSt != proxy.StatusBadArgument {
		t.Errorf("callout buffers: http %v grpc %v, unknown buffer %v", r.callSt, r.grpcSt, r.badSt)
	}
}

func TestStream_requestOverBufferLimit(t *testing.T) {
	tests := []struct {
		name       string
		hdrRet     proxy.Action
		wantBodies string
	}{
		{"body buffering", proxy.Continue, "req_body(2,4,false) req_body(2,8,false)"},
		{"stop all and buffer", proxy.StopAllIterationAndBuffer, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, ts := newEnvoy(t, Config{BufferLimit: 10, AllowOnHeadersStopIteration: true}, func(g *toy) {
				g.reqHeaders = func(*toy, uint32, int, bool) proxy.Action { return tc.hdrRet }
				g.reqBody = func(*toy, uint32, int, bool) proxy.Action { return proxy.StopIterationAndBuffer }
			})
			r := e.Worker(0).RoundTrip(Request{Body: []byte("aaaabbbbccccdddd"), ChunkSize: 4}, echo(200, ""))
			g := ts.worker(0)
			var bodies []string
			for _, ev := range g.events {
				if strings.HasPrefix(ev, "req_body") {
					bodies = append(bodies, ev)
				}
			}
			if got := strings.Join(bodies, " "); got != tc.wantBodies {
				t.Errorf("body callbacks = %q, want %q", got, tc.wantBodies)
			}
			d := r.Downstream
			if d.Status != 413 || d.LocalReply != "request_payload_too_large" || string(d.Body) != "Payload Too Large" {
				t.Errorf("downstream = %+v", d)
			}
			if !strings.Contains(g.evs(), "resp_headers(2,false) resp_body(2,17,true)") {
				t.Errorf("the 413 goes through the filter's encoder callbacks: %s", g.evs())
			}
			if r.UpstreamCalled {
				t.Error("upstream must not be called")
			}
		})
	}
}

func TestStream_responseOverBufferLimit(t *testing.T) {
	tests := []struct {
		name      string
		hdrRet    proxy.Action
		wantReset bool
		wantCode  int
	}{
		{"headers already sent: reset", proxy.Continue, true, 200},
		{"headers held: 500", proxy.StopAllIterationAndBuffer, false, 500},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newEnvoy(t, Config{BufferLimit: 5}, func(g *toy) {
				g.resHeaders = func(*toy, uint32, int, bool) proxy.Action { return tc.hdrRet }
				g.resBody = func(*toy, uint32, int, bool) proxy.Action { return proxy.StopIterationAndBuffer }
			})
			r := e.Worker(0).RoundTrip(Request{}, func(UpstreamRequest) Response {
				return Response{Body: []byte("0123456789"), ChunkSize: 3}
			})
			d := r.Downstream
			if d.Reset != tc.wantReset || d.Status != tc.wantCode {
				t.Errorf("downstream = %+v", d)
			}
			if !tc.wantReset && (d.LocalReply != "response_payload_too_large" || string(d.Body) != "Internal Server Error") {
				t.Errorf("500 reply = %+v", d)
			}
			if !r.Upstream.Reset {
				t.Error("the upstream response was cut short: upstream reset expected")
			}
		})
	}
}

func TestStream_localReplyPhases(t *testing.T) {
	reply := func(t *toy) {
		t.h.SendLocalResponse(401, "bad token", []byte("nope"), hdrs("WWW-Authenticate", `Bearer realm="x"`), -1)
	}
	tests := []struct {
		name        string
		setup       func(*toy)
		wantStatus  int
		wantReset   bool
		wantUpReset bool
		wantUpHdrs  bool
		wantEvents  string // substring of the guest's events after the reply
	}{
		{
			name: "request headers: through the encoder filters",
			setup: func(g *toy) {
				g.reqHeaders = func(t *toy, _ uint32, _ int, _ bool) proxy.Action { reply(t); return proxy.Continue }
			},
			wantStatus: 401,
			wantEvents: "req_headers(2,false) resp_headers(2,false) resp_body(2,4,true) log(2)",
		},
		{
			name: "request body after headers went upstream",
			setup: func(g *toy) {
				g.reqBody = func(t *toy, _ uint32, _ int, _ bool) proxy.Action { reply(t); return proxy.Continue }
			},
			wantStatus: 401, wantUpReset: true, wantUpHdrs: true,
			wantEvents: "req_body(2,4,true) resp_headers(2,false) resp_body(2,4,true) log(2)",
		},
		{
			name: "response headers: straight to the client",
			setup: func(g *toy) {
				g.resHeaders = func(t *toy, _ uint32, _ int, _ bool) proxy.Action { reply(t); return proxy.Continue }
			},
			wantStatus: 401, wantUpReset: true, wantUpHdrs: true,
			wantEvents: "resp_headers(2,false) log(2)",
		},
		{
			name: "response body after headers were sent: reset",
			setup: func(g *toy) {
				g.resBody = func(t *toy, _ uint32, _ int, _ bool) proxy.Action { reply(t); return proxy.Continue }
			},
			wantStatus: 200, wantReset: true, wantUpHdrs: true,
			wantEvents: "resp_body(2,8,true) log(2)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, ts := newEnvoy(t, Config{}, tc.setup)
			r := e.Worker(0).RoundTrip(Request{Method: "POST", Body: []byte("body")}, echo(200, "upstream"))
			d := r.Downstream
			if d.Status != tc.wantStatus || d.Reset != tc.wantReset {
				t.Fatalf("downstream = %+v", d)
			}
			if !tc.wantReset {
				if d.LocalReply != "bad_token" || string(d.Body) != "nope" || d.Header("www-authenticate") != `Bearer realm="x"` ||
					d.Header("content-length") != "4" || d.Header("content-type") != "text/plain" {
					t.Errorf("reply = %+v", d)
				}
			}
			if r.Upstream.Reset != tc.wantUpReset || (r.Upstream.Headers != nil) != tc.wantUpHdrs {
				t.Errorf("upstream = %+v", r.Upstream)
			}
			if ev := ts.worker(0).evs(); !strings.Contains(ev, tc.wantEvents) {
				t.Errorf("events %q lack %q", ev, tc.wantEvents)
			}
		})
	}
}

func TestStream_localReplyShapes(t *testing.T) {
	tests := []struct {
		name     string
		req      Request
		body     string
		extra    []proxy.Pair
		grpc     int32
		wantHdrs []proxy.Pair
		wantBody string
	}{
		{
			name: "plain with own content type", body: "{}", extra: hdrs("Content-Type", "application/problem+json"), grpc: -1,
			wantHdrs: hdrs(":status", "403", "content-type", "application/problem+json", "content-length", "2"), wantBody: "{}",
		},
		{
			name: "empty body drops content headers", extra: hdrs("content-type", "x/y", "x-a", "1"), grpc: -1,
			wantHdrs: hdrs(":status", "403", "x-a", "1"),
		},
		{
			name: "head request", req: Request{Method: "HEAD"}, body: "gone", grpc: -1,
			wantHdrs: hdrs(":status", "403", "content-length", "4", "content-type", "text/plain"),
		},
		{
			name: "grpc request is trailers-only", req: Request{Headers: hdrs("content-type", "application/grpc")}, body: "denied\n", grpc: -1,
			wantHdrs: hdrs(":status", "200", "content-type", "application/grpc", "grpc-status", "7", "grpc-message", "denied"),
		},
		{
			name: "grpc status given", req: Request{Headers: hdrs("content-type", "application/grpc")}, grpc: 16,
			wantHdrs: hdrs(":status", "200", "content-type", "application/grpc", "grpc-status", "16"),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newEnvoy(t, Config{}, func(g *toy) {
				g.reqHeaders = func(t *toy, _ uint32, _ int, _ bool) proxy.Action {
					t.h.SendLocalResponse(403, "denied", []byte(tc.body), tc.extra, tc.grpc)
					return proxy.Continue
				}
			})
			d := e.Worker(0).RoundTrip(tc.req, echo(200, "")).Downstream
			if !reflect.DeepEqual(d.Headers, tc.wantHdrs) || string(d.Body) != tc.wantBody || !d.EndOfStream {
				t.Errorf("reply headers %v body %q, want %v %q", d.Headers, d.Body, tc.wantHdrs, tc.wantBody)
			}
		})
	}
}

func TestStream_secondLocalReply(t *testing.T) {
	t.Run("same callback: the first wins", func(t *testing.T) {
		e, _ := newEnvoy(t, Config{}, func(g *toy) {
			g.reqHeaders = func(t *toy, _ uint32, _ int, _ bool) proxy.Action {
				t.h.SendLocalResponse(401, "first", nil, nil, -1)
				t.h.SendLocalResponse(403, "second", nil, nil, -1)
				return proxy.Continue
			}
		})
		d := e.Worker(0).RoundTrip(Request{}, echo(200, "")).Downstream
		if d.Status != 401 || d.LocalReply != "first" {
			t.Errorf("downstream = %+v", d)
		}
	})
	t.Run("from the encoder callback of the first: direct reply wins", func(t *testing.T) {
		e, _ := newEnvoy(t, Config{}, func(g *toy) {
			g.reqHeaders = func(t *toy, _ uint32, _ int, _ bool) proxy.Action {
				t.h.SendLocalResponse(401, "first", []byte("a"), nil, -1)
				return proxy.Continue
			}
			g.resHeaders = func(t *toy, _ uint32, _ int, _ bool) proxy.Action {
				t.h.SendLocalResponse(502, "second", []byte("bb"), nil, -1)
				return proxy.Continue
			}
		})
		d := e.Worker(0).RoundTrip(Request{}, echo(200, "")).Downstream
		if d.Status != 502 || d.LocalReply != "second" || string(d.Body) != "bb" {
			t.Errorf("downstream = %+v", d)
		}
	})
}

func TestStream_localReplyFromRootContextIsNoop(t *testing.T) {
	var st proxy.Status
	e, _ := newEnvoy(t, Config{}, func(g *toy) {
		g.configure = func(t *toy) bool {
			st = t.h.SendLocalResponse(500, "x", nil, nil, -1)
			return true
		}
	})
	if st != proxy.StatusOK {
		t.Errorf("status = %v", st)
	}
	if d := e.Worker(0).RoundTrip(Request{}, echo(200, "")).Downstream; d.Status != 200 {
		t.Errorf("downstream = %+v", d)
	}
}

func TestStream_continueIsDeferred(t *testing.T) {
	var s *Stream
	var sawUpstreamInside bool
	e, _ := newEnvoy(t, Config{AllowOnHeadersStopIteration: true}, func(g *toy) {
		g.reqHeaders = func(t *toy, _ uint32, _ int, _ bool) proxy.Action {
			t.h.ContinueStream(proxy.StreamRequest)
			sawUpstreamInside = s.Upstream().Headers != nil
			return proxy.StopIteration
		}
	})
	s = e.Worker(0).NewStream(StreamProps{})
	s.RequestHeaders(reqHdrs(), true)
	if sawUpstreamInside {
		t.Error("continue took effect inside the callback")
	}
	if up := s.Upstream(); up.Headers == nil || !up.EndOfStream {
		t.Errorf("continue after the callback should release the request: %+v", up)
	}
}

func TestStream_trailers(t *testing.T) {
	e, ts := newEnvoy(t, Config{}, func(g *toy) {
		g.reqBody = func(*toy, uint32, int, bool) proxy.Action { return proxy.StopIterationAndBuffer }
	})
	s := e.Worker(0).NewStream(StreamProps{})
	s.RequestHeaders(reqHdrs(), false)
	s.RequestBody([]byte("ab"), false)
	s.RequestBody([]byte("cd"), false)
	if up := s.Upstream(); len(up.Body) != 0 {
		t.Fatalf("body should be held: %+v", up)
	}
	s.RequestTrailers(hdrs("X-Checksum", "1"))
	up := s.Upstream()
	if string(up.Body) != "abcd" || !reflect.DeepEqual(up.Trailers, hdrs("x-checksum", "1")) || !up.EndOfStream {
		t.Errorf("upstream = %+v", up)
	}
	if !strings.Contains(ts.worker(0).evs(), "req_body(2,2,false) req_body(2,4,false) req_trailers(2,1)") {
		t.Errorf("events = %s", ts.worker(0).evs())
	}
}

func TestStream_trailersAddedInLastBodyCallback(t *testing.T) {
	e, _ := newEnvoy(t, Config{}, func(g *toy) {
		g.resBody = func(t *toy, _ uint32, _ int, eos bool) proxy.Action {
			if eos {
				if st := t.h.AddHeaderMapValue(proxy.MapResponseTrailers, "X-Digest", "d"); st != proxy.StatusOK {
					panic(st)
				}
			}
			return proxy.Continue
		}
	})
	d := e.Worker(0).RoundTrip(Request{}, echo(200, "body")).Downstream
	if string(d.Body) != "body" || !reflect.DeepEqual(d.Trailers, hdrs("x-digest", "d")) || !d.EndOfStream {
		t.Errorf("downstream = %+v", d)
	}
}

func TestHost_headerMaps(t *testing.T) {
	type obs struct {
		first, missing               string
		firstSt, missingSt, badMapSt proxy.Status
		afterAdd                     []proxy.Pair
		reqInResp                    proxy.Status
		reqPairsInResp               []proxy.Pair
		reqPairsInRespSt             proxy.Status
		respInResp                   string
		mutateReleased               proxy.Status
		logReq, logResp              string
		logMutate                    proxy.Status
		removeAbsent                 proxy.Status
	}
	var o obs
	e, _ := newEnvoy(t, Config{}, func(g *toy) {
		g.reqHeaders = func(t *toy, _ uint32, _ int, _ bool) proxy.Action {
			o.first, o.firstSt = t.h.GetHeaderMapValue(proxy.MapRequestHeaders, "X-Dup")
			o.missing, o.missingSt = t.h.GetHeaderMapValue(proxy.MapRequestHeaders, "x-none")
			_, o.badMapSt = t.h.GetHeaderMapValue(proxy.MapType(8), "x")
			t.h.AddHeaderMapValue(proxy.MapRequestHeaders, "X-Added", "1")
			t.h.ReplaceHeaderMapValue(proxy.MapRequestHeaders, "x-dup", "z")
			o.removeAbsent = t.h.RemoveHeaderMapValue(proxy.MapRequestHeaders, "x-absent")
			t.h.AddHeaderMapValue(proxy.MapRequestHeaders, ":pseudo", "p")
			o.afterAdd, _ = t.h.GetHeaderMapPairs(proxy.MapRequestHeaders)
			return proxy.Continue
		}
		g.resHeaders = func(t *toy, _ uint32, _ int, _ bool) proxy.Action {
			_, o.reqInResp = t.h.GetHeaderMapValue(proxy.MapRequestHeaders, ":path")
			o.reqPairsInResp, o.reqPairsInRespSt = t.h.GetHeaderMapPairs(proxy.MapRequestHeaders)
			o.respInResp, _ = t.h.GetHeaderMapValue(proxy.MapResponseHeaders, ":status")
			return proxy.Continue
		}
		g.resBody = func(t *toy, _ uint32, _ int, _ bool) proxy.Action {
			o.mutateReleased = t.h.AddHeaderMapValue(proxy.MapResponseHeaders, "x-late", "1")
			return proxy.Continue
		}
		g.onLog = func(t *toy, _ uint32) {
			o.logReq, _ = t.h.GetHeaderMapValue(proxy.MapRequestHeaders, "x-added")
			o.logResp, _ = t.h.GetHeaderMapValue(proxy.MapResponseHeaders, ":status")
			o.logMutate = t.h.AddHeaderMapValue(proxy.MapRequestHeaders, "x", "y")
		}
	})
	r := e.Worker(0).RoundTrip(Request{Path: "/p", Headers: hdrs("x-dup", "a", "X-Dup", "b", "x-other", "o")}, echo(201, "x"))
	if o.first != "a" || o.firstSt != proxy.StatusOK || o.missingSt != proxy.StatusNotFound || o.badMapSt != proxy.StatusBadArgument {
		t.Errorf("get: first %q %v, missing %v, bad map %v", o.first, o.firstSt, o.missingSt, o.badMapSt)
	}
	want := hdrs(":method", "GET", ":scheme", "http", ":authority", "api.example.com", ":path", "/p", ":pseudo", "p",
		"x-other", "o", "x-added", "1", "x-dup", "z")
	if !reflect.DeepEqual(o.afterAdd, want) || !reflect.DeepEqual(r.Upstream.Headers, want) {
		t.Errorf("after mutations = %v\nupstream %v\nwant %v", o.afterAdd, r.Upstream.Headers, want)
	}
	if o.removeAbsent != proxy.StatusOK {
		t.Errorf("remove absent = %v", o.removeAbsent)
	}
	if o.reqInResp != proxy.StatusBadArgument || o.reqPairsInResp != nil || o.reqPairsInRespSt != proxy.StatusOK {
		t.Errorf("request headers after release: get %v, pairs %v %v", o.reqInResp, o.reqPairsInResp, o.reqPairsInRespSt)
	}
	if o.respInResp != "201" || o.mutateReleased != proxy.StatusBadArgument {
		t.Errorf("response headers: %q, late mutation %v", o.respInResp, o.mutateReleased)
	}
	if o.logReq != "1" || o.logResp != "201" || o.logMutate != proxy.StatusBadArgument {
		t.Errorf("log phase: req %q resp %q mutate %v", o.logReq, o.logResp, o.logMutate)
	}
}

func TestStream_closeStream(t *testing.T) {
	e, ts := newEnvoy(t, Config{}, func(g *toy) {
		g.reqBody = func(t *toy, _ uint32, _ int, _ bool) proxy.Action {
			t.h.CloseStream(proxy.StreamRequest)
			return proxy.StopIterationAndBuffer
		}
	})
	r := e.Worker(0).RoundTrip(Request{Body: []byte("x")}, echo(200, ""))
	if !r.Downstream.Reset || r.Downstream.Details != "wasm_close_stream" || !r.Upstream.Reset || r.UpstreamCalled {
		t.Errorf("result = %+v", r)
	}
	if !strings.HasSuffix(ts.worker(0).evs(), "log(2) done(2) delete(2)") {
		t.Errorf("events = %s", ts.worker(0).evs())
	}
}

func TestStream_clientGoesAway(t *testing.T) {
	e, ts := newEnvoy(t, Config{}, nil)
	s := e.Worker(0).NewStream(StreamProps{})
	s.RequestHeaders(reqHdrs(), false)
	s.RequestBody([]byte("partial"), false)
	s.Complete()
	if !s.Upstream().Reset || !s.Ended() {
		t.Errorf("upstream = %+v", s.Upstream())
	}
	if !strings.HasSuffix(ts.worker(0).evs(), "log(2) done(2) delete(2)") {
		t.Errorf("events = %s", ts.worker(0).evs())
	}
	s.RequestBody([]byte("more"), true) // discarded, no panic
	if bytes.Contains(s.Upstream().Body, []byte("more")) {
		t.Error("data after the end reached upstream")
	}
}
