// Package policy compiles a parsed configuration into the immutable runtime
// form the plugin consults on every request: the route table and, per route,
// the compiled checks of each feature. Compile runs once per configuration
// (proxy_on_configure); nothing is re-parsed per request.
package policy

import (
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/route"
)

// DefaultRouteName names the `default` policy in logs, metrics and audit lines.
const DefaultRouteName = "default"

// Policy is a compiled configuration. It is never mutated after Compile, so
// every stream of a VM may share it.
type Policy struct {
	// Config is the parsed document the policy was compiled from.
	Config *config.Config

	HoldHeaders         bool
	SecurityHeaders     bool
	AuditLog            bool
	SanitizeUpstream5xx bool

	// StripHeaders are removed from every request in step 1: each header a
	// provider sets from claims, and its underscore spelling.
	StripHeaders []string

	routes  []Route
	dflt    *Route
	matcher *route.Table
}

// Route is one route's (or the default's) compiled policy.
type Route struct {
	// Index is the route's position in the configuration; the default
	// policy's Index is the number of routes. Features keep per-route
	// runtime state in slices indexed by it.
	Index int
	Name  string
	// Enforce false makes steps 3-12 and the response checks report-only.
	Enforce bool
	// Config is the route's policy as parsed, for the checks that read it
	// directly.
	Config *config.Policy
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
		AuditLog:            c.AuditLog,
		SanitizeUpstream5xx: c.Errors.SanitizeUpstream5xx,
		StripHeaders:        c.ClaimHeaders,
		matcher:             c.Table,
	}
	if p.matcher == nil {
		t, err := route.CompileWith(c.RouteSpecs(), c.RouteOptions())
		if err != nil {
			return nil, err
		}
		p.matcher = t
	}
	p.routes = make([]Route, len(c.Routes))
	for i := range c.Routes {
		r := &c.Routes[i]
		p.routes[i] = compileRoute(i, r.Name, &r.Policy)
	}
	if c.Default != nil {
		d := compileRoute(len(c.Routes), DefaultRouteName, c.Default)
		p.dflt = &d
	}
	return p, nil
}

func compileRoute(index int, name string, cp *config.Policy) Route {
	return Route{Index: index, Name: name, Enforce: cp.Enforce, Config: cp}
}

// Match returns the policy for a request: the first route whose match fits
// method and path (the path without its query), else the default. ok is
// false when neither applies (404).
func (p *Policy) Match(method, path string) (r *Route, params route.Params, ok bool) {
	if i, params, ok := p.matcher.Match(method, path); ok {
		return &p.routes[i], params, true
	}
	if p.dflt != nil {
		return p.dflt, route.Params{}, true
	}
	return nil, route.Params{}, false
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
