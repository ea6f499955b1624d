package host

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/filter/proxy"
)

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
