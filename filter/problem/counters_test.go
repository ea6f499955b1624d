package problem

import (
	"slices"
	"testing"
)

// fakeCounters is a host whose counters are a map; refuse names the
// counters it will not define.
type fakeCounters struct {
	names   []string // by id
	values  []int64
	defines int
	refuse  map[string]bool
}

func (h *fakeCounters) Define(name string) (uint32, bool) {
	h.defines++
	if h.refuse[name] {
		return 0, false
	}
	if i := slices.Index(h.names, name); i >= 0 {
		return uint32(i), true
	}
	h.names, h.values = append(h.names, name), append(h.values, 0)
	return uint32(len(h.names) - 1), true
}

func (h *fakeCounters) Increment(id uint32, n int64) { h.values[id] += n }

func (h *fakeCounters) value(name string) int64 {
	if i := slices.Index(h.names, name); i >= 0 {
		return h.values[i]
	}
	return -1
}

// TestCounters_countsByName: each way of counting lands on its name, a
// counter is defined once however often it counts, a counter the host
// refuses is not counted, and AddDefined counts only what Predefine
// defined.
func TestCounters_countsByName(t *testing.T) {
	tests := []struct {
		name    string
		count   func(c *Counters)
		metric  string
		want    int64
		defines int
	}{
		{"inc", func(c *Counters) { c.Inc("apiguard.requests"); c.Inc("apiguard.requests") }, "apiguard.requests", 2, 1},
		{"add", func(c *Counters) { c.Add("apiguard.x", 5); c.Add("apiguard.x", 2) }, "apiguard.x", 7, 1},
		{"deny", func(c *Counters) { c.Deny("sunset"); c.Deny("sunset") }, "apiguard.denied.sunset", 2, 1},
		{"report", func(c *Counters) { c.Report("sunset") }, "apiguard.reported.sunset", 1, 1},
		{"deny and report apart", func(c *Counters) { c.Report("sunset"); c.Deny("sunset") }, "apiguard.denied.sunset", 1, 2},
		{"predefined shows at zero", func(c *Counters) { c.Predefine("apiguard.r") }, "apiguard.r", 0, 1},
		{"predefined counts", func(c *Counters) { c.Predefine("apiguard.r"); c.AddDefined("apiguard.r", 3) }, "apiguard.r", 3, 1},
		{"not predefined: not counted", func(c *Counters) { c.AddDefined("apiguard.r", 3) }, "apiguard.r", -1, 0},
		{"refused: not counted, asked again", func(c *Counters) { c.Inc("apiguard.no"); c.Inc("apiguard.no") }, "apiguard.no", -1, 2},
		{"refused reason", func(c *Counters) { c.Deny("no"); c.Deny("no") }, "apiguard.denied.no", -1, 2},
		{"refused predefine", func(c *Counters) { c.Predefine("apiguard.no"); c.AddDefined("apiguard.no", 1) }, "apiguard.no", -1, 1},
	}
	for _, tc := range tests {
		h := &fakeCounters{refuse: map[string]bool{"apiguard.no": true, "apiguard.denied.no": true}}
		tc.count(NewCounters(h))
		if got := h.value(tc.metric); got != tc.want || h.defines != tc.defines {
			t.Errorf("%s: %s = %d after %d defines, want %d after %d", tc.name, tc.metric, got, h.defines, tc.want, tc.defines)
		}
	}
}

// TestCounters_recentNames: an empty name on fresh counters, a few names
// in turn (found among the recent ones), more names in turn than those
// hold, and the same name spelled by another string each count under
// their own counter, defined once.
func TestCounters_recentNames(t *testing.T) {
	h := &fakeCounters{}
	c := NewCounters(h)
	c.Add("", 100)
	names := []string{"a.one", "a.two", "a.three", "a.four", "a.five", "a.six"}
	want := map[string]int64{"": 100}
	add := func(n string, v int64) {
		c.Add(n, v)
		want[string([]byte(n))] += v
	}
	for range 3 {
		for i, n := range names[:3] {
			add(n, int64(i+1))
		}
	}
	for range 2 {
		for i, n := range names {
			add(n, int64(10*(i+1)))
		}
	}
	add(string([]byte(names[5])), 1000)
	add("", 1)
	for n, w := range want {
		if got := h.value(n); got != w {
			t.Errorf("%q = %d, want %d", n, got, w)
		}
	}
	if h.defines != len(names)+1 {
		t.Errorf("%d defines, want %d", h.defines, len(names)+1)
	}
}
