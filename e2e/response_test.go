package e2e

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// respConfig has a route with every response rule, a masking route, a
// report-only route, a route with response rules and API-key auth, and
// routes without response rules. hold_headers is set by respEnvoy.
const respConfig = `{
  %HOLD%
  "audit_log": true,
  "providers": {"keys": {"api_keys": {"from": [{"header": "x-api-key"}],
    "keys": [{"id": "k1", "sha256": "6f05445cd02d50952714c41e70450ceb77a4fd30cf93e13b914417c86e0d0ec4"}]}}},
  "default": {},
  "routes": [
    {"name": "orders", "match": {"prefix": "/orders"},
     "response": {"max_body_bytes": 2048,
       "allow": ["id", "name", "customer", "orders.#.id", "orders.#.total"],
       "redact": {"paths": ["customer.ssn"], "keys": ["password", "secret"]},
       "pass_types": ["text/csv"]}},
    {"name": "masked", "match": {"prefix": "/masked"},
     "response": {"redact": {"keys": ["token"], "action": "mask", "mask": "[redacted]"}}},
    {"name": "report", "match": {"prefix": "/report"}, "enforce": false,
     "response": {"max_body_bytes": 64, "redact": {"keys": ["password"]}}},
    {"name": "private", "match": {"prefix": "/private"}, "auth": {"providers": ["keys"]},
     "response": {"redact": {"keys": ["password"]}}},
    {"name": "plain", "match": {"prefix": "/plain"}}
  ]
}`

func respEnvoy(t testing.TB, g guest, hold bool, extra string) *host.Envoy {
	t.Helper()
	cfg := strings.Replace(respConfig, "%HOLD%", `"hold_headers": `+map[bool]string{true: "true", false: "false"}[hold]+","+extra, 1)
	if hold {
		return start(t, g, cfg)
	}
	return start(t, g, cfg, noHold())
}

// The upstream document of /orders and what the client must get.
const (
	ordersDoc = `{"id":7,"name":"Ada","email":"ada@example.com",` +
		`"customer":{"ssn":"078-05-1120","tier":"gold","Password":"hunter2"},` +
		`"orders":[{"id":1,"total":10,"card":"4242"},{"id":2,"total":5,"p\u0061ssword":"x"}],"secret":"s3"}`
	ordersRedacted = `{"id":7,"name":"Ada","customer":{"tier":"gold"},"orders":[{"id":1,"total":10},{"id":2,"total":5}]}`
)

// sensitive are the values of ordersDoc no client and no log may see.
var sensitive = []string{"ada@example.com", "078-05-1120", "hunter2", "4242", "s3"}

func jsonResp(status int, body string, kv ...string) *host.Response {
	return &host.Response{Status: status, Headers: headers(append([]string{"content-type", "application/json"}, kv...)...), Body: []byte(body)}
}

func typedResp(ctype, body string, kv ...string) *host.Response {
	h := headers(kv...)
	if ctype != "" {
		h = append(h, proxy.Pair{Key: "content-type", Value: ctype})
	}
	return &host.Response{Status: 200, Headers: h, Body: []byte(body)}
}

func chunked(r *host.Response, size int) *host.Response {
	c := *r
	c.ChunkSize = size
	return &c
}

func withLength(r *host.Response) *host.Response {
	c := *r
	c.Headers = append(append([]proxy.Pair(nil), r.Headers...), proxy.Pair{Key: "content-length", Value: strconv.Itoa(len(r.Body))})
	return &c
}

// respCase is one exchange of the response table.
type respCase struct {
	name string
	path string
	req  []proxy.Pair
	resp *host.Response
	want int
	// body the client must get exactly; refusals get the problem+json
	// of want and are checked automatically.
	body string
	// reason of a 502 refusal (response code details apiguard_<reason>);
	// with late set and headers not held, the stream is reset instead.
	reason problem.Reason
	late   bool
	// sanitized: the answer is the generic problem+json of want, sent by
	// 5xx sanitising.
	sanitized bool
	headers   map[string]string
}

