package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/envoy/openapi"
	"github.com/apiguard/apiguard/filter/proxy"
)

// The OpenAPI examples of envoy/openapi/testdata (OAI/OpenAPI-Specification,
// Apache-2.0, see that directory's LICENSE), run end to end: the generator's
// configuration started in the emulator, natively and as the .wasm, in both
// header modes; requests built from each operation (its documented examples,
// else a body generated from the schema the configuration enforces) pass,
// and their mutations are refused with the reason docs/responses.md gives.

// oaiKey is the API key every security scheme of the examples maps to; its
// claims carry the scopes non-oauth-scopes asks for.
const oaiKey = "oai-example-key"

func oaiOverlay(hold bool) string {
	sum := sha256.Sum256([]byte(oaiKey))
	return `{"config": {"hold_headers": ` + strconv.FormatBool(hold) + `, "providers": {"keys": {"api_keys": {"keys": [{"id": "oai", "sha256": "` + hex.EncodeToString(sum[:]) +
		`", "claims": {"sub": "oai", "scope": "public read:users"}}]}}}}, "security": {"bearerAuth": ["keys"]}}`
}

// oaiInline is not one of the examples: it holds what they lack (a
// readOnly member, additionalProperties, documented body examples, formats
// and bounds), so that every kind of case below runs at least once.
const oaiInline = `openapi: 3.0.3
info: {title: inline, version: "1"}
servers: [{url: "https://api.example.com/api/"}]
security: [{bearerAuth: []}]
paths:
  /items:
    post:
      operationId: addItem
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Item"}
            examples:
              small: {value: {name: ab, qty: 1}}
              full: {value: {name: abcdefgh, qty: 9, kind: b, created: "2026-12-07T10:00:00Z", tags: [x]}}
      responses:
        "201": {description: created}
  /items/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: integer, minimum: 1}}
    get:
      responses:
        "200": {description: ok}
  /items/{id}/meta:
    put:
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}, example: 42}
      requestBody:
        content:
          application/json:
            example: {note: hello, colour: red}
            schema:
              type: object
              required: [note]
              properties:
                note: {type: string, maxLength: 20}
              additionalProperties: {type: string}
      responses:
        "204": {description: stored}
components:
  securitySchemes:
    bearerAuth: {type: http, scheme: bearer}
  schemas:
    Item:
      type: object
      required: [name, qty]
      properties:
        id: {type: integer, readOnly: true}
        name: {type: string, minLength: 2, maxLength: 8}
        qty: {type: integer, minimum: 1, maximum: 10}
        kind: {type: string, enum: [a, b]}
        created: {type: string, format: date-time}
        tags: {type: array, minItems: 1, items: {type: string}}
`

// oaiCase is one request and what the client must get.
type oaiCase struct {
	kind         string // counted in the log
	method, path string
	body         []byte
	status       int    // 0: anything that is neither 404 nor 405 nor a refusal
	reason       string // the local reply's details, "" for the upstream's answer
}

// oaiOp is one operation of the document with its generated route.
type oaiOp struct {
	method, path string // path as documented, base path included
	op           map[string]any
	params       []any
	route        oaiRoute
}

type oaiRoute struct {
	Name  string `json:"name"`
	Match struct {
		Path    string   `json:"path"`
		Methods []string `json:"methods"`
	} `json:"match"`
	Request struct {
		JSON *struct {
			Schema   string `json:"schema"`
			Required bool   `json:"required"`
		} `json:"json"`
	} `json:"request"`
	Response struct {
		Schemas map[string]string `json:"schemas"`
	} `json:"response"`
	Auth any `json:"auth"`
}

