package plugin

import (
	"github.com/apiguard/apiguard/filter/httpx"
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

// stripClaimHeaders removes every spelling of the claims headers from the
// request and returns pairs without them: each name, its all-underscore
// form, and the names that mix '-' and '_' (x-user_id), which CGI-style
// upstreams (WSGI, PHP, Rack) read as the same variable as x-user-id. pairs
// is the whole request header map as the host holds it, so only the
// spellings it shows are removed (one hostcall per distinct name present,
// none on the usual request that carries none).
//
// What it returns is exactly the request headers every later header step
// sees (nothing else changes them before the checks pass), so it is kept
// for authentication's credential search instead of being read again
// (extractCredential). It filters pairs in place.
func (s *stream) stripClaimHeaders(pairs []proxy.Pair) []proxy.Pair {
	strip := s.r.policy.StripHeaders
	kept := pairs
	if len(strip) > 0 {
		kept = pairs[:0]
		var removed []string // distinct names removed, usually none
		for _, p := range pairs {
			if !httpx.SpellingOf(p.Key, strip) {
				kept = append(kept, p)
				continue
			}
			if !httpx.NameIn(removed, p.Key) {
				// The host removes every value of the name, whatever
				// its letter case.
				s.host.RemoveHeaderMapValue(reqHeaders, p.Key)
				removed = append(removed, p.Key)
			}
		}
	}
	s.req.Headers, s.req.HeadersRead = kept, true
	return kept
}
