package jwks

import (
	"testing"
	"time"

	"github.com/apiguard/apiguard/filter/config"
)

// TestRemote_stale: a set serves up to max_stale_seconds after its fetch;
// a fetch time ahead of the clock counts as fresh.
func TestRemote_stale(t *testing.T) {
	const fetched = int64(1_800_000_000) * int64(time.Second)
	rk := &Remote{cfg: &config.RemoteJWKS{MaxStale: 1200 * time.Second}}
	if rk.Stale(fetched + int64(time.Hour)) {
		t.Fatal("a VM without a set is stale")
	}
	rk.fetchedAt = fetched
	for _, c := range []struct {
		age   time.Duration
		stale bool
	}{
		{0, false},
		{1200 * time.Second, false},
		{1200*time.Second + 1, true},
		{30 * 24 * time.Hour, true},
		{-time.Hour, false}, // the wall clock stepped back
	} {
		if got := rk.Stale(fetched + int64(c.age)); got != c.stale {
			t.Errorf("age %v: stale = %v, want %v", c.age, got, c.stale)
		}
	}
}
