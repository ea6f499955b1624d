package plugin

import (
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/reqcheck"
)

// hygiene is step 1 of the order of checks: it removes client-sent copies of
// every header a provider sets from claims (and their underscore spellings),
// then refuses (400) a method that is not an upper-case token
// (reqcheck.ValidMethod), method overrides (the three override headers, a
// `_method` query parameter in any spelling forbid_query_params would
// match), URL overrides (X-Original-URL, X-Rewrite-URL, in any spelling a
// CGI-style upstream reads as them), a request target that is not origin-form (reqcheck.OriginForm),
// unsafe paths (reqcheck.UnsafePath), and query parameters and cookies
// whose names hold control characters or whose values hold NUL
// (httpx.UnsafeQuery, httpx.UnsafeCookie). It runs before a route is
// known, so s.route is nil and s.refuse always enforces: step 1 has no
// report-only mode.
//
// pairs are the request headers as onRequestHeaders read them; listed is
// false when the host could not list them, and step 1 then fails closed
// (500): nothing about the request can be checked.
func (s *stream) hygiene(rawPath string, pairs []proxy.Pair, listed bool) result {
	if !listed {
		return s.refuse(500, problem.ReasonInternal, nil)
	}
	kept := s.stripClaimHeaders(pairs)
	if !reqcheck.ValidMethod(s.req.Method) {
		return s.refuse(400, problem.ReasonBadRequest, nil)
	}
	if hasMethodOverride(kept) {
		return s.refuse(400, problem.ReasonMethodOverride, nil)
	}
	if httpx.FindQueryParam(s.req.Query, reqcheck.MethodParam) >= 0 {
		return s.refuse(400, problem.ReasonMethodOverride, nil)
	}
	for _, p := range kept {
		if httpx.SpellingOf(p.Key, reqcheck.URLOverrideHeaders[:]) {
			return s.refuse(400, problem.ReasonURLOverride, nil)
		}
	}
	if !reqcheck.OriginForm(rawPath) || reqcheck.UnsafePath(s.req.Path) {
		return s.refuse(400, problem.ReasonUnsafePath, nil)
	}
	if httpx.UnsafeQuery(s.req.Query) {
		return s.refuse(400, problem.ReasonUnsafeQuery, nil)
	}
	for _, p := range kept {
		if httpx.HeaderIs(p.Key, "cookie") && httpx.UnsafeCookie(p.Value) {
			return s.refuse(400, problem.ReasonUnsafeCookie, nil)
		}
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

// hasMethodOverride reports whether the request carries one of the method
// override headers, whatever its value, in any spelling a CGI-style
// upstream reads as that header (x_http_method_override, X-HTTP_Method).
func hasMethodOverride(pairs []proxy.Pair) bool {
	for _, p := range pairs {
		for _, name := range reqcheck.MethodOverrideHeaders {
			if httpx.SameHeaderSpelling(p.Key, name) {
				return true
			}
		}
	}
	return false
}
