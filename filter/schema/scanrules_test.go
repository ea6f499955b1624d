package schema

import "testing"

// scanRulesSchemas: plans whose members and items the scanner finds,
// tallies and passes over by itself (jsonx.Scanner.Within, QuietItems;
// docs/schemas.md "Cost and caps"), and plans it must not take over.
const scanRulesSchemas = `{
 "Q": {"type": "object", "required": ["s", "n"], "minProperties": 2, "maxProperties": 3,
   "properties": {"s": {"type": "string"}, "n": {"type": ["number", "null"]}, "b": {"type": "boolean"},
     "i": {"type": "integer"}, "long_name_9": {"type": "string"},
     "tags": {"type": "array", "items": {"type": "string"}}}},
 "R": {"required": ["i", "s"], "properties": {"i": {"type": "integer"}, "s": {"type": "string"}}},
 "RO": {"required": ["id", "s"], "properties": {"id": {"type": "integer", "readOnly": true}, "s": {"type": "string"}}},
 "U": {"properties": {"u": {"type": "array", "uniqueItems": true, "items": {"type": "string"}}}},
 "E": {"properties": {"a": {"type": "string"}}, "enum": [{"a": "x"}]},
 "V": {"properties": {"a": {}}, "required": ["A"]},
 "Obj": {"properties": {"ro": {"type": "object", "readOnly": true, "properties": {"x": {}}},
   "wo": {"type": "object", "writeOnly": true, "properties": {"x": {}}},
   "o": {"type": "object", "properties": {"x": {"type": "integer"}}},
   "list": {"type": "array", "items": {"type": "object", "required": ["x"], "properties": {"x": {"type": "integer"}}}},
   "free": {"type": "object"}}},
 "UObj": {"type": "array", "uniqueItems": true, "items": {"type": "object", "properties": {"x": {}}}},
 "EArr": {"items": {"properties": {"x": {}}}, "enum": [[{"x": 1}]]},
 "Both": {"properties": {"a": {}}, "items": {"properties": {"x": {"type": "integer"}}}},
 "CaseObj": {"properties": {"a": {"type": "object"}}, "required": ["A"],
   "additionalProperties": {"type": "object", "properties": {"x": {"type": "integer"}}}},
 "Items": {"type": "array", "maxItems": 3, "items": {"type": ["string", "null"]}}
}`

