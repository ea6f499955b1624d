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

// Spellings and request parts an upstream framework reads as a name
// apiguard protects (issue 13). Each table runs natively and through the
// .wasm (both WASI profiles), in both header modes. A row says what the
// client gets and, when the upstream is called, the text it must not see
// (leak).
//
//   - Names wrapped in brackets (Rack 2, Express's qs): `[jwt]`, `jwt]`,
//     `]jwt`, `[[jwt]]` are `jwt` (README "Query parameters"), for
//     credentials, forbid_query_params, `_method` and owner shadows alike.
//   - ',' between cookies (ASP.NET Core, old Rack, Tomcat's legacy
//     parser).
//
// spellConfig also serves the form-body cases of owner_shadow_test.go
// (control characters in field names, `_method` fields, POSTs without a
// Content-Type, multipart part names) and hygiene_test.go's
// X-Original-URL / X-Rewrite-URL case.

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