func runResp(t *testing.T, e *host.Envoy, hold bool, cases []respCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Helper()
			req := host.Request{Path: c.path, Headers: append(headers("x-request-id", "rq-1"), c.req...)}
			resp := *c.resp
			r := e.Worker(0).RoundTrip(req, func(host.UpstreamRequest) host.Response { return resp })
			checkResp(t, e, hold, c, r)
		})
	}
}

func checkResp(t *testing.T, e *host.Envoy, hold bool, c respCase, r host.Result) {
	t.Helper()
	d := r.Downstream
	if !r.UpstreamCalled {
		t.Fatalf("the request did not reach upstream (status %d, details %q)\nlogs:\n%s", d.Status, d.Details, logText(e))
	}
	if c.reason != "" && c.late && !hold {
		// Headers went before the body verdict: Envoy resets the stream.
		if !d.Reset || d.Details != "apiguard_"+string(c.reason) {
			t.Fatalf("want a reset with details apiguard_%s, got reset=%v details %q status %d body %q", c.reason, d.Reset, d.Details, d.Status, d.Body)
		}
		if bytes.Contains(d.Body, []byte("password")) {
			t.Errorf("part of the refused body reached the client: %q", d.Body)
		}
		return
	}
	if d.Status != c.want || d.Reset {
		t.Fatalf("status %d (reset %v, details %q, body %s), want %d\nlogs:\n%s", d.Status, d.Reset, d.Details, d.Body, c.want, logText(e))
	}
	switch {
	case c.reason != "" || c.sanitized:
		details := "apiguard_" + string(c.reason)
		if c.sanitized {
			details = "upstream_5xx_sanitized"
		}
		if d.LocalReply != details {
			t.Errorf("details %q, want %q", d.LocalReply, details)
		}
		if got := d.Header("content-type"); got != problem.ContentType {
			t.Errorf("content-type %q, want %q", got, problem.ContentType)
		}
		if want := problem.Body(c.want, "rq-1"); !bytes.Equal(d.Body, want) {
			t.Errorf("body %s, want %s", d.Body, want)
		}
		for k, v := range map[string]string{"cache-control": "no-store", "x-content-type-options": "nosniff",
			"strict-transport-security": "max-age=31536000"} {
			if got := d.Header(k); got != v {
				t.Errorf("%s = %q on a filter-generated response, want %q", k, got, v)
			}
		}
	default:
		if d.LocalReply != "" {
			t.Errorf("unexpected local reply %q", d.LocalReply)
		}
		if c.body != "" && string(d.Body) != c.body {
			t.Errorf("body\n%s\nwant\n%s", d.Body, c.body)
		}
	}
	for k, v := range c.headers {
		got, ok := header(d.Headers, k)
		if v == "" && ok {
			t.Errorf("response header %s = %q, want absent", k, got)
		} else if v != "" && got != v {
			t.Errorf("response header %s = %q, want %q", k, got, v)
		}
	}
}

