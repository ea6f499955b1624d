package schema

import (
	"fmt"
	"strings"
	"testing"
)

// evalCase is one body against one schema of a set: the verdict and the
// violations ("pointer rule, ..."; "" when valid).
type evalCase struct {
	name, schema, body string
	opts               Options
	want               string
}

func runEvalCases(t *testing.T, set *Set, cases []evalCase) {
	t.Helper()
	var v Validator
	for _, tc := range cases {
		res, err := v.Validate(mustSchema(t, set, tc.schema), []byte(tc.body), tc.opts)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		got := violationsString(res.Violations)
		if res.Valid != (tc.want == "") || got != tc.want {
			t.Errorf("%s: %s on %s: valid=%v %q, want %q", tc.name, tc.schema, tc.body, res.Valid, got, tc.want)
		}
	}
}

// Which branches of anyOf and oneOf declare members (docs/schemas.md): the
// ones that validated, or, when none did, all of them; a conditional
// schema with properties makes the others undeclared.
func TestCombinators_declaredMembers(t *testing.T) {
	set := mustSet(t, `{
	 "One": {"oneOf": [{"properties": {"a": {"type": "integer"}}, "required": ["a"]},
	   {"properties": {"b": {"type": "integer"}}, "required": ["b"]}]},
	 "Any": {"anyOf": [{"properties": {"a": {"type": "integer"}}, "required": ["a"]},
	   {"properties": {"b": {"type": "integer"}}, "required": ["b"]}]},
	 "Cond": {"anyOf": [{"properties": {"a": {}}}, false]},
	 "CondNoProps": {"anyOf": [{"type": "object"}, false]},
	 "CondMember": {"anyOf": [{"properties": {"m": {"properties": {"a": {}}}}}, false]},
	 "CondAddl": {"anyOf": [{"properties": {"a": {}}, "additionalProperties": {"type": "integer"}}, false]},
	 "CondEmptyName": {"anyOf": [{"properties": {"": {"type": "integer"}}}, false]}
	}`)
	runEvalCases(t, set, []evalCase{
		// b is declared only by the branch that failed.
		{"oneOf, one valid branch", "One", `{"a":1,"b":"x"}`, Options{}, "/b not-allowed"},
		{"oneOf, each branch declares its member", "One", `{"b":2}`, Options{}, ""},
		{"oneOf, two valid branches", "One", `{"a":1,"b":2}`, Options{}, " oneOf"},
		{"anyOf, one valid branch", "Any", `{"a":1,"b":"x"}`, Options{}, "/b not-allowed"},
		{"anyOf, two valid branches", "Any", `{"a":1,"b":2}`, Options{}, ""},
		// With no valid branch, every branch declares: only the verdict fails.
		{"oneOf, no valid branch", "One", `{"a":"x","b":"y"}`, Options{}, " oneOf"},
		{"anyOf, no valid branch", "Any", `{"a":"x","b":"y"}`, Options{}, " anyOf"},
		{"no valid branch, response", "One", `{"a":"x","b":"y","c":1}`, Options{Mode: Response}, " oneOf"},
		// A conditional schema's properties: every other member is undeclared.
		{"conditional properties", "Cond", `{"b":1}`, Options{}, "/b not-allowed"},
		{"conditional properties, declared", "Cond", `{"a":{"x":1}}`, Options{}, ""},
		{"conditional properties, allowed", "Cond", `{"b":1}`, Options{AllowUndeclared: true}, ""},
		{"conditional, no properties", "CondNoProps", `{"b":1}`, Options{}, ""},
		// A member whose only schema is conditional and has properties.
		{"conditional member", "CondMember", `{"m":{"b":1}}`, Options{}, "/m/b not-allowed"},
		{"conditional member, declared", "CondMember", `{"m":{"a":1}}`, Options{}, ""},
		// An explicit additionalProperties declares the other members.
		{"conditional additionalProperties", "CondAddl", `{"a":"x","b":1}`, Options{}, ""},
		{"conditional additionalProperties, invalid", "CondAddl", `{"b":"x"}`, Options{}, " anyOf"},
		// The empty name is a name.
		{"empty name", "CondEmptyName", `{"":1}`, Options{}, ""},
		{"empty name, invalid", "CondEmptyName", `{"":"x"}`, Options{}, " anyOf"},
		{"empty name, other member", "CondEmptyName", `{"a":1}`, Options{}, "/a not-allowed"},
	})
}

