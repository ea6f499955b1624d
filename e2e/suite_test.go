// Package e2e holds apiguard's behaviour suite: every case runs twice, once
// with the plugin compiled natively into the test binary and once with the
// built module build/apiguard.wasm on wazero, both inside the same Envoy
// emulator (e2e/host). A missing .wasm fails the run; it never skips.
//
// Each file covers one chapter of the contract, in the order of checks:
// order (the order itself), hygiene (step 1), routing (2), edge (TLS,
// CORS and deprecation: 3 to 5), ratelimit_failedauth (8), authn_* (9:
// tokens, API keys, key sets, the token cache, host signatures and where
// credentials are found), owner and owner_shadow (10 and 12), ratelimit
// and global_* (local and global limits, 11), request and request_json
// (bodies, 6, 7 and 12), response; then reportonly (enforce: false),
// failclosed and memory (guarantees), observability and config (the
// refusals). Tests are named Test<Feature>_<behaviour>; *_bench_test.go
// are each chapter's benchmarks; this file is the harness, and
// e2e/host/fault the one wrapper for hosts that fail or misbehave.
package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/apiguard/apiguard/e2e/buildstamp"
	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/e2e/host/fault"
	"github.com/apiguard/apiguard/e2e/wasmguest"
	"github.com/apiguard/apiguard/filter/plugin"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// guest is one way to run the plugin.
type guest struct {
	name    string
	factory host.GuestFactory
	wasm    bool
}

func nativeFactory(h proxy.Host) (proxy.Handler, error) { return plugin.New(h), nil }

var (
	modOnce sync.Once
	mod     *wasmguest.Module
	modErr  error
)

// wasmPath finds build/apiguard.wasm from the module root, or the module
// named by $APIGUARD_WASM.
func wasmPath() string {
	if p := os.Getenv("APIGUARD_WASM"); p != "" {
		return p
	}
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "build", "apiguard.wasm")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "build/apiguard.wasm"
		}
		dir = parent
	}
}

// wasmModule compiles the module once per test binary. build/apiguard.wasm
// must be the module `make build` built from the current sources (its
// stamp, e2e/buildstamp, compares content hashes), so that a source change
// without a rebuild fails here instead of testing old code; a module named
// by $APIGUARD_WASM is taken as it is.
func wasmModule(t testing.TB) *wasmguest.Module {
	t.Helper()
	modOnce.Do(func() {
		p := wasmPath()
		if os.Getenv("APIGUARD_WASM") == "" {
			if modErr = buildstamp.Check(filepath.Dir(filepath.Dir(p)), p); modErr != nil {
				return
			}
		}
		mod, modErr = wasmguest.CompileFile(p)
	})
	if errors.Is(modErr, buildstamp.ErrStale) {
		t.Fatalf("the wasm run needs the current module: %v", modErr)
	}
	if modErr != nil {
		t.Fatalf("the wasm run needs the module: %v (run `make build`)", modErr)
	}
	return mod
}

// guests are the two runs of every behaviour, under the default (1.39+) profile.
func guests(t testing.TB) []guest {
	return []guest{
		{name: "native", factory: nativeFactory},
		{name: "wasm", factory: wasmModule(t).Factory(wasmguest.Options{}), wasm: true},
	}
}

// eachProfile is each plus a run of the module under the Envoy 1.33-1.38
// WASI profile, for behaviours that must hold on those releases too.
func eachProfile(t *testing.T, f func(t *testing.T, g guest)) {
	t.Helper()
	gs := append(guests(t), guest{name: "wasm-envoy133",
		factory: wasmModule(t).Factory(wasmguest.Options{Profile: wasmguest.Envoy133}), wasm: true})
	for _, g := range gs {
		t.Run(g.name, func(t *testing.T) { f(t, g) })
	}
}

// each runs f once per guest as subtests.
func each(t *testing.T, f func(t *testing.T, g guest)) {
	t.Helper()
	for _, g := range guests(t) {
		t.Run(g.name, func(t *testing.T) { f(t, g) })
	}
}

// withFault returns g whose VMs each get their host wrapped in h (a hook
// that watches, fails or breaks hostcalls; see e2e/host/fault).
func withFault(g guest, h fault.Host) guest {
	inner := g.factory
	g.factory = func(host proxy.Host) (proxy.Handler, error) {
		h := h
		h.Host = host
		return inner(h)
	}
	return g
}

// withHandler returns g whose handlers (native, or the module's through
// wazero) each pass through wrap, which may record or alter what the host
// and the plugin tell each other.
func withHandler(g guest, wrap func(proxy.Handler) proxy.Handler) guest {
	inner := g.factory
	g.factory = func(h proxy.Host) (proxy.Handler, error) {
		hd, err := inner(h)
		if err != nil {
			return nil, err
		}
		return wrap(hd), nil
	}
	return g
}

