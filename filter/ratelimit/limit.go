package ratelimit

import (
	"math"
	"time"
)

// MaxAttempts bounds the writes one limit tries for one request. Each
// CasMismatch means another worker updated the same entry between our read
// and our write; after MaxAttempts the request gets Contended, which the
// plugin answers with 429 (fail closed: a limit that cannot be updated is
// not skipped) and counts.
const MaxAttempts = 8

// maxTolerance caps how far ahead of now a bucket may run, so that
// now + tolerance + interval never overflows int64 (2^62 ns is 146 years).
const maxTolerance = 1 << 62

// clockSlack is how far past a limit's own bound a stored TAT may run
// before it is taken for one written under a wall clock that has since
// stepped back (see Limit.ceiling). It is far above the difference between
// two workers' readings of now for requests decided at the same time.
const clockSlack = int64(time.Second)

// Rate is a token bucket in GCRA form: a request costs Interval of
// "theoretical arrival time" (TAT), and is admitted while the TAT it would
// leave runs at most Tolerance ahead of now. limit per window with a bucket
// of burst is Interval = window/limit and Tolerance = burst × Interval; a
// TAT at or before now is a full bucket.
//
// One int64 per bucket is what lets a slot hold a whole bucket, and TATs
// merge safely: the larger of two TATs is the stricter state.
type Rate struct {
	Interval  int64 // ns, ≥ 1
	Tolerance int64 // ns, ≥ Interval
}

// NewRate returns the rate for limit tokens per window with a bucket of
// burst tokens (limit and burst ≥ 1, window > 0).
func NewRate(limit int64, window time.Duration, burst int64) Rate {
	if limit < 1 {
		limit = 1
	}
	if burst < 1 {
		burst = 1
	}
	iv := int64(window) / limit
	if iv < 1 {
		iv = 1
	}
	tol := int64(maxTolerance)
	if burst <= maxTolerance/iv {
		tol = iv * burst
	}
	return Rate{Interval: iv, Tolerance: tol}
}

// Limit is one limit's slot space: its entries are prefix + group in hex.
type Limit struct {
	prefix string
	rate   Rate
	layout Layout
	// ceiling is the furthest ahead of now a slot of this limit is ever
	// written, plus clockSlack: Tolerance for a limit (an admitted
	// request leaves its TAT at most Tolerance ahead), more for a
	// Lockout. A slot further ahead was written before the host's wall
	// clock stepped back; it is read as ceiling ahead and lowered to it.
	ceiling int64
}

// NewLimit returns a limit whose entries are named prefix + group (the
// prefix carries the plugin name and the limit name; it must not be a
// prefix of another limit's).
func NewLimit(prefix string, rate Rate, layout Layout) *Limit {
	return &Limit{prefix: prefix, rate: rate, layout: layout, ceiling: ceilingFor(rate.Tolerance, 0)}
}

// ceilingFor is bound + extra + clockSlack, at most maxTolerance.
func ceilingFor(bound, extra int64) int64 {
	if bound >= maxTolerance-clockSlack || extra >= maxTolerance-clockSlack-bound {
		return maxTolerance
	}
	return bound + extra + clockSlack
}

// Rate returns the limit's rate.
func (l *Limit) Rate() Rate { return l.rate }

// Layout returns the limit's slot layout.
func (l *Limit) Layout() Layout { return l.layout }

// Prefix returns the prefix of the limit's shared-data keys.
func (l *Limit) Prefix() string { return l.prefix }

// Request is one limit to take a token from, for one key hash.
type Request struct {
	Limit *Limit
	Hash  uint64
}

// Verdict is the outcome of Take.
type Verdict uint8

// Verdicts.
const (
	// Allowed: every limit had a token, and one was taken from each.
	Allowed Verdict = iota
	// Limited: the limit at Outcome.Index has no token.
	Limited
	// Contended: the limit at Outcome.Index could not be updated in
	// MaxAttempts tries.
	Contended
	// Unavailable: the store failed on the limit at Outcome.Index.
	Unavailable
)

var verdictNames = [...]string{"allowed", "limited", "contended", "unavailable"}

func (v Verdict) String() string {
	if int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return "invalid"
}

// Outcome is what Take decided.
type Outcome struct {
	Verdict Verdict
	// Index is the request that decided a refusal.
	Index int
	// Wait is, when Limited, how long until that limit admits a request.
	Wait int64
	// Conflicts counts the CAS mismatches met (and retried).
	Conflicts int
}

// State is one limit's state after an admitted request, for the RateLimit
// response header.
type State struct {
	// Remaining is the number of requests the bucket still admits now.
	Remaining int64
	// Reset is how long until the bucket is full again (ns).
	Reset int64

	place Place
	key   string
	value []byte
	cas   uint32
	tat   int64
}

