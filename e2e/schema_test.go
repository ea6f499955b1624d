package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
)

// Schemas (docs/schemas.md): the positive security model. Request bodies
// against request.json.schema (step 12: mass assignment through readOnly,
// undeclared and case-variant members; type and bound violations;
// pathological bodies), errors.validation_details, and responses validated
// and projected onto response.schemas (writeOnly leaks, undeclared members,
// both schema_violation modes, report-only routes, the filter's own answers).

// schemaDefs are the schemas of docs/configuration.md's example, with a
// role the client may not set (readOnly) and an Item without
// additionalProperties: false (as most OpenAPI documents are written).
const schemaDefs = `{
  "OrderCreate": {"type": "object", "additionalProperties": false, "required": ["items"],
    "properties": {"id": {"type": "string", "readOnly": true}, "customer_id": {"type": "string"},
      "role": {"type": "string", "readOnly": true},
      "items": {"type": "array", "maxItems": 100, "items": {"$ref": "#/schemas/Item"}}}},
  "OpenCreate": {"type": "object", "required": ["items"],
    "properties": {"id": {"type": "string", "readOnly": true}, "customer_id": {"type": "string"},
      "items": {"type": "array", "maxItems": 100, "items": {"$ref": "#/schemas/Item"}}}},
  "Item": {"type": "object", "required": ["sku", "qty"],
    "properties": {"sku": {"type": "string", "pattern": "^[A-Z0-9-]{3,32}$"},
      "qty": {"type": "integer", "minimum": 1, "maximum": 999}}},
  "Order": {"type": "object", "required": ["id"],
    "properties": {"id": {"type": "string"}, "items": {"type": "array", "items": {"$ref": "#/schemas/Item"}},
      "card_number": {"type": "string", "writeOnly": true}, "password": {"type": "string", "writeOnly": true},
      "meta": {"type": "object"}}}
}`

func schemaConfig(hold, details bool) string {
	return `{"hold_headers": ` + fmt.Sprint(hold) + `,
  "errors": {"validation_details": ` + fmt.Sprint(details) + `},
  "schemas": ` + schemaDefs + `,
  "routes": [
    {"name": "orders", "match": {"path": "/orders", "methods": ["POST"]},
     "request": {"json": {"schema": "OrderCreate"}}, "response": {"schemas": {"default": "Order"}}},
    {"name": "open", "match": {"path": "/open", "methods": ["POST"]}, "request": {"json": {"schema": "OpenCreate"}}},
    {"name": "allow", "match": {"path": "/allow", "methods": ["POST"]},
     "request": {"json": {"schema": "OpenCreate", "undeclared": "allow"}}},
    {"name": "exact", "match": {"path": "/exact", "methods": ["POST"]},
     "request": {"json": {"schema": "OpenCreate", "undeclared": "allow", "case_sensitive_keys": true}}},
    {"name": "shallow", "match": {"path": "/shallow", "methods": ["POST"]},
     "request": {"json": {"schema": "OpenCreate", "max_depth": 4, "max_string_bytes": 4096}}},
    {"name": "report", "match": {"prefix": "/report"}, "response": {"schemas": {"200": "Order", "201": "Order"}}},
    {"name": "strict", "match": {"prefix": "/strict"},
     "response": {"schemas": {"2XX": "Order"}, "schema_violation": "refuse", "redact": {"keys": ["id"], "action": "mask"}}},
    {"name": "dry", "match": {"prefix": "/dry"}, "enforce": false,
     "request": {"json": {"schema": "OrderCreate"}}, "response": {"schemas": {"200": "Order"}, "schema_violation": "refuse"}}
  ]}`
}

func schemaEnvoy(t testing.TB, g guest, hold, details bool) *host.Envoy {
	t.Helper()
	if hold {
		return start(t, g, schemaConfig(true, details))
	}
	return start(t, g, schemaConfig(false, details), noHold())
}

func jpost(path, body string) host.Request {
	return post(path, body, "content-type", "application/json", "x-request-id", "rq-1")
}

