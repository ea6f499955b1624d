package plugin

import (
	"strings"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/reqcheck"
)

// credential is the one credential of a request and where it was found.
type credential struct {
	value string
	src   *routeSource
}

// extractCredential looks in every source of the route's providers, once
// per stream, and counts the credentials it finds (s.auth.count); the one
// credential, when there is exactly one, is s.auth.cred. Header sources
// are read from the header pairs, not a header's first value, so two
// Authorization headers are two credentials.
//
// What counts as a credential: a header value that starts with the
// source's prefix (compared without regard to ASCII case, as HTTP
// authentication schemes are) followed by at least one byte; a cookie or
// query parameter with a non-empty value. A header of a credential's name
// that appears more than once makes the request carry several credentials
// even when only one of its values has the prefix. Query parameter names
// match as forbid_query_params names do (percent-decoded, case-folded, `.`
// and `[` as `_`, `name[...]` as `name`), so no spelling an upstream
// framework would read as the same parameter slips past the count.
func (s *stream) extractCredential(ar *authRoute) {
	a := &s.auth
	if a.extracted {
		return
	}
	a.extracted = true
	if (ar.hasHeader || ar.hasCookie) && !a.pairsRead {
		pairs, st := s.host.GetHeaderMapPairs(reqHeaders)
		if st == proxy.StatusOK {
			a.pairs = pairs
		}
	}
	for _, rs := range ar.sources {
		switch rs.src.Kind {
		case config.SourceHeader:
			s.fromHeader(rs)
		case config.SourceCookie:
			s.fromCookies(rs)
		case config.SourceQuery:
			s.fromQuery(rs)
		}
	}
}

// found records one credential.
func (a *authState) found(value string, rs *routeSource) {
	a.count++
	if a.count == 1 {
		a.cred = credential{value: value, src: rs}
	}
}

func (s *stream) fromHeader(rs *routeSource) {
	a := &s.auth
	name, prefix := rs.src.Name, rs.src.Prefix
	seen, creds := 0, 0
	var value string
	for _, p := range a.pairs {
		if p.Key != name {
			continue
		}
		seen++
		if v, ok := cutPrefixFold(p.Value, prefix); ok && v != "" {
			creds++
			value = v
		}
	}
	switch {
	case creds == 0:
	case seen == 1:
		a.found(value, rs)
	default:
		// The same credential header twice, in any combination of
		// values: refused as several credentials.
		a.count += max(seen, 2)
	}
}

