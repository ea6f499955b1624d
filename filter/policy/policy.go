package policy

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/apiguard/apiguard/filter/authn"
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/edge"
	"github.com/apiguard/apiguard/filter/ratelimit"
	"github.com/apiguard/apiguard/filter/reqcheck"
	"github.com/apiguard/apiguard/filter/respcheck"
	"github.com/apiguard/apiguard/filter/route"
	"github.com/apiguard/apiguard/filter/schema"
)

// DefaultRouteName names the `default` policy in logs, metrics and audit lines.
const DefaultRouteName = "default"

// DefaultTemplate is the default policy's path template in audit lines:
// it has none, and the parentheses keep it apart from any path.
const DefaultTemplate = "(default)"

// NoRouteName names the empty report-only policy a request gets when it
// matches nothing, there is no default and every route is report-only.
const NoRouteName = "-"

// Policy is a compiled configuration. It is never mutated after Compile, so
// every stream of a VM may share it.
type Policy struct {
	// Config is the parsed document the policy was compiled from.
	Config *config.Config

	HoldHeaders         bool
	SecurityHeaders     bool
	AuditLog            bool
	SanitizeUpstream5xx bool
	// AuditRawPath is audit_log.raw_path: the audit line carries the
	// request's path instead of the route's template.
	AuditRawPath bool
	// AuditKey hashes the audit line's subject (audit_log.hash_secret,
	// or random per VM); nil without audit_log.
	AuditKey *authn.AuditKey

	// StripHeaders are removed from every request in step 1: each header a
	// provider sets from claims, and its underscore spelling.
	StripHeaders []string

	// FailedAuth is the compiled failed_auth_limit (step 8), nil without.
	FailedAuth *ratelimit.FailedAuth
	// LocalLimits is the number of local limits of every route together
	// (ratelimit.LocalLimit.Slot numbers them).
	LocalLimits int

	routes  []Route
	dflt    *Route
	matcher *route.Table
	// none is the empty report-only policy of a request that matches no
	// route when there is no default and every route is report-only; nil
	// otherwise.
	none *Route
}

// Route is one route's (or the default's) compiled policy.
type Route struct {
	// Index is the route's position in the configuration; the default
	// policy's Index is the number of routes. Features keep per-route
	// runtime state in slices indexed by it.
	Index int
	Name  string
	// Template is the audit line's path template: the route's match.path
	// or match.prefix as written, DefaultTemplate for the default policy,
	// NoRouteName for none (docs/operating.md "Logs").
	Template string
	// Enforce false makes steps 3-12 and the response checks report-only.
	Enforce bool
	// Config is the route's policy as parsed, for the checks that read it
	// directly.
	Config *config.RoutePolicy

	// TLS is require_tls (step 3).
	TLS config.TLSMode
	// CORS is the compiled cors (steps 2, 4 and every answer), nil without.
	CORS *edge.CORS
	// Deprecation is the compiled deprecation (step 5 and every answer),
	// nil without.
	Deprecation *edge.Deprecation
	// Response is the compiled `response` (the response checks), nil
	// without.
	Response *respcheck.Plan
	// Limits is the compiled `rate_limits` (step 11), nil without.
	Limits *ratelimit.RoutePlan
	// BodySchema is the compiled `request.json.schema` (step 12), nil
	// without.
	BodySchema *reqcheck.BodySchema
}

// AuditTemplate is r's Template, and NoRouteName when r is nil (a request
// refused before a policy was chosen).
func (r *Route) AuditTemplate() string {
	if r == nil {
		return NoRouteName
	}
	return r.Template
}

