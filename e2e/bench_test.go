package e2e

import (
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
)

// benchGuests runs a benchmark natively and through the .wasm, so the cost
// of the wasm boundary is visible next to the plugin's own cost.
func benchGuests(b *testing.B, f func(b *testing.B, g guest)) {
	for _, g := range guests(b) {
		b.Run(g.name, func(b *testing.B) { f(b, g) })
	}
}

// BenchmarkExchange_passThrough is the per-request cost of a route with an empty
// policy: route match, header hygiene, metrics and response decoration, plus
// the emulator's own overhead (see e2e/host BenchmarkGuest_roundTrip for that
// alone). It reports exports, hostcalls and (natively) the module's own
// allocations per request (bench_counts_test.go).
func BenchmarkExchange_passThrough(b *testing.B) {
	benchGuests(b, func(b *testing.B, g guest) {
		var c callCounts
		e := start(b, counting(g, &c), routesConfig)
		vm := e.Worker(0)
		req := host.Request{Path: "/users/7/orders", Headers: headers("x-request-id", "bench")}
		up := func(host.UpstreamRequest) host.Response { return defaultResponse }
		// The path measured: routed and passed to upstream, not refused.
		if r := vm.RoundTrip(req, up); r.Downstream.Status != 200 || !r.UpstreamCalled || r.Downstream.LocalReply != "" {
			b.Fatalf("status %d (%q), upstream called %v: not the pass-through path", r.Downstream.Status, r.Downstream.LocalReply, r.UpstreamCalled)
		}
		report := reportCounts(b, g, &c, vm, req, up)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if r := vm.RoundTrip(req, up); r.Downstream.Status != 200 {
				b.Fatalf("status %d", r.Downstream.Status)
			}
		}
		b.StopTimer()
		report()
	})
}

// BenchmarkExchange_refusal is the cost of a 404 problem+json refusal.
func BenchmarkExchange_refusal(b *testing.B) {
	benchGuests(b, func(b *testing.B, g guest) {
		e := start(b, g, routesConfig)
		vm := e.Worker(0)
		req := host.Request{Path: "/nope"}
		// The path measured: the route_not_found refusal.
		if r := vm.RoundTrip(req, nil); r.Downstream.Status != 404 || r.Downstream.LocalReply != "apiguard_route_not_found" {
			b.Fatalf("status %d (%q): not the route_not_found refusal", r.Downstream.Status, r.Downstream.LocalReply)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if r := vm.RoundTrip(req, nil); r.Downstream.Status != 404 {
				b.Fatalf("status %d", r.Downstream.Status)
			}
		}
	})
}