// cutPrefixFold cuts prefix from v, comparing ASCII letters without regard
// to case ("bearer x" has the prefix "Bearer ").
func cutPrefixFold(v, prefix string) (string, bool) {
	if len(v) < len(prefix) {
		return "", false
	}
	for i := 0; i < len(prefix); i++ {
		a, b := v[i], prefix[i]
		if a != b && lowerASCII(a) != lowerASCII(b) {
			return "", false
		}
	}
	return v[len(prefix):], true
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func (s *stream) fromCookies(rs *routeSource) {
	a := &s.auth
	for _, p := range a.pairs {
		if p.Key != "cookie" {
			continue
		}
		forEachCookie(p.Value, func(name, value string, _, _ int) bool {
			if value != "" && cookieNameMatches(name, rs.qname) {
				a.found(value, rs)
			}
			return true
		})
	}
}

// cookieNameMatches reports whether a cookie of the Cookie header is the
// source's cookie as some upstream framework reads it: qname is the
// source's name normalised as query names are, and name matches when it
// normalises the same way (or to `qname[...]`). ASP.NET compares cookie
// names without regard to case, and PHP decodes them and turns '.', ' '
// and '[' into '_' as it does query names, so `ACCESS_TOKEN` or
// `access.token` next to `access_token` is a second credential, never a
// passenger the upstream might read instead of the verified one.
func cookieNameMatches(name, qname string) bool {
	return config.QueryNameIndex(name, qname) >= 0
}

// forEachCookie calls f with each `name=value` pair of a Cookie header
// value (RFC 6265 §4.2.1: pairs separated by ';', optional whitespace),
// the value without one pair of surrounding double quotes, and the span
// [start, end) of the pair in v. Pairs without '=' are skipped. f returns
// false to stop.
func forEachCookie(v string, f func(name, value string, start, end int) bool) {
	for i := 0; i < len(v); {
		pair, start, stop, next := nextCookiePair(v, i)
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

// nextCookiePair reads the pair of a Cookie header value v that starts at
// i: pairs are separated by ';', and pair is v[start:stop], the text up to
// the next ';' without surrounding spaces and tabs. next is where the pair
// after it starts. Callers loop while i < len(v).
func nextCookiePair(v string, i int) (pair string, start, stop, next int) {
	end := strings.IndexByte(v[i:], ';')
	if end < 0 {
		end = len(v)
	} else {
		end += i
	}
	start, stop = i, end
	for start < stop && (v[start] == ' ' || v[start] == '\t') {
		start++
	}
	for stop > start && (v[stop-1] == ' ' || v[stop-1] == '\t') {
		stop--
	}
	return v[start:stop], start, stop, end + 1
}

func (s *stream) fromQuery(rs *routeSource) {
	a := &s.auth
	forEachQueryParam(s.query, rs.qname, func(rawValue string, _, _ int) {
		if v := decodeQueryValue(rawValue); v != "" {
			a.found(v, rs)
		}
	})
}

// forEachQueryParam calls f for each parameter of query whose name
// normalises to qname (config.QueryNameIndex; `qname[...]` too), with its
// raw value and its span [start, end) in query. Parameters are split as
// reqcheck.FindQueryParam splits them (reqcheck.EachQueryParam).
func forEachQueryParam(query, qname string, f func(rawValue string, start, end int)) {
	if query == "" || qname == "" {
		return
	}
	for i := 0; i <= len(query); {
		name, value, start, end, next := reqcheck.NextQueryParam(query, i)
		i = next
		if name != "" && config.QueryNameIndex(name, qname) >= 0 {
			f(value, start, end)
		}
	}
}

// decodeQueryValue percent-decodes a query value ('+' is a space); a '%'
// not followed by two hex digits stays as it is. It allocates only when
// there is something to decode.
func decodeQueryValue(v string) string {
	if strings.IndexByte(v, '%') < 0 && strings.IndexByte(v, '+') < 0 {
		return v
	}
	return string(config.AppendQueryDecoded(make([]byte, 0, len(v)), v))
}

// removeCredential removes the verified credential from the upstream
// request, wherever it was: the header, the one cookie from the Cookie
// header(s), or the query parameter from :path.
func (s *stream) removeCredential() {
	rs := s.auth.cred.src
	if rs == nil {
		return
	}
	switch rs.src.Kind {
	case config.SourceHeader:
		s.host.RemoveHeaderMapValue(reqHeaders, rs.src.Name)
	case config.SourceCookie:
		var kept []string
		changed := false
		for _, p := range s.auth.pairs {
			if p.Key != "cookie" {
				continue
			}
			v, cut := withoutCookie(p.Value, rs.qname)
			changed = changed || cut
			if v != "" {
				kept = append(kept, v)
			}
		}
		if !changed {
			return
		}
		s.host.RemoveHeaderMapValue(reqHeaders, "cookie")
		for _, v := range kept {
			s.host.AddHeaderMapValue(reqHeaders, "cookie", v)
		}
	case config.SourceQuery:
		q, cut := withoutQueryParam(s.query, rs.qname)
		if !cut {
			return
		}
		path := s.path
		if q != "" {
			path += "?" + q
		}
		s.host.ReplaceHeaderMapValue(reqHeaders, ":path", path)
	}
}

// withoutCookie returns a Cookie header value without the pairs whose
// name matches qname (cookieNameMatches), the others kept as they were,
// joined with "; ".
func withoutCookie(v, qname string) (string, bool) {
	var b strings.Builder
	cut := false
	for i := 0; i < len(v); {
		pair, _, _, next := nextCookiePair(v, i)
		i = next
		if pair == "" {
			continue
		}
		if eq := strings.IndexByte(pair, '='); eq > 0 && cookieNameMatches(strings.TrimRight(pair[:eq], " \t"), qname) {
			cut = true
			continue
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(pair)
	}
	if !cut {
		return v, false
	}
	return b.String(), true
}

// withoutQueryParam returns query without the parameters whose name
// normalises to qname; every other byte, separators included, is kept.
func withoutQueryParam(query, qname string) (string, bool) {
	type span struct{ start, end int }
	var cuts []span
	forEachQueryParam(query, qname, func(_ string, start, end int) {
		cuts = append(cuts, span{start, end})
	})
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
