package reqcheck

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/schema"
)

// orderSchemas is the example of docs/configuration.md: OrderCreate with
// a readOnly id, items of Item, and no additionalProperties: false on Item
// (so only undeclared refusal protects it).
const orderSchemas = `{
 "OrderCreate":{"type":"object","required":["items"],
  "properties":{"id":{"type":"string","readOnly":true},"customer_id":{"type":"string"},"role":{"type":"string"},
   "items":{"type":"array","maxItems":3,"items":{"$ref":"#/schemas/Item"}}}},
 "Item":{"type":"object","required":["sku","qty"],
  "properties":{"sku":{"type":"string","pattern":"^[A-Z0-9-]{3,32}$"},"qty":{"type":"integer","minimum":1,"maximum":999}}},
 "Free":{"type":"object"}}`

func bodySchema(t *testing.T, name string, j config.JSONRules) *BodySchema {
	t.Helper()
	set, err := schema.CompileJSON([]byte(orderSchemas))
	if err != nil {
		t.Fatal(err)
	}
	j.Schema = name
	if j.MaxDepth == 0 {
		j.MaxDepth, j.MaxKeys, j.MaxArrayItems, j.MaxStringBytes = 32, 1000, 1000, 65536
	}
	b, ok := CompileBodySchema(set, &j)
	if !ok || b == nil {
		t.Fatalf("CompileBodySchema(%q) = %v, %v", name, b, ok)
	}
	return b
}

func TestBodySchema_verdicts(t *testing.T) {
	item := `{"sku":"AB-1","qty":2}`
	tests := []struct {
		name string
		j    config.JSONRules
		body string
		want Failure
	}{
		{"valid", config.JSONRules{}, `{"items":[` + item + `]}`, OK},
		{"readOnly id", config.JSONRules{}, `{"id":"o-1","items":[]}`, JSONSchemaNotAllowed},
		{"undeclared is_admin", config.JSONRules{}, `{"is_admin":true,"items":[]}`, JSONSchemaNotAllowed},
		{"undeclared nested", config.JSONRules{}, `{"items":[{"sku":"AB-1","qty":2,"price":0}]}`, JSONSchemaNotAllowed},
		{"undeclared allowed", config.JSONRules{Undeclared: config.UndeclaredAllow}, `{"is_admin":true,"items":[]}`, OK},
		{"readOnly even when undeclared allowed", config.JSONRules{Undeclared: config.UndeclaredAllow}, `{"id":"x","items":[]}`, JSONSchemaNotAllowed},
		{"case variant Role", config.JSONRules{Undeclared: config.UndeclaredAllow}, `{"Role":"admin","items":[]}`, JSONSchemaNotAllowed},
		{"case variant with Kelvin sign", config.JSONRules{Undeclared: config.UndeclaredAllow}, `{"items":[{"s\u212Au":"AB-1","sku":"AB-1","qty":1}]}`, JSONDuplicateKeyCase},
		{"escaped readOnly name", config.JSONRules{}, `{"\u0069d":"x","items":[]}`, JSONSchemaNotAllowed},
		{"case-sensitive keys: Role is just undeclared", config.JSONRules{CaseSensitiveKeys: true, Undeclared: config.UndeclaredAllow}, `{"Role":"admin","items":[]}`, OK},
		{"qty negative", config.JSONRules{}, `{"items":[{"sku":"AB-1","qty":-5}]}`, JSONSchema},
		{"qty huge", config.JSONRules{}, `{"items":[{"sku":"AB-1","qty":1e400}]}`, JSONSchema},
		{"qty as string", config.JSONRules{}, `{"items":[{"sku":"AB-1","qty":"2"}]}`, JSONSchema},
		{"pattern", config.JSONRules{}, `{"items":[{"sku":"ab","qty":2}]}`, JSONSchema},
		{"missing required", config.JSONRules{}, `{}`, JSONSchema},
		{"both kinds", config.JSONRules{}, `{"id":"x","items":[{"sku":"AB-1","qty":0}]}`, JSONSchema},
		{"too many items", config.JSONRules{}, `{"items":[` + strings.Repeat(item+",", 3) + item + `]}`, JSONSchema},
		{"not an object", config.JSONRules{}, `[]`, JSONSchema},
		// The JSON rules of the same walk come first.
		{"syntax", config.JSONRules{}, `{"items":[}`, JSONSyntax},
		{"depth", config.JSONRules{MaxDepth: 2, MaxKeys: 10, MaxArrayItems: 10, MaxStringBytes: 100}, `{"items":[{"sku":"AB-1","qty":1}]}`, JSONDepth},
		{"duplicate key", config.JSONRules{}, `{"items":[],"items":[]}`, JSONDuplicateKey},
		{"duplicate key by case", config.JSONRules{}, `{"items":[],"ITEMS":[]}`, JSONDuplicateKeyCase},
		{"trailing", config.JSONRules{}, `{"items":[]} x`, JSONTrailingData},
		// fields still apply beside the schema.
		{"fields after the schema", config.JSONRules{Fields: []config.FieldRule{{Path: []string{"customer_id"}, PathName: "customer_id", Required: true}}},
			`{"items":[]}`, FieldMissing},
		{"fields pass", config.JSONRules{Fields: []config.FieldRule{{Path: []string{"customer_id"}, PathName: "customer_id", Required: true}}},
			`{"items":[],"customer_id":"c"}`, OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := bodySchema(t, "OrderCreate", tt.j)
			if got, _ := b.Check([]byte(tt.body), nil); got != tt.want {
				t.Errorf("Check(%s) = %v, want %v", tt.body, got, tt.want)
			}
		})
	}
	// A free-form object takes anything.
	if got, _ := bodySchema(t, "Free", config.JSONRules{}).Check([]byte(`{"role":"admin","x":{"y":1}}`), nil); got != OK {
		t.Errorf("free-form: %v", got)
	}
}