// TestResponseInspection is the behaviour table of response protection,
// under both hold modes (hold_headers true with Envoy's
// allow_on_headers_stop_iteration, and false without it).
func TestResponseInspection(t *testing.T) {
	orders := jsonResp(200, ordersDoc, "server", "nginx", "x-powered-by", "php")
	big := `{"pad":"` + strings.Repeat("x", 2100) + `","password":"hunter2"}`
	for _, hold := range []bool{true, false} {
		mode := map[bool]string{true: "hold", false: "no-hold"}[hold]
		t.Run(mode, func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				e := respEnvoy(t, g, hold, "")
				runResp(t, e, hold, []respCase{
					{name: "redacted and projected", path: "/orders", resp: orders, want: 200, body: ordersRedacted,
						headers: map[string]string{"content-type": "application/json", "content-length": "",
							"server": "", "x-powered-by": "", "x-content-type-options": "nosniff",
							"strict-transport-security": "max-age=31536000"}},
					{name: "content-length removed", path: "/orders", resp: withLength(orders), want: 200, body: ordersRedacted,
						headers: map[string]string{"content-length": ""}},
					{name: "many chunks", path: "/orders", resp: chunked(orders, 7), want: 200, body: ordersRedacted},
					{name: "one-byte chunks", path: "/orders", resp: chunked(orders, 1), want: 200, body: ordersRedacted},
					{name: "body then trailers", path: "/orders", want: 200, body: ordersRedacted,
						resp: &host.Response{Status: 200, Headers: headers("content-type", "application/json"), Body: []byte(ordersDoc), ChunkSize: 50, Trailers: headers("x-checksum", "1")}},
					{name: "every status is inspected", path: "/orders", resp: jsonResp(404, ordersDoc), want: 404, body: ordersRedacted},
					{name: "second content type", path: "/orders", resp: jsonResp(200, ordersDoc, "content-type", "x"), want: 502, reason: problem.ReasonResponseNotJSON},
					{name: "json with parameters", path: "/orders", resp: typedResp("Application/JSON; charset=utf-8", ordersDoc), want: 200, body: ordersRedacted},
					{name: "+json type", path: "/orders", resp: typedResp("application/vnd.api+json", ordersDoc), want: 200, body: ordersRedacted},
					{name: "untyped and parsing", path: "/orders", resp: typedResp("", ordersDoc), want: 200, body: ordersRedacted},
					{name: "untyped and not parsing", path: "/orders", resp: typedResp("", "password=hunter2"), want: 502, reason: problem.ReasonResponseNotJSON, late: true},
					{name: "other type", path: "/orders", resp: typedResp("text/html", "<b>hunter2</b>"), want: 502, reason: problem.ReasonResponseNotJSON},
					{name: "text/json is not JSON", path: "/orders", resp: typedResp("text/json", ordersDoc), want: 502, reason: problem.ReasonResponseNotJSON},
					{name: "pass type untouched", path: "/orders", resp: withLength(typedResp("text/csv", "ssn,password\n1,hunter2\n")), want: 200,
						body: "ssn,password\n1,hunter2\n", headers: map[string]string{"content-length": "23"}},
					{name: "pass type with parameters", path: "/orders", resp: typedResp("text/CSV; header=present", "a,b\n"), want: 200, body: "a,b\n"},
					{name: "partial content", path: "/orders", resp: &host.Response{Status: 206, Headers: headers("content-type", "application/json", "content-range", "bytes 0-9/99"), Body: []byte(`{"id":1}`)},
						want: 502, reason: problem.ReasonResponsePartial},
					{name: "compressed", path: "/orders", resp: jsonResp(200, "\x1f\x8b\x08\x00", "content-encoding", "gzip"), want: 502, reason: problem.ReasonResponseCompressed},
					{name: "compressed twice", path: "/orders", resp: jsonResp(200, ordersDoc, "content-encoding", "identity, br"), want: 502, reason: problem.ReasonResponseCompressed},
					{name: "identity encoding", path: "/orders", resp: jsonResp(200, ordersDoc, "content-encoding", "Identity"), want: 200, body: ordersRedacted},
					{name: "declared length over the cap", path: "/orders", resp: withLength(jsonResp(200, big)), want: 502, reason: problem.ReasonResponseTooLarge},
					{name: "streamed over the cap", path: "/orders", resp: chunked(jsonResp(200, big), 512), want: 502, reason: problem.ReasonResponseTooLarge, late: true},
					{name: "at the cap", path: "/orders", resp: jsonResp(200, `{"id":"`+strings.Repeat("y", 2048-9)+`"}`), want: 200},
					{name: "invalid JSON", path: "/orders", resp: jsonResp(200, `{"id":1,"password":"hunter2",}`), want: 502, reason: problem.ReasonResponseInvalidJSON, late: true},
					{name: "invalid UTF-8", path: "/orders", resp: jsonResp(200, "{\"id\":\"\xff\"}"), want: 502, reason: problem.ReasonResponseInvalidJSON, late: true},
					{name: "duplicate key", path: "/orders", resp: chunked(jsonResp(200, `{"id":1,"customer":{"ssn":"1"},"customer":{"ssn":"078-05-1120"}}`), 10),
						want: 502, reason: problem.ReasonResponseDuplicateKey, late: true},
					{name: "escaped duplicate key", path: "/orders", resp: jsonResp(200, `{"id":1,"\u0069d":2}`), want: 502, reason: problem.ReasonResponseDuplicateKey, late: true},
					{name: "two content types", path: "/orders", resp: jsonResp(200, ordersDoc, "content-type", "text/csv"), want: 502, reason: problem.ReasonResponseNotJSON},
					{name: "no body", path: "/orders", resp: &host.Response{Status: 204, Headers: headers("content-type", "application/json")}, want: 204},
					{name: "empty body", path: "/orders", resp: &host.Response{Status: 200, Headers: headers("content-type", "application/json"), Body: nil, Trailers: headers("x-t", "1")}, want: 200},
					{name: "top level that does not fit", path: "/orders", resp: jsonResp(200, `[{"id":1}]`), want: 200, body: `null`},
					{name: "mask", path: "/masked", resp: jsonResp(200, `{"a":{"Token":{"x":1}},"b":[{"token":null}],"c":"token"}`), want: 200,
						body: `{"a":{"Token":"[redacted]"},"b":[{"token":"[redacted]"}],"c":"token"}`},
					{name: "no rules: untouched", path: "/plain", resp: withLength(jsonResp(200, ordersDoc)), want: 200, body: ordersDoc,
						headers: map[string]string{"content-length": strconv.Itoa(len(ordersDoc))}},
					{name: "no rules: any type", path: "/plain", resp: jsonResp(200, "not json", "content-encoding", "gzip"), want: 200, body: "not json"},
					{name: "5xx sanitised", path: "/orders", resp: jsonResp(503, `{"stack":"at db.go:12 password=hunter2"}`, "x-debug", "db-7", "retry-after", "5"),
						want: 503, sanitized: true, headers: map[string]string{"x-debug": "", "retry-after": ""}},
					{name: "no rules: html passes", path: "/plain", resp: typedResp("text/html", "<pre>hunter2</pre>"), want: 200, body: "<pre>hunter2</pre>"},
					{name: "500 sanitised without rules", path: "/plain", resp: &host.Response{Status: 500, Headers: headers("content-type", "text/html"), Body: []byte("<pre>panic</pre>")},
						want: 500, sanitized: true},
					{name: "599 sanitised, no body", path: "/plain", resp: &host.Response{Status: 599}, want: 599, sanitized: true},
					{name: "4xx is not sanitised", path: "/plain", resp: jsonResp(409, `{"why":"conflict"}`), want: 409, body: `{"why":"conflict"}`},
				})
				if got := metric(t, e, "apiguard.route.orders.redactions"); got == 0 {
					t.Errorf("no redactions counted for the orders route")
				}
				if got := metric(t, e, "apiguard.denied.response_duplicate_key"); got != 2 {
					t.Errorf("denied.response_duplicate_key = %d, want 2", got)
				}
				if got := metric(t, e, "apiguard.upstream_5xx_sanitized"); got != 3 {
					t.Errorf("upstream_5xx_sanitized = %d, want 3", got)
				}
				for _, l := range e.Logs() {
					for _, v := range sensitive {
						if strings.Contains(l.String(), v) {
							t.Errorf("a redacted value reached the log: %s", l)
						}
					}
				}
			})
		})
	}
}

