package schema

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// gen turns fuzz bytes into a schema and a body within the supported
// subset, as JSON text (numbers are json.Number, so exactly as written).
type gen struct {
	b []byte
	i int
}

func (g *gen) next() int {
	if g.i >= len(g.b) {
		return 0
	}
	c := g.b[g.i]
	g.i++
	return int(c)
}

func (g *gen) pick(n int) int { return g.next() % n }

var (
	genNumbers = []string{"0", "1", "-1", "1.0", "1.5", "2", "10", "100", "0.1", "1e2", "-2.5",
		"1e400", "12345678901234567890", "0.30000000000000004", "3", "-0"}
	genStrings = []string{"", "a", "ab", "b", "abc", "A1", "aab", "2020-01-01", "2020-02-30",
		"2020-01-01T00:00:00Z", "a@b.co", "a@@b", "::1", "1.2.3.4", "1.2.3", "http://x/y", "x y",
		"2eb8aa08-aa98-11ea-b4aa-73b441d16380", "é", "日本"}
	genKeys     = []string{"a", "b", "c"}
	genTypes    = []string{"null", "boolean", "object", "array", "number", "string", "integer"}
	genPatterns = []string{"^a", "b$", "^[a-c]+$", `\d`, `^\w*$`, "a|b", "^.{2}$", "(ab)+", "^a?b{1,2}$", "[^a]"}
	genFormats  = []string{"date", "date-time", "email", "ipv4", "ipv6", "uri", "uuid"}
	genMultiple = []string{"2", "0.5", "0.1", "3", "0.01", "1e-2", "7", "1.5"}
)

func (g *gen) value(depth int) any {
	switch k := g.pick(8); {
	case k == 0:
		return nil
	case k == 1:
		return g.pick(2) == 0
	case k == 2 || k == 3:
		return json.Number(genNumbers[g.pick(len(genNumbers))])
	case k == 4 || k == 5 || depth <= 0:
		return genStrings[g.pick(len(genStrings))]
	case k == 6:
		n := g.pick(4)
		a := []any{}
		for range n {
			a = append(a, g.value(depth-1))
		}
		return a
	}
	m := map[string]any{}
	for range g.pick(4) {
		m[genKeys[g.pick(len(genKeys))]] = g.value(depth - 1)
	}
	return m
}