// Take admits a request only if every limit in reqs has a token, and then
// takes one from each: first every entry is read and every limit decided
// (a refusal stops there and nothing is written, so a refused request
// consumes nothing from any limit), then each entry is written with its
// CAS. A write that loses a race re-reads and re-decides that limit only;
// if it is now refused, the limits already written keep their token (a
// refund cannot be made safe with shared slots: it could return another
// key's tokens). states must have len(reqs) elements; on Allowed they hold
// each limit's state.
//
// Uncontended, one limit costs one Get and one Set; a refusal costs only
// Gets.
func Take(st Store, now int64, reqs []Request, states []State) Outcome {
	var out Outcome
	for i := range reqs {
		s := &states[i]
		r := &reqs[i]
		s.place = r.Limit.layout.Locate(r.Hash)
		s.key = EntryKey(r.Limit.prefix, s.place.Group)
		if v, ok := s.read(st, r.Limit, now); !ok {
			return Outcome{Verdict: v, Index: i, Wait: s.tat, Conflicts: out.Conflicts}
		}
	}
	for i := range reqs {
		s := &states[i]
		l := reqs[i].Limit
		for attempt := 1; ; attempt++ {
			s.write(l)
			switch st.Set(s.key, s.value, s.cas) {
			case OK:
			case CasMismatch:
				out.Conflicts++
				if attempt >= MaxAttempts {
					return Outcome{Verdict: Contended, Index: i, Conflicts: out.Conflicts}
				}
				if v, ok := s.read(st, l, now); !ok {
					return Outcome{Verdict: v, Index: i, Wait: s.tat, Conflicts: out.Conflicts}
				}
				continue
			default:
				return Outcome{Verdict: Unavailable, Index: i, Conflicts: out.Conflicts}
			}
			break
		}
		s.Remaining = (l.rate.Tolerance - (s.tat - now)) / l.rate.Interval
		s.Reset = s.tat - now
	}
	return out
}

// read fetches the entry and decides the limit. ok false is a refusal:
// Limited (with the wait in s.tat) or Unavailable.
func (s *State) read(st Store, l *Limit, now int64) (Verdict, bool) {
	v, cas, status := st.Get(s.key)
	switch status {
	case OK:
		if len(v) != l.layout.EntryBytes() {
			// Not an entry of this layout (the prefix names the layout
			// version, so only a foreign writer can cause this): replace it,
			// under its CAS.
			v = nil
		}
	case NotFound:
		v, cas = nil, InsertCAS
	default:
		return Unavailable, false
	}
	s.value, s.cas = v, cas
	repaired := s.place.lower(v, now, l.ceiling)
	tat := s.place.state(v, now, l.ceiling) + l.rate.Interval
	if tat-now > l.rate.Tolerance {
		s.tat = tat - l.rate.Tolerance - now
		if repaired {
			// A refusal writes nothing, except the repair of slots from
			// before a clock step (best effort: a lost race leaves it to
			// the next request).
			st.Set(s.key, v, cas)
		}
		return Limited, false
	}
	s.tat = tat
	return Allowed, true
}

// write applies the decided TAT to the value read (or a fresh entry).
func (s *State) write(l *Limit) {
	if s.value == nil {
		s.value = make([]byte, l.layout.EntryBytes())
	}
	s.place.raise(s.value, s.tat)
}

// Peek reports, without consuming anything, whether a request for hash
// would be admitted now and, when not, how long until it would be. It costs
// one Get.
func (l *Limit) Peek(st Store, now int64, hash uint64) (admit bool, wait int64, status Status) {
	p := l.layout.Locate(hash)
	key := EntryKey(l.prefix, p.Group)
	v, cas, status := st.Get(key)
	switch status {
	case OK:
		if len(v) != l.layout.EntryBytes() {
			v = nil
		}
	case NotFound:
		v = nil
	default:
		return false, 0, status
	}
	if p.lower(v, now, l.ceiling) {
		st.Set(key, v, cas) // repair after a clock step; best effort
	}
	tat := p.state(v, now, l.ceiling) + l.rate.Interval
	if d := tat - now - l.rate.Tolerance; d > 0 {
		return false, d, OK
	}
	return true, 0, OK
}

// raiseTo lifts the key's slots to at least tat(state), where tat computes
// the new TAT from the key's current state (see Place.state), with the CAS
// protocol. It is
// the update of a Lockout; the verdict is Allowed once written.
func (l *Limit) raiseTo(st Store, now int64, hash uint64, tat func(est int64) int64) (Verdict, int) {
	p := l.layout.Locate(hash)
	key := EntryKey(l.prefix, p.Group)
	conflicts := 0
	for attempt := 1; ; attempt++ {
		v, cas, status := st.Get(key)
		switch status {
		case OK:
			if len(v) != l.layout.EntryBytes() {
				v = make([]byte, l.layout.EntryBytes())
			}
		case NotFound:
			v, cas = make([]byte, l.layout.EntryBytes()), InsertCAS
		default:
			return Unavailable, conflicts
		}
		p.lower(v, now, l.ceiling)
		p.raise(v, tat(p.state(v, now, l.ceiling)))
		switch st.Set(key, v, cas) {
		case OK:
			return Allowed, conflicts
		case CasMismatch:
			conflicts++
			if attempt >= MaxAttempts {
				return Contended, conflicts
			}
		default:
			return Unavailable, conflicts
		}
	}
}

// Seconds rounds a wait up to whole seconds, at least 1: the form of
// Retry-After and of the RateLimit header's t.
func Seconds(ns int64) int64 {
	if ns <= 0 {
		return 1
	}
	s := ns / 1e9
	if ns%1e9 != 0 {
		s++
	}
	if s < 1 {
		s = 1
	}
	return s
}

// WindowSeconds is a window in whole seconds for RateLimit-Policy's w
// (rounded up, at least 1; at most what an int64 holds).
func WindowSeconds(d time.Duration) int64 {
	if d >= math.MaxInt64-1e9 {
		return int64(d / time.Second)
	}
	return Seconds(int64(d))
}