func TestBodySchema_details(t *testing.T) {
	b := bodySchema(t, "OrderCreate", config.JSONRules{})
	f, _ := b.Check([]byte(`{"id":"secret-value","Items":1,"items":[{"sku":"AB-1","qty":1000},{"sku":"x","qty":1,"admin":true}]}`), make([]problem.Violation, 0, 10))
	if f != JSONDuplicateKeyCase {
		t.Fatalf("Check = %v (Items and items are duplicates by case first)", f)
	}
	f, got := b.Check([]byte(`{"id":"secret-value","items":[{"sku":"AB-1","qty":1000},{"sku":"x","qty":1,"admin":true}]}`), make([]problem.Violation, 0, 10))
	want := []problem.Violation{{Pointer: "/id", Rule: "not-allowed"}, {Pointer: "/items/0/qty", Rule: "maximum"}, {Pointer: "/items/1/sku", Rule: "pattern"}, {Pointer: "/items/1/admin", Rule: "not-allowed"}}
	if f != JSONSchema || len(got) != len(want) {
		t.Fatalf("Check = %v, %v; want json_schema, %v", f, got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("violation %d = %v, want %v", i, got[i], want[i])
		}
	}
	for _, v := range got {
		if strings.Contains(v.Pointer+v.Rule, "secret") {
			t.Errorf("a value leaked into %v", v)
		}
	}
	// Ten at most, whatever the body holds.
	many := `{"items":[],`
	for i := 0; i < 30; i++ {
		many += `"x` + string(rune('a'+i%26)) + string(rune('a'+i/26)) + `":1,`
	}
	many = strings.TrimSuffix(many, ",") + "}"
	f, got = b.Check([]byte(many), nil)
	if f != JSONSchemaNotAllowed || got != nil {
		t.Fatalf("without details: %v %v", f, got)
	}
	_, got = b.Check([]byte(many), make([]problem.Violation, 0, 10))
	if len(got) != schema.MaxViolations {
		t.Fatalf("%d violations, want %d", len(got), schema.MaxViolations)
	}
}

func TestBodySchema_compile(t *testing.T) {
	set, _ := schema.CompileJSON([]byte(orderSchemas))
	if b, ok := CompileBodySchema(set, &config.JSONRules{}); b != nil || !ok {
		t.Errorf("no schema: %v %v", b, ok)
	}
	if b, ok := CompileBodySchema(set, nil); b != nil || !ok {
		t.Errorf("nil rules: %v %v", b, ok)
	}
	if _, ok := CompileBodySchema(set, &config.JSONRules{Schema: "Nope"}); ok {
		t.Error("an unknown name compiled")
	}
}

func TestBodySchema_noAllocWarm(t *testing.T) {
	b := bodySchema(t, "OrderCreate", config.JSONRules{})
	body := []byte(`{"customer_id":"c","items":[{"sku":"AB-1","qty":2},{"sku":"CD-2","qty":3}]}`)
	b.Check(body, nil)
	if n := testing.AllocsPerRun(100, func() { b.Check(body, nil) }); n > 0 && !raceEnabled {
		t.Errorf("%v allocations per valid body", n)
	}
}

// TestBodySchema_checkContent: a route with request.json.schema checks the
// body through its schema in CheckContent (the plugin's one body check):
// a schema refusal carries its violations when details were asked for and
// none otherwise; an empty body follows json.required; a valid body passes.
func TestBodySchema_checkContent(t *testing.T) {
	cfg := &config.RoutePolicy{Request: &config.Request{JSON: &config.JSONRules{Schema: "OrderCreate", Required: true}}}
	bs := bodySchema(t, "OrderCreate", config.JSONRules{})
	for _, c := range []struct {
		name, body string
		details    []problem.Violation
		want       problem.Reason
		violations int
	}{
		{"valid", `{"items":[]}`, nil, "", 0},
		{"empty, required", ``, nil, problem.ReasonJSONEmpty, 0},
		{"mass assignment with details", `{"id":"x","is_admin":true,"items":[]}`, make([]problem.Violation, 0, schema.MaxViolations), "json_schema_not_allowed", 2},
		{"mass assignment without details", `{"id":"x","items":[]}`, nil, "json_schema_not_allowed", 0},
		{"schema violation with details", `{"items":[{"sku":"AB-1","qty":-5}]}`, make([]problem.Violation, 0, schema.MaxViolations), "json_schema", 1},
		{"duplicate key is no schema refusal", `{"items":[],"items":[]}`, make([]problem.Violation, 0, schema.MaxViolations), problem.ReasonJSONDuplicateKey, 0},
	} {
		var b Body
		form, reason, v := b.CheckContent(cfg, bs, "", []byte(c.body), c.details)
		if form != "" || reason != c.want || len(v) != c.violations {
			t.Errorf("%s: form %q, reason %q, %d violations %v; want %q, %d", c.name, form, reason, len(v), v, c.want, c.violations)
		}
	}
}
