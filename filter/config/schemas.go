package config

import (
	"errors"
	"slices"

	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/schema"
)

// The positive security model (docs/configuration.md "Schemas"; the subset
// is docs/schemas.md): the top-level `schemas`, and the fields that name
// them: `request.json.schema` and `undeclared`, `response.schemas` and
// `schema_violation`. The schemas are compiled here only to validate them,
// with errors by JSON path (policy.Compile compiles the set the filter
// uses), as the route table is.

// Undeclared is `request.json.undeclared`.
type Undeclared uint8

// Undeclared modes.
const (
	// UndeclaredRefuse (default): a member no applicable subschema
	// declares is refused (mass assignment).
	UndeclaredRefuse Undeclared = iota
	// UndeclaredAllow: such members pass (plain JSON Schema semantics).
	UndeclaredAllow
)

// String returns the configuration spelling of the value.
func (u Undeclared) String() string {
	switch u {
	case UndeclaredRefuse:
		return "refuse"
	case UndeclaredAllow:
		return "allow"
	}
	return "invalid"
}

// SchemaViolation is `response.schema_violation`.
type SchemaViolation uint8

// What a response failing its schema gets.
const (
	// ViolationReport (default): counted and logged; the projection is
	// served.
	ViolationReport SchemaViolation = iota
	// ViolationRefuse: refused with 502.
	ViolationRefuse
)

// String returns the configuration spelling of the value.
func (s SchemaViolation) String() string {
	switch s {
	case ViolationReport:
		return "report"
	case ViolationRefuse:
		return "refuse"
	}
	return "invalid"
}

// StatusSchema is one entry of `response.schemas`.
type StatusSchema struct {
	// Status is the key as written: three digits ("200"), a class
	// ("2XX") or "default".
	Status string
	// Schema names a schema of the top-level `schemas`.
	Schema string
}

// parseSchemas reads the top-level `schemas`: an object of named JSON
// Schemas, compiled once to check them (every error names its JSON path).
func (ps *parser) parseSchemas(v *jsonx.Value, p *path) *Error {
	if err := wantObject(v, p); err != nil {
		return err
	}
	set, err := schema.Compile(v)
	if err != nil {
		var se *schema.Error
		if errors.As(err, &se) {
			return &Error{Path: se.Path, Msg: se.Msg}
		}
		return p.errorf("%s", err.Error())
	}
	ps.cfg.Schemas = v
	ps.cfg.SchemaNames = set.Names()
	return nil
}

// schemaRef checks, once the document is read, that name is a schema of
// the top-level `schemas`.
func (ps *parser) schemaRef(name string, p *path) {
	ps.later(func() *Error {
		if !slices.Contains(ps.cfg.SchemaNames, name) {
			return p.errorf(`unknown schema %s (not in the top-level "schemas")`, quote(name))
		}
		return nil
	})
}

// jsonSchemaField reads `request.json.schema` and `request.json.undeclared`;
// known is false for any other member.
func jsonSchemaField(m *jsonx.Member, mp *path, j *JSONRules) (known bool, err *Error) {
	switch m.Key {
	case "schema":
		j.Schema, err = getText(&m.Value, mp)
	case "undeclared":
		var s string
		if s, err = getString(&m.Value, mp); err == nil {
			switch s {
			case "refuse":
				j.Undeclared = UndeclaredRefuse
			case "allow":
				j.Undeclared = UndeclaredAllow
			default:
				err = mp.errorf(`must be "refuse" or "allow", not %s%s`, quote(s), didYouMean(s, []string{"refuse", "allow"}))
			}
		}
	default:
		return false, nil
	}
	return true, err
}

// checkJSONSchema runs once `request.json` is read: `undeclared` needs a
// `schema`, whose name is checked once the document is read.
func (ps *parser) checkJSONSchema(v *jsonx.Value, p *path, j *JSONRules) *Error {
	if j.Schema == "" {
		if v.Get("undeclared") != nil {
			return p.field("undeclared").errorf(`needs "schema" (it says what a schema does with undeclared members)`)
		}
		return nil
	}
	ps.schemaRef(j.Schema, p.field("schema"))
	return nil
}

// responseSchemaField reads `response.schemas` and
// `response.schema_violation`; known is false for any other member.
func responseSchemaField(m *jsonx.Member, mp *path, r *Response) (known bool, err *Error) {
	switch m.Key {
	case "schemas":
		if err = wantObject(&m.Value, mp); err != nil {
			return true, err
		}
		if len(m.Value.Members) == 0 {
			return true, mp.errorf("must not be empty (omit it to validate no response)")
		}
		r.Schemas = make([]StatusSchema, 0, len(m.Value.Members))
		for i := range m.Value.Members {
			e := &m.Value.Members[i]
			ep := mp.field(e.Key)
			if !validStatusKey(e.Key) {
				return true, ep.errorf(`must be a status ("200"), a class of statuses ("2XX") or "default"`)
			}
			name, err := getText(&e.Value, ep)
			if err != nil {
				return true, err
			}
			r.Schemas = append(r.Schemas, StatusSchema{Status: e.Key, Schema: name})
		}
	case "schema_violation":
		var s string
		if s, err = getString(&m.Value, mp); err == nil {
			switch s {
			case "report":
				r.SchemaViolation = ViolationReport
			case "refuse":
				r.SchemaViolation = ViolationRefuse
			default:
				err = mp.errorf(`must be "report" or "refuse", not %s%s`, quote(s), didYouMean(s, []string{"report", "refuse"}))
			}
		}
	default:
		return false, nil
	}
	return true, err
}

// checkResponseSchemas runs once `response` is read: `schema_violation`
// needs `schemas`, whose names are checked once the document is read.
func (ps *parser) checkResponseSchemas(v *jsonx.Value, p *path, r *Response) *Error {
	if len(r.Schemas) == 0 {
		if v.Get("schema_violation") != nil {
			return p.field("schema_violation").errorf(`needs "schemas" (it says what a response failing its schema gets)`)
		}
		return nil
	}
	sp := p.field("schemas")
	for _, s := range r.Schemas {
		ps.schemaRef(s.Schema, sp.field(s.Status))
	}
	return nil
}

// validStatusKey reports whether k is a key of `response.schemas`: a
// status from 100 to 599, a class "1XX" to "5XX" (OpenAPI's upper-case X),
// or "default".
func validStatusKey(k string) bool {
	if k == "default" {
		return true
	}
	if len(k) != 3 || k[0] < '1' || k[0] > '5' {
		return false
	}
	if k[1] == 'X' && k[2] == 'X' {
		return true
	}
	return k[1] >= '0' && k[1] <= '9' && k[2] >= '0' && k[2] <= '9'
}
