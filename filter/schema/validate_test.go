package schema

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// apiSchemas is an OpenAPI-like model: one set serves requests and
// responses through readOnly and writeOnly.
const apiSchemas = `{
 "OrderCreate": {"type": "object", "additionalProperties": false, "required": ["items"],
   "properties": {"id": {"type": "string", "readOnly": true}, "customer_id": {"type": "string"},
     "items": {"type": "array", "maxItems": 100, "items": {"$ref": "#/schemas/Item"}}}},
 "Item": {"type": "object", "required": ["sku", "qty"],
   "properties": {"sku": {"type": "string", "pattern": "^[A-Z0-9-]{3,32}$"},
     "qty": {"type": "integer", "minimum": 1, "maximum": 999}}},
 "Order": {"type": "object",
   "properties": {"id": {"type": "string"}, "items": {"type": "array", "items": {"$ref": "#/schemas/Item"}},
     "card_number": {"type": "string", "writeOnly": true}}},
 "User": {"type": "object", "required": ["id", "name", "password"],
   "properties": {"id": {"type": "integer", "readOnly": true}, "name": {"type": "string", "minLength": 1},
     "password": {"type": "string", "writeOnly": true}, "meta": {"type": "object"},
     "prefs": {"type": "object", "additionalProperties": {"type": "string"}},
     "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true}}},
 "Pet": {"oneOf": [{"$ref": "#/schemas/Cat"}, {"$ref": "#/schemas/Dog"}],
   "discriminator": {"propertyName": "kind", "mapping": {"cat": "#/schemas/Cat"}}},
 "Cat": {"type": "object", "required": ["kind"], "properties": {"kind": {"type": "string"}, "lives": {"type": "integer"}}},
 "Dog": {"type": "object", "required": ["kind"], "properties": {"kind": {"type": "string"}, "bark": {"type": "boolean"}}},
 "Shape": {"anyOf": [
   {"type": "object", "properties": {"r": {"type": "number"}}, "required": ["r"]},
   {"type": "object", "properties": {"w": {"type": "number"}, "h": {"type": "number"}}, "required": ["w", "h"]}]},
 "Base": {"type": "object", "properties": {"created": {"type": "string", "format": "date-time", "readOnly": true}}},
 "Derived": {"allOf": [{"$ref": "#/schemas/Base"}, {"type": "object", "properties": {"note": {"type": "string"}}}]},
 "Price": {"type": "number", "multipleOf": 0.01, "minimum": 0, "maximum": 1e400},
 "Nullable": {"type": "string", "nullable": true, "enum": ["a", "b"]},
 "Tree": {"type": "object", "properties": {"name": {"type": "string"},
   "kids": {"type": "array", "items": {"$ref": "#/schemas/Tree"}}}},
 "Secretive": {"type": "object", "properties": {"a": {"type": "integer"}, "hidden": false}},
 "Mixed": {"type": "object", "properties": {"shape": {"$ref": "#/schemas/Shape"}, "n": {"type": "integer"},
   "pets": {"type": "array", "items": {"$ref": "#/schemas/Pet"}}}}
}`

