package edge

import (
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/problem"
)

// Request is one request's edge state: its route's compiled cors and
// deprecation, and what the request said about its origin. It is filled
// while the request headers are readable (steps 2 to 4), because
// refusals and the response path need it after Envoy has taken the
// request headers away.
type Request struct {
	loaded bool // Load ran for the current route

	CORS *CORS        // the route's cors, nil without
	Dep  *Deprecation // the route's deprecation, nil without

	originRead bool
	Origin     string // Origin ("" when absent or empty)
	acrmRead   bool
	ACRM       string // Access-Control-Request-Method on OPTIONS

	allowed bool   // origin allowed by policy
	echo    string // Access-Control-Allow-Origin value when allowed
	// Preflight says the request is a preflight answered by this route.
	Preflight bool

	// Answer says step 2 gave the request the route that answers its
	// preflight in step 4; WrongMethod that the preflight asks for a
	// method none of the path's routes lists (refused in step 4), and
	// EnforceRefusal that some of those routes enforce.
	Answer, WrongMethod, EnforceRefusal bool
}

// Load loads the current route's compiled edge policies and judges the
// request's Origin against its cors, once.
func (e *Request) Load(c *CORS, d *Deprecation, req *httpx.Request) {
	if e.loaded {
		return
	}
	e.loaded = true
	e.CORS, e.Dep, e.allowed, e.echo = c, d, false, ""
	if c != nil {
		e.echo, e.allowed = c.AllowOrigin(e.origin(req))
	}
}

// origin reads the Origin once. The attribute joins repeated headers with
// ",", which no configured origin contains, so a request sending several
// origins is never allowed.
func (e *Request) origin(req *httpx.Request) string {
	if !e.originRead {
		e.originRead = true
		e.Origin = req.HeaderAll("origin")
	}
	return e.Origin
}

// PreflightMethod reports whether the request is a CORS preflight
// (OPTIONS with Origin and Access-Control-Request-Method) and returns the
// requested method.
func (e *Request) PreflightMethod(req *httpx.Request) (string, bool) {
	if req.Method != "OPTIONS" {
		return "", false
	}
	if !e.acrmRead {
		e.acrmRead = true
		e.ACRM = req.HeaderAll("access-control-request-method")
	}
	if e.ACRM == "" || e.origin(req) == "" {
		return "", false
	}
	return e.ACRM, true
}

// WrongMethodReason is the reason of a preflight refused for asking for a
// method none of the path's routes lists: the origin first, as Preflight
// judges it.
func (e *Request) WrongMethodReason() problem.Reason {
	if !e.allowed {
		return problem.ReasonCORSOrigin
	}
	return problem.ReasonCORSMethod
}

// PreflightVerdict judges the preflight against the route's cors: the
// Access-Control-Allow-Origin value when allowed, else the refusal's
// reason (403).
func (e *Request) PreflightVerdict(req *httpx.Request) (echo string, refused problem.Reason) {
	echo, v := e.CORS.Preflight(e.Origin, e.ACRM, req.HeaderAll("access-control-request-headers"))
	switch v {
	case PreflightAllowed:
		return echo, ""
	case PreflightBadOrigin:
		return "", problem.ReasonCORSOrigin
	case PreflightBadMethod:
		return "", problem.ReasonCORSMethod
	}
	return "", problem.ReasonCORSHeader
}

// PreflightStep is step 4 for a preflight step 2 gave a route (Answer):
// the Access-Control-Allow-Origin value of its 204, or the reason of its
// 403. A preflight for a method none of the path's routes lists is refused
// whatever the route's cors allows, and enforced says that refusal is
// sent even on a report-only route (EnforceRefusal). Load first.
func (e *Request) PreflightStep(req *httpx.Request) (echo string, refused problem.Reason, enforced bool) {
	e.Preflight = true
	if e.WrongMethod {
		return "", e.WrongMethodReason(), e.EnforceRefusal
	}
	echo, refused = e.PreflightVerdict(req)
	return echo, refused, false
}

var varyOrigin = httpx.Pair{Key: "vary", Value: "Origin"}

// The allowed preflight's 204 (docs/operating.md "Metrics").
const (
	// MetricPreflight counts preflights the filter answered with 204.
	MetricPreflight = "apiguard.cors_preflight"
	// DetailsPreflight is the response code details of a preflight
	// answer. It deliberately does not start with "apiguard_", the prefix
	// of refusals.
	DetailsPreflight = "cors_preflight"
)

