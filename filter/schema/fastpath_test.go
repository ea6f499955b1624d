package schema

import (
	"strings"
	"testing"
)

// The walk's fast paths (a member or item whose one schema needs no place
// record, or whose schema has a plan, docs/schemas.md "Cost and caps")
// reach the verdicts and pointers of the general path: for the first name
// of a plan (index 0), for a plan with both names and items, for a
// container where a scalar is declared, and for a name a plan knows only
// from required.
func TestFastPaths_sameVerdictsAsTheGeneralPath(t *testing.T) {
	set := mustSet(t, `{
	 "Both": {"properties": {"o": {"properties": {"x": {"type": "integer"}}}},
	   "items": {"properties": {"y": {"type": "string"}}}},
	 "Str": {"properties": {"name": {"type": "string"}, "n": {"type": "integer"}}},
	 "Ints": {"items": {"type": "integer"}},
	 "Req": {"properties": {"name": {"type": "string"}}, "required": ["NAME"]},
	 "MinItems": {"items": {"minimum": 1}},
	 "MinMember": {"properties": {"m": {"minimum": 1}}},
	 "StrLen": {"properties": {"m": {"maxLength": 3, "minimum": 10}, "p": {"maxLength": 5, "pattern": "^a+$"},
	   "l": {"minLength": 2, "maxLength": 3}, "e": {"maxLength": 30, "format": "email"}, "c": {"maxLength": 3, "const": "ab"}}},
	 "Open": {"properties": {"o": {"type": "object", "properties": {"x": {}}},
	   "u": {"type": "array", "uniqueItems": true, "items": {}},
	   "b": {"properties": {"x": {}}, "items": {}, "uniqueItems": true},
	   "e": {"enum": [{"x": 1}], "properties": {"x": {}}},
	   "n": {"maxItems": 1, "items": {"type": "integer"}},
	   "ot": {"type": "object", "properties": {"x": {}}, "items": {}}}}
	}`)
	runEvalCases(t, set, []evalCase{
		{"first name, plan", "Both", `{"o":{"x":1}}`, Options{}, ""},
		{"first name, plan, failing", "Both", `{"o":{"x":"s"}}`, Options{}, "/o/x type"},
		{"first name, plan, undeclared", "Both", `{"o":{"y":"s"}}`, Options{}, "/o/y not-allowed"},
		{"items of the same schema", "Both", `[{"y":"a"}]`, Options{}, ""},
		{"items of the same schema, failing", "Both", `[{"y":1}]`, Options{}, "/0/y type"},
		{"object for a string member", "Str", `{"name":{"a":1},"n":1}`, Options{}, "/name type"},
		{"array for a string member", "Str", `{"n":1,"name":["a",{"b":1}]}`, Options{}, "/name type"},
		{"object among integer items", "Ints", `[1,{"a":[2]},3]`, Options{}, "/1 type"},
		{"array among integer items", "Ints", `[[1],2]`, Options{}, "/0 type"},
		// minimum does not apply to containers: the container is valid,
		// and what is inside it is not an item or member of the plan.
		{"container item, number-only schema", "MinItems", `[{"a":0},[0],2]`, Options{AllowUndeclared: true}, ""},
		{"container item, number-only schema, failing", "MinItems", `[{"a":0},0]`, Options{AllowUndeclared: true}, "/1 minimum"},
		{"container member, number-only schema", "MinMember", `{"m":{"k":0}}`, Options{AllowUndeclared: true}, ""},
		{"container member, number-only schema, array", "MinMember", `{"m":[0]}`, Options{AllowUndeclared: true}, ""},
		// A string member whose length alone shows it valid (nfStrLen)
		// needs no call; anything else is checked whole.
		{"length-only, number", "StrLen", `{"m":5}`, Options{}, "/m minimum"},
		{"length-only, number in bounds", "StrLen", `{"m":50}`, Options{}, ""},
		{"length-only, string in bounds", "StrLen", `{"m":"abc"}`, Options{}, ""},
		{"length-only, string too long", "StrLen", `{"m":"abcd"}`, Options{}, "/m maxLength"},
		{"pattern in bounds", "StrLen", `{"p":"abc"}`, Options{}, "/p pattern"},
		{"pattern in bounds, matching", "StrLen", `{"p":"aaa"}`, Options{}, ""},
		{"format in bounds", "StrLen", `{"e":"x"}`, Options{}, "/e format"},
		{"const in bounds", "StrLen", `{"c":"abc"}`, Options{}, "/c const"},
		{"min length, short", "StrLen", `{"l":"a"}`, Options{}, "/l minLength"},
		{"min length, escapes counted", "StrLen", `{"l":"\u00e9\u00e9"}`, Options{}, ""},
		{"max length, escapes counted", "StrLen", `{"l":"\u00e9\u00e9\u00e9\u00e9"}`, Options{}, "/l maxLength"},
		// A member whose schema has a plan opens it directly when the plan
		// is plain (plan.plain); anything else takes openPlan's tests.
		{"plan member, object", "Open", `{"o":{"x":[1]}}`, Options{}, ""},
		{"plan member, wrong type", "Open", `{"o":[1]}`, Options{}, "/o type"},
		{"plan member, unique items", "Open", `{"u":[1,2]}`, Options{}, ""},
		{"plan member, items not unique", "Open", `{"u":[1,1]}`, Options{}, "/u uniqueItems"},
		{"plan member, object or unique array, array", "Open", `{"b":[{"x":1},{"x":1}]}`, Options{}, "/b uniqueItems"},
		{"plan member, object or unique array, object", "Open", `{"b":{"x":1}}`, Options{}, ""},
		{"plan member, object or unique array, undeclared", "Open", `{"b":{"y":1}}`, Options{}, "/b/y not-allowed"},
		{"plan member, enum", "Open", `{"e":{"x":1}}`, Options{}, ""},
		{"plan member, not in enum", "Open", `{"e":{"x":2}}`, Options{}, "/e enum"},
		{"plan member, max items", "Open", `{"n":[1,2]}`, Options{}, "/n maxItems"},
		{"plan member, item type", "Open", `{"n":["a"]}`, Options{}, "/n/0 type"},
		{"plan member, object type, object", "Open", `{"ot":{"x":[1]}}`, Options{}, ""},
		{"plan member, object type, array", "Open", `{"ot":[1]}`, Options{}, "/ot type"},
		{"required-only name, case variant", "Req", `{"NAME":"x"}`, Options{}, "/NAME not-allowed"},
		{"required-only name, exact", "Req", `{"name":"x","NAME":"y"}`, Options{}, "/NAME not-allowed"},
	})
}