// TestScanRules_quietMembers: a member whose type is its only check is
// the scanner's alone, yet every rule that looks at it still holds: its
// type, the required names and member counts it adds to, the undeclared
// and case-variant names beside it, escaped and long names.
func TestScanRules_quietMembers(t *testing.T) {
	set := mustSet(t, scanRulesSchemas)
	runEvalCases(t, set, []evalCase{
		{"both quiet", "Q", `{"s":"x","n":1}`, Options{}, ""},
		{"null is a quiet kind too", "Q", `{"s":"x","n":null}`, Options{}, ""},
		{"a string's type", "Q", `{"s":1,"n":1}`, Options{}, "/s type"},
		{"null is not a string", "Q", `{"s":null,"n":1}`, Options{}, "/s type"},
		{"a case variant named only by required", "V", `{"a":1,"A":1}`, Options{AllowUndeclared: true}, "/A not-allowed"},
		{"a number's type", "Q", `{"s":"x","n":"y"}`, Options{}, "/n type"},
		{"a quiet member is a container", "Q", `{"s":{},"n":[1]}`, Options{}, "/s type, /n type"},
		{"required counts quiet members", "Q", `{"s":"x","b":true}`, Options{}, " required"},
		{"minProperties counts quiet members", "Q", `{"n":1}`, Options{}, " minProperties,  required"},
		{"maxProperties counts quiet members", "Q", `{"s":"x","n":null,"b":true,"i":1}`, Options{}, " maxProperties"},
		{"maxProperties at its bound", "Q", `{"s":"x","n":null,"b":true}`, Options{}, ""},
		{"undeclared beside quiet", "Q", `{"s":"x","n":1,"x":1}`, Options{}, "/x not-allowed"},
		{"case variant beside quiet", "Q", `{"S":"x","n":1,"s":"y"}`, Options{}, "/S not-allowed"},
		{"case variant allowed when case-sensitive and undeclared allowed", "Q", `{"S":"x","n":1,"s":"y"}`,
			Options{AllowUndeclared: true, CaseSensitive: true}, ""},
		{"escaped name", "Q", `{"\u0073":"x","n":1}`, Options{}, ""},
		{"escaped name, wrong type", "Q", `{"\u0073":1,"n":1}`, Options{}, "/s type"},
		{"long name", "Q", `{"long_name_9":"x","s":"x","n":1}`, Options{}, ""},
		{"long name, wrong type", "Q", `{"long_name_9":2,"s":"x","n":1}`, Options{}, "/long_name_9 type"},
		{"long name equal in eight bytes", "Q", `{"long_name_8":"x","s":"x","n":1}`, Options{}, "/long_name_8 not-allowed"},
		{"quiet items", "Q", `{"s":"x","n":1,"tags":["a","b"]}`, Options{}, ""},
		{"an item's index after quiet items", "Q", `{"s":"x","n":1,"tags":["a","b",3]}`, Options{}, "/tags/2 type"},
		{"the first item", "Q", `{"s":"x","n":1,"tags":[3,"a"]}`, Options{}, "/tags/0 type"},
		{"returned members count for required", "R", `{"i":1,"s":"x"}`, Options{}, ""},
		{"a returned member missing", "R", `{"s":"x"}`, Options{}, " required"},
		{"a quiet member missing", "R", `{"i":1}`, Options{}, " required"},
		{"a readOnly name is not required in a request", "RO", `{"s":"x"}`, Options{}, ""},
		{"nor counted", "RO", `{"id":1}`, Options{}, " required, /id not-allowed"},
		{"uniqueItems sees every item", "U", `{"u":["a","b","a"]}`, Options{}, "/u uniqueItems"},
		{"uniqueItems, distinct", "U", `{"u":["a","b"]}`, Options{}, ""},
		{"enum of an object sees every member", "E", `{"a":"y"}`, Options{}, " enum"},
		{"enum of an object, equal", "E", `{"a":"x"}`, Options{}, ""},
		{"maxItems counts quiet items", "Items", `["a",null,"b","c"]`, Options{}, " maxItems"},
		{"maxItems at its bound", "Items", `["a",null,"b"]`, Options{}, ""},
		{"a quiet item's type", "Items", `["a",true]`, Options{}, "/1 type"},
	})
}

// TestScanRules_containers: a member or item whose one schema has a plan
// is opened straight from the walk's loop, with the place value would
// have made: its flags, key and index.
func TestScanRules_containers(t *testing.T) {
	set := mustSet(t, scanRulesSchemas)
	resp := Options{Mode: Response}
	runEvalCases(t, set, []evalCase{
		{"an object member", "Obj", `{"o":{"x":1}}`, Options{}, ""},
		{"inside it", "Obj", `{"o":{"x":"1"}}`, Options{}, "/o/x type"},
		{"its type", "Obj", `{"o":[1]}`, Options{}, "/o type"},
		{"undeclared inside it", "Obj", `{"o":{"y":1}}`, Options{}, "/o/y not-allowed"},
		{"readOnly object in a request", "Obj", `{"ro":{}}`, Options{}, "/ro not-allowed"},
		{"readOnly object in a response", "Obj", `{"ro":{}}`, resp, ""},
		{"writeOnly object in a request", "Obj", `{"wo":{"x":1}}`, Options{}, ""},
		{"items", "Obj", `{"list":[{"x":1},{"x":2}]}`, Options{}, ""},
		{"an item's index", "Obj", `{"list":[{"x":1},{"x":"2"}]}`, Options{}, "/list/1/x type"},
		{"an item's required", "Obj", `{"list":[{"x":1},{}]}`, Options{}, "/list/1 required"},
		{"an item's type", "Obj", `{"list":[{"x":1},[]]}`, Options{}, "/list/1 type"},
		{"a free-form object", "Obj", `{"free":{"any":1}}`, Options{}, ""},
		{"escaped key", "Obj", `{"\u006f":{"x":"1"}}`, Options{}, "/o/x type"},
		{"uniqueItems sees items opened from the loop", "UObj", `[{"x":1},{"x":1}]`, Options{}, " uniqueItems"},
		{"uniqueItems, distinct objects", "UObj", `[{"x":1},{"x":2}]`, Options{}, ""},
		{"an enum of arrays hashes items opened from the loop", "EArr", `[{"x":1}]`, Options{}, ""},
		{"an enum of arrays, another array", "EArr", `[{"x":2}]`, Options{}, " enum"},
		{"a member is no item", "Both", `{"b":{"x":"1"}}`, Options{AllowUndeclared: true}, ""},
		{"an item is", "Both", `[{"x":"1"}]`, Options{}, "/0/x type"},
		{"a case variant named only by required", "CaseObj", `{"A":{"x":1}}`, Options{}, "/A not-allowed"},
		{"additionalProperties opens its plan", "CaseObj", `{"A":{"x":1},"b":{"x":"1"}}`,
			Options{AllowUndeclared: true, CaseSensitive: true}, "/b/x type"},
	})
	var v Validator
	body := `{"o":{"x":1},"wo":{"x":1},"list":[{"x":1,"y":2}]}`
	res, err := v.Validate(mustSchema(t, set, "Obj"), []byte(body), resp)
	if err != nil || !res.Valid {
		t.Fatal(err, res.Violations)
	}
	if got := string(AppendProjected(nil, []byte(body), res.Drops)); got != `{"o":{"x":1},"list":[{"x":1}]}` {
		t.Errorf("projected %s", got)
	}
}