// A discriminator under the activation evaluator: the selected branch alone
// decides and declares, for this object and not for a nested one that has
// its own discriminator.
func TestDiscriminator_selectedBranch(t *testing.T) {
	set := mustSet(t, `{
	 "Pet": {"oneOf": [{"$ref": "#/schemas/Cat"}, {"$ref": "#/schemas/Dog"}],
	   "discriminator": {"propertyName": "kind", "mapping": {"cat": "#/schemas/Cat", "dog": "#/schemas/Dog"}}},
	 "Cat": {"type": "object", "required": ["kind", "lives"],
	   "properties": {"kind": {"type": "string"}, "lives": {"type": "integer"},
	     "friend": {"oneOf": [{"$ref": "#/schemas/Cat"}, {"$ref": "#/schemas/Dog"}],
	       "discriminator": {"propertyName": "kind", "mapping": {"cat": "#/schemas/Cat", "dog": "#/schemas/Dog"}}}}},
	 "Dog": {"type": "object", "required": ["kind", "bark"],
	   "properties": {"kind": {"type": "string"}, "bark": {"type": "boolean"}}},
	 "MaybePet": {"anyOf": [{"$ref": "#/schemas/Pet"}, {"type": "string"}]}
	}`)
	runEvalCases(t, set, []evalCase{
		{"cat", "Pet", `{"kind":"cat","lives":9}`, Options{}, ""},
		// Valid as a Cat, not as a Dog: the Dog branch is not selected.
		{"cat, not a dog", "Pet", `{"kind":"cat","lives":9}`, Options{AllowUndeclared: true}, ""},
		{"dog, not a cat", "Pet", `{"kind":"dog","bark":false}`, Options{}, ""},
		{"cat under anyOf", "MaybePet", `{"kind":"cat","lives":9}`, Options{}, ""},
		{"dog missing bark", "Pet", `{"kind":"dog"}`, Options{}, " required"},
		// The friend is a dog; the outer kind, read after it, is its own.
		{"nested discriminator first", "Pet", `{"friend":{"kind":"dog","bark":true},"kind":"cat","lives":1}`, Options{}, ""},
		{"nested discriminator, undeclared", "Pet", `{"friend":{"kind":"dog","bark":true,"x":1},"kind":"cat","lives":1}`,
			Options{}, "/friend/x not-allowed"},
	})
}

// Keywords evaluated on activations (under anyOf), at their boundaries,
// and items whose schema is the root itself.
func TestActivations_boundaries(t *testing.T) {
	set := mustSet(t, `{
	 "NoItems": {"anyOf": [{"type": "array", "maxItems": 0}, {"type": "string"}]},
	 "NoMembers": {"anyOf": [{"type": "object", "maxProperties": 0}, {"type": "string"}]},
	 "Nest": {"anyOf": [{"type": "array", "items": {"$ref": "#/schemas/Nest"}}, {"type": "integer"}]}
	}`)
	runEvalCases(t, set, []evalCase{
		{"maxItems 0, empty", "NoItems", `[]`, Options{}, ""},
		{"maxItems 0, one item", "NoItems", `[1]`, Options{}, " anyOf"},
		{"maxProperties 0, empty", "NoMembers", `{}`, Options{}, ""},
		{"maxProperties 0, one member", "NoMembers", `{"a":1}`, Options{AllowUndeclared: true}, " anyOf"},
		{"items of the root, valid", "Nest", `[[1],[[2]],3]`, Options{}, ""},
		{"items of the root, invalid", "Nest", `[[1],["x"]]`, Options{}, " anyOf"},
		{"items of the root, invalid deep", "Nest", `[[[1,[true]]]]`, Options{}, " anyOf"},
	})
}

// Steps counts the work of uniqueItems too: one step per item at least,
// so that the linear-cost tests see it.
func TestSteps_uniqueItems(t *testing.T) {
	set := mustSet(t, `{"U": {"type": "array", "uniqueItems": true}}`)
	var b strings.Builder
	b.WriteByte('[')
	for i := range 1000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strings.Repeat("1", 1+i%7) + "0" + strings.Repeat("2", i/7))
	}
	b.WriteByte(']')
	var v Validator
	res, err := v.Validate(mustSchema(t, set, "U"), []byte(b.String()), Options{})
	if err != nil || !res.Valid {
		t.Fatalf("%v %v", res, err)
	}
	if v.Steps() < 1000 {
		t.Errorf("Steps() = %d for 1000 unique items, want at least 1000 (one per item in the hash table)", v.Steps())
	}
}