// A plain plan's member or item in a request gets a place record only
// when a failure or a recorded place inside it needs one (openFast,
// Validator.record): the pointers, rules and their order are those of a
// record made when it opened, at any depth, for a failure at its close
// (required, maxItems), a failure of a scalar or an undeclared member
// inside it, an escaped key, and containers that are not lazy (readOnly,
// uniqueItems, a wrong type) inside lazy ones.
func TestLazyPlaces_sameVerdictsAsRecordedPlaces(t *testing.T) {
	set := mustSet(t, `{
	 "L": {"type": "object", "required": ["a"], "properties": {
	   "a": {"type": "object", "required": ["r"], "properties": {"r": {"type": "integer"}, "s": {"maxLength": 2},
	     "b": {"type": "object", "properties": {"c": {"type": "array", "maxItems": 2,
	       "items": {"type": "object", "properties": {"d": {"type": "integer", "minimum": 1}}}}}}}},
	   "ro": {"type": "object", "readOnly": true, "properties": {"x": {}}},
	   "l": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}},
	   "u": {"type": "object", "properties": {"x": {"type": "array", "uniqueItems": true}}}}}
	}`)
	runEvalCases(t, set, []evalCase{
		{"valid, three lazy levels", "L", `{"a":{"r":1,"b":{"c":[{"d":1},{"d":2}]}}}`, Options{}, ""},
		{"scalar four levels down", "L", `{"a":{"r":1,"b":{"c":[{"d":1},{"d":0}]}}}`, Options{}, "/a/b/c/1/d minimum"},
		{"required at a lazy object's close", "L", `{"a":{"s":"x"}}`, Options{}, "/a required"},
		{"required at close after a failure inside", "L", `{"a":{"s":"xyz"}}`, Options{}, "/a required, /a/s maxLength"},
		{"maxItems at a lazy array's close", "L", `{"a":{"r":1,"b":{"c":[{},{},{}]}}}`, Options{}, "/a/b/c maxItems"},
		{"maxItems after a failure inside", "L", `{"a":{"r":1,"b":{"c":[{},{"d":0},{}]}}}`, Options{}, "/a/b/c maxItems, /a/b/c/1/d minimum"},
		{"undeclared member of a lazy object", "L", `{"a":{"r":1,"b":{"z":1}}}`, Options{}, "/a/b/z not-allowed"},
		{"escaped keys", "L", `{"a":{"r":1,"\u0062":{"\u0063":[{"d":0}]}}}`, Options{}, "/a/b/c/0/d minimum"},
		{"case variant in a lazy object", "L", `{"a":{"R":1}}`, Options{}, "/a required, /a/R not-allowed"},
		{"siblings", "L", `{"a":{"r":"x","b":{"c":[{"d":0}]}},"l":[[1],[2,"x"]]}`, Options{},
			"/a/r type, /a/b/c/0/d minimum, /l/1/1 type"},
		{"readOnly member is recorded", "L", `{"a":{"r":1},"ro":{"x":1}}`, Options{}, "/ro not-allowed"},
		{"uniqueItems inside a lazy object", "L", `{"a":{"r":1},"u":{"x":[1,1]}}`, Options{}, "/u/x uniqueItems"},
		{"wrong type for a lazy member", "L", `{"a":[1]}`, Options{}, "/a type"},
		{"wrong type inside a lazy member", "L", `{"a":{"r":1,"b":{"c":{"d":1}}}}`, Options{}, "/a/b/c type"},
		{"missing root member", "L", `{"l":[[]]}`, Options{}, " required"},
	})
}

