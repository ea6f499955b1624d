package config

import (
	"errors"
	"testing"
)

// designSchemas is the `schemas` of docs/configuration.md's example.
const designSchemas = `"schemas":{
 "OrderCreate":{"type":"object","additionalProperties":false,"required":["items"],
  "properties":{"id":{"type":"string","readOnly":true},"customer_id":{"type":"string"},
   "items":{"type":"array","maxItems":100,"items":{"$ref":"#/schemas/Item"}}}},
 "Item":{"type":"object","required":["sku","qty"],
  "properties":{"sku":{"type":"string","pattern":"^[A-Z0-9-]{3,32}$"},
   "qty":{"type":"integer","minimum":1,"maximum":999}}},
 "Order":{"type":"object","properties":{"id":{"type":"string"},
  "items":{"type":"array","items":{"$ref":"#/schemas/Item"}},
  "card_number":{"type":"string","writeOnly":true}}}}`

// withSchemas puts the example's schemas beside route "r" with fields.
func withSchemas(fields string) string {
	return `{"hold_headers":true,` + designSchemas + `,"routes":[{"name":"r","match":{"path":"/orders"}` + fields + `}]}`
}

func TestSchemas_parse(t *testing.T) {
	cfg := mustParse(t, withSchemas(`,"request":{"json":{"schema":"OrderCreate","undeclared":"allow"}},
		"response":{"schemas":{"200":"Order","2XX":"Order","default":"Item"},"schema_violation":"refuse"}`))
	check(t, "names", cfg.SchemaNames, []string{"OrderCreate", "Item", "Order"})
	if cfg.Schemas == nil || len(cfg.Schemas.Members) != 3 {
		t.Fatalf("Schemas = %v", cfg.Schemas)
	}
	pol := cfg.Routes[0].Policy
	check(t, "json.schema", pol.Request.JSON.Schema, "OrderCreate")
	check(t, "json.undeclared", pol.Request.JSON.Undeclared, UndeclaredAllow)
	check(t, "response.schemas", pol.Response.Schemas, []StatusSchema{
		{Status: "200", Schema: "Order"}, {Status: "2XX", Schema: "Order"}, {Status: "default", Schema: "Item"}})
	check(t, "schema_violation", pol.Response.SchemaViolation, ViolationRefuse)
	check(t, "validation_details default", cfg.Errors.ValidationDetails, false)

	// Defaults, and a schema named before `schemas` is written.
	cfg = mustParse(t, `{"hold_headers":true,"errors":{"validation_details":true},
		"routes":[{"name":"r","match":{"path":"/o"},"request":{"json":{"schema":"A"}},"response":{"schemas":{"201":"A"}}}],
		"schemas":{"A":{"type":"object"}}}`)
	pol = cfg.Routes[0].Policy
	check(t, "undeclared default", pol.Request.JSON.Undeclared, UndeclaredRefuse)
	check(t, "schema_violation default", pol.Response.SchemaViolation, ViolationReport)
	check(t, "validation_details", cfg.Errors.ValidationDetails, true)
	check(t, "spellings", []string{UndeclaredRefuse.String(), UndeclaredAllow.String(), ViolationReport.String(), ViolationRefuse.String()},
		[]string{"refuse", "allow", "report", "refuse"})
}

