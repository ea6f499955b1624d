package e2e

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/e2e/wasmguest"
	"github.com/apiguard/apiguard/filter/proxy"
)

// BenchmarkGoals_table reports the rest of issue 15's table in one run
// (BenchmarkAuthn_hostSignatureGoals has the token rows; `make bench-goals` runs both and
// prints them as one table, docs/performance.md):
//
//	pass-wasm/native     pass-through through the .wasm / natively; goal <= 4
//	json64k-wasm/native  64 KiB JSON validation through the .wasm / natively:
//	                     the request on a route that validates the body less
//	                     the same request on a route that only counts it;
//	                     goal <= 3
//	redact64k-wasm/native  64 KiB redaction (5 paths, 5 keys), the same way
//	                     against a route without response rules; goal <= 3
//	module-MB            size of the module
//	vm-start-ms          CPU time of one VM's start: _initialize, vm_start
//	                     and configure (an Envoy of two VMs, halved)
//	memory-MB            linear memory of a VM after 10,000 mixed requests
//	pass-native-us, pass-wasm-us, ...  the parts, in microseconds of CPU
//
// Each iteration runs every part once per guest, alternating, and the
// parts are timed in the benchmark thread's CPU time (cpuclock_*_test.go),
// so that load from other processes hits both sides alike.
func BenchmarkGoals_table(b *testing.B) {
	gs := guests(b)
	native, wasm := gs[0], gs[1]
	type side struct {
		pass, json, capped, redact, plain *host.VM
	}
	body := benchOrder(64 << 10)
	page := ordersPage(64 << 10)
	passReq := host.Request{Path: "/users/7/orders", Headers: headers("x-request-id", "bench")}
	jsonReq := host.Request{Method: "POST", Path: "/limits", Headers: headers("content-type", "application/json"), Body: body}
	cappedReq := host.Request{Method: "POST", Path: "/capped", Headers: headers("content-type", "application/json"), Body: body}
	resp := host.Response{Status: 200, Headers: headers("content-type", "application/json"), Body: page, ChunkSize: 16 << 10}
	ok := func(host.UpstreamRequest) host.Response { return defaultResponse }
	pageUp := func(host.UpstreamRequest) host.Response { return resp }
	mk := func(g guest) side {
		return side{
			pass:   start(b, g, routesConfig).Worker(0),
			json:   start(b, g, benchRequestConfig).Worker(0),
			capped: start(b, g, benchRequestConfig).Worker(0),
			redact: start(b, g, respBenchConfig).Worker(0),
			plain:  start(b, g, respBenchConfig).Worker(0),
		}
	}
	sides := [2]side{mk(native), mk(wasm)}
	// The paths measured: passed, validated, redacted.
	for _, s := range sides {
		if r := s.pass.RoundTrip(passReq, ok); r.Downstream.Status != 200 || !r.UpstreamCalled {
			b.Fatalf("pass-through: status %d", r.Downstream.Status)
		}
		if r := s.json.RoundTrip(jsonReq, ok); r.Downstream.Status != 200 || string(r.Upstream.Body) != string(body) {
			b.Fatalf("json: status %d (%s)", r.Downstream.Status, r.Downstream.LocalReply)
		}
		if r := s.json.RoundTrip(host.Request{Method: "POST", Path: "/limits", Headers: jsonReq.Headers, Body: body[:len(body)-1]}, ok); r.Downstream.Status != 400 {
			b.Fatalf("json: a truncated body was not refused (status %d)", r.Downstream.Status)
		}
		if r := s.redact.RoundTrip(host.Request{Path: "/orders"}, pageUp); r.Downstream.Status != 200 || len(r.Downstream.Body) >= len(page) {
			b.Fatalf("redact: status %d, %d of %d bytes", r.Downstream.Status, len(r.Downstream.Body), len(page))
		}
		if r := s.plain.RoundTrip(host.Request{Path: "/plain"}, pageUp); r.Downstream.Status != 200 || len(r.Downstream.Body) != len(page) {
			b.Fatalf("plain: status %d", r.Downstream.Status)
		}
	}
	defer lockThread()()
	var t [2][5]time.Duration // per side: pass, json, capped, redact, plain
	timed := func(d *time.Duration, f func()) {
		t0 := threadCPU()
		f()
		*d += threadCPU() - t0
	}
	n := 0
	for b.Loop() {
		for i, s := range sides {
			timed(&t[i][0], func() { s.pass.RoundTrip(passReq, ok) })
			timed(&t[i][1], func() { s.json.RoundTrip(jsonReq, ok) })
			timed(&t[i][2], func() { s.capped.RoundTrip(cappedReq, ok) })
			timed(&t[i][3], func() { s.redact.RoundTrip(host.Request{Path: "/orders"}, pageUp) })
			timed(&t[i][4], func() { s.plain.RoundTrip(host.Request{Path: "/plain"}, pageUp) })
		}
		n++
	}
	b.StopTimer()
	us := func(d time.Duration) float64 { return float64(d) / float64(n) / 1e3 }
	b.ReportMetric(us(t[0][0]), "pass-native-us")
	b.ReportMetric(us(t[1][0]), "pass-wasm-us")
	b.ReportMetric(us(t[0][1]-t[0][2]), "json64k-native-us")
	b.ReportMetric(us(t[1][1]-t[1][2]), "json64k-wasm-us")
	b.ReportMetric(us(t[0][3]-t[0][4]), "redact64k-native-us")
	b.ReportMetric(us(t[1][3]-t[1][4]), "redact64k-wasm-us")
	b.ReportMetric(float64(t[1][0])/float64(t[0][0]), "pass-wasm/native")
	b.ReportMetric(float64(t[1][1]-t[1][2])/float64(t[0][1]-t[0][2]), "json64k-wasm/native")
	b.ReportMetric(float64(t[1][3]-t[1][4])/float64(t[0][3]-t[0][4]), "redact64k-wasm/native")
	if fi, err := os.Stat(wasmPath()); err == nil {
		b.ReportMetric(float64(fi.Size())/1e6, "module-MB")
	}
	b.ReportMetric(vmStart(b, wasm), "vm-start-ms")
	b.ReportMetric(memoryAfterMixed(b), "memory-MB")
}