func (g *gen) schema(depth int) any {
	if g.pick(8) == 0 {
		return g.pick(3) != 0
	}
	s := map[string]any{}
	sub := func() any {
		if depth <= 0 {
			return g.pick(2) == 0
		}
		return g.schema(depth - 1)
	}
	for range 1 + g.pick(3) {
		switch g.pick(24) {
		case 0:
			if g.pick(3) == 0 {
				s["type"] = []any{genTypes[g.pick(7)], genTypes[g.pick(7)]}
				if l := s["type"].([]any); l[0] == l[1] {
					s["type"] = l[0]
				}
			} else {
				s["type"] = genTypes[g.pick(7)]
			}
		case 1, 2:
			p := map[string]any{}
			for range 1 + g.pick(2) {
				p[genKeys[g.pick(3)]] = sub()
			}
			s["properties"] = p
		case 3:
			r := []any{}
			seen := map[string]bool{}
			for range 1 + g.pick(2) {
				k := genKeys[g.pick(3)]
				if !seen[k] {
					seen[k] = true
					r = append(r, k)
				}
			}
			s["required"] = r
		case 4:
			s["additionalProperties"] = sub()
		case 5:
			s["items"] = sub()
		case 6:
			e := []any{}
			for range 1 + g.pick(3) {
				e = append(e, g.value(1))
			}
			s["enum"] = e
		case 7:
			s["const"] = g.value(1)
		case 8:
			s[[]string{"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}[g.pick(4)]] =
				json.Number(genNumbers[g.pick(len(genNumbers))])
		case 9:
			s["multipleOf"] = json.Number(genMultiple[g.pick(len(genMultiple))])
		case 10:
			s[[]string{"minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"}[g.pick(6)]] =
				json.Number(strconv.Itoa(g.pick(4)))
		case 11:
			s["pattern"] = genPatterns[g.pick(len(genPatterns))]
		case 12:
			s["format"] = genFormats[g.pick(len(genFormats))]
		case 13:
			s["uniqueItems"] = g.pick(2) == 0
		case 14, 15, 16:
			l := []any{}
			for range 1 + g.pick(3) {
				l = append(l, sub())
			}
			s[[]string{"allOf", "anyOf", "oneOf"}[g.pick(3)]] = l
		case 17:
			s["not"] = sub()
		case 18, 19:
			s["$ref"] = "#/$defs/d" + strconv.Itoa(g.pick(3))
		case 20:
			s["$ref"] = "#"
		default:
			s["title"] = "t"
		}
	}
	return s
}

// genCase builds a schema (with three $defs) and a body.
func genCase(data []byte) (schemaText, body []byte) {
	g := &gen{b: data}
	root := g.schema(2)
	m, ok := root.(map[string]any)
	if !ok {
		m = map[string]any{"allOf": []any{root}}
	}
	defs := map[string]any{}
	for i := range 3 {
		defs["d"+strconv.Itoa(i)] = g.schema(1)
	}
	m["$defs"] = defs
	schemaText, _ = json.Marshal(m)
	body, _ = json.Marshal(g.value(3))
	return schemaText, body
}

// reference validates with santhosh-tekuri/jsonschema (a complete
// validator, used only in tests), formats asserted.
func reference(t *testing.T, schemaText, body []byte) (valid bool, ok bool) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaText))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource("mem://s.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("mem://s.json")
	if err != nil {
		return false, false
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	err = sch.Validate(inst)
	if err != nil && strings.Contains(err.Error(), "infinite loop") {
		return false, false
	}
	return err == nil, true
}

var diffSeeds = [][]byte{
	{}, {1, 2, 3}, []byte("schema"), []byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09"),
	[]byte("\x0e\x01\x0f\x02\x10\x03"), []byte("\x06\x07\x08\x09\x0a\x0b\x0c"), []byte("\xff\xfe\xfd\xfc\xfb"),
	[]byte("\x12\x12\x12\x13\x14\x05\x05"), []byte("oneOf anyOf allOf not"), []byte("\x0b\x0b\x0b\x0b\x11\x11"),
}

// FuzzSchema_differential: on generated schemas and bodies within the subset,
// apiguard's verdict (undeclared allowed, case-sensitive: plain JSON
// Schema) is the reference validator's.
func FuzzSchema_differential(f *testing.F) {
	for _, s := range diffSeeds {
		f.Add(s)
	}
	var v Validator
	f.Fuzz(func(t *testing.T, data []byte) {
		schemaText, body := genCase(data)
		set, err := CompileJSON([]byte(`{"T":` + string(schemaText) + `}`))
		if err != nil {
			// Only the docs/schemas.md caps may refuse a generated schema.
			if !strings.Contains(err.Error(), "$ref cycle") && !strings.Contains(err.Error(), "nest more than") {
				t.Fatalf("schema %s refused: %v", schemaText, err)
			}
			return
		}
		want, ok := reference(t, schemaText, body)
		if !ok {
			return
		}
		res, err := v.Validate(mustSchema(t, set, "T"), body, Options{AllowUndeclared: true, CaseSensitive: true})
		if err != nil {
			t.Fatalf("body %s: %v", body, err)
		}
		if res.Valid != want {
			t.Fatalf("schema %s\nbody %s\napiguard valid=%v (%s), reference valid=%v", schemaText, body,
				res.Valid, violationsString(res.Violations), want)
		}
	})
}

// xorshiftBytes returns a deterministic source of 64-byte inputs for
// genCase (xorshift32 from seed), so generated tests repeat exactly.
func xorshiftBytes(seed uint32) func() []byte {
	return func() []byte {
		data := make([]byte, 64)
		for j := range data {
			seed ^= seed << 13
			seed ^= seed >> 17
			seed ^= seed << 5
			data[j] = byte(seed)
		}
		return data
	}
}

// TestDifferential_generated runs many generated cases in the normal test
// run, beyond the fuzz seeds.
func TestDifferential_generated(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	var v Validator
	next := xorshiftBytes(12345)
	compared := 0
	for i := range n {
		schemaText, body := genCase(next())
		set, err := CompileJSON([]byte(`{"T":` + string(schemaText) + `}`))
		if err != nil {
			if !strings.Contains(err.Error(), "$ref cycle") && !strings.Contains(err.Error(), "nest more than") {
				t.Fatalf("case %d: schema %s refused: %v", i, schemaText, err)
			}
			continue
		}
		want, ok := reference(t, schemaText, body)
		if !ok {
			continue
		}
		res, err := v.Validate(mustSchema(t, set, "T"), body, Options{AllowUndeclared: true, CaseSensitive: true})
		if err != nil {
			t.Fatalf("body %s: %v", body, err)
		}
		if res.Valid != want {
			t.Errorf("case %d: schema %s\nbody %s\napiguard valid=%v (%s), reference valid=%v", i, schemaText, body,
				res.Valid, violationsString(res.Violations), want)
		}
		compared++
	}
	t.Logf("%d generated cases compared with the reference validator", compared)
	if compared < n/2 {
		t.Errorf("only %d of %d cases compared", compared, n)
	}
}

// FuzzSchema_compile: any schemas document compiles or is refused without a
// panic, and what compiles validates a few bodies in bounded work.
func FuzzSchema_compile(f *testing.F) {
	f.Add([]byte(apiSchemas))
	f.Add([]byte(`{"A": {"$ref": "#/schemas/A"}}`))
	f.Add([]byte(`{"A": {"anyOf": [{"$ref": "#/schemas/B"}, {"$ref": "#/schemas/B"}]}, "B": {"items": {"$ref": "#/schemas/A"}}}`))
	f.Add([]byte(`{"A": {"pattern": "(?=x)[\\s\\S]\\u{1F600}\\p{Script=Greek}"}}`))
	f.Add([]byte(`{"A": {"enum": [{"a": [1, 2.0]}, [null]], "uniqueItems": true, "multipleOf": 1e-300}}`))
	f.Add([]byte(`{"A": {"oneOf": [{"$ref": "#/schemas/B"}], "discriminator": {"propertyName": "k"}}, "B": {"required": ["k"]}}`))
	bodies := [][]byte{[]byte(`{"a":[1,{"b":"x"}],"k":"B","c":{"d":null}}`), []byte(`[[1,2],[1,2.0],"x"]`), []byte(`1e400`)}
	var v Validator
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := CompileJSON(data)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T", err)
			}
			return
		}
		for _, name := range set.Names() {
			sc, _ := set.Lookup(name)
			for _, body := range bodies {
				for _, mode := range []Mode{Request, Response} {
					res, err := v.Validate(sc, body, Options{Mode: mode})
					if err != nil {
						t.Fatal(err)
					}
					// Each token's place meets each subschema at most once.
					if limit := 8 * (len(body) + 1) * (set.Nodes() + 1); v.Steps() > limit {
						t.Fatalf("%d steps for %d bytes and %d nodes", v.Steps(), len(body), set.Nodes())
					}
					if out := AppendProjected(nil, body, res.Drops); !json.Valid(out) {
						t.Fatalf("projection %s is not JSON", out)
					}
				}
			}
		}
	})
}

