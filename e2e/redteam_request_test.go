package e2e

import (
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Adversarial request-path cases: ways a request could reach upstream
// under a weaker policy than the one meant for it, or carry a credential
// or an identity header the filter did not check. The configuration has a
// public default, so every request that slips past its route's match gets
// through unchecked: that is exactly what each case must not achieve.

func redteamConfig(t testing.TB) string {
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

// TestRedteamRequestTarget: a request target or method the route matcher
// does not read the way an upstream would must be refused, never handed to
// the (public) default.
func TestRedteamRequestTarget(t *testing.T) {
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
		e := start(t, g, redteamConfig(t))
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

// TestRedteamIdentityHeaders: no spelling of a claims header a client
// sends reaches upstream, whichever way an upstream maps '-' and '_'
// (CGI, WSGI and PHP read x-user_id as HTTP_X_USER_ID).
func TestRedteamIdentityHeaders(t *testing.T) {
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
		runTable(t, start(t, g, redteamConfig(t)), cases)
	})
}

// TestRedteamCookieSpellings: a cookie an upstream framework would read as
// the credential cookie (ASP.NET folds cookie names' case; PHP decodes them
// and turns '.', ' ' and '[' into '_', as it does query names) counts as a
// credential, so a verified token cannot ride along with a forged one the
// upstream might pick instead (the provider forwards its credential).
func TestRedteamCookieSpellings(t *testing.T) {
	now := host.DefaultStart
	web := mint(t, "ec256", "ES256", claimsAt(now, webIssuer, nil))
	forged := craft(`{"alg":"none"}`, `{"sub":"admin"}`, func([]byte) []byte { return nil })
	multi := func(name, cookie string) exchange {
		return invalid(name, getWith("/web", headers("cookie", cookie)), problem.ReasonCredentialMultiple)
	}
	cases := []exchange{
		{name: "one cookie", req: getWith("/web", headers("cookie", "access_token="+web)), want: 200},
		multi("upper-case twin", "access_token="+web+"; ACCESS_TOKEN="+forged),
		multi("dotted twin", "access_token="+web+"; access.token="+forged),
		multi("encoded twin", "access_token="+web+"; access%5Ftoken="+forged),
		invalid("twin in a second Cookie header", getWith("/web", headers("cookie", "access_token="+web, "cookie", "Access_Token="+forged)),
			problem.ReasonCredentialMultiple),
		{name: "unrelated cookie kept", req: getWith("/web", headers("cookie", "access_token_hint=1; access_token="+web)), want: 200,
			upHeaders: map[string]string{"cookie": "access_token_hint=1; access_token=" + web}},
	}
	each(t, func(t *testing.T, g guest) {
		runTable(t, start(t, g, redteamConfig(t)), cases)
	})
}

// TestRedteamPreflightRoute: an OPTIONS request that looks like a CORS
// preflight is matched with the method it asks about only to find the
// route that answers it. When that route has no cors, the OPTIONS request
// is an ordinary request of its own route: it must not borrow the policy
// of the route of the method it names.
func TestRedteamPreflightRoute(t *testing.T) {
	app := "https://app.example.com"
	preflight := func(path, method string) host.Request {
		return host.Request{Method: "OPTIONS", Path: path, Headers: headers("origin", app, "access-control-request-method", method)}
	}
	cases := []exchange{
		{name: "OPTIONS route keeps its auth", req: preflight("/x", "POST"), want: 401, reason: problem.ReasonCredentialMissing},
		{name: "plain OPTIONS", req: host.Request{Method: "OPTIONS", Path: "/x"}, want: 401, reason: problem.ReasonCredentialMissing},
		// Held: a preflight for a route with cors is answered even when
		// the OPTIONS request itself falls to the default.
		{name: "preflight answered by the cors route", req: preflight("/y", "POST"), want: 204,
			headers: map[string]string{"access-control-allow-origin": app}},
	}
	each(t, func(t *testing.T, g guest) {
		runTable(t, start(t, g, redteamConfig(t)), cases)
	})
}
