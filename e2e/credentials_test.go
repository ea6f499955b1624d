package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Issue 13, classes 1 to 3: nothing the filter did not check reaches
// upstream (DESIGN.md "What reaches upstream", "auth.providers", "Query
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

// TestCredentials_otherProvidersRemoved (class 1): on every enforcing
// route, with or without auth, Authorization and every location any
// provider reads leave the request before upstream, whatever their scheme
// or value, except the verified credential of a forward: true provider
// and what the route passes; report-only routes remove nothing.
func TestCredentials_otherProvidersRemoved(t *testing.T) {
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

// TestCredentials_headerForms (class 2): a header a source of the route
// reads is a credential present; in a form none of the route's sources
// accepts it is invalid (401 invalid_token), never missing, also where
// allow_missing lets requests without a credential through.
func TestCredentials_headerForms(t *testing.T) {
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
		if got := metric(t, e, "apiguard.denied.credential_missing"); got != 0 {
			t.Errorf("denied.credential_missing = %d: a present header counted as missing", got)
		}
	})
}

// TestCredentials_nameSpellings (class 3): query and cookie names compare
// as PHP, Rack and qs read them, so a shadow of a credential is a second
// credential, an empty shadow is removed with it, and names with control
// characters (values with NUL) are refused in step 1.
func TestCredentials_nameSpellings(t *testing.T) {
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

// TestCredentials_property: over generated requests (Authorization in
// many schemes, API-key headers, cookies and query parameters of every
// provider's sources in spellings that match, on routes with various
// providers, forward and pass_credentials), on every enforcing route no
// Authorization and no header, cookie or query parameter that is a
// credential source of any provider reaches upstream, unless it is the one
// verified credential of a forward: true provider or the route passes it;
// what is no credential reaches upstream unchanged; more than one
// credential in the route's sources is 401; report-only routes change
// nothing. The oracle has its own name normaliser, written from DESIGN.md.
//
// APIGUARD_PROPERTY_N sets the number of requests per header mode natively
// (default 3000; the .wasm runs a tenth of it).
func TestCredentials_property(t *testing.T) {
	tk := mintCredTokens(t)
	n := 3000
	if v, err := strconv.Atoi(os.Getenv("APIGUARD_PROPERTY_N")); err == nil && v > 0 {
		n = v
	}
	if testing.Short() {
		n /= 10
	}
	eachCredMode(t, func(t *testing.T, g guest, e *host.Envoy) {
		iters := n
		if g.wasm {
			iters = max(n/10, 50)
		}
		rng := rand.New(rand.NewPCG(13, uint64(len(t.Name()))))
		gen := propGen{rng: rng, tk: tk}
		stats := map[int]int{}
		for i := 0; i < iters; i++ {
			rt, req, items := gen.request()
			r := roundTrip(e.Worker(0), exchange{req: req})
			stats[r.Downstream.Status]++
			if msg := propCheck(rt, req, items, r, tk); msg != "" {
				t.Fatalf("request %d on %s (%s): %s\nrequest: %s %q\nupstream: %q\ndownstream: %d %s",
					i, rt.path, map[bool]string{true: "enforcing", false: "report-only"}[rt.enforce], msg,
					req.Path, req.Headers, r.Upstream.Headers, r.Downstream.Status, r.Downstream.Details)
			}
		}
		// The generator must reach every outcome, or the property is
		// vacuous.
		for _, status := range []int{200, 400, 401} {
			if stats[status] < iters/50 {
				t.Errorf("only %d of %d generated requests got %d: %v", stats[status], iters, status, stats)
			}
		}
	})
}

// propSrc is one credential location of a provider, for the oracle.
type propSrc struct {
	kind   byte // 'h', 'c', 'q'
	name   string
	prefix string
}

var propProviders = map[string][]propSrc{
	"idp":      {{'h', "authorization", "Bearer "}},
	"web":      {{'c', "session", ""}, {'h', "x-token", ""}},
	"q":        {{'q', "access_token", ""}},
	"fwd":      {{'h', "x-fwd", "Token "}, {'c', "fwd_session", ""}, {'q', "fwd_token", ""}},
	"partners": {{'h', "x-api-key", ""}, {'q', "api_key", ""}},
}

// propRoute mirrors a route of credsConfig.
type propRoute struct {
	path      string
	enforce   bool
	providers []string
	pass      []propSrc
}

var propRoutes = []propRoute{
	{path: "/keys", enforce: true, providers: []string{"partners"}},
	{path: "/tok", enforce: true, providers: []string{"idp"}},
	{path: "/anon", enforce: true, providers: []string{"idp", "partners"}},
	{path: "/web", enforce: true, providers: []string{"web", "q"}},
	{path: "/fwd", enforce: true, providers: []string{"fwd"}},
	{path: "/mixfwd", enforce: true, providers: []string{"fwd", "partners"}, pass: []propSrc{{'c', "session", ""}}},
	{path: "/body", enforce: true, providers: []string{"partners"}},
	{path: "/oauth/token", enforce: true, pass: []propSrc{{'h', "authorization", ""}}},
	{path: "/pass", enforce: true, providers: []string{"idp"}, pass: []propSrc{{'q', "api_key", ""}, {'c', "session", ""}, {'h', "x-api-key", ""}}},
	{path: "/open", enforce: true},
	{path: "/elsewhere", enforce: true},
	{path: "/report", enforce: false, providers: []string{"idp"}},
}

// propItem is one generated location of a request.
type propItem struct {
	kind        byte
	name, value string // as sent (query: raw)
}

type propGen struct {
	rng *rand.Rand
	tk  credTokens
}

func (g *propGen) pick(list ...string) string { return list[g.rng.IntN(len(list))] }

// spell writes a name in a spelling that matches it under DESIGN.md's
// comparison (or, rarely, with a control character that step 1 refuses).
func (g *propGen) spell(name string, query bool) string {
	switch g.rng.IntN(12) {
	case 0:
		return strings.ToUpper(name)
	case 1:
		return "+" + name
	case 2:
		return "%20" + name
	case 3:
		return name + "[]"
	case 4:
		return name + "[x]"
	case 5:
		return fmt.Sprintf("%%%02X", name[0]) + name[1:]
	case 6:
		return strings.Replace(name, "_", ".", 1)
	case 7:
		return strings.Replace(name, "_", "+", 1)
	case 8:
		if g.rng.IntN(2) == 0 {
			return name + g.pick("%00", "%0A", "%7F", "%1b")
		}
	}
	return name
}

func (g *propGen) credValue() string {
	return g.pick(g.tk.idp, g.tk.web, g.tk.q, g.tk.fwd, g.tk.forged, credAPIKey, "nope", "")
}

func (g *propGen) request() (propRoute, host.Request, []propItem) {
	rt := propRoutes[g.rng.IntN(len(propRoutes))]
	var items []propItem
	for k := g.rng.IntN(5); k > 0; k-- {
		switch g.rng.IntN(9) {
		case 0, 1:
			scheme := g.pick("Bearer ", "bearer ", "Basic ", "Token ", "Bearer\t", "Bearer  ", "Bearer \t", "")
			items = append(items, propItem{'h', "authorization", scheme + g.credValue()})
		case 2:
			items = append(items, propItem{'h', g.pick("x-api-key", "x_api_key"), g.pick(credAPIKey, "nope", "")})
		case 3:
			items = append(items, propItem{'h', g.pick("x-token", "x_token"), g.pick(g.tk.web, g.tk.forged)})
		case 4:
			items = append(items, propItem{'h', g.pick("x-fwd", "x_fwd"), g.pick("Token ", "token ", "Bearer ", "") + g.pick(g.tk.fwd, g.tk.forged)})
		case 5, 6:
			name := g.spell(g.pick("session", "fwd_session"), false)
			items = append(items, propItem{'c', name, g.credValue()})
		default:
			name := g.spell(g.pick("access_token", "fwd_token", "api_key"), true)
			items = append(items, propItem{'q', name, g.credValue()})
		}
	}
	// What is no credential, which must reach upstream as it was.
	items = append(items, propItem{'h', "x-other", "1"}, propItem{'c', "theme", "dark"}, propItem{'q', "page", "2"})
	g.rng.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
	path := rt.path
	if rt.path == "/elsewhere" || rt.path == "/open" {
		path += "/x"
	}
	var query []string
	var cookies []string
	var hs []proxy.Pair
	for _, it := range items {
		switch it.kind {
		case 'h':
			hs = append(hs, proxy.Pair{Key: it.name, Value: it.value})
		case 'c':
			cookies = append(cookies, it.name+"="+it.value)
		case 'q':
			query = append(query, it.name+"="+it.value)
		}
	}
	if len(query) > 0 {
		path += "?" + strings.Join(query, g.pick("&", ";"))
	}
	if len(cookies) > 0 {
		if g.rng.IntN(3) == 0 && len(cookies) > 1 {
			hs = append(hs, proxy.Pair{Key: "cookie", Value: strings.Join(cookies[:1], "; ")},
				proxy.Pair{Key: "cookie", Value: strings.Join(cookies[1:], "; ")})
		} else {
			hs = append(hs, proxy.Pair{Key: "cookie", Value: strings.Join(cookies, "; ")})
		}
	}
	return rt, host.Request{Path: path, Headers: hs}, items
}

// propNorm is the oracle's name comparison, written from DESIGN.md "Query
// and cookie names" without the filter's code: percent-decode ('+' is a
// space), drop leading spaces, fold case, `.`, space and `[` as `_`; a
// name also matches by the part before its first `[`.
func propMatches(raw, name string) bool {
	var b []byte
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '+':
			c = ' '
		case c == '%' && i+2 < len(raw):
			if v, err := strconv.ParseUint(raw[i+1:i+3], 16, 8); err == nil {
				c = byte(v)
				i += 2
			}
		}
		b = append(b, c)
	}
	dec := strings.ToLower(strings.TrimLeft(string(b), " "))
	under := strings.NewReplacer(".", "_", " ", "_", "[", "_")
	if under.Replace(dec) == name {
		return true
	}
	if i := strings.IndexByte(dec, '['); i >= 0 && under.Replace(dec[:i]) == name {
		return true
	}
	return false
}

