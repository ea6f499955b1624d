package edge

import (
	"strconv"
	"strings"

	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/route"

	"github.com/apiguard/apiguard/filter/config"
)

// CORS is a route's compiled `cors`: the allow-lists and the preflight
// header values, formatted once.
type CORS struct {
	origins     []string // exact, as configured; "null" when listed
	anyOrigin   bool     // allow_origins is ["*"]
	methods     []string
	headers     []string // lower-case
	credentials bool

	allowMethods string // Access-Control-Allow-Methods
	allowHeaders string // Access-Control-Allow-Headers, "" when none
	maxAge       string // Access-Control-Max-Age, "" when not configured
}

// NewCORS compiles a parsed `cors` block. The configuration has already
// been validated: origins are in serialised form, `*` is alone and never
// paired with credentials, methods are upper-case tokens and header names
// lower-case tokens.
func NewCORS(c *config.CORS) *CORS {
	k := &CORS{
		anyOrigin:    c.AnyOrigin,
		methods:      append([]string(nil), c.AllowMethods...),
		headers:      append([]string(nil), c.AllowHeaders...),
		credentials:  c.AllowCredentials,
		allowMethods: strings.Join(c.AllowMethods, ", "),
		allowHeaders: strings.Join(c.AllowHeaders, ", "),
	}
	if !c.AnyOrigin {
		k.origins = append([]string(nil), c.AllowOrigins...)
	}
	if c.HasMaxAge {
		k.maxAge = strconv.FormatInt(int64(c.MaxAge.Seconds()), 10)
	}
	return k
}

// Credentials reports whether `allow_credentials` is set, so allowed
// responses carry `Access-Control-Allow-Credentials: true`.
func (c *CORS) Credentials() bool { return c.credentials }

// AllowMethodsValue is the preflight's Access-Control-Allow-Methods value.
func (c *CORS) AllowMethodsValue() string { return c.allowMethods }

// AllowHeadersValue is the preflight's Access-Control-Allow-Headers value;
// empty when no header is allowed (the header is then not sent).
func (c *CORS) AllowHeadersValue() string { return c.allowHeaders }

// MaxAgeValue is the preflight's Access-Control-Max-Age value; empty when
// `max_age_seconds` was not configured.
func (c *CORS) MaxAgeValue() string { return c.maxAge }

// AllowOrigin decides whether a response to origin may be read by it. echo
// is the Access-Control-Allow-Origin value: the configured string itself
// for a listed origin (so no request bytes are echoed), or origin for a `*`
// list, where only syntactically valid origins are echoed. Comparison is
// exact: scheme, host and port, byte for byte, as browsers serialise them.
// An origin header sent several times reaches here joined with commas and
// never matches.
func (c *CORS) AllowOrigin(origin string) (echo string, ok bool) {
	if origin == "" {
		return "", false
	}
	if c.anyOrigin {
		if ValidOrigin(origin) {
			return origin, true
		}
		return "", false
	}
	for _, o := range c.origins {
		if o == origin {
			return o, true
		}
	}
	return "", false
}

// Listed reports whether origin is one of the configured origins named
// explicitly: neither `*` nor `null` counts. This is the test for cookie
// credentials on unsafe methods (docs/responses.md "Guarantees"): a wildcard list
// or an opaque origin says nothing about who may act with a user's cookies.
func (c *CORS) Listed(origin string) bool {
	if origin == "" || origin == "null" {
		return false
	}
	for _, o := range c.origins {
		if o == origin {
			return true
		}
	}
	return false
}

// MethodAllowed reports whether a preflight's requested method is listed in
// `allow_methods`. Methods are case-sensitive (RFC 9110), and browsers
// upper-case the standard ones before asking.
func (c *CORS) MethodAllowed(method string) bool {
	for _, m := range c.methods {
		if m == method {
			return true
		}
	}
	return false
}

// HeadersAllowed reports whether every header name in a preflight's
// Access-Control-Request-Headers value is listed in `allow_headers`. The
// value is a comma-separated list (several header lines arrive joined with
// commas); names compare case-insensitively, surrounding spaces and tabs
// are ignored, and empty elements name nothing. A name that is not a token
// is never allowed.
func (c *CORS) HeadersAllowed(list string) bool {
	for len(list) > 0 {
		var name string
		if i := strings.IndexByte(list, ','); i >= 0 {
			name, list = list[:i], list[i+1:]
		} else {
			name, list = list, ""
		}
		name = trimOWS(name)
		if name == "" {
			continue
		}
		if !c.headerListed(name) {
			return false
		}
	}
	return true
}

func (c *CORS) headerListed(name string) bool {
	if !route.IsToken(name) {
		return false
	}
	for _, h := range c.headers {
		if httpx.EqualFold(h, name) {
			return true
		}
	}
	return false
}

// trimOWS removes leading and trailing spaces and tabs (RFC 9110 OWS).
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// Verdict is the outcome of a preflight.
type Verdict uint8

// Preflight verdicts, in the order they are checked.
const (
	// PreflightAllowed: answer 204 with the allow headers.
	PreflightAllowed Verdict = iota
	// PreflightBadOrigin: the origin is not allowed.
	PreflightBadOrigin
	// PreflightBadMethod: the requested method is not allowed.
	PreflightBadMethod
	// PreflightBadHeader: a requested header is not allowed.
	PreflightBadHeader
)

// String names the verdict for logs and tests.
func (v Verdict) String() string {
	switch v {
	case PreflightAllowed:
		return "allowed"
	case PreflightBadOrigin:
		return "bad_origin"
	case PreflightBadMethod:
		return "bad_method"
	case PreflightBadHeader:
		return "bad_header"
	}
	return "invalid"
}

// Preflight decides a preflight: origin (the Origin value), method (the
// Access-Control-Request-Method value) and requestHeaders (the
// Access-Control-Request-Headers value, "" when absent). echo is the
// Access-Control-Allow-Origin value when the verdict is PreflightAllowed.
func (c *CORS) Preflight(origin, method, requestHeaders string) (echo string, v Verdict) {
	echo, ok := c.AllowOrigin(origin)
	if !ok {
		return "", PreflightBadOrigin
	}
	if !c.MethodAllowed(method) {
		return "", PreflightBadMethod
	}
	if !c.HeadersAllowed(requestHeaders) {
		return "", PreflightBadHeader
	}
	return echo, PreflightAllowed
}
