package ratelimit

import (
	"reflect"
	"testing"
	"time"

	"github.com/apiguard/apiguard/filter/config"
)

// TestRuntime_countFailure: each counted failure says so, the one that
// reaches the limit also locks, and a store that fails counts nothing.
func TestRuntime_countFailure(t *testing.T) {
	c := NewCompiler(&config.FailedAuthLimit{Key: config.Key{Kind: config.KeyIP}, Limit: 2, Window: time.Minute})
	rt := NewRuntime(NewMemStore(), "", 64, c.Slots(), nil, c.Failed, nil)
	now := int64(1_800_000_000e9)
	hash := func() uint64 { return 7 }
	for i, want := range [][]string{
		{MetricFailedAuthCounted},
		{MetricFailedAuthCounted, MetricFailedAuthLockouts},
	} {
		if got := rt.CountFailure(now, hash, nil); !reflect.DeepEqual(got, want) {
			t.Errorf("failure %d: %v, want %v", i+1, got, want)
		}
	}
	rt.Store = brokenStore{}
	if got := rt.CountFailure(now, hash, nil); len(got) != 0 {
		t.Errorf("broken store: %v", got)
	}
}

// TestDecision_metrics: a decision counts its lost races, exhausted
// retries and the refusing limit, in that order.
func TestDecision_metrics(t *testing.T) {
	for _, c := range []struct {
		d    Decision
		want []string
	}{
		{Decision{}, nil},
		{Decision{Conflict: true}, []string{MetricCASConflict}},
		{Decision{Conflict: true, Exhausted: true, Metric: "apiguard.rate_limited.x"}, []string{MetricCASConflict, MetricCASExhausted, "apiguard.rate_limited.x"}},
	} {
		if got := c.d.Metrics(nil); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%+v: %v, want %v", c.d, got, c.want)
		}
	}
}
