package schema

import (
	"strconv"
	"testing"
)

// The integer fast path of number checks (docs/schemas.md "Cost and
// caps"): a number token without an exponent whose integer part has at most
// 18 digits is compared with int64 bounds without a decimal. A wrong answer
// of numParts or cmpParts is a wrong verdict, and a number the fast path
// gives up on goes to the exact path: these tables pin both, so neither a
// wrong value nor a fast path that never runs can pass.
func TestNumParts_readsNumbersWithoutExponent(t *testing.T) {
	cases := []struct {
		num    string
		s      int64
		fs, fd int
		ok     bool
	}{
		{"0", 0, 0, 0, true},
		{"-0", 0, 0, 0, true},
		{"7", 7, 0, 0, true},
		{"10", 10, 0, 0, true},
		{"90", 90, 0, 0, true},
		{"109", 109, 0, 0, true},
		{"-42", -42, 0, 0, true},
		{"3.0", 3, 0, 0, true},
		{"3.000", 3, 0, 0, true},
		{"3.5", 3, 1, 1, true},
		{"3.05", 3, 1, 2, true},
		{"3.009", 3, 1, 3, true},
		{"3.0090", 3, 1, 3, true},
		{"3.500", 3, 1, 1, true},
		{"1.10", 1, 1, 1, true},
		{"1.005", 1, 1, 3, true},
		{"-3.5", -3, -1, 1, true},
		{"-3.00", -3, 0, 0, true},
		{"-0.5", 0, -1, 1, true},
		{"-0.00", 0, 0, 0, true},
		{"0.0", 0, 0, 0, true},
		{"0.90", 0, 1, 1, true},
		{"123456789012345678", 123456789012345678, 0, 0, true},
		{"-999999999999999999.9", -999999999999999999, -1, 1, true},
		// More than 18 digits in the integer part: the exact path.
		{"1234567890123456789", 0, 0, 0, false},
		{"-1234567890123456789.5", 0, 0, 0, false},
		// An exponent: the exact path.
		{"1e5", 0, 0, 0, false},
		{"1E5", 0, 0, 0, false},
		{"-2.5e-1", 0, 0, 0, false},
		{"10e0", 0, 0, 0, false},
		{"1.1e1", 0, 0, 0, false},
	}
	for _, tc := range cases {
		s, fs, fd, ok := numParts([]byte(tc.num))
		if ok != tc.ok || ok && (s != tc.s || fs != tc.fs || fd != tc.fd) {
			t.Errorf("numParts(%s) = %d, %d, %d, %v; want %d, %d, %d, %v", tc.num, s, fs, fd, ok, tc.s, tc.fs, tc.fd, tc.ok)
		}
	}
}

func TestCmpParts_integerPartDecidesThenFraction(t *testing.T) {
	cases := []struct {
		num  string
		b    int64
		want int
	}{
		{"5", 5, 0}, {"5", 6, -1}, {"5", 4, 1},
		{"5.5", 5, 1}, {"5.5", 6, -1}, {"4.99", 5, -1},
		{"-5.5", -5, -1}, {"-5.5", -6, 1}, {"-0.5", 0, -1}, {"0.5", 0, 1},
		{"-5", -5, 0}, {"0", 0, 0},
	}
	for _, tc := range cases {
		s, fs, _, ok := numParts([]byte(tc.num))
		if !ok {
			t.Fatalf("numParts(%s) gave up", tc.num)
		}
		if got := cmpParts(s, fs, tc.b); got != tc.want {
			t.Errorf("cmpParts(%s, %d) = %d, want %d", tc.num, tc.b, got, tc.want)
		}
		// The exact comparison agrees.
		a, b := decFromString(tc.num), decFromString(strconv.FormatInt(tc.b, 10))
		if got := cmpDec(&a, &b); got != tc.want {
			t.Errorf("cmpDec(%s, %d) = %d, want %d", tc.num, tc.b, got, tc.want)
		}
	}
}

