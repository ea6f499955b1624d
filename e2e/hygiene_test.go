package e2e

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Step 1, header hygiene: method overrides, unsafe paths and request
// targets, client-sent claims headers in every spelling, header names in
// any case, and the one read of the request headers that every later step
// works from.

// Step 1 always enforces, before any route is known, even on a report-only
// route.
func TestHygiene_alwaysEnforced(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, requestConfig(true))
		var cases []exchange
		for _, h := range []string{"X-HTTP-Method-Override", "x-http-method", "X-Method-Override"} {
			cases = append(cases,
				exchange{name: "header " + h, req: host.Request{Path: "/open", Headers: headers(h, "DELETE")}, want: 400, reason: problem.ReasonMethodOverride},
				exchange{name: "empty header " + h, req: host.Request{Path: "/open", Headers: headers(h, "")}, want: 400, reason: problem.ReasonMethodOverride})
		}
		// PHP drops leading spaces of a name before it turns '.', ' ' and
		// '[' into '_' (docs/configuration.md "Query and cookie names"), so
		// `+_method` is `_method` to it, and `+method` is `method`.
		for _, q := range []string{"_method=DELETE", "a=1&_METHOD=PUT", "%5Fmethod=PUT", ".method=PUT", "+_method=DELETE", "%20_method=PUT", "[method=PUT", "_method", "_method[]=x", "a=1;_method=x"} {
			cases = append(cases, exchange{name: "query " + q, req: host.Request{Path: "/open?" + q}, want: 400, reason: problem.ReasonMethodOverride})
		}
		for _, p := range []string{"/open/a%2Fb", "/open/a%2fb", "/open/a%5Cb", "/open/a%5cb", "/open/a%00", "/open/%2E%2E/admin",
			"/open/%2e", "/open;x=1", "/open/a;b", `/open/a\b`, "/open/./a", "/open/../admin", "/open/..", "/open/.",
			"/open//a", "//open", "/open/a//", "/open/%zz", "/open/%4", "/report/../open", "/report//x",
			// Double-encoded: one more decoding (a proxy chain, an
			// upstream that decodes twice) makes them the escapes above.
			"/open/a%252Fb", "/open/a%252fb", "/open/%255C", "/open/a%2500", "/open/%252E%252E/admin"} {
			cases = append(cases, exchange{name: "path " + p, req: host.Request{Path: p}, want: 400, reason: problem.ReasonUnsafePath})
		}
		cases = append(cases,
			exchange{name: "override header on a report-only route", req: host.Request{Path: "/report", Headers: headers("x-http-method-override", "GET")}, want: 400, reason: problem.ReasonMethodOverride},
			exchange{name: "safe path", req: host.Request{Path: "/open/a.b/c..d/%41%20x/"}, want: 200},
			exchange{name: "an encoded percent before other text", req: host.Request{Path: "/open/%2541%25%25zz%252"}, want: 200},
			exchange{name: "method word in value", req: host.Request{Path: "/open?x=_method&method=1&_methods=2"}, want: 200},
			exchange{name: "a leading space is dropped, not turned into _", req: host.Request{Path: "/open?+method=PUT"}, want: 200},
			exchange{name: "unsafe text in the query is not the path", req: host.Request{Path: "/open?next=/a//b/../c;d%2F"}, want: 200},
			exchange{name: "other override-like header", req: host.Request{Path: "/open", Headers: headers("x-method", "DELETE")}, want: 200},
		)
		runTable(t, e, cases)
		if got := metric(t, e, "apiguard.denied.unsafe_path"); got != 26 {
			t.Errorf("denied.unsafe_path = %d, want 26", got)
		}
		if got := metric(t, e, "apiguard.denied.method_override"); got != 17 {
			t.Errorf("denied.method_override = %d, want 17", got)
		}
		if got := metricOrZero(t, e, "apiguard.reported.method_override"); got != 0 {
			t.Errorf("step 1 was reported instead of enforced: %d", got)
		}
	})
}

