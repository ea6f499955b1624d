package e2e

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/reqcheck"
)

// Request bodies (steps 6, 7 and 12): forbidden query parameters, declared
// and streamed caps, JSON checks in both header modes and in any chunking,
// upgrades, report-only routes; routes that do not read bodies never
// buffer them.

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

func bufferLimit(n int) envoyOpt { return func(c *host.Config) { c.BufferLimit = n } }

func TestRequest_forbiddenQuery(t *testing.T) {
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

// TestRequest_body runs the body table in both hold modes, in one chunk, in
// 1-byte chunks and followed by trailers: every split gives the same
// answer, and what reached upstream is what each mode promises.
func TestRequest_body(t *testing.T) {
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

func TestRequest_declaredLength(t *testing.T) {
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
func TestRequest_emptyBody(t *testing.T) {
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
func TestRequest_upgrade(t *testing.T) {
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
func TestRequest_reportOnly(t *testing.T) {
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
func TestRequest_depthBomb(t *testing.T) {
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
func TestRequest_reasonsDeclared(t *testing.T) {
	declared := map[problem.Reason]bool{}
	for _, r := range []problem.Reason{
		problem.ReasonJSONSyntax, problem.ReasonJSONDepth, problem.ReasonJSONKeys, problem.ReasonJSONItems,
		problem.ReasonJSONStringSize, problem.ReasonJSONDuplicateKey, problem.ReasonJSONDuplicateKeyCase,
		problem.ReasonJSONUTF8, problem.ReasonJSONTrailingData, problem.ReasonJSONEmpty, problem.ReasonJSONInvalid,
		problem.ReasonJSONFieldMissing, problem.ReasonJSONFieldType, problem.ReasonJSONSchema, problem.ReasonJSONSchemaNotAllowed,
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

// actionLog records what the guest answered to every body callback.
type actionLog struct {
	mu        sync.Mutex
	req, resp []proxy.Action
}

func (l *actionLog) reset() {
	l.mu.Lock()
	l.req, l.resp = nil, nil
	l.mu.Unlock()
}

func (l *actionLog) snapshot() (req, resp []proxy.Action) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]proxy.Action(nil), l.req...), append([]proxy.Action(nil), l.resp...)
}

// recordingHandler passes every call to the guest and records the actions
// of its body callbacks.
type recordingHandler struct {
	proxy.Handler
	log *actionLog
}

func (h recordingHandler) OnRequestBody(id uint32, size int, eos bool) proxy.Action {
	a := h.Handler.OnRequestBody(id, size, eos)
	h.log.mu.Lock()
	h.log.req = append(h.log.req, a)
	h.log.mu.Unlock()
	return a
}

func (h recordingHandler) OnResponseBody(id uint32, size int, eos bool) proxy.Action {
	a := h.Handler.OnResponseBody(id, size, eos)
	h.log.mu.Lock()
	h.log.resp = append(h.log.resp, a)
	h.log.mu.Unlock()
	return a
}

// recorded wraps a guest (native, or the module through wazero) so that
// its body actions are recorded.
func recorded(g guest, l *actionLog) guest {
	return withHandler(g, func(h proxy.Handler) proxy.Handler { return recordingHandler{Handler: h, log: l} })
}

// auditNoBufferConfig: routes whose request body is never read (no
// checks, response rules only, auth, local rate limit, cap only) and one
// that reads it.
const auditNoBufferConfig = `{
  "hold_headers": %v,
  "providers": {"keys": {"api_keys": {"from": [{"header": "x-api-key"}],
    "keys": [{"id": "k1", "sha256": "6f05445cd02d50952714c41e70450ceb77a4fd30cf93e13b914417c86e0d0ec4"}]}}},
  "routes": [
    {"name": "open", "match": {"prefix": "/open"}},
    {"name": "resp", "match": {"prefix": "/resp"}, "response": {"redact": {"keys": ["password"]}}},
    {"name": "auth", "match": {"prefix": "/auth"}, "auth": {"providers": ["keys"], "allow_missing": true}},
    {"name": "limited", "match": {"prefix": "/limited"},
     "rate_limits": [{"name": "lim", "key": "ip", "limit": 100, "window": "1m"}]},
    {"name": "capped", "match": {"prefix": "/capped"}, "request": {"max_body_bytes": 100,
     "forbid_query_params": ["access_token"]}},
    {"name": "json", "match": {"prefix": "/json"}, "request": {"json": {}}}
  ]
}`

// TestRequest_bodyNeverBufferedUnread: docs/configuration.md "request": with no body rule
// the body is never buffered, and a route that only caps streams: every request
// body callback answers Continue (never StopIterationAndBuffer), and each
// chunk reaches upstream before the next is sent, in both hold modes. A
// route without response rules never buffers a response either.
func TestRequest_bodyNeverBufferedUnread(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		for _, m := range holdModes {
			t.Run(m.name, func(t *testing.T) {
				var log actionLog
				e := start(t, recorded(g, &log), fmt.Sprintf(auditNoBufferConfig, m.hold), m.opts...)
				for _, path := range []string{"/open", "/resp", "/auth", "/limited", "/capped"} {
					t.Run(path, func(t *testing.T) {
						log.reset()
						s := e.Worker(0).NewStream(host.StreamProps{SourceAddress: "203.0.113.7:1"})
						s.RequestHeaders(headers(":method", "POST", ":scheme", "http", ":authority", "api", ":path", path,
							"content-type", "application/json"), false)
						for i, chunk := range []string{`{"a":`, `[1,2,`, `3]}`} {
							s.RequestBody([]byte(chunk), i == 2)
							want := strings.Join([]string{`{"a":`, `[1,2,`, `3]}`}[:i+1], "")
							if up := s.Upstream(); up.Headers == nil || string(up.Body) != want {
								t.Fatalf("after chunk %d upstream has headers=%v body %q, want %q (held)", i, up.Headers != nil, up.Body, want)
							}
						}
						s.ResponseHeaders(headers(":status", "200", "content-type", "text/plain"), false)
						s.ResponseBody([]byte("first"), false)
						if d := s.Downstream(); path != "/resp" && string(d.Body) != "first" {
							t.Errorf("the response was held on a route without response rules: %q", d.Body)
						}
						s.ResponseBody([]byte(" last"), true)
						s.Complete()
						req, resp := log.snapshot()
						if len(req) != 3 {
							t.Errorf("%d request body callbacks, want 3", len(req))
						}
						for i, a := range req {
							if a != proxy.Continue {
								t.Errorf("request body callback %d answered %v, want Continue", i, a)
							}
						}
						if path != "/resp" {
							for i, a := range resp {
								if a != proxy.Continue {
									t.Errorf("response body callback %d answered %v, want Continue", i, a)
								}
							}
						}
					})
				}
				// The control: a route that reads the body does buffer it, so
				// the recording above would have seen it.
				log.reset()
				roundTrip(e.Worker(0), exchange{req: host.Request{Method: "POST", Path: "/json", Body: []byte(`{"a":1}`), ChunkSize: 2}})
				if req, _ := log.snapshot(); len(req) == 0 || req[0] != proxy.StopIterationAndBuffer {
					t.Errorf("json route body actions %v: the recording does not see buffering", req)
				}
			})
		}
	})
}
