package config

import (
	"errors"
	"strconv"
	"strings"

	"github.com/apiguard/apiguard/filter/route"
)

// This file holds the grammars of the strings the configuration carries:
// names, header names, origins, URLs, media types and dotted paths.

// checkName validates a route, provider or rate-limit name: it appears in
// log lines, metrics and RateLimit-Policy headers, so it is kept to a safe
// alphabet.
func checkName(s string) string {
	if s == "" || len(s) > MaxNameLen {
		return "must be 1 to " + strconv.Itoa(MaxNameLen) + ` letters, digits, ".", "_" or "-"`
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return "must be 1 to " + strconv.Itoa(MaxNameLen) + ` letters, digits, ".", "_" or "-"`
		}
	}
	return ""
}

// pathSyntaxHint refuses the path syntaxes of other routers that would
// otherwise be taken literally: Express's `:id` parameters and `*`
// wildcards (no client sends a literal ":id" or "*" segment, so such a
// route would never match). It returns "" when s has neither.
func pathSyntaxHint(s string, isPrefix bool) string {
	for _, seg := range strings.Split(s, "/") {
		if name, ok := strings.CutPrefix(seg, ":"); ok && name != "" {
			clean := strings.TrimRight(name, "?*+")
			return quote(seg) + ` looks like an Express-style parameter, which apiguard would match literally: write "{` + clean + `}" (one segment)`
		}
	}
	if i := strings.IndexByte(s, '*'); i >= 0 {
		base := strings.TrimRight(s[:i], "/")
		if base == "" {
			base = "/"
		}
		if isPrefix {
			return quote(s) + ` contains "*", which apiguard would match literally: a prefix already matches every path below it, so write ` + strconv.Quote(base)
		}
		return quote(s) + ` contains "*", which apiguard would match literally: write "prefix": ` + strconv.Quote(base) + ` to match it and every path below it, or "{name}" for exactly one segment`
	}
	return ""
}

// checkKeyID validates an API key id: a name that may also hold ':'.
func checkKeyID(s string) string {
	const msg = `must be 1 to 128 letters, digits, ".", "_", ":" or "-"`
	if s == "" || len(s) > 128 {
		return msg
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == ':') {
			return msg
		}
	}
	return ""
}

// checkHeaderRead validates the name of a header the filter reads (a `from`
// source, a `header:` key, a CORS allowed header) and lower-cases it:
// header names compare case-insensitively.
func checkHeaderRead(s string) (string, string) {
	if strings.HasPrefix(s, ":") {
		return "", quote(s) + " is a pseudo-header"
	}
	if !route.IsToken(s) {
		return "", quote(s) + " is not a valid header name"
	}
	return strings.ToLower(s), ""
}

// unsettableHeaders may not be set from claims: framing and hop-by-hop
// headers, credentials, headers Envoy or the filter own, and method and
// URL overrides the filter refuses.
var unsettableHeaders = map[string]bool{
	"host": true, "content-length": true, "transfer-encoding": true, "connection": true,
	"te": true, "upgrade": true, "keep-alive": true, "proxy-connection": true, "trailer": true,
	"expect": true, "http2-settings": true, "content-type": true, "content-encoding": true,
	"authorization": true, "proxy-authorization": true, "cookie": true, "set-cookie": true,
	"forwarded": true, "x-forwarded-for": true, "x-forwarded-proto": true, "x-forwarded-host": true,
	"x-forwarded-port": true, "x-real-ip": true, "x-request-id": true, "origin": true,
	"range": true, "if-range": true, "accept-encoding": true,
	"x-http-method-override": true, "x-http-method": true, "x-method-override": true,
	"x-original-url": true, "x-rewrite-url": true,
}

// checkHeaderSet validates a header the filter writes from claims.
func checkHeaderSet(s string) string {
	if strings.HasPrefix(s, ":") {
		return quote(s) + " is a pseudo-header"
	}
	if !route.IsToken(s) {
		return quote(s) + " is not a valid header name"
	}
	if strings.ToLower(s) != s {
		return quote(s) + " must be lower-case"
	}
	if strings.IndexByte(s, '_') >= 0 {
		return quote(s) + ` must not contain "_" (upstreams often read "_" and "-" alike; use "-")`
	}
	if unsettableHeaders[s] || strings.HasPrefix(s, "x-envoy-") {
		return quote(s) + " cannot be set from claims"
	}
	return ""
}

