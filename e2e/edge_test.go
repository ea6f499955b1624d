package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// The edge of a route (steps 3 to 5, and the headers they add to every
// response of the route): require_tls, CORS preflights and actual
// requests, deprecation and sunset.

// edgeCase is an exchange plus what the edge features decide beyond the
// status: whether upstream saw the request, and every value of list headers
// (Vary, Link) the client got.
type edgeCase struct {
	exchange
	// upstream says whether the request must reach upstream.
	upstream bool
	// all maps a header to every value the client must get, in order.
	all map[string][]string
}

func runEdgeTable(t *testing.T, e *host.Envoy, cases []edgeCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Helper()
			r := roundTrip(e.Worker(0), c.exchange)
			check(t, e, c.exchange, r)
			if r.UpstreamCalled != c.upstream {
				t.Errorf("upstream called %v, want %v", r.UpstreamCalled, c.upstream)
			}
			for k, want := range c.all {
				var got []string
				for _, p := range r.Downstream.Headers {
					if strings.EqualFold(p.Key, k) {
						got = append(got, p.Value)
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("response header %s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

var (
	tls13   = host.StreamProps{TLS: &host.TLSInfo{Version: "TLSv1.3"}}
	noOrig  = map[string]string{"access-control-allow-origin": "", "access-control-allow-credentials": ""}
	appOrig = "https://app.example.com"
)

func opts(path, origin, method, reqHeaders string, extra ...string) host.Request {
	h := headers(extra...)
	if origin != "" {
		h = append(h, proxy.Pair{Key: "origin", Value: origin})
	}
	if method != "" {
		h = append(h, proxy.Pair{Key: "access-control-request-method", Value: method})
	}
	if reqHeaders != "" {
		h = append(h, proxy.Pair{Key: "access-control-request-headers", Value: reqHeaders})
	}
	return host.Request{Method: "OPTIONS", Path: path, Headers: h}
}

const tlsConfig = `{
  "routes": [
    {"name": "conn", "match": {"prefix": "/conn"}, "require_tls": true},
    {"name": "fwd", "match": {"prefix": "/fwd"}, "require_tls": "forwarded"},
    {"name": "shadow", "match": {"prefix": "/shadow"}, "require_tls": true, "enforce": false},
    {"name": "browser", "match": {"prefix": "/browser"}, "require_tls": true,
     "cors": {"allow_origins": ["https://app.example.com"]}},
    {"name": "open", "match": {"prefix": "/open"}}
  ]
}`

func TestTLS_required(t *testing.T) {
	xfp := func(path string, values ...string) host.Request {
		r := host.Request{Path: path}
		for _, v := range values {
			r.Headers = append(r.Headers, proxy.Pair{Key: "x-forwarded-proto", Value: v})
		}
		return r
	}
	plainFwd := xfp("/fwd")
	tlsFwd := plainFwd
	tlsFwd.Props = tls13
	refused := map[string]string{"www-authenticate": ""}
	eachProfile(t, func(t *testing.T, g guest) {
		e := start(t, g, tlsConfig)
		runEdgeTable(t, e, []edgeCase{
			{exchange: exchange{name: "connection TLS", req: host.Request{Path: "/conn", Props: tls13}, want: 200}, upstream: true},
			{exchange: exchange{name: "plaintext", req: host.Request{Path: "/conn"}, want: 403, reason: problem.ReasonTLSRequired, headers: refused}},
			{exchange: exchange{name: "plaintext claiming https is still plaintext", req: xfp("/conn", "https"), want: 403, reason: problem.ReasonTLSRequired}},
			{exchange: exchange{name: "plaintext with https scheme is still plaintext", req: host.Request{Path: "/conn", Scheme: "https"}, want: 403, reason: problem.ReasonTLSRequired}},
			{exchange: exchange{name: "forwarded https", req: xfp("/fwd", "https"), want: 200}, upstream: true},
			{exchange: exchange{name: "forwarded HTTPS any case", req: xfp("/fwd", "HTTPS"), want: 200}, upstream: true},
			{exchange: exchange{name: "forwarded http", req: xfp("/fwd", "http"), want: 403, reason: problem.ReasonTLSRequired, headers: refused}},
			{exchange: exchange{name: "forwarded absent", req: plainFwd, want: 403, reason: problem.ReasonTLSRequired}},
			{exchange: exchange{name: "forwarded absent on a TLS connection", req: tlsFwd, want: 403, reason: problem.ReasonTLSRequired}},
			{exchange: exchange{name: "forwarded twice", req: xfp("/fwd", "https", "https"), want: 403, reason: problem.ReasonTLSRequired}},
			{exchange: exchange{name: "forwarded list in one line", req: xfp("/fwd", "https, http"), want: 403, reason: problem.ReasonTLSRequired}},
			{exchange: exchange{name: "forwarded lookalike", req: xfp("/fwd", "httpss"), want: 403, reason: problem.ReasonTLSRequired}},
			{exchange: exchange{name: "forwarded empty", req: xfp("/fwd", ""), want: 403, reason: problem.ReasonTLSRequired}},
			{exchange: exchange{name: "report-only lets plaintext through", req: host.Request{Path: "/shadow"}, want: 200}, upstream: true},
			{exchange: exchange{name: "refusal of a cors route carries Vary and allow-origin",
				req: host.Request{Path: "/browser", Headers: headers("origin", appOrig)}, want: 403, reason: problem.ReasonTLSRequired,
				headers: map[string]string{"access-control-allow-origin": appOrig}},
				all: map[string][]string{"vary": {"Origin"}}},
			{exchange: exchange{name: "no require_tls", req: host.Request{Path: "/open"}, want: 200}, upstream: true},
		})
		if got := metric(t, e, "apiguard.denied.tls_required"); got != 11 {
			t.Errorf("denied.tls_required = %d, want 11", got)
		}
		if got := metric(t, e, "apiguard.reported.tls_required"); got != 1 {
			t.Errorf("reported.tls_required = %d, want 1", got)
		}
		if n := len(e.LogsContaining("apiguard: report route=shadow status=403 reason=tls_required")); n != 1 {
			t.Errorf("%d report lines for the report-only route, want 1", n)
		}
	})
}

const corsConfig = `{
  "default": {},
  "routes": [
    {"name": "orders", "match": {"path": "/orders", "methods": ["GET", "POST", "PUT", "DELETE"]},
     "cors": {"allow_origins": ["https://app.example.com", "http://localhost:3000"],
              "allow_methods": ["GET", "POST", "PUT"],
              "allow_headers": ["authorization", "content-type"],
              "allow_credentials": true, "max_age_seconds": 600}},
    {"name": "public", "match": {"prefix": "/public"}, "cors": {"allow_origins": ["*"]}},
    {"name": "secure", "match": {"prefix": "/secure"}, "require_tls": true,
     "cors": {"allow_origins": ["https://app.example.com"]}},
    {"name": "shadow", "match": {"prefix": "/shadow"}, "enforce": false,
     "cors": {"allow_origins": ["https://app.example.com"], "allow_methods": ["GET"]}},
    {"name": "plain", "match": {"prefix": "/plain"}}
  ]
}`

func TestCORS_preflight(t *testing.T) {
	allowed := map[string]string{
		"access-control-allow-origin":      appOrig,
		"access-control-allow-methods":     "GET, POST, PUT",
		"access-control-allow-headers":     "authorization, content-type",
		"access-control-max-age":           "600",
		"access-control-allow-credentials": "true",
		"cache-control":                    "no-store",
		"content-type":                     "",
		"www-authenticate":                 "",
	}
	vary := map[string][]string{"vary": {"Origin"}}
	eachProfile(t, func(t *testing.T, g guest) {
		e := start(t, g, corsConfig)
		runEdgeTable(t, e, []edgeCase{
			// The OPTIONS request itself matches only the default: the
			// preflight is judged by the route of the requested method.
			{exchange: exchange{name: "allowed", req: opts("/orders", appOrig, "PUT", "content-type,authorization"), want: 204,
				headers: allowed, body: strp("")}, all: vary},
			{exchange: exchange{name: "allowed without requested headers", req: opts("/orders", appOrig, "GET", ""), want: 204,
				headers: map[string]string{"access-control-allow-origin": appOrig}}, all: vary},
			{exchange: exchange{name: "second origin echoed exactly", req: opts("/orders", "http://localhost:3000", "POST", "Content-Type"), want: 204,
				headers: map[string]string{"access-control-allow-origin": "http://localhost:3000", "access-control-allow-credentials": "true"}}, all: vary},
			{exchange: exchange{name: "explicit default port is another origin", req: opts("/orders", "https://app.example.com:443", "PUT", ""),
				want: 403, reason: problem.ReasonCORSOrigin, headers: noOrig}, all: vary},
			{exchange: exchange{name: "other scheme", req: opts("/orders", "http://app.example.com", "PUT", ""),
				want: 403, reason: problem.ReasonCORSOrigin, headers: noOrig}, all: vary},
			{exchange: exchange{name: "other port", req: opts("/orders", "http://localhost:3001", "PUT", ""),
				want: 403, reason: problem.ReasonCORSOrigin, headers: noOrig}, all: vary},
			{exchange: exchange{name: "suffix origin", req: opts("/orders", "https://app.example.com.evil.example", "PUT", ""),
				want: 403, reason: problem.ReasonCORSOrigin, headers: noOrig}, all: vary},
			{exchange: exchange{name: "null origin not listed", req: opts("/orders", "null", "PUT", ""),
				want: 403, reason: problem.ReasonCORSOrigin, headers: noOrig}, all: vary},
			{exchange: exchange{name: "two origins", req: opts("/orders", appOrig, "PUT", "", "origin", appOrig),
				want: 403, reason: problem.ReasonCORSOrigin, headers: noOrig}, all: vary},
			{exchange: exchange{name: "method the route has but cors does not", req: opts("/orders", appOrig, "DELETE", ""),
				want: 403, reason: problem.ReasonCORSMethod, headers: noOrig}, all: vary},
			{exchange: exchange{name: "header not allowed", req: opts("/orders", appOrig, "PUT", "content-type,x-secret"),
				want: 403, reason: problem.ReasonCORSHeader, headers: noOrig}, all: vary},
			// The route lists GET, POST, PUT and DELETE: the path's routes
			// refuse PATCH, and so does step 4 refuse its preflight (never
			// the default).
			{exchange: exchange{name: "requested method no route of the path lists", req: opts("/orders", appOrig, "PATCH", ""),
				want: 403, reason: problem.ReasonCORSMethod, headers: noOrig}, all: vary},
			{exchange: exchange{name: "requested method without a cors route is an ordinary OPTIONS", req: opts("/plain/x", appOrig, "PATCH", ""),
				want: 200, headers: noOrig}, upstream: true},
			{exchange: exchange{name: "OPTIONS without requested method is an actual request", req: opts("/public/x", appOrig, "", ""),
				want: 200, headers: map[string]string{"access-control-allow-origin": appOrig}}, upstream: true, all: vary},
			{exchange: exchange{name: "wildcard echoes the origin without credentials", req: opts("/public/x", "https://any.example", "POST", ""), want: 204,
				headers: map[string]string{"access-control-allow-origin": "https://any.example", "access-control-allow-methods": "GET, HEAD, POST",
					"access-control-allow-headers": "", "access-control-max-age": "", "access-control-allow-credentials": ""}}, all: vary},
			{exchange: exchange{name: "wildcard still refuses what is not an origin", req: opts("/public/x", "https://any.example/path", "GET", ""),
				want: 403, reason: problem.ReasonCORSOrigin}, all: vary},
			{exchange: exchange{name: "require_tls applies to preflights", req: opts("/secure", appOrig, "GET", ""),
				want: 403, reason: problem.ReasonTLSRequired}, all: vary},
			{exchange: exchange{name: "report-only answers allowed preflights", req: opts("/shadow", appOrig, "GET", ""), want: 204,
				headers: map[string]string{"access-control-allow-origin": appOrig}}, all: vary},
			{exchange: exchange{name: "report-only lets refused preflights through", req: opts("/shadow", appOrig, "PUT", ""), want: 200}, upstream: true, all: vary},
		})
		if got := metric(t, e, "apiguard.cors_preflight"); got != 5 {
			t.Errorf("cors_preflight = %d, want 5", got)
		}
		for reason, want := range map[string]int64{"denied.cors_origin_not_allowed": 7, "denied.cors_method_not_allowed": 2,
			"denied.cors_header_not_allowed": 1, "denied.tls_required": 1, "reported.cors_method_not_allowed": 1} {
			if got := metricWant(t, e, "apiguard."+reason, want); got != want {
				t.Errorf("%s = %d, want %d", reason, got, want)
			}
		}
	})
}

// Without a default, a preflight is answered when its OPTIONS request
// matches the cors route itself.
func TestCORS_preflightWithoutDefault(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, `{"routes": [{"name": "api", "match": {"prefix": "/api"},
		  "cors": {"allow_origins": ["https://app.example.com"], "allow_methods": ["DELETE"]}}]}`)
		runEdgeTable(t, e, []edgeCase{
			{exchange: exchange{name: "allowed", req: opts("/api/7", appOrig, "DELETE", ""), want: 204,
				headers: map[string]string{"access-control-allow-origin": appOrig, "access-control-allow-methods": "DELETE"}}},
			{exchange: exchange{name: "refused", req: opts("/api/7", appOrig, "GET", ""), want: 403, reason: problem.ReasonCORSMethod}},
			{exchange: exchange{name: "no route", req: opts("/other", appOrig, "DELETE", ""), want: 404, reason: problem.ReasonRouteNotFound,
				headers: map[string]string{"vary": ""}}},
		})
	})
}

// A route whose methods list only the actual methods (docs/configuration.md's
// user-orders) owns the preflights for them: step 2 matches a preflight
// with the requested method, so it needs no default. A preflight for a
// method the route does not list is refused by step 4; a plain OPTIONS is
// an unlisted method (405, Allow naming OPTIONS for the cors route).
func TestCORS_preflightOnMethodsRoute(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, `{"routes": [{"name": "orders", "match": {"path": "/users/{id}/orders", "methods": ["GET", "POST"]},
		  "cors": {"allow_origins": ["https://app.example.com"], "allow_methods": ["GET", "POST"]}}]}`)
		runEdgeTable(t, e, []edgeCase{
			{exchange: exchange{name: "preflight for POST", req: opts("/users/7/orders", appOrig, "POST", ""), want: 204,
				headers: map[string]string{"access-control-allow-origin": appOrig}}},
			{exchange: exchange{name: "preflight for a method the route does not list", req: opts("/users/7/orders", appOrig, "DELETE", ""),
				want: 403, reason: problem.ReasonCORSMethod, headers: noOrig}, all: map[string][]string{"vary": {"Origin"}}},
			{exchange: exchange{name: "preflight for an unlisted method from another origin", req: opts("/users/7/orders", "https://evil.example", "DELETE", ""),
				want: 403, reason: problem.ReasonCORSOrigin, headers: noOrig}},
			{exchange: exchange{name: "plain OPTIONS is not a preflight", req: host.Request{Method: "OPTIONS", Path: "/users/7/orders"},
				want: 405, reason: problem.ReasonMethodNotAllowed, headers: map[string]string{"allow": "GET, HEAD, OPTIONS, POST"}}},
			{exchange: exchange{name: "preflight on a case variant", req: opts("/USERS/7/orders", appOrig, "POST", ""),
				want: 404, reason: problem.ReasonRouteCaseMismatch}},
		})
	})
}

