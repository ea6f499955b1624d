package plugin

import "github.com/apiguard/apiguard/filter/proxy"

// Metric names, as Envoy shows them after its "wasmcustom." prefix. docs/operating.md
// "Metrics" lists them; keep the two in step. The features name their own
// (authn.MetricCacheHit, ratelimit.MetricServiceFailed, ...).
const (
	metricRequests = "apiguard.requests"
	metricAllowed  = "apiguard.allowed"
)

// metricHost is the host's counters as problem.CounterHost
// (problem.Counters defines each on first use and keeps its id).
type metricHost struct{ h proxy.Host }

func (m metricHost) Define(name string) (uint32, bool) {
	id, st := m.h.DefineMetric(proxy.MetricCounter, name)
	return id, st == proxy.StatusOK
}

func (m metricHost) Increment(id uint32, n int64) { m.h.IncrementMetric(id, n) }
