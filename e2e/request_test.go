package e2e

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/reqcheck"
)

// requestConfig has one route per body mode: json (read and held), optional
// (json with every default), capped (streamed and counted), report (an
// enforce:false copy of json), resp (response inspection only), open.
func requestConfig(hold bool) string {
	return `{
  "hold_headers": ` + fmt.Sprint(hold) + `,
  "routes": [
    {"name": "json", "match": {"prefix": "/json"}, "request": {
      "max_body_bytes": 256,
      "forbid_query_params": ["access_token", "api_key"],
      "json": {"required": true, "max_depth": 4, "max_keys": 5, "max_array_items": 5, "max_string_bytes": 16,
               "fields": [{"path": "items", "type": "array", "required": true},
                          {"path": "customer.id", "type": "integer"}]}}},
    {"name": "optional", "match": {"prefix": "/optional"}, "request": {"json": {}}},
    {"name": "capped", "match": {"prefix": "/capped"}, "request": {"max_body_bytes": 100}},
    {"name": "report", "match": {"prefix": "/report"}, "enforce": false, "request": {
      "max_body_bytes": 100, "forbid_query_params": ["access_token"], "json": {"max_depth": 2}}},
    {"name": "resp", "match": {"prefix": "/resp"}, "response": {}},
    {"name": "open", "match": {"prefix": "/open"}}
  ]
}`
}

// holdModes are the two ways Envoy can be set up: allow_on_headers_stop_iteration
// with hold_headers true (the default), and Istio's hold_headers false.
var holdModes = []struct {
	name string
	hold bool
	opts []envoyOpt
}{
	{"hold", true, nil},
	{"nohold", false, []envoyOpt{noHold()}},
}

func bufferLimit(n int) envoyOpt { return func(c *host.Config) { c.BufferLimit = n } }

func post(path string, body string, kv ...string) host.Request {
	return host.Request{Method: "POST", Path: path, Body: []byte(body), Headers: headers(kv...)}
}

// Step 1 always enforces, before any route is known, even on a report-only
// route.
func TestRequestHygiene(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, requestConfig(true))
		var cases []exchange
		for _, h := range []string{"X-HTTP-Method-Override", "x-http-method", "X-Method-Override"} {
			cases = append(cases,
				exchange{name: "header " + h, req: host.Request{Path: "/open", Headers: headers(h, "DELETE")}, want: 400, reason: problem.ReasonMethodOverride},
				exchange{name: "empty header " + h, req: host.Request{Path: "/open", Headers: headers(h, "")}, want: 400, reason: problem.ReasonMethodOverride})
		}
		// PHP drops leading spaces of a name before it turns '.', ' ' and
		// '[' into '_' (DESIGN.md "Query and cookie names"), so
		// `+_method` is `_method` to it, and `+method` is `method`.
		for _, q := range []string{"_method=DELETE", "a=1&_METHOD=PUT", "%5Fmethod=PUT", ".method=PUT", "+_method=DELETE", "%20_method=PUT", "[method=PUT", "_method", "_method[]=x", "a=1;_method=x"} {
			cases = append(cases, exchange{name: "query " + q, req: host.Request{Path: "/open?" + q}, want: 400, reason: problem.ReasonMethodOverride})
		}
		for _, p := range []string{"/open/a%2Fb", "/open/a%2fb", "/open/a%5Cb", "/open/a%5cb", "/open/a%00", "/open/%2E%2E/admin",
			"/open/%2e", "/open;x=1", "/open/a;b", `/open/a\b`, "/open/./a", "/open/../admin", "/open/..", "/open/.",
			"/open//a", "//open", "/open/a//", "/open/%zz", "/open/%4", "/report/../open", "/report//x"} {
			cases = append(cases, exchange{name: "path " + p, req: host.Request{Path: p}, want: 400, reason: problem.ReasonUnsafePath})
		}
		cases = append(cases,
			exchange{name: "override header on a report-only route", req: host.Request{Path: "/report", Headers: headers("x-http-method-override", "GET")}, want: 400, reason: problem.ReasonMethodOverride},
			exchange{name: "safe path", req: host.Request{Path: "/open/a.b/c..d/%41%20x/"}, want: 200},
			exchange{name: "method word in value", req: host.Request{Path: "/open?x=_method&method=1&_methods=2"}, want: 200},
			exchange{name: "a leading space is dropped, not turned into _", req: host.Request{Path: "/open?+method=PUT"}, want: 200},
			exchange{name: "unsafe text in the query is not the path", req: host.Request{Path: "/open?next=/a//b/../c;d%2F"}, want: 200},
			exchange{name: "other override-like header", req: host.Request{Path: "/open", Headers: headers("x-method", "DELETE")}, want: 200},
		)
		runTable(t, e, cases)
		if got := metric(t, e, "apiguard.denied.unsafe_path"); got != 21 {
			t.Errorf("denied.unsafe_path = %d, want 21", got)
		}
		if got := metric(t, e, "apiguard.denied.method_override"); got != 17 {
			t.Errorf("denied.method_override = %d, want 17", got)
		}
		if got := metricOrZero(t, e, "apiguard.reported.method_override"); got != 0 {
			t.Errorf("step 1 was reported instead of enforced: %d", got)
		}
	})
}

