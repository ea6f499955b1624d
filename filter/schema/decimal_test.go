package schema

import (
	"testing"
	"unsafe"
)

// Exponents as JSON writes them: with a sign, leading zeros, all zeros,
// and more digits than an int64 holds, on either side of a comparison.
func TestDecimal_exponents(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"1e0", "1", 0}, {"1E+00", "1", 0}, {"2e05", "200000", 0}, {"5e-01", "0.5", 0},
		{"-3E-0002", "-0.03", 0}, {"7e000000000000000000000", "7", 0},
		{"100000000000000000000e0", "1e20", 0}, {"1.000000000000000000000e00", "1", 0},
		{"12e1", "120.0", 0}, {"12e1", "121", -1},
		// An exponent beyond int64 on one side only.
		{"1e400", "1e99999999999999999999", -1}, {"5", "1e99999999999999999999", -1},
		{"1e99999999999999999999", "5", 1}, {"5", "1e-99999999999999999999", 1},
		{"-5", "-1e99999999999999999999", 1}, {"-1e-99999999999999999999", "-5", 1},
	}
	for _, tc := range cases {
		a, b := decFromString(tc.a), decFromString(tc.b)
		if got := cmpDec(&a, &b); got != tc.want {
			t.Errorf("cmp(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := cmpDec(&b, &a); got != -tc.want {
			t.Errorf("cmp(%s, %s) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
}

// multipleOf where only many powers of ten make a multiple: 64 = 2^6
// divides 10^6, not 10^5; 3125 = 5^5 divides 10^5, not 10^4.
func TestDecimal_multipleOfPowersOfTen(t *testing.T) {
	cases := []struct {
		x, d string
		want bool
	}{
		{"1e6", "64", true}, {"1e5", "64", false}, {"3e7", "64", true}, {"1000000", "64", true},
		{"1e5", "3125", true}, {"1e4", "3125", false}, {"0.1e6", "0.32", true},
		{"1e99999999999999999999", "64", true}, {"1e99999999999999999999", "3", false},
		{"1e6", "1024", false}, {"1e10", "1024", true},
	}
	for _, tc := range cases {
		x := decFromString(tc.x)
		dv := newDivisor(decFromString(tc.d))
		if got := dv.multipleOf(&x); got != tc.want {
			t.Errorf("%s multipleOf %s = %v, want %v", tc.x, tc.d, got, tc.want)
		}
	}
}

// A Validator reused for another body forgets the last one's number and
// string (each cached by its offset in the body).
func TestValidator_reuseForgetsTokens(t *testing.T) {
	set := mustSet(t, `{"N": {"items": {"maximum": 10, "enum": [5, 100, "a"], "maxLength": 1}}}`)
	sc := mustSchema(t, set, "N")
	var v Validator
	steps := []struct {
		body string
		want string
	}{
		{`[100]`, "/0 maximum"},
		{`[5]`, ""},
		{`["ab"]`, "/0 maxLength, /0 enum"},
		{`["a"]`, ""},
	}
	for _, s := range steps {
		res, err := v.Validate(sc, []byte(s.body), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := violationsString(res.Violations); res.Valid != (s.want == "") || got != s.want {
			t.Errorf("%s: valid=%v %q, want %q", s.body, res.Valid, got, s.want)
		}
	}
}

// ScratchBytes counts each scratch slice by its capacity, at about the
// size of its elements: a Validator that one huge body grew is dropped by
// its pool, whichever slice grew.
func TestScratchBytes_eachSlice(t *testing.T) {
	const n = 1000
	cases := []struct {
		name string
		set  func(v *Validator)
		elem uintptr
	}{
		{"acts", func(v *Validator) { v.acts = make([]act, 0, n) }, unsafe.Sizeof(act{})},
		{"edges", func(v *Validator) { v.edges = make([]edge, 0, n) }, unsafe.Sizeof(edge{})},
		{"locs", func(v *Validator) { v.locs = make([]loc, 0, n) }, unsafe.Sizeof(loc{})},
		{"frames", func(v *Validator) { v.frames = make([]frame, 0, n) }, unsafe.Sizeof(frame{})},
		{"ents", func(v *Validator) { v.ents = make([]pend, 0, n) }, unsafe.Sizeof(pend{})},
		{"itemEnts", func(v *Validator) { v.itemEnts = make([]pend, 0, n) }, unsafe.Sizeof(pend{})},
		{"hs", func(v *Validator) { v.hs = make([]hitem, 0, n) }, unsafe.Sizeof(hitem{})},
		{"fails", func(v *Validator) { v.fails = make([]failure, 0, n) }, unsafe.Sizeof(failure{})},
		{"cands", func(v *Validator) { v.cands = make([]failure, 0, n) }, unsafe.Sizeof(failure{})},
		{"tab", func(v *Validator) { v.tab = make([]int32, 0, n) }, 4},
		{"str", func(v *Validator) { v.str = make([]byte, 0, n) }, 1},
		{"buf", func(v *Validator) { v.buf = make([]byte, 0, n) }, 1},
		{"drops", func(v *Validator) { v.drops = make([]Range, 0, n) }, unsafe.Sizeof(Range{})},
		{"objStack", func(v *Validator) { v.objStack = make([]objState, 0, n) }, unsafe.Sizeof(objState{})},
	}
	for _, tc := range cases {
		var v Validator
		tc.set(&v)
		real := int(tc.elem) * n
		if got := v.ScratchBytes(); got < real/2 || got > 2*real {
			t.Errorf("%s: ScratchBytes() = %d with %d elements of %d bytes", tc.name, got, n, tc.elem)
		}
	}
	var v Validator
	if got := v.ScratchBytes(); got != 0 {
		t.Errorf("zero Validator: ScratchBytes() = %d", got)
	}
}

// Numbers below 1 have negative exponents in the canonical text that enum,
// const and uniqueItems compare: 0.05 is not 0.005.
func TestEnum_smallNumbers(t *testing.T) {
	set := mustSet(t, `{"E": {"enum": [0.05, 1e-7, 250]}, "C": {"const": [0.5, 0.05]},
		"U": {"uniqueItems": true}}`)
	runEvalCases(t, set, []evalCase{
		{"enum, same", "E", `0.05`, Options{}, ""},
		{"enum, written otherwise", "E", `5e-2`, Options{}, ""},
		{"enum, a tenth of it", "E", `0.005`, Options{}, " enum"},
		{"enum, ten times it", "E", `0.5`, Options{}, " enum"},
		{"enum, tiny", "E", `0.0000001`, Options{}, ""},
		{"enum, tinier", "E", `1e-8`, Options{}, " enum"},
		{"enum, positive exponent", "E", `2.5e2`, Options{}, ""},
		{"enum, other positive exponent", "E", `2.5e3`, Options{}, " enum"},
		{"const", "C", `[5e-1, 50e-3]`, Options{}, ""},
		{"const, other", "C", `[0.5, 0.005]`, Options{}, " const"},
		{"unique", "U", `[0.05, 0.005, 0.0005]`, Options{}, ""},
		{"not unique", "U", `[0.05, 0.005, 5e-2]`, Options{}, " uniqueItems"},
	})
}
