package reqcheck

import (
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/route"
)

// UnsafePath reports whether a request path (without its query) must be
// refused by step 1 of the order of checks. A path is unsafe when it holds
//
//   - an encoded slash, backslash, NUL or dot (%2F, %5C, %00, %2E, any case),
//     which upstreams decode differently from the route matcher, or one
//     encoded twice (%252F, ...; httpx.InnerEscape), which a proxy chain
//     or an upstream that decodes twice turns into the byte itself;
//   - a malformed percent escape ('%' not followed by two hex digits), which
//     upstreams either reject, keep or decode leniently (IIS's %u);
//   - ';' (matrix parameters and Tomcat's path-parameter stripping);
//   - a raw backslash, which some servers read as '/';
//   - a dot segment ("." or "..") or an empty segment ("//"). One trailing
//     slash is not an empty segment.
//
// Rejecting rather than normalising means the route matcher, the owner
// checks and the upstream can never see different paths.
func UnsafePath(p string) bool {
	segStart := 0 // index of the first byte of the current segment
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case ';', '\\':
			return true
		case '%':
			d, ok := httpx.PercentByte(p, i)
			if !ok {
				return true
			}
			switch d {
			case '/', '\\', 0, '.':
				return true
			}
			if d2, ok := httpx.InnerEscape(p, i); ok && unsafeEscaped(d2) {
				return true
			}
			i += 2
		case '/':
			if i > 0 && badSegment(p[segStart:i], segStart > 0) {
				return true
			}
			segStart = i + 1
		}
	}
	// The last segment may be empty (a trailing slash) but not a dot segment.
	last := p[segStart:]
	return last == "." || last == ".."
}

// unsafeEscaped reports the bytes whose escapes step 1 refuses: '/', '\\',
// NUL and '.'.
func unsafeEscaped(b byte) bool { return b == '/' || b == '\\' || b == 0 || b == '.' }

// badSegment reports whether a segment followed by '/' is empty (when it
// follows a slash itself, i.e. "//") or a dot segment.
func badSegment(seg string, afterSlash bool) bool {
	return (seg == "" && afterSlash) || seg == "." || seg == ".."
}

// MethodOverrideHeaders are the request headers that ask a framework to
// treat the request as another method; step 1 refuses any request carrying
// one (whatever its value), since the proxy checked the real method.
var MethodOverrideHeaders = [...]string{"x-http-method-override", "x-http-method", "x-method-override"}

// URLOverrideHeaders are the request headers that ask a framework to route
// the request by another URL (Symfony before 2.7.49/3.4.14/4.1.3, see
// CVE-2018-14773; Zend/Laminas; IIS-era frameworks): the proxy matched the
// real path, so step 1 refuses any request carrying one.
var URLOverrideHeaders = [...]string{"x-original-url", "x-rewrite-url"}

// MethodParam is the normalised name of the `_method` query parameter
// (Rails, Laravel, Symfony), refused by step 1 in any spelling that
// normalises to it (see httpx.NormalizeQueryName).
var MethodParam = []string{"_method"}

// ParseContentLength parses a Content-Length value: ASCII digits only. A
// value too large for int64 saturates to the largest int64, which is over
// any cap. ok is false for anything else (empty, a sign, spaces, a list).
func ParseContentLength(v string) (n int64, ok bool) {
	if v == "" {
		return 0, false
	}
	const max = 1<<63 - 1
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (max-d)/10 {
			n = max
			continue
		}
		n = n*10 + d
	}
	return n, true
}

// OriginForm reports whether a raw :path (query included) is an
// origin-form request target: it starts with '/' and holds no '#'. The
// asterisk form, an absolute URI, a relative or empty path match no route
// and would get the `default` policy while an upstream resolves them to
// some path of its own; a fragment never belongs in a request target and
// an upstream that drops it serves a path other than the one matched.
func OriginForm(raw string) bool {
	if raw == "" || raw[0] != '/' {
		return false
	}
	for i := 1; i < len(raw); i++ {
		if raw[i] == '#' {
			return false
		}
	}
	return true
}

// ValidMethod reports whether m is a request method the route matcher can
// judge: a non-empty token (RFC 9110 §5.6.2) without lower-case letters.
// Methods compare exactly, so `get` would miss a route listing GET and
// fall to a weaker one, while frameworks that upper-case the method serve
// it as GET; every registered method is upper-case.
func ValidMethod(m string) bool {
	for i := 0; i < len(m); i++ {
		if c := m[i]; c >= 'a' && c <= 'z' {
			return false
		}
	}
	return route.IsToken(m)
}

// DecodeUnreserved returns p with every percent-escape of an unreserved
// character (RFC 3986 §2.3: letters, digits, '-', '.', '_', '~') decoded,
// and every other byte as it is. URIs that differ only there are the same
// URI (RFC 3986 §6.2.2.2) and upstreams decode them alike, so routes are
// matched on this form: `/%75sers/7` gets the checks of `/users/{id}`
// instead of falling to a weaker route or the default. Step 1 has already
// refused %2E, so decoding creates no dot segment, and malformed escapes:
// a path holding one is returned as it is, since a stray '%' followed by
// decoded hex digits would form an escape that was not there. It allocates
// only when there is something to decode.
func DecodeUnreserved(p string) string {
	first := -1
	for i := 0; i < len(p); i++ {
		if p[i] != '%' {
			continue
		}
		d, ok := httpx.PercentByte(p, i)
		if !ok {
			return p
		}
		if first < 0 && unreserved(d) {
			first = i
		}
		i += 2
	}
	if first < 0 {
		return p
	}
	i := first
	b := make([]byte, 0, len(p))
	b = append(b, p[:i]...)
	for ; i < len(p); i++ {
		c := p[i]
		if c == '%' {
			// Every escape is well-formed here. Another escape stays
			// whole, so its hex digits are never read as one.
			if d, _ := httpx.PercentByte(p, i); unreserved(d) {
				b = append(b, d)
			} else {
				b = append(b, p[i:i+3]...)
			}
			i += 2
			continue
		}
		b = append(b, c)
	}
	return string(b)
}

func unreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
