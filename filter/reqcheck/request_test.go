package reqcheck

import (
	"fmt"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/problem"
)

func view(method, path, query string, kv ...string) *httpx.Request {
	r := &httpx.Request{Method: method, Path: path, Query: query}
	for i := 0; i+1 < len(kv); i += 2 {
		r.Headers = append(r.Headers, httpx.Pair{Key: kv[i], Value: kv[i+1]})
	}
	return r
}

// TestHygiene_reasons: step 1's verdicts, in its order.
func TestHygiene_reasons(t *testing.T) {
	for _, c := range []struct {
		name string
		req  *httpx.Request
		raw  string
		want problem.Reason
	}{
		{"clean", view("GET", "/a", "b=1", "cookie", "a=1"), "/a?b=1", ""},
		{"lower-case method", view("get", "/a", ""), "/a", problem.ReasonBadRequest},
		{"override header, CGI spelling", view("POST", "/a", "", "X_HTTP_Method", "GET"), "/a", problem.ReasonMethodOverride},
		{"override parameter", view("POST", "/a", "_Method=GET"), "/a?_Method=GET", problem.ReasonMethodOverride},
		{"URL override", view("GET", "/a", "", "x-original_url", "/admin"), "/a", problem.ReasonURLOverride},
		{"absolute form", view("GET", "/a", ""), "http://h/a", problem.ReasonUnsafePath},
		{"dot segment", view("GET", "/a/../b", ""), "/a/../b", problem.ReasonUnsafePath},
		{"control in a query name", view("GET", "/a", "a%01=1"), "/a?a%01=1", problem.ReasonUnsafeQuery},
		{"NUL in a cookie value", view("GET", "/a", "", "Cookie", "a=%00"), "/a", problem.ReasonUnsafeCookie},
	} {
		if got := Hygiene(c.req, c.raw); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// TestBody_declared: step 7 decides the body mode (pass, count, read;
// forms on owner routes read within the default cap) and refuses a bad or
// too large Content-Length and upgrades on routes that read bodies.
func TestBody_declared(t *testing.T) {
	capped := &config.RoutePolicy{Request: &config.Request{MaxBodyBytes: 10, MaxBodyBytesSet: true}}
	jsonRoute := &config.RoutePolicy{Request: &config.Request{JSON: &config.JSONRules{}}}
	owner := &config.RoutePolicy{Auth: &config.Auth{Owner: []config.OwnerRule{{Param: "id"}}}}
	for _, c := range []struct {
		name       string
		cfg        *config.RoutePolicy
		req        *httpx.Request
		mode       BodyMode
		limit      int64
		form, mult bool
		status     int
		reason     problem.Reason
	}{
		{"no rules", &config.RoutePolicy{}, view("POST", "/", "", "content-length", "99999999"), BodyPass, 0, false, false, 0, ""},
		{"cap only", capped, view("POST", "/", "", "content-length", "10"), BodyCount, 10, false, false, 0, ""},
		{"over the cap", capped, view("POST", "/", "", "content-length", "11"), BodyCount, 10, false, false, 413, problem.ReasonBodyTooLarge},
		{"bad length", capped, view("POST", "/", "", "content-length", "+1"), BodyCount, 10, false, false, 400, problem.ReasonBadContentLength},
		{"json", jsonRoute, view("POST", "/", "", "content-type", "application/json"), BodyRead, config.DefaultMaxBodyBytes, false, false, 0, ""},
		// Rack reads an untyped POST as a form, so a json route reads it as one too.
		{"json, untyped POST", jsonRoute, view("POST", "/", ""), BodyRead, config.DefaultMaxBodyBytes, true, false, 0, ""},
		{"json sent as a form", jsonRoute, view("PUT", "/", "", "content-type", "application/x-www-form-urlencoded"), BodyRead, config.DefaultMaxBodyBytes, true, false, 0, ""},
		{"json upgrade", jsonRoute, view("GET", "/", "", "upgrade", "websocket"), BodyRead, config.DefaultMaxBodyBytes, false, false, 400, problem.ReasonUpgradeRefused},
		{"owner, untyped POST", owner, view("POST", "/", ""), BodyRead, config.DefaultMaxBodyBytes, true, false, 0, ""},
		{"owner, multipart", owner, view("PUT", "/", "", "content-type", "multipart/form-data; boundary=x"), BodyRead, config.DefaultMaxBodyBytes, false, true, 0, ""},
		{"owner, JSON", owner, view("PUT", "/", "", "content-type", "application/json"), BodyRead, config.DefaultMaxBodyBytes, false, false, 0, ""},
		{"owner, +json over the cap", owner, view("PATCH", "/", "", "content-type", "application/merge-patch+json", "content-length", "1048577"),
			BodyRead, config.DefaultMaxBodyBytes, false, false, 413, problem.ReasonBodyTooLarge},
		{"owner, JSON upgrade", owner, view("GET", "/", "", "content-type", "application/json", "upgrade", "websocket"),
			BodyRead, config.DefaultMaxBodyBytes, false, false, 400, problem.ReasonUpgradeRefused},
		{"owner, text", owner, view("PUT", "/", "", "content-type", "text/plain"), BodyPass, 0, false, false, 0, ""},
		{"JSON without owner rules", &config.RoutePolicy{}, view("PUT", "/", "", "content-type", "application/json"), BodyPass, 0, false, false, 0, ""},
	} {
		var b Body
		status, reason := b.Declared(c.cfg, c.req)
		// A JSON body is read for the owner checks' JSON copies exactly
		// when the route reads it on their behalf.
		wantJSON := c.cfg == owner && c.mode == BodyRead && !c.form && !c.mult
		if status != c.status || reason != c.reason || b.Mode != c.mode || b.Limit != c.limit || b.Form != c.form || b.Multipart != c.mult || b.JSON != wantJSON {
			t.Errorf("%s: %d %q %+v", c.name, status, reason, b)
		}
	}
	if ForbiddenQuery(&config.RoutePolicy{}, "debug=1") || !ForbiddenQuery(&config.RoutePolicy{Request: &config.Request{ForbidQueryParams: []string{"debug"}}}, "a=1&Debug=1") {
		t.Error("ForbiddenQuery")
	}
}

// TestBody_content: the body's JSON checks, then a form's field names.
func TestBody_content(t *testing.T) {
	jsonRoute := &config.RoutePolicy{Request: &config.Request{JSON: &config.JSONRules{Required: true, MaxDepth: 32, MaxKeys: 1000, MaxArrayItems: 1000, MaxStringBytes: 65536}}}
	bodyOwner := &config.RoutePolicy{Auth: &config.Auth{BodyOwner: []config.BodyOwnerRule{{Field: []string{"id"}}}}}
	for _, c := range []struct {
		name      string
		cfg       *config.RoutePolicy
		b         Body
		body      string
		wantForm  string
		wantError bool
		want      problem.Reason
	}{
		{"json ok", jsonRoute, Body{}, `{"a":1}`, "", false, ""},
		{"json required", jsonRoute, Body{}, ``, "", false, problem.ReasonJSONEmpty},
		{"json duplicate", jsonRoute, Body{}, `{"a":1,"A":2}`, "", true, ""},
		{"body_owner, empty body", bodyOwner, Body{}, ``, "", false, ""},
		{"body_owner, not JSON", bodyOwner, Body{}, `{`, "", true, ""},
		{"form ok", &config.RoutePolicy{}, Body{Form: true}, `a=1&b=2`, "a=1&b=2", false, ""},
		{"form _method", &config.RoutePolicy{}, Body{Form: true}, `a=1&_METHOD=PUT`, "", false, problem.ReasonMethodOverride},
		{"form control", &config.RoutePolicy{}, Body{Form: true}, "a%01=1", "", false, problem.ReasonUnsafeForm},
		{"multipart _method", &config.RoutePolicy{}, Body{Multipart: true}, "--x\r\nContent-Disposition: form-data; name=\"_method\"\r\n\r\nPUT\r\n--x--", "", false, problem.ReasonMethodOverride},
		// A JSON body read for the owner checks' JSON copies must be
		// well-formed (PHP keeps the last of duplicate members), and is
		// handed on for them; its `_method`-like text is not a form.
		{"owner JSON ok", &config.RoutePolicy{}, Body{JSON: true}, `{"user_id":"a","x":"&_method=PUT"}`, `{"user_id":"a","x":"&_method=PUT"}`, false, ""},
		{"owner JSON duplicate", &config.RoutePolicy{}, Body{JSON: true}, `{"user_id":"a","user_id":"b"}`, "", false, problem.Reason("json_duplicate_key")},
		{"owner JSON case duplicate", &config.RoutePolicy{}, Body{JSON: true}, `{"user_id":"a","USER_ID":"b"}`, "", false, problem.Reason("json_duplicate_key_case")},
		{"owner JSON malformed", &config.RoutePolicy{}, Body{JSON: true}, `{"user_id":`, "", true, ""},
		{"owner JSON empty", &config.RoutePolicy{}, Body{JSON: true}, ``, "", false, ""},
		// A json route's body sent as a form (or untyped, which Rack reads
		// as one) is read by PHP, Rack and Laravel as form fields: past its
		// first field (JSON text, a name no framework binds) it may name
		// none, or it would smuggle members the JSON checks never saw.
		{"json as a form, one field", jsonRoute, Body{Form: true}, `{"a":1}`, `{"a":1}`, false, ""},
		{"json as a form, = inside", jsonRoute, Body{Form: true}, `{"a":"x=y"}`, `{"a":"x=y"}`, false, ""},
		{"json as a form, trailing &", jsonRoute, Body{Form: true}, `{"a":1}&`, "", true, ""},
		{"json as a form, & field", jsonRoute, Body{Form: true}, `{"a":"x&role=admin"}`, "", false, problem.ReasonJSONFormFields},
		{"json as a form, ; field", jsonRoute, Body{Form: true}, `{"a":"x;role=admin"}`, "", false, problem.ReasonJSONFormFields},
		{"json as a form, text with &", jsonRoute, Body{Form: true}, `{"a":"Tom & Jerry"}`, "", false, problem.ReasonJSONFormFields},
		{"json as a form, && only", jsonRoute, Body{Form: true}, `{"a":"x&&"}`, "", false, problem.ReasonJSONFormFields},
		{"json as a form, _method", jsonRoute, Body{Form: true}, `{"a":"&_method=PUT"}`, "", false, problem.ReasonMethodOverride},
		{"json as JSON, & field", jsonRoute, Body{}, `{"a":"x&role=admin"}`, "", false, ""},
		// A JSON body the filter reads may not name `_method` at its top
		// level: Laravel reads a JSON body's `_method` as a POST's method,
		// as Rack reads a form's (docs/configuration.md request.json).
		{"json _method", jsonRoute, Body{}, `{"a":1,"_method":"DELETE"}`, "", false, problem.ReasonMethodOverride},
		{"json _METHOD", jsonRoute, Body{}, `{"_METHOD":"DELETE","a":1}`, "", false, problem.ReasonMethodOverride},
		{"json escaped _method", jsonRoute, Body{}, `{"\u005fmethod":"DELETE"}`, "", false, problem.ReasonMethodOverride},
		{"json escaped m", jsonRoute, Body{}, `{"_\u006Dethod":"DELETE"}`, "", false, problem.ReasonMethodOverride},
		{"json escaped e", jsonRoute, Body{}, `{"_m\u0065th\u006fd":"DELETE"}`, "", false, problem.ReasonMethodOverride},
		{"json METHOD spelled out", jsonRoute, Body{}, `{"_MeThOd":"DELETE"}`, "", false, problem.ReasonMethodOverride},
		{"json _method after a nested one", jsonRoute, Body{}, `{"a":{"b":[1,{"c":2}]},"_method":"PUT"}`, "", false, problem.ReasonMethodOverride},
		{"json nested _method", jsonRoute, Body{}, `{"a":{"_method":"DELETE"}}`, "", false, ""},
		{"json _method in an array", jsonRoute, Body{}, `[{"_method":"DELETE"}]`, "", false, ""},
		{"json _method as a value", jsonRoute, Body{}, `{"note":"_method","method":"x","_methods":1}`, "", false, ""},
		{"body_owner _method", bodyOwner, Body{}, `{"id":"a","_method":"PUT"}`, "", false, problem.ReasonMethodOverride},
		{"owner JSON _method", &config.RoutePolicy{}, Body{JSON: true}, `{"_method":"PUT"}`, "", false, problem.ReasonMethodOverride},
	} {
		form, reason, _ := c.b.CheckContent(c.cfg, nil, "", []byte(c.body), nil)
		if c.wantError && reason == "" || !c.wantError && reason != c.want || form != c.wantForm {
			t.Errorf("%s: %q %q", c.name, form, reason)
		}
	}
}

// TestBody_jsonQueryShadow: on a request.json route, a query parameter
// named like a top-level member of the JSON body (the one name
// comparison) is refused (400 json_query_shadow): Rails' params merges the
// query over the body, so /orders?qty=-5 with {"qty":1} reads -5 while the
// body alone was checked. Other routes' bodies, nested members, values and
// other names pass.
func TestBody_jsonQueryShadow(t *testing.T) {
	jsonRoute := &config.RoutePolicy{Request: &config.Request{JSON: &config.JSONRules{MaxDepth: 32, MaxKeys: 1000, MaxArrayItems: 1000, MaxStringBytes: 65536}}}
	bodyOwner := &config.RoutePolicy{Auth: &config.Auth{BodyOwner: []config.BodyOwnerRule{{Field: []string{"id"}}}}}
	for _, c := range []struct {
		name        string
		cfg         *config.RoutePolicy
		query, body string
		want        problem.Reason
	}{
		{"shadow", jsonRoute, "qty=-5", `{"sku":"a","qty":1}`, problem.ReasonJSONQueryShadow},
		{"shadow among others", jsonRoute, "page=2&QTY=-5", `{"qty":1}`, problem.ReasonJSONQueryShadow},
		{"array spelling", jsonRoute, "items[][qty]=-5", `{"items":[{"qty":1}]}`, problem.ReasonJSONQueryShadow},
		{"PHP spelling", jsonRoute, "+is.admin=1", `{"is_admin":false}`, problem.ReasonJSONQueryShadow},
		{"escaped key", jsonRoute, "qty=-5", `{"q\u0074y":1}`, problem.ReasonJSONQueryShadow},
		{"no value", jsonRoute, "a=1;qty", `{"qty":1}`, problem.ReasonJSONQueryShadow},
		{"nested member", jsonRoute, "qty=-5", `{"item":{"qty":1}}`, ""},
		{"a value", jsonRoute, "note=qty", `{"note2":"qty"}`, ""},
		{"other names", jsonRoute, "page=2&qtys=1", `{"qty":1}`, ""},
		{"no query", jsonRoute, "", `{"qty":1}`, ""},
		{"an array body", jsonRoute, "qty=1", `[{"qty":1}]`, ""},
		{"empty body", jsonRoute, "qty=1", ``, ""},
		{"body_owner route without json", bodyOwner, "qty=1", `{"id":"a","qty":1}`, ""},
	} {
		var b Body
		if _, reason, _ := b.CheckContent(c.cfg, nil, c.query, []byte(c.body), nil); reason != c.want {
			t.Errorf("%s: %q, want %q", c.name, reason, c.want)
		}
	}
}

// TestBody_flow: what each body callback asks for, by mode: a counted body
// goes on until it crosses the cap (413, dropped); a read body is buffered
// and checked when complete (on its end or its trailers), refused as soon
// as it crosses the cap; body that came while a header step waited is
// kept, its excess dropped on an enforcing route and refused once the
// headers pass; a report-only refusal lets the body go unread.
func TestBody_flow(t *testing.T) {
	type step struct {
		name            string
		n, stopped      Next
		wantN, wantStop Next
	}
	var steps []step
	add := func(name string, n, stopped, wn, ws Next) { steps = append(steps, step{name, n, stopped, wn, ws}) }

	count := Body{Mode: BodyCount, Limit: 10}
	n, st := count.Headers(false, true)
	add("count: headers go", n, st, Go, Go)
	n, st = count.Chunk(6, false)
	add("count: within", n, st, Go, Go)
	n, st = count.Chunk(5, false)
	add("count: over", n, st, TooLarge, Drop)
	n, st = count.Chunk(1, true)
	add("count: done", n, st, Go, Go)

	read := Body{Mode: BodyRead, Limit: 10}
	n, st = read.Headers(false, true)
	add("read: held", n, st, Hold, Hold)
	n, st = read.Chunk(4, false)
	add("read: buffered", n, st, Buffer, Buffer)
	n, st = read.Chunk(8, true)
	add("read: complete", n, st, Check, Drop)
	if read.Seen != 8 {
		t.Errorf("read: seen %d", read.Seen)
	}
	n, st = read.Trailers()
	add("read: trailers check the buffered body", n, st, Check, Hold)

	unheld := Body{Mode: BodyRead, Limit: 10}
	n, st = unheld.Headers(false, false)
	add("read, hold_headers false", n, st, Go, Go)
	n, st = unheld.Chunk(11, false)
	add("read: over the cap", n, st, TooLarge, Drop)

	empty := Body{Mode: BodyRead, Limit: 10, EndOfStream: true}
	n, st = empty.Headers(false, true)
	add("read, no body", n, st, CheckEmpty, Hold)

	early := Body{Mode: BodyRead, Limit: 10}
	if got := early.WhileWaiting(4, false, true); got != Buffer {
		t.Errorf("early read chunk: %v", got)
	}
	if got := early.TrailersWhileWaiting(); got != Hold || !early.EarlyEnd {
		t.Errorf("early trailers: %v", got)
	}
	n, st = early.Headers(false, true)
	add("early, complete", n, st, Check, Hold)

	over := Body{Mode: BodyCount, Limit: 10}
	if got := over.WhileWaiting(11, false, true); got != Drop || !over.Over {
		t.Errorf("early over: %v", got)
	}
	if got := over.WhileWaiting(1, false, true); got != Drop {
		t.Errorf("after over: %v", got)
	}
	n, st = over.Headers(false, true)
	add("early over the cap", n, st, TooLarge, Hold)

	reportOnly := Body{Mode: BodyCount, Limit: 10}
	if got := reportOnly.WhileWaiting(11, false, false); got != Watermark || reportOnly.Over {
		t.Errorf("report-only early chunk: %v", got)
	}
	partial := Body{Mode: BodyRead, Limit: 10}
	partial.WhileWaiting(3, false, true)
	n, st = partial.Headers(true, true)
	add("reported, part of a read body held", n, st, Hold, Hold)
	n, st = partial.Chunk(5, true)
	add("reported: body goes unread", n, st, Go, Go)

	for _, s := range steps {
		if s.n != s.wantN || s.stopped != s.wantStop {
			t.Errorf("%s: %v/%v, want %v/%v", s.name, s.n, s.stopped, s.wantN, s.wantStop)
		}
	}
}

// TestHygiene_stripSpellings: every spelling of a claims header leaves the
// request view, and each distinct name is removed from the host once.
func TestHygiene_stripSpellings(t *testing.T) {
	pairs := func() []httpx.Pair {
		return []httpx.Pair{{Key: "x-user-id", Value: "a"}, {Key: "accept", Value: "*/*"}, {Key: "x_user_id", Value: "b"},
			{Key: "x-user_id", Value: "c"}, {Key: "x-user-id", Value: "d"}, {Key: "x-tenant", Value: "e"}}
	}
	kept, removed := StripSpellings(pairs(), []string{"x-user-id"}, nil)
	if len(kept) != 2 || kept[0].Key != "accept" || kept[1].Key != "x-tenant" {
		t.Errorf("kept %v", kept)
	}
	if strings.Join(removed, ",") != "x-user-id,x_user_id,x-user_id" {
		t.Errorf("removed %v", removed)
	}
	if kept, removed := StripSpellings(pairs(), nil, nil); len(kept) != 6 || removed != nil {
		t.Errorf("nothing to strip: %v %v", kept, removed)
	}
}

// TestHygiene_nameLengthsHideNoSpelling: the length filter in front of
// the spelling comparisons never hides a spelling: every override header
// in every spelling still refuses whatever headers come first, a claims
// header name of 63 bytes or more is still stripped, and a header whose
// length no name has is passed over.
func TestHygiene_nameLengthsHideNoSpelling(t *testing.T) {
	for _, name := range append(MethodOverrideHeaders[:], URLOverrideHeaders[:]...) {
		for _, spelling := range []string{name, strings.ToUpper(name), strings.ReplaceAll(name, "-", "_")} {
			r := view("GET", "/a", "", "accept", "*/*", "x-request-id", "1", spelling, "v")
			if Hygiene(r, "/a") == "" {
				t.Errorf("%s passed", spelling)
			}
		}
	}
	long := strings.Repeat("x-long-claims-header-", 4) // 84 bytes
	for _, names := range [][]string{{long}, {"x-a", long}, {long[:63]}, {long[:64]}} {
		key := strings.ToUpper(names[len(names)-1])
		kept, removed := StripSpellings([]httpx.Pair{{Key: "accept", Value: "*/*"}, {Key: key, Value: "v"}}, names, nil)
		if len(kept) != 1 || len(removed) != 1 {
			t.Errorf("%d-byte name: kept %v, removed %v", len(key), kept, removed)
		}
	}
	kept, _ := StripSpellings([]httpx.Pair{{Key: "x-user-ix", Value: "v"}, {Key: "x-user-id", Value: "w"}}, []string{"x-user-id"}, nil)
	if len(kept) != 1 || kept[0].Key != "x-user-ix" {
		t.Errorf("a name of a claims header's length: kept %v", kept)
	}
	l := httpx.LengthsOf([]string{"ab", "abcd"})
	for key, want := range map[string]bool{"a": false, "xy": true, "xyz": false, "wxyz": true, "": false} {
		if l.Has(key) != want {
			t.Errorf("lengths of ab, abcd: Has(%q) = %v", key, !want)
		}
	}
}

// TestBody_topLevelMembersFromEveryWalk: `_method` and query shadows are
// judged on the top-level names recorded by whichever walk accepted the
// body (jsonx's Validate on a route with limits only, its scanner with
// fields rules, the schema walk with or without them): the same verdicts
// everywhere, names after nested members and in indexed objects (over 16
// members) included, nested ones ignored.
func TestBody_topLevelMembersFromEveryWalk(t *testing.T) {
	var wide strings.Builder
	for i := range 20 {
		fmt.Fprintf(&wide, `"m%d":{"n":[{"_method":1}]},`, i)
	}
	allow := config.JSONRules{Undeclared: config.UndeclaredAllow}
	fields := []config.FieldRule{{Path: []string{"items"}, PathName: "items", Type: config.TypeArray, Required: true}}
	withFields := allow
	withFields.Fields = fields
	lim := config.JSONRules{MaxDepth: 32, MaxKeys: 1000, MaxArrayItems: 1000, MaxStringBytes: 65536}
	limFields := lim
	limFields.Fields = fields
	walks := []struct {
		name string
		j    config.JSONRules
		bs   *BodySchema
	}{
		{"limits", lim, nil},
		{"fields", limFields, nil},
		{"schema", allow, bodySchema(t, "OrderCreate", allow)},
		{"schema and fields", withFields, bodySchema(t, "OrderCreate", withFields)},
	}
	for _, c := range []struct {
		name, query, body string
		want              problem.Reason
	}{
		{"plain", "", `{"customer_id":"a","items":[]}`, ""},
		{"_method last, after nested members", "", `{"items":[{"sku":"AB-1","qty":1,"_method":"x"}],"_method":"DELETE"}`, problem.ReasonMethodOverride},
		{"_METHOD escaped", "", `{"items":[],"\u005fMETH\u006fd":"PUT"}`, problem.ReasonMethodOverride},
		{"_method in an indexed object", "", `{` + wide.String() + `"items":[],"_method":"PUT"}`, problem.ReasonMethodOverride},
		{"nested _method only", "", `{` + wide.String() + `"items":[]}`, ""},
		{"query shadow", "page=1&Customer.ID=b", `{"customer_id":"a","items":[]}`, problem.ReasonJSONQueryShadow},
		{"query shadow of an escaped name", "role=admin", `{"r\u006fle":"user","items":[]}`, problem.ReasonJSONQueryShadow},
		{"_method before a shadow", "items=1", `{"items":[],"_method":"PUT"}`, problem.ReasonMethodOverride},
		{"query naming a nested member", "sku=x", `{"items":[{"sku":"AB-1","qty":1}]}`, ""},
	} {
		for _, w := range walks {
			cfg := &config.RoutePolicy{Request: &config.Request{JSON: &w.j}}
			var b Body
			if _, reason, _ := b.CheckContent(cfg, w.bs, c.query, []byte(c.body), nil); reason != c.want {
				t.Errorf("%s, %s walk: %q, want %q", c.name, w.name, reason, c.want)
			}
		}
	}
}
