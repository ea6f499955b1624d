package e2e

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Issue #13, class 5: with alice's token, a method the route does not list
// and another letter case of the path must not reach the weaker default
// (Express and ASP.NET serve /Users/bob/orders as /users/bob/orders, and an
// upstream implementing DELETE must not see it under the default). Every
// table runs natively and through the .wasm under both WASI profiles, in
// both header modes.

// routingConfig is the attacked configuration: a strict owner route that
// lists methods, beside a permissive default. insensitive sets
// case_insensitive_paths.
func routingConfig(t testing.TB, insensitive bool) string {
	ci := "false"
	if insensitive {
		ci = "true"
	}
	idp := `{"providers": ["idp"]}`
	return `{
  "case_insensitive_paths": ` + ci + `,
  "providers": {
    "idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["ES256"],
            "jwks": ` + jwksOf(t, "ec256") + `}
  },
  "default": {},
  "routes": [
    {"name": "user-orders", "match": {"path": "/users/{user_id}/orders", "methods": ["GET", "POST"]},
     "auth": {"providers": ["idp"], "owner": [{"param": "user_id", "claim": "sub"}]},
     "cors": {"allow_origins": ["https://app.example.com"], "allow_methods": ["GET", "POST", "DELETE"]}},
    {"name": "admin", "match": {"prefix": "/admin", "methods": ["GET"]},
     "auth": {"providers": ["idp"], "claims": [{"claim": "roles", "any_of": ["admin"]}]}},
    {"name": "files", "match": {"path": "/files/caf%C3%A9", "methods": ["GET"]}, "auth": ` + idp + `},
    {"name": "kiosk", "match": {"path": "/kiosk/{id}", "methods": ["GET"]}, "auth": ` + idp + `},
    {"name": "shadow", "match": {"path": "/shadow/{id}", "methods": ["GET"]}, "enforce": false,
     "auth": {"providers": ["idp"], "claims": [{"claim": "roles", "any_of": ["admin"]}]}},
    {"name": "mixed", "match": {"prefix": "/mixed", "methods": ["GET"]}, "enforce": false},
    {"name": "mixed-put", "match": {"path": "/mixed/x", "methods": ["PUT"]}},
    {"name": "shadow-cors", "match": {"prefix": "/sc", "methods": ["GET"]}, "enforce": false, "require_tls": true,
     "cors": {"allow_origins": ["https://app.example.com"], "allow_methods": ["GET", "DELETE"]}},
    {"name": "sc-put", "match": {"path": "/sc/x", "methods": ["PUT"]}}
  ]
}`
}

// headerModes are the two values of allow_on_headers_stop_iteration.
var headerModes = []struct {
	name string
	opts []envoyOpt
}{{"hold", nil}, {"nohold", []envoyOpt{noHold()}}}

func withMethod(method string, r host.Request) host.Request { r.Method = method; return r }

