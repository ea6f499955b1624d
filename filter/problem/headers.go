package problem

import "github.com/apiguard/apiguard/filter/httpx"

// SecurityHeaders are the headers security_headers adds to every answer,
// upstream's and the filter's own (docs/responses.md "Guarantees").
var SecurityHeaders = []httpx.Pair{
	{Key: "strict-transport-security", Value: "max-age=31536000"},
	{Key: "x-content-type-options", Value: "nosniff"},
}

// AppendSecure appends, when security is on, SecurityHeaders and
// Cache-Control: no-store, which every answer of the filter's own carries.
func AppendSecure(dst []httpx.Pair, security bool) []httpx.Pair {
	if security {
		dst = append(dst, SecurityHeaders...)
		dst = append(dst, httpx.Pair{Key: "cache-control", Value: "no-store"})
	}
	return dst
}

// Headers are the headers of a problem+json answer, in the order they are
// sent: the content type, the security headers (AppendSecure), the
// check's own (extra: a challenge, Allow, Retry-After, RateLimit), then
// the route's (CORS, deprecation).
func Headers(security bool, extra, route []httpx.Pair) []httpx.Pair {
	h := make([]httpx.Pair, 0, 4+len(extra)+len(route))
	h = append(h, httpx.Pair{Key: "content-type", Value: ContentType})
	h = AppendSecure(h, security)
	h = append(h, extra...)
	return append(h, route...)
}

// Details is the response code details of a refusal: "apiguard_<reason>".
func Details(r Reason) string { return "apiguard_" + string(r) }
