package e2e

import (
	"slices"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/host"
)

// The native side of the V8 benchmarks (BenchmarkV8Host_requests and
// _bodies), so that their ratios mean what the goal table's do: the same
// kinds of request through the plugin compiled natively, in the Go
// emulator, timed the same way (wall clock per request, medians, the
// kinds taking turns after as many untimed requests). The emulator's own
// work is inside these figures as the JavaScript host's is inside V8's.

// nativeKind is one kind of request of a native run and upstream's answer.
type nativeKind struct {
	req  host.Request
	resp host.Response
}

// nativeMedians runs n untimed then n timed requests of each kind, in
// turns, on one native VM under config, and returns each kind's median in
// µs; want, when given, is each kind's status, checked on every request.
func nativeMedians(b *testing.B, config string, n int, want []int, kinds ...nativeKind) []float64 {
	b.Helper()
	var native guest
	for _, g := range guests(b) {
		if !g.wasm {
			native = g
		}
	}
	vm := start(b, native, config).Worker(0)
	times := make([][]float64, len(kinds))
	for i := range 2 * n {
		for k, kind := range kinds {
			resp := kind.resp
			t0 := time.Now()
			r := vm.RoundTrip(kind.req, func(host.UpstreamRequest) host.Response { return resp })
			d := time.Since(t0)
			if want != nil && r.Downstream.Status != want[k] {
				b.Fatalf("native, kind %d: status %d (%s), want %d", k, r.Downstream.Status, r.Downstream.LocalReply, want[k])
			}
			if i >= n {
				times[k] = append(times[k], float64(d)/1e3)
			}
		}
	}
	meds := make([]float64, len(kinds))
	for k := range times {
		meds[k] = medianOf(times[k])
	}
	return meds
}

// nativeMedian is the median wall-clock time of f in µs over n calls,
// after n untimed ones.
func nativeMedian(n int, f func() bool) float64 {
	var ts []float64
	for i := range 2 * n {
		t0 := time.Now()
		f()
		if d := time.Since(t0); i >= n {
			ts = append(ts, float64(d)/1e3)
		}
	}
	return medianOf(ts)
}

func medianOf(ts []float64) float64 {
	ts = slices.Clone(ts)
	slices.Sort(ts)
	return ts[len(ts)/2]
}
