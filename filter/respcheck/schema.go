package respcheck

import (
	"sync"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/redact"
	"github.com/apiguard/apiguard/filter/schema"
)

// Schemas is a route's compiled `response.schemas` (docs/schemas.md
// "Declared, readOnly, writeOnly"): which schema a response of each status
// is validated against and projected onto, and what a violation gets.
type Schemas struct {
	exact   map[int]schema.Schema
	class   [6]schema.Schema // 1XX..5XX at 1..5
	dflt    schema.Schema
	refuse  bool
	anyNXX  bool
	hasDflt bool
}

// CompileSchemas resolves r's `schemas` in set; nil when r has none. ok is
// false when a name is missing from set (configuration parsing has checked
// the names against the same document, so this means another document).
func CompileSchemas(set *schema.Set, r *config.Response) (s *Schemas, ok bool) {
	if r == nil || len(r.Schemas) == 0 {
		return nil, true
	}
	s = &Schemas{exact: map[int]schema.Schema{}, refuse: r.SchemaViolation == config.ViolationRefuse}
	for _, e := range r.Schemas {
		sc, found := set.Lookup(e.Schema)
		if !found {
			return nil, false
		}
		switch {
		case e.Status == "default":
			s.dflt, s.hasDflt = sc, true
		case e.Status[1] == 'X':
			s.class[e.Status[0]-'0'] = sc
			s.anyNXX = true
		default:
			s.exact[int(e.Status[0]-'0')*100+int(e.Status[1]-'0')*10+int(e.Status[2]-'0')] = sc
		}
	}
	return s, true
}

// For returns the schema of a response with status: the exact status
// first, then its class, then `default`; ok false when none applies.
func (s *Schemas) For(status int) (schema.Schema, bool) {
	if s == nil {
		return schema.Schema{}, false
	}
	if sc, ok := s.exact[status]; ok {
		return sc, true
	}
	if c := status / 100; c >= 1 && c <= 5 && !s.class[c].IsZero() {
		return s.class[c], true
	}
	return s.dflt, s.hasDflt
}

// Refuse says a violation is refused with 502 (schema_violation
// "refuse"); otherwise it is reported and the projection served.
func (s *Schemas) Refuse() bool { return s.refuse }

// SchemaOutcome is what a response's schema made of its body.
type SchemaOutcome uint8

const (
	// SchemaNone: no schema applies to the status; the body is unchanged.
	SchemaNone SchemaOutcome = iota
	// SchemaValid: the body satisfies its schema.
	SchemaValid
	// SchemaViolated: the body fails its schema (ReasonResponseSchema).
	SchemaViolated
)

var validators = sync.Pool{New: func() any { return new(schema.Validator) }}

// maxPooledScratch bounds the scratch memory a pooled validator keeps.
const maxPooledScratch = 1 << 20

// Apply validates body against the schema of status and projects it
// (undeclared and writeOnly members removed; free-form objects kept whole),
// whether or not it validated. out is the projection appended to dst, or
// body itself when nothing is removed (changed false). err is the JSON
// refusal of a body that does not parse (see BodyReason), under the same
// rules the rewrite applies (redact.Limits, duplicate keys compared after
// unescaping).
func (s *Schemas) Apply(status int, dst, body []byte) (out []byte, o SchemaOutcome, changed bool, err error) {
	sc, ok := s.For(status)
	if !ok {
		return body, SchemaNone, false, nil
	}
	v := validators.Get().(*schema.Validator)
	defer func() {
		if v.ScratchBytes() <= maxPooledScratch {
			validators.Put(v)
		}
	}()
	res, err := v.Validate(sc, body, schema.Options{Mode: schema.Response, Limits: redact.Limits})
	if err != nil {
		return nil, SchemaNone, false, err
	}
	o = SchemaValid
	if !res.Valid {
		o = SchemaViolated
	}
	if len(res.Drops) == 0 {
		return body, o, false, nil
	}
	return schema.AppendProjected(dst, body, res.Drops), o, true, nil
}