func TestRequestForbiddenQuery(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, requestConfig(true))
		body := `{"items":[]}`
		var cases []exchange
		for _, q := range []string{"access_token=SECRET-1", "%61ccess_token=SECRET-1", "ACCESS.TOKEN=SECRET-1", "access+token=SECRET-1",
			"access[token=SECRET-1", "access%5Btoken=SECRET-1", "access%20token=SECRET-1", "access_token[]=SECRET-1", "a=1&API_KEY=SECRET-1",
			"Api.Key", "a=1;access_token=SECRET-1", "access_to%4Ben=SECRET-1"} {
			cases = append(cases, exchange{name: q, req: post("/json?"+q, body), want: 400, reason: problem.ReasonForbiddenQueryParam})
		}
		cases = append(cases,
			exchange{name: "name in a value", req: post("/json?x=access_token", body), want: 200},
			exchange{name: "longer name", req: post("/json?access_tokens=1", body), want: 200},
			exchange{name: "array of another name", req: post("/json?access[token]=1", body), want: 200},
			exchange{name: "not forbidden on another route", req: host.Request{Path: "/open?access_token=1"}, want: 200},
		)
		// Step 6 runs before the body is read: nothing of the request left.
		runTable(t, e, cases)
		if got := metric(t, e, "apiguard.denied.forbidden_query_param"); got != 12 {
			t.Errorf("denied.forbidden_query_param = %d, want 12", got)
		}
		for _, l := range e.Logs() {
			if strings.Contains(l.Msg, "SECRET-1") {
				t.Errorf("a query value reached the log: %s", l.Msg)
			}
		}
	})
}

// bodyCase is one request-body behaviour, run in both hold modes, in one
// chunk and in 1-byte chunks, with and without trailers.
type bodyCase struct {
	name   string
	path   string
	body   string
	ct     string // content-type; "" means application/json
	want   int
	reason problem.Reason
}

