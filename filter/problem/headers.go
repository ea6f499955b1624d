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

// AppendResponseSecurity appends the edits security_headers makes to
// upstream's response: SecurityHeaders, Cache-Control: no-store on an
// authenticated response, and the removal of the headers that fingerprint
// the upstream (Server, X-Powered-By).
func AppendResponseSecurity(dst []httpx.Edit, authenticated bool) []httpx.Edit {
	for _, h := range SecurityHeaders {
		dst = append(dst, httpx.Edit{Op: httpx.Replace, Key: h.Key, Value: h.Value})
	}
	if authenticated {
		dst = append(dst, httpx.Edit{Op: httpx.Replace, Key: "cache-control", Value: "no-store"})
	}
	return append(dst, httpx.Edit{Op: httpx.Remove, Key: "server"}, httpx.Edit{Op: httpx.Remove, Key: "x-powered-by"})
}

// Details is the response code details of a refusal: "apiguard_<reason>".
func Details(r Reason) string { return "apiguard_" + string(r) }

// DetailsCache is Details built once per reason rather than on every
// refusal (the zero value is ready).
type DetailsCache struct{ m map[Reason]string }

// Details is Details(r), from the cache once built.
func (c *DetailsCache) Details(r Reason) string {
	d, ok := c.m[r]
	if !ok {
		if c.m == nil {
			c.m = map[Reason]string{}
		}
		d = Details(r)
		c.m[r] = d
	}
	return d
}
