package schema

import (
	"strconv"
	"strings"
	"testing"
)

func TestCompile_errors(t *testing.T) {
	nestedAllOf := func(n int) string {
		return strings.Repeat(`{"allOf":[`, n) + `{"type":"string"}` + strings.Repeat(`]}`, n)
	}
	cases := []struct{ src, want string }{
		{`[]`, `schemas: must be an object of named schemas`},
		{`{"A": 1}`, `schemas.A: a schema must be an object or a boolean`},
		{`{"A": {"type": "string", "foo": 1}}`, `schemas.A.foo: unsupported keyword "foo"`},
		{`{"A": {"patternProperties": {}}}`, `schemas.A.patternProperties: unsupported keyword`},
		{`{"A": {"$id": "x"}}`, `schemas.A["$id"]: unsupported keyword`},
		{`{"Order": {"properties": {"id": {"pattern": "^(?=a)"}}}}`,
			`schemas.Order.properties.id.pattern: look-ahead is not supported (RE2)`},
		{`{"A": {"pattern": "(?<!a)b"}}`, `schemas.A.pattern: look-behind is not supported (RE2)`},
		{`{"A": {"pattern": "(a)\\1"}}`, `schemas.A.pattern: back-references are not supported (RE2)`},
		{`{"A": {"pattern": "a{1001}"}}`, `schemas.A.pattern: does not translate to RE2: invalid repeat count`},
		{`{"A": {"pattern": "\\p{Foo}"}}`, `schemas.A.pattern: unsupported Unicode property`},
		{`{"A": {"$ref": "#/schemas/B"}}`, `schemas.A["$ref"]: unknown $ref: no schema named "B"`},
		{`{"A": {"$ref": "#/$defs/B"}}`, `schemas.A["$ref"]: unknown $ref: it does not point to a schema`},
		{`{"A": {"$ref": "#/properties"}}`, `schemas.A["$ref"]: unknown $ref`},
		{`{"A": {"$ref": "https://example.com/s.json"}}`, `schemas.A["$ref"]: only local references`},
		{`{"A": {"$ref": "#anchor"}}`, `schemas.A["$ref"]: $ref to an anchor is not supported`},
		{`{"A": {"$ref": "#/schemas/B"}, "B": {"allOf": [{"$ref": "#/schemas/A"}]}}`,
			`a $ref cycle that does not pass through properties, additionalProperties or items`},
		{`{"A": {"$ref": "#"}}`, `schemas.A: a $ref cycle`},
		{`{"A": {"not": {"anyOf": [{"$ref": "#/schemas/A"}]}}}`, `a $ref cycle`},
		{`{"A": ` + nestedAllOf(17) + `}`, `nest more than 16 deep`},
		{`{"A": {"allOf": [{"$ref": "#/schemas/B"}]}, "B": ` + nestedAllOf(16) + `}`, `schemas.A: allOf/anyOf/oneOf/not nest more than 16 deep`},
		{`{"A": {"items": [{"type": "string"}]}}`, `schemas.A.items: the array form of items is prefixItems`},
		{`{"A": {"exclusiveMinimum": true, "minimum": 0}}`, `schemas.A.exclusiveMinimum: must be a number (the boolean form is OpenAPI 3.0's`},
		{`{"A": {"type": "float"}}`, `schemas.A.type: unknown type "float"`},
		{`{"A": {"type": []}}`, `schemas.A.type: must list at least one type`},
		{`{"A": {"type": ["string", "string"]}}`, `schemas.A.type[1]: type "string" is listed twice`},
		{`{"A": {"required": ["a", "a"]}}`, `schemas.A.required[1]: lists "a" twice`},
		{`{"A": {"minLength": -1}}`, `schemas.A.minLength: must be a non-negative integer`},
		{`{"A": {"minLength": 1.5}}`, `schemas.A.minLength: must be a non-negative integer`},
		{`{"A": {"multipleOf": 0}}`, `schemas.A.multipleOf: must be greater than 0`},
		{`{"A": {"allOf": []}}`, `schemas.A.allOf: must be a non-empty array of schemas`},
		{`{"A": {"discriminator": {"propertyName": "k"}}}`, `schemas.A.discriminator: needs oneOf or anyOf`},
		{`{"A": {"oneOf": [{"$ref": "#/schemas/B"}], "discriminator": {"propertyName": "k", "mapping": {"x": "C"}}}, "B": {}, "C": {}}`,
			`schemas.A.discriminator.mapping.x: names a schema that is not one of the oneOf branches`},
		{`{"A": {"oneOf": [true], "discriminator": {"mapping": {}}}}`, `schemas.A.discriminator: needs a propertyName`},
		{`{"A": {"properties": {"a.b": {"x-ok": 1, "bad": 1}}}}`, `schemas.A.properties["a.b"].bad: unsupported keyword`},
		{`{"A": {"$defs": {"D": {"minimum": "1"}}}}`, `schemas.A["$defs"].D.minimum: must be a number`},
	}
	for _, tc := range cases {
		_, err := CompileJSON([]byte(tc.src))
		if err == nil {
			t.Errorf("%s: compiled", tc.src)
			continue
		}
		if _, ok := err.(*Error); !ok {
			t.Errorf("%s: error %T", tc.src, err)
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.80s:\n got %v\nwant %s", tc.src, err, tc.want)
		}
	}
}

