package plugin

import (
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/reqcheck"
)

// hygiene is step 1 of the order of checks: it removes client-sent copies of
// every header a provider sets from claims (and their underscore spellings),
// then refuses (400) method overrides (the three override headers, a
// `_method` query parameter in any spelling forbid_query_params would
// match) and unsafe paths (reqcheck.UnsafePath). It runs before a route is
// known, so s.route is nil and s.refuse always enforces: step 1 has no
// report-only mode.
func (s *stream) hygiene() result {
	for _, name := range s.r.policy.StripHeaders {
		s.host.RemoveHeaderMapValue(reqHeaders, name)
	}
	for _, name := range reqcheck.MethodOverrideHeaders {
		if _, st := s.host.GetHeaderMapValue(reqHeaders, name); st == proxy.StatusOK {
			return s.refuse(400, problem.ReasonMethodOverride, nil)
		}
	}
	if reqcheck.FindQueryParam(s.query, reqcheck.MethodParam) >= 0 {
		return s.refuse(400, problem.ReasonMethodOverride, nil)
	}
	if reqcheck.UnsafePath(s.path) {
		return s.refuse(400, problem.ReasonUnsafePath, nil)
	}
	return next
}