// envoyOpt adjusts the emulated Envoy.
type envoyOpt func(*host.Config)

func workers(n int) envoyOpt { return func(c *host.Config) { c.Workers = n } }
func noHold() envoyOpt {
	return func(c *host.Config) { c.AllowOnHeadersStopIteration = false }
}

// start boots an Envoy with the given plugin configuration; it fails the test
// when the plugin refuses to start.
func start(t testing.TB, g guest, config string, opts ...envoyOpt) *host.Envoy {
	t.Helper()
	e, err := newEnvoy(g, config, opts...)
	if err != nil {
		t.Fatalf("plugin did not start: %v", err)
	}
	return e
}

// newEnvoy boots an Envoy; a configuration that does not write
// hold_headers gets the value the emulated host needs (withHoldHeaders).
func newEnvoy(g guest, config string, opts ...envoyOpt) (*host.Envoy, error) {
	return bootEnvoy(g, config, true, opts...)
}

// newEnvoyAsWritten boots an Envoy with the configuration exactly as the
// test wrote it.
func newEnvoyAsWritten(g guest, config string, opts ...envoyOpt) (*host.Envoy, error) {
	return bootEnvoy(g, config, false, opts...)
}

func bootEnvoy(g guest, config string, fillHold bool, opts ...envoyOpt) (*host.Envoy, error) {
	cfg := host.Config{
		PluginName:                  "apiguard",
		RootID:                      "apiguard",
		VMID:                        "apiguard",
		PluginConfig:                []byte(config),
		Workers:                     1,
		AllowOnHeadersStopIteration: true,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if fillHold {
		cfg.PluginConfig = withHoldHeaders(cfg.PluginConfig, cfg.AllowOnHeadersStopIteration)
	}
	return host.New(cfg, g.factory)
}

// withHoldHeaders writes `"hold_headers": hold` into a configuration
// object that does not write it, as an operator must for a host that can
// (Envoy with allow_on_headers_stop_iteration) or cannot (Istio) hold
// headers: docs/configuration.md makes the field required wherever a route reads bodies or
// inspects responses. Anything that is not a JSON object stays as it is,
// so tests of invalid configurations see their own bytes.
func withHoldHeaders(config []byte, hold bool) []byte {
	var top map[string]json.RawMessage
	if json.Unmarshal(config, &top) != nil {
		return config
	}
	if _, ok := top["hold_headers"]; ok {
		return config
	}
	i := bytes.IndexByte(config, '{')
	out := append([]byte{}, config[:i+1]...)
	out = append(out, fmt.Sprintf(`"hold_headers": %v`, hold)...)
	if len(top) > 0 {
		out = append(out, ',')
	}
	return append(out, config[i+1:]...)
}

// exchange is one row of a behaviour table.
type exchange struct {
	name string
	req  host.Request
	// resp is upstream's answer; the default is 200 with a small JSON body.
	resp *host.Response
	// want is the status the client must see.
	want int
	// reason, for refusals, is the metric reason that must be counted.
	reason problem.Reason
	// headers the client must see; "" means the header must be absent.
	headers map[string]string
	// upHeaders the upstream must see; "" means absent.
	upHeaders map[string]string
	// body the client must see exactly (refusals are checked automatically).
	body *string
}

var defaultResponse = host.Response{
	Status:  200,
	Headers: []proxy.Pair{{Key: "content-type", Value: "application/json"}},
	Body:    []byte(`{"ok":true}`),
}

// runTable runs every exchange against a fresh stream of e and checks the
// outcome; refusals must carry the generic problem+json of their status and
// never reach upstream.
func runTable(t *testing.T, e *host.Envoy, cases []exchange) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Helper()
			check(t, e, c, roundTrip(e.Worker(0), c))
		})
	}
}

func roundTrip(vm *host.VM, c exchange) host.Result {
	resp := defaultResponse
	if c.resp != nil {
		resp = *c.resp
	}
	return vm.RoundTrip(c.req, func(host.UpstreamRequest) host.Response { return resp })
}

