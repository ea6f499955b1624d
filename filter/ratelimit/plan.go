package ratelimit

import (
	"time"

	"github.com/apiguard/apiguard/filter/config"
)

// Shared-data layout. Every key starts with the plugin's namespace (its
// name, property plugin_name: Istio puts every WasmPlugin in the one ""
// vm_id namespace) and a layout version, so a change of slot format gets
// new keys instead of misreading old ones:
//
//	<plugin>/rl1/~seed           the 16-byte hash seed, shared by all workers
//	<plugin>/rl1/<limit>/<hex>   group <hex> of a local limit's slots
//	<plugin>/rl1/~fa/<hex>       group <hex> of failed_auth_limit's slots
//
// Limit names are letters, digits, '.', '_' and '-', so none of them can
// be "~seed" or "~fa" or reach into another limit's keys.
const (
	layoutVersion  = "/rl1/"
	seedKey        = "~seed"
	failedAuthKeys = "~fa/"
	// DefaultPluginName names the namespace when Envoy gives no plugin name.
	DefaultPluginName = "apiguard"
	// FailedAuthPolicyName names failed_auth_limit in the RateLimit headers
	// of its lockout answer.
	FailedAuthPolicyName = config.FailedAuthLimitName
	// limitedPrefix + <limit name> counts each limit's refusals.
	limitedPrefix = "apiguard.rate_limited."
)

// Namespace is the prefix of every shared-data key of the plugin named
// pluginName ("" for none).
func Namespace(pluginName string) string {
	if pluginName == "" {
		pluginName = DefaultPluginName
	}
	return pluginName + layoutVersion
}

// SeedKey is the shared-data key of the hash seed under namespace ns.
func SeedKey(ns string) string { return ns + seedKey }

// RoutePlan is one route's compiled `rate_limits`: its local limits, its
// global ones (decided by the rate limit service after the local ones),
// and the RateLimit-Policy values of its answers.
type RoutePlan struct {
	Local  []*LocalLimit
	Global []*GlobalLimit
	// Policy is the RateLimit-Policy value listing every limit of the
	// route, local and global.
	Policy string
	// LockoutPolicy is the RateLimit-Policy value of a 429 from
	// failed_auth_limit: every limit of the route, then failed_auth, the
	// limit its RateLimit names; "" without failed_auth_limit.
	LockoutPolicy string
}

// LocalLimit is one compiled local limit. Its slot space lives in shared
// data under the plugin's namespace (NewLimit with KeyPrefix); Slot
// numbers it among every local limit of the configuration, so that a VM
// keeps one *Limit per slot space.
type LocalLimit struct {
	Slot   int
	Name   string
	Key    config.Key
	Tweak  uint64
	Rate   Rate
	Metric string
}

// KeyPrefix is the prefix of the limit's shared-data keys under namespace
// ns.
func (l *LocalLimit) KeyPrefix(ns string) string { return ns + l.Name + "/" }

// GlobalLimit is one compiled `"global": true` limit.
type GlobalLimit struct {
	Name   string
	Key    config.Key
	Tweak  uint64
	Limit  int64
	Window int64 // seconds
	Metric string
	// The limit's item in its route's RateLimit-Policy value, as the byte
	// range [PolicyStart, PolicyEnd), so a limit the service reports
	// differently can be spliced in.
	PolicyStart, PolicyEnd int
}

// FailedAuth is the compiled failed_auth_limit.
type FailedAuth struct {
	Key    config.Key
	Tweak  uint64
	Limit  int64
	Window time.Duration
	// Policy is its RateLimit-Policy item.
	Policy string
}

// KeyPrefix is the prefix of failed_auth_limit's shared-data keys under
// namespace ns.
func (f *FailedAuth) KeyPrefix(ns string) string { return ns + failedAuthKeys }

// Compiler compiles the rate limits of one configuration, route by route.
type Compiler struct {
	// Failed is failed_auth_limit, nil without.
	Failed *FailedAuth
	slots  int
}

// NewCompiler starts compiling a configuration with failed_auth_limit fa
// (nil without).
func NewCompiler(fa *config.FailedAuthLimit) *Compiler {
	c := &Compiler{}
	if fa != nil {
		c.Failed = &FailedAuth{
			Key:    fa.Key,
			Tweak:  Tweak(failedAuthKeys),
			Limit:  fa.Limit,
			Window: fa.Window,
			Policy: string(AppendPolicyItem(nil, FailedAuthPolicyName, fa.Limit, fa.Window)),
		}
	}
	return c
}

// Slots is the number of local limits compiled so far.
func (c *Compiler) Slots() int { return c.slots }

// Route compiles one route's `rate_limits`; nil when it has none.
func (c *Compiler) Route(limits []config.RateLimit) *RoutePlan {
	if len(limits) == 0 {
		return nil
	}
	rp := &RoutePlan{}
	var policy []byte
	for j := range limits {
		l := &limits[j]
		start := len(policy)
		if start > 0 {
			start += len(", ")
		}
		policy = AppendPolicyItem(policy, l.Name, l.Limit, l.Window)
		if l.Global {
			rp.Global = append(rp.Global, &GlobalLimit{
				Name:        l.Name,
				Key:         l.Key,
				Tweak:       Tweak(l.Name),
				Limit:       l.Limit,
				Window:      WindowSeconds(l.Window),
				Metric:      limitedPrefix + l.Name,
				PolicyStart: start,
				PolicyEnd:   len(policy),
			})
			continue
		}
		rp.Local = append(rp.Local, &LocalLimit{
			Slot:   c.slots,
			Name:   l.Name,
			Key:    l.Key,
			Tweak:  Tweak(l.Name),
			Rate:   NewRate(l.Limit, l.Window, l.Burst),
			Metric: limitedPrefix + l.Name,
		})
		c.slots++
	}
	rp.Policy = string(policy)
	if c.Failed != nil {
		rp.LockoutPolicy = rp.Policy + ", " + c.Failed.Policy
	}
	return rp
}
