package validate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/apiguard/apiguard/filter/config"
)

// policyWarnings are the findings docs/command.md lists for `apiguard
// validate` that leave a policy valid but probably not what its author
// meant:
//
//   - a path (or prefix) whose every route lists methods while `default`
//     exists: the other methods get 405, not `default`;
//   - a global rate limit keyed by the caller (ip, header, claim) without
//     `rate_limit_service.hash_secret`: the descriptor values reach the
//     service's store unhashed (a route name is no secret);
//   - a route method that is no standard method but a typo of one (`GTE`):
//     any token is a valid method, so the parser takes it, and the route
//     matches none of the requests its author meant.
func policyWarnings(cfg *config.Config) []error {
	var ws []error
	for ri, r := range cfg.Routes {
		for mi, m := range r.Match.Methods {
			if slices.Contains(standardMethods, m) {
				continue
			}
			if hint := config.DidYouMean(m, standardMethods); hint != "" {
				ws = append(ws, &Warning{Msg: fmt.Sprintf("routes[%d].match.methods[%d]: %q is no standard method: the route takes only requests with that very method%s", ri, mi, m, hint)})
			}
		}
	}
	if cfg.Default != nil {
		type place struct{ path, prefix string }
		var order []place
		methods := map[place][]string{}
		anyMethod := map[place]bool{}
		for _, r := range cfg.Routes {
			p := place{r.Match.Path, r.Match.Prefix}
			if _, seen := methods[p]; !seen && !anyMethod[p] {
				order = append(order, p)
			}
			if r.Match.Methods == nil {
				anyMethod[p] = true
			}
			methods[p] = append(methods[p], r.Match.Methods...)
		}
		var listed []string
		for _, p := range order {
			if anyMethod[p] {
				continue
			}
			what := p.path
			if p.prefix != "" {
				what = "prefix " + p.prefix
			}
			listed = append(listed, fmt.Sprintf("%s (%s)", what, strings.Join(methods[p], ", ")))
		}
		if len(listed) > 0 {
			ws = append(ws, &Warning{Msg: fmt.Sprintf("routes: with default set, the other methods of %s get 405 method_not_allowed, not default; if default should take them, add a route without methods for that path",
				strings.Join(listed, ", "))})
		}
	}
	hashed := cfg.RateLimitService != nil && cfg.RateLimitService.HashSecret != ""
	if !hashed {
		if where := firstGlobalLimit(cfg); where != "" {
			ws = append(ws, &Warning{Msg: fmt.Sprintf("%s is global but rate_limit_service.hash_secret is not set: descriptor values (addresses, subjects, keys) reach the rate limit service and its store as written; set hash_secret, best as {\"env\": NAME}", where)})
		}
	}
	return ws
}

// standardMethods are HTTP's registered methods in common use (RFC 9110
// and PATCH).
var standardMethods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}

// firstGlobalLimit names the first global rate limit of cfg keyed by
// something of the caller's, or "".
func firstGlobalLimit(cfg *config.Config) string {
	for ri, r := range cfg.Routes {
		for i, l := range r.Policy.RateLimits {
			if l.Global && l.Key.Raw != "route" {
				return fmt.Sprintf("routes[%d].rate_limits[%d]", ri, i)
			}
		}
	}
	if cfg.Default != nil {
		for i, l := range cfg.Default.RateLimits {
			if l.Global && l.Key.Raw != "route" {
				return fmt.Sprintf("default.rate_limits[%d]", i)
			}
		}
	}
	return ""
}
