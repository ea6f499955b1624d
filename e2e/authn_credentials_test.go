package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Issue 13, classes 1 to 3: nothing the filter did not check reaches
// upstream (docs/configuration.md "What reaches upstream", "auth.providers", "Query
// and cookie names"). Every table runs natively and through the .wasm, in
// both header modes (hold_headers with allow_on_headers_stop_iteration,
// and Istio's hold_headers: false), and the .wasm under both WASI profiles.

const (
	credQIssuer   = "https://q.example.com/"
	credFwdIssuer = "https://fwd.example.com/"
	credAPIKey    = "acme-key"
)

// credsConfig has providers reading every kind of location, a forwarding
// provider, and routes with and without auth, with pass_credentials, and
// report-only.
func credsConfig(t testing.TB, hold bool) string {
	sum := sha256.Sum256([]byte(credAPIKey))
	jwt := func(iss, rest string) string {
		return `{"issuer": "` + iss + `", "audiences": ["` + audience + `"], "algorithms": ["EdDSA"], "jwks": ` + jwksOf(t, "ed") + rest + `}`
	}
	return `{
  "hold_headers": ` + strconv.FormatBool(hold) + `,
  "providers": {
    "idp": ` + jwt(idpIssuer, "") + `,
    "web": ` + jwt(webIssuer, `, "from": [{"cookie": "session"}, {"header": "x-token"}]`) + `,
    "q": ` + jwt(credQIssuer, `, "from": [{"query": "access_token"}]`) + `,
    "fwd": ` + jwt(credFwdIssuer, `, "forward": true, "from": [{"header": "x-fwd", "prefix": "Token "}, {"cookie": "fwd_session"}, {"query": "fwd_token"}]`) + `,
    "partners": {"api_keys": {"from": [{"header": "x-api-key"}, {"query": "api_key"}],
                              "keys": [{"id": "acme", "sha256": "` + hex.EncodeToString(sum[:]) + `", "claims": {"sub": "acme"}}]},
                 "claims_to_headers": {"sub": "x-partner-id"}}
  },
  "routes": [
    {"name": "keys", "match": {"prefix": "/keys"}, "auth": {"providers": ["partners"]}},
    {"name": "tok", "match": {"prefix": "/tok"}, "auth": {"providers": ["idp"]}},
    {"name": "anon", "match": {"prefix": "/anon"}, "auth": {"providers": ["idp", "partners"], "allow_missing": true}},
    {"name": "web", "match": {"prefix": "/web"}, "auth": {"providers": ["web", "q"]}},
    {"name": "fwd", "match": {"prefix": "/fwd"}, "auth": {"providers": ["fwd"]}},
    {"name": "fwdmix", "match": {"prefix": "/mixfwd"}, "auth": {"providers": ["fwd", "partners"]}, "pass_credentials": ["cookie:session"]},
    {"name": "body", "match": {"prefix": "/body"}, "auth": {"providers": ["partners"]}, "request": {"json": {}}},
    {"name": "token-endpoint", "match": {"path": "/oauth/token"}, "pass_credentials": ["header:authorization"]},
    {"name": "pass", "match": {"prefix": "/pass"}, "auth": {"providers": ["idp"]},
     "pass_credentials": ["query:api_key", "cookie:session", "header:x-api-key"]},
    {"name": "forbid", "match": {"prefix": "/forbid"}, "request": {"forbid_query_params": ["password"]}},
    {"name": "report", "match": {"prefix": "/report"}, "enforce": false, "auth": {"providers": ["idp"]}},
    {"name": "open", "match": {"prefix": "/open"}}
  ],
  "default": {}
}`
}

// credTokens are valid tokens of each JWT provider, and one signed by a
// key none of them trusts.
type credTokens struct{ idp, web, q, fwd, forged string }

func mintCredTokens(t testing.TB) credTokens {
	now := host.DefaultStart
	return credTokens{
		idp:    mint(t, "ed", "EdDSA", claimsAt(now, idpIssuer, nil)),
		web:    mint(t, "ed", "EdDSA", claimsAt(now, webIssuer, nil)),
		q:      mint(t, "ed", "EdDSA", claimsAt(now, credQIssuer, nil)),
		fwd:    mint(t, "ed", "EdDSA", claimsAt(now, credFwdIssuer, nil)),
		forged: mint(t, "rsa-evil", "RS256", claimsAt(now, idpIssuer, nil)),
	}
}