const item = `{"sku":"AB-12","qty":2}`

// TestSchema_massAssignment: members a client must not set are refused
// however they are spelt, while valid bodies reach upstream byte for byte.
func TestSchema_massAssignment(t *testing.T) {
	notAllowed, violation := problem.ReasonJSONSchemaNotAllowed, problem.ReasonJSONSchema
	cases := []exchange{
		{name: "valid", req: jpost("/orders", `{"customer_id":"c1","items":[`+item+`]}`), want: 200},
		{name: "readOnly id", req: jpost("/orders", `{"id":"o-1","items":[`+item+`]}`), want: 400, reason: notAllowed},
		{name: "readOnly role", req: jpost("/orders", `{"role":"admin","items":[]}`), want: 400, reason: notAllowed},
		{name: "readOnly role escaped", req: jpost("/orders", `{"r\u006fle":"admin","items":[]}`), want: 400, reason: notAllowed},
		{name: "readOnly role on allow", req: jpost("/allow", `{"id":"x","items":[]}`), want: 400, reason: notAllowed},
		// Undeclared members: refused unless the route allows them; an
		// explicit additionalProperties: false refuses them anyway.
		{name: "is_admin (additionalProperties false)", req: jpost("/orders", `{"is_admin":true,"items":[]}`), want: 400, reason: notAllowed},
		{name: "is_admin undeclared", req: jpost("/open", `{"is_admin":true,"items":[]}`), want: 400, reason: notAllowed},
		{name: "nested undeclared price", req: jpost("/open", `{"items":[{"sku":"AB-12","qty":1,"price":0}]}`), want: 400, reason: notAllowed},
		{name: "undeclared allowed", req: jpost("/allow", `{"is_admin":true,"items":[{"sku":"AB-12","qty":1,"price":0}]}`), want: 200},
		// Case variants of declared names, which case-insensitive binders
		// (encoding/json, Jackson, System.Text.Json) read as the member.
		{name: "ID", req: jpost("/allow", `{"ID":"x","items":[]}`), want: 400, reason: notAllowed},
		{name: "Customer_Id", req: jpost("/allow", `{"Customer_Id":"c2","items":[]}`), want: 400, reason: notAllowed},
		{name: "dotted capital I", req: jpost("/allow", "{\"\u0130d\":\"x\",\"items\":[]}"), want: 400, reason: notAllowed},
		{name: "Kelvin sign in SKU", req: jpost("/allow", `{"items":[{"s\u212Au":"AB-12","qty":1}]}`), want: 400, reason: violation},
		{name: "case variant beside the member", req: jpost("/allow", `{"customer_id":"c1","Customer_ID":"c2","items":[]}`),
			want: 400, reason: problem.ReasonJSONDuplicateKeyCase},
		{name: "case-sensitive route: just undeclared", req: jpost("/exact", `{"Customer_Id":"c2","items":[]}`), want: 200},
		{name: "duplicate member", req: jpost("/orders", `{"customer_id":"a","customer_id":"b","items":[]}`),
			want: 400, reason: problem.ReasonJSONDuplicateKey},
		// Values the schema bounds.
		{name: "negative qty", req: jpost("/orders", `{"items":[{"sku":"AB-12","qty":-5}]}`), want: 400, reason: violation},
		{name: "qty 1000", req: jpost("/orders", `{"items":[{"sku":"AB-12","qty":1000}]}`), want: 400, reason: violation},
		{name: "qty beyond 2^64", req: jpost("/orders", `{"items":[{"sku":"AB-12","qty":18446744073709551617}]}`), want: 400, reason: violation},
		{name: "qty 1e400", req: jpost("/orders", `{"items":[{"sku":"AB-12","qty":1e400}]}`), want: 400, reason: violation},
		{name: "qty 1e-400", req: jpost("/orders", `{"items":[{"sku":"AB-12","qty":1e-400}]}`), want: 400, reason: violation},
		{name: "qty 2.5", req: jpost("/orders", `{"items":[{"sku":"AB-12","qty":2.5}]}`), want: 400, reason: violation},
		{name: "qty 2.0 is an integer", req: jpost("/orders", `{"items":[{"sku":"AB-12","qty":2.0}]}`), want: 200},
		{name: "qty as a string", req: jpost("/orders", `{"items":[{"sku":"AB-12","qty":"2"}]}`), want: 400, reason: violation},
		{name: "qty null", req: jpost("/orders", `{"items":[{"sku":"AB-12","qty":null}]}`), want: 400, reason: violation},
		{name: "sku pattern", req: jpost("/orders", `{"items":[{"sku":"ab","qty":1}]}`), want: 400, reason: violation},
		{name: "sku with Arabic-Indic digits", req: jpost("/orders", `{"items":[{"sku":"AB-\u0661\u0662","qty":1}]}`), want: 400, reason: violation},
		{name: "sku with a newline", req: jpost("/orders", `{"items":[{"sku":"AB-12\n","qty":1}]}`), want: 400, reason: violation},
		{name: "missing items", req: jpost("/orders", `{"customer_id":"c1"}`), want: 400, reason: violation},
		{name: "an array body", req: jpost("/orders", `[`+item+`]`), want: 400, reason: violation},
		{name: "101 items", req: jpost("/orders", `{"items":[`+strings.TrimSuffix(strings.Repeat(item+",", 101), ",")+`]}`), want: 400, reason: violation},
		{name: "100 items", req: jpost("/orders", `{"items":[`+strings.TrimSuffix(strings.Repeat(item+",", 100), ",")+`]}`), want: 200},
		{name: "both kinds: json_schema", req: jpost("/orders", `{"id":"x","items":[{"sku":"AB-12","qty":0}]}`), want: 400, reason: violation},
		// The JSON rules run in the same walk, before the schema's verdict.
		{name: "syntax", req: jpost("/orders", `{"items":[}`), want: 400, reason: problem.ReasonJSONSyntax},
		{name: "trailing data", req: jpost("/orders", `{"items":[]}{"role":"admin"}`), want: 400, reason: problem.ReasonJSONTrailingData},
		{name: "invalid UTF-8", req: jpost("/orders", "{\"customer_id\":\"\xff\",\"items\":[]}"), want: 400, reason: problem.ReasonJSONUTF8},
		// Pathological bodies: deep nesting stops at max_depth; a long
		// string against a pattern is linear (RE2) and bounded.
		{name: "deep nesting", req: jpost("/shallow", `{"items":[{"sku":"AB-12","qty":1,"x":[[[[1]]]]}]}`), want: 400, reason: problem.ReasonJSONDepth},
		{name: "very deep nesting", req: jpost("/orders", strings.Repeat("[", 5000)+strings.Repeat("]", 5000)), want: 400, reason: problem.ReasonJSONDepth},
		{name: "long sku", req: jpost("/shallow", `{"items":[{"sku":"`+strings.Repeat("A", 4000)+`","qty":1}]}`), want: 400, reason: violation},
		{name: "string over the cap", req: jpost("/shallow", `{"customer_id":"`+strings.Repeat("A", 5000)+`","items":[]}`), want: 400, reason: problem.ReasonJSONStringSize},
	}
	for _, m := range holdModes {
		t.Run(m.name, func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				e := schemaEnvoy(t, g, m.hold, false)
				runTable(t, e, cases)
				// What upstream saw of a valid body: the bytes the client sent.
				body := `{"customer_id":"c1","items":[` + item + `],"x-note":null}`
				r := e.Worker(0).RoundTrip(jpost("/allow", body), func(host.UpstreamRequest) host.Response { return defaultResponse })
				if r.Downstream.Status != 200 || string(r.Upstream.Body) != body {
					t.Errorf("upstream saw %q (status %d), want the body unchanged", r.Upstream.Body, r.Downstream.Status)
				}
				if got := metric(t, e, "apiguard.denied."+string(notAllowed)); got < 10 {
					t.Errorf("denied.%s = %d", notAllowed, got)
				}
			})
		})
	}
}