var jsonBodyCases = []bodyCase{
	{"valid", "/json", `{"items":[1,2],"customer":{"id":7}}`, "", 200, ""},
	{"valid with any content type", "/json", `{"items":[]}`, "text/plain", 200, ""},
	{"non-JSON with a JSON content type", "/json", `items=1&customer=2`, "", 400, problem.ReasonJSONSyntax},
	{"invalid JSON with another content type", "/json", `{"items":[],}`, "application/x-www-form-urlencoded", 400, problem.ReasonJSONSyntax},
	{"depth over max_depth", "/json", `{"items":[[[[1]]]]}`, "", 400, problem.ReasonJSONDepth},
	{"depth at max_depth", "/json", `{"items":[[[1]]]}`, "", 200, ""},
	{"keys over max_keys", "/json", `{"items":[],"a":1,"b":2,"c":3,"d":4,"e":5}`, "", 400, problem.ReasonJSONKeys},
	{"items over max_array_items", "/json", `{"items":[1,2,3,4,5,6]}`, "", 400, problem.ReasonJSONItems},
	{"string over max_string_bytes", "/json", `{"items":["12345678901234567"]}`, "", 400, problem.ReasonJSONStringSize},
	{"escapes count as written", "/json", `{"items":["\u0041\u0041\u0041"]}`, "", 400, problem.ReasonJSONStringSize},
	{"duplicate key", "/json", `{"items":[],"items":[]}`, "", 400, problem.ReasonJSONDuplicateKey},
	{"duplicate key nested and escaped", "/json", `{"items":[{"role":"user","r\u006fle":"admin"}]}`, "", 400, problem.ReasonJSONDuplicateKey},
	{"invalid UTF-8", "/json", "{\"items\":[\"\xc0\xaf\"]}", "", 400, problem.ReasonJSONUTF8},
	{"lone surrogate", "/json", `{"items":["\ud800"]}`, "", 400, problem.ReasonJSONUTF8},
	{"trailing data", "/json", `{"items":[]}{"items":[]}`, "", 400, problem.ReasonJSONTrailingData},
	{"whitespace only", "/json", " \n ", "", 400, problem.ReasonJSONEmpty},
	{"required field missing", "/json", `{"customer":{"id":7}}`, "", 400, problem.ReasonJSONFieldMissing},
	{"field of the wrong type", "/json", `{"items":{}}`, "", 400, problem.ReasonJSONFieldType},
	{"optional field of the wrong type", "/json", `{"items":[],"customer":{"id":"7"}}`, "", 400, problem.ReasonJSONFieldType},
	{"integer field with a fraction", "/json", `{"items":[],"customer":{"id":7.5}}`, "", 400, problem.ReasonJSONFieldType},
	{"at the cap", "/json", `{"items":[],"pad":"` + strings.Repeat("x", 16) + `"}` + strings.Repeat(" ", 256-len(`{"items":[],"pad":"`)-16-2), "", 200, ""},
	{"over the cap", "/json", `{"items":[]}` + strings.Repeat(" ", 256-11), "", 413, problem.ReasonBodyTooLarge},
	{"optional route: default limits", "/optional", `{"a":{"a":{"a":1}},"b":"` + strings.Repeat("y", 1000) + `"}`, "", 200, ""},
	{"optional route: duplicates", "/optional", `{"a":1,"a":1}`, "", 400, problem.ReasonJSONDuplicateKey},
	{"optional route: default depth 32", "/optional", strings.Repeat("[", 33) + strings.Repeat("]", 33), "", 400, problem.ReasonJSONDepth},
	{"capped route: not JSON is fine", "/capped", "plain text, not json", "", 200, ""},
	{"capped route: at the cap", "/capped", strings.Repeat("z", 100), "", 200, ""},
	{"capped route: over the cap", "/capped", strings.Repeat("z", 101), "", 413, problem.ReasonBodyTooLarge},
	{"open route: anything", "/open", strings.Repeat("{", 5000), "", 200, ""},
}

// TestRequestBody runs the body table in both hold modes, in one chunk, in
// 1-byte chunks and followed by trailers: every split gives the same
// answer, and what reached upstream is what each mode promises.
func TestRequestBody(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		for _, m := range holdModes {
			t.Run(m.name, func(t *testing.T) {
				e := start(t, g, requestConfig(m.hold), m.opts...)
				vm := e.Worker(0)
				for _, c := range jsonBodyCases {
					for _, split := range []struct {
						name     string
						chunk    int
						trailers bool
					}{{"one chunk", 0, false}, {"1-byte chunks", 1, false}, {"7-byte chunks and trailers", 7, true}} {
						t.Run(c.name+"/"+split.name, func(t *testing.T) {
							ct := c.ct
							if ct == "" {
								ct = "application/json"
							}
							req := post(c.path, c.body, "content-type", ct)
							req.ChunkSize = split.chunk
							if split.trailers {
								req.Trailers = headers("x-checksum", "abc")
							}
							x := exchange{name: c.name, req: req, want: c.want, reason: c.reason}
							r := roundTrip(vm, x)
							check(t, e, x, r)
							checkUpstream(t, m.hold, c, split.chunk, r)
							if c.want == 200 && split.trailers && r.Upstream.Header("x-checksum") == "" {
								if len(r.Upstream.Trailers) == 0 {
									t.Errorf("trailers did not reach upstream")
								}
							}
						})
					}
				}
			})
		}
	})
}

