package httpx

import "strings"

// Reading and removing cookies and query parameters by name, as the
// credential extractor finds credentials and removes the ones apiguard did
// not verify before upstream.

// CookieNameMatches reports whether a cookie of the Cookie header is the
// source's cookie as some upstream framework reads it: qname is the
// source's name normalised as query names are, and name matches when it
// normalises the same way (or to `qname[...]`). ASP.NET compares cookie
// names without regard to case, and PHP and Rack decode them and PHP turns
// '.', ' ' and '[' into '_' as it does query names, so `ACCESS_TOKEN` or
// `access.token` next to `access_token` is a second credential, never a
// passenger the upstream might read instead of the verified one.
func CookieNameMatches(name, qname string) bool {
	return QueryNameIndex(name, qname) >= 0
}

// ForEachCookie calls f with each `name=value` pair of a Cookie header
// value (RFC 6265 §4.2.1: pairs separated by ';', optional whitespace),
// the value without one pair of surrounding double quotes, and the span
// [start, end) of the pair in v. Pairs without '=' are skipped. f returns
// false to stop.
func ForEachCookie(v string, f func(name, value string, start, end int) bool) {
	for i := 0; i < len(v); {
		pair, start, stop, next := NextCookiePair(v, i)
		i = next
		if eq := strings.IndexByte(pair, '='); eq > 0 {
			name := strings.TrimRight(pair[:eq], " \t")
			value := strings.TrimLeft(pair[eq+1:], " \t")
			if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
				value = value[1 : len(value)-1]
			}
			if !f(name, value, start, stop) {
				return
			}
		}
	}
}

// ForEachQueryParam calls f for each parameter of query whose name
// normalises to qname (QueryNameIndex; `qname[...]` too), with its
// raw value and its span [start, end) in query. Parameters are split as
// FindQueryParam splits them (NextQueryParam).
func ForEachQueryParam(query, qname string, f func(rawValue string, start, end int)) {
	if query == "" || qname == "" {
		return
	}
	for i := 0; i <= len(query); {
		name, value, start, end, next := NextQueryParam(query, i)
		i = next
		if name != "" && QueryNameIndex(name, qname) >= 0 {
			f(value, start, end)
		}
	}
}

// DecodeQueryValue percent-decodes a query value ('+' is a space); a '%'
// not followed by two hex digits stays as it is. It allocates only when
// there is something to decode.
func DecodeQueryValue(v string) string {
	if strings.IndexByte(v, '%') < 0 && strings.IndexByte(v, '+') < 0 {
		return v
	}
	return string(AppendQueryDecoded(make([]byte, 0, len(v)), v))
}

// WithoutCookies returns a Cookie header value without the pairs drop
// says to remove (called with each pair's name, as ForEachCookie reads it,
// or the whole pair when it has no '=', and where the pair starts in v).
// Each dropped pair goes with the separator after it and the blanks before
// the next pair; every other byte is kept as it was, so a value holding a
// ',' (a separator to ASP.NET, text to PHP) reaches each framework as it
// would have. A value that keeps every pair is returned as it is, without
// allocating.
func WithoutCookies(v string, drop func(name string, start int) bool) (string, bool) {
	first := -1 // where the first pair to drop starts
	for i := 0; i < len(v) && first < 0; {
		pair, start, _, next := NextCookiePair(v, i)
		i = next
		if name := cookiePairName(pair); name != "" && drop(name, start) {
			first = start
		}
	}
	if first < 0 {
		return v, false
	}
	var b strings.Builder
	b.Grow(len(v))
	kept := 0 // v[kept:] is not yet written or dropped
	for i := 0; i < len(v); {
		pair, start, _, next := NextCookiePair(v, i)
		i = next
		if pair == "" || start < first {
			continue
		}
		if name := cookiePairName(pair); start != first && (name == "" || !drop(name, start)) {
			continue
		}
		b.WriteString(v[kept:start])
		kept = min(next, len(v))
		for kept < len(v) && (v[kept] == ' ' || v[kept] == '\t') {
			kept++
		}
	}
	b.WriteString(v[kept:])
	return strings.Trim(b.String(), " \t;,"), true
}

// cookiePairName is the name of a cookie pair: the text before '=' without
// trailing whitespace, or the whole pair when it has no '='.
func cookiePairName(pair string) string {
	if eq := strings.IndexByte(pair, '='); eq >= 0 {
		return strings.TrimRight(pair[:eq], " \t")
	}
	return pair
}

// WithoutQueryParams returns query without the parameters drop says to
// remove (called with each non-empty name and where the parameter starts
// in query); every other byte, separators included, is kept.
func WithoutQueryParams(query string, drop func(name string, start int) bool) (string, bool) {
	type span struct{ start, end int }
	var cuts []span
	for i := 0; i <= len(query); {
		name, _, start, end, next := NextQueryParam(query, i)
		i = next
		if name != "" && drop(name, start) {
			cuts = append(cuts, span{start, end})
		}
	}
	if len(cuts) == 0 {
		return query, false
	}
	b := make([]byte, 0, len(query))
	prev := 0
	for _, c := range cuts {
		// Keep what lies between the previous cut and this one, and drop
		// the separator that follows the cut parameter (or, for the
		// last parameter, the one before it).
		b = append(b, query[prev:c.start]...)
		prev = c.end + 1
	}
	if prev < len(query) {
		b = append(b, query[prev:]...)
	} else if n := len(b); n > 0 && (b[n-1] == '&' || b[n-1] == ';') {
		b = b[:n-1]
	}
	return string(b), true
}
