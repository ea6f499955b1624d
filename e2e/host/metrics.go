package host

import (
	"github.com/apiguard/apiguard/filter/proxy"
)

// statPrefix is Envoy's CustomStatNamespace for Wasm-defined metrics.
const statPrefix = "wasmcustom."

// Metric ids carry the metric type in their two low bits and grow by 4, as
// Envoy's Wasm::next{Counter,Gauge,Histogram}MetricId do; the first counter
// of a VM is 4, the first gauge 5, the first histogram 6.
const (
	metricTypeMask  = 0x3
	metricIDStep    = 0x4
	maxMetricTypeID = uint32(proxy.MetricHistogram)
)

// stat is one Envoy stat. Every VM that defines the same name gets its own
// id but the same stat, so values aggregate across workers.
type stat struct {
	typ     proxy.MetricType
	value   int64
	samples []uint64
}

func (e *Envoy) statFor(t proxy.MetricType, name string) *stat {
	full := statPrefix + name
	e.mu.Lock()
	defer e.mu.Unlock()
	s, ok := e.stats[full]
	if !ok {
		s = &stat{typ: t}
		e.stats[full] = s
	}
	return s
}

// Metric returns the value of a counter or gauge by its Envoy stat name,
// "wasmcustom.<name>", summed over every VM that defined it.
func (e *Envoy) Metric(name string) (int64, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, ok := e.stats[name]
	if !ok || s.typ == proxy.MetricHistogram {
		return 0, false
	}
	return s.value, true
}

// Metrics returns every counter and gauge by Envoy stat name.
func (e *Envoy) Metrics() map[string]int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]int64, len(e.stats))
	for k, s := range e.stats {
		if s.typ != proxy.MetricHistogram {
			out[k] = s.value
		}
	}
	return out
}

// Histogram returns the values recorded into a histogram, in order.
func (e *Envoy) Histogram(name string) ([]uint64, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, ok := e.stats[name]
	if !ok || s.typ != proxy.MetricHistogram {
		return nil, false
	}
	return append([]uint64(nil), s.samples...), true
}

func (vm *VM) defineMetric(t proxy.MetricType, name string) (uint32, proxy.Status) {
	if uint32(t) > maxMetricTypeID {
		return 0, proxy.StatusBadArgument
	}
	vm.nextMetric[t] += metricIDStep
	id := vm.nextMetric[t] | uint32(t)
	vm.metrics[id] = vm.env.statFor(t, name)
	return id, proxy.StatusOK
}

// incrementMetric follows Envoy Context::incrementMetric: counters need a
// positive delta, gauges add or subtract, histograms refuse.
func (vm *VM) incrementMetric(id uint32, delta int64) proxy.Status {
	t := proxy.MetricType(id & metricTypeMask)
	if t == proxy.MetricHistogram || uint32(t) > maxMetricTypeID {
		return proxy.StatusBadArgument
	}
	s, ok := vm.metrics[id]
	if !ok {
		return proxy.StatusNotFound
	}
	if t == proxy.MetricCounter && delta <= 0 {
		return proxy.StatusBadArgument
	}
	vm.env.mu.Lock()
	s.value += delta
	vm.env.mu.Unlock()
	return proxy.StatusOK
}

// recordMetric follows Envoy Context::recordMetric: a counter adds the
// value, a gauge is set to it, a histogram records it.
func (vm *VM) recordMetric(id uint32, value int64) proxy.Status {
	s, ok := vm.metrics[id]
	if !ok {
		return proxy.StatusNotFound
	}
	vm.env.mu.Lock()
	defer vm.env.mu.Unlock()
	switch s.typ {
	case proxy.MetricCounter:
		s.value = int64(uint64(s.value) + uint64(value))
	case proxy.MetricGauge:
		s.value = value
	default:
		s.samples = append(s.samples, uint64(value))
	}
	return proxy.StatusOK
}

func (vm *VM) getMetric(id uint32) (uint64, proxy.Status) {
	t := proxy.MetricType(id & metricTypeMask)
	if t != proxy.MetricCounter && t != proxy.MetricGauge {
		return 0, proxy.StatusBadArgument
	}
	s, ok := vm.metrics[id]
	if !ok {
		return 0, proxy.StatusNotFound
	}
	vm.env.mu.Lock()
	defer vm.env.mu.Unlock()
	return uint64(s.value), proxy.StatusOK
}
