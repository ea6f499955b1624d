package plugin

import (
	"crypto/rand"
	"strconv"

	"github.com/apiguard/apiguard/filter/authn"
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/ratelimit"
)

const (
	// seedAttempts bounds the rounds of agreeing on the seed in one call.
	seedAttempts = 4
	// defaultPluginName names the shared-data namespaces (rate limits,
	// JWKS) when Envoy gives no plugin name.
	defaultPluginName = ratelimit.DefaultPluginName
)

// Metrics of rate limiting besides the apiguard.denied.<reason> counters.
const (
	// metricCASConflict counts decisions that lost at least one CAS race
	// and retried.
	metricCASConflict = "apiguard.ratelimit.cas_conflict"
	// metricCASExhausted counts updates abandoned after
	// ratelimit.MaxAttempts lost races: a refused request (step 11) or an
	// uncounted failure (failed_auth_limit).
	metricCASExhausted = "apiguard.ratelimit.cas_exhausted"
	// metricFailedAuthCounted counts failures counted by failed_auth_limit.
	metricFailedAuthCounted = "apiguard.failed_auth.counted"
	// metricFailedAuthLockouts counts failures that locked their key out.
	metricFailedAuthLockouts = "apiguard.failed_auth.lockouts"
	// metricFailedAuthBypass counts requests from a locked-out key let
	// through because their credential was already verified.
	metricFailedAuthBypass = "apiguard.failed_auth.cached_bypass"
)

var (
	sourceAddressPath = []string{"source", "address"}
	pluginNamePath    = []string{"plugin_name"}
)

// rateState is the per-stream rate-limit state.
type rateState struct {
	// The client address, read once per stream.
	addrRead bool
	addrKind uint8 // addrAbsent, addrIP, addrText
	addrN    int
	addr     [ratelimit.AddrKeyBytes]byte
	addrText string

	// The failed_auth_limit key's hash, computed once per stream.
	faHash    uint64
	faHashed  bool
	faCounted bool

	// policy and current are the RateLimit-Policy and RateLimit values of
	// an admitted request, added to the response; currentRemaining is the
	// remaining count current reports.
	policy           string
	current          string
	currentRemaining int64

	// localDone says the local limits admitted the request, so that the
	// step, resumed after the global check's callout, does not take their
	// tokens again.
	localDone bool
	global    globalState
}

const (
	addrAbsent uint8 = iota
	addrIP
	addrText
)

// rateRoot is the plugin-wide rate-limit state: what each VM keeps of the
// compiled limits (policy.Route.Limits, policy.Policy.FailedAuth) at run
// time.
type rateRoot struct {
	prefix string // the namespace: <plugin>/rl1/
	store  *hostStore
	// hasher is ready once seeded; the seed is agreed through shared data
	// at configure time, or on the first request that needs it.
	hasher ratelimit.Hasher
	seeded bool
	// limits are the local limits' slot spaces, by ratelimit.LocalLimit.Slot.
	limits  []*ratelimit.Limit
	failed  *ratelimit.FailedAuth // nil without failed_auth_limit
	lockout *ratelimit.Lockout
	// Scratch for Take: a VM runs one callback at a time.
	reqs   []ratelimit.Request
	states []ratelimit.State
	// global is the rate limit service's side (ratelimit_global.go).
	global globalRoot
}

// configureRateLimits sets up the per-VM side of the compiled limits: the
// shared-data namespace (the plugin's name), each local limit's slot space
// and failed_auth_limit's, and the hash seed.
func (r *root) configureRateLimits() error {
	pol := r.policy
	cfg := pol.Config
	rr := &r.limits
	*rr = rateRoot{store: &hostStore{h: r.p.host}, failed: pol.FailedAuth}
	name := ""
	if v, st := r.p.host.GetProperty(pluginNamePath); st == proxy.StatusOK && len(v) > 0 {
		name = string(v)
	}
	rr.prefix = ratelimit.Namespace(name)
	layout := ratelimit.NewLayout(cfg.RateLimitSlots)
	rr.limits = make([]*ratelimit.Limit, pol.LocalLimits)
	most := 0
	for i := 0; i < pol.NumRoutes(); i++ {
		rt := pol.Route(i)
		if rt == nil || rt.Limits == nil {
			continue
		}
		for _, l := range rt.Limits.Local {
			rr.limits[l.Slot] = ratelimit.NewLimit(l.KeyPrefix(rr.prefix), l.Rate, layout)
		}
		most = max(most, len(rt.Limits.Local))
	}
	if fa := rr.failed; fa != nil {
		rr.lockout = ratelimit.NewLockout(fa.KeyPrefix(rr.prefix), fa.Limit, fa.Window, layout)
	}
	rr.configureGlobalRoot(cfg.RateLimitService)
	rr.reqs = make([]ratelimit.Request, most)
	rr.states = make([]ratelimit.State, most)
	if most > 0 || rr.failed != nil {
		// Agree on the seed now, so requests need not; a failure here is
		// retried by the first request that needs it.
		rr.ensureSeed()
	}
	return nil
}

