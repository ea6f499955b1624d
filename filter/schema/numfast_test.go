package schema

import (
	"fmt"
	"testing"
)

// numFastSchemas are nodes the numParts path decides (nfIntBounds): type
// integer, int64 bounds, multipleOf an int64 integer or a power of ten at
// most 1, alone and together, as members (the walk's fast path) and at
// the root.
const numFastSchemas = `{
 "Int": {"type": "integer"},
 "IntMin": {"type": "integer", "minimum": 1},
 "IntOrNull": {"type": ["integer", "null"], "maximum": 10},
 "Cents": {"type": "number", "minimum": 0, "multipleOf": 0.01},
 "Tenths": {"multipleOf": 0.1},
 "One": {"multipleOf": 1},
 "Three": {"multipleOf": 3, "exclusiveMaximum": 300},
 "Hundred": {"multipleOf": 100},
 "Big": {"multipleOf": 1e17},
 "Lat": {"minimum": -90, "maximum": 90},
 "Open": {"exclusiveMinimum": -2, "exclusiveMaximum": 5},
 "StrMul": {"type": "string", "multipleOf": 2},
 "Obj": {"type": "object", "properties": {"cents": {"$ref": "#/schemas/Cents"},
   "id": {"$ref": "#/schemas/IntMin"}, "three": {"$ref": "#/schemas/Three"}}}
}`

var numFastNumbers = []string{
	"0", "-0", "-0.00", "0.0", "1", "-1", "1.0", "1.5", "1.005", "1.10", "1.1e1", "1e2", "1e-2",
	"100", "100.00", "300", "299.99", "3", "6", "-6", "-6.0", "7", "0.01", "0.001", "0.1", "0.10",
	"0.30", "12.34", "12.345", "12.3400", "-12.34", "-0.01", "-0.015", "90", "90.0", "90.01",
	"-90", "-90.0", "-90.5", "89.999", "5", "4.999", "5.0", "-2", "-2.0", "-1.999", "-2.001",
	"10", "10.5", "11", "999999999999999999", "999999999999999999.99", "1000000000000000000",
	"1000000000000000000.5", "-1000000000000000000", "100000000000000000", "200000000000000000",
	"100000000000000000.1", "1E17", "2e17", "123456789012345678.5",
}

// The numParts path reaches the verdicts and pointers of the exact
// decimal path: every node compiled again without nfIntBounds is the
// oracle, on every number of numFastNumbers.
func TestIntNumber_sameVerdictsAsTheExactPath(t *testing.T) {
	fast, exact := mustSet(t, numFastSchemas), mustSet(t, numFastSchemas)
	marked := 0
	for i := range exact.nodes {
		if exact.nodes[i].flags&nfIntBounds != 0 {
			marked++
		}
		exact.nodes[i].flags &^= nfIntBounds
	}
	if marked < 12 {
		t.Fatalf("only %d nodes take the numParts path", marked)
	}
	var vf, ve Validator
	for _, name := range []string{"Int", "IntMin", "IntOrNull", "Cents", "Tenths", "One", "Three",
		"Hundred", "Big", "Lat", "Open", "StrMul", "Obj"} {
		for _, num := range numFastNumbers {
			body := num
			if name == "Obj" {
				body = fmt.Sprintf(`{"cents":%s,"id":%s,"three":%s}`, num, num, num)
			}
			for _, mode := range []Mode{Request, Response} {
				o := Options{Mode: mode}
				rf, err := vf.Validate(mustSchema(t, fast, name), []byte(body), o)
				if err != nil {
					t.Fatal(err)
				}
				got := violationsString(rf.Violations)
				re, _ := ve.Validate(mustSchema(t, exact, name), []byte(body), o)
				if want := violationsString(re.Violations); rf.Valid != re.Valid || got != want {
					t.Errorf("%s %s mode %d: %v %q, exact path %v %q", name, body, mode, rf.Valid, got, re.Valid, want)
				}
			}
		}
	}
}

