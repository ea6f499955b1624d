package respcheck

import (
	"testing"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/schema"
)

const respSchemas = `{
 "Order":{"type":"object","required":["id"],"properties":{"id":{"type":"string"},
  "card_number":{"type":"string","writeOnly":true},"password":{"type":"string","writeOnly":true},
  "meta":{"type":"object"},"items":{"type":"array","items":{"$ref":"#/schemas/Item"}}}},
 "Item":{"type":"object","properties":{"sku":{"type":"string"}}},
 "Created":{"type":"object","properties":{"id":{"type":"string"}}},
 "Err":{"type":"object","properties":{"code":{"type":"integer"}}}}`

func compileSchemas(t *testing.T, r config.Response) *Schemas {
	t.Helper()
	set, err := schema.CompileJSON([]byte(respSchemas))
	if err != nil {
		t.Fatal(err)
	}
	s, ok := CompileSchemas(set, &r)
	if !ok {
		t.Fatal("CompileSchemas: a name is missing")
	}
	return s
}

func TestSchemas_lookupOrder(t *testing.T) {
	set, _ := schema.CompileJSON([]byte(respSchemas))
	s, _ := CompileSchemas(set, &config.Response{Schemas: []config.StatusSchema{
		{Status: "default", Schema: "Err"}, {Status: "2XX", Schema: "Created"}, {Status: "200", Schema: "Order"}}})
	order, _ := set.Lookup("Order")
	created, _ := set.Lookup("Created")
	errSc, _ := set.Lookup("Err")
	for status, want := range map[int]schema.Schema{200: order, 201: created, 299: created, 404: errSc, 500: errSc, 100: errSc} {
		if got, ok := s.For(status); !ok || got != want {
			t.Errorf("For(%d) = %v, %v", status, got, ok)
		}
	}
	// Without default, other classes have none.
	s = compileSchemas(t, config.Response{Schemas: []config.StatusSchema{{Status: "4XX", Schema: "Err"}, {Status: "201", Schema: "Created"}}})
	for status, want := range map[int]bool{200: false, 201: true, 404: true, 499: true, 500: false, 302: false} {
		if _, ok := s.For(status); ok != want {
			t.Errorf("For(%d) ok = %v, want %v", status, ok, want)
		}
	}
	if s.Refuse() {
		t.Error("report is the default")
	}
	if compileSchemas(t, config.Response{Schemas: []config.StatusSchema{{Status: "200", Schema: "Order"}}, SchemaViolation: config.ViolationRefuse}).Refuse() != true {
		t.Error("refuse not compiled")
	}
	if s, ok := CompileSchemas(set, &config.Response{}); s != nil || !ok {
		t.Error("no schemas compiled to something")
	}
	if _, ok := CompileSchemas(set, &config.Response{Schemas: []config.StatusSchema{{Status: "200", Schema: "Nope"}}}); ok {
		t.Error("an unknown name compiled")
	}
	var none *Schemas
	if _, ok := none.For(200); ok {
		t.Error("nil Schemas has a schema")
	}
}

func TestSchemas_projection(t *testing.T) {
	s := compileSchemas(t, config.Response{Schemas: []config.StatusSchema{{Status: "200", Schema: "Order"}}})
	tests := []struct {
		name, body, want string
		outcome          SchemaOutcome
	}{
		{"writeOnly removed", `{"id":"o1","card_number":"4111","password":"h"}`, `{"id":"o1"}`, SchemaValid},
		{"undeclared removed", `{"internal":1,"id":"o1","debug":{"sql":"x"}}`, `{"id":"o1"}`, SchemaValid},
		{"nested undeclared", `{"id":"o1","items":[{"sku":"a","cost":3},{"sku":"b"}]}`, `{"id":"o1","items":[{"sku":"a"},{"sku":"b"}]}`, SchemaValid},
		{"free-form kept", `{"id":"o1","meta":{"anything":1}}`, `{"id":"o1","meta":{"anything":1}}`, SchemaValid},
		{"writeOnly exempt from required", `{"id":"o1"}`, `{"id":"o1"}`, SchemaValid},
		{"violation still projected", `{"id":1,"card_number":"4111"}`, `{"id":1}`, SchemaViolated},
		{"missing required", `{"card_number":"4111"}`, `{}`, SchemaViolated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, o, changed, err := s.Apply(200, nil, []byte(tt.body))
			if err != nil || string(out) != tt.want || o != tt.outcome || changed != (tt.want != tt.body) {
				t.Errorf("Apply = %s, %v, %v, %v; want %s, %v", out, o, changed, err, tt.want, tt.outcome)
			}
		})
	}
	// A status without a schema is untouched; a body that does not parse
	// is an error whichever the status.
	if out, o, changed, err := s.Apply(404, nil, []byte(`{"x":1}`)); string(out) != `{"x":1}` || o != SchemaNone || changed || err != nil {
		t.Errorf("404: %s %v %v %v", out, o, changed, err)
	}
	if _, _, _, err := s.Apply(200, nil, []byte(`{"id":"a","id":"b"}`)); BodyReason(err, false) != "response_duplicate_key" {
		t.Errorf("duplicate: %v", err)
	}
	if _, _, _, err := s.Apply(200, nil, []byte(`{"id":`)); BodyReason(err, false) != "response_invalid_json" {
		t.Errorf("truncated: %v", err)
	}
}