func TestRouting_methodsAndCase(t *testing.T) {
	now := host.DefaultStart
	alice := bearer(mint(t, "ec256", "ES256", claimsAt(now, idpIssuer, nil)))
	as := func(path string) host.Request { return getWith(path, alice) }
	notFound := func(name, path string) exchange {
		return exchange{name: name, req: as(path), want: 404, reason: problem.ReasonRouteCaseMismatch}
	}
	ordersAllow := map[string]string{"allow": "GET, HEAD, OPTIONS, POST"}
	preflight := func(name, path, method string) host.Request {
		return host.Request{Method: "OPTIONS", Path: path, Headers: headers(
			"origin", "https://app.example.com", "access-control-request-method", method)}
	}
	cases := []exchange{
		{name: "own orders", req: as("/users/alice/orders"), want: 200, upHeaders: map[string]string{":path": "/users/alice/orders"}},
		{name: "HEAD where GET is listed", req: withMethod("HEAD", as("/users/alice/orders")), want: 200},
		scope("someone else's orders", as("/users/bob/orders"), problem.ReasonOwnerMismatch),
		// Methods: 405 with Allow, the upstream sees nothing.
		{name: "DELETE on a GET/POST route", req: withMethod("DELETE", as("/users/bob/orders")), want: 405,
			reason: problem.ReasonMethodNotAllowed, headers: ordersAllow},
		{name: "DELETE with a trailing slash", req: withMethod("DELETE", as("/users/bob/orders/")), want: 405,
			reason: problem.ReasonMethodNotAllowed, headers: ordersAllow},
		{name: "PUT on own orders", req: withMethod("PUT", as("/users/alice/orders")), want: 405,
			reason: problem.ReasonMethodNotAllowed, headers: ordersAllow},
		{name: "lower-case method", req: withMethod("delete", as("/users/bob/orders")), want: 400, reason: problem.ReasonBadRequest},
		{name: "POST on a GET prefix", req: withMethod("POST", as("/admin/users")), want: 405,
			reason: problem.ReasonMethodNotAllowed, headers: map[string]string{"allow": "GET, HEAD"}},
		{name: "an unrelated path still gets the default", req: withMethod("DELETE", as("/elsewhere")), want: 200},
		// Letter case: 404, never the default.
		notFound("capital first segment", "/Users/bob/orders"),
		notFound("upper-case first segment", "/USERS/bob/orders"),
		notFound("upper-case last segment", "/users/bob/ORDERS"),
		notFound("case variant with a trailing slash", "/Users/bob/orders/"),
		notFound("escaped capital letter", "/%55sers/bob/orders"),
		scope("escaped lower-case letter is the route", as("/%75sers/bob/orders"), problem.ReasonOwnerMismatch),
		notFound("long s, escaped", "/u%C5%BFers/bob/orders"),
		notFound("long s, raw", "/u\u017fers/bob/orders"),
		notFound("Kelvin sign for k", "/\u212Aiosk/7"),
		notFound("dotless i for i", "/adm\u0131n"),
		notFound("prefix in capitals", "/ADMIN"),
		notFound("prefix in capitals, deeper", "/Admin/users"),
		{name: "prefix never a partial segment", req: as("/admin-x"), want: 200},
		notFound("escaped literal in other case", "/files/CAF%C3%89"),
		notFound("raw literal in other case", "/files/caf\u00c9"),
		{name: "escaped literal, lower-case hex", req: as("/files/caf%c3%a9"), want: 200},
		{name: "escaped literal written raw", req: as("/files/caf\u00e9"), want: 200},
		{name: "DELETE on a case variant", req: withMethod("DELETE", as("/USERS/bob/orders")), want: 404, reason: problem.ReasonRouteCaseMismatch},
		// Preflights are matched with the method they ask about.
		{name: "preflight for a listed method", req: preflight("", "/users/bob/orders", "GET"), want: 204,
			headers: map[string]string{"access-control-allow-origin": "https://app.example.com"}},
		{name: "preflight for a method cors allows but the route does not list", req: preflight("", "/users/bob/orders", "DELETE"),
			want: 403, reason: problem.ReasonCORSMethod, headers: map[string]string{"access-control-allow-origin": "", "vary": "Origin"}},
		{name: "preflight on a case variant", req: preflight("", "/Users/bob/orders", "GET"), want: 404, reason: problem.ReasonRouteCaseMismatch},
		{name: "plain OPTIONS", req: withMethod("OPTIONS", as("/users/bob/orders")), want: 405,
			reason: problem.ReasonMethodNotAllowed, headers: ordersAllow},
		// Report-only routes: the refusal is counted, the request goes on.
		{name: "report-only 405", req: withMethod("DELETE", as("/shadow/1")), want: 200},
		{name: "report-only case variant", req: as("/SHADOW/1"), want: 200, upHeaders: map[string]string{":path": "/SHADOW/1"}},
		// One enforcing route of the path enforces the 405 and the 404.
		{name: "405 enforced by another route of the path", req: withMethod("DELETE", as("/mixed/x")), want: 405,
			reason: problem.ReasonMethodNotAllowed, headers: map[string]string{"allow": "GET, HEAD, PUT"}},
		{name: "405 of report-only routes only", req: withMethod("DELETE", as("/mixed/y")), want: 200},
		notFound("case variant enforced by another route of the path", "/MIXED/x"),
		// A preflight for an unlisted method, where the route with cors is
		// report-only (and over plain HTTP would only report its
		// require_tls): refused when another route of the path enforces.
		{name: "preflight refused for an enforcing route of the path", req: preflight("", "/sc/x", "DELETE"),
			want: 403, reason: problem.ReasonCORSMethod},
		{name: "preflight of report-only routes only", req: preflight("", "/sc/y", "DELETE"), want: 200},
	}
	for _, mode := range headerModes {
		t.Run(mode.name, func(t *testing.T) {
			eachProfile(t, func(t *testing.T, g guest) {
				e := start(t, g, routingConfig(t, false), mode.opts...)
				runTable(t, e, cases)
				for name, want := range map[string]int64{
					"denied.method_not_allowed":      6,
					"denied.route_case_mismatch":     16,
					"denied.cors_method_not_allowed": 2,
					"reported.tls_required":          1,
					"reported.method_not_allowed":    2,
					"reported.route_case_mismatch":   1,
					"denied.route_not_found":         0,
				} {
					if got := metric(t, e, "apiguard."+name); got != want {
						t.Errorf("%s = %d, want %d", name, got, want)
					}
				}
				if n := len(e.LogsContaining("apiguard: report route=shadow status=405 reason=method_not_allowed")); n != 1 {
					t.Errorf("%d report lines for the report-only 405, want 1", n)
				}
				if n := len(e.LogsContaining("apiguard: deny route=user-orders status=404 reason=route_case_mismatch")); n == 0 {
					t.Error("no deny line names the route of a case variant")
				}
			})
		})
	}
}

