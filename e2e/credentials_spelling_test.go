package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Issue 13 review, second round: spellings and request parts an upstream
// framework reads as a name apiguard protects, found by an adversarial
// review of the built module. Each table runs natively and through the
// .wasm (both WASI profiles), in both header modes. A row says what the
// client gets and, when the upstream is called, the text it must not see
// (leak).
//
//   - Names wrapped in brackets (Rack 2, Express's qs): `[jwt]`, `jwt]`,
//     `]jwt`, `[[jwt]]` are `jwt` (README "Query parameters").
//   - ',' between cookies (ASP.NET Core, old Rack, Tomcat's legacy
//     parser).
//   - Form bodies read on owner/body_owner routes: control characters in
//     field names (PHP cuts at NUL), `_method` fields, POSTs without a
//     Content-Type (Rack), multipart part names (Spring, PHP, Rails).
//   - X-Original-URL / X-Rewrite-URL (CVE-2018-14773).

const spellAPIKey = "spell-key"

func spellConfig(t testing.TB, hold bool) string {
	sum := sha256.Sum256([]byte(spellAPIKey))
	jwt := func(iss, rest string) string {
		return `{"issuer": "` + iss + `", "audiences": ["` + audience + `"], "algorithms": ["EdDSA"], "jwks": ` + jwksOf(t, "ed") + rest + `}`
	}
	return `{
  "hold_headers": ` + strconv.FormatBool(hold) + `,
  "providers": {
    "idp": ` + jwt(idpIssuer, "") + `,
    "web": ` + jwt(webIssuer, `, "from": [{"cookie": "session"}]`) + `,
    "q": ` + jwt(credQIssuer, `, "from": [{"query": "access_token"}]`) + `,
    "partners": {"api_keys": {"from": [{"header": "x-api-key"}],
                              "keys": [{"id": "acme", "sha256": "` + hex.EncodeToString(sum[:]) + `", "claims": {"sub": "acme"}}]}}
  },
  "routes": [
    {"name": "keys", "match": {"prefix": "/keys"}, "auth": {"providers": ["partners"]}},
    {"name": "qtok", "match": {"prefix": "/qtok"}, "auth": {"providers": ["q"]}},
    {"name": "webr", "match": {"prefix": "/web"}, "auth": {"providers": ["web"]}},
    {"name": "forbid", "match": {"prefix": "/forbid"}, "request": {"forbid_query_params": ["password"]}},
    {"name": "orders", "match": {"path": "/users/{user_id}/orders"},
     "auth": {"providers": ["idp"], "owner": [{"param": "user_id", "claim": "sub"}]}},
    {"name": "owned", "match": {"path": "/owned"},
     "auth": {"providers": ["idp"], "body_owner": [{"field": "customer_id", "claim": "sub"}]}},
    {"name": "reports-write", "match": {"path": "/reports", "methods": ["POST"]}, "auth": {"providers": ["idp"]}},
    {"name": "reports-delete", "match": {"path": "/reports", "methods": ["DELETE"]},
     "auth": {"providers": ["idp"], "claims": [{"claim": "roles", "any_of": ["admin"]}]}},
    {"name": "report-only", "match": {"prefix": "/ro"}, "enforce": false, "auth": {"providers": ["idp"]}}
  ],
  "default": {}
}`
}

// spellRow is one exchange and the text the upstream must not see.
type spellRow struct {
	exchange
	leak string
}

// runSpellRows runs rows natively and through the .wasm, under both WASI
// profiles and both header modes.
func runSpellRows(t *testing.T, rows []spellRow) {
	t.Helper()
	eachProfile(t, func(t *testing.T, g guest) {
		for _, m := range holdModes {
			t.Run(m.name, func(t *testing.T) {
				e := start(t, g, spellConfig(t, m.hold), m.opts...)
				for _, c := range rows {
					t.Run(c.name, func(t *testing.T) {
						r := roundTrip(e.Worker(0), c.exchange)
						check(t, e, c.exchange, r)
						checkNoLeak(t, r, c.leak)
					})
				}
			})
		}
	})
}

// checkNoLeak fails when the upstream was called and a header (`:path`
// included) or its body carries leak.
func checkNoLeak(t *testing.T, r host.Result, leak string) {
	t.Helper()
	if leak == "" || !r.UpstreamCalled {
		return
	}
	for _, p := range r.Upstream.Headers {
		if strings.Contains(p.Value, leak) {
			t.Errorf("upstream header %s = %q carries %q", p.Key, p.Value, leak)
		}
	}
	if strings.Contains(string(r.Upstream.Body), leak) {
		t.Errorf("upstream body %q carries %q", r.Upstream.Body, leak)
	}
}