// vmStart is the median CPU time, in milliseconds, of one VM's start
// (_initialize, proxy_on_vm_start, proxy_on_configure) under the auth
// benchmark's policy (a JWT provider with the host's verify_signature: its
// self-test runs in configure): an Envoy starts a canary and a worker VM.
func vmStart(b *testing.B, g guest) float64 {
	cfg := authBenchPolicy(b, true)
	var ds []time.Duration
	for range 5 {
		t0 := threadCPU()
		e := start(b, g, cfg)
		ds = append(ds, (threadCPU()-t0)/2)
		_ = e
	}
	slices.Sort(ds)
	return float64(ds[len(ds)/2]) / 1e6
}

// memoryAfterMixed is a VM's linear memory, in MB, after 10,000 mixed
// requests: JWT (fresh and cached) and API keys, JSON bodies, a rate
// limit, redaction, refusals.
func memoryAfterMixed(b *testing.B) float64 {
	// The auth benchmark's policy (JWT providers) plus an API-key route
	// that validates JSON, rate-limits and redacts: one VM serves all.
	var cfg map[string]any
	if err := json.Unmarshal([]byte(authBenchPolicy(b, true)), &cfg); err != nil {
		b.Fatal(err)
	}
	cfg["providers"].(map[string]any)["keys"] = map[string]any{"api_keys": map[string]any{
		"from": []any{map[string]any{"header": "x-api-key"}},
		"keys": []any{map[string]any{"id": "k1", "sha256": "6ab9f1eb8f7d3388f4f9d586f66e99fd54080df2c446f0e58668b09c08a16dd0", "claims": map[string]any{"sub": "a"}}}}}
	cfg["routes"] = append(cfg["routes"].([]any), map[string]any{"name": "api", "match": map[string]any{"prefix": "/api"},
		"auth": map[string]any{"providers": []any{"keys"}}, "request": map[string]any{"json": map[string]any{}},
		"response":    map[string]any{"redact": map[string]any{"keys": []any{"secret"}}},
		"rate_limits": []any{map[string]any{"name": "ip", "key": "ip", "limit": 1000000000, "window": "1s"}}})
	text, _ := json.Marshal(cfg)
	var last proxy.Handler
	f := wasmModule(b).Factory(wasmguest.Options{})
	g := guest{name: "wasm", wasm: true, factory: func(h proxy.Host) (proxy.Handler, error) {
		x, err := f(h)
		last = x
		return x, err
	}}
	vm := start(b, g, string(text)).Worker(0)
	rs, es := benchToken(b, "RS256", "rsa-a"), benchToken(b, "ES256", "ec256")
	up := func(host.UpstreamRequest) host.Response {
		return host.Response{Status: 200, Headers: headers("content-type", "application/json"), Body: []byte(`{"a":1,"secret":"x"}`)}
	}
	for i := range 10000 {
		var r host.Result
		switch i % 10 {
		case 0:
			r = vm.RoundTrip(host.Request{Path: "/nope"}, up)
		case 1:
			r = vm.RoundTrip(authRequest("/t", rs), up)
		case 2:
			r = vm.RoundTrip(authRequest("/t", es), up)
		default:
			r = vm.RoundTrip(host.Request{Method: "POST", Path: "/api/x", Headers: headers("x-api-key", "k1"),
				Body: []byte(`{"b":[1,2,3]}`), Props: host.StreamProps{SourceAddress: "10.0.0.1:1"}}, up)
		}
		if want := map[bool]int{true: 404, false: 200}[i%10 == 0]; r.Downstream.Status != want {
			b.Fatalf("request %d: status %d (%s), want %d", i, r.Downstream.Status, r.Downstream.LocalReply, want)
		}
	}
	pages, ok := wasmguest.MemoryPages(last)
	if !ok {
		b.Fatal("not a wasmguest VM")
	}
	return float64(pages) * 65536 / 1e6
}