// FuzzSchema_projection: the projection of any body is valid JSON, and, read by
// encoding/json, it is the body without exactly the undeclared and
// writeOnly members (an oracle written from the schema by hand).
func FuzzSchema_projection(f *testing.F) {
	f.Add([]byte(`{"id":"1","card_number":"4111","items":[{"sku":"A","qty":1,"x":2}],"z":{}}`))
	f.Add([]byte(`{ "z" : 1 , "id" : "x" , "card_number" : "y" }`))
	f.Add([]byte(`{"card\u005fnumber":"4111","items":[[],{},{"sku":{"x":1}},1]}`))
	f.Add([]byte(`[{"id":1}]`))
	f.Add([]byte(`{"items":{"sku":1,"cost":2}}`))
	set := mustSet(f, apiSchemas)
	order := mustSchema(f, set, "Order")
	var v Validator
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := v.Validate(order, body, Options{Mode: Response, Limits: jsonx.Limits{MaxDepth: 64}})
		if err != nil {
			return
		}
		out := AppendProjected(nil, body, res.Drops)
		if !json.Valid(out) {
			t.Fatalf("projection of %s is not JSON: %s", body, out)
		}
		in, err1 := decodeNumbers(body)
		got, err2 := decodeNumbers(out)
		if err1 != nil || err2 != nil {
			t.Fatalf("encoding/json refuses %s or %s", body, out)
		}
		want := projectOrder(in)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("projection of %s\n got %s\nwant %v", body, out, want)
		}
	})
}

func decodeNumbers(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

// projectOrder is the Order schema's projection, written out by hand.
func projectOrder(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := map[string]any{}
	for k, val := range m {
		switch k {
		case "id":
			out[k] = val
		case "items":
			if a, ok := val.([]any); ok {
				items := []any{}
				for _, it := range a {
					if im, ok := it.(map[string]any); ok {
						kept := map[string]any{}
						for ik, iv := range im {
							if ik == "sku" || ik == "qty" {
								kept[ik] = iv
							}
						}
						it = kept
					}
					items = append(items, it)
				}
				val = items
			}
			out[k] = val
		}
	}
	return out
}
