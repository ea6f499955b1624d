package edge

// MaxOriginLen bounds the Origin values the filter considers at all. A
// serialised origin is a scheme, a host name of at most 253 bytes and a
// port; anything longer is not an origin a browser sends, and refusing it
// keeps the work per request bounded.
const MaxOriginLen = 512

// ValidOrigin reports whether s is an origin in the serialised form
// browsers send in the Origin header: "null" (an opaque origin), or
// scheme "://" host [":" port], with a lower-case scheme and host, no path,
// and no port when it is the scheme's default. The filter compares origins
// as exact strings, so this form is the only one that can ever match the
// configuration (which enforces the same form); ValidOrigin decides what a
// `"*"` allow-list may echo back.
func ValidOrigin(s string) bool {
	if s == "null" {
		return true
	}
	if len(s) > MaxOriginLen {
		return false
	}
	// Scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), lower case.
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			continue
		}
		break
	}
	if i == 0 || len(s)-i < 3 || s[i:i+3] != "://" {
		return false
	}
	scheme, rest := s[:i], s[i+3:]
	host, port, ok := splitHostPort(rest)
	if !ok || !validHost(host) {
		return false
	}
	if port == "" {
		return true
	}
	n, ok := parsePort(port)
	if !ok {
		return false
	}
	return !(scheme == "https" && n == 443 || scheme == "http" && n == 80)
}

// splitHostPort splits host[:port], where host may be a bracketed IPv6
// literal. ok is false for a colon with nothing after it.
func splitHostPort(s string) (host, port string, ok bool) {
	if len(s) > 0 && s[0] == '[' {
		end := -1
		for i := 1; i < len(s); i++ {
			if s[i] == ']' {
				end = i
				break
			}
		}
		if end < 0 {
			return "", "", false
		}
		host, rest := s[:end+1], s[end+1:]
		if rest == "" {
			return host, "", true
		}
		if rest[0] != ':' || len(rest) == 1 {
			return "", "", false
		}
		return host, rest[1:], true
	}
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			if i == len(s)-1 {
				return "", "", false
			}
			return s[:i], s[i+1:], true
		}
	}
	return s, "", true
}

// validHost accepts a lower-case registered name (letters, digits, '-',
// '.', '_'), or a bracketed IPv6 literal of hex digits, ':' and '.'.
func validHost(h string) bool {
	if h == "" {
		return false
	}
	if h[0] == '[' {
		if len(h) < 4 || h[len(h)-1] != ']' {
			return false
		}
		colons := 0
		for i := 1; i < len(h)-1; i++ {
			c := h[i]
			switch {
			case c == ':':
				colons++
			case c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c == '.':
			default:
				return false
			}
		}
		return colons >= 2
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// parsePort accepts 1..65535 written without leading zeros.
func parsePort(p string) (int, bool) {
	if p == "" || len(p) > 5 || p[0] == '0' {
		return 0, false
	}
	n := 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n <= 65535
}
