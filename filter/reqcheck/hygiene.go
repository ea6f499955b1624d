package reqcheck

import (
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/problem"
)

// Hygiene is step 1 of the order of checks on the request view (its
// headers without the client's copies of the claims headers) and the raw
// :path: the reason of its 400, or "" when the request passes. It
// refuses a method that is not an upper-case token (ValidMethod), method
// overrides (the three override headers in any spelling a CGI-style
// upstream reads as them, a `_method` query parameter in any spelling
// forbid_query_params would match), URL overrides (X-Original-URL,
// X-Rewrite-URL, likewise), a request target that is not origin-form
// (OriginForm), unsafe paths (UnsafePath), and query parameters and
// cookies whose names hold control characters or whose values hold NUL
// (httpx.UnsafeQuery, httpx.UnsafeCookie).
func Hygiene(req *httpx.Request, rawPath string) problem.Reason {
	if !ValidMethod(req.Method) {
		return problem.ReasonBadRequest
	}
	if hasMethodOverride(req.Headers) {
		return problem.ReasonMethodOverride
	}
	if httpx.FindQueryParam(req.Query, MethodParam) >= 0 {
		return problem.ReasonMethodOverride
	}
	for _, p := range req.Headers {
		if overrideLengths.Has(p.Key) && httpx.SpellingOf(p.Key, URLOverrideHeaders[:]) {
			return problem.ReasonURLOverride
		}
	}
	if !OriginForm(rawPath) || UnsafePath(req.Path) {
		return problem.ReasonUnsafePath
	}
	if httpx.UnsafeQuery(req.Query) {
		return problem.ReasonUnsafeQuery
	}
	for _, p := range req.Headers {
		if httpx.HeaderIs(p.Key, "cookie") && httpx.UnsafeCookie(p.Value) {
			return problem.ReasonUnsafeCookie
		}
	}
	return ""
}

// hasMethodOverride reports whether the request carries one of the method
// override headers, whatever its value, in any spelling a CGI-style
// upstream reads as that header (x_http_method_override, X-HTTP_Method).
func hasMethodOverride(pairs []httpx.Pair) bool {
	for _, p := range pairs {
		if overrideLengths.Has(p.Key) && httpx.SpellingOf(p.Key, MethodOverrideHeaders[:]) {
			return true
		}
	}
	return false
}

// StripSpellings is step 1's removal of the client's copies of the headers
// a provider sets from claims (names): it returns pairs without any
// spelling of them (httpx.SpellingOf: each name, its all-underscore form,
// and the names that mix '-' and '_', x-user_id, which CGI-style upstreams
// such as WSGI, PHP and Rack read as the same variable as x-user-id),
// filtering pairs in place, and appends to removed the distinct names the
// host must remove (it removes every value of a name, whatever its letter
// case): none on the usual request, which carries none.
func StripSpellings(pairs []httpx.Pair, names, removed []string) ([]httpx.Pair, []string) {
	if len(names) == 0 {
		return pairs, removed
	}
	lengths := httpx.LengthsOf(names)
	kept := pairs[:0]
	for _, p := range pairs {
		if !lengths.Has(p.Key) || !httpx.SpellingOf(p.Key, names) {
			kept = append(kept, p)
		} else if !httpx.NameIn(removed, p.Key) {
			removed = append(removed, p.Key)
		}
	}
	return kept, removed
}

// overrideLengths are the lengths of the method and URL override headers.
var overrideLengths = httpx.LengthsOf(MethodOverrideHeaders[:]) | httpx.LengthsOf(URLOverrideHeaders[:])
