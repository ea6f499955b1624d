package plugin

import (
	"strings"

	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/reqcheck"
)

// hygiene is step 1 of the order of checks: it removes client-sent copies of
// every header a provider sets from claims (and their underscore spellings),
// then refuses (400) a method that is not an upper-case token
// (reqcheck.ValidMethod), method overrides (the three override headers, a
// `_method` query parameter in any spelling forbid_query_params would
// match), a request target that is not origin-form (reqcheck.OriginForm)
// and unsafe paths (reqcheck.UnsafePath). It runs before a route is
// known, so s.route is nil and s.refuse always enforces: step 1 has no
// report-only mode.
func (s *stream) hygiene(rawPath string) result {
	strip := s.r.policy.StripHeaders
	for _, name := range strip {
		s.host.RemoveHeaderMapValue(reqHeaders, name)
	}
	if len(strip) > 0 && !s.stripSpellings(strip) {
		return s.refuse(500, problem.ReasonInternal, nil)
	}
	if !reqcheck.ValidMethod(s.method) {
		return s.refuse(400, problem.ReasonBadRequest, nil)
	}
	for _, name := range reqcheck.MethodOverrideHeaders {
		if _, st := s.host.GetHeaderMapValue(reqHeaders, name); st == proxy.StatusOK {
			return s.refuse(400, problem.ReasonMethodOverride, nil)
		}
	}
	if reqcheck.FindQueryParam(s.query, reqcheck.MethodParam) >= 0 {
		return s.refuse(400, problem.ReasonMethodOverride, nil)
	}
	if !reqcheck.OriginForm(rawPath) || reqcheck.UnsafePath(s.path) {
		return s.refuse(400, problem.ReasonUnsafePath, nil)
	}
	return next
}

// stripSpellings removes the remaining spellings of the claims headers:
// names that mix '-' and '_' (x-user_id), which CGI-style upstreams (WSGI,
// PHP, Rack) read as the same variable as x-user-id, and which the fixed
// list (the name and its all-underscore form) does not hold. It reports
// false when the host cannot list the headers: step 1 then fails closed.
//
// The pairs it read, less the ones it removed, are exactly the request
// headers every later header step sees (nothing else changes them before
// the checks pass), so they are kept for authentication's credential
// search instead of being read again (extractCredential).
func (s *stream) stripSpellings(strip []string) bool {
	pairs, st := s.host.GetHeaderMapPairs(reqHeaders)
	if st != proxy.StatusOK {
		return st == proxy.StatusNotFound
	}
	kept := pairs[:0]
	for _, p := range pairs {
		if strings.IndexByte(p.Key, '_') >= 0 && spellingOf(p.Key, strip) {
			s.host.RemoveHeaderMapValue(reqHeaders, p.Key)
			continue
		}
		kept = append(kept, p)
	}
	s.auth.pairs, s.auth.pairsRead = kept, true
	return true
}

// spellingOf reports whether key is a spelling of one of the names.
func spellingOf(key string, names []string) bool {
	for _, name := range names {
		if sameHeaderSpelling(key, name) {
			return true
		}
	}
	return false
}

// sameHeaderSpelling compares header names as CGI-style upstreams do:
// ASCII letters without regard to case, '-' and '_' alike.
func sameHeaderSpelling(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := lowerASCII(a[i]), lowerASCII(b[i])
		if x == '_' {
			x = '-'
		}
		if y == '_' {
			y = '-'
		}
		if x != y {
			return false
		}
	}
	return true
}