func check(t *testing.T, e *host.Envoy, c exchange, r host.Result) {
	t.Helper()
	d := r.Downstream
	if d.Status != c.want {
		t.Fatalf("status %d, want %d (details %q, body %s)\nlogs:\n%s", d.Status, c.want, d.Details, d.Body, logText(e))
	}
	refused := d.LocalReply != "" && strings.HasPrefix(d.LocalReply, "apiguard_")
	if refused {
		if r.UpstreamCalled {
			t.Errorf("a refused request reached upstream")
		}
		if got := d.Header("content-type"); got != problem.ContentType {
			t.Errorf("content-type %q, want %q", got, problem.ContentType)
		}
		want := problem.Body(c.want, requestID(c.req))
		if !bytes.Equal(d.Body, want) {
			t.Errorf("body %s, want %s", d.Body, want)
		}
		if c.reason != "" && d.LocalReply != "apiguard_"+string(c.reason) {
			t.Errorf("details %q, want apiguard_%s", d.LocalReply, c.reason)
		}
	} else if c.reason != "" {
		t.Errorf("expected a refusal with reason %s, got details %q", c.reason, d.LocalReply)
	}
	for k, v := range c.headers {
		if got, ok := header(d.Headers, k); v == "" && ok {
			t.Errorf("response header %s = %q, want absent", k, got)
		} else if v != "" && got != v {
			t.Errorf("response header %s = %q, want %q", k, got, v)
		}
	}
	for k, v := range c.upHeaders {
		if !r.UpstreamCalled {
			t.Errorf("upstream not called, cannot check %s", k)
			continue
		}
		if got, ok := header(r.Upstream.Headers, k); v == "" && ok {
			t.Errorf("upstream header %s = %q, want absent", k, got)
		} else if v != "" && got != v {
			t.Errorf("upstream header %s = %q, want %q", k, got, v)
		}
	}
	if c.body != nil && string(d.Body) != *c.body {
		t.Errorf("body %q, want %q", d.Body, *c.body)
	}
}

func requestID(r host.Request) string {
	v, _ := header(r.Headers, "x-request-id")
	return v
}

func header(h []proxy.Pair, key string) (string, bool) {
	for _, p := range h {
		if strings.EqualFold(p.Key, key) {
			return p.Value, true
		}
	}
	return "", false
}

func headers(kv ...string) []proxy.Pair {
	if len(kv)%2 != 0 {
		panic("headers: odd arguments")
	}
	out := make([]proxy.Pair, 0, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		out = append(out, proxy.Pair{Key: kv[i], Value: kv[i+1]})
	}
	return out
}

func logText(e *host.Envoy) string {
	var b strings.Builder
	for _, l := range e.Logs() {
		fmt.Fprintln(&b, l.String())
	}
	return b.String()
}

// metric returns the counter wasmcustom.<name>, which must exist: the
// plugin defines a counter when it first counts, so a name that was never
// defined is misspelled or counts an event that never happened, and a
// `== 0` check on it must not pass. metricOrZero is for counts that may
// rightly be zero.
func metric(t testing.TB, e *host.Envoy, name string) int64 {
	t.Helper()
	v, ok := e.Metric("wasmcustom." + name)
	if !ok {
		t.Fatalf("metric %s was never defined (a misspelled name, or nothing counted it: use metricOrZero for a count that may be zero)\ndefined: %v", name, definedMetrics(e))
	}
	return v
}

// metricOrZero returns the counter wasmcustom.<name>, 0 when it was never
// defined (nothing counted it yet). The name must still be one the plugin
// can define: a metric the README documents and, under apiguard.denied.
// and apiguard.reported., a reason the problem package declares; so a
// misspelled name fails here too.
func metricOrZero(t testing.TB, e *host.Envoy, name string) int64 {
	t.Helper()
	if err := knownMetric(name); err != nil {
		t.Fatalf("metricOrZero(%q): %v", name, err)
	}
	v, _ := e.Metric("wasmcustom." + name)
	return v
}

// metricWant reads a counter that a table expects to be want: with
// metric when want is not zero, with metricOrZero when it is.
func metricWant(t testing.TB, e *host.Envoy, name string, want int64) int64 {
	t.Helper()
	if want == 0 {
		return metricOrZero(t, e, name)
	}
	return metric(t, e, name)
}

func definedMetrics(e *host.Envoy) []string {
	var names []string
	for k := range e.Metrics() {
		names = append(names, strings.TrimPrefix(k, "wasmcustom."))
	}
	sort.Strings(names)
	return names
}

func strp(s string) *string { return &s }

func manual() envoyOpt { return func(c *host.Config) { c.Delivery = host.DeliverManually } }

// waiting reports a stream whose headers have neither gone upstream nor
// been answered.
func waiting(s *host.Stream) bool { return s.Upstream().Headers == nil && s.Downstream().Status == 0 }

// finish answers upstream (if the request reached it) and returns what the
// client got.
func finish(s *host.Stream) host.Downstream {
	if u := s.Upstream(); u.Headers != nil && u.EndOfStream && !s.Ended() {
		s.ResponseHeaders(headers(":status", "200"), true)
	}
	s.Complete()
	return s.Downstream()
}

// holdModes are the two ways Envoy can be set up: allow_on_headers_stop_iteration
// with hold_headers true (the default), and Istio's hold_headers false.
var holdModes = []struct {
	name string
	hold bool
	opts []envoyOpt
}{
	{"hold", true, nil},
	{"nohold", false, []envoyOpt{noHold()}},
}

func post(path string, body string, kv ...string) host.Request {
	return host.Request{Method: "POST", Path: path, Body: []byte(body), Headers: headers(kv...)}
}