func TestDecInt64_integersBelowTenToTheEighteen(t *testing.T) {
	cases := []struct {
		num  string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"-0", 0, true}, {"0.0", 0, true}, {"0e5", 0, true},
		{"5", 5, true}, {"-5", -5, true}, {"2.0", 2, true},
		{"120", 120, true}, {"12e1", 120, true}, {"-7e2", -700, true},
		{"1.5e1", 15, true}, {"100", 100, true},
		{"1e17", 100000000000000000, true},
		{"999999999999999999", 999999999999999999, true},
		{"-999999999999999999", -999999999999999999, true},
		{"1e18", 0, false}, {"1000000000000000000", 0, false},
		{"1.5", 0, false}, {"0.5", 0, false}, {"-2.25", 0, false}, {"15e-1", 0, false},
		{"1e99999999999999999999", 0, false}, {"1e-99999999999999999999", 0, false},
	}
	for _, tc := range cases {
		d := decFromString(tc.num)
		got, ok := d.int64()
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("int64(%s) = %d, %v; want %d, %v", tc.num, got, ok, tc.want, tc.ok)
		}
	}
}

// Which nodes are read by numParts alone (nfIntBounds): integer bounds an
// int64 holds, a multipleOf that is an int64 integer or a power of ten at
// most 1, a type of integer without number; never with enum or const; and
// every bound of such a node, not only the first.
func TestCompile_intBoundsOnlyForInt64Bounds(t *testing.T) {
	cases := []struct {
		schema          string
		want            bool
		iMin, iMax      int64
		mulInt, mulFrac int64
	}{
		{`{"minimum": 1, "maximum": 10}`, true, 1, 10, 0, 0},
		{`{"minimum": -3}`, true, -3, 0, 0, 0},
		{`{"maximum": 2.0}`, true, 0, 2, 0, 0},
		{`{"exclusiveMinimum": 0, "exclusiveMaximum": 100}`, true, 0, 0, 0, 0},
		{`{"minimum": 1.5}`, false, 0, 0, 0, 0},
		{`{"minimum": 1, "maximum": 10.5}`, false, 0, 0, 0, 0},
		{`{"minimum": 1.5, "maximum": 10}`, false, 0, 0, 0, 0},
		{`{"maximum": 1e18}`, false, 0, 0, 0, 0},
		{`{"minimum": 1, "multipleOf": 2}`, true, 1, 0, 2, 0},
		{`{"multipleOf": 1}`, true, 0, 0, 1, 0},
		{`{"multipleOf": 1e3}`, true, 0, 0, 1000, 0},
		{`{"multipleOf": 0.01}`, true, 0, 0, 0, 2},
		{`{"multipleOf": 1e-1}`, true, 0, 0, 0, 1},
		{`{"multipleOf": 0.25}`, false, 0, 0, 0, 0},
		{`{"multipleOf": 2.5}`, false, 0, 0, 0, 0},
		{`{"multipleOf": 1e19}`, false, 0, 0, 0, 0},
		{`{"minimum": 1.5, "multipleOf": 0.5}`, false, 0, 0, 0, 0},
		{`{"minimum": 1.5, "multipleOf": 0.1}`, false, 0, 0, 0, 1},
		{`{"minimum": 1, "enum": [1, 2]}`, false, 0, 0, 0, 0},
		{`{"minimum": 1, "const": 1}`, false, 0, 0, 0, 0},
		{`{"multipleOf": 2, "enum": [2]}`, false, 0, 0, 0, 0},
		{`{"type": "integer"}`, true, 0, 0, 0, 0},
		{`{"type": ["integer", "null"]}`, true, 0, 0, 0, 0},
		{`{"type": ["integer", "number"]}`, false, 0, 0, 0, 0},
		{`{"type": "number"}`, false, 0, 0, 0, 0},
		{`{"type": "string"}`, false, 0, 0, 0, 0},
		{`{"type": "integer", "enum": [1]}`, false, 0, 0, 0, 0},
		{`{"type": "integer", "minimum": 0.5}`, false, 0, 0, 0, 0},
	}
	for _, tc := range cases {
		n := &mustSet(t, `{"S": `+tc.schema+`}`).nodes[0]
		if got := n.flags&nfIntBounds != 0; got != tc.want {
			t.Errorf("%s: int bounds %v, want %v", tc.schema, got, tc.want)
			continue
		}
		if tc.want && (n.iMin != tc.iMin || n.iMax != tc.iMax) {
			t.Errorf("%s: bounds %d..%d, want %d..%d", tc.schema, n.iMin, n.iMax, tc.iMin, tc.iMax)
		}
		if n.mulInt != tc.mulInt || n.mulFrac != tc.mulFrac {
			t.Errorf("%s: multipleOf %d, %d fraction digits; want %d, %d", tc.schema, n.mulInt, n.mulFrac, tc.mulInt, tc.mulFrac)
		}
	}
	n := &mustSet(t, `{"S": {"exclusiveMinimum": -4, "exclusiveMaximum": 9}}`).nodes[0]
	if n.iExMin != -4 || n.iExMax != 9 {
		t.Errorf("exclusive bounds %d..%d, want -4..9", n.iExMin, n.iExMax)
	}
}

