package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Issue 13, class 4: a path owner has no query or form shadow. Spring's
// @ModelAttribute binding and PHP's $_REQUEST (Laravel's $request->input)
// merge path, query and form parameters, so `/users/alice/orders?user_id=bob`
// may act on bob. DESIGN.md auth.owner refuses (403) a query parameter or an
// application/x-www-form-urlencoded field named like the owner param, in
// every spelling some framework reads as that name (DESIGN.md "Query and
// cookie names"), unless `unless` holds.

func ownerShadowConfig(t testing.TB, hold bool) string {
	return `{
  "hold_headers": ` + fmt.Sprint(hold) + `,
  "providers": {
    "idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["EdDSA"],
            "jwks": ` + jwksOf(t, "ed") + `}
  },
  "routes": [
    {"name": "orders", "match": {"path": "/users/{user_id}/orders"}, "auth": {"providers": ["idp"],
      "owner": [{"param": "user_id", "claim": "sub", "unless": {"claim": "roles", "any_of": ["admin"]}}]}},
    {"name": "carts", "match": {"path": "/users/{user_id}/carts"}, "request": {"json": {}},
      "auth": {"providers": ["idp"], "owner": [{"param": "user_id", "claim": "sub"}]}},
    {"name": "notes", "match": {"path": "/users/{user_id}/notes"}, "request": {"max_body_bytes": 64},
      "auth": {"providers": ["idp"], "owner": [{"param": "user_id", "claim": "sub"}]}},
    {"name": "orgs", "match": {"path": "/orgs/{org}/members/{member_id}"}, "auth": {"providers": ["idp"],
      "owner": [{"param": "org", "claim": "org"}, {"param": "member_id", "claim": "sub"}]}},
    {"name": "report", "match": {"path": "/report/{user_id}"}, "enforce": false,
      "auth": {"providers": ["idp"], "owner": [{"param": "user_id", "claim": "sub"}]}}
  ]
}`
}

// ownerShadowSpellings are the names some upstream framework reads as
// user_id (PHP drops leading spaces and turns '.', ' ' and '[' into '_';
// PHP, Rack and qs read `a[]` as `a`; ASP.NET ignores case; Rack 2 and old
// Python split on ';'), each as the query or form text before "=bob".
var ownerShadowSpellings = []string{
	"user_id", "USER_ID", "User_Id", "%75ser_id", "user%5Fid", "user_%49D",
	"+user_id", "%20user_id", "++user_id", "%20+user_id",
	"user.id", "user%2Eid", "user+id", "user%20id", "user[id", "user%5Bid",
	"user_id[]", "user_id[x]", "user_id%5B%5D", "USER.ID[0]", "+user.id[]",
	"user_\u0130d", "user_\u0131d", "user_%C4%B0d", "USER_%C4%B1D",
	"a=1&user_id", "a=1;user_id", ";user_id", "a=1&&user_id", "user_id=alice&user_id",
}

// ownerNotShadows are names no framework reads as user_id.
var ownerNotShadows = []string{
	"user", "userid", "user_ids", "_user_id", "user[id]", "users_id", "x=user_id&y", "user_id_x", "uid",
}