// bracketSpellings wrap a name in brackets as Rack 2 and Express's qs read
// it as the name itself ("%s" stands for the name).
var bracketSpellings = []string{"[%s]", "%%5B%s%%5D", "%%5b%s%%5d", "%s]", "]%s", "[[%s]]", "+[%s]", "][%s][x]"}

func bracketed(format, name string) string {
	return strings.ReplaceAll(strings.ReplaceAll(format, "%%", "\x00"), "%s", name)
}

func spelled(format, name string) string {
	return strings.ReplaceAll(bracketed(format, name), "\x00", "%")
}

// TestNameComparison_bracketComponents: a query or cookie name also
// matches by its first bracket-delimited component, everywhere names are
// looked up: credential counting and removal, forbid_query_params,
// `_method`, owner and body_owner shadows.
func TestNameComparison_bracketComponents(t *testing.T) {
	now := host.DefaultStart
	q := mint(t, "ed", "EdDSA", claimsAt(now, credQIssuer, nil))
	alice := bearer(mint(t, "ed", "EdDSA", claimsAt(now, idpIssuer, nil)))
	forged := "FORGED." + mint(t, "rsa-evil", "RS256", claimsAt(now, credQIssuer, map[string]any{"sub": "bob"}))
	key := headers("x-api-key", spellAPIKey)
	var rows []spellRow
	// Each bracket spelling, for the query credential and the cookie one,
	// and letter-case and '.' variants of the first component.
	type pair struct{ query, cookie string }
	var names []pair
	for _, f := range bracketSpellings {
		names = append(names, pair{spelled(f, "access_token"), spelled(f, "session")})
	}
	names = append(names, pair{"[ACCESS.TOKEN]", "[SESSION]"}, pair{"[Access%2ETOKEN]", "%5BSess%69on%5D"})
	for _, p := range names {
		n, cookie := p.query, p.cookie
		rows = append(rows,
			spellRow{exchange{name: "second query credential " + n, req: getWith("/qtok?access_token="+q+"&"+n+"="+forged, nil),
				want: 401, reason: problem.ReasonCredentialMultiple}, forged},
			spellRow{exchange{name: "removed on an API key route " + n, req: getWith("/keys?a=1&"+n+"="+forged, key),
				want: 200, upHeaders: map[string]string{":path": "/keys?a=1"}}, forged},
			spellRow{exchange{name: "removed by the default policy " + n, req: getWith("/elsewhere?"+n+"="+forged, nil),
				want: 200, upHeaders: map[string]string{":path": "/elsewhere"}}, forged},
			spellRow{exchange{name: "session cookie removed " + n, req: getWith("/keys", append(headers("cookie", "theme=dark; "+cookie+"="+forged), key...)),
				want: 200, upHeaders: map[string]string{"cookie": "theme=dark"}}, forged},
		)
	}
	for _, f := range bracketSpellings {
		rows = append(rows,
			spellRow{exchange{name: "forbid_query_params " + spelled(f, "password"), req: getWith("/forbid?"+spelled(f, "password")+"=hunter2", nil),
				want: 400, reason: problem.ReasonForbiddenQueryParam}, "hunter2"},
			spellRow{exchange{name: "_method " + spelled(f, "_method"), req: getWith("/elsewhere?"+spelled(f, "_method")+"=DELETE", nil),
				want: 400, reason: problem.ReasonMethodOverride}, ""},
			spellRow{exchange{name: "owner query shadow " + spelled(f, "user_id"), req: getWith("/users/alice/orders?"+spelled(f, "user_id")+"=bob", alice),
				want: 403, reason: problem.ReasonOwnerAmbiguous, headers: chScope}, "=bob"},
			spellRow{exchange{name: "body_owner query shadow " + spelled(f, "customer_id"),
				req:  postWith("/owned?"+spelled(f, "customer_id")+"=bob", "application/json", `{"customer_id":"alice"}`, alice),
				want: 403, reason: problem.ReasonBodyOwnerAmbiguous, headers: chScope}, "=bob"},
		)
	}
	rows = append(rows,
		spellRow{exchange{name: "owner shadow [User.Id]", req: getWith("/users/alice/orders?[User.Id]=bob", alice),
			want: 403, reason: problem.ReasonOwnerAmbiguous, headers: chScope}, "=bob"},
		// Names whose first component is another name pass untouched.
		spellRow{exchange{name: "[x]access_token is not access_token", req: getWith("/keys?[x]access_token=1&filter[status]=open", key),
			want: 200, upHeaders: map[string]string{":path": "/keys?[x]access_token=1&filter[status]=open"}}, ""},
		spellRow{exchange{name: "[password_hint] is not password", req: getWith("/forbid?[password_hint]=x", nil), want: 200}, ""},
	)
	runSpellRows(t, rows)
}