// The redaction counter counts values redacted, per route.
func TestResponseRedactionMetric(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := respEnvoy(t, g, true, "")
		runResp(t, e, true, []respCase{
			// customer.ssn and customer.Password; allow drops email, card,
			// secret and orders[1]'s password first, which are not counted.
			{name: "orders", path: "/orders", resp: jsonResp(200, ordersDoc), want: 200, body: ordersRedacted},
			{name: "masked", path: "/masked", resp: jsonResp(200, `[{"token":1},{"token":2}]`), want: 200, body: `[{"token":"[redacted]"},{"token":"[redacted]"}]`},
			{name: "nothing to redact", path: "/masked", resp: jsonResp(200, `{"a":1}`), want: 200, body: `{"a":1}`},
		})
		if got := metric(t, e, "apiguard.route.orders.redactions"); got != 2 {
			t.Errorf("orders redactions = %d, want 2", got)
		}
		if got := metric(t, e, "apiguard.route.masked.redactions"); got != 2 {
			t.Errorf("masked redactions = %d, want 2", got)
		}
	})
}

// errors.sanitize_upstream_5xx: false lets upstream 5xx through; on a route
// with response rules they are then inspected like any status.
func TestResponseNoSanitising(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := respEnvoy(t, g, true, `"errors": {"sanitize_upstream_5xx": false},`)
		runResp(t, e, true, []respCase{
			{name: "plain 503", path: "/plain", resp: typedResp("text/html", "<b>down</b>", ":status", "503"), want: 503, body: "<b>down</b>"},
			{name: "inspected 500", path: "/orders", resp: jsonResp(500, ordersDoc), want: 500, body: ordersRedacted},
			{name: "refused 502", path: "/orders", resp: &host.Response{Status: 502, Headers: headers("content-type", "text/html"), Body: []byte("x")},
				want: 502, reason: problem.ReasonResponseNotJSON},
		})
	})
}