// TestSchema_topLevelMembers: on a schema route that admits undeclared
// members, a top-level `_method` (Laravel's method override) and a query
// parameter named like a top-level member (Rails' params merge) are still
// refused, read from the schema walk's own record of the names: after
// nested members, escaped, in an object of over 16 members; nested names
// pass.
func TestSchema_topLevelMembers(t *testing.T) {
	var wide strings.Builder
	for i := range 20 {
		fmt.Fprintf(&wide, `"m%d":{"n":[{"_method":1}]},`, i)
	}
	override, shadow := problem.ReasonMethodOverride, problem.ReasonJSONQueryShadow
	cases := []exchange{
		{name: "_method after nested members", req: jpost("/allow", `{"items":[{"sku":"AB-12","qty":1,"_method":"x"}],"_method":"DELETE"}`), want: 400, reason: override},
		{name: "_method escaped", req: jpost("/allow", `{"items":[],"\u005fMeth\u006fd":"PUT"}`), want: 400, reason: override},
		{name: "_method among 22 members", req: jpost("/allow", `{`+wide.String()+`"items":[],"_method":"PUT"}`), want: 400, reason: override},
		{name: "nested _method only", req: jpost("/allow", `{`+wide.String()+`"items":[]}`), want: 200},
		{name: "query shadow", req: jpost("/allow?page=1&Customer.ID=b", `{"customer_id":"a","items":[]}`), want: 400, reason: shadow},
		{name: "query shadow of an escaped name", req: jpost("/allow?is_admin=1", `{"is\u005fadmin":false,"items":[]}`), want: 400, reason: shadow},
		{name: "query naming a nested member", req: jpost("/allow?sku=x", `{"items":[`+item+`]}`), want: 200},
	}
	for _, m := range holdModes {
		t.Run(m.name, func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				e := schemaEnvoy(t, g, m.hold, false)
				runTable(t, e, cases)
				if got := metric(t, e, "apiguard.denied."+string(override)); got != 3 {
					t.Errorf("denied.%s = %d, want 3", override, got)
				}
			})
		})
	}
}