// checkOrigin validates one `cors.allow_origins` entry. Browsers send the
// serialised origin (lower-case scheme and host, no default port, no path),
// and origins compare exactly, so anything else could never match.
func checkOrigin(s string) string {
	if s == "*" || s == "null" {
		return ""
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || scheme == "" {
		return quote(s) + ` is not an origin (want scheme://host[:port], "*" or "null")`
	}
	for i := 0; i < len(scheme); i++ {
		c := scheme[i]
		if !(c >= 'a' && c <= 'z' || i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return quote(s) + " has an invalid or upper-case scheme"
		}
	}
	host, port := rest, ""
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return quote(s) + " has an invalid host"
		}
		host = rest[:end+1]
		after := rest[end+1:]
		if after != "" {
			if after[0] != ':' {
				return quote(s) + " must not have a path, query or fragment"
			}
			port = after[1:]
			if port == "" {
				return quote(s) + " has an invalid port"
			}
		}
		for i := 1; i < len(host)-1; i++ {
			c := host[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c == ':' || c == '.') {
				return quote(s) + " has an invalid host"
			}
		}
		if len(host) < 3 {
			return quote(s) + " has an invalid host"
		}
	} else {
		if i := strings.IndexAny(rest, "/?#"); i >= 0 {
			return quote(s) + " must not have a path, query or fragment"
		}
		if h, p, ok := strings.Cut(rest, ":"); ok {
			host, port = h, p
			if port == "" {
				return quote(s) + " has an invalid port"
			}
		}
		if host == "" {
			return quote(s) + " has no host"
		}
		for i := 0; i < len(host); i++ {
			c := host[i]
			if c >= 'A' && c <= 'Z' {
				return quote(s) + " must be lower-case (browsers send origins in lower case)"
			}
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
				return quote(s) + " has an invalid host"
			}
		}
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return quote(s) + " has an invalid port"
		}
		if scheme == "https" && n == 443 || scheme == "http" && n == 80 {
			return quote(s) + " must omit the default port (browsers omit it)"
		}
	}
	return ""
}

// checkLink validates `deprecation.link`: an absolute http(s) URL made of
// URI characters only, since it is written into a `Link: <url>` header.
func checkLink(s string) string {
	rest, ok := strings.CutPrefix(s, "https://")
	if !ok {
		rest, ok = strings.CutPrefix(s, "http://")
	}
	if !ok {
		return quote(s) + " is not an absolute http or https URL"
	}
	host := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		host = rest[:i]
	}
	if host == "" || strings.HasPrefix(host, ":") {
		return quote(s) + " has no host"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("-._~:/?#[]@!$&'()*+,;=%", c) >= 0) {
			return quote(s) + " contains a character that must be percent-encoded"
		}
	}
	return ""
}

// checkMediaType validates and lower-cases a `pass_types` entry.
func checkMediaType(s string) (string, string) {
	t, sub, ok := strings.Cut(s, "/")
	if !ok || !route.IsToken(t) || !route.IsToken(sub) {
		return "", quote(s) + ` is not a media type (want "type/subtype", no parameters)`
	}
	s = strings.ToLower(s)
	if s == "application/json" || strings.HasSuffix(s, "+json") {
		return "", quote(s) + " is JSON, and JSON responses are always inspected"
	}
	return s, ""
}

// SplitClaimPath splits a dotted claim or field path into keys: `a.b` is
// ["a", "b"]. A key holding a dot writes it `\.`; `\\` is a backslash and
// `\#` a '#'. Empty keys and other escapes are errors.
func SplitClaimPath(s string) ([]string, error) {
	segs, each, err := splitPath(s)
	if err != nil {
		return nil, err
	}
	for _, e := range each {
		if e {
			return nil, errors.New(`"#" (every array element) is only allowed in response paths; write "\#" for a key named "#"`)
		}
	}
	return segs, nil
}

// ParseResponsePath parses an `allow` or `redact.paths` entry: a dotted
// path where a `#` segment means every element of an array (`orders.#.id`);
// escapes as in SplitClaimPath.
func ParseResponsePath(s string) (ResponsePath, error) {
	segs, each, err := splitPath(s)
	if err != nil {
		return ResponsePath{}, err
	}
	rp := ResponsePath{Raw: s, Segments: make([]Segment, len(segs))}
	for i, k := range segs {
		if each[i] {
			rp.Segments[i] = Segment{Each: true}
		} else {
			rp.Segments[i] = Segment{Key: k}
		}
	}
	return rp, nil
}

// splitPath splits on unescaped dots and reports which segments were a bare
// "#".
func splitPath(s string) ([]string, []bool, error) {
	if s == "" {
		return nil, nil, errors.New("must not be empty")
	}
	var segs []string
	var each []bool
	var cur []byte
	escaped := false // cur differs from the raw text
	start := 0
	flush := func(end int) error {
		raw := s[start:end]
		if raw == "" {
			return errors.New("empty key in path " + quote(s))
		}
		if escaped {
			segs = append(segs, string(cur))
		} else {
			segs = append(segs, raw)
		}
		each = append(each, raw == "#")
		cur = cur[:0]
		escaped = false
		return nil
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 >= len(s) || strings.IndexByte(`.\#`, s[i+1]) < 0 {
				return nil, nil, errors.New(`bad escape in path ` + quote(s) + ` (the escapes are \., \\ and \#)`)
			}
			if !escaped {
				cur = append(cur[:0], s[start:i]...)
				escaped = true
			}
			cur = append(cur, s[i+1])
			i++
		case '.':
			if err := flush(i); err != nil {
				return nil, nil, err
			}
			start = i + 1
		default:
			if escaped {
				cur = append(cur, c)
			}
		}
	}
	if err := flush(len(s)); err != nil {
		return nil, nil, err
	}
	return segs, each, nil
}
