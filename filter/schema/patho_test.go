package schema

import (
	"strconv"
	"strings"
	"testing"
)

// Pathological schemas and bodies: the work, counted in evaluation steps
// (not wall clock), stays linear in the body whatever the combinators do.

func stepsFor(t *testing.T, sc Schema, body string, o Options) (Result, int) {
	t.Helper()
	var v Validator
	res, err := v.Validate(sc, []byte(body), o)
	if err != nil {
		t.Fatal(err)
	}
	return res, v.Steps()
}

func TestPathological_deepRefRecursion(t *testing.T) {
	set := mustSet(t, apiSchemas)
	tree := mustSchema(t, set, "Tree")
	body := func(n int) string {
		return strings.Repeat(`{"name":"x","kids":[`, n) + strings.Repeat(`]}`, n)
	}
	res1, s1 := stepsFor(t, tree, body(500), Options{})
	res2, s2 := stepsFor(t, tree, body(1000), Options{})
	if !res1.Valid || !res2.Valid {
		t.Fatalf("valid %v %v: %v", res1.Valid, res2.Valid, res2.Violations)
	}
	if s2 > 2*s1+100 || s1 > 20*len(body(500)) {
		t.Errorf("steps %d for depth 500, %d for depth 1000 (%d bytes)", s1, s2, len(body(1000)))
	}
	bad := strings.Repeat(`{"kids":[`, 1000) + `{"name":1}` + strings.Repeat(`]}`, 1000)
	res, _ := stepsFor(t, tree, bad, Options{})
	if res.Valid || len(res.Violations) != 1 || res.Violations[0].Rule != "type" ||
		len(res.Violations[0].Pointer) > MaxPointer {
		t.Errorf("deep failure: %v", res.Violations)
	}
}

// anyOfLadder: S0 … S15 each anyOf two $refs to the next, S16 an array of
// S0. Without memoisation one array level would cost 2^16 evaluations.
func anyOfLadder() string {
	var b strings.Builder
	b.WriteString("{")
	for i := range 16 {
		next := `{"$ref": "#/schemas/S` + strconv.Itoa(i+1) + `"}`
		b.WriteString(`"S` + strconv.Itoa(i) + `": {"anyOf": [` + next + `, ` + next + `]},`)
	}
	b.WriteString(`"S16": {"type": "array", "items": {"$ref": "#/schemas/S0"}}}`)
	return b.String()
}

func TestPathological_nestedAnyOf(t *testing.T) {
	set := mustSet(t, anyOfLadder())
	s0 := mustSchema(t, set, "S0")
	body := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	res1, s1 := stepsFor(t, s0, body(100), Options{})
	res2, s2 := stepsFor(t, s0, body(200), Options{})
	if !res1.Valid || !res2.Valid {
		t.Fatalf("valid %v %v", res1.Valid, res2.Valid)
	}
	// Each place meets each of the ~50 subschemas once.
	if perPlace := s2 / 200; perPlace > 4*set.Nodes() {
		t.Errorf("%d steps per place for %d nodes", perPlace, set.Nodes())
	}
	if s2 > 2*s1+100 {
		t.Errorf("steps %d then %d: not linear", s1, s2)
	}
	res, _ := stepsFor(t, s0, strings.Repeat("[", 50)+"1"+strings.Repeat("]", 50), Options{})
	if res.Valid {
		t.Error("a number deep inside was accepted")
	}
}

func TestPathological_hugeNumbers(t *testing.T) {
	set := mustSet(t, `{
	  "Max": {"maximum": 1e400},
	  "Min": {"minimum": -1e400},
	  "Int": {"type": "integer"},
	  "Cents": {"multipleOf": 0.01},
	  "Seven": {"multipleOf": 7},
	  "Exact": {"const": 9007199254740993},
	  "Big": {"exclusiveMinimum": 18446744073709551615}}`)
	digits := strings.Repeat("0", 50000)
	cases := []struct {
		schema, body string
		valid        bool
	}{
		{"Max", `1e400`, true},
		{"Max", `1e401`, false},
		{"Max", `10e399`, true},
		{"Max", `1e99999999999999999999`, false},
		{"Max", `-1e99999999999999999999`, true},
		{"Max", `1` + digits[:400], true},
		{"Max", `1` + digits[:400] + `.0000000000001`, false},
		{"Max", `1` + digits, false},
		{"Min", `-1e99999999999999999999`, false},
		{"Min", `1e-99999999999999999999`, true},
		{"Int", `1e99999999999999999999`, true},
		{"Int", `1e-99999999999999999999`, false},
		{"Int", `1.000000000000000000000000000000001`, false},
		{"Int", `100000000000000000000000000000000.0`, true},
		{"Cents", `1e99999999999999999999`, true},
		{"Cents", `0.01`, true},
		{"Cents", `0.07`, true},
		{"Cents", `0.075`, false},
		{"Cents", `1e-3`, false},
		{"Cents", `123456789012345678901234567890.12`, true},
		{"Seven", `7` + digits, true},
		{"Seven", `7` + digits[1:] + `1`, false},
		{"Seven", `7e50000`, true},
		{"Seven", `0.7e1`, true},
		{"Exact", `9007199254740993`, true},
		{"Exact", `9007199254740992`, false},
		{"Exact", `9007199254740993.0`, true},
		{"Exact", `90071992547409930e-1`, true},
		{"Big", `18446744073709551616`, true},
		{"Big", `18446744073709551615`, false},
	}
	for _, tc := range cases {
		res, steps := stepsFor(t, mustSchema(t, set, tc.schema), tc.body, Options{})
		if res.Valid != tc.valid {
			t.Errorf("%s %.40s: valid=%v, want %v", tc.schema, tc.body, res.Valid, tc.valid)
		}
		if steps > 10 {
			t.Errorf("%s %.40s: %d steps", tc.schema, tc.body, steps)
		}
	}
}

