package e2e

import (
	"os"
	"strconv"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
)

// BenchmarkV8Host_requests times whole requests through the module on V8
// (e2e/v8bench/proxyhost.mjs; `make bench-v8-requests`): pass-through on
// /p, a cached RS256 token on /t, and fresh RS256 and ES256 tokens checked
// by the host's verify_signature (node:crypto here, BoringSSL in Envoy)
// under a configuration without the token cache. The figures are the
// medians of $APIGUARD_V8_ITERATIONS (default 2000) wall-clock requests
// per kind after as many untimed ones, each whole request (context create to delete) timed on its own;
// each run of the benchmark is one run of node per configuration. The
// fresh figures less pass-through are also given without the median time
// inside verify_signature, which is node:crypto's (OpenSSL 3), not the
// module's nor BoringSSL's.
func BenchmarkV8Host_requests(b *testing.B) {
	node := needNode(b)
	n := v8Iterations(b)
	pass := v8KindOf("pass", host.Request{Path: "/p/orders", Headers: headers("x-request-id", "bench")})
	cachedJob := v8Job{Configuration: string(withHoldHeaders([]byte(authBenchPolicy(b, true)), true)), Iterations: n, Warmup: n,
		Kinds: []v8Kind{pass, v8KindOf("cached-rs256", authRequest("/t", benchToken(b, "RS256", "rsa-a")))}}
	freshJob := v8Job{Configuration: string(withHoldHeaders([]byte(authBenchPolicy(b, false)), true)), Iterations: n, Warmup: n,
		Kinds: []v8Kind{pass, v8KindOf("fresh-rs256", authRequest("/t", benchToken(b, "RS256", "rsa-a"))),
			v8KindOf("fresh-es256", authRequest("/t", benchToken(b, "ES256", "ec256")))}}
	// The path each kind takes is asserted on every run, from the outcomes
	// and the counters (the first request of every kind is untimed).
	check := func(r v8Result, hits, byHost int64) (med, foreign map[string]float64) {
		b.Helper()
		med, foreign = map[string]float64{}, map[string]float64{}
		for _, k := range r.Kinds {
			if string(k.Status) != "200" || !k.Upstream || !k.SameOutcome {
				b.Fatalf("%s: status %s upstream=%v, same outcome every time: %v", k.Name, k.Status, k.Upstream, k.SameOutcome)
			}
			med[k.Name], foreign[k.Name] = k.MedianUs, k.MedianForeignUs
		}
		if r.Metrics["apiguard.auth.cache_hit"] != hits || r.Metrics["apiguard.auth.verified_by_host"] != byHost || r.Metrics["apiguard.auth.verified_by_module"] != 0 {
			b.Fatalf("counters %v: want %d cache hits, %d verifications by the host, none by the module", r.Metrics, hits, byHost)
		}
		return med, foreign
	}
	rs, es := benchToken(b, "RS256", "rsa-a"), benchToken(b, "ES256", "ec256")
	ok := []int{200, 200}
	for i := 0; i < b.N; i++ {
		nat := nativeMedians(b, authBenchPolicy(b, true), n, ok,
			nativeKind{host.Request{Path: "/p/orders", Headers: headers("x-request-id", "bench")}, defaultResponse},
			nativeKind{authRequest("/t", rs), defaultResponse})
		bareRS, bareES := nativeMedian(n, bareVerifier(b, "RS256", "rsa-a", rs)), nativeMedian(n, bareVerifier(b, "ES256", "ec256", es))
		c, _ := check(runV8Host(b, node, cachedJob), 2*int64(n), 1)
		f, fc := check(runV8Host(b, node, freshJob), 0, 2*int64(2*n+1))
		b.ReportMetric(c["pass"], "pass-µs")
		b.ReportMetric(c["cached-rs256"], "cached-µs")
		b.ReportMetric(c["cached-rs256"]/c["pass"], "cached/pass")
		b.ReportMetric(f["fresh-rs256"], "fresh-rs256-µs")
		b.ReportMetric(f["fresh-es256"], "fresh-es256-µs")
		b.ReportMetric(f["fresh-rs256"]-f["pass"], "rs256-pass-µs")
		b.ReportMetric(f["fresh-es256"]-f["pass"], "es256-pass-µs")
		// The module's own share: less the median time in node:crypto.
		b.ReportMetric(f["fresh-rs256"]-f["pass"]-fc["fresh-rs256"], "rs256-pass-crypto-µs")
		b.ReportMetric(f["fresh-es256"]-f["pass"]-fc["fresh-es256"], "es256-pass-crypto-µs")
		// The goal table's ratios (issue 15), on V8 against the plugin
		// natively in the emulator and the standard library's bare checks.
		b.ReportMetric(nat[0], "pass-native-µs")
		b.ReportMetric(nat[1], "cached-native-µs")
		b.ReportMetric(c["pass"]/nat[0], "pass-v8/native")
		b.ReportMetric(bareRS, "bare-rs256-µs")
		b.ReportMetric(bareES, "bare-es256-µs")
		b.ReportMetric((f["fresh-rs256"]-f["pass"])/bareRS, "rs256-v8/bare")
		b.ReportMetric((f["fresh-es256"]-f["pass"])/bareES, "es256-v8/bare")
	}
	b.ReportMetric(0, "ns/op")
}

// v8Iterations is $APIGUARD_V8_ITERATIONS, 2000 by default.
func v8Iterations(b *testing.B) int {
	s := os.Getenv("APIGUARD_V8_ITERATIONS")
	if s == "" {
		return 2000
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("APIGUARD_V8_ITERATIONS=%q", s)
	}
	return n
}
