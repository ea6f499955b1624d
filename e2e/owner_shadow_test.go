package e2e

import (
	"fmt"
	"strconv"
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
// may act on bob. docs/configuration.md auth.owner refuses (403) a query parameter or an
// application/x-www-form-urlencoded field named like the owner param, in
// every spelling some framework reads as that name (docs/configuration.md "Query and
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

func TestOwner_queryShadow(t *testing.T) {
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

func TestOwner_formShadow(t *testing.T) {
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
		// A JSON body: Laravel's input() and `$request->user_id` read its
		// top-level member before the route's parameter, so a copy must
		// hold the caller's own id (docs/configuration.md auth.owner).
		formCase{"JSON body", "/users/alice/orders", `{"user_id":"bob"}`, "application/json", alice, 403, problem.ReasonOwnerAmbiguous},
		formCase{"JSON body, later member", "/users/alice/orders", `{"note":"hi","user_id":"bob"}`, "application/json; charset=utf-8", alice, 403, problem.ReasonOwnerAmbiguous},
		formCase{"JSON body, +json type", "/users/alice/orders", `{"user_id":"bob"}`, "application/merge-patch+json", alice, 403, problem.ReasonOwnerAmbiguous},
		formCase{"JSON body, upper-case name", "/users/alice/orders", `{"USER_ID":"bob"}`, "application/json", alice, 403, problem.ReasonOwnerAmbiguous},
		formCase{"JSON body, escaped name", "/users/alice/orders", `{"user\u005fid":"bob"}`, "application/json", alice, 403, problem.ReasonOwnerAmbiguous},
		formCase{"JSON body, array copy", "/users/alice/orders", `{"user_id":["alice"]}`, "application/json", alice, 403, problem.ReasonOwnerAmbiguous},
		formCase{"JSON body, second owner rule", "/orgs/acme/members/alice", `{"org":"acme","member_id":"bob"}`, "application/json", alice, 403, problem.ReasonOwnerAmbiguous},
		formCase{"JSON body, duplicate members", "/users/alice/orders", `{"user_id":"alice","user_id":"bob"}`, "application/json", alice, 400, problem.ReasonJSONDuplicateKey},
		formCase{"JSON body, case duplicate", "/users/alice/orders", `{"user_id":"alice","User_Id":"bob"}`, "application/json", alice, 400, problem.ReasonJSONDuplicateKeyCase},
		formCase{"JSON body, malformed", "/users/alice/orders", `{"user_id":"bob"`, "application/json", alice, 400, problem.ReasonJSONSyntax},
		formCase{"JSON body, own id", "/users/alice/orders", `{"user_id":"alice","note":"hi"}`, "application/json", alice, 200, ""},
		formCase{"JSON body, nested copy", "/users/alice/orders", `{"order":{"user_id":"bob"}}`, "application/json", alice, 200, ""},
		formCase{"JSON body, no copy", "/users/alice/orders", `{"note":"user_id=bob"}`, "application/json", alice, 200, ""},
		formCase{"JSON body, unless holds", "/users/bob/orders", `{"user_id":"carol"}`, "application/json", admin, 200, ""},
		// Not form-encoded nor JSON: the owner route does not read the body.
		formCase{"form text as text/plain", "/users/alice/orders", "user_id=bob", "text/plain", alice, 200, ""},
		formCase{"type with a suffix", "/users/alice/orders", "user_id=bob", form + "x", alice, 200, ""},
		// unless holds: not checked.
		formCase{"unless holds", "/users/bob/orders", "user_id=carol&+USER.ID[]=dave", "", admin, 200, ""},
		// The path check still runs first, in step 10.
		formCase{"another user", "/users/bob/orders", "note=hi", "", alice, 403, problem.ReasonOwnerMismatch},
		// With request.json: the body must be JSON, and a JSON body sent
		// as a form is still read as one by PHP: past its first field it
		// may name nothing (docs/configuration.md request.json).
		formCase{"json route, form not JSON", "/users/alice/carts", "user_id=bob", "", alice, 400, problem.ReasonJSONSyntax},
		formCase{"json route, JSON that is also a form", "/users/alice/carts", `{"a":"&user_id=bob"}`, "", alice, 400, problem.ReasonJSONFormFields},
		formCase{"json route, JSON form", "/users/alice/carts", `{"a":"&x=1"}`, "", alice, 400, problem.ReasonJSONFormFields},
		formCase{"json route, JSON form of one field", "/users/alice/carts", `{"a":"x=1"}`, "", alice, 200, ""},
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
func TestOwner_formReadOnlyWhenNeeded(t *testing.T) {
	now := host.DefaultStart
	alice := bearer(mint(t, "ed", "EdDSA", claimsAt(now, idpIssuer, nil)))
	ws := headers("connection", "upgrade", "upgrade", "websocket")
	big := strings.Repeat("x", 1<<20+1)
	eachProfile(t, func(t *testing.T, g guest) {
		e := start(t, g, ownerShadowConfig(t, true))
		runTable(t, e, []exchange{
			{name: "big text body is not read", req: host.Request{Method: "POST", Path: "/users/alice/orders", Body: []byte(`"` + big + `"`),
				Headers: append(headers("content-type", "text/plain"), alice...)}, want: 200},
			{name: "big JSON body is capped at 1 MiB", req: host.Request{Method: "POST", Path: "/users/alice/orders", Body: []byte(`"` + big + `"`),
				Headers: append(headers("content-type", "application/json"), alice...)}, want: 413, reason: problem.ReasonBodyTooLarge},
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
		// A text body to an owner route streams: its first chunk reaches
		// upstream before the request ends.
		s := e.Worker(0).NewStream(host.StreamProps{})
		s.RequestHeaders(append(headers(":method", "POST", ":scheme", "https", ":authority", "api", ":path", "/users/alice/orders",
			"content-type", "text/plain"), alice...), false)
		s.RequestBody([]byte(`{"note":`), false)
		if up := s.Upstream(); up.Headers == nil || string(up.Body) != `{"note":` {
			t.Errorf("text body held: headers %v, body %q", up.Headers != nil, up.Body)
		}
		s.Complete()
		// A JSON body is held until complete: its copy of the owner param
		// never reaches upstream.
		s = e.Worker(0).NewStream(host.StreamProps{})
		s.RequestHeaders(append(headers(":method", "PUT", ":scheme", "https", ":authority", "api", ":path", "/users/alice/orders",
			"content-type", "application/json"), alice...), false)
		s.RequestBody([]byte(`{"note":"hi",`), false)
		if up := s.Upstream(); up.Headers != nil || len(up.Body) > 0 {
			t.Errorf("JSON body streamed: headers %v, body %q", up.Headers != nil, up.Body)
		}
		s.RequestBody([]byte(`"user_id":"bob"}`), true)
		if up := s.Upstream(); up.Headers != nil || len(up.Body) > 0 {
			t.Errorf("JSON body with another owner reached upstream: headers %v, body %q", up.Headers != nil, up.Body)
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

// A form body that arrives while authentication waits for remote keys is
// kept and judged once the header steps pass: a shadowing one is refused
// and never reaches upstream, in both header modes.
func TestOwner_formWhileKeysArrive(t *testing.T) {
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
func TestOwner_formReportOnly(t *testing.T) {
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

// Form bodies read on owner and body_owner routes (spellConfig): control
// characters in field names (PHP cuts at NUL), `_method` fields, POSTs
// without a Content-Type (Rack), multipart part names (Spring, PHP,
// Rails).

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

// TestOwner_formUnsafeNames: on routes that read form bodies, a field name
// holding a control character, raw or percent-encoded, is refused (400
// unsafe_form), as step 1 refuses one in a query name: PHP cuts
// `user_id%00junk` to `user_id`. Raw tabs and line breaks (a JSON body's
// whitespace) pass.
func TestOwner_formUnsafeNames(t *testing.T) {
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

// TestOwner_formMethodOverride: on routes that read form bodies, a `_method`
// field in any spelling, urlencoded or a multipart part, is refused (400
// method_override): Rack::MethodOverride, Laravel and Symfony read it from
// the body.
func TestOwner_formMethodOverride(t *testing.T) {
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

// TestOwner_formWithoutContentType: a POST without a Content-Type is a form
// to Rack (and so Rails' params), so routes that read form bodies read it
// as one.
func TestOwner_formWithoutContentType(t *testing.T) {
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

// TestOwner_multipartShadows: Spring's @ModelAttribute binding, PHP's
// $_POST/$_REQUEST and Rails' params read multipart/form-data fields as
// urlencoded ones, so owner routes read a multipart body's part names
// (every Content-Disposition line's name, whatever the boundary).
func TestOwner_multipartShadows(t *testing.T) {
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

// TestOwner_formUnreadWithoutOwnerRules pins the known limits docs/configuration.md
// "Choices where the contract is silent" documents: a route without owner or body_owner rules never
// reads request bodies (so hold_headers is not needed), and a `_method` or
// `access_token` field in its form body reaches upstream as sent; the
// remedy is in the upstream (body method override and form-body tokens
// turned off).
func TestOwner_formUnreadWithoutOwnerRules(t *testing.T) {
	alice := bearer(mint(t, "ed", "EdDSA", claimsAt(host.DefaultStart, idpIssuer, nil)))
	runFormRows(t, []formCase{
		{"_method on a route without form rules", "/reports", "_method=DELETE", formType, alice, 200, ""},
		{"multipart _method on a route without form rules", "/reports", "--B\r\nContent-Disposition: form-data; name=\"_method\"\r\n\r\nDELETE\r\n--B--\r\n",
			"multipart/form-data; boundary=B", alice, 200, ""},
		{"access_token in a form body", "/keys", "access_token=FORGED-BODY", formType, headers("x-api-key", spellAPIKey), 200, ""},
	})
}
