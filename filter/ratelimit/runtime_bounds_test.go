package ratelimit

import (
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/filter/config"
)

// seedStore answers the seed's Get and Set as scripted, counting them; a
// Set past 50 succeeds, so a retry loop that never ends fails the test
// instead of hanging it.
type seedStore struct {
	get        func() ([]byte, uint32, Status)
	set        Status
	gets, sets int
	stored     []byte
}

func (s *seedStore) Get(string) ([]byte, uint32, Status) { s.gets++; return s.get() }
func (s *seedStore) Set(_ string, v []byte, _ uint32) Status {
	s.sets++
	if s.sets > 50 {
		return OK
	}
	if s.set == OK {
		s.stored = append([]byte(nil), v...)
	}
	return s.set
}

// TestRuntime_seedAgreement: a VM adopts the seed another worker stored,
// stores one when there is none or what is there is not a seed, gives up
// after seedAttempts lost races, and reports a failing store (retrying at
// the next call).
func TestRuntime_seedAgreement(t *testing.T) {
	theirs := []byte("0123456789abcdef")
	for _, c := range []struct {
		name       string
		get        func() ([]byte, uint32, Status)
		set        Status
		ok         bool
		sets       int
		adoptsSeed bool // the hasher is NewHasher(theirs)
	}{
		{"a seed stored: adopted", func() ([]byte, uint32, Status) { return theirs, 3, OK }, OK, true, 0, true},
		{"none stored: one inserted", func() ([]byte, uint32, Status) { return nil, 0, NotFound }, OK, true, 1, false},
		{"not a seed: replaced", func() ([]byte, uint32, Status) { return theirs[:3], 3, OK }, OK, true, 1, false},
		{"every race lost", func() ([]byte, uint32, Status) { return nil, 0, NotFound }, CasMismatch, false, seedAttempts, false},
		{"the store fails to read", func() ([]byte, uint32, Status) { return nil, 0, Failed }, OK, false, 0, false},
		{"the store fails to write", func() ([]byte, uint32, Status) { return nil, 0, NotFound }, Failed, false, 1, false},
	} {
		s := &seedStore{get: c.get, set: c.set}
		rt := NewRuntime(s, "", 64, 0, nil, nil, nil) // no limits: no seed yet
		if s.gets != 0 {
			t.Fatalf("%s: a runtime without limits read the seed", c.name)
		}
		if ok := rt.EnsureSeed(); ok != c.ok || s.sets != c.sets {
			t.Errorf("%s: EnsureSeed %v after %d writes, want %v after %d", c.name, ok, s.sets, c.ok, c.sets)
		}
		want := NewHasher(theirs)
		if c.ok && !c.adoptsSeed {
			if len(s.stored) != SeedBytes {
				t.Fatalf("%s: stored %x", c.name, s.stored)
			}
			want = NewHasher(s.stored)
		}
		if c.ok && rt.Hasher().KeySum(ValueRoute, 1, "") != want.KeySum(ValueRoute, 1, "") {
			t.Errorf("%s: the VM hashes with another seed", c.name)
		}
		if !c.ok {
			gets := s.gets
			rt.EnsureSeed()
			if s.gets == gets {
				t.Errorf("%s: a failed agreement is not retried", c.name)
			}
		}
	}
}

// TestNewRuntime_seedsWhenLimited: a runtime with a local limit or
// failed_auth_limit agrees on the seed when it is set up; one with
// neither leaves shared data alone.
func TestNewRuntime_seedsWhenLimited(t *testing.T) {
	local := NewCompiler(nil)
	plan := local.Route([]config.RateLimit{{Name: "r", Key: config.Key{Kind: config.KeyRoute}, Limit: 5, Window: time.Minute}})
	failed := NewCompiler(&config.FailedAuthLimit{Key: config.Key{Kind: config.KeyIP}, Limit: 2, Window: time.Minute})
	for _, c := range []struct {
		name   string
		slots  int
		plans  []*RoutePlan
		failed *FailedAuth
		seeded bool
	}{
		{"no limits", 0, []*RoutePlan{nil}, nil, false},
		{"a local limit", local.Slots(), []*RoutePlan{plan}, nil, true},
		{"failed_auth_limit", failed.Slots(), nil, failed.Failed, true},
	} {
		store := NewMemStore()
		NewRuntime(store, "p", 64, c.slots, c.plans, c.failed, nil)
		if _, _, st := store.Get(SeedKey(Namespace("p"))); (st == OK) != c.seeded {
			t.Errorf("%s: seed stored %v, want %v", c.name, st == OK, c.seeded)
		}
	}
}

// TestRuntime_takeLocalReport: an admitted request's RateLimit names the
// local limit with the least remaining (the first of a tie), and the
// decision reports a lost CAS race only when there was one.
func TestRuntime_takeLocalReport(t *testing.T) {
	now := int64(1_800_000_000e9)
	for _, c := range []struct {
		name      string
		limits    [2]int64
		conflict  bool
		current   string // prefix of RateLimit
		remaining int64
	}{
		{"the second has less left", [2]int64{5, 3}, false, `"second";r=2;`, 2},
		{"the first has less left", [2]int64{3, 5}, false, `"first";r=2;`, 2},
		{"a tie: the first", [2]int64{4, 4}, false, `"first";r=3;`, 3},
		{"a lost race", [2]int64{4, 4}, true, `"first";r=3;`, 3},
	} {
		comp := NewCompiler(nil)
		plan := comp.Route([]config.RateLimit{
			{Name: "first", Key: config.Key{Kind: config.KeyRoute}, Limit: c.limits[0], Burst: c.limits[0], Window: time.Minute},
			{Name: "second", Key: config.Key{Kind: config.KeyRoute}, Limit: c.limits[1], Burst: c.limits[1], Window: time.Minute},
		})
		store := NewMemStore()
		rt := NewRuntime(store, "", 64, comp.Slots(), []*RoutePlan{plan}, nil, nil)
		if c.conflict {
			// Another worker writes the first entry between this worker's
			// read and its write, once.
			raced := false
			store.BeforeSet = func(key string) {
				if !raced && strings.Contains(key, "/") && key != SeedKey(rt.Prefix) {
					raced = true
					v, _, _ := store.Get(key)
					store.Set(key, v, 0)
				}
			}
		}
		var rep Report
		reqs := rt.Requests(plan)
		reqs[0].Hash, reqs[1].Hash = 1, 2
		d := rt.TakeLocal(now, plan, reqs, &rep)
		if d.Reason != "" || !strings.HasPrefix(rep.Current, c.current) || rep.Remaining != c.remaining {
			t.Errorf("%s: %+v, RateLimit %q (%d left); want %q (%d left)", c.name, d, rep.Current, rep.Remaining, c.current, c.remaining)
		}
		if d.Conflict != c.conflict {
			t.Errorf("%s: Conflict %v, want %v", c.name, d.Conflict, c.conflict)
		}
	}
}
