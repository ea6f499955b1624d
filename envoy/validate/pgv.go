package validate

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Envoy's validation rules (protoc-gen-validate) report a violation as a
// chain of Go field names, `invalid Bootstrap.StaticResources: embedded
// message failed validation | caused by: ...`. validate turns each
// violation into the path of the YAML field and places it there.

// pgvError is what protoc-gen-validate's XValidationError types have.
type pgvError interface {
	Field() string
	Reason() string
	Cause() error
}

// pgvMulti is what their XMultiError types have: every violation.
type pgvMulti interface{ AllErrors() []error }

// ruleError is a violation inside a typed_config (an Any), with the steps
// to that field.
type ruleError struct {
	path    string
	steps   []any
	typeURL string
	err     error
}

func (e *ruleError) Error() string { return fmt.Sprintf("%s (%s): %v", e.path, e.typeURL, e.err) }
func (e *ruleError) Unwrap() error { return e.err }

const embedded = "embedded message failed validation"

// ruleFindings lists the violations of err (from ValidateAll, or a
// *ruleError), each with the steps to its field from the document's top.
func ruleFindings(err error) []deployError {
	var out []deployError
	var walk func(e error, steps []any)
	walk = func(e error, steps []any) {
		if re, ok := e.(*ruleError); ok {
			walk(re.err, re.steps)
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok { // errors.Join
			for _, x := range j.Unwrap() {
				walk(x, steps)
			}
			return
		}
		if m, ok := e.(pgvMulti); ok {
			for _, x := range m.AllErrors() {
				walk(x, steps)
			}
			return
		}
		v, ok := e.(pgvError)
		if !ok {
			out = append(out, deployError{e.Error(), nil})
			return
		}
		steps = append(slices.Clip(steps), fieldSteps(v.Field())...)
		if v.Reason() == embedded && v.Cause() != nil {
			walk(v.Cause(), steps)
			return
		}
		msg := v.Reason()
		if v.Cause() != nil {
			msg += ": " + v.Cause().Error()
		}
		out = append(out, deployError{renderSteps(steps) + ": " + msg, steps})
	}
	walk(err, nil)
	return out
}

var fieldIndex = regexp.MustCompile(`^([A-Za-z0-9]+)(?:\[(.*)\])?$`)

// fieldSteps turns protoc-gen-validate's `Listeners[0]` into ["listeners",
// 0] (a map key stays a string).
func fieldSteps(field string) []any {
	m := fieldIndex.FindStringSubmatch(field)
	if m == nil {
		return []any{field}
	}
	var b strings.Builder
	for i, r := range m[1] {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	steps := []any{b.String()}
	if strings.Contains(field, "[") {
		if n, err := strconv.Atoi(m[2]); err == nil {
			steps = append(steps, n)
		} else {
			steps = append(steps, m[2])
		}
	}
	return steps
}

// renderSteps writes steps as a path, static_resources.listeners[0].address.
func renderSteps(steps []any) string {
	var b strings.Builder
	for _, s := range steps {
		switch s := s.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", s)
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, s)
		}
	}
	return b.String()
}

// placeRules places every violation of Envoy's validation rules in err at
// its field (or the deepest key on the way), in the file's order; nil when
// err is no such violation.
func (d *yamlDoc) placeRules(err error) []error {
	var v pgvError
	var m pgvMulti
	if !errors.As(err, &v) && !errors.As(err, &m) {
		return nil
	}
	var out []error
	for _, f := range ruleFindings(err) {
		out = append(out, d.placeSetting(&f))
	}
	sortPlaced(out)
	return out
}

// envoyErrors places what Envoy's API refuses in a bootstrap or listener
// (data, after line first of its file) in the YAML: every violation of the
// validation rules, or protojson's one error.
func envoyErrors(err error, data []byte, first int, md protoreflect.MessageDescriptor) []error {
	if errs := parseYAMLDoc(data, first).placeRules(err); errs != nil {
		return errs
	}
	return []error{placeProto(err, data, first, md)}
}