func TestAuthOwner_queryShadow(t *testing.T) {
	now := host.DefaultStart
	alice := bearer(mint(t, "ed", "EdDSA", claimsAt(now, idpIssuer, map[string]any{"org": "acme"})))
	admin := bearer(mint(t, "ed", "EdDSA", claimsAt(now, idpIssuer, map[string]any{"sub": "root", "roles": []any{"admin"}})))
	var cases []exchange
	for _, n := range ownerShadowSpellings {
		cases = append(cases,
			scope("?"+n+"=bob", getWith("/users/alice/orders?"+n+"=bob", alice), problem.ReasonOwnerAmbiguous),
			scope("json route ?"+n, getWith("/users/alice/carts?"+n+"=bob", alice), problem.ReasonOwnerAmbiguous))
	}
	memberShadows := []string{"member_id", "+Member.ID[]", "a=1;MEMBER%5Fid", "member_%C4%B0d"}
	for _, n := range memberShadows {
		cases = append(cases, scope("second owner rule ?"+n, getWith("/orgs/acme/members/alice?"+n+"=bob", alice), problem.ReasonOwnerAmbiguous))
	}
	for _, n := range ownerNotShadows {
		cases = append(cases, exchange{name: "not a shadow ?" + n, req: getWith("/users/alice/orders?"+n+"=bob", alice), want: 200,
			upHeaders: map[string]string{":path": "/users/alice/orders?" + n + "=bob"}})
	}
	cases = append(cases,
		// Whatever the value: the client's own id in the query is still a
		// second source for the same name.
		scope("own value", getWith("/users/alice/orders?user_id=alice", alice), problem.ReasonOwnerAmbiguous),
		scope("no value", getWith("/users/alice/orders?user_id", alice), problem.ReasonOwnerAmbiguous),
		scope("empty value", getWith("/users/alice/orders?user_id=", alice), problem.ReasonOwnerAmbiguous),
		scope("another user and a shadow", getWith("/users/bob/orders?user_id=alice", alice), problem.ReasonOwnerAmbiguous),
		scope("another user", getWith("/users/bob/orders", alice), problem.ReasonOwnerMismatch),
		scope("first rule's shadow", getWith("/orgs/acme/members/alice?ORG=globex", alice), problem.ReasonOwnerAmbiguous),
		exchange{name: "own id, other parameters", req: getWith("/users/alice/orders?page=2&sort=user_id", alice), want: 200,
			upHeaders: map[string]string{":path": "/users/alice/orders?page=2&sort=user_id"}},
		// unless holds: the rule, its shadows included, is not checked.
		exchange{name: "unless holds", req: getWith("/users/bob/orders?user_id=carol&+USER.ID[]=dave", admin), want: 200,
			upHeaders: map[string]string{":path": "/users/bob/orders?user_id=carol&+USER.ID[]=dave"}},
	)
	eachProfile(t, func(t *testing.T, g guest) {
		for _, m := range holdModes {
			t.Run(m.name, func(t *testing.T) {
				// Step 10 decides on the headers: nothing of a refused
				// request reaches upstream in either mode.
				e := start(t, g, ownerShadowConfig(t, m.hold), m.opts...)
				runTable(t, e, cases)
				want := int64(2*len(ownerShadowSpellings) + len(memberShadows) + 5)
				if got := metric(t, e, "apiguard.denied.owner_ambiguous"); got != want {
					t.Errorf("denied.owner_ambiguous = %d, want %d", got, want)
				}
				// Report-only: counted, and the request goes on untouched.
				r := roundTrip(e.Worker(0), exchange{req: getWith("/report/alice?+user_id=bob", alice)})
				if r.Downstream.Status != 200 || r.Upstream.Header(":path") != "/report/alice?+user_id=bob" {
					t.Errorf("report-only: status %d, upstream path %q", r.Downstream.Status, r.Upstream.Header(":path"))
				}
				if got := metric(t, e, "apiguard.reported.owner_ambiguous"); got != 1 {
					t.Errorf("reported.owner_ambiguous = %d, want 1", got)
				}
			})
		}
	})
}

// formCase is one request of the form-shadow table.
type formCase struct {
	name   string
	path   string
	body   string
	ct     string // content-type; "" means form-encoded
	tok    []proxy.Pair
	want   int
	reason problem.Reason
}