// Compile builds the runtime policy. The configuration has already been
// validated by config.Parse; an error here means a feature could not
// compile what the parser accepted (for example key material), and is an
// *config.Error naming the path.
func Compile(c *config.Config) (*Policy, error) {
	p := &Policy{
		Config:              c,
		HoldHeaders:         c.HoldHeaders,
		SecurityHeaders:     c.SecurityHeaders,
		AuditLog:            c.AuditLog.Enabled,
		AuditRawPath:        c.AuditLog.RawPath,
		SanitizeUpstream5xx: c.Errors.SanitizeUpstream5xx,
		StripHeaders:        c.ClaimHeaders,
	}
	if c.AuditLog.Enabled {
		k, err := authn.NewAuditKey(string(c.AuditLog.HashSecret))
		if err != nil {
			return nil, &config.Error{Path: "audit_log", Msg: "no random key: " + err.Error()}
		}
		p.AuditKey = k
	}
	t, err := route.CompileWith(c.RouteSpecs(), c.RouteOptions())
	if err != nil {
		return nil, err
	}
	p.matcher = t
	// The schemas compile once, here; every route shares the set.
	var set *schema.Set
	if c.Schemas != nil {
		if set, err = schema.Compile(c.Schemas); err != nil {
			var se *schema.Error
			if errors.As(err, &se) {
				return nil, &config.Error{Path: se.Path, Msg: se.Msg}
			}
			return nil, err
		}
	}
	limits := ratelimit.NewCompiler(c.FailedAuthLimit)
	p.routes = make([]Route, len(c.Routes))
	for i := range c.Routes {
		r := &c.Routes[i]
		if p.routes[i], err = compileRoute(i, r.Name, &r.Policy, limits, set, "routes["+strconv.Itoa(i)+"]"); err != nil {
			return nil, err
		}
		p.routes[i].Template = r.Match.Path + r.Match.Prefix
	}
	if c.Default != nil {
		d, err := compileRoute(len(c.Routes), DefaultRouteName, c.Default, limits, set, "default")
		if err != nil {
			return nil, err
		}
		d.Template = DefaultTemplate
		p.dflt = &d
	} else if len(p.routes) > 0 && !slices.ContainsFunc(p.routes, func(r Route) bool { return r.Enforce }) {
		// It takes the default's index, which no policy uses then; every
		// feature finds nothing configured there.
		p.none = &Route{Index: len(c.Routes), Name: NoRouteName, Template: NoRouteName, Config: &config.RoutePolicy{}}
	}
	p.FailedAuth, p.LocalLimits = limits.Failed, limits.Slots()
	return p, nil
}

func compileRoute(index int, name string, cp *config.RoutePolicy, limits *ratelimit.Compiler, set *schema.Set, where string) (Route, error) {
	r := Route{Index: index, Name: name, Enforce: cp.Enforce, Config: cp, TLS: cp.RequireTLS,
		Response: respcheck.Compile(name, cp.Response), Limits: limits.Route(cp.RateLimits)}
	if cp.CORS != nil {
		r.CORS = edge.NewCORS(cp.CORS)
	}
	if cp.Deprecation != nil {
		r.Deprecation = edge.NewDeprecation(cp.Deprecation)
	}
	// config.Parse checked every schema name against the same document.
	var ok bool
	if cp.Request != nil {
		if r.BodySchema, ok = reqcheck.CompileBodySchema(set, cp.Request.JSON); !ok {
			return r, &config.Error{Path: where + ".request.json.schema", Msg: "unknown schema " + strconv.Quote(cp.Request.JSON.Schema)}
		}
	}
	if r.Response != nil {
		if r.Response.Schemas, ok = respcheck.CompileSchemas(set, cp.Response); !ok {
			return r, &config.Error{Path: where + ".response.schemas", Msg: "unknown schema"}
		}
	}
	return r, nil
}

// Match returns the policy for a request: the first route whose match fits
// method and path (the path without its query), else the default. ok is
// false for every other outcome of Lookup.
func (p *Policy) Match(method, path string) (r *Route, params route.Params, ok bool) {
	m := p.Lookup(method, path)
	if m.Outcome != route.Matched {
		return nil, route.Params{}, false
	}
	return m.Route, m.Params, true
}

// Match is what step 2 of the order of checks found for a request.
type Match struct {
	// Outcome is route.Matched when Route applies (a route or the
	// default); otherwise the request is refused: route.WrongMethod with
	// 405, route.WrongCase and route.NoMatch with 404.
	Outcome route.Outcome
	// Route is the policy that applies, or for a refusal the route it
	// belongs to: the first route whose path matches (WrongMethod), the
	// route matched only when case is ignored (WrongCase), the empty
	// report-only policy NoRouteName (NoMatch, when ReportOnly), or nil.
	Route *Route
	// Params are Route's path parameters.
	Params route.Params
	// ReportOnly says a refusal is only logged and counted: every route
	// the path matches (with case ignored, for WrongCase) is report-only,
	// or, for NoMatch, there is no default and every route is. The request
	// then goes on, report-only, under Route.
	ReportOnly bool
}