// multipleOf with a divisor of more than 17 digits takes math/big: the
// powers of ten of the number's scale are applied exactly as many times
// as the scales differ (D = 5 × 111…1: 111…1 is not a multiple, ten times
// it is; 222…20 is four times D).
func TestDecimal_multipleOfLongDivisor(t *testing.T) {
	cases := []struct {
		x, d string
		want bool
	}{
		{"111111111111111111", "555555555555555555", false},
		{"1111111111111111110", "555555555555555555", true},
		{"2222222222222222220", "555555555555555555", true},
		{"22222222222222222200", "555555555555555555", true},
		{"2222222222222222222", "555555555555555555", false},
		{"555555555555555555e3", "555555555555555555", true},
		{"111111111111111111e2", "555555555555555555", true},
	}
	for _, tc := range cases {
		x, d := decFromString(tc.x), decFromString(tc.d)
		v := newDivisor(d)
		if v.big == nil {
			t.Fatalf("divisor %s took the uint64 path", tc.d)
		}
		if got := v.multipleOf(&x); got != tc.want {
			t.Errorf("%s multipleOf %s = %v, want %v", tc.x, tc.d, got, tc.want)
		}
	}
}

// Bounds that are not int64 integers are compared as decimals: a number
// equal to an exclusive bound fails it, however it is written, and so
// does an integer bound compared with a number written with an exponent.
func TestBounds_exclusiveOnTheDecimalPath(t *testing.T) {
	set := mustSet(t, `{
	 "ExMax": {"exclusiveMaximum": 2.5}, "ExMin": {"exclusiveMinimum": 2.5},
	 "IntExMax": {"exclusiveMaximum": 3}, "IntExMin": {"exclusiveMinimum": 3},
	 "Max": {"maximum": 2.5}, "Min": {"minimum": 2.5}}`)
	runEvalCases(t, set, []evalCase{
		{"exMax equal", "ExMax", `2.5`, Options{}, " exclusiveMaximum"},
		{"exMax equal, exponent", "ExMax", `25e-1`, Options{}, " exclusiveMaximum"},
		{"exMax below", "ExMax", `2.49`, Options{}, ""},
		{"exMax above", "ExMax", `2.51`, Options{}, " exclusiveMaximum"},
		{"exMin equal", "ExMin", `2.50`, Options{}, " exclusiveMinimum"},
		{"exMin above", "ExMin", `2.51`, Options{}, ""},
		{"int exMax equal, exponent", "IntExMax", `0.3e1`, Options{}, " exclusiveMaximum"},
		{"int exMax below, exponent", "IntExMax", `2.9e0`, Options{}, ""},
		{"int exMin equal, exponent", "IntExMin", `30e-1`, Options{}, " exclusiveMinimum"},
		{"max equal", "Max", `2.5`, Options{}, ""},
		{"max above", "Max", `2.5000001`, Options{}, " maximum"},
		{"min equal", "Min", `25e-1`, Options{}, ""},
		{"min below", "Min", `2.4999`, Options{}, " minimum"},
	})
}
