package e2e

import (
	"runtime/metrics"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/e2e/host/fault"
	"github.com/apiguard/apiguard/filter/proxy"
)

// The fixed cost of a request (issue 15, item 4) in counts that do not
// depend on the machine: how many times the host calls into the module
// (exports: the proxy.Handler callbacks), how many times the module calls
// the host (hostcalls: every proxy.Host method), and how many Go
// allocations the plugin's own code makes (natively: the allocations
// during the callbacks minus those inside hostcalls, which are the
// emulator's). Through the .wasm each hostcall that returns bytes also
// calls the module's allocator export, which the emulator's adapter makes
// and these counts leave out.

// callCounts are the counts of one guest.
type callCounts struct {
	exports, hostcalls int64
	allocs             uint64 // native guest only
	inHost             uint64 // allocations inside hostcalls
	measure            bool   // read allocations (slow; off while timing)
}

var allocSample = []metrics.Sample{{Name: "/gc/heap/allocs:objects"}}

func heapAllocs() uint64 {
	metrics.Read(allocSample)
	return allocSample[0].Value.Uint64()
}

// counting returns g whose VMs count their exports and hostcalls into c.
func counting(g guest, c *callCounts) guest {
	inner := g.factory
	g.factory = func(h proxy.Host) (proxy.Handler, error) {
		ch := countingHost{Host: fault.Host{Host: h}, c: c}
		ch.Hook = func(fault.Call) proxy.Status { c.hostcalls++; return proxy.StatusOK }
		hd, err := inner(ch)
		if err != nil {
			return nil, err
		}
		return countingHandler{Handler: hd, c: c}, nil
	}
	return g
}

// countingHost counts the hostcalls fault.Host does not pass to its Hook.
type countingHost struct {
	fault.Host
	c *callCounts
}

func (h countingHost) Log(l proxy.LogLevel, m string) proxy.Status {
	h.c.hostcalls++
	return h.Host.Log(l, m)
}
func (h countingHost) GetLogLevel() (proxy.LogLevel, proxy.Status) {
	h.c.hostcalls++
	return h.Host.GetLogLevel()
}
func (h countingHost) Now() int64 { h.c.hostcalls++; return h.Host.Now() }
func (h countingHost) GetStatus() (uint32, string, proxy.Status) {
	h.c.hostcalls++
	return h.Host.GetStatus()
}
func (h countingHost) DefineMetric(t proxy.MetricType, name string) (uint32, proxy.Status) {
	h.c.hostcalls++
	return h.Host.DefineMetric(t, name)
}
func (h countingHost) IncrementMetric(id uint32, d int64) proxy.Status {
	h.c.hostcalls++
	if !h.c.measure {
		return h.Host.IncrementMetric(id, d)
	}
	a := heapAllocs()
	st := h.Host.IncrementMetric(id, d)
	h.c.inHost += heapAllocs() - a
	return st
}
func (h countingHost) RecordMetric(id uint32, v int64) proxy.Status {
	h.c.hostcalls++
	return h.Host.RecordMetric(id, v)
}
func (h countingHost) GetMetric(id uint32) (uint64, proxy.Status) {
	h.c.hostcalls++
	return h.Host.GetMetric(id)
}
func (h countingHost) SetEffectiveContext(id uint32) proxy.Status {
	h.c.hostcalls++
	return h.Host.SetEffectiveContext(id)
}
func (h countingHost) Done() proxy.Status { h.c.hostcalls++; return h.Host.Done() }

func (h countingHost) GetHeaderMapPairs(m proxy.MapType) ([]proxy.Pair, proxy.Status) {
	if !h.c.measure {
		return h.Host.GetHeaderMapPairs(m)
	}
	a := heapAllocs()
	p, st := h.Host.GetHeaderMapPairs(m)
	h.c.inHost += heapAllocs() - a
	return p, st
}

func (h countingHost) GetHeaderMapValue(m proxy.MapType, k string) (string, proxy.Status) {
	if !h.c.measure {
		return h.Host.GetHeaderMapValue(m, k)
	}
	a := heapAllocs()
	v, st := h.Host.GetHeaderMapValue(m, k)
	h.c.inHost += heapAllocs() - a
	return v, st
}

func (h countingHost) CallForeignFunction(name string, args []byte) ([]byte, proxy.Status) {
	if !h.c.measure {
		return h.Host.CallForeignFunction(name, args)
	}
	a := heapAllocs()
	out, st := h.Host.CallForeignFunction(name, args)
	h.c.inHost += heapAllocs() - a
	return out, st
}

// countingHandler counts the request-path exports.
type countingHandler struct {
	proxy.Handler
	c *callCounts
}

// call counts one export and, when measuring, the allocations in it.
func (h countingHandler) call(f func()) {
	h.c.exports++
	if !h.c.measure {
		f()
		return
	}
	a := heapAllocs()
	f()
	h.c.allocs += heapAllocs() - a
}

func (h countingHandler) OnContextCreate(id, parent uint32) {
	h.call(func() { h.Handler.OnContextCreate(id, parent) })
}
func (h countingHandler) OnRequestHeaders(id uint32, n int, end bool) (a proxy.Action) {
	h.call(func() { a = h.Handler.OnRequestHeaders(id, n, end) })
	return a
}
func (h countingHandler) OnRequestBody(id uint32, n int, end bool) (a proxy.Action) {
	h.call(func() { a = h.Handler.OnRequestBody(id, n, end) })
	return a
}
func (h countingHandler) OnRequestTrailers(id uint32, n int) (a proxy.Action) {
	h.call(func() { a = h.Handler.OnRequestTrailers(id, n) })
	return a
}
func (h countingHandler) OnResponseHeaders(id uint32, n int, end bool) (a proxy.Action) {
	h.call(func() { a = h.Handler.OnResponseHeaders(id, n, end) })
	return a
}
func (h countingHandler) OnResponseBody(id uint32, n int, end bool) (a proxy.Action) {
	h.call(func() { a = h.Handler.OnResponseBody(id, n, end) })
	return a
}
func (h countingHandler) OnResponseTrailers(id uint32, n int) (a proxy.Action) {
	h.call(func() { a = h.Handler.OnResponseTrailers(id, n) })
	return a
}
func (h countingHandler) OnLog(id uint32) { h.call(func() { h.Handler.OnLog(id) }) }
func (h countingHandler) OnDone(id uint32) (ok bool) {
	h.call(func() { ok = h.Handler.OnDone(id) })
	return ok
}
func (h countingHandler) OnDelete(id uint32) { h.call(func() { h.Handler.OnDelete(id) }) }

// reportCounts runs req n times on a counting guest's VM before timing
// and returns the report, to call after the timed loop (ResetTimer drops
// metrics reported before it): exports/op and hostcalls/op, and natively
// module-allocs/op (the plugin's own allocations per request: those in the
// callbacks less those inside the emulator's header reads, metric calls
// and foreign function).
func reportCounts(b *testing.B, g guest, c *callCounts, vm *host.VM, req host.Request, up func(host.UpstreamRequest) host.Response) func() {
	b.Helper()
	const n = 200
	*c = callCounts{measure: !g.wasm}
	for range n {
		vm.RoundTrip(req, up)
	}
	got := *c
	*c = callCounts{}
	return func() {
		b.ReportMetric(float64(got.exports)/n, "exports/op")
		b.ReportMetric(float64(got.hostcalls)/n, "hostcalls/op")
		if !g.wasm {
			b.ReportMetric(float64(got.allocs-got.inHost)/n, "module-allocs/op")
		}
	}
}
