package e2e

import (
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
)

// BenchmarkEdgeWasm is one exchange, natively and through the .wasm, on a
// route with require_tls, cors (an allowed origin) and deprecation, next to
// the same exchange on a route without them.
func BenchmarkEdgeWasm(b *testing.B) {
	cfg := `{"routes": [{"name": "r", "match": {"prefix": "/r"}, "require_tls": true,
	  "cors": {"allow_origins": ["https://a.example", "https://app.example.com"], "allow_credentials": true},
	  "deprecation": {"since": "2026-06-01T00:00:00Z", "sunset": "2030-01-01T00:00:00Z", "link": "https://docs.example.com/m"}},
	  {"name": "p", "match": {"prefix": "/p"}}]}`
	for _, g := range guests(b) {
		b.Run(g.name, func(b *testing.B) {
			e := start(b, g, cfg)
			vm := e.Worker(0)
			req := host.Request{Path: "/r/1", Headers: headers("origin", appOrig), Props: tls13}
			pre := opts("/r/1", appOrig, "GET", "")
			pre.Props = tls13
			up := func(host.UpstreamRequest) host.Response { return defaultResponse }
			b.Run("baseline", func(b *testing.B) {
				// The same exchange on a route without edge policies.
				plain := req
				plain.Path = "/p/1"
				b.ReportAllocs()
				for b.Loop() {
					if r := vm.RoundTrip(plain, up); r.Downstream.Status != 200 {
						b.Fatalf("status %d", r.Downstream.Status)
					}
				}
			})
			b.Run("actual", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if r := vm.RoundTrip(req, up); r.Downstream.Header("access-control-allow-origin") != appOrig {
						b.Fatalf("status %d", r.Downstream.Status)
					}
				}
			})
			b.Run("preflight", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if r := vm.RoundTrip(pre, up); r.Downstream.Status != 204 {
						b.Fatalf("status %d", r.Downstream.Status)
					}
				}
			})
		})
	}
}