func propHasControl(raw string, nameOnly bool) bool {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '%' && i+2 < len(raw) {
			if v, err := strconv.ParseUint(raw[i+1:i+3], 16, 8); err == nil {
				c = byte(v)
				i += 2
			}
		}
		if nameOnly && (c < 0x20 || c == 0x7f) || !nameOnly && c == 0 {
			return true
		}
	}
	return false
}

// propCredNames are every name some provider reads, and Authorization.
func propIsCred(kind byte, name string) bool {
	if kind == 'h' && propSameHeader(name, "authorization") {
		return true
	}
	for _, srcs := range propProviders {
		for _, s := range srcs {
			if s.kind != kind {
				continue
			}
			if kind == 'h' && propSameHeader(name, s.name) || kind != 'h' && propMatches(name, s.name) {
				return true
			}
		}
	}
	return false
}

// propSameHeader: header names as CGI-style upstreams read them.
func propSameHeader(a, b string) bool {
	norm := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "_", "-") }
	return norm(a) == norm(b)
}

func (rt propRoute) passes(kind byte, name string) bool {
	for _, p := range rt.pass {
		if p.kind == kind && (kind == 'h' && propSameHeader(name, p.name) || kind != 'h' && propMatches(name, p.name)) {
			return true
		}
	}
	return false
}