// TestSchema_validationDetails: with errors.validation_details a schema
// refusal lists its first ten violations (pointer and keyword, never a
// value; readOnly, undeclared and case variants alike as not-allowed);
// without it, and for every other refusal, the body is the generic one.
func TestSchema_validationDetails(t *testing.T) {
	body := `{"id":"SECRET-1","customer_id":7,"items":[{"sku":"AB-12","qty":1000,"price":"SECRET-2"},{"sku":"x/~y","qty":1}],"Role":"SECRET-3"}`
	want := `[{"pointer":"/id","rule":"not-allowed"},{"pointer":"/customer_id","rule":"type"},` +
		`{"pointer":"/items/0/qty","rule":"maximum"},{"pointer":"/items/0/price","rule":"not-allowed"},` +
		`{"pointer":"/items/1/sku","rule":"pattern"},{"pointer":"/Role","rule":"not-allowed"}]`
	for _, m := range holdModes {
		t.Run(m.name, func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				e := schemaEnvoy(t, g, m.hold, true)
				up := func(host.UpstreamRequest) host.Response { return defaultResponse }
				d := e.Worker(0).RoundTrip(jpost("/open", body), up).Downstream
				if d.Status != 400 || d.LocalReply != "apiguard_json_schema" {
					t.Fatalf("status %d details %q", d.Status, d.LocalReply)
				}
				var doc map[string]json.RawMessage
				if err := json.Unmarshal(d.Body, &doc); err != nil {
					t.Fatalf("body %s: %v", d.Body, err)
				}
				if got := string(doc["errors"]); got != want {
					t.Errorf("errors\n got %s\nwant %s", got, want)
				}
				generic := problem.Body(400, "rq-1")
				if !bytes.HasPrefix(d.Body, generic[:len(generic)-1]) {
					t.Errorf("the generic members changed: %s", d.Body)
				}
				if bytes.Contains(d.Body, []byte("SECRET")) {
					t.Errorf("a value leaked: %s", d.Body)
				}
				// Mass assignment alone: every violation is not-allowed, so
				// a readOnly member cannot be told from an unknown one.
				d = e.Worker(0).RoundTrip(jpost("/open", `{"id":"x","is_admin":true,"items":[]}`), up).Downstream
				if d.LocalReply != "apiguard_json_schema_not_allowed" ||
					!bytes.Contains(d.Body, []byte(`"errors":[{"pointer":"/id","rule":"not-allowed"},{"pointer":"/is_admin","rule":"not-allowed"}]`)) {
					t.Errorf("not-allowed: %s %s", d.LocalReply, d.Body)
				}
				// Ten at most; a pointer is at most 256 bytes.
				var many strings.Builder
				many.WriteString(`{"items":[]`)
				for i := 0; i < 30; i++ {
					fmt.Fprintf(&many, `,"x%02d%s":1`, i, strings.Repeat("k", 300))
				}
				many.WriteString("}")
				d = e.Worker(0).RoundTrip(jpost("/open", many.String()), up).Downstream
				var errs struct {
					Errors []problem.Violation `json:"errors"`
				}
				if err := json.Unmarshal(d.Body, &errs); err != nil || len(errs.Errors) != 10 {
					t.Fatalf("%d errors (%v): %s", len(errs.Errors), err, d.Body)
				}
				for _, v := range errs.Errors {
					if len(v.Pointer) > 256 || v.Rule != "not-allowed" {
						t.Errorf("violation %+v", v)
					}
				}
				// Other refusals keep the generic body.
				d = e.Worker(0).RoundTrip(jpost("/open", `{"items":[}`), up).Downstream
				if d.LocalReply != "apiguard_json_syntax" || !bytes.Equal(d.Body, problem.Body(400, "rq-1")) {
					t.Errorf("syntax refusal: %s %s", d.LocalReply, d.Body)
				}
			})
		})
	}
}