// TestCookies_commaSeparates: ',' separates cookie pairs as ';' does, for
// credential counting, removal and step 1; the other pairs reach upstream
// byte for byte.
func TestCookies_commaSeparates(t *testing.T) {
	now := host.DefaultStart
	web := mint(t, "ed", "EdDSA", claimsAt(now, webIssuer, nil))
	forged := "FORGED." + mint(t, "rsa-evil", "RS256", claimsAt(now, webIssuer, map[string]any{"sub": "bob"}))
	key := headers("x-api-key", spellAPIKey)
	withKey := func(cookie string) []proxy.Pair { return append(headers("cookie", cookie), key...) }
	up := func(cookie string) map[string]string { return map[string]string{"cookie": cookie} }
	runSpellRows(t, []spellRow{
		{exchange{name: "API key route, session after a comma", req: getWith("/keys", withKey("theme=dark, session="+forged)),
			want: 200, upHeaders: up("theme=dark")}, forged},
		{exchange{name: "API key route, comma without a space", req: getWith("/keys", withKey("theme=dark,session="+forged+",lang=en")),
			want: 200, upHeaders: up("theme=dark,lang=en")}, forged},
		{exchange{name: "default policy, session after a comma", req: getWith("/elsewhere", headers("cookie", "theme=dark, session="+forged)),
			want: 200, upHeaders: up("theme=dark")}, forged},
		{exchange{name: "verified session and a second one after a comma", req: getWith("/web", headers("cookie", "session="+web+"; theme=dark, session="+forged)),
			want: 401, reason: problem.ReasonCredentialMultiple}, forged},
		{exchange{name: "verified session alone", req: getWith("/web", headers("cookie", "theme=dark, session="+web)), want: 200,
			upHeaders: up("theme=dark")}, web},
		{exchange{name: "NUL in a name after a comma", req: getWith("/elsewhere", headers("cookie", "theme=dark, session%00="+forged)),
			want: 400, reason: problem.ReasonUnsafeCookie}, forged},
		{exchange{name: "a value with commas, nothing removed", req: getWith("/keys", withKey("list=a,b,c; theme=dark")),
			want: 200, upHeaders: up("list=a,b,c; theme=dark")}, ""},
		{exchange{name: "a value with commas, session removed", req: getWith("/keys", withKey("list=a,b; session="+forged+"; x=1")),
			want: 200, upHeaders: up("list=a,b; x=1")}, forged},
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

func postWith(path, ct, body string, h []proxy.Pair) host.Request {
	hs := append([]proxy.Pair{}, h...)
	if ct != "" {
		hs = append(hs, proxy.Pair{Key: "content-type", Value: ct})
	}
	return host.Request{Method: "POST", Path: path, Headers: hs, Body: []byte(body)}
}

// noContentType in a formCase's ct sends no Content-Type at all.
const noContentType = "-"

// runFormRows sends each form case natively and through the .wasm, in
// both header modes, whole and in 3-byte chunks, and checks the answer
// and what reached upstream (checkOwnerUpstream).
func runFormRows(t *testing.T, cases []formCase) {
	t.Helper()
	eachProfile(t, func(t *testing.T, g guest) {
		for _, m := range holdModes {
			t.Run(m.name, func(t *testing.T) {
				e := start(t, g, spellConfig(t, m.hold), m.opts...)
				for _, c := range cases {
					for _, chunk := range []int{0, 3} {
						t.Run(c.name+"/chunk"+strconv.Itoa(chunk), func(t *testing.T) {
							ct := c.ct
							if ct == noContentType {
								ct = ""
							}
							req := postWith(c.path, ct, c.body, c.tok)
							req.ChunkSize = chunk
							x := exchange{name: c.name, req: req, want: c.want, reason: c.reason}
							if c.want == 403 {
								x.headers = chScope
							}
							checkOwnerUpstream(t, e, m.hold, x, c, roundTrip(e.Worker(0), x))
						})
					}
				}
			})
		}
	})
}

const formType = "application/x-www-form-urlencoded"

// TestFormBody_unsafeNames: on routes that read form bodies, a field name
// holding a control character, raw or percent-encoded, is refused (400
// unsafe_form), as step 1 refuses one in a query name: PHP cuts
// `user_id%00junk` to `user_id`. Raw tabs and line breaks (a JSON body's
// whitespace) pass.
func TestFormBody_unsafeNames(t *testing.T) {
	alice := bearer(mint(t, "ed", "EdDSA", claimsAt(host.DefaultStart, idpIssuer, nil)))
	const o = "/users/alice/orders"
	runFormRows(t, []formCase{
		{"user_id%00", o, "note=hi&user_id%00=bob", formType, alice, 400, problem.ReasonUnsafeForm},
		{"user_id%00junk", o, "note=hi&user_id%00junk=bob", formType, alice, 400, problem.ReasonUnsafeForm},
		{"+user.id%00", o, "note=hi&+user.id%00=bob", formType, alice, 400, problem.ReasonUnsafeForm},
		{"raw NUL", o, "note=hi&user_id\x00=bob", formType, alice, 400, problem.ReasonUnsafeForm},
		{"%0A in another name", o, "no%0Ate=hi", formType, alice, 400, problem.ReasonUnsafeForm},
		{"%7F", o, "x%7F=1", formType, alice, 400, problem.ReasonUnsafeForm},
		{"no Content-Type, user_id%00", o, "user_id%00=bob", noContentType, alice, 400, problem.ReasonUnsafeForm},
		{"multipart, raw NUL in a part name", o, "--B\r\nContent-Disposition: form-data; name=\"user_id\x00x\"\r\n\r\nbob\r\n--B--\r\n",
			"multipart/form-data; boundary=B", alice, 400, problem.ReasonUnsafeForm},
		{"body_owner JSON that is also a form", "/owned", `{"customer_id":"alice","x":"&customer_id%00=bob&"}`, formType, alice, 400, problem.ReasonUnsafeForm},
		{"NUL in a value passes", o, "note=a%00b", formType, alice, 200, ""},
		{"newline in a value passes", o, "note=a%0Ab", formType, alice, 200, ""},
		{"pretty JSON sent as a form", "/owned", "{\n\t\"customer_id\": \"alice\"\r\n}", formType, alice, 200, ""},
	})
}

// TestFormBody_methodOverride: on routes that read form bodies, a `_method`
// field in any spelling, urlencoded or a multipart part, is refused (400
// method_override): Rack::MethodOverride, Laravel and Symfony read it from
// the body.
func TestFormBody_methodOverride(t *testing.T) {
	alice := bearer(mint(t, "ed", "EdDSA", claimsAt(host.DefaultStart, idpIssuer, nil)))
	const o = "/users/alice/orders"
	var cases []formCase
	for _, n := range []string{"_method", "_METHOD", "+_method", "%5Fmethod", ".method", "_method[]", "[_method]", "_method]"} {
		cases = append(cases, formCase{"form " + n, o, "note=hi&" + n + "=DELETE", formType, alice, 400, problem.ReasonMethodOverride})
	}
	cases = append(cases,
		formCase{"no Content-Type", o, "_method=DELETE", noContentType, alice, 400, problem.ReasonMethodOverride},
		formCase{"multipart part", o, "--B\r\nContent-Disposition: form-data; name=\"_method\"\r\n\r\nDELETE\r\n--B--\r\n",
			"multipart/form-data; boundary=B", alice, 400, problem.ReasonMethodOverride},
		formCase{"body_owner JSON that is also a form", "/owned", `{"customer_id":"alice","x":"&_method=DELETE&"}`, formType, alice, 400, problem.ReasonMethodOverride},
		formCase{"_method only in a value", o, "note=_method%3DDELETE", formType, alice, 200, ""},
		formCase{"method field", o, "method=DELETE", formType, alice, 200, ""},
	)
	runFormRows(t, cases)
}

// TestFormBody_withoutContentType: a POST without a Content-Type is a form
// to Rack (and so Rails' params), so routes that read form bodies read it
// as one.
func TestFormBody_withoutContentType(t *testing.T) {
	alice := bearer(mint(t, "ed", "EdDSA", claimsAt(host.DefaultStart, idpIssuer, nil)))
	runFormRows(t, []formCase{
		{"body_owner, JSON hiding a field", "/owned", `{"customer_id":"alice","x":"&customer_id=bob&"}`, noContentType, alice, 403, problem.ReasonBodyOwnerAmbiguous},
		{"body_owner, blank Content-Type", "/owned", `{"customer_id":"alice","x":"&customer_id=bob&"}`, " ", alice, 403, problem.ReasonBodyOwnerAmbiguous},
		{"owner form shadow", "/users/alice/orders", "note=hi&user_id=bob", noContentType, alice, 403, problem.ReasonOwnerAmbiguous},
		{"owner form shadow [user_id]", "/users/alice/orders", "note=hi&[user_id]=bob", noContentType, alice, 403, problem.ReasonOwnerAmbiguous},
		{"body_owner, plain JSON", "/owned", `{"customer_id":"alice"}`, noContentType, alice, 200, ""},
		{"owner, no shadow", "/users/alice/orders", "note=hi", noContentType, alice, 200, ""},
		{"owner, JSON type is not read", "/users/alice/orders", `{"x":"&user_id=bob"}`, "application/json", alice, 200, ""},
	})
}

// TestFormBody_multipartShadows: Spring's @ModelAttribute binding, PHP's
// $_POST/$_REQUEST and Rails' params read multipart/form-data fields as
// urlencoded ones, so owner routes read a multipart body's part names
// (every Content-Disposition line's name, whatever the boundary).
func TestFormBody_multipartShadows(t *testing.T) {
	alice := bearer(mint(t, "ed", "EdDSA", claimsAt(host.DefaultStart, idpIssuer, nil)))
	const o = "/users/alice/orders"
	part := func(disposition, content string) string {
		return "--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n" +
			"--XyZ\r\n" + disposition + "\r\nContent-Type: text/plain\r\n\r\n" + content + "\r\n--XyZ--\r\n"
	}
	const mp = "multipart/form-data; boundary=XyZ"
	var cases []formCase
	for _, d := range []string{
		`Content-Disposition: form-data; name="user_id"`,
		`Content-Disposition: form-data; name=user_id`,
		`content-disposition: FORM-DATA; NAME="User.Id"`,
		`Content-Disposition : form-data; name="user_id[]"`,
		`Content-Disposition: form-data; name="[user_id]"`,
		`Content-Disposition: form-data; name*=utf-8''user%5Fid`,
		`Content-Disposition: form-data; filename="a.txt"; name="user_id"`,
		`Content-Disposition: form-data; name="note2"; name="user_id"`,
		`Content-Disposition: form-data; name="us\er_id"`,
	} {
		cases = append(cases, formCase{"part " + d, o, part(d, "bob-multipart"), mp, alice, 403, problem.ReasonOwnerAmbiguous})
	}
	cases = append(cases,
		formCase{"other multipart type", o, part(`Content-Disposition: form-data; name="user_id"`, "bob"), "Multipart/Mixed; boundary=XyZ", alice, 403, problem.ReasonOwnerAmbiguous},
		formCase{"no shadow", o, part(`Content-Disposition: form-data; name="avatar"; filename="user_id"`, "user_id=bob"), mp, alice, 200, ""},
		formCase{"name only in part content", o, part(`Content-Disposition: form-data; name="doc"`, `name="user_id"`), mp, alice, 200, ""},
	)
	runFormRows(t, cases)
}

// TestFormBody_unreadWithoutOwnerRules pins the known limits README
// "Choices" documents: a route without owner or body_owner rules never
// reads request bodies (so hold_headers is not needed), and a `_method` or
// `access_token` field in its form body reaches upstream as sent; the
// remedy is in the upstream (body method override and form-body tokens
// turned off).
func TestFormBody_unreadWithoutOwnerRules(t *testing.T) {
	alice := bearer(mint(t, "ed", "EdDSA", claimsAt(host.DefaultStart, idpIssuer, nil)))
	runFormRows(t, []formCase{
		{"_method on a route without form rules", "/reports", "_method=DELETE", formType, alice, 200, ""},
		{"multipart _method on a route without form rules", "/reports", "--B\r\nContent-Disposition: form-data; name=\"_method\"\r\n\r\nDELETE\r\n--B--\r\n",
			"multipart/form-data; boundary=B", alice, 200, ""},
		{"access_token in a form body", "/keys", "access_token=FORGED-BODY", formType, headers("x-api-key", spellAPIKey), 200, ""},
	})
}
