package e2e

import (
	"encoding/json"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

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