func mustSet(t testing.TB, src string) *Set {
	t.Helper()
	set, err := CompileJSON([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func mustSchema(t testing.TB, set *Set, name string) Schema {
	t.Helper()
	sc, ok := set.Lookup(name)
	if !ok {
		t.Fatalf("no schema %s", name)
	}
	return sc
}

func violationsString(vs []Violation) string {
	var parts []string
	for _, v := range vs {
		parts = append(parts, v.Pointer+" "+v.Rule)
	}
	return strings.Join(parts, ", ")
}

func TestValidate_request(t *testing.T) {
	set := mustSet(t, apiSchemas)
	cases := []struct {
		schema, body string
		opts         Options
		want         string // violations; "" means valid
	}{
		{"OrderCreate", `{"customer_id":"c1","items":[{"sku":"ABC-1","qty":2}]}`, Options{}, ""},
		{"OrderCreate", `{"items":[{"sku":"ABC-1","qty":0}]}`, Options{}, "/items/0/qty minimum"},
		{"OrderCreate", `{"items":[{"sku":"abc","qty":1000}]}`, Options{}, "/items/0/sku pattern, /items/0/qty maximum"},
		{"OrderCreate", `{"items":[{"sku":"ABC"}]}`, Options{}, "/items/0 required"},
		{"OrderCreate", `{}`, Options{}, " required"},
		{"OrderCreate", `[]`, Options{}, " type"},
		// Mass assignment: readOnly and undeclared members, case variants.
		{"OrderCreate", `{"id":"x","items":[]}`, Options{}, "/id not-allowed"},
		{"OrderCreate", `{"items":[],"role":"admin"}`, Options{}, "/role not-allowed"},
		{"OrderCreate", `{"items":[{"sku":"ABC","qty":1,"price":0}]}`, Options{}, "/items/0/price not-allowed"},
		{"OrderCreate", `{"items":[{"sku":"ABC","qty":1,"price":0}]}`, Options{AllowUndeclared: true}, ""},
		{"User", `{"name":"n","password":"p","is_admin":true}`, Options{}, "/is_admin not-allowed"},
		{"User", `{"name":"n","password":"p","is_admin":true}`, Options{AllowUndeclared: true}, ""},
		{"User", `{"name":"n","password":"p","Name":"x"}`, Options{AllowUndeclared: true}, "/Name not-allowed"},
		{"User", `{"name":"n","password":"p","NAME":"x"}`, Options{AllowUndeclared: true, CaseSensitive: true}, ""},
		{"User", `{"name":"n","password":"p","ſd":1}`, Options{AllowUndeclared: true}, ""},
		{"User", `{"name":"n","password":"p","\u0069d":1}`, Options{}, "/id not-allowed"},
		{"User", `{"name":"n","password":"p","ID":1}`, Options{}, "/ID not-allowed"},
		// readOnly is exempt from required in requests, writeOnly is not.
		{"User", `{"name":"n","password":"p"}`, Options{}, ""},
		{"User", `{"name":"n"}`, Options{}, " required"},
		// Free-form objects and additionalProperties schemas declare members.
		{"User", `{"name":"n","password":"p","meta":{"any":{"thing":1}}}`, Options{}, ""},
		{"User", `{"name":"n","password":"p","prefs":{"x":"y"}}`, Options{}, ""},
		{"User", `{"name":"n","password":"p","prefs":{"x":1}}`, Options{}, "/prefs/x type"},
		{"User", `{"name":"n","password":"p","tags":["a","b","a"]}`, Options{}, "/tags uniqueItems"},
		{"User", `{"name":"n","password":"p","tags":["a","b","\u0061b"]}`, Options{}, ""},
		// Discriminator: it selects the branch, whose members alone are declared.
		{"Pet", `{"kind":"cat","lives":9}`, Options{}, ""},
		{"Pet", `{"kind":"Dog","bark":true}`, Options{}, ""},
		{"Pet", `{"kind":"cow"}`, Options{}, " discriminator"},
		{"Pet", `{"lives":1}`, Options{}, " discriminator"},
		{"Pet", `{"kind":"cat","bark":true}`, Options{}, "/bark not-allowed"},
		{"Pet", `{"kind":"Dog","bark":"loud"}`, Options{}, "/bark type"},
		{"Pet", `"cat"`, Options{}, " oneOf"},
		// anyOf: only the branches that validate declare.
		{"Shape", `{"r":1}`, Options{}, ""},
		{"Shape", `{"w":1,"h":2}`, Options{}, ""},
		{"Shape", `{"w":1}`, Options{}, " anyOf"},
		{"Shape", `{"r":1,"w":2}`, Options{}, "/w not-allowed"},
		{"Shape", `{"r":1,"w":2,"h":3}`, Options{}, ""},
		// Through allOf and $ref.
		{"Derived", `{"note":"x"}`, Options{}, ""},
		{"Derived", `{"note":"x","created":"2026-01-01T00:00:00Z"}`, Options{}, "/created not-allowed"},
		{"Derived", `{"note":"x","other":1}`, Options{}, "/other not-allowed"},
		// Exact numbers.
		{"Price", `19.99`, Options{}, ""},
		{"Price", `19.999`, Options{}, " multipleOf"},
		{"Price", `1e400`, Options{}, ""},
		{"Price", `1.00000000000000000000000001e400`, Options{}, " maximum"},
		{"Price", `-0.01`, Options{}, " minimum"},
		{"Price", `-0`, Options{}, ""},
		{"Price", `"1"`, Options{}, " type"},
		{"Nullable", `null`, Options{}, ""},
		{"Nullable", `"c"`, Options{}, " enum"},
		{"Tree", `{"name":"a","kids":[{"name":"b","kids":[{"name":1}]}]}`, Options{}, "/kids/0/kids/0/name type"},
		{"Secretive", `{"a":1}`, Options{}, ""},
		{"Secretive", `{"a":1,"hidden":0}`, Options{}, "/hidden not-allowed"},
		// Conditional places (anyOf, discriminator) inside unconditional ones.
		{"Mixed", `{"shape":{"r":1},"n":1,"pets":[{"kind":"cat"}]}`, Options{}, ""},
		{"Mixed", `{"shape":{"w":1},"n":1}`, Options{}, "/shape anyOf"},
		{"Mixed", `{"shape":{"r":1,"x":1},"n":"a"}`, Options{}, "/shape/x not-allowed, /n type"},
		{"Mixed", `{"pets":[{"kind":"cat"},{"kind":"Dog","bark":1}],"n":1.5}`, Options{}, "/pets/1/bark type, /n type"},
	}
	var v Validator
	for _, tc := range cases {
		t.Run(tc.schema+" "+tc.body, func(t *testing.T) {
			res, err := v.Validate(mustSchema(t, set, tc.schema), []byte(tc.body), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := violationsString(res.Violations)
			if res.Valid != (tc.want == "") || got != tc.want {
				t.Errorf("valid=%v violations %q, want %q", res.Valid, got, tc.want)
			}
		})
	}
}

func TestValidate_response(t *testing.T) {
	set := mustSet(t, apiSchemas)
	cases := []struct {
		schema, body string
		wantValid    bool
		want         string // the projected body
	}{
		{"Order", `{"id":"1","card_number":"4111","internal":"x","items":[{"sku":"ABC","qty":1,"cost":3}]}`, true,
			`{"id":"1","items":[{"sku":"ABC","qty":1}]}`},
		{"Order", `{"internal":"x","id":"1"}`, true, `{"id":"1"}`},
		{"Order", `{"a":1,"b":2}`, true, `{}`},
		{"Order", `{ "a" : 1 , "id" : "x" , "b" : 2 }`, true, `{ "id" : "x" }`},
		{"Order", "{\n  \"id\": \"x\",\n  \"card\\u005fnumber\": \"4111\"\n}", true, "{\n  \"id\": \"x\"\n}"},
		{"Order", `{"id":"1","items":[{"a":1},{"qty":2,"b":[1,{"c":2}],"sku":"ABC"}]}`, false,
			`{"id":"1","items":[{},{"qty":2,"sku":"ABC"}]}`},
		// writeOnly is exempt from required in responses; readOnly is not.
		{"User", `{"id":1,"name":"n"}`, true, `{"id":1,"name":"n"}`},
		{"User", `{"name":"n","password":"secret"}`, false, `{"name":"n"}`},
		{"User", `{"id":1,"name":"n","meta":{"x":{"y":1}},"prefs":{"k":"v"},"hash":"h"}`, true,
			`{"id":1,"name":"n","meta":{"x":{"y":1}},"prefs":{"k":"v"}}`},
		{"Pet", `{"kind":"cat","lives":9,"bark":true}`, true, `{"kind":"cat","lives":9}`},
		{"Shape", `{"r":1,"w":2}`, true, `{"r":1}`},
		// A response that fails still projects: with no valid branch, all branches declare.
		{"Shape", `{"w":2,"x":1}`, false, `{"w":2}`},
		{"Secretive", `{"a":1,"hidden":"x","b":2}`, false, `{"a":1}`},
		{"Tree", `{"name":"a","kids":[{"name":"b","x":1,"kids":[]}],"y":[1]}`, true,
			`{"name":"a","kids":[{"name":"b","kids":[]}]}`},
		{"Order", `[{"a":1}]`, false, `[{"a":1}]`},
		{"Mixed", `{"x":0,"shape":{"r":1,"w":2},"pets":[{"kind":"cat","bark":true,"lives":1}],"n":1}`, true,
			`{"shape":{"r":1},"pets":[{"kind":"cat","lives":1}],"n":1}`},
	}
	var v Validator
	for _, tc := range cases {
		t.Run(tc.schema+" "+tc.body, func(t *testing.T) {
			res, err := v.Validate(mustSchema(t, set, tc.schema), []byte(tc.body), Options{Mode: Response})
			if err != nil {
				t.Fatal(err)
			}
			got := string(AppendProjected(nil, []byte(tc.body), res.Drops))
			if res.Valid != tc.wantValid || got != tc.want {
				t.Errorf("valid=%v (%s) projected %s\nwant valid=%v %s", res.Valid,
					violationsString(res.Violations), got, tc.wantValid, tc.want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("projection is not JSON: %s", got)
			}
		})
	}
}

func TestValidate_violationsOrderAndLimit(t *testing.T) {
	set := mustSet(t, apiSchemas)
	var b strings.Builder
	b.WriteString(`{"items":[`)
	for i := range 15 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"sku":"A","qty":%d}`, 1000+i)
	}
	b.WriteString(`],"zz":1}`)
	var v Validator
	res, err := v.Validate(mustSchema(t, set, "OrderCreate"), []byte(b.String()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Valid || len(res.Violations) != MaxViolations {
		t.Fatalf("valid=%v, %d violations", res.Valid, len(res.Violations))
	}
	want := "/items/0/sku pattern, /items/0/qty maximum, /items/1/sku pattern, /items/1/qty maximum, " +
		"/items/2/sku pattern, /items/2/qty maximum, /items/3/sku pattern, /items/3/qty maximum, " +
		"/items/4/sku pattern, /items/4/qty maximum"
	if got := violationsString(res.Violations); got != want {
		t.Errorf("violations\n got %s\nwant %s", got, want)
	}
}

func TestValidate_pointers(t *testing.T) {
	set := mustSet(t, `{"S": {"type": "object", "additionalProperties": {"type": "object",
		"additionalProperties": {"type": "integer"}}}}`)
	long := strings.Repeat("é", 200)
	cases := []struct{ body, want string }{
		{`{"a/b~c":{"x":"1"}}`, "/a~1b~0c/x"},
		{`{"\u00e9\"":{"\n":"1"}}`, "/é\"/\n"},
		{`{"` + long + `":{"y":"1"}}`, "/" + long[:254]},
		{`{"` + strings.Repeat("~", 300) + `":{"y":"1"}}`, "/" + strings.Repeat("~0", 127)},
	}
	var v Validator
	for _, tc := range cases {
		res, err := v.Validate(mustSchema(t, set, "S"), []byte(tc.body), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Violations) != 1 || res.Violations[0].Pointer != tc.want || res.Violations[0].Rule != "type" {
			t.Errorf("%.40s: %q, want %q", tc.body, res.Violations, tc.want)
		}
		if p := res.Violations[0].Pointer; len(p) > MaxPointer {
			t.Errorf("pointer of %d bytes", len(p))
		}
	}
}

func TestValidate_jsonErrors(t *testing.T) {
	set := mustSet(t, apiSchemas)
	cases := []struct {
		body   string
		opts   Options
		reason string
	}{
		{`{"items":[}`, Options{}, jsonx.ReasonSyntax},
		{`{"items":[],"items":[]}`, Options{}, jsonx.ReasonDuplicateKey},
		{`{"items":[],"ITEMS":[]}`, Options{FoldDuplicates: true}, jsonx.ReasonDuplicateKeyCase},
		{`{"items":[[[[]]]]}`, Options{Limits: jsonx.Limits{MaxDepth: 3}}, jsonx.ReasonDepth},
		{``, Options{}, jsonx.ReasonEmpty},
		// An error inside a value the schema never looks at is still found.
		{`{"items":[],"customer_id":"x","zz":{"a":[1,2,}}`, Options{}, jsonx.ReasonSyntax},
	}
	var v Validator
	for _, tc := range cases {
		_, err := v.Validate(mustSchema(t, set, "OrderCreate"), []byte(tc.body), tc.opts)
		je, ok := err.(*jsonx.Error)
		if !ok || je.Reason != tc.reason {
			t.Errorf("%s: error %v, want reason %s", tc.body, err, tc.reason)
		}
	}
}
