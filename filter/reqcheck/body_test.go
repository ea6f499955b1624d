package reqcheck

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jsonx"
)

var testLimits = jsonx.Limits{MaxDepth: 4, MaxKeys: 3, MaxArrayItems: 3, MaxStringBytes: 8}

func field(path string, typ config.JSONType, required bool) config.FieldRule {
	p, err := config.SplitClaimPath(path)
	if err != nil {
		panic(err)
	}
	return config.FieldRule{Path: p, PathName: path, Type: typ, Required: required}
}

func TestBody_limitsAndGrammar(t *testing.T) {
	cases := []struct {
		name, body string
		want       Failure
	}{
		{"object", `{"a":[1,2,3],"b":{"c":null}}`, OK},
		{"scalar top level", `"short"`, OK},
		{"whitespace around", " \t\n{}\r\n", OK},
		{"depth at limit", `[[[[1]]]]`, OK},
		{"depth over", `[[[[[1]]]]]`, JSONDepth},
		{"depth bomb unterminated", strings.Repeat("[", 100000), JSONDepth},
		{"keys over", `{"a":1,"b":2,"c":3,"d":4}`, JSONKeys},
		{"keys per object", `{"a":{"x":1,"y":2,"z":3},"b":{"x":1,"y":2,"z":3}}`, OK},
		{"items over", `[1,2,3,4]`, JSONItems},
		{"string at limit", `"12345678"`, OK},
		{"string over", `"123456789"`, JSONStringSize},
		{"escapes count as written", `"\u0041\u0041"`, JSONStringSize},
		{"key over", `{"123456789":1}`, JSONStringSize},
		{"duplicate key", `{"a":1,"a":2}`, JSONDuplicateKey},
		{"duplicate after unescape", `{"a":1,"\u0061":2}`, JSONDuplicateKey},
		{"duplicate nested", `{"a":{"b":1,"b":1}}`, JSONDuplicateKey},
		{"case differs", `{"a":1,"A":2}`, JSONDuplicateKeyCase},
		{"invalid utf-8", "\"\xff\"", JSONUTF8},
		{"lone surrogate", `"\ud800"`, JSONUTF8},
		{"trailing data", `{}{}`, JSONTrailingData},
		{"trailing comma", `[1,]`, JSONSyntax},
		{"comment", `{/*x*/}`, JSONSyntax},
		{"not json", `role=admin`, JSONSyntax},
		{"bom", "\ufeff{}", JSONSyntax},
		{"empty", ``, JSONEmpty},
		{"only space", `   `, JSONEmpty},
	}
	for _, c := range cases {
		for _, fields := range [][]config.FieldRule{nil, {field("zz", config.TypeAny, false)}} {
			if got := CheckBody([]byte(c.body), testLimits, fields, KeysFold); got != c.want {
				t.Errorf("%s (fields %d): got %v, want %v", c.name, len(fields), got, c.want)
			}
		}
	}
}

