package e2e

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/e2e/wasmguest"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Bounded memory (docs/responses.md "Guarantees"): the module's linear memory under
// sustained traffic, and with many streams open at once.

// TestMemory_boundedUnderLoad sends sustained traffic through every request and
// response feature of one VM (API key, JSON body, rate limit, redaction)
// and checks that the module's linear memory stops growing once warm: wasm
// memory never shrinks, so a leak in the plugin would show as growth.
func TestMemory_boundedUnderLoad(t *testing.T) {
	const cfg = `{"providers": {"keys": {"api_keys": {"from": [{"header": "x-api-key"}],
	    "keys": [{"id": "k1", "sha256": "6ab9f1eb8f7d3388f4f9d586f66e99fd54080df2c446f0e58668b09c08a16dd0", "claims": {"sub": "a"}}]}}},
	  "routes": [{"name": "api", "match": {"prefix": "/api"}, "auth": {"providers": ["keys"]},
	    "request": {"json": {}}, "response": {"redact": {"keys": ["secret"]}},
	    "rate_limits": [{"name": "ip", "key": "ip", "limit": 1000000000, "window": "1s"}]}]}`
	var last proxy.Handler
	f := wasmModule(t).Factory(wasmguest.Options{})
	g := guest{name: "wasm", wasm: true, factory: func(h proxy.Host) (proxy.Handler, error) {
		x, err := f(h)
		last = x
		return x, err
	}}
	e := start(t, g, cfg)
	vm := e.Worker(0)
	up := func(host.UpstreamRequest) host.Response {
		return host.Response{Status: 200, Headers: headers("content-type", "application/json"), Body: []byte(`{"a":1,"secret":"x"}`)}
	}
	send := func(n int) {
		for i := 0; i < n; i++ {
			req := host.Request{Method: "POST", Path: "/api/x", Headers: headers("x-api-key", "k1"),
				Body: []byte(`{"b":[1,2,3]}`), Props: host.StreamProps{SourceAddress: "10.0.0.1:1"}}
			if i%10 == 9 {
				req = host.Request{Path: "/nope"} // refusals too
			}
			if r := vm.RoundTrip(req, up); r.Downstream.Status != 200 && r.Downstream.Status != 404 {
				t.Fatalf("request %d: status %d", i, r.Downstream.Status)
			}
		}
	}
	// The Go heap settles within a few thousand requests; after that the
	// GC's goal may still move by a page. A leak of even a few bytes a
	// request would add pages steadily over the 40,000 requests.
	send(15000)
	warm, ok := wasmguest.MemoryPages(last)
	if !ok {
		t.Fatal("not a wasmguest VM")
	}
	send(40000)
	if after, _ := wasmguest.MemoryPages(last); after > warm+1 {
		t.Fatalf("linear memory grew from %d to %d pages over 40,000 warm requests", warm, after)
	}
}

// TestMemory_openStreamsReleaseHeaderBlocks: the plugin reads the request
// headers as one host block and keeps substrings of it (the request id,
// the method, the path, the credential), so an open stream could keep the
// whole block alive, even on a configuration without claims headers or
// header credentials: each open stream must cost well under the size of
// its headers.
func TestMemory_openStreamsReleaseHeaderBlocks(t *testing.T) {
	token := bearer(mint(t, "ec256", "ES256", claimsAt(host.DefaultStart, idpIssuer, nil)))
	for _, c := range []struct {
		name, config, path string
		extra              []proxy.Pair
	}{
		{"no auth anywhere", routesConfig, "/public/x", nil},
		{"claims headers configured, public route", claimsConfig(t), "/public/x", nil},
		{"authenticated, claims copied to headers", claimsConfig(t), "/users/alice/orders", token},
	} {
		t.Run(c.name, func(t *testing.T) { pinnedPerStream(t, c.config, c.path, c.extra) })
	}
}

func pinnedPerStream(t *testing.T, config, path string, extra []proxy.Pair) {
	var last proxy.Handler
	g := withHandler(guest{name: "wasm", wasm: true, factory: wasmModule(t).Factory(wasmguest.Options{})},
		func(x proxy.Handler) proxy.Handler { last = x; return x })
	e := start(t, g, config)
	vm := e.Worker(0)
	for i := 0; i < 200; i++ { // warm up
		r := vm.RoundTrip(host.Request{Path: path, Headers: extra}, func(host.UpstreamRequest) host.Response { return defaultResponse })
		if r.Downstream.Status != 200 {
			t.Fatalf("warm-up request answered %d (%q)", r.Downstream.Status, r.Downstream.Details)
		}
	}
	before, ok := wasmguest.MemoryPages(last)
	if !ok || before == 0 {
		t.Fatalf("no linear memory to measure (%d pages, ok %v)", before, ok)
	}
	const n, size = 1500, 32 << 10
	var open []*host.Stream
	for i := 0; i < n; i++ {
		s := vm.NewStream(host.StreamProps{})
		s.RequestHeaders(append(headers(":method", "GET", ":scheme", "https", ":authority", "api.example.com",
			":path", path, "x-pad", strings.Repeat("a", size)), extra...), true)
		if s.Ended() || s.Upstream().Headers == nil {
			t.Fatalf("stream %d did not reach upstream (details %q): it is not open", i, s.Downstream().Details)
		}
		open = append(open, s)
	}
	after, ok := wasmguest.MemoryPages(last)
	if !ok {
		t.Fatal("the module's memory could not be read after the streams opened")
	}
	grown := int64(after-before) * 65536
	t.Logf("%d open streams with a %d-byte header: linear memory %d -> %d pages (+%d KiB, %d B/stream)",
		n, size, before, after, grown>>10, grown/n)
	if grown/n > size/2 {
		t.Errorf("each open stream keeps ~%d bytes of the guest's memory: its request-header block", grown/n)
	}
	for _, s := range open {
		finish(s)
	}
}