// ensureSeed makes sure this VM hashes with the seed every worker uses.
// The first worker to find none stores a random one; creating it with a
// non-zero CAS makes two workers racing to create it disagree visibly (the
// loser's write is a CasMismatch), and the loser then reads the winner's.
func (rr *rateRoot) ensureSeed() bool {
	if rr.seeded {
		return true
	}
	key := ratelimit.SeedKey(rr.prefix)
	for i := 0; i < seedAttempts; i++ {
		v, cas, st := rr.store.Get(key)
		switch {
		case st == ratelimit.OK && len(v) == ratelimit.SeedBytes:
			rr.hasher = ratelimit.NewHasher(v)
			rr.seeded = true
			return true
		case st == ratelimit.NotFound:
			cas = ratelimit.InsertCAS
		case st != ratelimit.OK:
			return false
		}
		// Missing (or not a seed: replaced under its CAS).
		seed := make([]byte, ratelimit.SeedBytes)
		rand.Read(seed)
		switch rr.store.Set(key, seed, cas) {
		case ratelimit.OK:
			rr.hasher = ratelimit.NewHasher(seed)
			rr.seeded = true
			return true
		case ratelimit.CasMismatch:
			continue
		}
		return false
	}
	return false
}

// limitHeaders are the headers of a 429: Retry-After, the policy of the
// route (for failed_auth_limit, the route's limits then failed_auth) and
// RateLimit for the limit that refused, with no quota left until
// Retry-After.
func limitHeaders(policy, name string, seconds int64) []proxy.Pair {
	secs := strconv.FormatInt(seconds, 10)
	h := make([]proxy.Pair, 0, 3)
	h = append(h, proxy.Pair{Key: "retry-after", Value: secs})
	if policy != "" {
		h = append(h, proxy.Pair{Key: "ratelimit-policy", Value: policy})
	}
	return append(h, proxy.Pair{Key: "ratelimit", Value: ratelimit.Value(name, 0, seconds)})
}

// readAddr reads the client address once per stream: Envoy's
// source.address, never X-Forwarded-For (Envoy resolves that itself with
// use_remote_address and xff_num_trusted_hops).
func (s *stream) readAddr() {
	if s.rl.addrRead {
		return
	}
	s.rl.addrRead = true
	v, st := s.host.GetProperty(sourceAddressPath)
	if st != proxy.StatusOK || len(v) == 0 {
		return
	}
	text := string(v)
	if k, n, ok := ratelimit.AddrKey(text); ok {
		s.rl.addrKind, s.rl.addr, s.rl.addrN = addrIP, k, n
		return
	}
	s.rl.addrKind, s.rl.addrText = addrText, text
}

// keyHash hashes the request's value of a limit key
// (ratelimit.Hasher.KeySum).
func (s *stream) keyHash(k *config.Key, tweak uint64) uint64 {
	return s.keyHashWith(&s.r.limits.hasher, k, tweak)
}

