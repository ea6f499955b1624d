package ratelimit

import (
	"testing"
	"time"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/problem"
)

// fakeEnv answers a stream's limit checks with a fixed key hash, counting
// what it is asked.
type fakeEnv struct{ nows, hashes int }

func (e *fakeEnv) Now() int64 { e.nows++; return 1_800_000_000e9 }

func (e *fakeEnv) KeyHash(h *Hasher, k *config.Key, tweak uint64) uint64 {
	e.hashes++
	return 42
}

// TestStream_guardsFailedAuth: step 8 guards only routes with `auth`, and
// only with failed_auth_limit configured.
func TestStream_guardsFailedAuth(t *testing.T) {
	failed := &FailedAuth{}
	tests := []struct {
		name   string
		failed *FailedAuth
		cfg    *config.RoutePolicy
		want   bool
	}{
		{"auth route", failed, &config.RoutePolicy{Auth: &config.Auth{}}, true},
		{"public route", failed, &config.RoutePolicy{}, false},
		{"no route policy", failed, nil, false},
		{"no failed_auth_limit", nil, &config.RoutePolicy{Auth: &config.Auth{}}, false},
	}
	for _, tc := range tests {
		if got := (&Runtime{Failed: tc.failed}).GuardsFailedAuth(tc.cfg); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestStream_lockout: failures are counted once per request with the key
// hashed once; the failure that reaches the limit locks the key out, and
// the lockout's 429 names the route's limits then failed_auth (or
// failed_auth alone); a seed that cannot be agreed on refuses as
// unavailable, unlocked.
func TestStream_lockout(t *testing.T) {
	c := NewCompiler(&config.FailedAuthLimit{Key: config.Key{Kind: config.KeyIP}, Limit: 2, Window: time.Minute})
	plan := c.Route([]config.RateLimit{{Name: "per-ip", Key: config.Key{Kind: config.KeyRoute}, Limit: 5, Burst: 5, Window: time.Minute}})
	rt := NewRuntime(NewMemStore(), "", 64, c.Slots(), []*RoutePlan{plan}, c.Failed, nil)
	tests := []struct {
		name   string
		plan   *RoutePlan
		counts int // failures this request reports
		reason problem.Reason
		policy string
		locked bool
	}{
		{"first failure", plan, 2, "", "", false},
		{"second failure locks", plan, 1, "", "", false},
		{"locked, route limits", plan, 0, problem.ReasonFailedAuthLocked, plan.LockoutPolicy, true},
		{"locked, no route limits", nil, 0, problem.ReasonFailedAuthLocked, c.Failed.Policy, true},
	}
	for _, tc := range tests {
		var st Stream
		env := &fakeEnv{}
		d, locked := st.Lockout(rt, env, tc.plan)
		if d.Reason != tc.reason || locked != tc.locked || headerValue(d.Headers, "ratelimit-policy") != tc.policy {
			t.Errorf("%s: lockout %+v locked %v, want %q %q %v", tc.name, d, locked, tc.reason, tc.policy, tc.locked)
		}
		for i := 0; i < tc.counts; i++ {
			if got := st.CountFailure(rt, env, nil); i > 0 && got != nil {
				t.Errorf("%s: counted twice: %v", tc.name, got)
			}
		}
		if env.hashes != 1 || tc.counts > 0 && env.nows != 2 {
			t.Errorf("%s: %d hashes, %d clock reads", tc.name, env.hashes, env.nows)
		}
	}
	down := NewRuntime(&failingStore{MemStore: NewMemStore()}, "", 64, c.Slots(), []*RoutePlan{plan}, c.Failed, nil)
	var st Stream
	d, locked := st.Lockout(down, &fakeEnv{}, plan)
	if d.Reason != problem.ReasonRateLimitUnavailable || locked || headerValue(d.Headers, "ratelimit-policy") != plan.LockoutPolicy {
		t.Errorf("no seed: %+v %v", d, locked)
	}
	if got := st.CountFailure(down, &fakeEnv{}, nil); got != nil {
		t.Errorf("no seed: counted %v", got)
	}
}

// TestStream_local: local limits take once per request: an admitted
// request's report starts from the route's policy and a resumed step takes
// nothing; a refused one reports nothing; a route without local limits
// only starts the report; a store that fails refuses as unavailable.
func TestStream_local(t *testing.T) {
	c := NewCompiler(nil)
	plan := c.Route([]config.RateLimit{{Name: "per-ip", Key: config.Key{Kind: config.KeyIP}, Limit: 1, Burst: 1, Window: time.Minute}})
	none := &RoutePlan{Policy: `"global";q=5;w=60`}
	store := NewMemStore()
	rt := NewRuntime(store, "", 64, c.Slots(), []*RoutePlan{plan}, nil, nil)
	tests := []struct {
		name   string
		rt     *Runtime
		plan   *RoutePlan
		reason problem.Reason
		hashes int
	}{
		{"admitted", rt, plan, "", 1},
		{"refused", rt, plan, problem.ReasonRateLimited, 1},
		{"no local limits", rt, none, "", 0},
		{"store down", NewRuntime(&failingStore{MemStore: NewMemStore()}, "", 64, c.Slots(), []*RoutePlan{plan}, nil, nil), plan, problem.ReasonRateLimitUnavailable, 0},
	}
	for _, tc := range tests {
		var st Stream
		env := &fakeEnv{}
		d := st.Local(tc.rt, env, tc.plan)
		if d.Reason != tc.reason || env.hashes != tc.hashes {
			t.Errorf("%s: %+v after %d hashes, want %q after %d", tc.name, d, env.hashes, tc.reason, tc.hashes)
		}
		if admitted := tc.reason == ""; (st.Report.Policy == tc.plan.Policy) != admitted || st.localDone != admitted {
			t.Errorf("%s: report %+v done %v", tc.name, st.Report, st.localDone)
		}
		if tc.reason != "" {
			continue
		}
		sets := store.Sets.Load()
		if d := st.Local(tc.rt, env, tc.plan); d.Reason != "" || env.hashes != tc.hashes || store.Sets.Load() != sets {
			t.Errorf("%s: resumed step took again: %+v", tc.name, d)
		}
	}
}