// checkUpstream asserts what the upstream saw for one body case.
func checkUpstream(t *testing.T, hold bool, c bodyCase, chunk int, r host.Result) {
	t.Helper()
	up := r.Upstream
	if c.want == 200 {
		if !bytes.Equal(up.Body, []byte(c.body)) {
			t.Errorf("upstream body %q, want %q", up.Body, c.body)
		}
		return
	}
	switch {
	case strings.HasPrefix(c.path, "/capped"):
		// Streamed: earlier chunks may have gone upstream, then the
		// upstream request was reset.
		if !up.Reset {
			t.Errorf("upstream request not reset after a streaming refusal")
		}
		if len(up.Body) > 100 {
			t.Errorf("upstream got %d bytes past the cap", len(up.Body))
		}
		if chunk == 1 && len(up.Body) != 100 {
			t.Errorf("upstream got %d bytes of 1-byte chunks before the 413, want 100", len(up.Body))
		}
	case hold:
		if up.Headers != nil || len(up.Body) > 0 {
			t.Errorf("a held request reached upstream (headers %v, %d body bytes)", up.Headers != nil, len(up.Body))
		}
	default:
		// hold_headers false: headers went first, nothing of the body did,
		// and the upstream request was reset.
		if up.Headers == nil || len(up.Body) > 0 || !up.Reset {
			t.Errorf("nohold refusal: headers sent %v, %d body bytes, reset %v; want true, 0, true", up.Headers != nil, len(up.Body), up.Reset)
		}
	}
}

func TestRequestDeclaredLength(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		for _, m := range holdModes {
			t.Run(m.name, func(t *testing.T) {
				e := start(t, g, requestConfig(m.hold), m.opts...)
				vm := e.Worker(0)
				cases := []struct {
					name, path, length string
					want               int
					reason             problem.Reason
				}{
					{"json over the cap", "/json", "257", 413, problem.ReasonBodyTooLarge},
					{"capped over the cap", "/capped", "101", 413, problem.ReasonBodyTooLarge},
					{"huge", "/capped", "99999999999999999999999", 413, problem.ReasonBodyTooLarge},
					{"optional: the 1 MiB default", "/optional", fmt.Sprint(1<<20 + 1), 413, problem.ReasonBodyTooLarge},
					{"not a number", "/capped", "12abc", 400, problem.ReasonBadContentLength},
					{"negative", "/json", "-1", 400, problem.ReasonBadContentLength},
					{"uncapped route ignores it", "/open", fmt.Sprint(1 << 30), 200, ""},
				}
				for _, c := range cases {
					t.Run(c.name, func(t *testing.T) {
						// Headers only: a refusal here happens before any body
						// is read, so the stream must be answered at once.
						s := vm.NewStream(host.StreamProps{})
						s.RequestHeaders(headers(":method", "POST", ":scheme", "http", ":authority", "api",
							":path", c.path, "content-length", c.length), false)
						d := s.Downstream()
						if c.want == 200 {
							if d.Status != 0 || s.Upstream().Headers == nil {
								t.Fatalf("status %d, upstream headers %v: want the headers upstream and no answer", d.Status, s.Upstream().Headers != nil)
							}
							s.Complete()
							return
						}
						if d.Status != c.want || d.LocalReply != "apiguard_"+string(c.reason) {
							t.Fatalf("status %d (%s), want %d apiguard_%s", d.Status, d.LocalReply, c.want, c.reason)
						}
						if s.Upstream().Headers != nil {
							t.Errorf("headers reached upstream before the refusal")
						}
						if !bytes.Equal(d.Body, problem.Body(c.want, "")) {
							t.Errorf("body %s", d.Body)
						}
					})
				}
			})
		}
	})
}

// A route that reads bodies refuses a body-less request when json.required,
// and otherwise lets it through at once.
func TestRequestEmptyBody(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		for _, m := range holdModes {
			t.Run(m.name, func(t *testing.T) {
				e := start(t, g, requestConfig(m.hold), m.opts...)
				runTable(t, e, []exchange{
					{name: "required, no body", req: host.Request{Method: "POST", Path: "/json"}, want: 400, reason: problem.ReasonJSONEmpty},
					{name: "required, empty body and trailers", req: host.Request{Method: "POST", Path: "/json", Trailers: headers("x", "y")}, want: 400, reason: problem.ReasonJSONEmpty},
					{name: "optional, no body", req: host.Request{Method: "POST", Path: "/optional"}, want: 200},
					{name: "optional, GET", req: host.Request{Path: "/optional"}, want: 200},
				})
			})
		}
	})
}

