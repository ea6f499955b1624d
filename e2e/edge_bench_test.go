package e2e

import (
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
)

// BenchmarkEdge_tlsCorsDeprecation is one exchange, natively and through the .wasm, on a
// route with require_tls, cors (an allowed origin) and deprecation, next to
// the same exchange on a route without them.
func BenchmarkEdge_tlsCorsDeprecation(b *testing.B) {
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
			// The paths measured: the edge policies apply on /r (CORS
			// headers, Deprecation, and TLS required: the same request
			// without TLS is refused); none on /p; the preflight answered.
			if r := vm.RoundTrip(req, up); r.Downstream.Status != 200 || r.Downstream.Header("deprecation") == "" {
				b.Fatalf("actual: status %d, deprecation %q", r.Downstream.Status, r.Downstream.Header("deprecation"))
			}
			if r := vm.RoundTrip(host.Request{Path: "/r/1", Headers: headers("origin", appOrig)}, up); r.Downstream.Status == 200 {
				b.Fatal("require_tls let a plain request through")
			}
			if r := vm.RoundTrip(host.Request{Path: "/p/1", Headers: headers("origin", appOrig), Props: tls13}, up); r.Downstream.Status != 200 ||
				r.Downstream.Header("access-control-allow-origin") != "" || r.Downstream.Header("deprecation") != "" {
				b.Fatalf("baseline: status %d with edge headers", r.Downstream.Status)
			}
			if r := vm.RoundTrip(pre, up); r.Downstream.Status != 204 || r.UpstreamCalled || r.Downstream.Header("access-control-allow-origin") != appOrig {
				b.Fatalf("preflight: status %d, upstream called %v", r.Downstream.Status, r.UpstreamCalled)
			}
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