func TestCORS_actualRequest(t *testing.T) {
	upstreamCORS := &host.Response{Status: 200, Headers: headers("content-type", "application/json",
		"access-control-allow-origin", "*", "access-control-allow-credentials", "true", "vary", "Accept-Encoding"), Body: []byte(`{}`)}
	get := func(path string, kv ...string) host.Request { return host.Request{Path: path, Headers: headers(kv...)} }
	eachProfile(t, func(t *testing.T, g guest) {
		e := start(t, g, corsConfig)
		runEdgeTable(t, e, []edgeCase{
			{exchange: exchange{name: "allowed origin with credentials", req: get("/orders", "origin", appOrig), want: 200,
				headers: map[string]string{"access-control-allow-origin": appOrig, "access-control-allow-credentials": "true"}},
				upstream: true, all: map[string][]string{"vary": {"Origin"}}},
			{exchange: exchange{name: "other origin gets nothing", req: get("/orders", "origin", "https://evil.example"), want: 200, headers: noOrig},
				upstream: true, all: map[string][]string{"vary": {"Origin"}}},
			{exchange: exchange{name: "default port spelled out gets nothing", req: get("/orders", "origin", "https://app.example.com:443"), want: 200, headers: noOrig},
				upstream: true},
			{exchange: exchange{name: "no origin", req: get("/orders"), want: 200, headers: noOrig},
				upstream: true, all: map[string][]string{"vary": {"Origin"}}},
			{exchange: exchange{name: "two origins", req: get("/orders", "origin", appOrig, "origin", appOrig), want: 200, headers: noOrig}, upstream: true},
			{exchange: exchange{name: "upstream's allow headers replaced", req: get("/orders", "origin", "http://localhost:3000"), resp: upstreamCORS, want: 200,
				headers: map[string]string{"access-control-allow-origin": "http://localhost:3000", "access-control-allow-credentials": "true"}},
				upstream: true, all: map[string][]string{"vary": {"Accept-Encoding", "Origin"}}},
			{exchange: exchange{name: "upstream's allow headers removed for others", req: get("/orders", "origin", "https://evil.example"), resp: upstreamCORS,
				want: 200, headers: noOrig}, upstream: true, all: map[string][]string{"vary": {"Accept-Encoding", "Origin"}}},
			{exchange: exchange{name: "no credentials on a route without them", req: get("/public/x", "origin", "https://any.example"), resp: upstreamCORS,
				want: 200, headers: map[string]string{"access-control-allow-origin": "https://any.example", "access-control-allow-credentials": ""}}, upstream: true},
			{exchange: exchange{name: "report-only removes nothing", req: get("/shadow", "origin", "https://evil.example"), resp: upstreamCORS, want: 200,
				headers: map[string]string{"access-control-allow-origin": "*"}}, upstream: true, all: map[string][]string{"vary": {"Accept-Encoding", "Origin"}}},
			{exchange: exchange{name: "route without cors untouched", req: get("/plain", "origin", appOrig), resp: upstreamCORS, want: 200,
				headers: map[string]string{"access-control-allow-origin": "*"}}, upstream: true, all: map[string][]string{"vary": {"Accept-Encoding"}}},
			{exchange: exchange{name: "refusal to an allowed origin", req: get("/secure", "origin", appOrig), want: 403, reason: problem.ReasonTLSRequired,
				headers: map[string]string{"access-control-allow-origin": appOrig, "access-control-allow-credentials": ""}},
				all: map[string][]string{"vary": {"Origin"}}},
			{exchange: exchange{name: "refusal to another origin", req: get("/secure", "origin", "https://evil.example"), want: 403, reason: problem.ReasonTLSRequired,
				headers: noOrig}, all: map[string][]string{"vary": {"Origin"}}},
			{exchange: exchange{name: "refusal without origin", req: get("/secure"), want: 403, reason: problem.ReasonTLSRequired,
				headers: noOrig}, all: map[string][]string{"vary": {"Origin"}}},
		})
	})
}

