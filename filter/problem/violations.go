package problem

// Violation is one reason a body failed its schema, as
// errors.validation_details reports it (docs/schemas.md "Violations"): a
// JSON Pointer into the body and the keyword, never a value.
type Violation struct {
	Pointer string
	Rule    string
}

// BodyWithErrors is Body with an "errors" member listing violations
// (`[{"pointer":"/items/0/qty","rule":"maximum"}]`), for a 400 on a route
// whose body fails its schema when errors.validation_details is on. Both
// strings are JSON-escaped: a pointer spells the client's member names.
func BodyWithErrors(status int, instance string, violations []Violation) []byte {
	b := Body(status, instance)
	n := 16
	for _, v := range violations {
		n += 32 + len(v.Pointer) + len(v.Rule)
	}
	out := make([]byte, 0, len(b)+n)
	out = append(out, b[:len(b)-1]...)
	out = append(out, `,"errors":[`...)
	for i, v := range violations {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, `{"pointer":`...)
		out = AppendString(out, v.Pointer)
		out = append(out, `,"rule":`...)
		out = AppendString(out, v.Rule)
		out = append(out, '}')
	}
	return append(out, "]}"...)
}

// RefusalBody is the problem+json of a refusal: BodyWithErrors for a 400
// whose schema violations errors.validation_details asked for
// (violations not nil), Body otherwise.
func RefusalBody(status int, instance string, violations []Violation) []byte {
	if violations != nil && status == 400 {
		return BodyWithErrors(status, instance, violations)
	}
	return Body(status, instance)
}