func TestAuthOwner_formShadow(t *testing.T) {
	now := host.DefaultStart
	alice := bearer(mint(t, "ed", "EdDSA", claimsAt(now, idpIssuer, map[string]any{"org": "acme"})))
	admin := bearer(mint(t, "ed", "EdDSA", claimsAt(now, idpIssuer, map[string]any{"sub": "root", "roles": []any{"admin"}})))
	const form = "application/x-www-form-urlencoded"
	var cases []formCase
	for _, n := range ownerShadowSpellings {
		cases = append(cases, formCase{"form " + n, "/users/alice/orders", "note=hi&" + n + "=bob", "", alice, 403, problem.ReasonOwnerAmbiguous})
	}
	for _, n := range ownerNotShadows {
		cases = append(cases, formCase{"form not a shadow " + n, "/users/alice/orders", n + "=bob&note=hi", "", alice, 200, ""})
	}
	cases = append(cases,
		formCase{"first field", "/users/alice/orders", "user_id=bob", "", alice, 403, problem.ReasonOwnerAmbiguous},
		formCase{"own value", "/users/alice/orders", "user_id=alice", "", alice, 403, problem.ReasonOwnerAmbiguous},
		formCase{"type with charset", "/users/alice/orders", "user_id=bob", form + "; charset=UTF-8", alice, 403, problem.ReasonOwnerAmbiguous},
		formCase{"type in capitals", "/users/alice/orders", "user_id=bob", "APPLICATION/X-WWW-FORM-URLENCODED", alice, 403, problem.ReasonOwnerAmbiguous},
		formCase{"type then a comma", "/users/alice/orders", "user_id=bob", form + ",text/plain", alice, 403, problem.ReasonOwnerAmbiguous},
		formCase{"second owner rule", "/orgs/acme/members/alice", "Member.ID=bob", "", alice, 403, problem.ReasonOwnerAmbiguous},
		formCase{"name only in a value", "/users/alice/orders", "note=user_id%3Dbob&x=user_id", "", alice, 200, ""},
		formCase{"empty form", "/users/alice/orders", "", "", alice, 200, ""},
		// Not form-encoded: the owner route does not read the body
		// (DESIGN.md names urlencoded forms only).
		formCase{"JSON body", "/users/alice/orders", `{"user_id":"bob"}`, "application/json", alice, 200, ""},
		formCase{"form text as text/plain", "/users/alice/orders", "user_id=bob", "text/plain", alice, 200, ""},
		formCase{"type with a suffix", "/users/alice/orders", "user_id=bob", form + "x", alice, 200, ""},
		// unless holds: not checked.
		formCase{"unless holds", "/users/bob/orders", "user_id=carol&+USER.ID[]=dave", "", admin, 200, ""},
		// The path check still runs first, in step 10.
		formCase{"another user", "/users/bob/orders", "note=hi", "", alice, 403, problem.ReasonOwnerMismatch},
		// With request.json: the body must be JSON, and a JSON body sent
		// as a form is still read as one by PHP.
		formCase{"json route, form not JSON", "/users/alice/carts", "user_id=bob", "", alice, 400, problem.ReasonJSONSyntax},
		formCase{"json route, JSON that is also a form", "/users/alice/carts", `{"a":"&user_id=bob"}`, "", alice, 403, problem.ReasonOwnerAmbiguous},
		formCase{"json route, JSON form", "/users/alice/carts", `{"a":"&x=1"}`, "", alice, 200, ""},
		formCase{"json route, JSON type", "/users/alice/carts", `{"a":"&user_id=bob"}`, "application/json", alice, 200, ""},
		// The cap applies to the read form: 64 bytes on this route.
		formCase{"capped form at the cap", "/users/alice/notes", "note=" + strings.Repeat("x", 59), "", alice, 200, ""},
		formCase{"capped form over the cap", "/users/alice/notes", "note=" + strings.Repeat("x", 60), "", alice, 413, problem.ReasonBodyTooLarge},
		formCase{"capped form shadow", "/users/alice/notes", "user_id=bob", "", alice, 403, problem.ReasonOwnerAmbiguous},
	)
	eachProfile(t, func(t *testing.T, g guest) {
		for _, m := range holdModes {
			t.Run(m.name, func(t *testing.T) {
				e := start(t, g, ownerShadowConfig(t, m.hold), m.opts...)
				vm := e.Worker(0)
				for _, c := range cases {
					for _, split := range []struct {
						name     string
						chunk    int
						trailers bool
					}{{"one chunk", 0, false}, {"1-byte chunks", 1, false}, {"5-byte chunks and trailers", 5, true}} {
						t.Run(c.name+"/"+split.name, func(t *testing.T) {
							ct := c.ct
							if ct == "" {
								ct = form
							}
							req := host.Request{Method: "POST", Path: c.path, Body: []byte(c.body),
								Headers: append(headers("content-type", ct), c.tok...), ChunkSize: split.chunk}
							if split.trailers {
								req.Trailers = headers("x-checksum", "abc")
							}
							x := exchange{name: c.name, req: req, want: c.want, reason: c.reason}
							if c.want == 403 {
								x.headers = chScope
							}
							r := roundTrip(vm, x)
							checkOwnerUpstream(t, e, m.hold, x, c, r)
						})
					}
				}
			})
		}
	})
}