func TestSchemas_errors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"schemas not an object", withTop(`,"schemas":[]`), `schemas: must be an object, not an array`},
		{"unknown keyword", withTop(`,"schemas":{"A":{"patternProperties":{}}}`),
			`schemas.A.patternProperties: unsupported keyword "patternProperties" (see docs/schemas.md for the supported subset)`},
		{"unknown ref", withTop(`,"schemas":{"A":{"$ref":"#/schemas/B"}}`), `schemas.A["$ref"]: unknown $ref: no schema named "B"`},
		{"look-ahead", withTop(`,"schemas":{"A":{"properties":{"id":{"pattern":"(?=a)"}}}}`), `schemas.A.properties.id.pattern: `},
		{"in-place cycle", withTop(`,"schemas":{"A":{"$ref":"#"}}`), `schemas.A`},
		{"unknown request schema", withSchemas(`,"request":{"json":{"schema":"Nope"}}`),
			`routes[0].request.json.schema: unknown schema "Nope" (not in the top-level "schemas")`},
		{"request schema without schemas", `{"hold_headers":true,"routes":[{"name":"r","match":{"path":"/o"},"request":{"json":{"schema":"A"}}}]}`,
			`routes[0].request.json.schema: unknown schema "A" (not in the top-level "schemas")`},
		{"schema not a string", withSchemas(`,"request":{"json":{"schema":1}}`), `routes[0].request.json.schema: must be a string, not a number`},
		{"empty schema name", withSchemas(`,"request":{"json":{"schema":""}}`), `routes[0].request.json.schema: `},
		{"undeclared value", withSchemas(`,"request":{"json":{"schema":"Item","undeclared":"ignore"}}`),
			`routes[0].request.json.undeclared: must be "refuse" or "allow", not "ignore"`},
		{"undeclared value misspelt", withSchemas(`,"request":{"json":{"schema":"Item","undeclared":"refuze"}}`),
			`routes[0].request.json.undeclared: must be "refuse" or "allow", not "refuze" (did you mean "refuse"?)`},
		{"schema_violation misspelt", withSchemas(`,"response":{"schemas":{"200":"Order"},"schema_violation":"reprot"}`),
			`routes[0].response.schema_violation: must be "report" or "refuse", not "reprot" (did you mean "report"?)`},
		{"undeclared without schema", withSchemas(`,"request":{"json":{"undeclared":"allow"}}`),
			`routes[0].request.json.undeclared: needs "schema"`},
		{"unknown response schema", withSchemas(`,"response":{"schemas":{"200":"Nope"}}`),
			`routes[0].response.schemas.200: unknown schema "Nope"`},
		{"bad status", withSchemas(`,"response":{"schemas":{"600":"Order"}}`), `routes[0].response.schemas.600: must be a status`},
		{"lower-case class", withSchemas(`,"response":{"schemas":{"2xx":"Order"}}`), `routes[0].response.schemas.2xx: must be a status`},
		{"half class", withSchemas(`,"response":{"schemas":{"20X":"Order"}}`), `routes[0].response.schemas.20X: must be a status`},
		{"Default", withSchemas(`,"response":{"schemas":{"Default":"Order"}}`), `routes[0].response.schemas.Default: must be a status`},
		{"empty schemas", withSchemas(`,"response":{"schemas":{}}`), `routes[0].response.schemas: must not be empty`},
		{"schemas array", withSchemas(`,"response":{"schemas":["Order"]}`), `routes[0].response.schemas: must be an object, not an array`},
		{"status schema not a string", withSchemas(`,"response":{"schemas":{"200":{}}}`), `routes[0].response.schemas.200: must be a string, not an object`},
		{"schema_violation value", withSchemas(`,"response":{"schemas":{"200":"Order"},"schema_violation":"drop"}`),
			`routes[0].response.schema_violation: must be "report" or "refuse", not "drop"`},
		{"schema_violation without schemas", withSchemas(`,"response":{"schema_violation":"refuse"}`),
			`routes[0].response.schema_violation: needs "schemas"`},
		{"validation_details type", withTop(`,"errors":{"validation_details":"yes"}`), `errors.validation_details: must be a boolean, not a string`},
		{"errors unknown", withTop(`,"errors":{"details":true}`), `errors: unknown field "details"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Parse = %v, want an *Error", err)
			}
			if got := ce.Error(); len(got) < len(tt.want) || got[:len(tt.want)] != tt.want {
				t.Errorf("error:\n got: %s\nwant: %s...", got, tt.want)
			}
		})
	}
}

func TestSchemas_statusKeys(t *testing.T) {
	for k, want := range map[string]bool{
		"100": true, "200": true, "599": true, "1XX": true, "5XX": true, "default": true,
		"099": false, "600": false, "6XX": false, "0XX": false, "2X0": false, "2Xx": false, "20": false, "2000": false,
		"": false, "DEFAULT": false, " 200": false,
	} {
		if got := validStatusKey(k); got != want {
			t.Errorf("validStatusKey(%q) = %v, want %v", k, got, want)
		}
	}
}
