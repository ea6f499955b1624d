package httpx

import "unicode/utf8"

// NextQueryParam reads the parameter of query that starts at i (0 for the
// first): its name (up to the first '='), its value, its span [start, end)
// in query, and next, where the parameter after it starts. Parameters are
// separated by '&' and by ';' (which some frameworks still split on); a
// name may be empty ("a&&b"). Callers loop while i <= len(query):
//
//	for i := 0; i <= len(query); {
//		name, value, start, end, next := NextQueryParam(query, i)
//		i = next
//		...
//	}
func NextQueryParam(query string, i int) (name, value string, start, end, next int) {
	start, end = i, i
	for end < len(query) && query[end] != '&' && query[end] != ';' {
		end++
	}
	name = query[start:end]
	for j := 0; j < len(name); j++ {
		if name[j] == '=' {
			name, value = name[:j], name[j+1:]
			break
		}
	}
	return name, value, start, end, end + 1
}

// FindQueryParam returns the index in names of the first name (each already
// normalised with NormalizeQueryName) that a parameter of query (the
// raw query string, without '?') carries, or -1. A parameter matches when
// its normalised name equals one of names, when the part of it before a
// '[' does (`access_token[]`), or when its first bracket-delimited
// component does (`[access_token]`, `access_token]`):
// QueryNameIndex. Parameters are split
// as NextQueryParam splits them. Only names are looked at; values are never
// read, let alone kept.
//
// It allocates nothing unless a parameter that could still match (see
// mayMatch) normalises to more than 128 bytes (QueryNameIndex).
func FindQueryParam(query string, names []string) int {
	if len(names) == 0 || query == "" {
		return -1
	}
	maxLen := 0
	for _, n := range names {
		maxLen = max(maxLen, len(n))
	}
	for i := 0; i <= len(query); {
		name, _, _, _, next := NextQueryParam(query, i)
		i = next
		if name != "" && mayMatch(name, maxLen) {
			if k := QueryNameIndex(name, names...); k >= 0 {
				return k
			}
		}
	}
	return -1
}

