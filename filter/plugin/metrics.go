package plugin

import "github.com/apiguard/apiguard/filter/proxy"

// Metric names, as Envoy shows them after its "wasmcustom." prefix. docs/operating.md
// "Metrics" lists them; keep the two in step.
const (
	metricRequests = "apiguard.requests"
	metricAllowed  = "apiguard.allowed"

	// Which path checked the signature of a token that verified (not
	// counting cache hits): the host's verify_signature or the module's
	// own Go code; and the request-time host answers that were not Ok with
	// a result, each followed by a check in Go.
	metricVerifiedHost   = "apiguard.auth.verified_by_host"
	metricVerifiedModule = "apiguard.auth.verified_by_module"
	metricHostFallback   = "apiguard.auth.host_fallback"
)

// metricHost is the host's counters as problem.CounterHost
// (problem.Counters defines each on first use and keeps its id).
type metricHost struct{ h proxy.Host }

func (m metricHost) Define(name string) (uint32, bool) {
	id, st := m.h.DefineMetric(proxy.MetricCounter, name)
	return id, st == proxy.StatusOK
}

func (m metricHost) Increment(id uint32, n int64) { m.h.IncrementMetric(id, n) }
