package ratelimit

import (
	"crypto/rand"
	"strconv"

	"github.com/apiguard/apiguard/filter/claims"
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/problem"
)

// seedAttempts bounds the rounds of agreeing on the seed in one call.
const seedAttempts = 4

// Runtime is one VM's side of the compiled limits (RoutePlan, FailedAuth):
// the shared-data namespace, each local limit's slot space, the lockout
// of failed_auth_limit, the hash seed every worker agrees on, and the
// global limits' service (nil without rate_limit_service).
type Runtime struct {
	Prefix string // the namespace: <plugin>/rl1/
	Store  Store
	// hasher is ready once seeded.
	hasher Hasher
	seeded bool
	// limits are the local limits' slot spaces, by LocalLimit.Slot.
	limits  []*Limit
	Failed  *FailedAuth // nil without failed_auth_limit
	Lockout *Lockout
	// Scratch for Take: a VM runs one callback at a time.
	reqs   []Request
	states []State
	Global *Global
}

// NewRuntime sets up the per-VM side of the limits of plans (every
// route's, nil where a route has none) over store, for the plugin named
// pluginName: slots local limits in all, a layout of rateLimitSlots, and
// failed and svc as compiled and configured.
func NewRuntime(store Store, pluginName string, rateLimitSlots, slots int, plans []*RoutePlan, failed *FailedAuth, svc *config.RateLimitService) *Runtime {
	rt := &Runtime{Store: store, Failed: failed, Prefix: Namespace(pluginName)}
	layout := NewLayout(rateLimitSlots)
	rt.limits = make([]*Limit, slots)
	most := 0
	for _, p := range plans {
		if p == nil {
			continue
		}
		for _, l := range p.Local {
			rt.limits[l.Slot] = NewLimit(l.KeyPrefix(rt.Prefix), l.Rate, layout)
		}
		most = max(most, len(p.Local))
	}
	if fa := failed; fa != nil {
		rt.Lockout = NewLockout(fa.KeyPrefix(rt.Prefix), fa.Limit, fa.Window, layout)
	}
	rt.Global = NewGlobal(svc)
	rt.reqs = make([]Request, most)
	rt.states = make([]State, most)
	if most > 0 || failed != nil {
		// Agree on the seed now, so requests need not; a failure here is
		// retried by the first request that needs it.
		rt.EnsureSeed()
	}
	return rt
}

// Hasher is the VM's hasher of local keys (EnsureSeed first).
func (rt *Runtime) Hasher() *Hasher { return &rt.hasher }

// EnsureSeed makes sure this VM hashes with the seed every worker uses.
// The first worker to find none stores a random one; creating it with a
// non-zero CAS makes two workers racing to create it disagree visibly (the
// loser's write is a CasMismatch), and the loser then reads the winner's.
func (rt *Runtime) EnsureSeed() bool {
	if rt.seeded {
		return true
	}
	key := SeedKey(rt.Prefix)
	for i := 0; i < seedAttempts; i++ {
		v, cas, st := rt.Store.Get(key)
		switch {
		case st == OK && len(v) == SeedBytes:
			rt.hasher = NewHasher(v)
			rt.seeded = true
			return true
		case st == NotFound:
			cas = InsertCAS
		case st != OK:
			return false
		}
		// Missing (or not a seed: replaced under its CAS).
		seed := make([]byte, SeedBytes)
		rand.Read(seed)
		switch rt.Store.Set(key, seed, cas) {
		case OK:
			rt.hasher = NewHasher(seed)
			rt.seeded = true
			return true
		case CasMismatch:
			continue
		}
		return false
	}
	return false
}

// Decision is what a limit step decided: a 429 (Reason set, with
// Headers and the limit's Metric, "" for none) or an admission (Reason
// ""); Conflict and Exhausted report lost CAS races, as the metrics
// apiguard.ratelimit.cas_conflict and cas_exhausted count them.
type Decision struct {
	Reason    problem.Reason
	Headers   []httpx.Pair
	Metric    string
	Conflict  bool
	Exhausted bool
}

// Refused is a 429 for reason with RefusalHeaders.
func Refused(reason problem.Reason, policy, name string, seconds int64) Decision {
	return Decision{Reason: reason, Headers: RefusalHeaders(policy, name, seconds)}
}

// RefusalHeaders are the headers of a 429: Retry-After, the policy of the
// route (for failed_auth_limit, the route's limits then failed_auth) and
// RateLimit for the limit that refused, with no quota left until
// Retry-After.
func RefusalHeaders(policy, name string, seconds int64) []httpx.Pair {
	secs := strconv.FormatInt(seconds, 10)
	h := make([]httpx.Pair, 0, 3)
	h = append(h, httpx.Pair{Key: "retry-after", Value: secs})
	if policy != "" {
		h = append(h, httpx.Pair{Key: "ratelimit-policy", Value: policy})
	}
	return append(h, httpx.Pair{Key: "ratelimit", Value: Value(name, 0, seconds)})
}

