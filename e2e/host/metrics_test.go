package host

import (
	"reflect"
	"testing"

	"github.com/apiguard/apiguard/filter/proxy"
)

func TestHost_metrics(t *testing.T) {
	type res struct {
		ids                               []uint32
		incZero, incNeg, incHist, getHist proxy.Status
		badType, unknown                  proxy.Status
		get                               uint64
	}
	var r res
	e, ts := newEnvoy(t, Config{Workers: 2}, func(g *toy) {
		g.configure = func(t *toy) bool {
			c, _ := t.h.DefineMetric(proxy.MetricCounter, "apiguard.allowed")
			gg, _ := t.h.DefineMetric(proxy.MetricGauge, "apiguard.keys")
			h, _ := t.h.DefineMetric(proxy.MetricHistogram, "apiguard.latency")
			c2, _ := t.h.DefineMetric(proxy.MetricCounter, "apiguard.denied")
			r.ids = []uint32{c, gg, h, c2}
			return true
		}
	})
	for i := 0; i < 2; i++ {
		h := ts.worker(i).h
		e.Worker(i).rootCall(e.Worker(i).rootID, "test", func() {
			h.IncrementMetric(r.ids[0], 2)
			h.RecordMetric(r.ids[0], 3)
			h.RecordMetric(r.ids[1], 7)
			h.IncrementMetric(r.ids[1], -2)
			h.RecordMetric(r.ids[2], 12)
			r.incZero = h.IncrementMetric(r.ids[0], 0)
			r.incNeg = h.IncrementMetric(r.ids[0], -1)
			r.incHist = h.IncrementMetric(r.ids[2], 1)
			_, r.getHist = h.GetMetric(r.ids[2])
			_, r.badType = h.DefineMetric(proxy.MetricType(3), "x")
			r.unknown = h.IncrementMetric(404, 1)
			r.get, _ = h.GetMetric(r.ids[0])
		})
	}
	if !reflect.DeepEqual(r.ids, []uint32{4, 5, 6, 8}) {
		t.Errorf("ids = %v", r.ids)
	}
	if r.incZero != proxy.StatusBadArgument || r.incNeg != proxy.StatusBadArgument || r.incHist != proxy.StatusBadArgument ||
		r.getHist != proxy.StatusBadArgument || r.badType != proxy.StatusBadArgument || r.unknown != proxy.StatusNotFound {
		t.Errorf("statuses = %+v", r)
	}
	if r.get != 10 {
		t.Errorf("get on worker 1 = %d, want 10 (both workers' increments)", r.get)
	}
	want := map[string]int64{"wasmcustom.apiguard.allowed": 10, "wasmcustom.apiguard.keys": 5, "wasmcustom.apiguard.denied": 0}
	if got := e.Metrics(); !reflect.DeepEqual(got, want) {
		t.Errorf("metrics = %v, want %v", got, want)
	}
	if v, ok := e.Metric("wasmcustom.apiguard.allowed"); !ok || v != 10 {
		t.Errorf("Metric = %d %t", v, ok)
	}
	if h, ok := e.Histogram("wasmcustom.apiguard.latency"); !ok || !reflect.DeepEqual(h, []uint64{12, 12}) {
		t.Errorf("histogram = %v", h)
	}
}