func TestBody_fields(t *testing.T) {
	rules := []config.FieldRule{
		field("items", config.TypeArray, true),
		field("customer.id", config.TypeInteger, true),
		field("note", config.TypeString, false),
	}
	cases := []struct {
		name, body string
		want       Failure
	}{
		{"all good", `{"items":[],"customer":{"id":7},"note":"x"}`, OK},
		{"optional absent", `{"items":[1],"customer":{"id":-7}}`, OK},
		{"order does not matter", `{"customer":{"name":"a","id":0},"x":{"items":1},"items":[{"id":"s"}]}`, OK},
		{"required missing", `{"customer":{"id":7}}`, FieldMissing},
		{"nested missing", `{"items":[],"customer":{}}`, FieldMissing},
		{"parent not an object", `{"items":[],"customer":[{"id":7}]}`, FieldMissing},
		{"parent is a string", `{"items":[],"customer":"id"}`, FieldMissing},
		{"same key deeper does not count", `{"items":[],"x":{"customer":{"id":7}}}`, FieldMissing},
		{"key at wrong depth", `{"items":[],"id":7,"customer":{}}`, FieldMissing},
		{"top level array", `[{"items":[],"customer":{"id":7}}]`, FieldMissing},
		{"top level scalar", `7`, FieldMissing},
		{"wrong type", `{"items":{},"customer":{"id":7}}`, FieldType},
		{"integer with fraction", `{"items":[],"customer":{"id":7.0}}`, FieldType},
		{"integer with exponent", `{"items":[],"customer":{"id":7e0}}`, FieldType},
		{"integer as string", `{"items":[],"customer":{"id":"7"}}`, FieldType},
		{"optional wrong type", `{"items":[],"customer":{"id":7},"note":null}`, FieldType},
		{"escaped key matches", `{"it\u0065ms":[],"customer":{"\u0069d":1}}`, OK},
		{"json failure wins", `{"items":[],"customer":{"id":7},"a":1,"b":2}`, JSONKeys},
	}
	lim := jsonx.Limits{MaxDepth: 8, MaxKeys: 3}
	for _, c := range cases {
		if got := CheckBody([]byte(c.body), lim, rules, KeysFold); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestBody_fieldTypes(t *testing.T) {
	values := map[string]string{
		"object": `{}`, "array": `[]`, "string": `""`, "integer": `-12`,
		"number": `1.5e3`, "true": `true`, "false": `false`, "null": `null`,
	}
	allowed := map[config.JSONType][]string{
		config.TypeAny:     {"object", "array", "string", "integer", "number", "true", "false", "null"},
		config.TypeObject:  {"object"},
		config.TypeArray:   {"array"},
		config.TypeString:  {"string"},
		config.TypeNumber:  {"integer", "number"},
		config.TypeInteger: {"integer"},
		config.TypeBoolean: {"true", "false"},
		config.TypeNull:    {"null"},
	}
	for typ, ok := range allowed {
		for name, v := range values {
			want := FieldType
			for _, o := range ok {
				if o == name {
					want = OK
				}
			}
			got := CheckBody([]byte(`{"a":{"b":`+v+`}}`), jsonx.Limits{}, []config.FieldRule{field("a.b", typ, true)}, KeysFold)
			if got != want {
				t.Errorf("type %v, value %s: got %v, want %v", typ, v, got, want)
			}
		}
	}
}

// Many rules take several mask words; each must still be found.
func TestBody_manyFields(t *testing.T) {
	var rules []config.FieldRule
	var b strings.Builder
	b.WriteString(`{"o":{`)
	for i := range 150 {
		k := "k" + string(rune('a'+i/26)) + string(rune('a'+i%26))
		rules = append(rules, field("o."+k, config.TypeInteger, true))
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + k + `":1`)
	}
	b.WriteString(`}}`)
	if got := CheckBody([]byte(b.String()), jsonx.Limits{}, rules, KeysFold); got != OK {
		t.Fatalf("got %v", got)
	}
	rules = append(rules, field("o.missing", config.TypeAny, true))
	if got := CheckBody([]byte(b.String()), jsonx.Limits{}, rules, KeysFold); got != FieldMissing {
		t.Fatalf("got %v", got)
	}
}

func TestBody_failureNames(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range Failures() {
		s := f.String()
		if s == "" || s == "invalid" || seen[s] || strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			t.Errorf("failure %d has a bad or repeated name %q", f, s)
		}
		seen[s] = true
	}
	if Failure(200).String() != "invalid" {
		t.Error("out-of-range failure")
	}
}

// TestBody_keyCase: keys equal under case folding are duplicates unless
// json.case_sensitive_keys (KeysExact), with and without `fields` (the two
// walks), at every depth and however the key is spelled.
func TestBody_keyCase(t *testing.T) {
	cases := []struct {
		name, body  string
		fold, exact Failure
	}{
		{"qty", `{"qty":1,"QTY":-5}`, JSONDuplicateKeyCase, OK},
		{"escaped", `{"qty":1,"\u0051TY":-5}`, JSONDuplicateKeyCase, OK},
		{"all escaped", `{"\u0071\u0074\u0079":1,"\u0051\u0054\u0059":-5}`, JSONDuplicateKeyCase, OK},
		{"kelvin sign", "{\"sku\":\"a\",\"s\u212au\":\"b\"}", JSONDuplicateKeyCase, OK},
		{"long s", "{\"sku\":\"a\",\"\u017fku\":\"b\"}", JSONDuplicateKeyCase, OK},
		{"dotted capital I", "{\"is_admin\":false,\"\u0130S_ADMIN\":true}", JSONDuplicateKeyCase, OK},
		{"dotless i", "{\"is_admin\":false,\"\u0131s_admin\":true}", JSONDuplicateKeyCase, OK},
		{"nested in an array", `{"items":[{"qty":1},{"qty":2,"Qty":-5}]}`, JSONDuplicateKeyCase, OK},
		{"exact duplicate either way", `{"qty":1,"q\u0074y":2}`, JSONDuplicateKey, JSONDuplicateKey},
		{"different levels", `{"qty":1,"o":{"QTY":2}}`, OK, OK},
		{"sharp s is not ss", "{\"stra\u00dfe\":1,\"strasse\":2}", OK, OK},
	}
	lim := jsonx.Limits{MaxDepth: 8, MaxKeys: 100, MaxArrayItems: 100, MaxStringBytes: 100}
	for _, c := range cases {
		for _, fields := range [][]config.FieldRule{nil, {field("items", config.TypeArray, false), field("o.QTY", config.TypeAny, false)}} {
			if got := CheckBody([]byte(c.body), lim, fields, KeysFold); got != c.fold {
				t.Errorf("%s (fields %d, fold): got %v, want %v", c.name, len(fields), got, c.fold)
			}
			if got := CheckBody([]byte(c.body), lim, fields, KeysExact); got != c.exact {
				t.Errorf("%s (fields %d, exact): got %v, want %v", c.name, len(fields), got, c.exact)
			}
		}
	}
	if KeyCaseOf(nil) != KeysFold || KeyCaseOf(&config.JSONRules{}) != KeysFold ||
		KeyCaseOf(&config.JSONRules{CaseSensitiveKeys: true}) != KeysExact {
		t.Error("KeyCaseOf")
	}
	// A pooled Checker used for one route must not carry its key rule
	// to the next.
	var ch Checker
	for range 3 {
		if got := ch.Check([]byte(`{"a":1,"A":2}`), lim, nil, KeysExact); got != OK {
			t.Errorf("exact after fold: %v", got)
		}
		if got := ch.Check([]byte(`{"a":1,"A":2}`), lim, nil, KeysFold); got != JSONDuplicateKeyCase {
			t.Errorf("fold after exact: %v", got)
		}
	}
}

