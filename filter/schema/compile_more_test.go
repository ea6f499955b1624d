package schema

import (
	"strings"
	"testing"
)

// An error's Path is exactly config's path syntax, from "schemas" on, and
// the message is the reason alone; a $ref's percent-encoding is checked to
// its last character.
func TestCompile_errorPathExact(t *testing.T) {
	long := "k k" + strings.Repeat("k", 70)
	cases := []struct{ src, path, msg string }{
		{`{"A": {"foo": 1}}`, `schemas.A.foo`, `unsupported keyword "foo"`},
		{`{"A": {"properties": {"a b": {"minLength": -1}}}}`, `schemas.A.properties["a b"].minLength`, `must be a non-negative integer`},
		{`{"A": {"allOf": [true, {"type": 1}]}}`, `schemas.A.allOf[1].type`, ``},
		{`{"A": {"allOf": [{"type": 1}]}}`, `schemas.A.allOf[0].type`, ``},
		{`{"A": {"properties": {"` + long + `": {"foo": 1}}}}`, `schemas.A.properties["` + long[:64] + `"].foo`, ``},
		{`{"A": {"$ref": "#/%4"}}`, `schemas.A["$ref"]`, `invalid percent-encoding in $ref`},
		{`{"A": {"$ref": "#/%"}}`, `schemas.A["$ref"]`, `invalid percent-encoding in $ref`},
		{`{"A": {"$ref": "#/%4g"}}`, `schemas.A["$ref"]`, `invalid percent-encoding in $ref`},
		{`{"A": {"$ref": "#/x~2"}}`, `schemas.A["$ref"]`, `invalid JSON Pointer escape in $ref`},
		{`{"A": {"$ref": "#/x~"}}`, `schemas.A["$ref"]`, `invalid JSON Pointer escape in $ref`},
	}
	for _, tc := range cases {
		_, err := CompileJSON([]byte(tc.src))
		e, ok := err.(*Error)
		if !ok {
			t.Errorf("%.60s: error %v", tc.src, err)
			continue
		}
		if e.Path != tc.path || !strings.HasPrefix(e.Msg, tc.msg) {
			t.Errorf("%.60s: path %q msg %q, want %q %q", tc.src, e.Path, e.Msg, tc.path, tc.msg)
		}
	}
	// Percent-encodings that decode to a schema's pointer.
	if _, err := CompileJSON([]byte(`{"A": {"$ref": "#/%24defs/a%20b"}, "B": {}}`)); err == nil {
		t.Error("a $ref into A's own missing $defs compiled")
	}
	set := mustSet(t, `{"A": {"$defs": {"a b": {"type": "integer"}}, "$ref": "#/%24defs/a%20b"}}`)
	runEvalCases(t, set, []evalCase{
		{"decoded $ref", "A", `1`, Options{}, ""},
		{"decoded $ref, invalid", "A", `"x"`, Options{}, " type"},
	})
}

// readOnly and writeOnly reached through $ref and allOf exempt a required
// property in their mode, as on the property itself.
func TestCompile_inheritedReadWriteOnly(t *testing.T) {
	set := mustSet(t, `{
	 "A": {"required": ["id", "sub", "pw"], "properties": {
	   "id": {"$ref": "#/schemas/Id"},
	   "sub": {"allOf": [{"readOnly": true}]},
	   "pw": {"allOf": [{"$ref": "#/schemas/Pw"}]}}},
	 "Id": {"type": "string", "readOnly": true},
	 "Pw": {"type": "string", "writeOnly": true},
	 "Pet": {"anyOf": [{"$ref": "#/schemas/Cat"}, {"$ref": "#/schemas/Dog"}],
	   "discriminator": {"propertyName": "kind", "mapping": {"c": "#/schemas/Cat", "d": "#/schemas/Dog"}}},
	 "Cat": {"required": ["kind", "lives"]},
	 "Dog": {"required": ["kind", "bark"]},
	 "OnePet": {"oneOf": [{"$ref": "#/schemas/Cat"}, {"$ref": "#/schemas/Dog"}],
	   "discriminator": {"propertyName": "kind", "mapping": {"c": "#/schemas/Cat", "d": "#/schemas/Dog"}}}
	}`)
	runEvalCases(t, set, []evalCase{
		{"request without readOnly", "A", `{"pw":"p"}`, Options{}, ""},
		{"request without writeOnly", "A", `{}`, Options{}, " required"},
		{"response without writeOnly", "A", `{"id":"1","sub":1}`, Options{Mode: Response}, ""},
		{"response without readOnly", "A", `{"sub":1}`, Options{Mode: Response}, " required"},
		// A discriminator on anyOf selects its branch too, and the value is
		// read even where no branch declares the property (a bug until the
		// mutation tests: such a value was never seen, and every object
		// failed "discriminator").
		{"anyOf discriminator", "Pet", `{"kind":"c","lives":1}`, Options{AllowUndeclared: true}, ""},
		{"anyOf discriminator, selected branch fails", "Pet", `{"kind":"c","bark":1}`, Options{AllowUndeclared: true}, " required"},
		{"anyOf discriminator, unknown value", "Pet", `{"kind":"x","lives":1}`, Options{AllowUndeclared: true}, " discriminator"},
		{"oneOf discriminator, undeclared property", "OnePet", `{"kind":"d","bark":1}`, Options{AllowUndeclared: true}, ""},
		{"oneOf discriminator, missing", "OnePet", `{"lives":1}`, Options{AllowUndeclared: true}, " discriminator"},
	})
}

