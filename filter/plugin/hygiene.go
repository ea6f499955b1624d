package plugin

import (
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/reqcheck"
)

// hygiene is step 1 of the order of checks: it removes client-sent copies
// of every header a provider sets from claims (and their underscore
// spellings), then refuses (400) what reqcheck.Hygiene finds. It runs
// before a route is known, so s.route is nil and s.refuse always enforces:
// step 1 has no report-only mode.
//
// pairs are the request headers as onRequestHeaders read them; listed is
// false when the host could not list them, and step 1 then fails closed
// (500): nothing about the request can be checked.
func (s *stream) hygiene(rawPath string, pairs []proxy.Pair, listed bool) result {
	if !listed {
		return s.refuse(500, problem.ReasonInternal, nil)
	}
	s.stripClaimHeaders(pairs)
	if reason := reqcheck.Hygiene(&s.req, rawPath); reason != "" {
		return s.refuse(400, reason, nil)
	}
	return next
}

// stripClaimHeaders removes the client's copies of the claims headers
// (reqcheck.StripSpellings: one hostcall per distinct name present). What
// is left is exactly the request headers every later header step sees
// (nothing else changes them before the checks pass), so it is kept for
// authentication's credential search instead of being read again
// (extractCredential).
func (s *stream) stripClaimHeaders(pairs []proxy.Pair) {
	kept, removed := reqcheck.StripSpellings(pairs, s.r.policy.StripHeaders, nil)
	for _, name := range removed {
		s.host.RemoveHeaderMapValue(reqHeaders, name)
	}
	s.req.Headers, s.req.HeadersRead = kept, true
}