// TestRouting_caseInsensitivePaths: with case_insensitive_paths, every
// spelling that a case-insensitive upstream serves as a route gets that
// route's policy; parameters keep the request's spelling.
func TestRouting_caseInsensitivePaths(t *testing.T) {
	now := host.DefaultStart
	alice := bearer(mint(t, "ec256", "ES256", claimsAt(now, idpIssuer, nil)))
	as := func(path string) host.Request { return getWith(path, alice) }
	cases := []exchange{
		{name: "as written", req: as("/users/alice/orders"), want: 200},
		{name: "capital first segment", req: as("/Users/alice/orders"), want: 200, upHeaders: map[string]string{":path": "/Users/alice/orders"}},
		{name: "upper case with a trailing slash", req: as("/USERS/alice/ORDERS/"), want: 200},
		scope("someone else's orders in capitals", as("/USERS/bob/orders"), problem.ReasonOwnerMismatch),
		scope("the parameter keeps its spelling", as("/users/ALICE/orders"), problem.ReasonOwnerMismatch),
		{name: "escaped capital letter", req: as("/%55sers/alice/orders"), want: 200},
		scope("escaped capital letter, someone else", as("/%55sers/bob/orders"), problem.ReasonOwnerMismatch),
		{name: "long s, escaped", req: as("/u%C5%BFers/alice/orders"), want: 200},
		scope("long s, raw, someone else", as("/u\u017fers/bob/orders"), problem.ReasonOwnerMismatch),
		{name: "Kelvin sign", req: as("/\u212Aiosk/7"), want: 200},
		{name: "Kelvin sign without a token is the route's 401", req: getWith("/\u212Aiosk/7", nil), want: 401,
			reason: problem.ReasonCredentialMissing, headers: chMissing},
		{name: "capital K without a token", req: getWith("/KIOSK/7", nil), want: 401, reason: problem.ReasonCredentialMissing},
		scope("dotless i", as("/adm\u0131n"), problem.ReasonClaimsNotSatisfied),
		scope("dotted capital I", as("/ADM\u0130N/users"), problem.ReasonClaimsNotSatisfied),
		scope("prefix in capitals", as("/ADMIN/users"), problem.ReasonClaimsNotSatisfied),
		{name: "prefix never a partial segment", req: as("/ADMIN-x"), want: 200},
		{name: "escaped literal in other case", req: as("/files/CAF%C3%89"), want: 200},
		{name: "raw literal in other case", req: as("/files/caf\u00c9"), want: 200},
		{name: "DELETE in capitals", req: withMethod("DELETE", as("/USERS/bob/orders")), want: 405,
			reason: problem.ReasonMethodNotAllowed, headers: map[string]string{"allow": "GET, HEAD, OPTIONS, POST"}},
		{name: "report-only route in capitals", req: as("/SHADOW/1"), want: 200},
	}
	for _, mode := range headerModes {
		t.Run(mode.name, func(t *testing.T) {
			eachProfile(t, func(t *testing.T, g guest) {
				e := start(t, g, routingConfig(t, true), mode.opts...)
				runTable(t, e, cases)
				if got := metric(t, e, "apiguard.denied.route_case_mismatch"); got != 0 {
					t.Errorf("denied.route_case_mismatch = %d, want 0", got)
				}
				if got := metric(t, e, "apiguard.reported.claims_not_satisfied"); got != 1 {
					t.Errorf("reported.claims_not_satisfied = %d, want 1 (the shadow route applied)", got)
				}
			})
		})
	}
}