// Lookup applies docs/configuration.md "routes" to a request: the first route whose
// path and method match; else 405 when the path matches routes none of
// which lists the method, 404 when it matches a route only when case is
// ignored (case_insensitive_paths false), the default, or 404. Only a
// refusal allocates (to see which routes are report-only).
func (p *Policy) Lookup(method, path string) Match {
	i, params, out := p.matcher.Lookup(method, path)
	switch out {
	case route.Matched:
		return Match{Outcome: out, Route: &p.routes[i], Params: params}
	case route.WrongMethod:
		return Match{Outcome: out, Route: &p.routes[i], Params: params,
			ReportOnly: !p.anyEnforced(path, p.matcher.PathMatches)}
	case route.WrongCase:
		return Match{Outcome: out, Route: &p.routes[i], Params: params,
			ReportOnly: !p.anyEnforced(path, p.matcher.PathMatches) && !p.anyEnforced(path, p.matcher.CaseMatches)}
	}
	if p.dflt != nil {
		return Match{Outcome: route.Matched, Route: p.dflt}
	}
	if p.none != nil {
		return Match{Outcome: out, Route: p.none, ReportOnly: true}
	}
	return Match{Outcome: out}
}

// anyEnforced reports whether a route that each yields for path enforces.
func (p *Policy) anyEnforced(path string, each func(string, func(int) bool)) bool {
	found := false
	each(path, func(i int) bool {
		found = p.routes[i].Enforce
		return !found
	})
	return found
}

// Allow is the value of the Allow header of a 405 for path: the methods of
// every route whose path matches, HEAD where GET is listed and OPTIONS
// where the route has cors, sorted and joined with ", ".
func (p *Policy) Allow(path string) string {
	var methods []string
	p.matcher.PathMatches(path, func(i int) bool {
		for _, m := range p.matcher.Methods(i) {
			if !slices.Contains(methods, m) {
				methods = append(methods, m)
			}
		}
		if p.routes[i].CORS != nil && !slices.Contains(methods, "OPTIONS") {
			methods = append(methods, "OPTIONS")
		}
		return true
	})
	slices.Sort(methods)
	return strings.Join(methods, ", ")
}

// CORSRoute returns the first route with cors whose path matches path
// (whatever its methods): the route whose cors refuses a preflight asking
// for a method none of the path's routes lists.
func (p *Policy) CORSRoute(path string) (r *Route, params route.Params, ok bool) {
	p.matcher.PathMatches(path, func(i int) bool {
		if p.routes[i].CORS != nil {
			r, ok = &p.routes[i], true
		}
		return !ok
	})
	if ok {
		params = p.matcher.Bind(r.Index, path)
	}
	return r, params, ok
}

// NumRoutes is the number of route indexes, the default's included.
func (p *Policy) NumRoutes() int { return len(p.routes) + 1 }

// Route returns the route with the given index (the default's index is the
// number of configured routes); nil when there is none.
func (p *Policy) Route(index int) *Route {
	if index >= 0 && index < len(p.routes) {
		return &p.routes[index]
	}
	if index == len(p.routes) {
		return p.dflt
	}
	return nil
}

// RouteConfig is the parsed policy of the route with the given index
// (Route), nil when there is none: what authn.Compile reads.
func (p *Policy) RouteConfig(index int) *config.RoutePolicy {
	if r := p.Route(index); r != nil {
		return r.Config
	}
	return nil
}

// LimitPlans are every route's compiled rate_limits by index (nil where a
// route has none), for ratelimit.NewRuntime.
func (p *Policy) LimitPlans() []*ratelimit.RoutePlan {
	plans := make([]*ratelimit.RoutePlan, p.NumRoutes())
	for i := range plans {
		if r := p.Route(i); r != nil {
			plans[i] = r.Limits
		}
	}
	return plans
}

// RedactionMetrics are the names of every route's redaction counter, in
// the order of the routes (routes without `response` have none).
func (p *Policy) RedactionMetrics() []string {
	var names []string
	for i := 0; i < p.NumRoutes(); i++ {
		if r := p.Route(i); r != nil && r.Response != nil {
			names = append(names, r.Response.Metric)
		}
	}
	return names
}