func (rt propRoute) reads(kind byte, name string) bool {
	for _, pn := range rt.providers {
		for _, s := range propProviders[pn] {
			if s.kind != kind {
				continue
			}
			if kind == 'h' && strings.EqualFold(name, s.name) || kind != 'h' && propMatches(name, s.name) {
				return true
			}
		}
	}
	return false
}

// accepts reports whether a header value starts with one of the route's
// prefixes for that header (ASCII case ignored), followed by something
// that starts with neither a space nor a tab.
func (rt propRoute) accepts(name, value string) bool {
	for _, pn := range rt.providers {
		for _, s := range propProviders[pn] {
			if s.kind != 'h' || !strings.EqualFold(name, s.name) || len(value) <= len(s.prefix) {
				continue
			}
			if rest := value[len(s.prefix):]; strings.EqualFold(value[:len(s.prefix)], s.prefix) && rest[0] != ' ' && rest[0] != '\t' {
				return true
			}
		}
	}
	return false
}

// fwdVerified reports whether a location that reached upstream may be the
// verified credential of the forwarding provider: a route listing it, and
// the valid token in one of its sources.
func (rt propRoute) fwdVerified(kind byte, name, value string, tk credTokens) bool {
	listed := false
	for _, pn := range rt.providers {
		listed = listed || pn == "fwd"
	}
	if !listed {
		return false
	}
	switch kind {
	case 'h':
		return strings.EqualFold(name, "x-fwd") && len(value) > 6 && strings.EqualFold(value[:6], "Token ") && value[6:] == tk.fwd
	case 'c':
		return propMatches(name, "fwd_session") && value == tk.fwd
	default:
		return propMatches(name, "fwd_token") && value == tk.fwd
	}
}