// TestOpenAPIExamples_requests: every example either generates a
// configuration whose requests behave as the document says, or fails with
// the precise report of what it cannot express.
func TestOpenAPIExamples_requests(t *testing.T) {
	files, _ := filepath.Glob("../envoy/openapi/testdata/v3.*/*.yaml")
	if len(files) != 8 {
		t.Fatalf("%d examples, want 8", len(files))
	}
	wantReport := map[string]string{
		"webhook-example.yaml": "error: paths: no operation: the configuration would refuse every request with 404",
	}
	// wantWarnings are the parts of a document that generate no check,
	// each reported precisely.
	wantWarnings := map[string][]string{
		"callback-example.yaml": {`warning: paths["/streams"].post.callbacks: callbacks are requests the API sends, not ones it receives: no route is generated for them`},
		"uspto.yaml":            {`warning: paths["/{dataset}/{version}/records"].post.requestBody.content: no JSON media type with a schema: the body is not checked`},
		"webhook-example.yaml":  {`warning: webhooks: webhooks are requests the API sends, not ones it receives: no route is generated for them`},
	}
	// wantBodies pins how many operations have a JSON request body, so
	// that a generator change that drops one cannot pass unseen.
	wantBodies := map[string]int{"petstore.yaml": 1, "petstore-expanded.yaml": 1}
	overlays := map[bool]*openapi.Overlay{}
	for _, hold := range []bool{true, false} {
		ov, err := openapi.ParseOverlay([]byte(oaiOverlay(hold)))
		if err != nil {
			t.Fatal(err)
		}
		overlays[hold] = ov
	}
	docs := []struct {
		name string
		spec []byte
	}{{"inline-mass-assignment.yaml", []byte(oaiInline)}}
	wantBodies["inline-mass-assignment.yaml"] = 2
	for _, f := range files {
		spec, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, struct {
			name string
			spec []byte
		}{filepath.Base(f), spec})
	}
	for _, d := range docs {
		name, spec := d.name, d.spec
		out, findings, err := openapi.Generate(spec, overlays[true], openapi.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// The same document for a host that cannot hold headers (noHold).
		outNoHold, _, _ := openapi.Generate(spec, overlays[false], openapi.Options{})
		for _, w := range wantWarnings[name] {
			if !slices.ContainsFunc(findings, func(f openapi.Finding) bool { return f.String() == w }) {
				t.Errorf("%s: want the report %q among %v", name, w, findings)
			}
		}
		if want, ok := wantReport[name]; ok {
			var got []string
			for _, fd := range findings {
				if fd.Error {
					got = append(got, fd.String())
				}
			}
			if out != nil || len(got) != 1 || got[0] != want {
				t.Errorf("%s: want only the error %q and no configuration, got %q (output %d bytes)", name, want, got, len(out))
			}
			t.Logf("%s: no configuration, reported: %s", name, want)
			continue
		}
		if out == nil {
			t.Errorf("%s: no configuration: %v", name, findings)
			continue
		}
		cases, bodies := oaiCases(t, name, spec, out)
		if bodies != wantBodies[name] {
			t.Errorf("%s: %d operations with a JSON request body, want %d", name, bodies, wantBodies[name])
		}
		counts := map[string]int{}
		for _, c := range cases {
			counts[c.kind]++
		}
		t.Logf("%s: %d cases per run %v", name, len(cases), counts)
		t.Run(name, func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				for _, mode := range []struct {
					name string
					cfg  []byte
					opts []envoyOpt
				}{{"hold", out, nil}, {"noHold", outNoHold, []envoyOpt{noHold()}}} {
					t.Run(mode.name, func(t *testing.T) {
						vm := start(t, g, string(mode.cfg), mode.opts...).Worker(0)
						for _, c := range cases {
							oaiRun(t, vm, c)
						}
					})
				}
			})
		})
	}
}

func oaiRun(t *testing.T, vm *host.VM, c oaiCase) {
	t.Helper()
	hs := []proxy.Pair{{Key: "authorization", Value: "Bearer " + oaiKey}}
	if c.body != nil {
		hs = append(hs, proxy.Pair{Key: "content-type", Value: "application/json"})
	}
	r := vm.RoundTrip(host.Request{Method: c.method, Path: c.path, Body: c.body, Headers: hs}, func(host.UpstreamRequest) host.Response {
		return host.Response{Status: 204}
	})
	d := r.Downstream
	switch {
	case c.status == 0:
		if d.Status == 404 || d.Status == 405 || d.LocalReply != "" || !r.UpstreamCalled {
			t.Errorf("%s %s %s %s: %d %q, want it routed to the upstream", c.kind, c.method, c.path, c.body, d.Status, d.LocalReply)
		}
	case d.Status != c.status || d.LocalReply != c.reason:
		t.Errorf("%s %s %s %s: %d %q, want %d %q", c.kind, c.method, c.path, c.body, d.Status, d.LocalReply, c.status, c.reason)
	case c.reason == "" && (!r.UpstreamCalled || string(r.Upstream.Body) != string(c.body)):
		t.Errorf("%s %s %s %s: the upstream got %q", c.kind, c.method, c.path, c.body, r.Upstream.Body)
	case c.reason != "" && r.UpstreamCalled:
		t.Errorf("%s %s %s %s: refused, yet the upstream was called", c.kind, c.method, c.path, c.body)
	}
}