// mayMatch is a cheap pre-filter: every normalised rune comes from at most
// 12 raw bytes (four percent-escaped UTF-8 bytes) and is at least one byte,
// and only leading spaces are dropped, so a raw name with neither '[' nor
// '%' nor '+' nor ' ' nor a non-ASCII byte normalises to exactly its own
// length (and a name with ']' may match by its first bracket-delimited
// component, QueryNameIndex).
func mayMatch(raw string, maxLen int) bool {
	if len(raw) <= maxLen {
		return true
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c == '[' || c == ']' || c == '%' || c == '+' || c == ' ' || c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// UnsafeQuery reports whether a query string (without '?') is refused in
// step 1 (docs/configuration.md "Query and cookie names"): a parameter whose name,
// percent-decoded ('+' is a space), holds a C0 control character or DEL, or
// whose value, percent-decoded, holds NUL. PHP cuts a name at NUL and
// other frameworks keep control characters in names, so `password%00` or
// `jwt%0A` could be read as a name the filter looks up; a NUL in a value
// truncates it in C-based upstreams. Other control characters in values
// pass (a textarea's newlines). Parameters are split as NextQueryParam
// splits them. It allocates nothing.
func UnsafeQuery(query string) bool {
	for i := 0; i < len(query); {
		name, value, _, _, next := NextQueryParam(query, i)
		i = next
		if controlInName(name) || nulInValue(value) {
			return true
		}
	}
	return false
}

// UnsafeCookie reports whether one Cookie header value is refused in step
// 1: a cookie whose name (NextCookiePair's, the text before '=', or the
// whole pair without one), percent-decoded as query names are ('+' is a
// space), holds a C0 control character or DEL, or whose value,
// percent-decoded, holds NUL. So `session%00=<forged>` beside a verified
// `session=<token>` never reaches a framework that decodes cookie names.
// It allocates nothing.
func UnsafeCookie(v string) bool {
	for i := 0; i < len(v); {
		pair, _, _, next := NextCookiePair(v, i)
		i = next
		name, value := pair, ""
		for j := 0; j < len(pair); j++ {
			if pair[j] == '=' {
				name, value = trimOWSRight(pair[:j]), pair[j+1:]
				break
			}
		}
		if controlInName(name) || nulInValue(value) {
			return true
		}
	}
	return false
}

// NextCookiePair reads the pair of a Cookie header value v that starts at
// i: pairs are separated by ';' and by ',' (ASP.NET Core's cookie parser,
// Rack before 2.2 and Tomcat's legacy one split on ',' too, so in
// `theme=dark, session=x` they read a cookie `session`), and pair is
// v[start:stop], the text up to the next separator without surrounding
// spaces and tabs. next is where the pair after it starts. Callers loop
// while i < len(v).
func NextCookiePair(v string, i int) (pair string, start, stop, next int) {
	end := i
	for end < len(v) && v[end] != ';' && v[end] != ',' {
		end++
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

func trimOWSRight(s string) string {
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// controlInName reports whether a raw name, percent-decoded, holds a C0
// control character or DEL ('+' decodes to a space, which is not one).
func controlInName(raw string) bool {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if d, ok := PercentByte(raw, i); ok {
			c = d
			i += 2
		}
		if c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

// nulInValue reports whether a raw value holds NUL, as it is or
// percent-encoded.
func nulInValue(raw string) bool {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if d, ok := PercentByte(raw, i); ok {
			c = d
			i += 2
		}
		if c == 0 {
			return true
		}
	}
	return false
}

// UnsafeFormName reports whether an application/x-www-form-urlencoded body
// (split as NextQueryParam splits a query) has a field whose name holds a
// control character (C0 or DEL), as it is or percent-encoded, other than
// a tab, LF or CR written as such. PHP cuts a name at NUL, so
// `user_id%00=bob` is $_POST['user_id']; a percent-encoded control
// character has no business in a field name either. Raw tabs and line
// breaks are let through: a JSON body sent as a form (or without a
// Content-Type) carries them between its tokens, and no framework drops
// them from a name. Values are not looked at. It allocates nothing.
func UnsafeFormName(form string) bool {
	for i := 0; i < len(form); {
		name, _, _, _, next := NextQueryParam(form, i)
		i = next
		if controlInFormName(name) {
			return true
		}
	}
	return false
}

// controlInFormName is controlInName without raw tabs and line breaks.
func controlInFormName(raw string) bool {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if d, ok := PercentByte(raw, i); ok {
			if d < 0x20 || d == 0x7f {
				return true
			}
			i += 2
			continue
		}
		if (c < 0x20 || c == 0x7f) && c != '\t' && c != '\n' && c != '\r' {
			return true
		}
	}
	return false
}

// EachMultipartName calls f with the name of each part of a
// multipart/form-data body, as every framework could read it, until f
// returns false: every `name` and `name*` parameter (a key compared
// without regard to letter case) of every line that is a
// Content-Disposition header (the header name in any letter case, blanks
// before the ':'), whatever boundary the body declares or part the line is
// in. So a part the filter reads as content is still looked at when some
// parser reads its lines as headers: reading more names only refuses more.
// A quoted value is given without its quotes and with its backslash
// escapes undone; a `name*` value (RFC 8187, `utf-8'en'user%5Fid`) without
// its charset and language (the caller percent-decodes names anyway). It
// is linear in the body and allocates only for a quoted name holding a
// backslash.
func EachMultipartName(body string, f func(name string) bool) {
	for i := 0; i < len(body); {
		end := i
		for end < len(body) && body[end] != '\n' {
			end++
		}
		line := body[i:end]
		i = end + 1
		params, ok := cutDispositionHeader(line)
		if !ok {
			continue
		}
		for j := 0; j < len(params); {
			key, value, next := nextHeaderParam(params, j)
			j = next
			switch {
			case EqualFoldLower(key, "name"):
			case EqualFoldLower(key, "name*"):
				if k := lastIndexByte(value, '\''); k >= 0 {
					value = value[k+1:]
				}
			default:
				continue
			}
			if !f(value) {
				return
			}
		}
	}
}

// cutDispositionHeader returns what follows the ':' of a
// Content-Disposition header line (any letter case, blanks before the
// ':'), the line's CR dropped.
func cutDispositionHeader(line string) (string, bool) {
	const name = "content-disposition"
	if len(line) <= len(name) || !EqualFoldLower(line[:len(name)], name) {
		return "", false
	}
	rest := line[len(name):]
	for len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t') {
		rest = rest[1:]
	}
	if len(rest) == 0 || rest[0] != ':' {
		return "", false
	}
	rest = rest[1:]
	if n := len(rest); n > 0 && rest[n-1] == '\r' {
		rest = rest[:n-1]
	}
	return rest, true
}

// nextHeaderParam reads the header parameter of v that starts at j: a key
// up to '=' or ';' (blanks trimmed), and a value, quoted (a backslash
// escapes the next byte; the escapes are undone) or up to the next ';'
// (blanks trimmed). The disposition type (`form-data`) is a key without
// value. next is where the parameter after it starts.
func nextHeaderParam(v string, j int) (key, value string, next int) {
	for j < len(v) && (v[j] == ' ' || v[j] == '\t' || v[j] == ';') {
		j++
	}
	k := j
	for j < len(v) && v[j] != '=' && v[j] != ';' {
		j++
	}
	key = trimBlanks(v[k:j])
	if j >= len(v) || v[j] == ';' {
		return key, "", j
	}
	j++ // '='
	for j < len(v) && (v[j] == ' ' || v[j] == '\t') {
		j++
	}
	if j < len(v) && v[j] == '"' {
		j++
		start, escaped := j, false
		for j < len(v) && v[j] != '"' {
			if v[j] == '\\' && j+1 < len(v) {
				escaped = true
				j++
			}
			j++
		}
		value = v[start:j]
		if escaped {
			b := make([]byte, 0, len(value))
			for i := 0; i < len(value); i++ {
				if value[i] == '\\' && i+1 < len(value) {
					i++
				}
				b = append(b, value[i])
			}
			value = string(b)
		}
		for j < len(v) && v[j] != ';' {
			j++
		}
		return key, value, j
	}
	start := j
	for j < len(v) && v[j] != ';' {
		j++
	}
	return key, trimBlanks(v[start:j]), j
}

func trimBlanks(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	return trimOWSRight(s)
}

func lastIndexByte(s string, c byte) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == c {
			return i
		}
	}
	return -1
}