// propLocations lists the header, cookie and query locations of a header
// list (request or upstream): headers other than pseudo-headers and
// Cookie, each cookie pair, each query parameter of :path (or of path).
func propLocations(hs []proxy.Pair, path string) []propItem {
	var out []propItem
	for _, p := range hs {
		switch k := strings.ToLower(p.Key); {
		case k == ":path":
			path = p.Value
		case strings.HasPrefix(k, ":"):
		case k == "cookie":
			for _, c := range strings.Split(p.Value, ";") {
				c = strings.Trim(c, " \t")
				if c == "" {
					continue
				}
				name, value, _ := strings.Cut(c, "=")
				out = append(out, propItem{'c', strings.TrimRight(name, " \t"), value})
			}
		default:
			out = append(out, propItem{'h', p.Key, p.Value})
		}
	}
	if _, q, ok := strings.Cut(path, "?"); ok {
		for _, p := range strings.FieldsFunc(q, func(r rune) bool { return r == '&' || r == ';' }) {
			name, value, _ := strings.Cut(p, "=")
			out = append(out, propItem{'q', name, value})
		}
	}
	return out
}

// propCheck is the property for one exchange; "" when it holds.
func propCheck(rt propRoute, req host.Request, items []propItem, r host.Result, tk credTokens) string {
	status := r.Downstream.Status
	// Step 1 first: a control character in a name, NUL in a value.
	unsafe := false
	for _, it := range items {
		unsafe = unsafe || it.kind != 'h' && propHasControl(it.name, true)
	}
	if unsafe {
		if status != 400 {
			return fmt.Sprintf("a name with a control character got %d, want 400", status)
		}
		return ""
	}
	// Credentials by location in the route's sources; a header in a form
	// none of them accepts is one too, and invalid.
	creds, badForm := 0, 0
	for _, it := range items {
		switch {
		case it.kind == 'h':
			if rt.reads('h', it.name) {
				creds++
				if !rt.accepts(it.name, it.value) {
					badForm++
				}
			}
		case it.value != "" && rt.reads(it.kind, it.name):
			creds++
		}
	}
	if rt.enforce && creds == 1 && badForm == 1 && (status != 401 || r.Downstream.Details != "apiguard_"+string(problem.ReasonCredentialScheme)) {
		return fmt.Sprintf("a header in a form no source accepts got %d %s, want 401 credential_scheme", status, r.Downstream.Details)
	}
	if rt.enforce && creds > 1 && (status != 401 || r.Downstream.Details != "apiguard_"+string(problem.ReasonCredentialMultiple)) {
		return fmt.Sprintf("%d credentials in the route's sources got %d %s, want 401 credential_multiple", creds, status, r.Downstream.Details)
	}
	if rt.enforce && len(rt.providers) == 0 && status != 200 {
		return fmt.Sprintf("a route without auth answered %d", status)
	}
	if !r.UpstreamCalled {
		if status == 200 {
			return "200 without upstream"
		}
		return ""
	}
	up := propLocations(r.Upstream.Headers, "")
	sent := propLocations(req.Headers, req.Path)
	if !rt.enforce {
		// Report-only: the request goes on untouched.
		for _, s := range sent {
			if !containsItem(up, s) {
				return fmt.Sprintf("a report-only route removed %c %q=%q", s.kind, s.name, s.value)
			}
		}
		return ""
	}
	kept := 0
	for _, u := range up {
		if !propIsCred(u.kind, u.name) || rt.passes(u.kind, u.name) {
			continue
		}
		if rt.fwdVerified(u.kind, u.name, u.value, tk) {
			kept++
			continue
		}
		return fmt.Sprintf("unverified credential %c %q=%q reached upstream", u.kind, u.name, u.value)
	}
	if kept > 1 {
		return fmt.Sprintf("%d forwarded credentials reached upstream", kept)
	}
	// The one verified credential of the forwarding provider does reach
	// upstream, where it was.
	if creds == 1 {
		for _, s := range sent {
			if rt.reads(s.kind, s.name) && rt.fwdVerified(s.kind, s.name, s.value, tk) && !containsItem(up, s) {
				return fmt.Sprintf("the verified forwarded credential %c %q did not reach upstream", s.kind, s.name)
			}
		}
	}
	// What is no credential, or passed, reaches upstream unchanged.
	for _, s := range sent {
		if propIsCred(s.kind, s.name) && !rt.passes(s.kind, s.name) {
			continue
		}
		if !containsItem(up, s) {
			return fmt.Sprintf("%c %q=%q did not reach upstream", s.kind, s.name, s.value)
		}
	}
	return ""
}

func containsItem(list []propItem, it propItem) bool {
	for _, x := range list {
		if x.kind == it.kind && strings.EqualFold(x.name, it.name) && x.value == it.value {
			return true
		}
	}
	return false
}