func TestCompile_accepts(t *testing.T) {
	nestedAllOf := strings.Repeat(`{"allOf":[`, 16) + `{"type":"string"}` + strings.Repeat(`]}`, 16)
	cases := []string{
		`{}`,
		`{"A": true, "B": false, "C": {}}`,
		`{"A": ` + nestedAllOf + `}`,
		// Recursion that descends into the body is fine.
		`{"Tree": {"properties": {"kids": {"items": {"$ref": "#/schemas/Tree"}}}}}`,
		`{"A": {"additionalProperties": {"$ref": "#"}}}`,
		`{"A": {"$defs": {"x/y": {"type": "string"}, "p%": {}}, "properties": {"a": {"$ref": "#/$defs/x~1y"}, "b": {"$ref": "#/$defs/p%25"}}}}`,
		`{"A": {"$ref": "#/schemas/B/properties/x"}, "B": {"properties": {"x": {"type": "string"}}}}`,
		`{"A": {"title": "t", "description": "d", "example": 1, "examples": [1], "default": 2, "deprecated": true,
		  "$comment": "c", "$schema": "https://json-schema.org/draft/2020-12/schema", "x-extra": {"any": "thing"},
		  "format": "hostname"}}`,
		`{"A": {"oneOf": [{"$ref": "#/schemas/B"}], "discriminator": {"propertyName": "k", "x-vendor": 1}}, "B": {}}`,
		`{"A": {"pattern": "^\\d{3}\\s\\w+[\\s\\S]*\\p{L}\\u00e9\\cJ.$"}}`,
	}
	for _, src := range cases {
		if _, err := CompileJSON([]byte(src)); err != nil {
			t.Errorf("%.80s: %v", src, err)
		}
	}
}

func TestCompile_nodeCap(t *testing.T) {
	props := func(n int) string {
		var b strings.Builder
		b.WriteString(`{"A": {"properties": {`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"p` + strconv.Itoa(i) + `": {}`)
		}
		b.WriteString(`}}}`)
		return b.String()
	}
	if _, err := CompileJSON([]byte(props(MaxNodes - 1))); err != nil {
		t.Errorf("%d nodes: %v", MaxNodes, err)
	}
	_, err := CompileJSON([]byte(props(MaxNodes)))
	if err == nil || !strings.Contains(err.Error(), "schemas.A.properties.p9999: the schemas compile to more than 10000 subschemas") {
		t.Errorf("%d nodes: %v", MaxNodes+1, err)
	}
}