// enforce:false: response checks are logged and counted, and the response
// goes on untouched; the request is not edited either.
func TestResponseReportOnly(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := respEnvoy(t, g, true, "")
		doc := `{"password":"hunter2"}`
		runResp(t, e, true, []respCase{
			{name: "would redact", path: "/report", resp: withLength(jsonResp(200, doc)), want: 200, body: doc,
				headers: map[string]string{"content-length": strconv.Itoa(len(doc))}},
			{name: "would refuse a type", path: "/report", resp: typedResp("text/html", "<b>"), want: 200, body: "<b>"},
			{name: "would refuse a duplicate", path: "/report", resp: jsonResp(200, `{"a":1,"a":2}`), want: 200, body: `{"a":1,"a":2}`},
			{name: "would refuse the size", path: "/report", resp: chunked(jsonResp(200, `{"a":"`+strings.Repeat("z", 100)+`"}`), 16), want: 200,
				body: `{"a":"` + strings.Repeat("z", 100) + `"}`},
			{name: "5xx is still sanitised", path: "/report", resp: jsonResp(500, doc), want: 500, sanitized: true},
		})
		for name, want := range map[string]int64{
			"apiguard.route.report.redactions":         1,
			"apiguard.reported.response_not_json":      1,
			"apiguard.reported.response_duplicate_key": 1,
			"apiguard.reported.response_too_large":     1,
			"apiguard.denied.response_too_large":       0,
			"apiguard.denied.response_duplicate_key":   0,
			"apiguard.denied.response_not_json":        0,
			"apiguard.upstream_5xx_sanitized":          1,
		} {
			if got := metricWant(t, e, name, want); got != want {
				t.Errorf("%s = %d, want %d", name, got, want)
			}
		}
		if n := len(e.LogsContaining("apiguard: report route=report status=502 reason=response_")); n != 3 {
			t.Errorf("%d report lines, want 3\n%s", n, logText(e))
		}
		r := e.Worker(0).RoundTrip(host.Request{Path: "/report", Headers: headers("range", "bytes=0-1", "accept-encoding", "gzip")},
			func(host.UpstreamRequest) host.Response { return *jsonResp(200, `{}`) })
		if r.Upstream.Header("range") != "bytes=0-1" || r.Upstream.Header("accept-encoding") != "gzip" {
			t.Errorf("a report-only route edited the request: %v", r.Upstream.Headers)
		}
	})
}