// checkOwnerUpstream checks one form case: its answer, and what reached
// upstream. A form on an owner route is held and read whole; with
// hold_headers true nothing of a refused one reaches upstream, with false
// its headers went first and the upstream request was reset.
func checkOwnerUpstream(t *testing.T, e *host.Envoy, hold bool, x exchange, c formCase, r host.Result) {
	t.Helper()
	up := r.Upstream
	if c.want == 200 {
		check(t, e, x, r)
		if string(up.Body) != c.body {
			t.Errorf("upstream body %q, want %q", up.Body, c.body)
		}
		return
	}
	refusedInStep10 := c.reason == problem.ReasonOwnerMismatch
	if hold || refusedInStep10 {
		check(t, e, x, r)
		if up.Headers != nil || len(up.Body) > 0 {
			t.Errorf("a refused request reached upstream (headers %v, %d body bytes)", up.Headers != nil, len(up.Body))
		}
		return
	}
	d := r.Downstream
	if d.Status != c.want || d.LocalReply != "apiguard_"+string(c.reason) {
		t.Fatalf("status %d details %q, want %d %s", d.Status, d.LocalReply, c.want, c.reason)
	}
	if c.want == 403 && d.Header("www-authenticate") != chScope["www-authenticate"] {
		t.Errorf("www-authenticate %q", d.Header("www-authenticate"))
	}
	if up.Headers == nil || len(up.Body) > 0 || !up.Reset {
		t.Errorf("nohold refusal: headers sent %v, %d body bytes, reset %v; want true, 0, true", up.Headers != nil, len(up.Body), up.Reset)
	}
}