// A schema with a type and one more keyword is not "type only": the
// keyword is checked where the type matches, at the root, as a member and
// as an item.
func TestCompile_typeAndOneKeyword(t *testing.T) {
	cases := []struct{ schema, ok, bad, rule string }{
		{`{"type": "string", "format": "date"}`, `"2020-01-01"`, `"2020-13-01"`, "format"},
		{`{"type": "string", "minLength": 2}`, `"ab"`, `"a"`, "minLength"},
		{`{"type": "string", "maxLength": 1}`, `"a"`, `"ab"`, "maxLength"},
		{`{"type": "string", "maxLength": 0}`, `""`, `"a"`, "maxLength"},
		{`{"maxLength": 0}`, `""`, `"a"`, "maxLength"},
		{`{"type": "string", "pattern": "^a"}`, `"ab"`, `"ba"`, "pattern"},
		{`{"type": "number", "minimum": 2}`, `2`, `1`, "minimum"},
		{`{"type": "number", "maximum": 2}`, `2`, `3`, "maximum"},
		{`{"type": "number", "exclusiveMinimum": 2}`, `3`, `2`, "exclusiveMinimum"},
		{`{"type": "number", "exclusiveMaximum": 2}`, `1`, `2`, "exclusiveMaximum"},
		{`{"type": "integer", "multipleOf": 3}`, `6`, `7`, "multipleOf"},
		{`{"type": "number", "multipleOf": 3}`, `6`, `7`, "multipleOf"},
		{`{"type": "string", "enum": ["a"]}`, `"a"`, `"b"`, "enum"},
		{`{"type": "string", "const": "a"}`, `"a"`, `"b"`, "const"},
		{`{"type": "string", "not": {"const": "b"}}`, `"a"`, `"b"`, "not"},
	}
	for _, tc := range cases {
		set := mustSet(t, `{"Root": `+tc.schema+`, "Member": {"properties": {"m": `+tc.schema+`}},
			"Item": {"items": `+tc.schema+`}}`)
		runEvalCases(t, set, []evalCase{
			{tc.rule, "Root", tc.ok, Options{}, ""},
			{tc.rule, "Root", tc.bad, Options{}, " " + tc.rule},
			{tc.rule, "Member", `{"m":` + tc.ok + `}`, Options{}, ""},
			{tc.rule, "Member", `{"m":` + tc.bad + `}`, Options{}, "/m " + tc.rule},
			{tc.rule, "Item", `[` + tc.ok + `,` + tc.bad + `]`, Options{}, "/1 " + tc.rule},
		})
	}
}

// multipleOf's range: exponents to ±1000 and 1000 digits compile, one more
// is refused; the second named schema's allOf closure is complete.
func TestCompile_multipleOfRange(t *testing.T) {
	digits := func(n int) string { return "1" + strings.Repeat("3", n-1) }
	cases := []struct {
		v  string
		ok bool
	}{
		{"1e999", true}, {"1e1000", false}, {"1e-1001", true}, {"1e-1002", false},
		{digits(1000), true}, {digits(1001), false}, {"0." + digits(1000), true},
	}
	for _, tc := range cases {
		_, err := CompileJSON([]byte(`{"A": {"multipleOf": ` + tc.v + `}}`))
		if (err == nil) != tc.ok {
			t.Errorf("multipleOf %.20s…: %v, want ok=%v", tc.v, err, tc.ok)
		}
	}
	set := mustSet(t, `{"A": {}, "B": {"allOf": [{"minimum": 5}, {"allOf": [{"maximum": 9}]}]}}`)
	runEvalCases(t, set, []evalCase{
		{"second schema", "B", `6`, Options{}, ""},
		{"second schema, minimum", "B", `1`, Options{}, " minimum"},
		{"second schema, nested maximum", "B", `10`, Options{}, " maximum"},
	})
}