// eachCredMode runs f natively and through the .wasm (under both WASI
// profiles), in both header modes, each with a fresh Envoy.
func eachCredMode(t *testing.T, f func(t *testing.T, g guest, e *host.Envoy)) {
	eachProfile(t, func(t *testing.T, g guest) {
		for _, m := range holdModes {
			t.Run(m.name, func(t *testing.T) {
				f(t, g, start(t, g, credsConfig(t, m.hold), m.opts...))
			})
		}
	})
}

// TestAuthnCredentials_otherProvidersRemoved (class 1): on every enforcing
// route, with or without auth, Authorization and every location any
// provider reads leave the request before upstream, whatever their scheme
// or value, except the verified credential of a forward: true provider
// and what the route passes; report-only routes remove nothing.
func TestAuthnCredentials_otherProvidersRemoved(t *testing.T) {
	tk := mintCredTokens(t)
	key := credAPIKey
	up := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	ok := func(name, path string, h []proxy.Pair, want map[string]string) exchange {
		return exchange{name: name, req: getWith(path, h), want: 200, upHeaders: want}
	}
	allCreds := []string{"authorization", "Basic YTpi", "x-token", tk.forged, "x-fwd", "Token " + tk.forged, "x-api-key", key,
		"x_api_key", key, "X_Token", tk.forged, "x-fwd_", "x",
		"cookie", "a=1; session=" + tk.forged + "; SESSION=x; +fwd_session=" + tk.forged + "; b=2"}
	allGone := up("authorization", "", "x-token", "", "x-fwd", "", "x-api-key", "", "x_api_key", "", "x_token", "",
		"cookie", "a=1; b=2", "x-fwd_", "x")
	openQuery := "?x=1&access_token=a&API.KEY=b&fwd_token[]=c&%20access_token=d&y=2"
	cases := []exchange{
		// An API-key route: the forged token of another provider never
		// rides along to an upstream that reads Authorization itself.
		ok("key with a forged Authorization", "/keys", headers("x-api-key", key, "authorization", "Bearer "+tk.forged),
			up("authorization", "", "x-api-key", "", "x-partner-id", "acme")),
		ok("key with Authorization of another scheme", "/keys", headers("x-api-key", key, "authorization", "Basic YWRtaW46YWRtaW4="),
			up("authorization", "", "x-partner-id", "acme")),
		ok("key with session cookies of other providers", "/keys", headers("x-api-key", key, "cookie", "theme=dark; session="+tk.forged+"; fwd_session="+tk.forged),
			up("cookie", "theme=dark", "x-partner-id", "acme")),
		ok("key with query credentials of other providers", "/keys?a=1&access_token="+tk.forged+"&fwd_token=f&b=2", headers("x-api-key", key),
			up(":path", "/keys?a=1&b=2")),
		ok("key with header credentials of other providers", "/keys", headers("x-api-key", key, "x-token", tk.forged, "x-fwd", "Token "+tk.forged),
			up("x-token", "", "x-fwd", "", "x-partner-id", "acme")),
		ok("underscore spellings of credential headers", "/keys", headers("x-api-key", key, "x_api_key", "admin-key", "x_token", tk.forged, "X_FWD", "Token x"),
			up("x_api_key", "", "x_token", "", "x_fwd", "")),
		ok("key in the query, header key of nobody else", "/keys?api_key="+key, headers("authorization", "Bearer "+tk.forged),
			up(":path", "/keys", "authorization", "")),
		// A token-only route: an admin API key in clear never rides along.
		ok("token with an API key in clear", "/tok", headers("authorization", "Bearer "+tk.idp, "x-api-key", key),
			up("authorization", "", "x-api-key", "")),
		ok("token with an api_key query parameter", "/tok?API_KEY="+key+"&z=1", bearer(tk.idp), up(":path", "/tok?z=1")),
		// No auth at all: still nothing of a credential.
		ok("Authorization on a route without auth", "/open", headers("authorization", "Basic YTpi"), up("authorization", "")),
		ok("every credential on a route without auth", "/open"+openQuery, headers(allCreds...), merge(allGone, up(":path", "/open?x=1&y=2"))),
		ok("every credential on default", "/elsewhere"+openQuery, headers(allCreds...), merge(allGone, up(":path", "/elsewhere?x=1&y=2"))),
		ok("anonymous on allow_missing, another provider's cookie", "/anon", headers("cookie", "session="+tk.forged), up("cookie", "")),
		ok("a body route", "/body", headers("x-api-key", key, "authorization", "Bearer "+tk.forged), up("authorization", "", "x-partner-id", "acme")),
		// pass_credentials.
		ok("token endpoint passes Basic credentials", "/oauth/token", headers("authorization", "Basic YTpi", "x-api-key", key),
			up("authorization", "Basic YTpi", "x-api-key", "")),
		ok("passed names in every spelling, the verified token removed", "/pass?API.KEY=k1&access_token=t&+api_key=k2",
			headers("authorization", "Bearer "+tk.idp, "cookie", "SESSION=s; fwd_session=f", "x-api-key", "k", "x_api_key", "k"),
			up(":path", "/pass?API.KEY=k1&+api_key=k2", "cookie", "SESSION=s", "x-api-key", "k", "x_api_key", "k", "authorization", "")),
		ok("pass on a route whose provider reads other names", "/mixfwd", headers("x-api-key", key, "cookie", "session=s; fwd_session=", "authorization", "Basic x"),
			up("cookie", "session=s", "x-api-key", "", "authorization", "")),
		// forward: true keeps exactly the verified location.
		ok("forwarded header, forged Authorization removed", "/fwd", headers("x-fwd", "Token "+tk.fwd, "authorization", "Bearer "+tk.forged),
			up("x-fwd", "Token "+tk.fwd, "authorization", "")),
		ok("forwarded header, its underscore spelling removed", "/fwd", headers("x-fwd", "token "+tk.fwd, "x_fwd", "Token "+tk.forged),
			up("x-fwd", "token "+tk.fwd, "x_fwd", "")),
		ok("forwarded cookie, empty shadows removed", "/fwd", headers("cookie", "fwd_session="+tk.fwd+"; FWD_SESSION=; x=1; +fwd_session"),
			up("cookie", "fwd_session="+tk.fwd+"; x=1")),
		ok("forwarded cookie in another spelling", "/fwd", headers("cookie", "a=1", "cookie", "Fwd.Session="+tk.fwd+"; session="+tk.forged),
			up("cookie", "a=1")), // the first Cookie header; the second is checked below
		ok("forwarded query, empty shadows removed", "/fwd?fwd_token="+tk.fwd+"&fwd_token[]=&+fwd_token=&n=1", nil,
			up(":path", "/fwd?fwd_token="+tk.fwd+"&n=1")),
		ok("forwarded by a mixed route", "/mixfwd?api_key=", headers("x-fwd", "Token "+tk.fwd, "authorization", "Basic x"),
			up("x-fwd", "Token "+tk.fwd, "authorization", "", ":path", "/mixfwd")),
		// Report-only: nothing removed.
		{name: "report-only keeps everything", req: getWith("/report?access_token=x", headers("authorization", "Bearer "+tk.forged, "x-api-key", key)),
			want: 200, upHeaders: up("authorization", "Bearer "+tk.forged, "x-api-key", key, ":path", "/report?access_token=x")},
	}
	eachCredMode(t, func(t *testing.T, g guest, e *host.Envoy) {
		runTable(t, e, cases)
		r := roundTrip(e.Worker(0), exchange{req: getWith("/fwd", headers("cookie", "a=1", "cookie", "Fwd.Session="+tk.fwd+"; session="+tk.forged))})
		if got := allValues(r.Upstream.Headers, "cookie"); strings.Join(got, "|") != "a=1|Fwd.Session="+tk.fwd {
			t.Errorf("forwarded cookie across two Cookie headers: upstream cookies %q", got)
		}
		r = roundTrip(e.Worker(0), exchange{req: getWith("/open", headers("authorization", "Basic a", "authorization", "Bearer b", "Authorization", "x"))})
		if got := allValues(r.Upstream.Headers, "authorization"); len(got) != 0 {
			t.Errorf("repeated Authorization on a route without auth: upstream got %q", got)
		}
	})
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func allValues(h []proxy.Pair, key string) []string {
	var out []string
	for _, p := range h {
		if strings.EqualFold(p.Key, key) {
			out = append(out, p.Value)
		}
	}
	return out
}

// TestAuthnCredentials_headerForms (class 2): a header a source of the route
// reads is a credential present; in a form none of the route's sources
// accepts it is invalid (401 invalid_token), never missing, also where
// allow_missing lets requests without a credential through.
func TestAuthnCredentials_headerForms(t *testing.T) {
	tk := mintCredTokens(t)
	var cases []exchange
	for _, path := range []string{"/tok", "/anon"} {
		for _, v := range []string{
			"Basic YTpi", "Token " + tk.idp, "Bearer\t" + tk.idp, "Bearer  " + tk.idp, "Bearer \t" + tk.idp,
			"Bearer", "Bearer ", "", " Bearer " + tk.idp, "Bearer" + tk.idp, "Bearer\u00a0" + tk.idp, "Bearer:" + tk.idp,
			"Bearer, Bearer " + tk.idp, "Digest username=x", "Negotiate YII=", "AWS4-HMAC-SHA256 Credential=x",
		} {
			cases = append(cases, invalid(fmt.Sprintf("%s %q", path, v), getWith(path, headers("authorization", v)), problem.ReasonCredentialScheme))
		}
		for _, v := range []string{"Bearer ", "bearer ", "BEARER ", "bEaReR "} {
			cases = append(cases, exchange{name: fmt.Sprintf("%s scheme %q", path, v), req: getWith(path, headers("authorization", v+tk.idp)), want: 200,
				upHeaders: map[string]string{"authorization": ""}})
		}
		cases = append(cases,
			invalid(path+" an invalid form beside a valid one", getWith(path, headers("authorization", "Basic YTpi", "authorization", "Bearer "+tk.idp)), problem.ReasonCredentialMultiple),
			invalid(path+" a valid form twice", getWith(path, headers("authorization", "Bearer "+tk.idp, "Authorization", "Bearer "+tk.idp)), problem.ReasonCredentialMultiple),
		)
	}
	cases = append(cases,
		exchange{name: "anonymous without any credential", req: getWith("/anon", nil), want: 200},
		invalid("empty API key", getWith("/keys", headers("x-api-key", "")), problem.ReasonCredentialScheme),
		invalid("API key after a space", getWith("/keys", headers("x-api-key", " "+credAPIKey)), problem.ReasonCredentialScheme),
		invalid("empty API key on allow_missing", getWith("/anon", headers("x-api-key", "")), problem.ReasonCredentialScheme),
		invalid("custom scheme in another form", getWith("/fwd", headers("x-fwd", "Bearer "+tk.fwd)), problem.ReasonCredentialScheme),
		invalid("custom scheme with a tab", getWith("/fwd", headers("x-fwd", "Token\t"+tk.fwd)), problem.ReasonCredentialScheme),
		exchange{name: "custom scheme in any case", req: getWith("/fwd", headers("x-fwd", "TOKEN "+tk.fwd)), want: 200},
		// A header no source of the route reads is not the route's
		// credential, whatever its form: it is only removed.
		exchange{name: "Authorization on an API-key route", req: getWith("/keys", headers("x-api-key", credAPIKey, "authorization", "Bearer\tjunk")), want: 200,
			upHeaders: map[string]string{"authorization": ""}},
	)
	eachCredMode(t, func(t *testing.T, g guest, e *host.Envoy) {
		runTable(t, e, cases)
		if got := metric(t, e, "apiguard.denied.credential_scheme"); got < 32 {
			t.Errorf("denied.credential_scheme = %d, want at least 32", got)
		}
		if got := metricOrZero(t, e, "apiguard.denied.credential_missing"); got != 0 {
			t.Errorf("denied.credential_missing = %d: a present header counted as missing", got)
		}
	})
}

// TestAuthnCredentials_nameSpellings (class 3): query and cookie names compare
// as PHP, Rack and qs read them, so a shadow of a credential is a second
// credential, an empty shadow is removed with it, and names with control
// characters (values with NUL) are refused in step 1.
func TestAuthnCredentials_nameSpellings(t *testing.T) {
	tk := mintCredTokens(t)
	multiple := func(name, path string, h []proxy.Pair) exchange {
		return invalid(name, getWith(path, h), problem.ReasonCredentialMultiple)
	}
	refused := func(name, path string, h []proxy.Pair, reason problem.Reason) exchange {
		return exchange{name: name, req: getWith(path, h), want: 400, reason: reason}
	}
	var cases []exchange
	for _, sp := range []string{"+access_token", "%20access_token", "+%20+access_token", "access_token[]", "access_token[x]", "ACCESS.TOKEN",
		"access%5Ftoken", "Access+Token", "access[token", "%41ccess_token", "access%2etoken"} {
		cases = append(cases,
			multiple("query shadow "+sp, "/web?access_token="+tk.q+"&"+sp+"="+tk.forged, nil),
			multiple("query shadow first "+sp, "/web?"+sp+"="+tk.forged+";access_token="+tk.q, nil),
			exchange{name: "empty query shadow removed " + sp, req: getWith("/web?access_token="+tk.q+"&"+sp+"=&k=v", nil), want: 200,
				upHeaders: map[string]string{":path": "/web?k=v"}},
		)
	}
	for _, sp := range []string{"+session", "%20session", "SESSION", "session[]", "session[0]", "%73ession", "Session"} {
		cases = append(cases,
			multiple("cookie shadow "+sp, "/web", headers("cookie", "session="+tk.web+"; "+sp+"="+tk.forged)),
			multiple("cookie shadow in another header "+sp, "/web", headers("cookie", sp+"="+tk.forged, "cookie", "session="+tk.web)),
			exchange{name: "empty cookie shadow removed " + sp, req: getWith("/web", headers("cookie", "session="+tk.web+"; "+sp+"=; lang=en")), want: 200,
				upHeaders: map[string]string{"cookie": "lang=en"}},
		)
	}
	cases = append(cases,
		// Step 1: control characters in names, NUL in values (any route,
		// report-only too).
		refused("query name with NUL", "/web?access_token="+tk.q+"&access_token%00="+tk.forged, nil, problem.ReasonUnsafeQuery),
		refused("query name with LF", "/open?pass%0Aword=x", nil, problem.ReasonUnsafeQuery),
		refused("query name with DEL", "/open?a%7F=x", nil, problem.ReasonUnsafeQuery),
		refused("query name with a tab", "/open?%09jwt=x", nil, problem.ReasonUnsafeQuery),
		refused("query value with NUL", "/open?a=x%00y", nil, problem.ReasonUnsafeQuery),
		refused("query on a report-only route", "/report?access_token%00=x", nil, problem.ReasonUnsafeQuery),
		refused("cookie name with NUL", "/web", headers("cookie", "session="+tk.web+"; session%00="+tk.forged), problem.ReasonUnsafeCookie),
		refused("cookie name with CR", "/open", headers("cookie", "a%0D=1"), problem.ReasonUnsafeCookie),
		refused("cookie name with a raw tab", "/open", headers("cookie", "ses\tsion=x"), problem.ReasonUnsafeCookie),
		refused("cookie value with NUL", "/open", headers("cookie", "a=1; b=x%00"), problem.ReasonUnsafeCookie),
		refused("cookie in a second header", "/open", headers("cookie", "a=1", "cookie", "jwt%1F=x"), problem.ReasonUnsafeCookie),
		exchange{name: "newlines in query values pass", req: getWith("/open?note=a%0D%0Ab%09c", nil), want: 200,
			upHeaders: map[string]string{":path": "/open?note=a%0D%0Ab%09c"}},
		exchange{name: "newlines in cookie values pass", req: getWith("/open", headers("cookie", "msg=a%0Ab")), want: 200,
			upHeaders: map[string]string{"cookie": "msg=a%0Ab"}},
		exchange{name: "an escaped percent is not NUL", req: getWith("/open?a%2500=%2500", nil), want: 200},
		// forbid_query_params and _method, in PHP's spellings.
		refused("forbidden +password", "/forbid?+password=x", nil, problem.ReasonForbiddenQueryParam),
		refused("forbidden %20password", "/forbid?%20password=x", nil, problem.ReasonForbiddenQueryParam),
		refused("forbidden password[]", "/forbid?a=1;password[]=x", nil, problem.ReasonForbiddenQueryParam),
		refused("_method with a leading space", "/open?+_method=DELETE", nil, problem.ReasonMethodOverride),
		refused("_method with encoded leading spaces", "/open?%20%20_method=DELETE", nil, problem.ReasonMethodOverride),
	)
	eachCredMode(t, func(t *testing.T, g guest, e *host.Envoy) { runTable(t, e, cases) })
}

// TestAuthnCredentials_cookieSpellings: a cookie an upstream framework
// would read as the credential cookie (ASP.NET folds cookie names' case;
// PHP decodes them and turns '.', ' ' and '[' into '_', as it does query
// names) counts as a credential, so a verified token cannot ride along with
// a forged one the upstream might pick instead (the provider forwards its
// credential).
func TestAuthnCredentials_cookieSpellings(t *testing.T) {
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
		runTable(t, start(t, g, publicDefaultConfig(t)), cases)
	})
}