// A form-encoded request is read only on routes with owner rules, and only
// when it is form-encoded: other bodies to an owner route are neither held
// nor capped, and an upgrade is refused only when it claims a form body.
func TestAuthOwner_formReadOnlyWhenNeeded(t *testing.T) {
	now := host.DefaultStart
	alice := bearer(mint(t, "ed", "EdDSA", claimsAt(now, idpIssuer, nil)))
	ws := headers("connection", "upgrade", "upgrade", "websocket")
	big := strings.Repeat("x", 1<<20+1)
	eachProfile(t, func(t *testing.T, g guest) {
		e := start(t, g, ownerShadowConfig(t, true))
		runTable(t, e, []exchange{
			{name: "big JSON body is not read", req: host.Request{Method: "POST", Path: "/users/alice/orders", Body: []byte(`"` + big + `"`),
				Headers: append(headers("content-type", "application/json"), alice...)}, want: 200},
			{name: "big form body is capped at 1 MiB", req: host.Request{Method: "POST", Path: "/users/alice/orders", Body: []byte("note=" + big),
				Headers: append(headers("content-type", "application/x-www-form-urlencoded"), alice...)}, want: 413, reason: problem.ReasonBodyTooLarge},
			{name: "declared length over 1 MiB", req: host.Request{Method: "POST", Path: "/users/alice/orders",
				Headers: append(headers("content-type", "application/x-www-form-urlencoded", "content-length", "1048577"), alice...)},
				want: 413, reason: problem.ReasonBodyTooLarge},
			{name: "websocket upgrade", req: host.Request{Path: "/users/alice/orders", Headers: append(ws, alice...)}, want: 200},
			{name: "upgrade claiming a form body", req: host.Request{Path: "/users/alice/orders",
				Headers: append(append(ws, headers("content-type", "application/x-www-form-urlencoded")...), alice...)},
				want: 400, reason: problem.ReasonUpgradeRefused},
		})
		// A JSON body to an owner route streams: its first chunk reaches
		// upstream before the request ends.
		s := e.Worker(0).NewStream(host.StreamProps{})
		s.RequestHeaders(append(headers(":method", "POST", ":scheme", "https", ":authority", "api", ":path", "/users/alice/orders",
			"content-type", "application/json"), alice...), false)
		s.RequestBody([]byte(`{"note":`), false)
		if up := s.Upstream(); up.Headers == nil || string(up.Body) != `{"note":` {
			t.Errorf("JSON body held: headers %v, body %q", up.Headers != nil, up.Body)
		}
		s.Complete()
		// A form body is held until complete.
		s = e.Worker(0).NewStream(host.StreamProps{})
		s.RequestHeaders(append(headers(":method", "POST", ":scheme", "https", ":authority", "api", ":path", "/users/alice/orders",
			"content-type", "application/x-www-form-urlencoded"), alice...), false)
		s.RequestBody([]byte(`note=hi&`), false)
		if up := s.Upstream(); up.Headers != nil || len(up.Body) > 0 {
			t.Errorf("form body streamed: headers %v, body %q", up.Headers != nil, up.Body)
		}
		s.RequestBody([]byte(`user_id=bob`), true)
		if up := s.Upstream(); up.Headers != nil || len(up.Body) > 0 {
			t.Errorf("shadowing form reached upstream: headers %v, body %q", up.Headers != nil, up.Body)
		}
		s.Complete()
	})
}

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
	type kc struct {
		name, path, body string
		want             int
		reason           problem.Reason
	}
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
	var cases []kc
	for _, v := range variants {
		cases = append(cases,
			kc{"fold " + v.name, "/items", v.body, 400, problem.ReasonJSONDuplicateKeyCase},
			kc{"case_sensitive_keys " + v.name, "/exact", v.body, 200, ""},
			kc{"body_owner without json " + v.name, "/owned", v.body, 400, problem.ReasonJSONDuplicateKeyCase})
	}
	cases = append(cases,
		kc{"different keys", "/items", `{"qty":1,"qtys":2,"sku":"a","s":{"sku":"b","SKU2":1}}`, 200, ""},
		kc{"sharp s is not ss", "/items", "{\"stra\u00dfe\":1,\"strasse\":2}", 200, ""},
		kc{"exact duplicate", "/exact", `{"qty":1,"q\u0074y":-5}`, 400, problem.ReasonJSONDuplicateKey},
		kc{"exact duplicate folded", "/items", `{"qty":1,"q\u0074y":-5}`, 400, problem.ReasonJSONDuplicateKey},
		// case_sensitive_keys never relaxes body_owner's letter-case rule.
		kc{"body_owner own", "/orders", `{"customer_id":"alice","meta":{"tenant":"t1"},"qty":1,"QTY":-5}`, 200, ""},
		kc{"body_owner Customer_ID", "/orders", `{"customer_id":"alice","Customer_ID":"bob","meta":{"tenant":"t1"}}`, 403, problem.ReasonBodyOwnerAmbiguous},
		kc{"body_owner Customer_ID first", "/orders", `{"Customer_ID":"bob","customer_id":"alice","meta":{"tenant":"t1"}}`, 403, problem.ReasonBodyOwnerAmbiguous},
		kc{"body_owner escaped", "/orders", `{"customer_id":"alice","\u0043USTOMER_ID":"bob","meta":{"tenant":"t1"}}`, 403, problem.ReasonBodyOwnerAmbiguous},
		kc{"body_owner dotless i", "/orders", "{\"customer_id\":\"alice\",\"customer_\u0131d\":\"bob\",\"meta\":{\"tenant\":\"t1\"}}", 403, problem.ReasonBodyOwnerAmbiguous},
		kc{"body_owner dotted I", "/orders", `{"customer_id":"alice","CUSTOMER_\u0130D":"bob","meta":{"tenant":"t1"}}`, 403, problem.ReasonBodyOwnerAmbiguous},
		kc{"body_owner nested", "/orders", `{"customer_id":"alice","meta":{"tenant":"t1","TENANT":"t2"}}`, 403, problem.ReasonBodyOwnerAmbiguous},
		kc{"body_owner nested parent", "/orders", `{"customer_id":"alice","meta":{"tenant":"t1"},"Meta":{"tenant":"t2"}}`, 403, problem.ReasonBodyOwnerAmbiguous},
		kc{"body_owner only another case", "/orders", `{"Customer_Id":"alice","meta":{"tenant":"t1"}}`, 403, problem.ReasonBodyOwnerMissing},
	)
	eachProfile(t, func(t *testing.T, g guest) {
		for _, m := range holdModes {
			t.Run(m.name, func(t *testing.T) {
				e := start(t, g, keyCaseConfig(t, m.hold), m.opts...)
				vm := e.Worker(0)
				for _, c := range cases {
					for _, chunk := range []int{0, 3} {
						t.Run(fmt.Sprintf("%s/chunk %d", c.name, chunk), func(t *testing.T) {
							req := host.Request{Method: "POST", Path: c.path, Body: []byte(c.body), ChunkSize: chunk,
								Headers: append(headers("content-type", "application/json"), alice...)}
							x := exchange{name: c.name, req: req, want: c.want, reason: c.reason}
							if c.want == 403 {
								x.headers = chScope
							}
							r := roundTrip(vm, x)
							checkOwnerUpstream(t, e, m.hold, x, formCase{body: c.body, want: c.want, reason: c.reason}, r)
						})
					}
				}
			})
		}
	})
}

