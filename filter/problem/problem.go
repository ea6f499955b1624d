package problem

import "strconv"

// Reason names why a request was refused. Reasons are metric-name and log
// safe: lower-case ASCII with underscores, never request data.
type Reason string

// The reasons of the foundation; feature packages add their own with the
// status they map to (see Status).
const (
	ReasonRouteNotFound  Reason = "route_not_found"
	ReasonUnsafePath     Reason = "unsafe_path"
	ReasonMethodOverride Reason = "method_override"
	ReasonBadRequest     Reason = "bad_request"
	ReasonInternal       Reason = "internal_error"
	// ReasonMethodNotAllowed (405): the path matches routes, none of which
	// lists the method.
	ReasonMethodNotAllowed Reason = "method_not_allowed"
	// ReasonRouteCaseMismatch (404): the path matches a route only when
	// letter case is ignored, and case_insensitive_paths is false.
	ReasonRouteCaseMismatch Reason = "route_case_mismatch"
)

type entry struct {
	title, detail string
}

// The detail of each status is deliberately generic.
var entries = map[int]entry{
	400: {"Bad Request", "The request is malformed or not allowed."},
	401: {"Unauthorized", "A valid credential is required."},
	403: {"Forbidden", "The request is not allowed."},
	404: {"Not Found", "No such resource."},
	405: {"Method Not Allowed", "The method is not allowed for this resource."},
	410: {"Gone", "This API is no longer available."},
	413: {"Content Too Large", "The request body is too large."},
	429: {"Too Many Requests", "Too many requests; retry later."},
	500: {"Internal Server Error", "The request could not be processed."},
	502: {"Bad Gateway", "The upstream response could not be delivered."},
	503: {"Service Unavailable", "The service is temporarily unavailable."},
	504: {"Gateway Timeout", "The upstream did not answer in time."},
}

// ContentType is the media type of every refusal body.
const ContentType = "application/problem+json"

// Title returns the HTTP reason phrase used as the problem title.
func Title(status int) string {
	if e, ok := entries[status]; ok {
		return e.title
	}
	if status >= 500 {
		return "Server Error"
	}
	return "Error"
}

// Detail returns the generic detail for status.
func Detail(status int) string {
	if e, ok := entries[status]; ok {
		return e.detail
	}
	if status >= 500 {
		return "The request could not be processed."
	}
	return "The request was refused."
}

// Body returns the problem+json document for status. instance is the
// request's x-request-id, or empty; it is JSON-escaped here because it is
// client-controlled.
func Body(status int, instance string) []byte {
	b := make([]byte, 0, 160+len(instance))
	b = append(b, `{"type":"about:blank","title":`...)
	b = AppendString(b, Title(status))
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"detail":`...)
	b = AppendString(b, Detail(status))
	if instance != "" {
		b = append(b, `,"instance":`...)
		b = AppendString(b, instance)
	}
	return append(b, '}')
}

const hex = "0123456789abcdef"

// AppendString appends s as a JSON string; audit lines use it too. Invalid
// UTF-8 and every control character are escaped, so the output is valid JSON
// whatever the client sent.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := decodeRune(s[i:])
		if r < 0 {
			b = append(b, `\ufffd`...)
			i++
			continue
		}
		b = append(b, s[i:i+size]...)
		i += size
	}
	return append(b, '"')
}

// decodeRune validates one multi-byte UTF-8 sequence; -1 when invalid.
func decodeRune(s string) (rune, int) {
	c := s[0]
	var n int
	var r rune
	switch {
	case c&0xe0 == 0xc0:
		n, r = 2, rune(c&0x1f)
	case c&0xf0 == 0xe0:
		n, r = 3, rune(c&0x0f)
	case c&0xf8 == 0xf0:
		n, r = 4, rune(c&0x07)
	default:
		return -1, 1
	}
	if len(s) < n {
		return -1, 1
	}
	for i := 1; i < n; i++ {
		if s[i]&0xc0 != 0x80 {
			return -1, 1
		}
		r = r<<6 | rune(s[i]&0x3f)
	}
	min := [...]rune{0, 0, 0x80, 0x800, 0x10000}[n]
	if r < min || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff) {
		return -1, 1
	}
	return r, n
}
