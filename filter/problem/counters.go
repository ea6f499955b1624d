package problem

// Counter name prefixes of refusals, as Envoy shows them after its
// "wasmcustom." prefix (docs/operating.md "Metrics"): a refusal counts
// under apiguard.denied.<reason>, a report-only policy's would-be refusal
// under apiguard.reported.<reason>.
const (
	PrefixDenied   = "apiguard.denied."
	PrefixReported = "apiguard.reported."
)

// CounterHost is the host's counters.
type CounterHost interface {
	// Define defines a counter; ok is false when the host refused it.
	Define(name string) (id uint32, ok bool)
	// Increment adds n to the counter id.
	Increment(id uint32, n int64)
}

// Counters defines each counter on first use and remembers its id, so the
// request path costs one hostcall per increment and builds no names.
type Counters struct {
	host     CounterHost
	named    map[string]uint32
	denied   map[Reason]uint32
	reported map[Reason]uint32
	// recent are the counters last incremented by name, looked at before
	// named: the request path names a few constants (requests, allowed,
	// cache hits), and == on the same constant compares lengths and
	// pointers only, where the map hashes the name (in Go's wasm code, a
	// lookup's many instructions and code fetches per increment).
	recent [4]recentCounter
	next   int
}

type recentCounter struct {
	name string
	id   uint32
}

// NewCounters returns counters over h, none defined yet.
func NewCounters(h CounterHost) *Counters {
	return &Counters{
		host:     h,
		named:    map[string]uint32{},
		denied:   map[Reason]uint32{},
		reported: map[Reason]uint32{},
	}
}

// Inc counts one event under a fixed name.
func (m *Counters) Inc(name string) { m.Add(name, 1) }

// Add counts n events under a fixed name.
func (m *Counters) Add(name string, n int64) {
	for i := range m.recent {
		if r := &m.recent[i]; r.name == name && name != "" {
			m.host.Increment(r.id, n)
			return
		}
	}
	id, ok := m.named[name]
	if !ok {
		if id, ok = m.host.Define(name); !ok {
			return
		}
		m.named[name] = id
	}
	m.recent[m.next] = recentCounter{name, id}
	m.next = (m.next + 1) % len(m.recent)
	m.host.Increment(id, n)
}

func (m *Counters) incReason(ids map[Reason]uint32, prefix string, r Reason) {
	id, ok := ids[r]
	if !ok {
		if id, ok = m.host.Define(prefix + string(r)); !ok {
			return
		}
		ids[r] = id
	}
	m.host.Increment(id, 1)
}

// Deny counts a refusal for r (PrefixDenied).
func (m *Counters) Deny(r Reason) { m.incReason(m.denied, PrefixDenied, r) }

// Report counts a report-only policy's would-be refusal for r
// (PrefixReported).
func (m *Counters) Report(r Reason) { m.incReason(m.reported, PrefixReported, r) }

// Predefine defines a counter at configuration time, so that it shows
// before its first event; a counter the host refuses stays undefined and
// AddDefined never counts it.
func (m *Counters) Predefine(name string) {
	if id, ok := m.host.Define(name); ok {
		m.named[name] = id
	}
}

// AddDefined counts n events under a name Predefine defined.
func (m *Counters) AddDefined(name string, n int64) {
	if id, ok := m.named[name]; ok {
		m.host.Increment(id, n)
	}
}