// oaiCases builds the requests of one example from the document and the
// generated configuration; bodies counts the operations with a JSON body.
func oaiCases(t *testing.T, name string, spec, cfgJSON []byte) (cases []oaiCase, bodies int) {
	t.Helper()
	var doc map[string]any
	js, err := yaml.YAMLToJSON(spec)
	if err == nil {
		err = json.Unmarshal(js, &doc)
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var cfg struct {
		Schemas map[string]any `json:"schemas"`
		Routes  []oaiRoute     `json:"routes"`
	}
	if err := json.Unmarshal(cfgJSON, &cfg); err != nil {
		t.Fatal(err)
	}
	sg := &schemaGen{schemas: cfg.Schemas}
	base := oaiBase(doc)
	paths, _ := doc["paths"].(map[string]any)
	var ops []oaiOp
	for _, p := range sortedKeysOf(paths) {
		item, _ := paths[p].(map[string]any)
		for _, m := range []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"} {
			op, ok := item[m].(map[string]any)
			if !ok {
				continue
			}
			full := base + p
			if full == "" {
				full = "/"
			}
			o := oaiOp{method: strings.ToUpper(m), path: full, op: op}
			o.params = append(append(o.params, asList(item["parameters"])...), asList(op["parameters"])...)
			found := false
			for _, r := range cfg.Routes {
				if r.Match.Path == full && slices.Contains(r.Match.Methods, o.method) {
					o.route, found = r, true
				}
			}
			if !found {
				t.Fatalf("%s: %s %s has no route", name, o.method, full)
			}
			ops = append(ops, o)
		}
	}
	if len(ops) != len(cfg.Routes) {
		t.Fatalf("%s: %d operations, %d routes", name, len(ops), len(cfg.Routes))
	}
	documented := map[string][]string{}
	for _, o := range ops {
		documented[o.path] = append(documented[o.path], o.method)
		target := fillPath(o.path, o.params, sg) + query(o.params, sg)
		if o.route.Request.JSON == nil {
			cases = append(cases, oaiCase{kind: "routed", method: o.method, path: target})
			continue
		}
		bodies++
		schema := sg.resolve(sg.schemas[o.route.Request.JSON.Schema])
		valid := mediaExamples(o.op)
		v, err := sg.gen(schema, 0)
		if err != nil {
			t.Fatalf("%s: %s %s: %v", name, o.method, o.path, err)
		}
		vb, _ := json.Marshal(v)
		valid = append(valid, vb)
		for _, b := range valid {
			cases = append(cases, oaiCase{kind: "valid", method: o.method, path: target, body: b, status: 204})
		}
		obj, isObj := v.(map[string]any)
		if !isObj {
			continue
		}
		props, required, readOnly, addl := sg.members(schema)
		mut := func(kind string, change func(m map[string]any), reason string) {
			m := map[string]any{}
			for k, val := range obj {
				m[k] = val
			}
			change(m)
			b, _ := json.Marshal(m)
			c := oaiCase{kind: kind, method: o.method, path: target, body: b, status: 400, reason: "apiguard_" + reason}
			if reason == "" {
				c.status, c.reason = 204, ""
			}
			cases = append(cases, c)
		}
		if addl == nil {
			mut("undeclared", func(m map[string]any) { m["apiguardUndeclared"] = true }, "json_schema_not_allowed")
		} else {
			// additionalProperties lets undeclared members in, checked
			// against its schema.
			av, err := sg.gen(addl, 0)
			if err != nil {
				t.Fatal(err)
			}
			mut("undeclared allowed", func(m map[string]any) { m["apiguardUndeclared"] = av }, "")
			if wrong := wrongType(sg.resolve(addl)); wrong != nil {
				mut("undeclared wrong type", func(m map[string]any) { m["apiguardUndeclared"] = wrong }, "json_schema")
			}
		}
		for _, p := range readOnly {
			rv, err := sg.gen(sg.resolve(props[p]), 0)
			if err != nil {
				t.Fatal(err)
			}
			mut("readOnly", func(m map[string]any) { m[p] = rv }, "json_schema_not_allowed")
		}
		for _, p := range sortedKeysOf(props) {
			variant := strings.ToUpper(p)
			if variant == p {
				variant = strings.ToLower(p)
			}
			if variant == p || props[variant] != nil {
				continue
			}
			val, ok := obj[p]
			if ok {
				// Beside the declared name, the JSON limits refuse it
				// first (docs/responses.md).
				mut("case variant beside", func(m map[string]any) { m[variant] = val }, "json_duplicate_key_case")
			} else if val, err = sg.gen(props[p], 0); err != nil {
				t.Fatal(err)
			}
			// Instead of it, the schema refuses it: only not-allowed for
			// an optional member, a violation too when the name is
			// required.
			instead := "json_schema_not_allowed"
			if slices.Contains(required, p) {
				instead = "json_schema"
			}
			mut("case variant instead", func(m map[string]any) { delete(m, p); m[variant] = val }, instead)
		}
		for _, p := range sortedKeysOf(obj) {
			for _, bad := range outOfBounds(sg.resolve(props[p])) {
				mut("out of bounds", func(m map[string]any) { m[p] = bad }, "json_schema")
			}
		}
		if o.route.Request.JSON.Required {
			cases = append(cases, oaiCase{kind: "no body", method: o.method, path: target, status: 400, reason: "apiguard_json_empty"})
		}
		for _, p := range required {
			wrong := wrongType(sg.resolve(props[p]))
			if wrong == nil {
				continue
			}
			mut("wrong type", func(m map[string]any) { m[p] = wrong }, "json_schema")
			mut("missing", func(m map[string]any) { delete(m, p) }, "json_schema")
		}
	}
	for _, p := range sortedKeysOf(documented) {
		for _, m := range []string{"PATCH", "PUT", "DELETE", "POST", "GET"} {
			if !slices.Contains(documented[p], m) {
				cases = append(cases, oaiCase{kind: "405", method: m, path: fillPath(p, nil, sg), status: 405, reason: "apiguard_method_not_allowed"})
				break
			}
		}
	}
	cases = append(cases, oaiCase{kind: "404", method: "GET", path: base + "/apiguard-undocumented/x", status: 404, reason: "apiguard_route_not_found"})
	return cases, bodies
}

