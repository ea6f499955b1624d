package plugin

import (
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Metric names, as Envoy shows them after its "wasmcustom." prefix. docs/operating.md
// "Metrics" lists them; keep the two in step.
const (
	metricRequests = "apiguard.requests"
	metricAllowed  = "apiguard.allowed"
	prefixDenied   = "apiguard.denied."
	prefixReported = "apiguard.reported."

	// Which path checked the signature of a token that verified (not
	// counting cache hits): the host's verify_signature or the module's
	// own Go code; and the request-time host answers that were not Ok with
	// a result, each followed by a check in Go.
	metricVerifiedHost   = "apiguard.auth.verified_by_host"
	metricVerifiedModule = "apiguard.auth.verified_by_module"
	metricHostFallback   = "apiguard.auth.host_fallback"
)

// metrics defines each counter on first use and remembers its id, so the
// request path costs one hostcall per increment and builds no names.
type metrics struct {
	host     proxy.Host
	named    map[string]uint32
	denied   map[problem.Reason]uint32
	reported map[problem.Reason]uint32
}

func newMetrics(h proxy.Host) *metrics {
	return &metrics{
		host:     h,
		named:    map[string]uint32{},
		denied:   map[problem.Reason]uint32{},
		reported: map[problem.Reason]uint32{},
	}
}

func (m *metrics) define(name string) (uint32, bool) {
	id, st := m.host.DefineMetric(proxy.MetricCounter, name)
	return id, st == proxy.StatusOK
}

// inc counts one event under a fixed name.
func (m *metrics) inc(name string) { m.add(name, 1) }

// add counts n events under a fixed name.
func (m *metrics) add(name string, n int64) {
	id, ok := m.named[name]
	if !ok {
		if id, ok = m.define(name); !ok {
			return
		}
		m.named[name] = id
	}
	m.host.IncrementMetric(id, n)
}

func (m *metrics) incReason(ids map[problem.Reason]uint32, prefix string, r problem.Reason) {
	id, ok := ids[r]
	if !ok {
		if id, ok = m.define(prefix + string(r)); !ok {
			return
		}
		ids[r] = id
	}
	m.host.IncrementMetric(id, 1)
}

func (m *metrics) deny(r problem.Reason)   { m.incReason(m.denied, prefixDenied, r) }
func (m *metrics) report(r problem.Reason) { m.incReason(m.reported, prefixReported, r) }

// predefine defines a counter at configuration time, so that it shows
// before its first event; a counter the host refuses stays undefined and
// addDefined never counts it.
func (m *metrics) predefine(name string) {
	if id, ok := m.define(name); ok {
		m.named[name] = id
	}
}

// addDefined counts n events under a name predefine defined.
func (m *metrics) addDefined(name string, n int64) {
	if id, ok := m.named[name]; ok {
		m.host.IncrementMetric(id, n)
	}
}