// IsZero tells the zero Schema (no schema) from one a set names.
func TestSchema_isZero(t *testing.T) {
	if !(Schema{}).IsZero() {
		t.Error("the zero Schema is not zero")
	}
	if mustSchema(t, mustSet(t, `{"A": {}}`), "A").IsZero() {
		t.Error("a looked-up Schema is zero")
	}
}

// node.check, the one node of a pure node's closure that checks anything
// (scalarClosure calls it without a loop): itself, a $ref's target, none
// when several or no node checks, none for a node that is not pure.
func TestCompile_singleCheckNode(t *testing.T) {
	set := mustSet(t, `{
	 "One": {"type": "string", "maxLength": 3},
	 "Ref": {"$ref": "#/schemas/One"},
	 "Two": {"allOf": [{"type": "string"}, {"maxLength": 3}]},
	 "RefAndOwn": {"$ref": "#/schemas/One", "minLength": 1},
	 "None": {},
	 "Trivial": {"allOf": [{}, {"$ref": "#/schemas/None"}]},
	 "Any": {"anyOf": [{"type": "string"}]}
	}`)
	root := func(name string) int32 { return mustSchema(t, set, name).root }
	want := map[string]int32{"One": root("One"), "Ref": root("One"), "Two": -1, "RefAndOwn": -1,
		"None": -1, "Trivial": -1, "Any": -1}
	for name, w := range want {
		n := &set.nodes[root(name)]
		if n.check != w {
			t.Errorf("%s: check %d, want %d", name, n.check, w)
		}
	}
	for i := range set.nodes {
		if n := &set.nodes[i]; !n.pure && n.check != -1 {
			t.Errorf("node %d is not pure and has check %d", i, n.check)
		}
	}
}

// nfStrLen: the nodes whose only checks on a string are minLength and
// maxLength (memberScalar then decides a string in bounds by its length).
func TestCompile_stringLengthOnlyNodes(t *testing.T) {
	cases := []struct {
		schema string
		want   bool
	}{
		{`{"maxLength": 3}`, true}, {`{"type": "string"}`, true}, {`{"type": ["integer", "string"]}`, true},
		{`{"minLength": 1, "minimum": 3}`, true}, {`{}`, true},
		{`{"type": "integer", "maxLength": 3}`, false}, {`{"pattern": "a"}`, false}, {`{"format": "email"}`, false},
		{`{"enum": ["a"]}`, false}, {`{"const": "a"}`, false}, {`false`, false},
	}
	for _, tc := range cases {
		n := &mustSet(t, `{"S": `+tc.schema+`}`).nodes[0]
		if got := n.flags&nfStrLen != 0; got != tc.want {
			t.Errorf("%s: length only %v, want %v", tc.schema, got, tc.want)
		}
	}
}

// plan.plain: the plans openFast opens without openPlan's tests, per
// container kind (object, array): the closure accepts the kind, looks
// into it, and hashes nothing.
func TestCompile_plainPlans(t *testing.T) {
	cases := []struct {
		schema string
		want   [2]bool
	}{
		{`{"properties": {"x": {}}}`, [2]bool{true, false}},
		{`{"items": {}}`, [2]bool{false, true}},
		{`{"properties": {"x": {}}, "items": {}}`, [2]bool{true, true}},
		{`{"type": "object", "properties": {"x": {}}, "items": {}}`, [2]bool{true, false}},
		{`{"type": "array", "properties": {"x": {}}, "items": {}}`, [2]bool{false, true}},
		{`{"allOf": [{"type": "array"}], "properties": {"x": {}}, "items": {}}`, [2]bool{false, true}},
		{`{"properties": {"x": {}}, "items": {}, "uniqueItems": true}`, [2]bool{true, false}},
		{`{"properties": {"x": {}}, "items": {}, "enum": [1]}`, [2]bool{false, false}},
		{`{"properties": {"x": {}}, "items": {}, "const": 1}`, [2]bool{false, false}},
		{`{"type": "object"}`, [2]bool{false, false}},
		{`{"maxItems": 3}`, [2]bool{false, true}},
	}
	for _, tc := range cases {
		p := mustSet(t, `{"S": `+tc.schema+`}`).nodes[0].plan
		if p == nil {
			t.Fatalf("%s: no plan", tc.schema)
		}
		if p.plain != tc.want {
			t.Errorf("%s: plain %v, want %v", tc.schema, p.plain, tc.want)
		}
	}
}