// On routes with response rules the request loses Range and If-Range and
// asks for an identity encoding; other routes pass them on.
func TestResponseRequestHeaders(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := respEnvoy(t, g, true, "")
		req := headers("range", "bytes=0-99", "if-range", `"v1"`, "accept-encoding", "gzip, br")
		runTable(t, e, []exchange{
			{name: "inspected route", req: host.Request{Path: "/orders", Headers: req}, want: 200,
				upHeaders: map[string]string{"range": "", "if-range": "", "accept-encoding": "identity"}},
			{name: "no accept-encoding", req: host.Request{Path: "/masked"}, want: 200,
				upHeaders: map[string]string{"accept-encoding": "identity"}},
			{name: "route without rules", req: host.Request{Path: "/plain", Headers: req}, want: 200,
				upHeaders: map[string]string{"range": "bytes=0-99", "if-range": `"v1"`, "accept-encoding": "gzip, br"}},
		})
	})
}

// Holding: with hold_headers the client sees nothing until the body
// verdict; without it the headers go at once and only the body is held.
// Routes without response rules and pass_types never buffer.
func TestResponseBuffering(t *testing.T) {
	for _, hold := range []bool{true, false} {
		t.Run(map[bool]string{true: "hold", false: "no-hold"}[hold], func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				e := respEnvoy(t, g, hold, "")
				open := func(path string, h ...string) *host.Stream {
					s := e.Worker(0).NewStream(host.StreamProps{})
					s.RequestHeaders(headers(":method", "GET", ":scheme", "https", ":authority", "api.example.com", ":path", path), true)
					s.ResponseHeaders(headers(append([]string{":status", "200"}, h...)...), false)
					return s
				}
				s := open("/orders", "content-type", "application/json")
				if d := s.Downstream(); hold != (d.Headers == nil) {
					t.Errorf("hold=%v but the client has headers=%v", hold, d.Headers != nil)
				}
				s.ResponseBody([]byte(`{"id":1,"pass`), false)
				if d := s.Downstream(); len(d.Body) != 0 {
					t.Errorf("part of an inspected body reached the client: %q", d.Body)
				}
				s.ResponseBody([]byte(`word":"x"}`), true)
				if d := s.Downstream(); string(d.Body) != `{"id":1}` || !d.EndOfStream || d.Status != 200 {
					t.Errorf("client got %d %q eos=%v", d.Status, d.Body, d.EndOfStream)
				}
				for _, path := range []string{"/plain", "/orders"} {
					s := open(path, "content-type", "text/csv", "content-length", "20")
					if d := s.Downstream(); d.Headers == nil || d.Header("content-length") != "20" {
						t.Errorf("%s: headers held or changed: %v", path, d.Headers)
					}
					s.ResponseBody([]byte("first,"), false)
					if d := s.Downstream(); string(d.Body) != "first," {
						t.Errorf("%s: the first chunk was buffered (client has %q)", path, d.Body)
					}
					s.ResponseBody([]byte("password,hunter2"), true)
				}
			})
		})
	}
}

// no-store on responses to authenticated requests (security_headers),
// replacing upstream's value; anonymous responses keep theirs.
func TestResponseAuthenticatedNoStore(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := respEnvoy(t, g, true, "")
		cached := jsonResp(200, `{"password":"p","ok":true}`, "cache-control", "max-age=600")
		runResp(t, e, true, []respCase{
			{name: "authenticated", path: "/private", req: headers("x-api-key", "resp-key-1"), resp: cached, want: 200,
				body: `{"ok":true}`, headers: map[string]string{"cache-control": "no-store"}},
			{name: "anonymous route", path: "/masked", resp: cached, want: 200, headers: map[string]string{"cache-control": "max-age=600"}},
		})
	})
}