// Report is what an admitted request's response says of its limits:
// RateLimit-Policy and RateLimit (the limit closest to refusing, with
// Remaining left).
type Report struct {
	Policy, Current string
	Remaining       int64
}

// Requests returns the scratch requests of plan's local limits, each with
// its Limit set: the caller fills in each Hash, in the order of
// plan.Local, then calls TakeLocal.
func (rt *Runtime) Requests(plan *RoutePlan) []Request {
	reqs := rt.reqs[:len(plan.Local)]
	for i, l := range plan.Local {
		reqs[i] = Request{Limit: rt.limits[l.Slot]}
	}
	return reqs
}

// TakeLocal takes a token from every local limit of the route, or from
// none (Take). An admitted request's report names the limit with the
// least remaining.
func (rt *Runtime) TakeLocal(now int64, plan *RoutePlan, reqs []Request, rep *Report) Decision {
	n := len(reqs)
	states := rt.states[:n]
	o := Take(rt.Store, now, reqs, states)
	d := Decision{Conflict: o.Conflicts > 0}
	switch o.Verdict {
	case Allowed:
		least := 0
		for i := 1; i < n; i++ {
			if states[i].Remaining < states[least].Remaining {
				least = i
			}
		}
		st := &states[least]
		rep.Current = Value(plan.Local[least].Name, st.Remaining, Seconds(st.Reset))
		rep.Remaining = st.Remaining
		return d
	case Limited:
		l := plan.Local[o.Index]
		d.Reason, d.Headers, d.Metric = problem.ReasonRateLimited, RefusalHeaders(plan.Policy, l.Name, Seconds(o.Wait)), l.Metric
		return d
	case Contended:
		// Fail closed: a limit that cannot be updated is not skipped.
		d.Reason, d.Headers, d.Exhausted = problem.ReasonRateLimitContended, RefusalHeaders(plan.Policy, plan.Local[o.Index].Name, 1), true
		return d
	}
	d.Reason, d.Headers = problem.ReasonRateLimitUnavailable, RefusalHeaders(plan.Policy, plan.Local[o.Index].Name, 1)
	return d
}

// Client is what one request's limit keys are read from besides the
// request view and the verified identity: the client address, read once
// (Envoy's source.address, never X-Forwarded-For).
type Client struct {
	addrRead bool
	addrKind uint8 // addrAbsent, addrIP, addrText
	addrN    int
	addr     [AddrKeyBytes]byte
	addrText string
}

const (
	addrAbsent uint8 = iota
	addrIP
	addrText
)

// NeedsAddr reports whether k reads the client address and it has not
// been given yet (SetAddr).
func (c *Client) NeedsAddr(k *config.Key) bool { return k.Kind == config.KeyIP && !c.addrRead }

// SetAddr gives the client address as the host answered it ("" when it
// has none).
func (c *Client) SetAddr(text string) {
	c.addrRead = true
	if text == "" {
		return
	}
	if k, n, ok := AddrKey(text); ok {
		c.addrKind, c.addr, c.addrN = addrIP, k, n
		return
	}
	c.addrKind, c.addrText = addrText, text
}

// KeySum hashes the request's value of a limit key (Hasher.KeySum): the
// client address, a header of the request view, a claim of the verified
// identity (an anonymous request counts in the absent bucket), or the
// route.
func (c *Client) KeySum(h *Hasher, k *config.Key, tweak uint64, req *httpx.Request, identity *jsonx.Value) uint64 {
	switch k.Kind {
	case config.KeyIP:
		switch c.addrKind {
		case addrIP:
			return h.KeySumBytes(ValueAddr, tweak, c.addr[:c.addrN])
		case addrText:
			return h.KeySum(ValueAddrText, tweak, c.addrText)
		}
	case config.KeyHeader:
		if v, _ := req.Header(k.Header); v != "" {
			return h.KeySum(ValueHeader, tweak, v)
		}
	case config.KeyClaim:
		if v, ok := claims.Text(identity, k.Claim); ok {
			return h.KeySum(ValueClaim, tweak, v)
		}
	case config.KeyRoute:
		return h.KeySum(ValueRoute, tweak, "")
	}
	return h.KeySum(ValueAbsent, tweak, "")
}

// CheckLockout is step 8 for the failed_auth_limit key hash at now: the
// 429 of a locked-out key (locked; the caller lets it through when its
// credential is already verified), the 429 of a lockout that cannot be
// read, or nothing. policy is the RateLimit-Policy of the route's 429s
// (the route's limits, then failed_auth). EnsureSeed first.
func (rt *Runtime) CheckLockout(now int64, hash uint64, policy string) (d Decision, locked bool) {
	locked, wait, st := rt.Lockout.Check(rt.Store, now, hash)
	switch {
	case st != OK:
		return Refused(problem.ReasonRateLimitUnavailable, policy, FailedAuthPolicyName, 1), false
	case locked:
		return Refused(problem.ReasonFailedAuthLocked, policy, FailedAuthPolicyName, Seconds(wait)), true
	}
	return Decision{}, false
}
