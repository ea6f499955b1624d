package plugin

import (
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/ratelimit"
)

// Rate limiting (steps 8 and 11): filter/ratelimit decides (the per-VM
// Runtime over shared data, key values, headers, the rate limit service's
// message and answer); this file and the two beside it make the host
// calls and map its decisions.

// defaultPluginName names the shared-data namespaces (rate limits, JWKS)
// when Envoy gives no plugin name.
const defaultPluginName = ratelimit.DefaultPluginName

var (
	sourceAddressPath = []string{"source", "address"}
	pluginNamePath    = []string{"plugin_name"}
)

// configureRateLimits sets up the per-VM side of the compiled limits
// (ratelimit.NewRuntime) in the namespace of the plugin's name.
func (r *root) configureRateLimits() error {
	pol := r.policy
	name := ""
	if v, st := r.p.host.GetProperty(pluginNamePath); st == proxy.StatusOK && len(v) > 0 {
		name = string(v)
	}
	r.limits = ratelimit.NewRuntime(&hostStore{h: r.p.host}, name, pol.Config.RateLimitSlots, pol.LocalLimits,
		pol.LimitPlans(), pol.FailedAuth, pol.Config.RateLimitService)
	return nil
}

// rateEnv is the stream as ratelimit.Env: the host's clock and the
// request's key values.
type rateEnv struct{ s *stream }

func (e rateEnv) Now() int64 { return e.s.host.Now() }

// KeyHash hashes the request's value of a limit key under h
// (ratelimit.Client.KeySum), reading the client address from the host
// the first time a key needs it: Envoy's source.address, never
// X-Forwarded-For (Envoy resolves that itself with use_remote_address and
// xff_num_trusted_hops).
func (e rateEnv) KeyHash(h *ratelimit.Hasher, k *config.Key, tweak uint64) uint64 {
	s := e.s
	c := &s.rl.Client
	if c.NeedsAddr(k) {
		text := ""
		if v, st := s.host.GetProperty(sourceAddressPath); st == proxy.StatusOK {
			text = string(v)
		}
		c.SetAddr(text)
	}
	return c.KeySum(h, k, tweak, &s.req, s.identity)
}

// stepRateLimits is step 11: local limits (ratelimit.Stream.Local), then
// global ones (429).
func (s *stream) stepRateLimits() result {
	if s.route == nil || s.route.Limits == nil {
		return next
	}
	rl := s.route.Limits
	if res := s.refuseLimit(s.rl.Local(s.r.limits, rateEnv{s}, rl)); res != next {
		return res
	}
	return s.globalLimits(rl)
}

// rateLimitHeaders adds RateLimit-Policy and RateLimit to the response of
// a request its limits (local, then global) admitted: RateLimit reports
// the limit with the least remaining (ratelimit.Report.AppendEdits). A
// report-only policy leaves the response untouched.
func (s *stream) rateLimitHeaders() {
	if !s.enforced() {
		return
	}
	var buf [2]httpx.Edit
	s.applyEdits(respHeaders, s.rl.Report.AppendEdits(buf[:0]))
}