// A form body that arrives while authentication waits for remote keys is
// kept and judged once the header steps pass: a shadowing one is refused
// and never reaches upstream, in both header modes.
func TestAuthOwner_formWhileKeysArrive(t *testing.T) {
	cfg := `{
  "hold_headers": %v,
  "providers": {
    "remote": {"issuer": "` + remoteIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["RS256"],
               "remote_jwks": {"cluster": "idp", "authority": "idp.example.com", "path": "/.well-known/jwks.json",
                               "timeout_ms": 400, "refresh_seconds": 600}}
  },
  "routes": [{"name": "ro", "match": {"path": "/users/{user_id}/orders"}, "auth": {"providers": ["remote"],
               "owner": [{"param": "user_id", "claim": "sub"}]}}]
}`
	eachProfile(t, func(t *testing.T, g guest) {
		for _, m := range holdModes {
			t.Run(m.name, func(t *testing.T) {
				srv := &jwksServer{}
				srv.set(200, jwksOf(t, "rsa-a"), false)
				opts := append([]envoyOpt{func(c *host.Config) { c.Clusters = map[string]host.Cluster{"idp": {HTTP: srv.serve}} }}, m.opts...)
				e := start(t, g, fmt.Sprintf(cfg, m.hold), opts...)
				tok := remoteToken(t, "rsa-a")
				cases := []struct {
					body string
					want int
				}{{"note=hi&x=1", 200}, {"note=hi&+USER.ID[]=bob", 403}, {"note=hi;user_id=alice", 403}}
				streams := make([]*host.Stream, len(cases))
				for i, c := range cases {
					s := e.Worker(0).NewStream(host.StreamProps{})
					s.RequestHeaders(headers(":method", "POST", ":scheme", "https", ":authority", "api.example.com", ":path", "/users/alice/orders",
						"authorization", "Bearer "+tok, "content-type", "application/x-www-form-urlencoded"), false)
					s.RequestBody([]byte(c.body[:4]), false)
					s.RequestBody([]byte(c.body[4:]), true)
					if !waiting(s) {
						t.Fatalf("%s: did not wait (status %d)", c.body, s.Downstream().Status)
					}
					streams[i] = s
				}
				e.Advance(100 * time.Millisecond)
				for i, c := range cases {
					s := streams[i]
					up := s.Upstream()
					if c.want == 200 && string(up.Body) != c.body {
						t.Errorf("%s: upstream body %q", c.body, up.Body)
					}
					if c.want != 200 && (len(up.Body) > 0 || up.Headers != nil && !up.Reset) {
						t.Errorf("%s: refused request reached upstream (headers %v, body %q)", c.body, up.Headers != nil, up.Body)
					}
					if d := finish(s); d.Status != c.want {
						t.Errorf("%s: status %d (%s), want %d", c.body, d.Status, d.LocalReply, c.want)
					}
				}
				if got := metric(t, e, "apiguard.denied.owner_ambiguous"); got != 2 {
					t.Errorf("denied.owner_ambiguous = %d, want 2", got)
				}
			})
		}
	})
}

// On a report-only route a shadowing form is counted and goes on whole.
func TestAuthOwner_formReportOnly(t *testing.T) {
	alice := bearer(mint(t, "ed", "EdDSA", claimsAt(host.DefaultStart, idpIssuer, nil)))
	eachProfile(t, func(t *testing.T, g guest) {
		for _, m := range holdModes {
			t.Run(m.name, func(t *testing.T) {
				e := start(t, g, ownerShadowConfig(t, m.hold), m.opts...)
				body := "a=1&user_id=bob"
				req := host.Request{Method: "POST", Path: "/report/alice", Body: []byte(body), ChunkSize: 4,
					Headers: append(headers("content-type", "application/x-www-form-urlencoded"), alice...)}
				r := roundTrip(e.Worker(0), exchange{req: req})
				if r.Downstream.Status != 200 || string(r.Upstream.Body) != body {
					t.Errorf("status %d, upstream body %q", r.Downstream.Status, r.Upstream.Body)
				}
				if got := metric(t, e, "apiguard.reported.owner_ambiguous"); got != 1 {
					t.Errorf("reported.owner_ambiguous = %d, want 1", got)
				}
			})
		}
	})
}