const deprecationConfig = `{
  "routes": [
    {"name": "old", "match": {"prefix": "/old"},
     "deprecation": {"since": "2026-06-01T00:00:00Z", "sunset": "2027-06-01T00:00:00Z",
                     "link": "https://docs.example.com/migrate", "refuse_after_sunset": true}},
    {"name": "kept", "match": {"prefix": "/kept"},
     "deprecation": {"since": "2026-06-01T00:00:00Z", "sunset": "2027-06-01T00:00:00Z"}},
    {"name": "bare", "match": {"prefix": "/bare"}, "deprecation": {"since": "2025-12-31T23:59:59.9Z"}},
    {"name": "shadow", "match": {"prefix": "/shadow"}, "enforce": false,
     "deprecation": {"since": "2026-06-01T00:00:00Z", "sunset": "2027-06-01T00:00:00Z", "refuse_after_sunset": true}},
    {"name": "browser", "match": {"prefix": "/browser"},
     "cors": {"allow_origins": ["https://app.example.com"]},
     "deprecation": {"since": "2026-06-01T00:00:00Z", "sunset": "2027-06-01T00:00:00Z",
                     "link": "https://docs.example.com/migrate", "refuse_after_sunset": true}},
    {"name": "current", "match": {"prefix": "/current"}}
  ]
}`