// Upgrades pass the header checks and are never buffered; routes that read
// bodies or inspect responses refuse them.
func TestRequestUpgrade(t *testing.T) {
	ws := headers("connection", "upgrade", "upgrade", "websocket")
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, requestConfig(true))
		runTable(t, e, []exchange{
			{name: "json route", req: host.Request{Path: "/json", Headers: ws}, want: 400, reason: problem.ReasonUpgradeRefused},
			{name: "optional json route", req: host.Request{Path: "/optional", Headers: ws}, want: 400, reason: problem.ReasonUpgradeRefused},
			{name: "response route", req: host.Request{Path: "/resp", Headers: ws}, want: 400, reason: problem.ReasonUpgradeRefused},
			{name: "CONNECT on a json route", req: host.Request{Method: "CONNECT", Path: "/json"}, want: 400, reason: problem.ReasonUpgradeRefused},
			{name: "capped route", req: host.Request{Path: "/capped", Headers: ws}, want: 200},
			{name: "open route", req: host.Request{Path: "/open", Headers: ws}, want: 200},
			{name: "open route CONNECT", req: host.Request{Method: "CONNECT", Path: "/open"}, want: 200},
		})
		// auth.body_owner reads the body as well: an upgrade is refused
		// even with a valid credential (step 7 runs before step 9).
		owner := start(t, g, `{"providers": {"keys": {"api_keys": {"from": [{"header": "x-api-key"}],
  "keys": [{"id": "k1", "sha256": "6f05445cd02d50952714c41e70450ceb77a4fd30cf93e13b914417c86e0d0ec4", "claims": {"sub": "acme"}}]}}},
  "routes": [{"name": "orders", "match": {"prefix": "/orders"},
    "auth": {"providers": ["keys"], "body_owner": [{"field": "customer_id", "claim": "sub"}]}}]}`)
		runTable(t, owner, []exchange{
			{name: "body_owner route", req: host.Request{Path: "/orders", Headers: append(headers("x-api-key", "resp-key-1"), ws...)},
				want: 400, reason: problem.ReasonUpgradeRefused},
		})
		// An upgraded stream on a capping route, and any body on a route
		// without body checks, is streamed as it comes, never held.
		for _, p := range []string{"/capped", "/open"} {
			s := e.Worker(0).NewStream(host.StreamProps{})
			s.RequestHeaders(append(headers(":method", "GET", ":scheme", "http", ":authority", "api", ":path", p), ws...), false)
			s.RequestBody([]byte("frame-1"), false)
			if up := s.Upstream(); up.Headers == nil || string(up.Body) != "frame-1" {
				t.Errorf("%s: data held: headers %v, body %q", p, up.Headers != nil, up.Body)
			}
			s.Complete()
		}
	})
}

// enforce:false counts apiguard.reported.<reason>, logs a report line and
// lets the request through untouched.
func TestRequestReportOnly(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		for _, m := range holdModes {
			t.Run(m.name, func(t *testing.T) {
				e := start(t, g, requestConfig(m.hold), m.opts...)
				cases := []struct {
					name   string
					req    host.Request
					reason problem.Reason
				}{
					{"forbidden query", post("/report?access_token=1", `{}`), problem.ReasonForbiddenQueryParam},
					{"declared length", host.Request{Method: "POST", Path: "/report", Body: []byte(strings.Repeat("a", 150)),
						Headers: headers("content-length", "150")}, problem.ReasonBodyTooLarge},
					{"streamed over the cap", host.Request{Method: "POST", Path: "/report", Body: []byte(`[` + strings.Repeat(" ", 150) + `]`), ChunkSize: 40}, problem.ReasonBodyTooLarge},
					{"too deep", host.Request{Method: "POST", Path: "/report", Body: []byte(`[[[1]]]`), ChunkSize: 2}, problem.ReasonJSONDepth},
					{"not JSON", post("/report", `nope`), problem.ReasonJSONSyntax},
					{"upgrade", host.Request{Path: "/report", Headers: headers("upgrade", "websocket")}, problem.ReasonUpgradeRefused},
				}
				for _, c := range cases {
					t.Run(c.name, func(t *testing.T) {
						before := metricOrZero(t, e, "apiguard.reported."+string(c.reason))
						x := exchange{req: c.req, want: 200}
						r := roundTrip(e.Worker(0), x)
						check(t, e, x, r)
						if !bytes.Equal(r.Upstream.Body, c.req.Body) {
							t.Errorf("upstream body %q, want it untouched %q", r.Upstream.Body, c.req.Body)
						}
						if got := metric(t, e, "apiguard.reported."+string(c.reason)); got != before+1 {
							t.Errorf("reported.%s = %d, want %d", c.reason, got, before+1)
						}
					})
				}
				if got := metricOrZero(t, e, "apiguard.denied.json_depth") + metricOrZero(t, e, "apiguard.denied.body_too_large"); got != 0 {
					t.Errorf("report-only route denied %d requests", got)
				}
				if l := e.LogsContaining("apiguard: report route=report status=400 reason=json_depth"); len(l) != 1 {
					t.Errorf("report lines for json_depth: %v", l)
				}
			})
		}
	})
}

