package plugin

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/proxy"
)

// The plugin's own tests of stream-level checks (owner, body_owner,
// credential extraction) drive the plugin natively through the Envoy
// emulator, the same host the e2e suite uses, so these checks are pinned
// in this package too (and `make mutation` sees them); the e2e suite runs
// the same behaviours against the .wasm.

// emulated starts the plugin natively with config.
func emulated(t *testing.T, config string) *host.Envoy {
	t.Helper()
	e, err := host.New(host.Config{PluginName: "apiguard", RootID: "apiguard", VMID: "apiguard",
		PluginConfig: []byte(config), Workers: 1, AllowOnHeadersStopIteration: true},
		func(h proxy.Host) (proxy.Handler, error) { return New(h), nil })
	if err != nil {
		t.Fatalf("plugin did not start: %v", err)
	}
	return e
}

// hexKey is the sha256 a configuration holds for an API key.
func hexKey(k string) string {
	s := sha256.Sum256([]byte(k))
	return hex.EncodeToString(s[:])
}

func pairs(kv ...string) []proxy.Pair {
	out := make([]proxy.Pair, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, proxy.Pair{Key: kv[i], Value: kv[i+1]})
	}
	return out
}

// outcome is what a table row expects: the status and, for a refusal, the
// reason (the response code details apiguard_<reason>).
type outcome struct {
	status int
	reason string
}

// send runs one request with a JSON upstream answer and returns the
// result.
func send(e *host.Envoy, req host.Request) host.Result {
	return e.Worker(0).RoundTrip(req, func(host.UpstreamRequest) host.Response {
		return host.Response{Status: 200, Headers: pairs("content-type", "application/json"), Body: []byte(`{}`)}
	})
}

// expect checks status and reason of r.
func expect(t *testing.T, name string, r host.Result, want outcome) {
	t.Helper()
	d := r.Downstream
	reason := strings.TrimPrefix(d.LocalReply, "apiguard_")
	if d.Status != want.status || reason != want.reason {
		t.Errorf("%s: status %d reason %q, want %d %q", name, d.Status, reason, want.status, want.reason)
	}
	if want.status == 200 && !r.UpstreamCalled {
		t.Errorf("%s: allowed but upstream not called", name)
	}
	if want.status != 200 && r.UpstreamCalled {
		t.Errorf("%s: refused but upstream called", name)
	}
}