// keyHashWith is keyHash under the given hasher (the global limits' one
// is shared by the fleet). The values come from the request view, the
// client address and the verified identity (step 9's verdict).
func (s *stream) keyHashWith(h *ratelimit.Hasher, k *config.Key, tweak uint64) uint64 {
	switch k.Kind {
	case config.KeyIP:
		s.readAddr()
		switch s.rl.addrKind {
		case addrIP:
			return h.KeySumBytes(ratelimit.ValueAddr, tweak, s.rl.addr[:s.rl.addrN])
		case addrText:
			return h.KeySum(ratelimit.ValueAddrText, tweak, s.rl.addrText)
		}
	case config.KeyHeader:
		if v, _ := s.req.Header(k.Header); v != "" {
			return h.KeySum(ratelimit.ValueHeader, tweak, v)
		}
	case config.KeyClaim:
		// An anonymous request has no identity and counts in the absent
		// bucket.
		if v, ok := authn.ClaimText(s.identity, k.Claim); ok {
			return h.KeySum(ratelimit.ValueClaim, tweak, v)
		}
	case config.KeyRoute:
		return h.KeySum(ratelimit.ValueRoute, tweak, "")
	}
	return h.KeySum(ratelimit.ValueAbsent, tweak, "")
}

// stepRateLimits is step 11: local limits, then global ones (429).
func (s *stream) stepRateLimits() result {
	if s.route == nil || s.route.Limits == nil {
		return next
	}
	rl := s.route.Limits
	if !s.rl.localDone {
		if res := s.localLimits(rl); res != next {
			return res
		}
		s.rl.localDone = true
		s.rl.policy = rl.Policy
	}
	return s.globalLimits(rl)
}

// localLimits takes a token from every local limit of the route, or from
// none: ratelimit.Take reads and decides them all before it writes any, so
// a request refused by one limit consumes nothing from the others. One
// shared-data get and one set per limit.
func (s *stream) localLimits(rl *ratelimit.RoutePlan) result {
	n := len(rl.Local)
	if n == 0 {
		return next
	}
	rr := &s.r.limits
	if !rr.ensureSeed() {
		return s.refuse(429, problem.ReasonRateLimitUnavailable, limitHeaders(rl.Policy, rl.Local[0].Name, 1))
	}
	reqs, states := rr.reqs[:n], rr.states[:n]
	for i, l := range rl.Local {
		reqs[i] = ratelimit.Request{Limit: rr.limits[l.Slot], Hash: s.keyHash(&l.Key, l.Tweak)}
	}
	o := ratelimit.Take(rr.store, s.host.Now(), reqs, states)
	if o.Conflicts > 0 {
		s.r.metrics.inc(metricCASConflict)
	}
	switch o.Verdict {
	case ratelimit.Allowed:
		// RateLimit reports the limit closest to refusing.
		least := 0
		for i := 1; i < n; i++ {
			if states[i].Remaining < states[least].Remaining {
				least = i
			}
		}
		st := &states[least]
		s.rl.current = ratelimit.Value(rl.Local[least].Name, st.Remaining, ratelimit.Seconds(st.Reset))
		s.rl.currentRemaining = st.Remaining
		return next
	case ratelimit.Limited:
		l := rl.Local[o.Index]
		s.r.metrics.inc(l.Metric)
		return s.refuse(429, problem.ReasonRateLimited, limitHeaders(rl.Policy, l.Name, ratelimit.Seconds(o.Wait)))
	case ratelimit.Contended:
		// Fail closed: a limit that cannot be updated is not skipped.
		s.r.metrics.inc(metricCASExhausted)
		return s.refuse(429, problem.ReasonRateLimitContended, limitHeaders(rl.Policy, rl.Local[o.Index].Name, 1))
	}
	return s.refuse(429, problem.ReasonRateLimitUnavailable, limitHeaders(rl.Policy, rl.Local[o.Index].Name, 1))
}

// rateLimitHeaders adds RateLimit-Policy and RateLimit to the response of
// a request its limits (local, then global) admitted: RateLimit reports the limit with
// the least remaining. Upstream's own values are replaced; when no limit
// reported a remaining count (a global-only route whose service gave no
// statuses, or failed open), upstream's RateLimit is removed, since it
// would name a limit the policy beside it does not list. A report-only
// policy leaves the response untouched.
func (s *stream) rateLimitHeaders() {
	if s.rl.policy == "" || !s.enforced() {
		return
	}
	s.host.ReplaceHeaderMapValue(respHeaders, "ratelimit-policy", s.rl.policy)
	if s.rl.current != "" {
		s.host.ReplaceHeaderMapValue(respHeaders, "ratelimit", s.rl.current)
	} else {
		s.host.RemoveHeaderMapValue(respHeaders, "ratelimit")
	}
}