func TestBody_checkDoesNotAllocate(t *testing.T) {
	body := []byte(`{"items":[1,2,{"a":"b"}],"customer":{"id":7,"name":"x\u00e9"},"note":"hello"}`)
	rules := []config.FieldRule{field("items", config.TypeArray, true), field("customer.id", config.TypeInteger, true)}
	lim := jsonx.Limits{MaxDepth: 8, MaxKeys: 100, MaxArrayItems: 100, MaxStringBytes: 100}
	var c Checker
	c.Check(body, lim, rules, KeysFold)
	c.Check(body, lim, nil, KeysFold)
	if n := testing.AllocsPerRun(100, func() { c.Check(body, lim, rules, KeysFold) }); n != 0 {
		t.Errorf("Check with fields allocates %.0f times", n)
	}
	if n := testing.AllocsPerRun(100, func() { c.Check(body, lim, nil, KeysFold) }); n != 0 {
		t.Errorf("Check without fields allocates %.0f times", n)
	}
	c.Check(body, lim, nil, KeysExact)
	if n := testing.AllocsPerRun(100, func() { c.Check(body, lim, nil, KeysExact) }); n != 0 {
		t.Errorf("Check with exact keys allocates %.0f times", n)
	}
}

// lookupKind states the fields rule with jsonx's tree: the reference the
// one-pass walk must agree with.
func lookupKind(v *jsonx.Value) uint8 {
	switch v.Kind {
	case jsonx.KindObject:
		return kindObject
	case jsonx.KindArray:
		return kindArray
	case jsonx.KindString:
		return kindString
	case jsonx.KindNumber:
		return numberKind([]byte(v.Str))
	case jsonx.KindBool:
		return kindBoolean
	}
	return kindNull
}

func FuzzBody_fields(f *testing.F) {
	for _, s := range []string{`{"a":{"b":1}}`, `{"a":[{"b":1}]}`, `{"b":"x","a":{}}`, `[1]`, `{"a":{"b":{"c":null}},"c":true}`, `{"a":1,"a":2}`, `{"a":{"b":1.5}}`,
		`{"a":{"b":1,"B":"x"}}`, `{"A":{"b":1},"a":{}}`, `{"\u0061":{"b":1},"c":true,"C":false}`} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	rules := []config.FieldRule{
		field("a.b", config.TypeInteger, true),
		field("a", config.TypeObject, false),
		field("c", config.TypeBoolean, false),
		field("a.b.c", config.TypeNull, false),
	}
	lim := jsonx.Limits{MaxDepth: 16}
	f.Fuzz(func(t *testing.T, body []byte, exact bool) {
		keys := KeysFold
		if exact {
			keys = KeysExact
		}
		got := CheckBody(body, lim, rules, keys)
		jv := jsonx.Validator{FoldDuplicates: !exact}
		v, err := jv.Parse(body, lim)
		if err != nil {
			if want := fromError(err); got != want {
				t.Fatalf("%q: got %v, jsonx says %v", body, got, want)
			}
			return
		}
		want := OK
		for _, r := range rules {
			fv := v.Lookup(r.Path)
			if fv == nil {
				if r.Required {
					want = FieldMissing
					break
				}
				continue
			}
			if !typeAllows(r.Type, lookupKind(fv)) {
				want = FieldType
				break
			}
		}
		if got != want {
			t.Fatalf("%q: got %v, tree walk says %v", body, got, want)
		}
	})
}