// TestRouting_reportOnlyNoDefault: without a default and with every route
// report-only, a 404 is counted and logged only, as a 405 and a case
// variant are, and the request reaches upstream.
func TestRouting_reportOnlyNoDefault(t *testing.T) {
	config := `{"routes": [
	  {"name": "a", "match": {"path": "/a", "methods": ["GET"]}, "enforce": false},
	  {"name": "b", "match": {"prefix": "/b"}, "enforce": false}]}`
	cases := []exchange{
		{name: "route", req: host.Request{Path: "/a"}, want: 200},
		{name: "no route", req: host.Request{Path: "/c"}, want: 200, upHeaders: map[string]string{":path": "/c"}},
		{name: "method", req: host.Request{Method: "POST", Path: "/a"}, want: 200},
		{name: "case", req: host.Request{Path: "/A"}, want: 200},
		{name: "unsafe path still refused", req: host.Request{Path: "/a/%2e%2e/b"}, want: 400, reason: problem.ReasonUnsafePath},
	}
	for _, mode := range headerModes {
		t.Run(mode.name, func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				e := start(t, g, config, mode.opts...)
				runTable(t, e, cases)
				for _, line := range []string{
					"apiguard: report route=- status=404 reason=route_not_found",
					"apiguard: report route=a status=405 reason=method_not_allowed",
					"apiguard: report route=a status=404 reason=route_case_mismatch",
				} {
					if n := len(e.LogsContaining(line)); n != 1 {
						t.Errorf("%d lines %q, want 1", n, line)
					}
				}
				for name, want := range map[string]int64{"reported.route_not_found": 1, "reported.method_not_allowed": 1,
					"reported.route_case_mismatch": 1, "denied.route_not_found": 0, "allowed": 1} {
					if got := metric(t, e, "apiguard."+name); got != want {
						t.Errorf("%s = %d, want %d", name, got, want)
					}
				}
			})
		})
	}
	// One enforcing route anywhere: a path matching nothing is refused.
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, strings.Replace(config, `"enforce": false}]}`, `"enforce": true}]}`, 1))
		runTable(t, e, []exchange{
			{name: "no route", req: host.Request{Path: "/c"}, want: 404, reason: problem.ReasonRouteNotFound},
			{name: "method of a report-only route", req: host.Request{Method: "POST", Path: "/a"}, want: 200},
		})
	})
}

// TestRouting_405Headers: a 405 carries the route's CORS headers for an
// allowed origin, like every refusal of the route, and the generic body.
func TestRouting_405Headers(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, routingConfig(t, false))
		runTable(t, e, []exchange{
			{name: "allowed origin", req: host.Request{Method: "PATCH", Path: "/users/bob/orders",
				Headers: []proxy.Pair{{Key: "origin", Value: "https://app.example.com"}, {Key: "x-request-id", Value: "r-405"}}},
				want: 405, reason: problem.ReasonMethodNotAllowed, headers: map[string]string{
					"allow": "GET, HEAD, OPTIONS, POST", "access-control-allow-origin": "https://app.example.com",
					"vary": "Origin", "cache-control": "no-store", "www-authenticate": ""}},
		})
	})
}
