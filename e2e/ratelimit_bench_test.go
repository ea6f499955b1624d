package e2e

import (
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
)

// rlBenchConfig has one local limit that never refuses, so every request
// takes the whole admitted path: key, one shared-data get, one set, the
// RateLimit headers on the response.
const rlBenchConfig = `{"routes": [{"name": "api", "match": {"prefix": "/"},
  "rate_limits": [{"name": "per-ip", "key": "ip", "limit": 1000000000, "window": "1s"}]}]}`

// BenchmarkRateLimit_admitted is one rate-limited request (one limit, uncontended)
// natively and through the .wasm, with its shared-data round trips per
// request (shared/op). Compare with BenchmarkExchange_passThrough for the cost of
// the limit alone.
func BenchmarkRateLimit_admitted(b *testing.B) {
	benchGuests(b, func(b *testing.B, g guest) {
		var c rlCounter
		e := start(b, counted(g, &c), rlBenchConfig)
		vm := e.Worker(0)
		req := host.Request{Path: "/orders", Headers: headers("x-request-id", "bench"),
			Props: host.StreamProps{SourceAddress: "203.0.113.7:40000"}}
		up := func(host.UpstreamRequest) host.Response { return defaultResponse }
		// The path measured: admitted by the limit with one get and one
		// set, the RateLimit headers on the answer.
		c.reset()
		r := vm.RoundTrip(req, up)
		if r.Downstream.Status != 200 || r.Downstream.Header("ratelimit") == "" {
			b.Fatalf("status %d, RateLimit %q: not the admitted path", r.Downstream.Status, r.Downstream.Header("ratelimit"))
		}
		if c.gets.Load() != 1 || c.sets.Load() != 1 {
			b.Fatalf("%d gets and %d sets per admitted request, want 1 and 1", c.gets.Load(), c.sets.Load())
		}
		c.reset()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if r := vm.RoundTrip(req, up); r.Downstream.Status != 200 {
				b.Fatalf("status %d", r.Downstream.Status)
			}
		}
		b.ReportMetric(float64(c.total())/float64(b.N), "shared/op")
	})
}

// BenchmarkRateLimit_refused is a request refused by its limit: one get, a
// 429 with the RateLimit headers.
func BenchmarkRateLimit_refused(b *testing.B) {
	benchGuests(b, func(b *testing.B, g guest) {
		var c rlCounter
		e := start(b, counted(g, &c), `{"routes": [{"name": "api", "match": {"prefix": "/"},
		  "rate_limits": [{"name": "one", "key": "route", "limit": 1, "window": "1d"}]}]}`)
		vm := e.Worker(0)
		req := host.Request{Path: "/orders"}
		if r := vm.RoundTrip(req, func(host.UpstreamRequest) host.Response { return defaultResponse }); r.Downstream.Status != 200 {
			b.Fatalf("the first request: status %d, want 200", r.Downstream.Status)
		}
		// The path measured: refused by the limit after one get.
		c.reset()
		r := vm.RoundTrip(req, nil)
		if r.Downstream.Status != 429 || r.Downstream.LocalReply != "apiguard_rate_limited" {
			b.Fatalf("status %d (%q), want the limit's 429", r.Downstream.Status, r.Downstream.LocalReply)
		}
		if c.gets.Load() != 1 || c.sets.Load() != 0 {
			b.Fatalf("%d gets and %d sets per refusal, want 1 and 0", c.gets.Load(), c.sets.Load())
		}
		c.reset()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if r := vm.RoundTrip(req, nil); r.Downstream.Status != 429 {
				b.Fatalf("status %d", r.Downstream.Status)
			}
		}
		b.ReportMetric(float64(c.total())/float64(b.N), "shared/op")
	})
}