// TestSchema_responses: responses are validated, then projected onto the
// schema of their status (undeclared and writeOnly members removed,
// free-form objects kept), then allow and redact apply. A violation is
// reported and the projection served, or refused with schema_violation
// "refuse"; report-only routes change nothing; the filter's own answers
// are never projected.
func TestSchema_responses(t *testing.T) {
	leak := `{"id":"o1","card_number":"4111111111111111","password":"$2y$10$hash","internal":{"sql":"select"},` +
		`"items":[{"sku":"AB-12","qty":1,"cost":3}],"meta":{"anything":true}}`
	projected := `{"id":"o1","items":[{"sku":"AB-12","qty":1}],"meta":{"anything":true}}`
	bad := `{"id":5,"password":"$2y$10$hash"}`
	for _, m := range holdModes {
		t.Run(m.name, func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				e := schemaEnvoy(t, g, m.hold, false)
				runResp(t, e, m.hold, []respCase{
					{name: "writeOnly and undeclared removed", path: "/report", resp: jsonResp(200, leak), want: 200, body: projected,
						headers: map[string]string{"content-length": ""}},
					{name: "201 too", path: "/report", resp: jsonResp(201, leak), want: 201, body: projected},
					{name: "chunked", path: "/report", resp: chunked(jsonResp(200, leak), 5), want: 200, body: projected},
					{name: "a status without a schema is untouched", path: "/report", resp: jsonResp(404, leak), want: 404, body: leak},
					{name: "valid and nothing to remove", path: "/report", resp: jsonResp(200, `{"id":"o1"}`), want: 200, body: `{"id":"o1"}`},
					{name: "violation reported, projection served", path: "/report", resp: jsonResp(200, bad), want: 200, body: `{"id":5}`},
					{name: "class schema, then redact", path: "/strict", resp: jsonResp(202, leak), want: 202,
						body: `{"id":"****","items":[{"sku":"AB-12","qty":1}],"meta":{"anything":true}}`},
					{name: "violation refused", path: "/strict", resp: jsonResp(200, bad), want: 502, reason: problem.ReasonResponseSchema, late: true},
					{name: "missing required refused", path: "/strict", resp: jsonResp(200, `{"items":[]}`), want: 502, reason: problem.ReasonResponseSchema, late: true},
					{name: "unparsable refused", path: "/report", resp: jsonResp(200, `{"id":"o1",`), want: 502, reason: problem.ReasonResponseInvalidJSON, late: true},
					{name: "duplicate key refused", path: "/report", resp: jsonResp(200, `{"id":"o1","password":"a","password":"b"}`), want: 502,
						reason: problem.ReasonResponseDuplicateKey, late: true},
					{name: "report-only: untouched", path: "/dry", resp: jsonResp(200, bad), want: 200, body: bad},
					{name: "upstream 5xx sanitised, not projected", path: "/report", resp: jsonResp(500, leak), want: 500, sanitized: true},
				})
				if got := metric(t, e, "apiguard.reported.response_schema"); got != 2 {
					t.Errorf("reported.response_schema = %d, want 2 (report mode and the report-only route)", got)
				}
				if got := len(e.LogsContaining("apiguard: report route=report status=502 reason=response_schema")); got != 1 {
					t.Errorf("%d report lines for the report route\n%s", got, logText(e))
				}
				if m.hold {
					if got := metric(t, e, "apiguard.denied.response_schema"); got != 2 {
						t.Errorf("denied.response_schema = %d, want 2", got)
					}
				}
				for _, l := range e.Logs() {
					if strings.Contains(l.Msg, "4111") || strings.Contains(l.Msg, "hash") {
						t.Errorf("a response value reached the log: %s", l.Msg)
					}
				}
				// The filter's own refusal on a route whose every status has
				// a response schema (default) keeps its problem+json.
				d := e.Worker(0).RoundTrip(jpost("/orders", `{"role":"admin","items":[]}`),
					func(host.UpstreamRequest) host.Response { return defaultResponse }).Downstream
				if d.Status != 400 || !bytes.Equal(d.Body, problem.Body(400, "rq-1")) {
					t.Errorf("own answer: %d %s", d.Status, d.Body)
				}
			})
		})
	}
}