func TestPathological_longStrings(t *testing.T) {
	set := mustSet(t, `{
	  "Evil": {"pattern": "^(a+)+$"},
	  "Alt": {"pattern": "^(a|aa)*b$"},
	  "Len": {"maxLength": 100000, "minLength": 100000}}`)
	long := strings.Repeat("a", 1<<18)
	cases := []struct {
		schema, body string
		valid        bool
	}{
		{"Evil", `"` + long + `!"`, false},
		{"Evil", `"` + long + `"`, true},
		{"Alt", `"` + long + `"`, false},
		{"Len", `"` + strings.Repeat("é", 100000) + `"`, true},
		{"Len", `"` + strings.Repeat(`\u00e9`, 100000) + `"`, true},
		{"Len", `"` + strings.Repeat("😀", 99999) + `"`, false},
		{"Len", `"` + strings.Repeat(`\ud83d\ude00`, 100000) + `"`, true},
	}
	for _, tc := range cases {
		res, steps := stepsFor(t, mustSchema(t, set, tc.schema), tc.body, Options{})
		if res.Valid != tc.valid {
			t.Errorf("%s: valid=%v, want %v", tc.schema, res.Valid, tc.valid)
		}
		if steps > 10 {
			t.Errorf("%s: %d steps", tc.schema, steps)
		}
	}
}

func TestPathological_wideObjectsAndArrays(t *testing.T) {
	var sb strings.Builder
	sb.WriteString(`{"W": {"type": "object", "required": [`)
	for i := range 500 {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`"p` + strconv.Itoa(i) + `"`)
	}
	sb.WriteString(`], "properties": {`)
	for i := range 1000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`"p` + strconv.Itoa(i) + `": {"type": "integer"}`)
	}
	sb.WriteString(`}}, "U": {"type": "array", "uniqueItems": true}}`)
	set := mustSet(t, sb.String())
	var b strings.Builder
	b.WriteString("{")
	for i := range 5000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"p` + strconv.Itoa(i) + `":` + strconv.Itoa(i))
	}
	b.WriteString("}")
	res, steps := stepsFor(t, mustSchema(t, set, "W"), b.String(), Options{AllowUndeclared: true})
	if !res.Valid || steps > 4*5000 {
		t.Errorf("valid=%v, %d steps", res.Valid, steps)
	}
	res, _ = stepsFor(t, mustSchema(t, set, "W"), b.String(), Options{})
	if res.Valid || len(res.Violations) != MaxViolations || res.Violations[0].Pointer != "/p1000" {
		t.Errorf("undeclared: %v", res.Violations)
	}
	b.Reset()
	b.WriteString("[")
	for i := range 20000 {
		b.WriteString(`{"k":[` + strconv.Itoa(i) + `,"x"]},`)
	}
	b.WriteString(`{"k":[1.0,"x"]}]`)
	res, steps = stepsFor(t, mustSchema(t, set, "U"), b.String(), Options{})
	if res.Valid || res.Violations[0].Rule != "uniqueItems" || steps > 3*20001 {
		t.Errorf("duplicate: valid=%v %v, %d steps", res.Valid, res.Violations, steps)
	}
	res, _ = stepsFor(t, mustSchema(t, set, "U"), strings.Replace(b.String(), `1.0,"x"`, `1.5,"x"`, 1), Options{})
	if !res.Valid {
		t.Errorf("distinct items refused: %v", res.Violations)
	}
}
