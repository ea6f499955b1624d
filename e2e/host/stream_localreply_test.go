package host

import (
	"reflect"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/filter/proxy"
)

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
