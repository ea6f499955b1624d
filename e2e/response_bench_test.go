package e2e

import (
	"strconv"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
)

// respBenchConfig is the performance target's rule set: 5 paths and 5 keys
// (filter/redact's BenchmarkRedact_vsGjson64K uses the same), and a route
// without response rules for the baseline.
const respBenchConfig = `{
  "routes": [
    {"name": "orders", "match": {"prefix": "/orders"},
     "response": {"max_body_bytes": 1048576,
       "redact": {"paths": ["data.#.customer.email", "data.#.customer.phone", "data.#.shipping.address",
                            "meta.next_cursor", "data.#.payment.card_last4"],
                  "keys": ["password", "secret", "token", "api_key", "ssn"]}}},
    {"name": "plain", "match": {"prefix": "/plain"}}
  ]
}`

// ordersPage builds a page of orders of about size bytes, shaped like
// filter/redact's benchmark document.
func ordersPage(size int) []byte {
	b := []byte(`{"meta":{"request_id":"0d5c2f0e-3a71-4b8e-9f7d-61a3c2b4e5f6","page":3,"per_page":50,` +
		`"total":4821,"next_cursor":"eyJwYWdlIjo0fQ"},"data":[`)
	for i := 0; len(b) < size-700; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		id := strconv.Itoa(5000 + i)
		b = append(b, `{"id":"ord_`+id+`","status":"shipped","created_at":"2026-10-01T12:30:00Z",`+
			`"customer":{"id":"cus_`+id+`","name":"Customer `+id+`","email":"c`+id+`@example.org","phone":"+1-555-0100"},`+
			`"total":{"amount":`+strconv.Itoa(i*37%99999)+`,"currency":"EUR","tax_rate":0.2},`+
			`"items":[{"sku":"SKU-1","qty":2,"price":9.99,"weight":1.5e-1},{"sku":"SKU-2","qty":1,"price":120.5,"weight":2}],`+
			`"notes":"leave at the door caf\u00e9 na\\u00efve line\\nbreak",`+
			`"shipping":{"address":{"line1":"1 Rue de la Paix","city":"Paris","postcode":"75002","country":"FR"},`+
			`"carrier":"colissimo","tracking":"6A`+id+`","delivered":true,"signed_by":null}`...)
		if i%4 == 0 {
			b = append(b, `,"payment":{"card_last4":"4242","token":"tok_`+id+`"}`...)
		}
		b = append(b, '}')
	}
	return append(b, `]}`...)
}

// benchResponse measures whole exchanges whose upstream answers body, in
// chunks of 16 KiB as a network would deliver them.
func benchResponse(b *testing.B, path string, size int) {
	body := ordersPage(size)
	benchGuests(b, func(b *testing.B, g guest) {
		e := start(b, g, respBenchConfig)
		vm := e.Worker(0)
		req := host.Request{Path: path}
		resp := host.Response{Status: 200, Headers: headers("content-type", "application/json"), Body: body, ChunkSize: 16 << 10}
		up := func(host.UpstreamRequest) host.Response { return resp }
		r := vm.RoundTrip(req, up)
		if r.Downstream.Status != 200 || len(r.Downstream.Body) == 0 {
			b.Fatalf("status %d, %d bytes", r.Downstream.Status, len(r.Downstream.Body))
		}
		// The path measured: redacted on /orders (every customer's email
		// gone, the rest kept), untouched on /plain.
		switch got := string(r.Downstream.Body); {
		case path == "/plain" && got != string(body):
			b.Fatalf("a route without response rules changed the body")
		case path != "/plain" && (strings.Contains(got, "@example.org") || !strings.Contains(got, `"ord_5000"`)):
			b.Fatalf("the body was not redacted as configured: %.200s", got)
		case path != "/plain" && metric(b, e, "apiguard.route.orders.redactions") == 0:
			b.Fatalf("no redaction counted")
		}
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if r := vm.RoundTrip(req, up); r.Downstream.Status != 200 {
				b.Fatalf("status %d", r.Downstream.Status)
			}
		}
	})
}

// BenchmarkResponse_redact4K and BenchmarkResponse_redact64K are redaction
// through the plugin (native and .wasm): buffering, one rewrite, the body
// replaced. BenchmarkResponse_plain* are the same exchanges on a route
// without response rules, the emulator's and the boundary's share.
func BenchmarkResponse_redact4K(b *testing.B)  { benchResponse(b, "/orders", 4<<10) }
func BenchmarkResponse_redact64K(b *testing.B) { benchResponse(b, "/orders", 64<<10) }
func BenchmarkResponse_plain4K(b *testing.B)   { benchResponse(b, "/plain", 4<<10) }
func BenchmarkResponse_plain64K(b *testing.B)  { benchResponse(b, "/plain", 64<<10) }
