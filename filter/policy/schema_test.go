package policy

import (
	"testing"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/reqcheck"
	"github.com/apiguard/apiguard/filter/respcheck"
)

// TestSchemas_compiledOntoRoutes: the schemas compile once and each
// route's request and response schemas are resolved on its policy.Route.
func TestSchemas_compiledOntoRoutes(t *testing.T) {
	cfg, err := config.Parse([]byte(`{"hold_headers":true,
	  "schemas":{"In":{"type":"object","properties":{"id":{"type":"string","readOnly":true},"name":{"type":"string"}}},
	             "Out":{"type":"object","properties":{"name":{"type":"string"}}}},
	  "default":{"request":{"json":{"schema":"In"}}},
	  "routes":[{"name":"a","match":{"path":"/a"},"request":{"json":{"schema":"In"}},
	             "response":{"schemas":{"200":"Out"},"schema_violation":"refuse"}},
	            {"name":"b","match":{"path":"/b"},"request":{"json":{}},"response":{}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a, b, d := p.Route(0), p.Route(1), p.Route(2)
	if a.BodySchema == nil || d.BodySchema == nil || b.BodySchema != nil {
		t.Fatalf("BodySchema: a %v, b %v, default %v", a.BodySchema, b.BodySchema, d.BodySchema)
	}
	if f, _ := a.BodySchema.Check([]byte(`{"id":"x"}`), nil); f != reqcheck.JSONSchemaNotAllowed {
		t.Errorf("a's schema: %v", f)
	}
	if f, _ := d.BodySchema.Check([]byte(`{"name":"x"}`), nil); f != reqcheck.OK {
		t.Errorf("default's schema: %v", f)
	}
	if a.Response == nil || a.Response.Schemas == nil || !a.Response.Schemas.Refuse() {
		t.Fatal("a's response schemas not compiled")
	}
	if b.Response == nil || b.Response.Schemas != nil {
		t.Fatal("b has response schemas")
	}
	out, o, changed, err := a.Response.Schemas.Apply(200, nil, []byte(`{"name":"n","secret":1}`))
	if string(out) != `{"name":"n"}` || o != respcheck.SchemaValid || !changed || err != nil {
		t.Errorf("a's projection: %s %v %v %v", out, o, changed, err)
	}
}

// TestSchemas_noSchemas: a configuration without schemas compiles none.
func TestSchemas_noSchemas(t *testing.T) {
	cfg, err := config.Parse([]byte(`{"hold_headers":true,"routes":[{"name":"a","match":{"path":"/a"},"request":{"json":{}},"response":{}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(cfg)
	if err != nil || p.Route(0).BodySchema != nil || p.Route(0).Response.Schemas != nil {
		t.Fatalf("Compile = %v, %v", p, err)
	}
}
