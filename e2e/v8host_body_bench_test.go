package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
)

// BenchmarkV8Host_bodies times the body rows of the goal table on V8
// (e2e/v8bench/proxyhost.mjs; `make bench-v8-requests`): a 64 KiB JSON
// request body validated (route "limits") against the same body only
// counted ("capped"), and a 64 KiB response redacted ("orders") against
// the same page passed ("plain"), both delivered in one chunk. Medians of
// $APIGUARD_V8_ITERATIONS (default 2000) wall-clock requests per kind, the
// kinds taking turns, after as many untimed ones.
func BenchmarkV8Host_bodies(b *testing.B) {
	node := needNode(b)
	n := v8Iterations(b)
	body := benchOrder(64 << 10)
	page := ordersPage(64 << 10)
	jsonHeaders := headers("content-type", "application/json")
	resp := host.Response{Status: 200, Headers: jsonHeaders, Body: page}
	reqJob := v8Job{Configuration: string(withHoldHeaders([]byte(benchRequestConfig), true)), Iterations: n, Warmup: n,
		Kinds: []v8Kind{
			v8KindOf("json", host.Request{Method: "POST", Path: "/limits", Headers: jsonHeaders, Body: body}),
			v8KindOf("capped", host.Request{Method: "POST", Path: "/capped", Headers: jsonHeaders, Body: body}),
			v8KindOf("truncated", host.Request{Method: "POST", Path: "/limits", Headers: jsonHeaders, Body: body[:len(body)-1]}),
		}}
	respJob := v8Job{Configuration: string(withHoldHeaders([]byte(respBenchConfig), true)), Iterations: n, Warmup: n,
		Kinds: []v8Kind{v8KindWith("redact", host.Request{Path: "/orders"}, resp), v8KindWith("plain", host.Request{Path: "/plain"}, resp)}}
	pageSum := sha256.Sum256(page)
	for i := 0; i < b.N; i++ {
		nq := nativeMedians(b, benchRequestConfig, n, []int{200, 200},
			nativeKind{host.Request{Method: "POST", Path: "/limits", Headers: jsonHeaders, Body: body}, defaultResponse},
			nativeKind{host.Request{Method: "POST", Path: "/capped", Headers: jsonHeaders, Body: body}, defaultResponse})
		nr := nativeMedians(b, respBenchConfig, n, []int{200, 200},
			nativeKind{host.Request{Path: "/orders"}, resp}, nativeKind{host.Request{Path: "/plain"}, resp})
		rq, rs := runV8Host(b, node, reqJob), runV8Host(b, node, respJob)
		// The paths measured, on every run: validated, counted, refused
		// when truncated; redacted, passed whole.
		for j, want := range []string{"200", "200", "400"} {
			if k := rq.Kinds[j]; string(k.Status) != want || k.Upstream != (want == "200") || !k.SameOutcome {
				b.Fatalf("%s: status %s upstream=%v, want %s", k.Name, k.Status, k.Upstream, want)
			}
		}
		red, plain := rs.Kinds[0], rs.Kinds[1]
		if string(red.Status) != "200" || string(plain.Status) != "200" || red.BodyLength >= len(page) || plain.BodySha256 != hex.EncodeToString(pageSum[:]) {
			b.Fatalf("redact: status %s, %d of %d bytes; plain: status %s, %d bytes", red.Status, red.BodyLength, len(page), plain.Status, plain.BodyLength)
		}
		b.ReportMetric(rq.Kinds[0].MedianUs, "json64k-µs")
		b.ReportMetric(rq.Kinds[0].MedianUs-rq.Kinds[1].MedianUs, "json64k-capped-µs")
		b.ReportMetric(red.MedianUs, "redact64k-µs")
		b.ReportMetric(red.MedianUs-plain.MedianUs, "redact64k-plain-µs")
		// The goal table's body rows (issue 15): the same differences of
		// whole requests natively, in the emulator.
		b.ReportMetric(nq[0]-nq[1], "json64k-native-µs")
		b.ReportMetric(nr[0]-nr[1], "redact64k-native-µs")
		b.ReportMetric((rq.Kinds[0].MedianUs-rq.Kinds[1].MedianUs)/(nq[0]-nq[1]), "json64k-v8/native")
		b.ReportMetric((red.MedianUs-plain.MedianUs)/(nr[0]-nr[1]), "redact64k-v8/native")
	}
	b.ReportMetric(0, "ns/op")
}