// AppendPreflight appends the headers of an allowed preflight's 204: the
// allow headers, Vary and the deprecation headers.
func (e *Request) AppendPreflight(hs []httpx.Pair, echo string) []httpx.Pair {
	p := e.CORS
	hs = append(hs,
		httpx.Pair{Key: "access-control-allow-origin", Value: echo},
		httpx.Pair{Key: "access-control-allow-methods", Value: p.AllowMethodsValue()})
	if v := p.AllowHeadersValue(); v != "" {
		hs = append(hs, httpx.Pair{Key: "access-control-allow-headers", Value: v})
	}
	if v := p.MaxAgeValue(); v != "" {
		hs = append(hs, httpx.Pair{Key: "access-control-max-age", Value: v})
	}
	if p.Credentials() {
		hs = append(hs, httpx.Pair{Key: "access-control-allow-credentials", Value: "true"})
	}
	hs = append(hs, varyOrigin)
	return e.Dep.AppendHeaders(hs)
}

// AppendResponseEdits appends the changes to upstream's response. CORS:
// the allow-origin headers and Vary; on an enforced route the filter's
// decision replaces whatever upstream said (a disallowed origin gets no
// allow headers at all), while a report-only route adds its headers but
// removes nothing. Deprecation: Deprecation and Sunset hold one value and
// replace upstream's; Link is a list, so upstream's own links stay. They
// are informational, so report-only routes get them too.
func (e *Request) AppendResponseEdits(out []httpx.Edit, enforce bool) []httpx.Edit {
	if c := e.CORS; c != nil {
		if e.allowed {
			out = append(out, httpx.Edit{Op: httpx.Replace, Key: "access-control-allow-origin", Value: e.echo})
		} else if enforce {
			out = append(out, httpx.Edit{Op: httpx.Remove, Key: "access-control-allow-origin"})
		}
		if e.allowed && c.Credentials() {
			out = append(out, httpx.Edit{Op: httpx.Replace, Key: "access-control-allow-credentials", Value: "true"})
		} else if enforce {
			out = append(out, httpx.Edit{Op: httpx.Remove, Key: "access-control-allow-credentials"})
		}
		out = append(out, httpx.Edit{Op: httpx.Add, Key: varyOrigin.Key, Value: varyOrigin.Value})
	}
	if d := e.Dep; d != nil {
		out = append(out, httpx.Edit{Op: httpx.Replace, Key: "deprecation", Value: d.DeprecationHeader()})
		if v := d.SunsetHeader(); v != "" {
			out = append(out, httpx.Edit{Op: httpx.Replace, Key: "sunset", Value: v})
		}
		if v := d.LinkHeader(); v != "" {
			out = append(out, httpx.Edit{Op: httpx.Add, Key: "link", Value: v})
		}
	}
	return out
}

// RefusalHeaders are the route headers a refusal of this route carries,
// for both edge features: Vary: Origin and, for an allowed origin, the
// allow headers (so the caller's script can read the problem), then the
// deprecation headers. A refused preflight gets no allow headers.
func (e *Request) RefusalHeaders() []httpx.Pair {
	if e.CORS == nil && e.Dep == nil {
		return nil
	}
	out := make([]httpx.Pair, 0, 6)
	if c := e.CORS; c != nil {
		if e.allowed && !e.Preflight {
			out = append(out, httpx.Pair{Key: "access-control-allow-origin", Value: e.echo})
			if c.Credentials() {
				out = append(out, httpx.Pair{Key: "access-control-allow-credentials", Value: "true"})
			}
		}
		out = append(out, varyOrigin)
	}
	return e.Dep.AppendHeaders(out)
}

// OriginListed reports whether the request's Origin is one the route's
// cors lists by name (exactly: scheme, host, port). `*` and `null` never
// count. Authentication asks this for cookie credentials on unsafe
// methods (docs/responses.md "Guarantees"); it is valid once Load ran.
func (e *Request) OriginListed() bool { return e.CORS != nil && e.CORS.Listed(e.Origin) }

// Release drops what the request said once the header steps are done:
// Origin is kept (as origin, a copy when the caller had to copy it).
func (e *Request) Release(origin string) { e.Origin, e.ACRM = origin, "" }

// AppendHeaders appends the deprecation headers, for the responses the
// filter generates itself (nothing without deprecation).
func (d *Deprecation) AppendHeaders(out []httpx.Pair) []httpx.Pair {
	if d == nil {
		return out
	}
	out = append(out, httpx.Pair{Key: "deprecation", Value: d.DeprecationHeader()})
	if v := d.SunsetHeader(); v != "" {
		out = append(out, httpx.Pair{Key: "sunset", Value: v})
	}
	if v := d.LinkHeader(); v != "" {
		out = append(out, httpx.Pair{Key: "link", Value: v})
	}
	return out
}
