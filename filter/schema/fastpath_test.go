package schema

import "testing"

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
