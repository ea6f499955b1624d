package e2e

import (
	"testing"
	"time"

	rlsv3 "github.com/envoyproxy/go-control-plane/envoy/service/ratelimit/v3"

	"github.com/apiguard/apiguard/e2e/host"
)

// globalBenchConfig has one global limit and nothing else, so a request
// costs the pass-through path plus the global check: hashing the key,
// building the RateLimitRequest, the gRPC call through the host, parsing
// the answer, resuming the stream and the RateLimit headers.
const globalBenchConfig = `{
  "rate_limit_service": {"cluster": "ratelimit", "domain": "bench"},
  "routes": [{"name": "api", "match": {"prefix": "/"},
    "rate_limits": [{"name": "fleet-per-ip", "key": "ip", "limit": 1000000, "window": "1h", "global": true}]}]}`

// benchGlobal runs requests against a service that answers at once, in
// process, with a fixed answer: no network time is included, only the
// filter's work around one gRPC round trip and the emulator's callout
// handling (compare with BenchmarkExchange_passThrough for the request alone).
func benchGlobal(b *testing.B, msg *rlsv3.RateLimitResponse, want int) {
	answerMsg := answer(msg)
	benchGuests(b, func(b *testing.B, g guest) {
		calls := 0
		e := start(b, g, globalBenchConfig, func(c *host.Config) {
			c.Clusters = map[string]host.Cluster{"ratelimit": {GRPC: func(host.GRPCRequest) (host.GRPCResponse, error) {
				calls++
				return answerMsg, nil
			}}}
		})
		vm := e.Worker(0)
		req := host.Request{Path: "/orders", Headers: headers("x-request-id", "bench"),
			Props: host.StreamProps{SourceAddress: "203.0.113.7:40000"}}
		up := func(host.UpstreamRequest) host.Response { return defaultResponse }
		// The path measured: one call to the service, its answer applied
		// (the RateLimit headers of the limit's status).
		r := vm.RoundTrip(req, up)
		if r.Downstream.Status != want || calls != 1 || r.Downstream.Header("ratelimit") == "" {
			b.Fatalf("status %d, %d calls, RateLimit %q", r.Downstream.Status, calls, r.Downstream.Header("ratelimit"))
		}
		calls = 0
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if r := vm.RoundTrip(req, up); r.Downstream.Status != want {
				b.Fatalf("status %d", r.Downstream.Status)
			}
		}
		b.StopTimer()
		if calls != b.N {
			b.Fatalf("%d calls for %d requests", calls, b.N)
		}
	})
}

// BenchmarkGlobalLimit_admitted is an admitted request: OK with the limit's
// status (the answer envoyproxy/ratelimit gives).
func BenchmarkGlobalLimit_admitted(b *testing.B) {
	benchGlobal(b, &rlsResp{OverallCode: codeOK, Statuses: []*rlsStatus{
		status(codeOK, 1000000, rlsv3.RateLimitResponse_RateLimit_HOUR, 999999, 1234*time.Second)}}, 200)
}

// BenchmarkGlobalLimit_refused is an OVER_LIMIT: the 429 with headers
// from the answer.
func BenchmarkGlobalLimit_refused(b *testing.B) {
	benchGlobal(b, &rlsResp{OverallCode: codeOver, Statuses: []*rlsStatus{
		status(codeOver, 1000000, rlsv3.RateLimitResponse_RateLimit_HOUR, 0, 1234*time.Second)}}, 429)
}
