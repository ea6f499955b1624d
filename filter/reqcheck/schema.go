package reqcheck

import (
	"sync"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/schema"
)

// BodySchema is a route's compiled `request.json.schema` (docs/schemas.md):
// the schema and the options of its walk, which checks the JSON rules of
// `request.json` in the same pass. It is immutable and shared by every
// stream.
type BodySchema struct {
	sc     schema.Schema
	opts   schema.Options
	fields []config.FieldRule
}

// CompileBodySchema resolves j's `schema` in set; nil when j names none.
// Configuration parsing has checked the name, so a name the set lacks (a
// set compiled from another document) is reported by ok false.
func CompileBodySchema(set *schema.Set, j *config.JSONRules) (b *BodySchema, ok bool) {
	if j == nil || j.Schema == "" {
		return nil, true
	}
	sc, found := set.Lookup(j.Schema)
	if !found {
		return nil, false
	}
	return &BodySchema{sc: sc, fields: j.Fields, opts: schema.Options{
		Mode:            schema.Request,
		Limits:          j.Limits(),
		FoldDuplicates:  !j.CaseSensitiveKeys,
		AllowUndeclared: j.Undeclared == config.UndeclaredAllow,
		CaseSensitive:   j.CaseSensitiveKeys,
	}}, true
}

// maxPooledScratch bounds the scratch memory a pooled validator keeps, so
// one huge body does not pin its memory for the life of the VM.
const maxPooledScratch = 1 << 20

var validators = sync.Pool{New: func() any { return new(schema.Validator) }}

// Check validates a non-empty body: the JSON rules and the schema in one
// walk, then the `fields` rules (when the route has any). It returns the
// first failure, or OK: a JSON failure as Check does; JSONSchemaNotAllowed
// when every violation found is a member the schema does not allow
// (readOnly, undeclared, a case variant, a member under `false`: mass
// assignment), JSONSchema for any other violation. details, when not nil,
// receives the violations (at most schema.MaxViolations, pointer and rule,
// never a value), appended to details[:0].
func (b *BodySchema) Check(body []byte, details []problem.Violation) (Failure, []problem.Violation) {
	f, _, details := b.check(body, "", details)
	return f, details
}

// checkContent is Check as CheckContent needs it: the failure as a
// reason, and on a body that passes, the checks of its top-level members
// (topLevelReason) read from the schema walk's record.
func (b *BodySchema) checkContent(body []byte, query string, details []problem.Violation) (problem.Reason, []problem.Violation) {
	f, r, details := b.check(body, query, details)
	if f != OK {
		r = problem.Reason(f.String())
	}
	if f != JSONSchema && f != JSONSchemaNotAllowed {
		details = nil
	}
	return r, details
}

// check is Check, and on a body that passes, topLevelReason (r).
func (b *BodySchema) check(body []byte, query string, details []problem.Violation) (f Failure, r problem.Reason, _ []problem.Violation) {
	v := validators.Get().(*schema.Validator)
	res, err := v.Validate(b.sc, body, b.opts)
	f = OK
	switch {
	case err != nil:
		f = fromError(err)
	case !res.Valid:
		f = JSONSchemaNotAllowed
		for _, viol := range res.Violations {
			if viol.Rule != schema.RuleNotAllowed {
				f = JSONSchema
			}
		}
		if details != nil {
			details = details[:0]
			for _, viol := range res.Violations {
				details = append(details, problem.Violation{Pointer: viol.Pointer, Rule: viol.Rule})
			}
		}
	}
	if f == OK && len(b.fields) > 0 {
		// The walk has checked the JSON rules: only the fields matter now.
		f = CheckBody(body, b.opts.Limits, b.fields, keyCase(b.opts.FoldDuplicates))
	}
	if f == OK {
		r = topLevelReason(v, body, query)
	}
	if v.ScratchBytes() <= maxPooledScratch {
		validators.Put(v)
	}
	return f, r, details
}

func keyCase(fold bool) KeyCase {
	if fold {
		return KeysFold
	}
	return KeysExact
}