// The boundaries of the numParts path, pinned: trailing zeros, an
// exponent, negative zero, integers beyond 18 digits, bounds met exactly.
func TestIntNumber_boundaries(t *testing.T) {
	set := mustSet(t, numFastSchemas)
	runEvalCases(t, set, []evalCase{
		{"cents, three fraction digits", "Cents", `1.005`, Options{}, " multipleOf"},
		{"cents, trailing zero", "Cents", `1.10`, Options{}, ""},
		{"cents, trailing zeros", "Cents", `12.3400`, Options{}, ""},
		{"cents, exponent", "Cents", `1.1e1`, Options{}, ""},
		{"cents, exponent, too fine", "Cents", `1e-3`, Options{}, " multipleOf"},
		{"cents, negative zero", "Cents", `-0.00`, Options{}, ""},
		{"cents, integer", "Cents", `100`, Options{}, ""},
		{"cents, below minimum and too fine", "Cents", `-0.015`, Options{}, " minimum,  multipleOf"},
		{"cents, huge integer", "Cents", `123456789012345678901234567890`, Options{}, ""},
		{"cents, huge, too fine", "Cents", `123456789012345678901.001`, Options{}, " multipleOf"},
		{"tenths, one digit", "Tenths", `0.3`, Options{}, ""},
		{"tenths, two digits", "Tenths", `0.35`, Options{}, " multipleOf"},
		{"one, integer", "One", `-7`, Options{}, ""},
		{"one, fraction", "One", `7.5`, Options{}, " multipleOf"},
		{"three, multiple", "Three", `-6`, Options{}, ""},
		{"three, not a multiple", "Three", `7`, Options{}, " multipleOf"},
		{"three, fraction", "Three", `6.5`, Options{}, " multipleOf"},
		{"three, at exclusive maximum", "Three", `300`, Options{}, " exclusiveMaximum"},
		{"three, below exclusive maximum", "Three", `297.0`, Options{}, ""},
		{"hundred, multiple", "Hundred", `1200`, Options{}, ""},
		{"hundred, not", "Hundred", `1250`, Options{}, " multipleOf"},
		{"big, multiple", "Big", `300000000000000000`, Options{}, ""},
		{"big, not", "Big", `300000000000000001`, Options{}, " multipleOf"},
		{"big, huge multiple", "Big", `10000000000000000000`, Options{}, ""},
		{"int, integer written with a fraction", "Int", `3.00`, Options{}, ""},
		{"int, fraction", "Int", `3.01`, Options{}, " type"},
		{"int min, at minimum", "IntMin", `1`, Options{}, ""},
		{"int min, below", "IntMin", `0.999`, Options{}, " type,  minimum"},
		{"int min, huge", "IntMin", `12345678901234567890`, Options{}, ""},
		{"int or null, null", "IntOrNull", `null`, Options{}, ""},
		{"int or null, at maximum", "IntOrNull", `10.0`, Options{}, ""},
		{"int or null, above", "IntOrNull", `10.5`, Options{}, " type,  maximum"},
		{"lat, at maximum", "Lat", `90.0`, Options{}, ""},
		{"lat, above", "Lat", `90.000001`, Options{}, " maximum"},
		{"lat, at minimum", "Lat", `-90`, Options{}, ""},
		{"lat, below", "Lat", `-90.01`, Options{}, " minimum"},
		{"open, at exclusive minimum", "Open", `-2.0`, Options{}, " exclusiveMinimum"},
		{"open, above exclusive minimum", "Open", `-1.999`, Options{}, ""},
		{"open, at exclusive maximum", "Open", `5`, Options{}, " exclusiveMaximum"},
		{"open, below exclusive maximum", "Open", `4.999`, Options{}, ""},
		{"string type, number", "StrMul", `4`, Options{}, " type"},
		{"string type, odd number", "StrMul", `3`, Options{}, " type,  multipleOf"},
		{"members", "Obj", `{"cents":1.005,"id":0,"three":4}`, Options{}, "/cents multipleOf, /id minimum, /three multipleOf"},
	})
}