func TestDeprecation_headersAndSunset(t *testing.T) {
	const (
		dep    = "@1780272000"
		sunset = "Tue, 01 Jun 2027 00:00:00 GMT"
		link   = `<https://docs.example.com/migrate>; rel="deprecation"`
	)
	upstream := &host.Response{Status: 200, Headers: headers("content-type", "application/json",
		"link", `</orders?page=2>; rel="next"`, "deprecation", "@1", "sunset", "never"), Body: []byte(`{}`)}
	full := map[string]string{"deprecation": dep, "sunset": sunset, "link": link}
	live := func(when string) []edgeCase {
		return []edgeCase{
			{exchange: exchange{name: when + "/headers", req: host.Request{Path: "/old"}, want: 200, headers: full}, upstream: true},
			{exchange: exchange{name: when + "/upstream's link kept, its deprecation replaced", req: host.Request{Path: "/old"}, resp: upstream, want: 200},
				upstream: true, all: map[string][]string{"link": {`</orders?page=2>; rel="next"`, link}, "deprecation": {dep}, "sunset": {sunset}}},
			{exchange: exchange{name: when + "/no link configured", req: host.Request{Path: "/kept"}, want: 200,
				headers: map[string]string{"deprecation": dep, "sunset": sunset, "link": ""}}, upstream: true},
			{exchange: exchange{name: when + "/since only, whole seconds", req: host.Request{Path: "/bare"}, want: 200,
				headers: map[string]string{"deprecation": "@1767225599", "sunset": "", "link": ""}}, upstream: true},
			{exchange: exchange{name: when + "/route not deprecated", req: host.Request{Path: "/current"}, want: 200,
				headers: map[string]string{"deprecation": "", "sunset": "", "link": ""}}, upstream: true},
			{exchange: exchange{name: when + "/preflight carries them", req: opts("/browser", appOrig, "GET", ""), want: 204,
				headers: full}, all: map[string][]string{"vary": {"Origin"}}},
		}
	}
	eachProfile(t, func(t *testing.T, g guest) {
		e := start(t, g, deprecationConfig) // the clock starts on 2026-01-01
		runEdgeTable(t, e, live("before since"))
		e.Advance(time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC).Sub(e.Clock().Now()))
		runEdgeTable(t, e, live("after since"))
		e.Advance(time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC).Sub(e.Clock().Now()) - time.Second)
		runEdgeTable(t, e, live("a second before sunset"))
		e.Advance(time.Second)
		gone := map[string]string{"deprecation": dep, "sunset": sunset, "link": link}
		runEdgeTable(t, e, []edgeCase{
			{exchange: exchange{name: "at sunset/gone", req: host.Request{Path: "/old"}, want: 410, reason: problem.ReasonSunset, headers: gone}},
			{exchange: exchange{name: "at sunset/gone for every method", req: host.Request{Method: "POST", Path: "/old/x", Body: []byte(`{}`)},
				want: 410, reason: problem.ReasonSunset, headers: gone}},
			{exchange: exchange{name: "at sunset/kept without refuse_after_sunset", req: host.Request{Path: "/kept"}, want: 200,
				headers: map[string]string{"deprecation": dep, "sunset": sunset}}, upstream: true},
			{exchange: exchange{name: "at sunset/report-only goes on", req: host.Request{Path: "/shadow"}, want: 200,
				headers: map[string]string{"deprecation": dep, "sunset": sunset}}, upstream: true},
			{exchange: exchange{name: "at sunset/cors route answers 410 with Vary and allow-origin", req: host.Request{Path: "/browser", Headers: headers("origin", appOrig)},
				want: 410, reason: problem.ReasonSunset, headers: map[string]string{"access-control-allow-origin": appOrig, "sunset": sunset, "link": link}},
				all: map[string][]string{"vary": {"Origin"}}},
		})
		e.Advance(400 * 24 * time.Hour)
		runEdgeTable(t, e, []edgeCase{
			{exchange: exchange{name: "long after sunset", req: host.Request{Path: "/old"}, want: 410, reason: problem.ReasonSunset, headers: gone}},
		})
		if got := metric(t, e, "apiguard.denied.route_sunset"); got != 4 {
			t.Errorf("denied.route_sunset = %d, want 4", got)
		}
		if got := metric(t, e, "apiguard.reported.route_sunset"); got != 1 {
			t.Errorf("reported.route_sunset = %d, want 1", got)
		}
	})
}