// TestSchema_config: a configuration whose schema cannot be enforced
// exactly does not start, and says where.
func TestSchema_config(t *testing.T) {
	cases := []struct{ schemas, route, want string }{
		{`{"A": {"type": "object", "patternProperties": {}}}`, `"request": {"json": {"schema": "A"}}`, "schemas.A.patternProperties: unsupported keyword"},
		{`{"A": {"properties": {"x": {"pattern": "(?<=a)b"}}}}`, `"request": {"json": {"schema": "A"}}`, "schemas.A.properties.x.pattern: "},
		{`{"A": {"$ref": "#/schemas/B"}}`, `"request": {"json": {"schema": "A"}}`, `unknown $ref`},
		{`{"A": {}}`, `"request": {"json": {"schema": "B"}}`, `routes[0].request.json.schema: unknown schema "B"`},
		{`{"A": {}}`, `"response": {"schemas": {"2xx": "A"}}`, `routes[0].response.schemas.2xx: must be a status`},
	}
	each(t, func(t *testing.T, g guest) {
		for _, c := range cases {
			cfg := `{"hold_headers": true, "schemas": ` + c.schemas + `, "routes": [{"name": "r", "match": {"path": "/r"}, ` + c.route + `}]}`
			_, err := newEnvoyAsWritten(g, cfg)
			if err == nil {
				t.Errorf("%s: the plugin started", c.want)
				continue
			}
			if !strings.Contains(err.Error(), "apiguard: config: ") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("want a config error with %q; got %v", c.want, err)
			}
		}
	})
}