// publicDefaultConfig is for adversarial request-path cases: ways a request
// could reach upstream under a weaker policy than the one meant for it,
// or carry a credential or an identity header the filter did not check.
// The configuration has a public default, so every request that slips
// past its route's match gets through unchecked: that is exactly what
// each case must not achieve.
func publicDefaultConfig(t testing.TB) string {
	return `{
  "providers": {
    "idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["ES256"],
            "jwks": ` + jwksOf(t, "ec256") + `,
            "claims_to_headers": {"sub": "x-user-id", "tenant": "x-tenant-id"}},
    "web": {"issuer": "` + webIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["ES256"],
            "jwks": ` + jwksOf(t, "ec256") + `, "from": [{"cookie": "access_token"}], "forward": true}
  },
  "routes": [
    {"name": "owner", "match": {"path": "/users/{user_id}/orders", "methods": ["GET"]},
     "auth": {"providers": ["idp"], "owner": [{"param": "user_id", "claim": "sub"}]}},
    {"name": "admin", "match": {"path": "/admin", "methods": ["GET", "DELETE"]},
     "auth": {"providers": ["idp"], "claims": [{"claim": "roles", "any_of": ["admin"]}]}},
    {"name": "web", "match": {"prefix": "/web"}, "auth": {"providers": ["web"]}},
    {"name": "x-options", "match": {"path": "/x", "methods": ["OPTIONS"]}, "auth": {"providers": ["idp"]}},
    {"name": "x-post", "match": {"path": "/x", "methods": ["POST"]}},
    {"name": "y-cors", "match": {"path": "/y", "methods": ["POST"]},
     "cors": {"allow_origins": ["https://app.example.com"], "allow_methods": ["POST"]}}
  ],
  "default": {}
}`
}

// TestHygiene_requestTarget: a request target or method the route matcher
// does not read the way an upstream would must be refused, never handed to
// the (public) default.
func TestHygiene_requestTarget(t *testing.T) {
	now := host.DefaultStart
	alice := bearer(mint(t, "ec256", "ES256", claimsAt(now, idpIssuer, nil)))
	bad := func(name string, req host.Request, reason problem.Reason) exchange {
		return exchange{name: name, req: req, want: 400, reason: reason}
	}
	cases := []exchange{
		// Methods compare exactly, so `get` would miss the GET route and
		// fall to the default; frameworks that upper-case the method
		// (Werkzeug, for one) would serve it as GET.
		bad("lower-case method", host.Request{Method: "get", Path: "/admin"}, problem.ReasonBadRequest),
		bad("mixed-case method", host.Request{Method: "Delete", Path: "/admin"}, problem.ReasonBadRequest),
		bad("method with a space", host.Request{Method: "GET /admin", Path: "/admin"}, problem.ReasonBadRequest),
		// Request targets that are not an origin-form path match no
		// route.
		bad("asterisk form", host.Request{Method: "OPTIONS", Path: "*"}, problem.ReasonUnsafePath),
		bad("path without a leading slash", host.Request{Path: "admin"}, problem.ReasonUnsafePath),
		bad("absolute form", host.Request{Path: "https://api.example.com/admin"}, problem.ReasonUnsafePath),
		bad("absolute form, one slash", host.Request{Path: "http:/admin"}, problem.ReasonUnsafePath),
		// A fragment never belongs in a request target; an upstream that
		// drops it serves /admin.
		bad("fragment", host.Request{Path: "/admin#x"}, problem.ReasonUnsafePath),
		bad("fragment in a parameter", host.Request{Path: "/users/bob#/orders", Headers: alice}, problem.ReasonUnsafePath),
		// Percent-encoded unreserved characters mean the same path (RFC
		// 3986 §6.2.2.2): matched as their decoded form, they get the
		// route's checks.
		{name: "encoded letter in a literal segment", req: getWith("/%75sers/bob/orders", alice), want: 403,
			reason: problem.ReasonOwnerMismatch, headers: chScope},
		{name: "encoded letters, own id", req: getWith("/%75sers/%61lice/%6Frders", alice), want: 200},
		{name: "encoded exact route", req: getWith("/%61dmin", nil), want: 401, reason: problem.ReasonCredentialMissing},
		{name: "encoded tilde and digit", req: getWith("/%7E%31", nil), want: 200},
		{name: "ordinary path", req: getWith("/users/alice/orders", alice), want: 200},
	}
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, publicDefaultConfig(t))
		runTable(t, e, cases)

		// Held: HEAD gets the checks of the GET route it matches (its
		// refusal has no body, so it is checked here, not in the table).
		if r := roundTrip(e.Worker(0), exchange{req: host.Request{Method: "HEAD", Path: "/admin"}}); r.Downstream.Status != 401 || r.UpstreamCalled {
			t.Errorf("HEAD on a GET route: status %d, upstream called %v", r.Downstream.Status, r.UpstreamCalled)
		}

		// Pseudo-headers the emulator's RoundTrip would fill in.
		for _, c := range []struct {
			name string
			hs   []proxy.Pair
		}{
			{"no :method", headers(":scheme", "https", ":authority", "api.example.com", ":path", "/admin")},
			{"empty :method", headers(":method", "", ":scheme", "https", ":authority", "api.example.com", ":path", "/admin")},
			{"no :path", headers(":method", "GET", ":scheme", "https", ":authority", "api.example.com")},
			{"empty :path", headers(":method", "GET", ":scheme", "https", ":authority", "api.example.com", ":path", "")},
		} {
			t.Run(c.name, func(t *testing.T) {
				s := e.Worker(0).NewStream(host.StreamProps{})
				s.RequestHeaders(c.hs, true)
				s.Complete()
				if d := s.Downstream(); d.Status != 400 {
					t.Errorf("status %d (details %q), want 400", d.Status, d.LocalReply)
				}
				if s.Upstream().Headers != nil {
					t.Errorf("the request reached upstream")
				}
			})
		}
	})
}

// TestHygiene_claimsHeaderSpellingsRemoved: no spelling of a claims header
// a client sends reaches upstream, whichever way an upstream maps '-' and
// '_' (CGI, WSGI and PHP read x-user_id as HTTP_X_USER_ID).
func TestHygiene_claimsHeaderSpellingsRemoved(t *testing.T) {
	now := host.DefaultStart
	alice := bearer(mint(t, "ec256", "ES256", claimsAt(now, idpIssuer, nil)))
	spoof := headers("x-user_id", "mallory", "x_user-id", "mallory", "x-tenant_id", "evil", "x_tenant_id", "evil")
	gone := map[string]string{"x-user_id": "", "x_user-id": "", "x-tenant_id": "", "x_tenant_id": "", "x_user_id": ""}
	withAlice := map[string]string{"x-user-id": "alice"}
	for k, v := range gone {
		withAlice[k] = v
	}
	cases := []exchange{
		{name: "public route", req: getWith("/public", spoof), want: 200, upHeaders: gone},
		{name: "authenticated route", req: getWith("/users/alice/orders", append(append([]proxy.Pair{}, alice...), spoof...)),
			want: 200, upHeaders: withAlice},
		{name: "unrelated underscore header kept", req: getWith("/public", headers("x_trace_id", "1")), want: 200,
			upHeaders: map[string]string{"x_trace_id": "1"}},
	}
	each(t, func(t *testing.T, g guest) {
		runTable(t, start(t, g, publicDefaultConfig(t)), cases)
	})
}

// claimsKeyConfig makes x-user-id a claims header that is also the
// header key of a rate limit and of failed_auth_limit.
func claimsKeyConfig(t testing.TB) string {
	return `{
  "providers": {
    "idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["EdDSA"],
            "jwks": ` + jwksOf(t, "ed") + `, "claims_to_headers": {"sub": "x-user-id"}}
  },
  "failed_auth_limit": {"key": "header:x-user-id", "limit": 2, "window": "1m"},
  "routes": [
    {"name": "p", "match": {"prefix": "/p"}, "auth": {"providers": ["idp"]},
     "rate_limits": [{"name": "per-user", "key": "header:x-user-id", "limit": 2, "window": "1m"}]},
    {"name": "open", "match": {"prefix": "/open"},
     "rate_limits": [{"name": "per-user-open", "key": "header:x-user-id", "limit": 2, "window": "1m"}]}
  ]
}`
}

// A client-sent claims header, in any spelling, is never forwarded and
// never chooses the client's rate-limit or lockout bucket: every value
// lands in the one "absent" bucket.
func TestHygiene_claimsHeaderNeverALimitKey(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, claimsKeyConfig(t))
		vm := e.Worker(0)
		up := func(u host.UpstreamRequest) host.Response {
			for _, p := range u.Headers {
				if sameSpelling(p.Key, "x-user-id") {
					t.Errorf("upstream got client header %q: %q", p.Key, p.Value)
				}
			}
			return defaultResponse
		}
		spellings := []string{"x-user-id", "X-User-Id", "x_user_id", "x-user_id", "X_USER-ID"}
		var statuses []int
		for i, sp := range spellings {
			r := vm.RoundTrip(host.Request{Path: "/open", Headers: headers(sp, fmt.Sprintf("u%d", i))}, up)
			statuses = append(statuses, r.Downstream.Status)
		}
		if fmt.Sprint(statuses) != "[200 200 429 429 429]" {
			t.Errorf("statuses %v: a spelled claims header chose its own bucket", statuses)
		}
		// failed_auth_limit keyed by the claims header: one bucket too.
		statuses = statuses[:0]
		for i := 0; i < 4; i++ {
			r := vm.RoundTrip(host.Request{Path: "/p", Headers: headers("x_user_id", fmt.Sprintf("v%d", i))}, up)
			statuses = append(statuses, r.Downstream.Status)
		}
		if fmt.Sprint(statuses) != "[401 401 429 429]" {
			t.Errorf("failed-auth statuses %v", statuses)
		}
	})
}

func sameSpelling(a, b string) bool {
	n := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "_", "-") }
	return n(a) == n(b)
}

// Header names compare without regard to ASCII case, and a repeated header
// counts by its first value, as proxy_get_header_map_value answers: a host
// that listed names as the client wrote them changes nothing. Step 1
// refuses the method override headers in their underscore spellings too:
// CGI-style upstreams read X_HTTP_METHOD_OVERRIDE as
// X-HTTP-Method-Override (Rack::MethodOverride reads
// HTTP_X_HTTP_METHOD_OVERRIDE), as they read x_user_id as x-user-id.
func TestHygiene_headerNameSpellings(t *testing.T) {
	upper := func(ps []proxy.Pair) []proxy.Pair {
		for i := range ps {
			ps[i].Key = strings.ToUpper(ps[i].Key)
		}
		return ps
	}
	for _, hc := range []struct {
		name string
		edit func([]proxy.Pair) []proxy.Pair
	}{{"lower-case names", nil}, {"upper-case names", upper}} {
		t.Run(hc.name, func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				e := start(t, withFault(g, requestPairs(proxy.StatusOK, hc.edit)), routesConfig)
				first := "first"
				runTable(t, e, []exchange{
					{name: "match on method and path", req: host.Request{Path: "/healthz"}, want: 200},
					{name: "method of the route checked", req: host.Request{Method: "POST", Path: "/healthz"}, want: 405, reason: problem.ReasonMethodNotAllowed,
						headers: map[string]string{"allow": "GET, HEAD"}},
					{name: "request id in a refusal", req: host.Request{Path: "/nope", Headers: headers("x-request-id", "rq-7")}, want: 404},
					{name: "first request id of two", req: host.Request{Path: "/nope", Headers: headers("x-request-id", first, "x-request-id", "second")}, want: 404},
					{name: "method override", req: host.Request{Path: "/healthz", Headers: headers("x-http-method-override", "DELETE")}, want: 400, reason: problem.ReasonMethodOverride},
					{name: "method override, empty value", req: host.Request{Path: "/healthz", Headers: headers("X-Method-Override", "")}, want: 400, reason: problem.ReasonMethodOverride},
					{name: "x_http_method_override", req: host.Request{Method: "POST", Path: "/users/7/orders", Headers: headers("x_http_method_override", "DELETE")}, want: 400, reason: problem.ReasonMethodOverride},
					{name: "x-http_method", req: host.Request{Method: "POST", Path: "/users/7/orders", Headers: headers("x-http_method", "DELETE")}, want: 400, reason: problem.ReasonMethodOverride},
					{name: "unsafe path", req: host.Request{Path: "/users/../admin"}, want: 400, reason: problem.ReasonUnsafePath},
				})
			})
		})
	}
}

// The request headers are held as substrings of one host block in wasm:
// after a wait on keys, with heavy allocation and GC in between, the
// request id, the claims header, the credential removal and the rate-limit
// key still read what the client sent.
func TestHygiene_headerListSurvivesWaitAndGC(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		srv := &jwksServer{}
		srv.set(200, jwksOf(t, "rsa-a"), false)
		e := startRemote(t, g, srv)
		tok := remoteToken(t, "rsa-a")
		vm := e.Worker(0)
		id := "rq-" + strings.Repeat("z", 300)
		s := vm.NewStream(host.StreamProps{})
		s.RequestHeaders(headers(":method", "GET", ":scheme", "https", ":authority", "api.example.com", ":path", "/r",
			"x-request-id", id, "x-pad", strings.Repeat("p", 20000), "authorization", "Bearer "+tok), true)
		if !waiting(s) {
			t.Fatalf("did not wait: %+v", s.Downstream())
		}
		// Churn the VM's heap while the stream waits.
		for i := 0; i < 300; i++ {
			vm.RoundTrip(host.Request{Path: "/nope", Headers: headers("x-request-id", fmt.Sprintf("other-%d-%s", i, strings.Repeat("q", 2000)),
				"x-big", strings.Repeat("b", 30000))}, nil)
		}
		runtime.GC()
		e.Advance(100 * time.Millisecond)
		u := s.Upstream()
		if u.Headers == nil {
			t.Fatalf("not forwarded: %+v\n%s", s.Downstream(), logText(e))
		}
		if got := u.Header("x-request-id"); got != id {
			t.Errorf("upstream x-request-id %q", got)
		}
		if got := u.Header("authorization"); got != "" {
			t.Errorf("credential forwarded: %q", got)
		}
		if got := u.Header("x-pad"); got != strings.Repeat("p", 20000) {
			t.Errorf("x-pad changed")
		}
		finish(s)
	})
}

// TestHygiene_urlOverrideHeaders: X-Original-URL and X-Rewrite-URL re-route
// old Symfony, Zend and IIS-era upstreams (CVE-2018-14773); step 1 refuses
// them on every request, report-only routes included.
func TestHygiene_urlOverrideHeaders(t *testing.T) {
	var rows []spellRow
	for _, h := range []string{"x-original-url", "X-Original-URL", "x-rewrite-url", "x_original_url", "X_Rewrite-Url"} {
		for _, path := range []string{"/elsewhere", "/ro/x"} {
			rows = append(rows, spellRow{exchange{name: h + " on " + path, req: getWith(path, headers(h, "/users/bob/orders")),
				want: 400, reason: problem.ReasonURLOverride}, "/users/bob/orders"})
		}
	}
	rows = append(rows, spellRow{exchange{name: "empty value", req: getWith("/elsewhere", headers("x-original-url", "")),
		want: 400, reason: problem.ReasonURLOverride}, ""},
		spellRow{exchange{name: "x-original-uri is another header", req: getWith("/elsewhere", headers("x-original-uri", "/a")),
			want: 200, upHeaders: map[string]string{"x-original-uri": "/a"}}, ""})
	runSpellRows(t, rows)
}