// Two unconditional schemas at one place (allOf branches that both name
// the member): both apply, and both declare it.
func TestCertainPlaces_twoSchemas(t *testing.T) {
	set := mustSet(t, `{
	 "Two": {"allOf": [{"properties": {"m": {"type": "integer"}}}, {"properties": {"m": {"minimum": 0}}}]},
	 "TwoObj": {"allOf": [{"properties": {"m": {"type": "object"}}}, {"properties": {"m": {"required": ["x"]}}}]},
	 "TwoProps": {"allOf": [{"properties": {"m": {"properties": {"a": {}}}}}, {"properties": {"m": {"properties": {"b": {}}}}}]}
	}`)
	runEvalCases(t, set, []evalCase{
		{"declared by both", "Two", `{"m":1}`, Options{}, ""},
		{"second schema", "Two", `{"m":-1}`, Options{}, "/m minimum"},
		{"first schema", "Two", `{"m":"1"}`, Options{}, "/m type"},
		{"undeclared beside", "Two", `{"m":1,"n":2}`, Options{}, "/n not-allowed"},
		{"object, second schema", "TwoObj", `{"m":{}}`, Options{}, "/m required"},
		{"object, first schema", "TwoObj", `{"m":[]}`, Options{}, "/m type"},
		{"object, both", "TwoObj", `{"m":{"x":1}}`, Options{}, ""},
		{"members of either", "TwoProps", `{"m":{"a":1,"b":2}}`, Options{}, ""},
		{"member of neither", "TwoProps", `{"m":{"a":1,"c":2}}`, Options{}, "/m/c not-allowed"},
		{"member of neither, response", "TwoProps", `{"m":{"c":2}}`, Options{Mode: Response}, ""},
	})
}

