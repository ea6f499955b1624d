package e2e

import (
	"fmt"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// JSON request bodies: member names equal under case folding.

// Issue 13, class 6: member names that differ only in case. Go's
// encoding/json, Jackson and System.Text.Json (in their common settings)
// bind {"qty":1,"QTY":-5} as qty = -5, so keys equal under case folding
// (with İ and ı as i) are duplicates unless json.case_sensitive_keys; that
// option never relaxes body_owner's letter-case rule.
func keyCaseConfig(t testing.TB, hold bool) string {
	return `{
  "hold_headers": ` + fmt.Sprint(hold) + `,
  "providers": {
    "idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["EdDSA"],
            "jwks": ` + jwksOf(t, "ed") + `}
  },
  "routes": [
    {"name": "items", "match": {"path": "/items"}, "request": {"json": {"fields": [{"path": "qty", "type": "integer"}]}}},
    {"name": "exact", "match": {"path": "/exact"}, "request": {"json": {"case_sensitive_keys": true}}},
    {"name": "orders", "match": {"path": "/orders"}, "request": {"json": {"case_sensitive_keys": true}},
      "auth": {"providers": ["idp"], "body_owner": [{"field": "customer_id", "claim": "sub"}, {"field": "meta.tenant", "claim": "tenant"}]}},
    {"name": "owned", "match": {"path": "/owned"},
      "auth": {"providers": ["idp"], "body_owner": [{"field": "customer_id", "claim": "sub"}]}}
  ]
}`
}

func TestRequestJSON_caseFoldedKeys(t *testing.T) {
	now := host.DefaultStart
	alice := bearer(mint(t, "ed", "EdDSA", claimsAt(now, idpIssuer, map[string]any{"tenant": "t1"})))
	// Spellings of one key that an upstream binding case-insensitively
	// reads as the same member.
	variants := []struct{ name, body string }{
		{"QTY", `{"qty":1,"QTY":-5}`},
		{"Qty last", `{"QTY":-5,"qty":1}`},
		{"escaped", `{"qty":1,"\u0051TY":-5}`},
		{"escaped lower", `{"QTY":1,"\u0071\u0074\u0079":-5}`},
		{"Kelvin sign", "{\"sku\":\"a\",\"s\u212au\":\"b\",\"qty\":1}"},
		{"Kelvin sign escaped", `{"sku":"a","s\u212Au":"b","qty":1}`},
		{"Kelvin sign and K", "{\"K\":1,\"\u212a\":2}"},
		{"long s", "{\"sku\":\"a\",\"\u017fku\":\"b\",\"qty\":1}"},
		{"long s escaped", `{"sku":"a","\u017fKU":"b","qty":1}`},
		{"dotted capital I", "{\"is_admin\":false,\"\u0130S_ADMIN\":true,\"qty\":1}"},
		{"dotless i", "{\"is_admin\":false,\"\u0131s_admin\":true,\"qty\":1}"},
		{"dotted and dotless", `{"\u0130d":1,"\u0131D":2}`},
		{"nested", `{"qty":1,"items":[{"sku":"a","SKU":"b"}]}`},
		{"in a big object", `{"a0":0,"a1":1,"a2":2,"a3":3,"a4":4,"a5":5,"a6":6,"a7":7,"a8":8,"a9":9,` +
			`"b0":0,"b1":1,"b2":2,"b3":3,"b4":4,"b5":5,"b6":6,"b7":7,"role":"user","ROLE":"admin"}`},
	}
	var cases []jsonCase
	for _, v := range variants {
		cases = append(cases,
			jsonCase{"fold " + v.name, "/items", v.body, 400, problem.ReasonJSONDuplicateKeyCase},
			jsonCase{"case_sensitive_keys " + v.name, "/exact", v.body, 200, ""},
			jsonCase{"body_owner without json " + v.name, "/owned", v.body, 400, problem.ReasonJSONDuplicateKeyCase})
	}
	cases = append(cases,
		jsonCase{"different keys", "/items", `{"qty":1,"qtys":2,"sku":"a","s":{"sku":"b","SKU2":1}}`, 200, ""},
		jsonCase{"sharp s is not ss", "/items", "{\"stra\u00dfe\":1,\"strasse\":2}", 200, ""},
		jsonCase{"exact duplicate", "/exact", `{"qty":1,"q\u0074y":-5}`, 400, problem.ReasonJSONDuplicateKey},
		jsonCase{"exact duplicate folded", "/items", `{"qty":1,"q\u0074y":-5}`, 400, problem.ReasonJSONDuplicateKey},
		// case_sensitive_keys never relaxes body_owner's letter-case rule.
		jsonCase{"body_owner own", "/orders", `{"customer_id":"alice","meta":{"tenant":"t1"},"qty":1,"QTY":-5}`, 200, ""},
		jsonCase{"body_owner Customer_ID", "/orders", `{"customer_id":"alice","Customer_ID":"bob","meta":{"tenant":"t1"}}`, 403, problem.ReasonBodyOwnerAmbiguous},
		jsonCase{"body_owner Customer_ID first", "/orders", `{"Customer_ID":"bob","customer_id":"alice","meta":{"tenant":"t1"}}`, 403, problem.ReasonBodyOwnerAmbiguous},
		jsonCase{"body_owner escaped", "/orders", `{"customer_id":"alice","\u0043USTOMER_ID":"bob","meta":{"tenant":"t1"}}`, 403, problem.ReasonBodyOwnerAmbiguous},
		jsonCase{"body_owner dotless i", "/orders", "{\"customer_id\":\"alice\",\"customer_\u0131d\":\"bob\",\"meta\":{\"tenant\":\"t1\"}}", 403, problem.ReasonBodyOwnerAmbiguous},
		jsonCase{"body_owner dotted I", "/orders", `{"customer_id":"alice","CUSTOMER_\u0130D":"bob","meta":{"tenant":"t1"}}`, 403, problem.ReasonBodyOwnerAmbiguous},
		jsonCase{"body_owner nested", "/orders", `{"customer_id":"alice","meta":{"tenant":"t1","TENANT":"t2"}}`, 403, problem.ReasonBodyOwnerAmbiguous},
		jsonCase{"body_owner nested parent", "/orders", `{"customer_id":"alice","meta":{"tenant":"t1"},"Meta":{"tenant":"t2"}}`, 403, problem.ReasonBodyOwnerAmbiguous},
		jsonCase{"body_owner only another case", "/orders", `{"Customer_Id":"alice","meta":{"tenant":"t1"}}`, 403, problem.ReasonBodyOwnerMissing},
	)
	runJSONCases(t, cases, "application/json", alice, nil)
}

// jsonCase is one JSON request of keyCaseConfig's routes.
type jsonCase struct {
	name, path, body string
	want             int
	reason           problem.Reason
}

// runJSONCases POSTs each case with the Content-Type ct (noContentType for
// none)
// and the credential tok, natively and through the .wasm, in both header modes, whole and in
// 3-byte chunks, and checks the answer and what reached upstream
// (checkOwnerUpstream); then after(e), when given, on each Envoy.
func runJSONCases(t *testing.T, cases []jsonCase, ct string, tok []proxy.Pair, after func(t *testing.T, e *host.Envoy)) {
	t.Helper()
	eachProfile(t, func(t *testing.T, g guest) {
		for _, m := range holdModes {
			t.Run(m.name, func(t *testing.T) {
				e := start(t, g, keyCaseConfig(t, m.hold), m.opts...)
				vm := e.Worker(0)
				for _, c := range cases {
					for _, chunk := range []int{0, 3} {
						t.Run(fmt.Sprintf("%s/chunk %d", c.name, chunk), func(t *testing.T) {
							typ := ct
							if typ == noContentType {
								typ = ""
							}
							req := postWith(c.path, typ, c.body, tok)
							req.ChunkSize = chunk
							x := exchange{name: c.name, req: req, want: c.want, reason: c.reason}
							if c.want == 403 {
								x.headers = chScope
							}
							r := roundTrip(vm, x)
							checkOwnerUpstream(t, e, m.hold, x, formCase{body: c.body, want: c.want, reason: c.reason}, r)
						})
					}
				}
				if after != nil {
					after(t, e)
				}
			})
		}
	})
}

// A JSON body the filter reads (request.json, body_owner) may not name
// `_method` at its top level: Laravel reads a JSON body into the request's
// parameters and its kernel turns Symfony's method override on, so
// POST {"_method":"DELETE"} would run the DELETE handler under the POST
// route's policy (400 method_override, as for a form's `_method`).
func TestRequestJSON_methodOverride(t *testing.T) {
	alice := bearer(mint(t, "ed", "EdDSA", claimsAt(host.DefaultStart, idpIssuer, map[string]any{"tenant": "t1"})))
	cases := []jsonCase{
		{"json route", "/items", `{"qty":1,"_method":"DELETE"}`, 400, problem.ReasonMethodOverride},
		{"json route, first member", "/exact", `{"_method":"PUT","qty":1}`, 400, problem.ReasonMethodOverride},
		{"upper case", "/items", `{"qty":1,"_METHOD":"DELETE"}`, 400, problem.ReasonMethodOverride},
		{"escaped", "/exact", `{"\u005f\u006d\u0065thod":"DELETE"}`, 400, problem.ReasonMethodOverride},
		{"after nested members", "/items", `{"a":{"b":[{"c":1}]},"_method":"PATCH"}`, 400, problem.ReasonMethodOverride},
		{"body_owner route", "/owned", `{"customer_id":"alice","_method":"DELETE"}`, 400, problem.ReasonMethodOverride},
		{"nested", "/items", `{"qty":1,"meta":{"_method":"DELETE"}}`, 200, ""},
		{"in an array", "/exact", `[{"_method":"DELETE"}]`, 200, ""},
		{"a value, other names", "/items", `{"qty":1,"note":"_method","method":"x","_methods":1}`, 200, ""},
	}
	runJSONCases(t, cases, "application/json", alice, deniedCount(problem.ReasonMethodOverride, 12))
}

// On a request.json route a query parameter named like a top-level member
// of the JSON body is refused: Rails' params lets the query override the
// body, so /items?qty=-5 with {"qty":1} would reach the upstream as -5
// after only the body was checked (400 json_query_shadow).
func TestRequestJSON_queryShadow(t *testing.T) {
	alice := bearer(mint(t, "ed", "EdDSA", claimsAt(host.DefaultStart, idpIssuer, map[string]any{"tenant": "t1"})))
	cases := []jsonCase{
		{"query copy", "/items?qty=-5", `{"sku":"a","qty":1}`, 400, problem.ReasonJSONQueryShadow},
		{"upper-case copy among others", "/items?page=2&QTY=-5", `{"qty":1}`, 400, problem.ReasonJSONQueryShadow},
		{"array spelling", "/exact?items[][qty]=-5", `{"items":[{"qty":1}]}`, 400, problem.ReasonJSONQueryShadow},
		{"PHP spelling", "/items?+is.admin=true", `{"qty":1,"is_admin":false}`, 400, problem.ReasonJSONQueryShadow},
		{"before body_owner", "/orders?customer_id=bob", `{"customer_id":"alice","meta":{"tenant":"t1"}}`, 400, problem.ReasonJSONQueryShadow},
		{"other names", "/items?page=2&qtys=1", `{"qty":1}`, 200, ""},
		{"nested member", "/items?qty=1", `{"item":{"qty":1}}`, 200, ""},
		{"body_owner route without json", "/owned?qty=1", `{"customer_id":"alice","qty":1}`, 200, ""},
	}
	runJSONCases(t, cases, "application/json", alice, deniedCount(problem.ReasonJSONQueryShadow, 10))
}

// A json route's body sent as a form (or as an untyped POST, which Rack
// parses as one) is read by PHP, Rack and Laravel as form fields: past its
// first field (JSON text no framework binds) it may name nothing, or
// {"name":"x&role=admin"} would pass the JSON checks and reach the
// upstream as role=admin (400 json_form_fields).
func TestRequestJSON_sentAsForm(t *testing.T) {
	alice := bearer(mint(t, "ed", "EdDSA", claimsAt(host.DefaultStart, idpIssuer, map[string]any{"tenant": "t1"})))
	cases := []jsonCase{
		{"an & field", "/items", `{"qty":1,"note":"x&role=admin"}`, 400, problem.ReasonJSONFormFields},
		{"a ; field", "/exact", `{"note":"x;role=admin"}`, 400, problem.ReasonJSONFormFields},
		{"text with &", "/items", `{"qty":1,"note":"Tom & Jerry"}`, 400, problem.ReasonJSONFormFields},
		{"a _method field", "/items", `{"note":"&_method=DELETE"}`, 400, problem.ReasonMethodOverride},
		{"one field", "/items", `{"qty":1,"note":"a=b"}`, 200, ""},
		{"body_owner route without json", "/owned", `{"customer_id":"alice","note":"x&role=admin"}`, 200, ""},
	}
	for _, ct := range []string{"application/x-www-form-urlencoded", "Application/X-WWW-Form-Urlencoded; charset=UTF-8", noContentType} {
		t.Run(ct, func(t *testing.T) {
			runJSONCases(t, cases, ct, alice, deniedCount(problem.ReasonJSONFormFields, 6))
		})
	}
	// Sent as JSON, the same bodies pass.
	var asJSON []jsonCase
	for _, c := range cases[:3] {
		asJSON = append(asJSON, jsonCase{c.name + " as JSON", c.path, c.body, 200, ""})
	}
	runJSONCases(t, asJSON, "application/json", alice, nil)
}

// deniedCount is an after func of runJSONCases: the denied counter of
// reason stands at n.
func deniedCount(reason problem.Reason, n int64) func(t *testing.T, e *host.Envoy) {
	return func(t *testing.T, e *host.Envoy) {
		t.Helper()
		if got := metric(t, e, "apiguard.denied."+string(reason)); got != n {
			t.Errorf("denied.%s = %d, want %d", reason, got, n)
		}
	}
}
