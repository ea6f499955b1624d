package ratelimit

import (
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/problem"
)

// Env is what a request's limit checks ask of the plugin: the host's
// clock, and the hash of the request's value of a key (Client.KeySum over
// the request view and the verified identity, the client address read
// from the host the first time a key needs it).
type Env interface {
	Now() int64
	KeyHash(h *Hasher, k *config.Key, tweak uint64) uint64
}

// Stream is one request's rate-limit state (steps 8 and 11).
type Stream struct {
	Client Client
	// The failed_auth_limit key's hash, computed once per stream.
	faHash    uint64
	faHashed  bool
	faCounted bool
	// Report is the RateLimit-Policy and RateLimit of an admitted request.
	Report Report
	// localDone says the local limits admitted the request, so that the
	// step, resumed after the global check's callout, does not take their
	// tokens again.
	localDone bool
	Global    GlobalState
}

// GuardsFailedAuth says whether step 8 guards a route whose policy is
// cfg: failures are counted, and lockouts enforced, where credentials are
// verified (routes with `auth`); a locked-out address can still reach
// public routes.
func (rt *Runtime) GuardsFailedAuth(cfg *config.RoutePolicy) bool {
	return rt.Failed != nil && cfg != nil && cfg.Auth != nil
}

// LockoutPolicy is the RateLimit-Policy of step 8's 429s on a route with
// plan (nil without limits): every limit of the route (docs/configuration.md),
// then failed_auth, which their RateLimit names. It was built at configure
// time.
func (rt *Runtime) LockoutPolicy(plan *RoutePlan) string {
	if plan != nil {
		return plan.LockoutPolicy
	}
	return rt.Failed.Policy
}

// failedAuthHash is the request's failed_auth_limit key hash, computed
// once per stream.
func (st *Stream) failedAuthHash(rt *Runtime, env Env) uint64 {
	if !st.faHashed {
		fa := rt.Failed
		st.faHash = env.KeyHash(rt.Hasher(), &fa.Key, fa.Tweak)
		st.faHashed = true
	}
	return st.faHash
}

// Lockout is step 8 on a route GuardsFailedAuth guards, with plan its
// limits: the 429 of a locked-out key (locked; the caller lets it through
// when its credential is already verified), the 429 of a lockout that
// cannot be read or of a seed that cannot be agreed on, or nothing
// (CheckLockout). One shared-data read.
func (st *Stream) Lockout(rt *Runtime, env Env, plan *RoutePlan) (d Decision, locked bool) {
	if !rt.EnsureSeed() {
		return Refused(problem.ReasonRateLimitUnavailable, rt.LockoutPolicy(plan), FailedAuthPolicyName, 1), false
	}
	return rt.CheckLockout(env.Now(), st.failedAuthHash(rt, env), rt.LockoutPolicy(plan))
}

// CountFailure counts a missing or invalid credential against its
// failed_auth_limit key (Runtime.CountFailure), once per request, and
// appends the counters that record it to dst. Authentication (step 9)
// calls it before refusing, on a route GuardsFailedAuth guards.
func (st *Stream) CountFailure(rt *Runtime, env Env, dst []string) []string {
	if st.faCounted {
		return dst
	}
	st.faCounted = true
	return rt.CountFailure(env.Now(), func() uint64 { return st.failedAuthHash(rt, env) }, dst)
}

// Local is the first half of step 11: a token from every local limit of
// the route (plan), or from none (Runtime.TakeLocal: one shared-data get
// and one set per limit). Once admitted, the request's Report starts from
// the route's RateLimit-Policy, and the step resumed after the global
// check's callout does not take the tokens again (an empty Decision).
func (st *Stream) Local(rt *Runtime, env Env, plan *RoutePlan) Decision {
	if st.localDone {
		return Decision{}
	}
	var d Decision
	if len(plan.Local) > 0 {
		if !rt.EnsureSeed() {
			return Refused(problem.ReasonRateLimitUnavailable, plan.Policy, plan.Local[0].Name, 1)
		}
		reqs := rt.Requests(plan)
		for i, l := range plan.Local {
			reqs[i].Hash = env.KeyHash(rt.Hasher(), &l.Key, l.Tweak)
		}
		if d = rt.TakeLocal(env.Now(), plan, reqs, &st.Report); d.Reason != "" {
			return d
		}
	}
	st.localDone = true
	st.Report.Policy = plan.Policy
	return d
}
