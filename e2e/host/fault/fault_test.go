package fault

import (
	"testing"

	"github.com/apiguard/apiguard/filter/proxy"
)

// stub answers the two calls the test makes and records them.
type stub struct {
	proxy.Host
	calls []string
}

func (s *stub) GetSharedData(key string) ([]byte, uint32, proxy.Status) {
	s.calls = append(s.calls, "get "+key)
	return []byte("v"), 7, proxy.StatusOK
}

func (s *stub) GetHeaderMapPairs(m proxy.MapType) ([]proxy.Pair, proxy.Status) {
	s.calls = append(s.calls, "pairs")
	return []proxy.Pair{{Key: "a", Value: "1"}}, proxy.StatusOK
}

// TestHost_hookFailsOrPasses: a call the hook lets through reaches the
// wrapped host and returns its answer; a call it fails returns the hook's
// status with zero results and never reaches the host; Pairs edits a
// successful header list; a Switch changes the hook while in use.
func TestHost_hookFailsOrPasses(t *testing.T) {
	s := &stub{}
	var sw Switch
	var seen []Call
	h := Host{Host: s, Hook: func(c Call) proxy.Status {
		seen = append(seen, c)
		return sw.Hook(c)
	}, Pairs: func(m proxy.MapType, ps []proxy.Pair) []proxy.Pair {
		return append(ps, proxy.Pair{Key: "edited", Value: "1"})
	}}

	if v, cas, st := h.GetSharedData("k1"); string(v) != "v" || cas != 7 || st != proxy.StatusOK {
		t.Errorf("pass-through: %q %d %v", v, cas, st)
	}
	sw.Set(func(c Call) proxy.Status {
		if c.Method == "GetSharedData" && c.Key == "k2" {
			return proxy.StatusInternalFailure
		}
		return proxy.StatusOK
	})
	if v, cas, st := h.GetSharedData("k2"); v != nil || cas != 0 || st != proxy.StatusInternalFailure {
		t.Errorf("failed call: %q %d %v", v, cas, st)
	}
	ps, st := h.GetHeaderMapPairs(proxy.MapRequestHeaders)
	if st != proxy.StatusOK || len(ps) != 2 || ps[1].Key != "edited" {
		t.Errorf("edited pairs: %v %v", ps, st)
	}
	sw.Set(nil)
	if _, _, st := h.GetSharedData("k2"); st != proxy.StatusOK {
		t.Errorf("after the switch is cleared: %v", st)
	}
	if got, want := len(s.calls), 3; got != want || s.calls[1] != "pairs" {
		t.Errorf("the wrapped host saw %v, want get k1, pairs, get k2", s.calls)
	}
	if len(seen) != 4 || seen[2] != (Call{Method: "GetHeaderMapPairs", Map: proxy.MapRequestHeaders}) {
		t.Errorf("the hook saw %+v", seen)
	}
}
