package host

import (
	"testing"

	"github.com/apiguard/apiguard/filter/proxy"
)

// noop is a guest that continues everything and allocates nothing, so the
// benchmark measures the emulator alone.
type noop struct{}

func (noop) OnVMStart(uint32, int) bool                        { return true }
func (noop) OnConfigure(uint32, int) bool                      { return true }
func (noop) OnContextCreate(uint32, uint32)                    {}
func (noop) OnRequestHeaders(uint32, int, bool) proxy.Action   { return proxy.Continue }
func (noop) OnRequestBody(uint32, int, bool) proxy.Action      { return proxy.Continue }
func (noop) OnRequestTrailers(uint32, int) proxy.Action        { return proxy.Continue }
func (noop) OnResponseHeaders(uint32, int, bool) proxy.Action  { return proxy.Continue }
func (noop) OnResponseBody(uint32, int, bool) proxy.Action     { return proxy.Continue }
func (noop) OnResponseTrailers(uint32, int) proxy.Action       { return proxy.Continue }
func (noop) OnHttpCallResponse(uint32, uint32, int, int, int)  {}
func (noop) OnGrpcReceiveInitialMetadata(uint32, uint32, int)  {}
func (noop) OnGrpcReceive(uint32, uint32, int)                 {}
func (noop) OnGrpcReceiveTrailingMetadata(uint32, uint32, int) {}
func (noop) OnGrpcClose(uint32, uint32, uint32)                {}
func (noop) OnTick(uint32)                                     {}
func (noop) OnLog(uint32)                                      {}
func (noop) OnDone(uint32) bool                                { return true }
func (noop) OnDelete(uint32)                                   {}
func noopFactory(proxy.Host) (proxy.Handler, error)            { return noop{}, nil }
func benchUpstream(UpstreamRequest) Response                   { return benchResp }

var benchResp = Response{Status: 200, Headers: hdrs("content-type", "application/json"), Body: []byte(`{"id":1}`)}

func BenchmarkHost_roundTrip(b *testing.B) {
	for _, tc := range []struct {
		name string
		req  Request
	}{
		{"get", Request{Path: "/things/1", Headers: hdrs("authorization", "Bearer x")}},
		{"post_chunked", Request{Method: "POST", Path: "/things", Body: make([]byte, 4096), ChunkSize: 1024}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e, err := New(Config{}, noopFactory)
			if err != nil {
				b.Fatal(err)
			}
			vm := e.Worker(0)
			// The path measured: the request (and its whole body) reaches
			// upstream and the answer the client.
			r := vm.RoundTrip(tc.req, benchUpstream)
			if r.Downstream.Status != 200 || !r.UpstreamCalled || len(r.Upstream.Body) != len(tc.req.Body) || string(r.Downstream.Body) != string(benchResp.Body) {
				b.Fatalf("status %d, upstream called %v with %d of %d bytes, body %q", r.Downstream.Status, r.UpstreamCalled, len(r.Upstream.Body), len(tc.req.Body), r.Downstream.Body)
			}
			b.ReportAllocs()
			for b.Loop() {
				if r := vm.RoundTrip(tc.req, benchUpstream); r.Downstream.Status != 200 {
					b.Fatal(r.Downstream)
				}
			}
		})
	}
}