// oaiBase is the path of servers[0] with its variables at their defaults,
// as the generator reads it (docs/configuration.md "The OpenAPI generator").
func oaiBase(doc map[string]any) string {
	servers := asList(doc["servers"])
	if len(servers) == 0 {
		return ""
	}
	s, _ := servers[0].(map[string]any)
	u, _ := s["url"].(string)
	vars, _ := s["variables"].(map[string]any)
	for k, v := range vars {
		vm, _ := v.(map[string]any)
		if d, ok := vm["default"].(string); ok {
			u = strings.ReplaceAll(u, "{"+k+"}", d)
		}
	}
	if pu, err := url.Parse(u); err == nil && (pu.Scheme != "" || pu.Host != "") {
		u = pu.Path
	}
	return strings.TrimSuffix(u, "/")
}

// mediaExamples are the documented examples of an operation's JSON request
// body (the media type's example, or each of its examples' values).
func mediaExamples(op map[string]any) [][]byte {
	rb, _ := op["requestBody"].(map[string]any)
	content, _ := rb["content"].(map[string]any)
	var out [][]byte
	for _, mt := range sortedKeysOf(content) {
		if !strings.Contains(mt, "json") {
			continue
		}
		media, _ := content[mt].(map[string]any)
		if ex, ok := media["example"]; ok {
			b, _ := json.Marshal(ex)
			out = append(out, b)
		}
		exs, _ := media["examples"].(map[string]any)
		for _, k := range sortedKeysOf(exs) {
			e, _ := exs[k].(map[string]any)
			if val, ok := e["value"]; ok {
				b, _ := json.Marshal(val)
				out = append(out, b)
			}
		}
	}
	return out
}

