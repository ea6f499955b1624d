package e2e

import (
	"slices"
	"sort"
	"strings"
)

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