// auditEdgeAuthConfig: a browser route that needs a token, with cors and
// deprecation, so one table shows preflights needing no credential, the
// actual request still authenticated, and the route's headers on every
// response, refusals included.
func auditEdgeAuthConfig(t testing.TB) string {
	return `{
  "providers": {
    "idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["EdDSA"],
            "jwks": ` + jwksOf(t, "ed") + `}
  },
  "routes": [
    {"name": "orders", "match": {"path": "/orders/{id}", "methods": ["GET", "POST"]},
     "cors": {"allow_origins": ["https://app.example.com"], "allow_methods": ["GET", "POST"],
              "allow_headers": ["authorization"], "allow_credentials": true},
     "deprecation": {"since": "2026-06-01T00:00:00Z", "sunset": "2027-06-01T00:00:00Z",
                     "link": "https://docs.example.com/migrate"},
     "auth": {"providers": ["idp"], "owner": [{"param": "id", "claim": "sub"}]}}
  ]
}`
}

// TestCORS_preflightNeedsNoCredential: issue 8, "preflights never need
// credentials, and everything else on the route still applies to the
// actual request"; docs/configuration.md deprecation headers "on every response of the
// route" and Vary: Origin on every response of a cors route, refusals
// included.
func TestCORS_preflightNeedsNoCredential(t *testing.T) {
	now := host.DefaultStart
	tok := bearer(mint(t, "ed", "EdDSA", claimsAt(now, idpIssuer, nil)))
	const (
		dep    = "@1780272000"
		sunset = "Tue, 01 Jun 2027 00:00:00 GMT"
		link   = `<https://docs.example.com/migrate>; rel="deprecation"`
	)
	route := map[string]string{"deprecation": dep, "sunset": sunset, "link": link,
		"access-control-allow-origin": appOrig, "access-control-allow-credentials": "true"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range route {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	get := func(path string, h ...proxy.Pair) host.Request {
		return host.Request{Path: path, Headers: append(headers("origin", appOrig), h...)}
	}
	vary := map[string][]string{"vary": {"Origin"}}
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, auditEdgeAuthConfig(t))
		runEdgeTable(t, e, []edgeCase{
			{exchange: exchange{name: "preflight without a credential", req: opts("/orders/alice", appOrig, "POST", "authorization"), want: 204,
				headers: with(map[string]string{"access-control-allow-methods": "GET, POST", "www-authenticate": ""})}, all: vary},
			{exchange: exchange{name: "actual request without a credential", req: get("/orders/alice"), want: 401,
				reason: problem.ReasonCredentialMissing, headers: with(chMissing)}, all: vary},
			{exchange: exchange{name: "actual request with a bad token", req: get("/orders/alice", bearer("a.b.c")...), want: 401,
				reason: problem.ReasonTokenMalformed, headers: with(chInvalid)}, all: vary},
			{exchange: exchange{name: "actual request for another's object", req: get("/orders/bob", tok...), want: 403,
				reason: problem.ReasonOwnerMismatch, headers: with(chScope)}, all: vary},
			{exchange: exchange{name: "actual request allowed", req: get("/orders/alice", tok...), want: 200,
				headers: route}, upstream: true, all: vary},
		})
	})
}
