package jwks

import (
	"slices"
	"testing"
	"time"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jwt"
)

// TestSet_new: a set polls at the tick period of its shortest timeout_ms
// and loads, without fetching, what another worker of the same plugin
// name published; a plugin of another name does not see it.
func TestSet_new(t *testing.T) {
	slow := &config.RemoteJWKS{Cluster: "idp", Authority: "idp.example", Path: "/jwks", Timeout: time.Second, Refresh: time.Hour, MaxStale: time.Hour}
	fast := &config.RemoteJWKS{Cluster: "idp2", Authority: "idp2.example", Path: "/jwks", Timeout: 200 * time.Millisecond, Refresh: time.Hour, MaxStale: time.Hour}
	providers := []Provider{{Name: "a", Issuer: "https://idp.example", Cfg: slow}, {Name: "b", Issuer: "https://idp2.example", Cfg: fast}}
	store := newMemStore()
	h := newFakeHost(store)
	first, tick := NewSet(h, "", "apiguard", providers)
	if tick != TickPeriod(fast.Timeout) || tick >= TickPeriod(slow.Timeout) || first.Keys(0) != nil || len(h.fetches) != 0 {
		t.Fatalf("tick %d, keys %v, %d fetches", tick, first.Keys(0), len(h.fetches))
	}
	if _, one := NewSet(h, "", "apiguard", providers[:1]); one != TickPeriod(slow.Timeout) {
		t.Errorf("one provider: tick %d", one)
	}
	first.Tick(h)
	if len(h.fetches) != 2 {
		t.Fatalf("%d fetches, want one per provider", len(h.fetches))
	}
	h.fetches = h.fetches[:1]
	h.answer(ecJWKS(t), "")
	tests := []struct {
		name   string
		plugin string
		loaded bool
	}{
		{"same plugin, default name", "", true},
		{"same plugin, the default spelled", "apiguard", true},
		{"another plugin", "gw", false},
	}
	for _, tc := range tests {
		h2 := newFakeHost(store)
		s, _ := NewSet(h2, tc.plugin, "apiguard", providers)
		if got := s.Keys(0) != nil; got != tc.loaded || s.Keys(1) != nil || len(h2.fetches) != 0 || s.Remote(0).Keys() != s.Keys(0) {
			t.Errorf("%s: loaded %v (want %v), second provider %v, %d fetches", tc.name, got, tc.loaded, s.Keys(1), len(h2.fetches))
		}
	}
}

// TestSet_usable: a provider's set serves unless it is a remote set gone
// stale; an inline set (no remote) never goes stale.
func TestSet_usable(t *testing.T) {
	const fetched = int64(1_800_000_000) * int64(time.Second)
	s := &Set{remotes: []*Remote{{cfg: &config.RemoteJWKS{MaxStale: time.Minute}, fetchedAt: fetched}}}
	ks := &jwt.KeySet{}
	tests := []struct {
		name   string
		set    *Set
		ks     *jwt.KeySet
		remote int
		age    time.Duration
		want   *jwt.KeySet
	}{
		{"fresh remote", s, ks, 0, time.Minute, ks},
		{"stale remote", s, ks, 0, time.Minute + 1, nil},
		{"none yet", s, nil, 0, 0, nil},
		{"inline, no remote sets", nil, ks, -1, 24 * time.Hour, ks},
	}
	for _, tc := range tests {
		if got := tc.set.Usable(tc.ks, tc.remote, fetched+int64(tc.age)); got != tc.want {
			t.Errorf("%s: %p, want %p", tc.name, got, tc.want)
		}
	}
}

// TestSet_wake: each waiting request is woken once, in order; one that
// waits again is woken by the next Wake only; Wake says whether it woke
// any.
func TestSet_wake(t *testing.T) {
	var s Set
	for _, id := range []uint32{1, 2, 3} {
		s.Wait(id)
	}
	rounds := []struct {
		again []uint32
		woken []uint32
	}{
		{[]uint32{2}, []uint32{1, 2, 3}},
		{nil, []uint32{2}},
		{nil, nil},
	}
	for i, r := range rounds {
		var woken []uint32
		some := s.Wake(func(id uint32) {
			woken = append(woken, id)
			if slices.Contains(r.again, id) {
				s.Wait(id)
			}
		})
		if !slices.Equal(woken, r.woken) || some != (len(r.woken) > 0) {
			t.Errorf("round %d: woke %v (%v), want %v", i, woken, some, r.woken)
		}
	}
}