// TestSchema_pathologicalSchemas: recursion through $ref as deep as the
// body's depth limit, combinators nested to the cap over a large array,
// and a schema past the cap (refused at configure time), in both header
// modes: outcomes, not time, are asserted (the engine's steps are bounded
// by body size times schema size; filter/schema's patho tests count them).
func TestSchema_pathologicalSchemas(t *testing.T) {
	nested := `{"type": "integer"}`
	for i := 0; i < 15; i++ {
		nested = `{"anyOf": [{"type": "string", "pattern": "^(a|aa)+$"}, ` + nested + `]}`
	}
	schemas := `{
	  "Node": {"type": "object", "properties": {"v": {"type": "integer"}, "child": {"$ref": "#/schemas/Node"}}},
	  "Deep": {"type": "array", "maxItems": 1000, "items": ` + nested + `}}`
	node := func(depth int) string {
		return strings.Repeat(`{"v":1,"child":`, depth-1) + `{"v":1}` + strings.Repeat("}", depth-1)
	}
	var items strings.Builder
	for i := 0; i < 1000; i++ {
		if i > 0 {
			items.WriteByte(',')
		}
		if i%2 == 0 {
			items.WriteString(`"` + strings.Repeat("a", 50) + `"`)
		} else {
			items.WriteString("12345")
		}
	}
	for _, m := range holdModes {
		t.Run(m.name, func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				cfg := `{"hold_headers": ` + fmt.Sprint(m.hold) + `, "schemas": ` + schemas + `, "routes": [
				  {"name": "tree", "match": {"path": "/tree"}, "request": {"json": {"schema": "Node", "max_depth": 32}}},
				  {"name": "deep", "match": {"path": "/deep"}, "request": {"json": {"schema": "Deep", "max_array_items": 2000}}}]}`
				e := start(t, g, cfg, m.opts...)
				runTable(t, e, []exchange{
					{name: "recursion 32 deep", req: jpost("/tree", node(32)), want: 200},
					{name: "recursion 33 deep", req: jpost("/tree", node(33)), want: 400, reason: problem.ReasonJSONDepth},
					{name: "recursion with a wrong leaf", req: jpost("/tree", strings.Replace(node(30), `{"v":1}`, `{"v":"x"}`, 1)), want: 400, reason: problem.ReasonJSONSchema},
					{name: "recursion with an undeclared leaf", req: jpost("/tree", strings.Replace(node(30), `{"v":1}`, `{"v":1,"admin":true}`, 1)), want: 400, reason: problem.ReasonJSONSchemaNotAllowed},
					{name: "nested anyOf over 1000 items", req: jpost("/deep", `[`+items.String()+`]`), want: 200},
					{name: "nested anyOf, one item fails every branch", req: jpost("/deep", `[`+items.String()+`,"ab"]`), want: 400, reason: problem.ReasonJSONSchema},
					{name: "nested anyOf, 1001 items", req: jpost("/deep", `[`+items.String()+`,1]`), want: 400, reason: problem.ReasonJSONSchema},
				})
			})
		})
	}
	each(t, func(t *testing.T, g guest) {
		tooDeep := `{"type": "integer"}`
		for i := 0; i < 17; i++ {
			tooDeep = `{"anyOf": [` + tooDeep + `]}`
		}
		for _, c := range []struct{ schemas, want string }{
			{`{"A": ` + tooDeep + `}`, "schemas.A"},
			{`{"A": {"$ref": "#/schemas/B"}, "B": {"allOf": [{"$ref": "#/schemas/A"}]}}`, "schemas."},
		} {
			_, err := newEnvoyAsWritten(g, `{"hold_headers": true, "schemas": `+c.schemas+`, "routes": [{"name": "r", "match": {"path": "/r"}, "request": {"json": {"schema": "A"}}}]}`)
			if err == nil || !strings.Contains(err.Error(), "apiguard: config: "+c.want) {
				t.Errorf("%s: %v", c.schemas, err)
			}
		}
	})
}
