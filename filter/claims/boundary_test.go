package claims

import (
	"testing"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// TestHeaderValue_boundaries pins the edges of what claims_to_headers
// forwards: the first and last C1 control, a byte that is not UTF-8 (a
// value built without jsonx, which refuses it earlier), and a comma at the
// very start of an array element.
func TestHeaderValue_boundaries(t *testing.T) {
	str := func(s string) *jsonx.Value { return &jsonx.Value{Kind: jsonx.KindString, Str: s} }
	arr := func(items ...string) *jsonx.Value {
		v := &jsonx.Value{Kind: jsonx.KindArray}
		for _, s := range items {
			v.Items = append(v.Items, *str(s))
		}
		return v
	}
	for _, c := range []struct {
		name string
		v    *jsonx.Value
		want string
		ok   bool
	}{
		{"U+007E", str("a~"), "a~", true},
		{"DEL", str("a\x7f"), "", false},
		{"U+0080, first C1", str("a\u0080"), "", false},
		{"U+009F, last C1", str("a\u009f"), "", false},
		{"U+00A0, after C1", str("a\u00a0b"), "a\u00a0b", true},
		{"lone 0x80", str("a\x80b"), "", false},
		{"lone 0xff", str("a\xffb"), "", false},
		{"element with a leading comma", arr("a", ",b"), "", false},
		{"element with a trailing comma", arr("a", "b,"), "", false},
		{"first element with a leading comma", arr(",a"), "", false},
		{"two elements", arr("a", "b"), "a,b", true},
		{"element U+0080", arr("a", "\u0080"), "", false},
	} {
		got, ok := HeaderValue(c.v)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: HeaderValue = %q, %v; want %q, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// TestEqual_extremeExponents: a number whose normalised exponent is
// exactly the smallest or largest int64 is still compared by value (its
// other spellings equal it); one past that is compared as text.
func TestEqual_extremeExponents(t *testing.T) {
	num := func(s string) *jsonx.Value { return &jsonx.Value{Kind: jsonx.KindNumber, Str: s} }
	for _, c := range []struct {
		a, b string
		eq   bool
	}{
		// 0.1e-9223372036854775808: digits "1", point MinInt64.
		{"0.1e-9223372036854775808", "0.10e-9223372036854775808", true},
		{"0.1e-9223372036854775808", "0.2e-9223372036854775808", false},
		// 0.01e-9223372036854775808 would need point MinInt64-1: text only.
		{"0.01e-9223372036854775808", "0.010e-9223372036854775808", false},
		{"0.01e-9223372036854775808", "0.01e-9223372036854775808", true},
		// 0.1e9223372036854775807: point MaxInt64.
		{"0.1e9223372036854775807", "0.10e9223372036854775807", true},
		{"1e9223372036854775807", "1.0e9223372036854775807", false},
		{"1e9223372036854775807", "1e9223372036854775807", true},
	} {
		if got := Equal(num(c.a), num(c.b)); got != c.eq {
			t.Errorf("Equal(%s, %s) = %v, want %v", c.a, c.b, got, c.eq)
		}
	}
}