// TestLazyPlaces_sameAsRecordedOnOpening compares, on generated schemas
// and bodies and on the benchmark's page of users with failures planted
// in it, a request's verdict, violations (pointers, rules, order) and
// Steps with lazy places and with every plan's lazy flags cleared (each
// place recorded when it opens).
func TestLazyPlaces_sameAsRecordedOnOpening(t *testing.T) {
	type pair struct{ lazy, eager Schema }
	lazySets := 0
	compile := func(text []byte, name string) (pair, bool) {
		a, err := CompileJSON(text)
		if err != nil {
			return pair{}, false
		}
		b, _ := CompileJSON(text)
		lazy := false
		for i := range b.nodes {
			if p := b.nodes[i].plan; p != nil {
				lazy = lazy || p.lazy != [2]bool{}
				p.lazy = [2]bool{}
			}
		}
		if lazy {
			lazySets++
		}
		return pair{mustSchema(t, a, name), mustSchema(t, b, name)}, true
	}
	var v Validator
	invalid := 0
	compare := func(sc pair, body []byte) {
		t.Helper()
		for _, o := range []Options{{}, {AllowUndeclared: true}, {CaseSensitive: true}} {
			res, err := v.Validate(sc.lazy, body, o)
			got, steps := violationsString(res.Violations), v.Steps()
			if err == nil && !res.Valid {
				invalid++
			}
			res2, err2 := v.Validate(sc.eager, body, o)
			want := violationsString(res2.Violations)
			if (err == nil) != (err2 == nil) || res.Valid != res2.Valid || got != want || steps != v.Steps() {
				t.Fatalf("body %s %+v: lazy %v %q (%d steps), recorded %v %q (%d steps)", body, o,
					res.Valid, got, steps, res2.Valid, want, v.Steps())
			}
		}
	}
	next := xorshiftBytes(2463534242)
	for range 3000 {
		schemaText, body := genCase(next())
		if sc, ok := compile([]byte(`{"T":`+string(schemaText)+`}`), "T"); ok {
			compare(sc, body)
		}
	}
	if lazySets < 1000 || invalid < 1000 {
		t.Fatalf("%d generated sets with lazy plans, %d invalid requests", lazySets, invalid)
	}
	invalid = 0
	sc, _ := compile([]byte(benchSchemas), "Page")
	_, doc := benchSetup(t)
	for _, plant := range [][2]string{{`"id":100005`, `"id":0`}, {`"lat":37.`, `"lat":97.`},
		{`"kind":"email"`, `"kind":"fax"`}, {`"tags":[`, `"tags":[1,`}, {`"zip":"`, `"zip":"x`},
		{`"city":"Springfield",`, `"city":"Springfield","x":1,`}, {`"name":"User 100007`, `"NAME":"User 100007`},
		{`"geo":{`, `"geo":{"Lat":1,`}, {`"tz":"Europe/Paris"`, `"tz":1`}} {
		compare(sc, []byte(strings.Replace(string(doc), plant[0], plant[1], 3)))
	}
	if invalid != 9*3-1 { // an undeclared "x" is allowed with AllowUndeclared
		t.Errorf("%d of the 26 planted failures found", invalid)
	}
}
