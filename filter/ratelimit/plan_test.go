package ratelimit

import (
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/filter/config"
)

func TestCompiler_routePlans(t *testing.T) {
	c := NewCompiler(&config.FailedAuthLimit{Key: config.Key{Kind: config.KeyIP}, Limit: 5, Window: time.Minute})
	if c.Failed == nil || c.Failed.Policy != `"failed_auth";q=5;w=60` {
		t.Fatalf("failed_auth plan = %+v", c.Failed)
	}
	if c.Route(nil) != nil {
		t.Error("a route without limits got a plan")
	}
	a := c.Route([]config.RateLimit{
		{Name: "per-ip", Key: config.Key{Kind: config.KeyIP}, Limit: 10, Window: time.Second},
		{Name: "fleet", Key: config.Key{Kind: config.KeyRoute}, Limit: 100, Window: time.Hour, Global: true},
		{Name: "per-user", Key: config.Key{Kind: config.KeyClaim, Claim: []string{"sub"}}, Limit: 7, Window: 24 * time.Hour},
	})
	b := c.Route([]config.RateLimit{{Name: "b", Key: config.Key{Kind: config.KeyRoute}, Limit: 1, Window: time.Minute}})
	tests := []struct {
		name      string
		got, want any
	}{
		{"policy", a.Policy, `"per-ip";q=10;w=1, "fleet";q=100;w=3600, "per-user";q=7;w=86400`},
		{"lockout policy", a.LockoutPolicy, `"per-ip";q=10;w=1, "fleet";q=100;w=3600, "per-user";q=7;w=86400, "failed_auth";q=5;w=60`},
		{"local count", len(a.Local), 2},
		{"global count", len(a.Global), 1},
		{"slots number limits across routes", []int{a.Local[0].Slot, a.Local[1].Slot, b.Local[0].Slot}, []int{0, 1, 2}},
		{"total slots", c.Slots(), 3},
		{"global item span", a.Policy[a.Global[0].PolicyStart:a.Global[0].PolicyEnd], `"fleet";q=100;w=3600`},
		{"global window seconds", a.Global[0].Window, int64(3600)},
		{"metric", a.Local[1].Metric, "apiguard.rate_limited.per-user"},
		{"key prefix", a.Local[0].KeyPrefix(Namespace("")), "apiguard/rl1/per-ip/"},
		{"failed key prefix", c.Failed.KeyPrefix(Namespace("p")), "p/rl1/~fa/"},
		{"seed key", SeedKey(Namespace("p")), "p/rl1/~seed"},
	}
	for _, tc := range tests {
		if !equalAny(tc.got, tc.want) {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if NewCompiler(nil).Route([]config.RateLimit{{Name: "x", Limit: 1, Window: time.Second}}).LockoutPolicy != "" {
		t.Error("a lockout policy without failed_auth_limit")
	}
}

func equalAny(a, b any) bool {
	as, ok1 := a.([]int)
	bs, ok2 := b.([]int)
	if ok1 && ok2 {
		if len(as) != len(bs) {
			return false
		}
		for i := range as {
			if as[i] != bs[i] {
				return false
			}
		}
		return true
	}
	return a == b
}

func TestHeaders_values(t *testing.T) {
	if got := Value("per-ip", 3, 12); got != `"per-ip";r=3;t=12` {
		t.Errorf("Value = %q", got)
	}
	if got := string(AppendPolicyItemSeconds([]byte(`"a";q=1;w=1`), "b", 2, 3)); got != `"a";q=1;w=1, "b";q=2;w=3` {
		t.Errorf("AppendPolicyItemSeconds = %q", got)
	}
	if n := testing.AllocsPerRun(100, func() { _ = Value("per-ip", 3, 12) }); n > 1 {
		t.Errorf("Value allocates %.0f times", n)
	}
}

func TestKeySum_kindsHashApart(t *testing.T) {
	h := NewHasher(make([]byte, SeedBytes))
	seen := map[uint64]ValueKind{}
	for k := ValueAbsent; k <= ValueRoute; k++ {
		sum := h.KeySum(k, Tweak("l"), "")
		if prev, dup := seen[sum]; dup {
			t.Errorf("kinds %d and %d hash alike", prev, k)
		}
		seen[sum] = k
	}
	if h.KeySum(ValueAddr, 1, "ab") != h.KeySumBytes(ValueAddr, 1, []byte("ab")) {
		t.Error("KeySum and KeySumBytes disagree")
	}
}

// TestCompiler_globalPolicySpan: the span of a global limit in the route's
// RateLimit-Policy is exactly its item wherever it stands, first included
// (the plugin replaces that span with the service's quota).
func TestCompiler_globalPolicySpan(t *testing.T) {
	local := config.RateLimit{Name: "local", Key: config.Key{Kind: config.KeyIP}, Limit: 3, Window: time.Minute}
	global := func(name string) config.RateLimit {
		return config.RateLimit{Name: name, Key: config.Key{Kind: config.KeyRoute}, Limit: 10, Window: time.Second, Global: true}
	}
	tests := []struct {
		name   string
		limits []config.RateLimit
		want   []string
	}{
		{"alone", []config.RateLimit{global("g")}, []string{`"g";q=10;w=1`}},
		{"first", []config.RateLimit{global("g"), local}, []string{`"g";q=10;w=1`}},
		{"last", []config.RateLimit{local, global("g")}, []string{`"g";q=10;w=1`}},
		{"first and last", []config.RateLimit{global("a"), local, global("z")}, []string{`"a";q=10;w=1`, `"z";q=10;w=1`}},
	}
	for _, tc := range tests {
		rp := NewCompiler(nil).Route(tc.limits)
		var got []string
		for _, g := range rp.Global {
			got = append(got, rp.Policy[g.PolicyStart:g.PolicyEnd])
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s: spans %q in %q, want %q", tc.name, got, rp.Policy, tc.want)
		}
	}
}