// TestScalar_rawLength: the bytes between a string's quotes decide
// minLength and maxLength unless they could hold a length beyond a bound
// (escapes: up to twelve bytes per character).
func TestScalar_rawLength(t *testing.T) {
	set := mustSet(t, `{
	 "Max": {"type": "string", "maxLength": 3},
	 "Min": {"type": "string", "minLength": 2},
	 "MinPat": {"type": "string", "minLength": 2, "pattern": "^a"}
	}`)
	runEvalCases(t, set, []evalCase{
		{"max, at the bound", "Max", `"abc"`, Options{}, ""},
		{"max, over", "Max", `"abcd"`, Options{}, " maxLength"},
		{"max, escapes within", "Max", `"\u0061\u0062c"`, Options{}, ""},
		{"max, escapes over", "Max", `"\u0061\u0062cd"`, Options{}, " maxLength"},
		{"max, multibyte within", "Max", `"日本語"`, Options{}, ""},
		{"min, one pair of twelve bytes", "Min", `"\ud83d\ude00"`, Options{}, " minLength"},
		{"min, thirteen bytes hold two", "Min", `"\ud83d\ude00a"`, Options{}, ""},
		{"min, two pairs", "Min", `"\ud83d\ude00\ud83d\ude00"`, Options{}, ""},
		{"min, short", "Min", `"a"`, Options{}, " minLength"},
		{"min, at the bound", "Min", `"ab"`, Options{}, ""},
		{"min, empty", "Min", `""`, Options{}, " minLength"},
		{"in bounds, the pattern still runs", "MinPat", `"ba"`, Options{}, " pattern"},
		{"in bounds, the pattern passes", "MinPat", `"ab"`, Options{}, ""},
		{"out of bounds and the pattern", "MinPat", `"b"`, Options{}, " minLength,  pattern"},
	})
}

// TestScanRules_response: in a response nothing is quiet (every member is
// a place of the projection), the names are still the scanner's, and the
// required names are the response's.
func TestScanRules_response(t *testing.T) {
	set := mustSet(t, scanRulesSchemas)
	resp := Options{Mode: Response}
	runEvalCases(t, set, []evalCase{
		{"valid", "Q", `{"s":"x","n":1}`, resp, ""},
		{"a type", "Q", `{"s":"x","n":"y"}`, resp, "/n type"},
		{"readOnly is required in a response", "RO", `{"s":"x"}`, resp, " required"},
		{"and counted", "RO", `{"id":1,"s":"x"}`, resp, ""},
	})
	var v Validator
	body := `{"s":"x","x":1,"\u006e":1}`
	res, err := v.Validate(mustSchema(t, set, "Q"), []byte(body), resp)
	if err != nil || !res.Valid {
		t.Fatal(err, res.Violations)
	}
	if got := string(AppendProjected(nil, []byte(body), res.Drops)); got != `{"s":"x","\u006e":1}` {
		t.Errorf("projected %s", got)
	}
}