// A 2 MB body of '[' is refused fast by the iterative depth check, and the
// VM stays healthy: the next request on it passes.
func TestRequestDepthBomb(t *testing.T) {
	cfg := `{"routes": [{"name": "big", "match": {"prefix": "/big"}, "request": {"max_body_bytes": 4194304, "json": {}}},
	                    {"name": "dflt", "match": {"prefix": "/dflt"}, "request": {"json": {}}}]}`
	bomb := bytes.Repeat([]byte("["), 2<<20)
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, cfg, bufferLimit(5<<20))
		vm := e.Worker(0)
		runTable(t, e, []exchange{
			{name: "2 MB of [", req: host.Request{Method: "POST", Path: "/big", Body: bomb}, want: 400, reason: problem.ReasonJSONDepth},
			{name: "2 MB of [ in 64 KiB chunks", req: host.Request{Method: "POST", Path: "/big", Body: bomb, ChunkSize: 64 << 10}, want: 400, reason: problem.ReasonJSONDepth},
			{name: "2 MB of [ declared over the default cap", req: host.Request{Method: "POST", Path: "/dflt", Body: bomb,
				Headers: headers("content-length", fmt.Sprint(len(bomb)))}, want: 413, reason: problem.ReasonBodyTooLarge},
			{name: "2 MB of [ streamed over the default cap", req: host.Request{Method: "POST", Path: "/dflt", Body: bomb, ChunkSize: 64 << 10}, want: 413, reason: problem.ReasonBodyTooLarge},
			{name: "then a normal request", req: post("/big", `{"ok":[1,2,3]}`), want: 200},
		})
		if failed, why := vm.Failed(); failed {
			t.Fatalf("the VM failed: %s", why)
		}
	})
}

// The reasons reqcheck reports are the reasons the plugin declares.
func TestRequestReasonsDeclared(t *testing.T) {
	declared := map[problem.Reason]bool{}
	for _, r := range []problem.Reason{
		problem.ReasonJSONSyntax, problem.ReasonJSONDepth, problem.ReasonJSONKeys, problem.ReasonJSONItems,
		problem.ReasonJSONStringSize, problem.ReasonJSONDuplicateKey, problem.ReasonJSONDuplicateKeyCase,
		problem.ReasonJSONUTF8, problem.ReasonJSONTrailingData, problem.ReasonJSONEmpty, problem.ReasonJSONInvalid,
		problem.ReasonJSONFieldMissing, problem.ReasonJSONFieldType,
	} {
		declared[r] = true
	}
	for _, f := range reqcheck.Failures() {
		if !declared[problem.Reason(f.String())] {
			t.Errorf("reqcheck failure %q has no declared problem.Reason", f)
		}
	}
	if len(declared) != len(reqcheck.Failures()) {
		t.Errorf("%d declared json reasons, %d reqcheck failures", len(declared), len(reqcheck.Failures()))
	}
}

// Nothing of a body reaches the log: refusal lines carry the reason only.
func TestRequestLogsNoBody(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, requestConfig(true))
		vm := e.Worker(0)
		vm.RoundTrip(post("/json", `{"items":[],"password":"hunter2-SECRET","password":"x"}`, "x-request-id", "r1"), nil)
		lines := e.LogsContaining("apiguard: deny route=json")
		if len(lines) != 1 || lines[0].Msg != `apiguard: deny route=json status=400 reason=json_duplicate_key request_id="r1"` {
			t.Fatalf("deny lines %v", lines)
		}
		for _, l := range e.Logs() {
			if strings.Contains(l.Msg, "SECRET") {
				t.Errorf("body content in the log: %s", l.Msg)
			}
		}
	})
}
