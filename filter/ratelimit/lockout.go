package ratelimit

import "time"

// Lockout is failed_auth_limit: failures are counted in a bucket of limit
// tokens refilled at limit per window; a key with no token left is locked
// out. The failure that empties the bucket locks the key for one whole
// window: its slots are raised so that Check refuses until that failure
// is window old. Afterwards the bucket refills at limit per window, so a
// key that keeps failing right after its lockout is locked again at once,
// while one that stays quiet for another window is back to a full
// allowance.
//
// Checking costs one Get; counting a failure costs a Get and a Set (more
// under contention).
type Lockout struct {
	limit  Limit
	window int64
}

// NewLockout returns the lockout for limit failures per window, with
// entries named prefix + group.
func NewLockout(prefix string, limit int64, window time.Duration, layout Layout) *Lockout {
	r := NewRate(limit, window, limit)
	// A failure that locks the key raises it to a window plus Tolerance
	// ahead, and failures racing it a few intervals more; a second window
	// covers them all.
	ceiling := ceilingFor(r.Tolerance, 2*min(int64(window), maxTolerance))
	return &Lockout{limit: Limit{prefix: prefix, rate: r, layout: layout, ceiling: ceiling}, window: int64(window)}
}

// Limit returns the lockout's slot space (its rate is one failure per
// window/limit, its burst limit).
func (l *Lockout) Limit() *Limit { return &l.limit }

// Check reports whether the key is locked out now and, if so, for how long
// yet. A key is locked when one more failure would not fit its bucket.
func (l *Lockout) Check(st Store, now int64, hash uint64) (locked bool, wait int64, status Status) {
	admit, wait, status := l.limit.Peek(st, now, hash)
	return !admit && status == OK, wait, status
}

// Fail counts one failure of the key. locked says the key is locked out
// after it. The verdict is Allowed once counted, Contended when the CAS
// retries ran out (the failure is then not counted; the plugin counts that
// in a metric, the request itself is already being refused), Unavailable
// when the store failed.
func (l *Lockout) Fail(st Store, now int64, hash uint64) (v Verdict, locked bool, conflicts int) {
	r := l.limit.rate
	v, conflicts = l.limit.raiseTo(st, now, hash, func(state int64) int64 {
		tat := state + r.Interval
		locked = tat+r.Interval-now > r.Tolerance
		if locked {
			// Locked while tat - t > Tolerance - Interval: hold that for
			// a whole window from now.
			tat = max(tat, now+l.window+r.Tolerance-r.Interval)
		}
		return tat
	})
	return v, locked && v == Allowed, conflicts
}