// Past the compile-time budget of plans (maxClosures), places whose
// schema has no plan are evaluated by activations, with the same verdicts.
func TestPlans_budgetExhausted(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"Big": {"properties": {`)
	for i := range 300 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d": {"type": "integer"}`, i)
	}
	b.WriteString(`}}, "H": {"properties": {`)
	const refs = 1800 // 1800 plans of 300 names pass the budget of 2^20
	for i := range refs {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"p%d": {"$ref": "#/schemas/Big"}`, i)
	}
	b.WriteString(`}}}`)
	set := mustSet(t, b.String())
	last := fmt.Sprintf("p%d", refs-1)
	withoutPlan := 0
	for i := range set.nodes {
		if set.nodes[i].pure && set.nodes[i].plan == nil {
			withoutPlan++
		}
	}
	if withoutPlan == 0 {
		t.Fatal("every pure node has a plan: the budget was not reached")
	}
	runEvalCases(t, set, []evalCase{
		{"first, valid", "H", `{"p0":{"k1":1}}`, Options{}, ""},
		{"last, valid", "H", `{"` + last + `":{"k1":1,"k299":2}}`, Options{}, ""},
		{"last, invalid", "H", `{"` + last + `":{"k1":"x"}}`, Options{}, "/" + last + "/k1 type"},
		{"last, undeclared", "H", `{"` + last + `":{"zz":1}}`, Options{}, "/" + last + "/zz not-allowed"},
		{"last, projected", "H", `{"` + last + `":{"zz":1}}`, Options{Mode: Response}, ""},
	})
}

// Steps is the cost model the linear-work tests bound (docs/schemas.md):
// one step per member looked up, per place recorded, per activation and
// edge, per item hashed. These bodies pin it on each path of the walk. A
// scalar member whose one unconditional schema passes records no place
// (plan.fast), so "Plan"'s members cost their lookup alone.
func TestSteps_eachPath(t *testing.T) {
	set := mustSet(t, `{
	 "Plan": {"properties": {"a": {"type": "integer"}, "b": {"type": "string"}}},
	 "Acts": {"anyOf": [{"properties": {"a": {"type": "integer"}}}, {"type": "string"}]},
	 "TwoObj": {"allOf": [{"properties": {"m": {"type": "object"}}}, {"properties": {"m": {"required": ["x"]}}}]},
	 "TwoItems": {"allOf": [{"items": {"type": "object"}}, {"items": {"required": ["x"]}}]},
	 "Strings": {"items": {"type": "string"}},
		 "Nested": {"properties": {"o": {"properties": {"x": {}}}, "l": {"items": {"type": "string"}}}, "items": {"properties": {"x": {}}}}
	}`)
	cases := []struct {
		schema, body string
		want         int
	}{
		{"Plan", `{}`, 2},
		{"Plan", `{"a":1}`, 4},
		// b's string is the scanner's alone (jsonx.Scanner.Within): no
		// step; a number there is a type failure the walk sees.
		{"Plan", `{"a":1,"b":"x","c":3}`, 7},
		{"Plan", `{"b":"x"}`, 2},
		{"Plan", `{"b":1}`, 5},
		{"Strings", `[]`, 2},
		{"Strings", `["a","b"]`, 2},
		{"Strings", `["a",1]`, 5},
		// A member or item whose schema has a plan is opened in one step
		// (and visited once more by phase 2).
		{"Nested", `{"o":{}}`, 4},
		{"Nested", `{"l":[]}`, 4},
		{"Nested", `{"o":{},"l":["a"]}`, 6},
		{"Nested", `[{},{}]`, 6},
		{"Acts", `{}`, 11},
		{"Acts", `{"a":1}`, 17},
		{"Acts", `{"a":1,"b":2,"c":3}`, 23},
		{"TwoObj", `{"m":{"x":1}}`, 8},
		{"TwoObj", `{"m":{"x":1},"n":{"x":1}}`, 11},
		{"TwoItems", `[{"x":1}]`, 7},
		{"TwoItems", `[{"x":1},{"x":2},{"x":3}]`, 17},
	}
	var v Validator
	for _, tc := range cases {
		if _, err := v.Validate(mustSchema(t, set, tc.schema), []byte(tc.body), Options{AllowUndeclared: true}); err != nil {
			t.Fatal(err)
		}
		if got := v.Steps(); got != tc.want {
			t.Errorf("%s %s: Steps() = %d, want %d", tc.schema, tc.body, got, tc.want)
		}
	}
}

// Activations at one place are combined children first: a subschema
// reached by two paths of different lengths (C directly, and through B)
// is decided before either parent reads its verdict.
func TestActivations_childrenFirst(t *testing.T) {
	set := mustSet(t, `{
	 "Root": {"anyOf": [{"allOf": [{"$ref": "#/schemas/C"}, {"$ref": "#/schemas/B"}]}, false]},
	 "Rev": {"anyOf": [{"allOf": [{"$ref": "#/schemas/B"}, {"$ref": "#/schemas/C"}]}, false]},
	 "B": {"allOf": [{"$ref": "#/schemas/C"}]},
	 "C": {"type": "integer"}
	}`)
	runEvalCases(t, set, []evalCase{
		{"valid", "Root", `1`, Options{}, ""},
		{"invalid", "Root", `"x"`, Options{}, " anyOf"},
		{"valid, other order", "Rev", `1`, Options{}, ""},
		{"invalid, other order", "Rev", `"x"`, Options{}, " anyOf"},
	})
}

// Members of an unconditional object (its plan): the empty name, and an
// explicit additionalProperties next to properties.
func TestPlans_members(t *testing.T) {
	set := mustSet(t, `{
	 "Empty": {"properties": {"": {"type": "integer"}}},
	 "Addl": {"properties": {"a": {}}, "additionalProperties": {"type": "integer"}},
	 "Closed": {"properties": {"a": {}}, "additionalProperties": false}
	}`)
	runEvalCases(t, set, []evalCase{
		{"empty name", "Empty", `{"":1}`, Options{}, ""},
		{"empty name, invalid", "Empty", `{"":"x"}`, Options{}, "/ type"},
		{"empty name, other member", "Empty", `{"b":1}`, Options{}, "/b not-allowed"},
		{"additionalProperties declares", "Addl", `{"a":"x","b":1}`, Options{}, ""},
		{"additionalProperties applies", "Addl", `{"b":"x"}`, Options{}, "/b type"},
		{"additionalProperties false", "Closed", `{"a":1,"b":1}`, Options{AllowUndeclared: true}, "/b not-allowed"},
		{"additionalProperties false, response", "Closed", `{"a":1,"b":1}`, Options{Mode: Response}, "/b not-allowed"},
	})
}

// A case variant of a name that a conditional schema declares (judged in
// phase 2, from the key's bytes in the body, escaped or not).
func TestCaseVariant_conditional(t *testing.T) {
	set := mustSet(t, `{"C": {"anyOf": [{"properties": {"name": {}, "id": {}}}, false]}}`)
	allow := Options{AllowUndeclared: true}
	runEvalCases(t, set, []evalCase{
		{"declared", "C", `{"id":1,"name":1}`, allow, ""},
		{"variant", "C", `{"id":1,"Name":1}`, allow, "/Name not-allowed"},
		{"variant first", "C", `{"NAME":1,"id":1}`, allow, "/NAME not-allowed"},
		{"variant escaped", "C", `{"id":1,"\u004eame":1}`, allow, "/Name not-allowed"},
		{"other name", "C", `{"id":1,"names":1}`, allow, ""},
		{"variant allowed", "C", `{"id":1,"Name":1}`, Options{AllowUndeclared: true, CaseSensitive: true}, ""},
	})
}

// Many members dropped from one response, in nested objects too: the
// drops come sorted and disjoint, and the projection is the declared rest.
func TestProject_manyDrops(t *testing.T) {
	var schema, body, want strings.Builder
	schema.WriteString(`{"R": {"properties": {"k": {}`)
	body.WriteByte('{')
	want.WriteByte('{')
	for i := range 40 {
		if i > 0 {
			body.WriteByte(',')
		}
		switch i % 4 {
		case 0:
			fmt.Fprintf(&body, `"x%d":%d`, i, i)
		case 1:
			fmt.Fprintf(&schema, `, "d%d": {"type": "integer"}`, i)
			fmt.Fprintf(&body, `"d%d":1`, i)
			if i > 1 {
				want.WriteByte(',')
			}
			fmt.Fprintf(&want, `"d%d":1`, i)
		case 2:
			fmt.Fprintf(&schema, `, "o%d": {"properties": {"k": {}}}`, i)
			fmt.Fprintf(&body, `"o%d":{"y":[1],"k":2,"z":{}}`, i)
			fmt.Fprintf(&want, `,"o%d":{"k":2}`, i)
		default:
			fmt.Fprintf(&body, `"w%d":{"k":3}`, i)
		}
	}
	schema.WriteString(`}}}`)
	body.WriteByte('}')
	want.WriteByte('}')
	set := mustSet(t, schema.String())
	var v Validator
	res, err := v.Validate(mustSchema(t, set, "R"), []byte(body.String()), Options{Mode: Response})
	if err != nil || !res.Valid {
		t.Fatalf("%v %v", res, err)
	}
	if len(res.Drops) < 30 {
		t.Fatalf("%d drops", len(res.Drops))
	}
	for i := 1; i < len(res.Drops); i++ {
		if res.Drops[i].Start < res.Drops[i-1].End {
			t.Fatalf("drops not sorted and disjoint: %v", res.Drops)
		}
	}
	if got := string(AppendProjected(nil, []byte(body.String()), res.Drops)); got != want.String() {
		t.Errorf("projected\n%s\nwant\n%s", got, want.String())
	}
}

// Pointers of exactly MaxPointer bytes are kept whole; one more byte is
// cut, never inside a character or a ~ escape.
func TestPointer_exactLimit(t *testing.T) {
	set := mustSet(t, `{"S": {"additionalProperties": {"type": "integer"}}}`)
	a255 := strings.Repeat("a", MaxPointer-1)
	cases := []struct{ key, want string }{
		{a255, "/" + a255},
		{a255 + "b", "/" + a255},
		{a255[1:] + "é", "/" + a255[1:]},
		{a255[1:] + "~", "/" + a255[1:]},
		{a255[2:] + "~", "/" + a255[2:] + "~0"},
	}
	var v Validator
	for _, tc := range cases {
		res, err := v.Validate(mustSchema(t, set, "S"), []byte(`{"`+tc.key+`":"x"}`), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Violations) != 1 || res.Violations[0].Pointer != tc.want {
			t.Errorf("key of %d bytes: %q, want %q", len(tc.key), res.Violations, tc.want)
		}
	}
}
