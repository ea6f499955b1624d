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
