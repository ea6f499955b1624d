package host

import (
	"reflect"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/filter/proxy"
)

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
