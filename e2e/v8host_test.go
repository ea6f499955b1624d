package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
)

// Whole requests through build/apiguard.wasm on V8 (Node's, the engine
// Envoy embeds): e2e/v8bench/proxyhost.mjs is a minimal proxy-wasm host in
// JavaScript for timing them; the Go emulator stays the faithful host, and
// TestV8Host_sameOutcomesAsEmulator keeps the two agreeing on what a
// client sees.

// v8Kind is one request kind of a proxyhost.mjs job.
type v8Kind struct {
	Name     string      `json:"name"`
	Method   string      `json:"method,omitempty"`
	Path     string      `json:"path"`
	Headers  [][2]string `json:"headers,omitempty"`
	Body     string      `json:"body,omitempty"`
	Response v8Response  `json:"response"`
}

type v8Response struct {
	Status  int         `json:"status"`
	Headers [][2]string `json:"headers,omitempty"`
	Body    string      `json:"body,omitempty"`
}

type v8Job struct {
	Configuration string   `json:"configuration"`
	Iterations    int      `json:"iterations"`
	Warmup        int      `json:"warmup"` // untimed requests per kind before the timed ones
	Kinds         []v8Kind `json:"kinds"`
}

// v8Outcome is proxyhost.mjs's answer for one kind.
type v8Outcome struct {
	Name        string          `json:"name"`
	Status      json.RawMessage `json:"status"` // a number, or "reset" / "stalled"
	Upstream    bool            `json:"upstream"`
	Local       string          `json:"local"`
	SameOutcome bool            `json:"sameOutcome"`
	MedianUs    float64         `json:"medianUs"`
	// MedianForeignUs is the median time inside verify_signature
	// (node:crypto, the host's work).
	MedianForeignUs float64 `json:"medianForeignUs"`
	BodyLength      int     `json:"bodyLength"`
	BodySha256      string  `json:"bodySha256"` // hex
}

type v8Result struct {
	Kinds   []v8Outcome      `json:"kinds"`
	Metrics map[string]int64 `json:"metrics"`
}

// v8KindOf turns an emulator request answered with defaultResponse into a
// job kind.
func v8KindOf(name string, req host.Request) v8Kind { return v8KindWith(name, req, defaultResponse) }

// v8KindWith is v8KindOf with upstream's answer (in one chunk: the JS host
// sends bodies whole).
func v8KindWith(name string, req host.Request, resp host.Response) v8Kind {
	k := v8Kind{Name: name, Method: req.Method, Path: req.Path, Body: string(req.Body)}
	for _, p := range req.Headers {
		k.Headers = append(k.Headers, [2]string{p.Key, p.Value})
	}
	k.Response = v8Response{Status: resp.Status, Body: string(resp.Body)}
	for _, p := range resp.Headers {
		k.Response.Headers = append(k.Response.Headers, [2]string{p.Key, p.Value})
	}
	return k
}

// runV8Host runs proxyhost.mjs on job with the module the e2e suite
// checked (wasmModule refuses a stale one).
func runV8Host(t testing.TB, node string, job v8Job) v8Result {
	t.Helper()
	wasmModule(t)
	b, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "job.json")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := onceMoreOnSignal(t, func() ([]byte, error) {
		cmd := exec.Command(node, "--no-warnings", "v8bench/proxyhost.mjs", wasmPath(), f)
		cmd.Stderr = os.Stderr
		return cmd.Output()
	})
	if err != nil {
		t.Fatalf("proxyhost.mjs: %v\n%s", err, out)
	}
	var r v8Result
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("proxyhost.mjs printed %q: %v", out, err)
	}
	if len(r.Kinds) != len(job.Kinds) {
		t.Fatalf("%d outcomes for %d kinds", len(r.Kinds), len(job.Kinds))
	}
	return r
}

// TestV8Host_sameOutcomesAsEmulator: the same requests through the module
// on V8 (proxyhost.mjs) and on wazero (the Go emulator) end with the same
// status, the same upstream decision and the same counters.
func TestV8Host_sameOutcomesAsEmulator(t *testing.T) {
	node := needNode(t)
	tok := benchToken(t, "RS256", "rsa-a")
	config := string(withHoldHeaders([]byte(authBenchPolicy(t, true)), true))
	reqs := []struct {
		name string
		req  host.Request
	}{
		{"pass-through", host.Request{Path: "/p/orders", Headers: headers("x-request-id", "v8")}},
		{"rs256", authRequest("/t", tok)},
		{"rs256-cached", authRequest("/t", tok)},
		{"bad-signature", authRequest("/t", otherSignature(tok))},
		{"no-route", host.Request{Method: "POST", Path: "/nowhere"}},
	}
	job := v8Job{Configuration: config}
	for _, r := range reqs {
		job.Kinds = append(job.Kinds, v8KindOf(r.name, r.req))
	}
	got := runV8Host(t, node, job)

	var wasm guest
	for _, g := range guests(t) {
		if g.wasm {
			wasm = g
		}
	}
	e := start(t, wasm, config)
	up := func(host.UpstreamRequest) host.Response { return defaultResponse }
	for i, r := range reqs {
		want := e.Worker(0).RoundTrip(r.req, up)
		v8 := got.Kinds[i]
		if string(v8.Status) != strconv.Itoa(want.Downstream.Status) || v8.Upstream != want.UpstreamCalled || v8.Local != want.Downstream.LocalReply {
			t.Errorf("%s: V8 host %s upstream=%v local reply %q; emulator %d upstream=%v local reply %q",
				r.name, v8.Status, v8.Upstream, v8.Local, want.Downstream.Status, want.UpstreamCalled, want.Downstream.LocalReply)
		}
	}
	wantStatus := []string{"200", "200", "200", "401", "404"}
	for i, k := range got.Kinds {
		if string(k.Status) != wantStatus[i] {
			t.Errorf("%s: status %s, want %s", k.Name, k.Status, wantStatus[i])
		}
	}
	if len(got.Metrics) == 0 {
		t.Fatal("the V8 host reported no counters")
	}
	for name, v := range got.Metrics {
		if w := metricOrZero(t, e, name); v != w {
			t.Errorf("counter %s: V8 host %d, emulator %d", name, v, w)
		}
	}
	if got.Metrics["apiguard.auth.cache_hit"] != 1 || got.Metrics["apiguard.auth.verified_by_host"] != 1 {
		t.Errorf("on V8: %d cache hits and %d verifications by the host, want 1 and 1 (the second RS256 request cached)",
			got.Metrics["apiguard.auth.cache_hit"], got.Metrics["apiguard.auth.verified_by_host"])
	}
}