func asList(v any) []any { l, _ := v.([]any); return l }

func sortedKeysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// paramValue is a parameter's documented example, else one generated from
// its schema.
func paramValue(p map[string]any, sg *schemaGen) string {
	s, _ := p["schema"].(map[string]any)
	for _, v := range []any{p["example"], s["example"], s["default"]} {
		if v != nil {
			return scalarString(v)
		}
	}
	v, err := sg.gen(s, 0)
	if err != nil || v == nil {
		return "1"
	}
	return scalarString(v)
}

func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// fillPath replaces every {template} with its parameter's value (a
// template without one gets "1").
func fillPath(p string, params []any, sg *schemaGen) string {
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		if !strings.HasPrefix(seg, "{") {
			continue
		}
		val := "1"
		for _, pa := range params {
			pm, _ := pa.(map[string]any)
			if pm["in"] == "path" && "{"+scalarString(pm["name"])+"}" == seg {
				val = paramValue(pm, sg)
			}
		}
		segs[i] = url.PathEscape(val)
	}
	return strings.Join(segs, "/")
}

// query writes the required query parameters.
func query(params []any, sg *schemaGen) string {
	q := url.Values{}
	for _, pa := range params {
		pm, _ := pa.(map[string]any)
		if pm["in"] == "query" && pm["required"] == true {
			q.Set(scalarString(pm["name"]), paramValue(pm, sg))
		}
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// schemaGen builds a valid instance of a schema of the configuration (the
// subset the examples use: $ref, allOf/anyOf/oneOf, const, enum, type,
// properties, required, items, formats, minLength/maxLength,
// minimum/maximum, minItems), skipping readOnly members.
type schemaGen struct {
	schemas map[string]any
}

func (sg *schemaGen) resolve(v any) map[string]any {
	m, _ := v.(map[string]any)
	for i := 0; i < 16 && m != nil; i++ {
		ref, ok := m["$ref"].(string)
		if !ok {
			break
		}
		m, _ = sg.schemas[strings.TrimPrefix(ref, "#/schemas/")].(map[string]any)
	}
	return m
}

func schemaType(s map[string]any) string {
	switch t := s["type"].(type) {
	case string:
		return t
	case []any:
		for _, x := range t {
			if x != "null" {
				return scalarString(x)
			}
		}
	}
	if s["properties"] != nil || s["required"] != nil || s["additionalProperties"] != nil {
		return "object"
	}
	return ""
}

func num(v any, def float64) float64 {
	if f, ok := v.(float64); ok {
		return f
	}
	return def
}

func (sg *schemaGen) gen(v any, depth int) (any, error) {
	s := sg.resolve(v)
	if depth > 16 {
		return nil, errString("schema too deep to generate")
	}
	if s == nil {
		return "x", nil
	}
	if c, ok := s["const"]; ok {
		return c, nil
	}
	if e := asList(s["enum"]); len(e) > 0 {
		return e[0], nil
	}
	if all := asList(s["allOf"]); len(all) > 0 {
		merged := map[string]any{}
		for _, part := range all {
			pv, err := sg.gen(part, depth+1)
			if err != nil {
				return nil, err
			}
			pm, ok := pv.(map[string]any)
			if !ok {
				return pv, nil
			}
			for k, x := range pm {
				merged[k] = x
			}
		}
		if props, _ := s["properties"].(map[string]any); props != nil {
			own := map[string]any{}
			for k, x := range s {
				if k != "allOf" {
					own[k] = x
				}
			}
			ov, err := sg.gen(own, depth+1)
			if err != nil {
				return nil, err
			}
			for k, x := range ov.(map[string]any) {
				merged[k] = x
			}
		}
		return merged, nil
	}
	for _, k := range []string{"oneOf", "anyOf"} {
		if l := asList(s[k]); len(l) > 0 {
			return sg.gen(l[0], depth+1)
		}
	}
	t := schemaType(s)
	if ex, ok := s["example"]; ok && t != "object" && t != "array" {
		return ex, nil
	}
	switch t {
	case "object":
		out := map[string]any{}
		props, _ := s["properties"].(map[string]any)
		for _, k := range sortedKeysOf(props) {
			if sg.resolve(props[k])["readOnly"] == true {
				continue
			}
			x, err := sg.gen(props[k], depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = x
		}
		for _, r := range asList(s["required"]) {
			if _, ok := out[scalarString(r)]; !ok {
				out[scalarString(r)] = "x"
			}
		}
		return out, nil
	case "array":
		n := int(num(s["minItems"], 1))
		out := make([]any, 0, n)
		for i := 0; i < n; i++ {
			x, err := sg.gen(s["items"], depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, x)
		}
		return out, nil
	case "integer", "number":
		lo := num(s["minimum"], 1)
		if x, ok := s["exclusiveMinimum"].(float64); ok && lo <= x {
			lo = x + 1
		}
		if hi, ok := s["maximum"].(float64); ok && lo > hi {
			lo = hi
		}
		return lo, nil
	case "boolean":
		return true, nil
	case "null":
		return nil, nil
	case "string", "":
		if _, ok := s["pattern"]; ok {
			return nil, errString("a pattern without an example: cannot generate a string")
		}
		str := map[any]string{"date-time": "2026-01-02T03:04:05Z", "date": "2026-01-02", "time": "03:04:05Z",
			"email": "a@b.example", "uri": "https://example.com/x", "uri-reference": "/x", "uuid": "2531329f-fb09-4ef7-887e-84e648214436",
			"ipv4": "192.0.2.1", "ipv6": "2001:db8::1", "hostname": "example.com"}[s["format"]]
		if str == "" {
			str = "x"
		}
		for n := int(num(s["minLength"], 0)); len(str) < n; {
			str += "x"
		}
		if n, ok := s["maxLength"].(float64); ok && len(str) > int(n) {
			str = str[:int(n)]
		}
		return str, nil
	}
	return nil, errString("type " + t + ": cannot generate")
}

// members are a schema's declared properties, required names and
// readOnly names through allOf and $ref; addl is an additionalProperties
// other than false (undeclared members allowed, checked against it), nil
// when there is none.
func (sg *schemaGen) members(v any) (props map[string]any, required, readOnly []string, addl any) {
	props = map[string]any{}
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		s := sg.resolve(v)
		if s == nil || depth > 16 {
			return
		}
		p, _ := s["properties"].(map[string]any)
		for k, x := range p {
			props[k] = x
			if sg.resolve(x)["readOnly"] == true && !slices.Contains(readOnly, k) {
				readOnly = append(readOnly, k)
			}
		}
		for _, r := range asList(s["required"]) {
			if !slices.Contains(required, scalarString(r)) {
				required = append(required, scalarString(r))
			}
		}
		if ap, ok := s["additionalProperties"]; ok && ap != false {
			addl = ap
		}
		for _, part := range asList(s["allOf"]) {
			walk(part, depth+1)
		}
	}
	walk(v, 0)
	sort.Strings(required)
	sort.Strings(readOnly)
	return props, required, readOnly, addl
}

// wrongType is a value of another JSON type than the schema's.
func wrongType(s map[string]any) any {
	switch schemaType(s) {
	case "string", "object", "array":
		return 7.0
	case "integer", "number", "boolean":
		return "x"
	}
	return nil
}

// outOfBounds are values of the schema's type that break one of its
// enum, bounds or format.
func outOfBounds(s map[string]any) []any {
	var out []any
	if len(asList(s["enum"])) > 0 {
		out = append(out, "apiguard-not-listed")
	}
	if x, ok := s["minimum"].(float64); ok {
		out = append(out, x-1)
	}
	if x, ok := s["maximum"].(float64); ok {
		out = append(out, x+1)
	}
	if n, ok := s["minLength"].(float64); ok && n > 0 {
		out = append(out, strings.Repeat("x", int(n)-1))
	}
	if n, ok := s["maxLength"].(float64); ok {
		out = append(out, strings.Repeat("x", int(n)+1))
	}
	if n, ok := s["minItems"].(float64); ok && n > 0 {
		out = append(out, []any{})
	}
	if s["format"] == "date-time" || s["format"] == "email" || s["format"] == "uuid" {
		out = append(out, "apiguard not a "+scalarString(s["format"]))
	}
	return out
}

type errString string

func (e errString) Error() string { return string(e) }
