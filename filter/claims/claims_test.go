package claims

import (
	"math/big"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/apiguard/apiguard/filter/jsonx"
)

func parse(tb testing.TB, s string) *jsonx.Value {
	tb.Helper()
	v, err := jsonx.Parse([]byte(s), jsonx.Limits{})
	if err != nil {
		tb.Fatalf("parse %q: %v", s, err)
	}
	return &v
}

const sample = `{
	"sub": "alice",
	"scope": "orders:read  orders:write",
	"roles": ["customer", "support", 7, ["admin"], {"r":"admin"}, "a b"],
	"realm_access": {"roles": ["customer"]},
	"a.b": {"c": "dotted"},
	"email_verified": true,
	"level": 3,
	"ratio": 0.5,
	"nothing": null,
	"tenant": {"id": "t1", "tier": [1, "gold"]},
	"empty": "",
	"spaces": "   "
}`

func TestClaims_lookupByPath(t *testing.T) {
	c := parse(t, sample)
	for _, tc := range []struct {
		path []string
		want string // JSON kind name of the result, "" for nil
	}{
		{[]string{"sub"}, "string"},
		{[]string{"realm_access", "roles"}, "array"},
		{[]string{"a.b", "c"}, "string"},
		{[]string{"a", "b", "c"}, ""},
		{[]string{"realm_access", "roles", "0"}, ""}, // no array indexing
		{[]string{"sub", "x"}, ""},
		{[]string{"missing"}, ""},
		{[]string{"nothing"}, "null"},
		{nil, ""},
		{[]string{}, ""},
	} {
		got := Lookup(c, tc.path)
		kind := ""
		if got != nil {
			kind = got.Kind.String()
		}
		if kind != tc.want {
			t.Errorf("Lookup(%q) = %s, want %s", tc.path, kind, tc.want)
		}
	}
	if Lookup(nil, []string{"sub"}) != nil {
		t.Fatal("Lookup on nil claims")
	}
}

func TestRule_Holds(t *testing.T) {
	c := parse(t, sample)
	eq := func(s string) *jsonx.Value { return parse(t, s) }
	p := func(s string) []string { return strings.Split(s, ".") }
	cases := []struct {
		name string
		rule Rule
		want bool
	}{
		// equals: type and value.
		{"equals bool", Rule{Path: p("email_verified"), Equals: eq(`true`)}, true},
		{"equals bool false", Rule{Path: p("email_verified"), Equals: eq(`false`)}, false},
		{"equals bool vs string", Rule{Path: p("email_verified"), Equals: eq(`"true"`)}, false},
		{"equals string", Rule{Path: p("sub"), Equals: eq(`"alice"`)}, true},
		{"equals string case", Rule{Path: p("sub"), Equals: eq(`"Alice"`)}, false},
		{"equals string escaped", Rule{Path: p("sub"), Equals: eq(`"\u0061lice"`)}, true},
		{"equals number", Rule{Path: p("level"), Equals: eq(`3`)}, true},
		{"equals number 3.0", Rule{Path: p("level"), Equals: eq(`3.0`)}, true},
		{"equals number 3e0", Rule{Path: p("level"), Equals: eq(`0.3e1`)}, true},
		{"equals number vs string", Rule{Path: p("level"), Equals: eq(`"3"`)}, false},
		{"equals number 3.0000000000000001", Rule{Path: p("level"), Equals: eq(`3.0000000000000001`)}, false},
		{"equals null", Rule{Path: p("nothing"), Equals: eq(`null`)}, true},
		{"equals null vs missing", Rule{Path: p("missing"), Equals: eq(`null`)}, false},
		{"equals array order", Rule{Path: p("realm_access.roles"), Equals: eq(`["customer"]`)}, true},
		{"equals object any order", Rule{Path: p("tenant"), Equals: eq(`{"tier":[1.0,"gold"],"id":"t1"}`)}, true},
		{"equals object extra member", Rule{Path: p("tenant"), Equals: eq(`{"tier":[1,"gold"],"id":"t1","x":1}`)}, false},
		{"equals object missing member", Rule{Path: p("tenant"), Equals: eq(`{"id":"t1"}`)}, false},
		{"equals object other value", Rule{Path: p("tenant"), Equals: eq(`{"tier":[1,"silver"],"id":"t1"}`)}, false},
		{"equals nested path", Rule{Path: []string{"a.b", "c"}, Equals: eq(`"dotted"`)}, true},

		// any_of.
		{"any_of scope field", Rule{Path: p("scope"), AnyOf: []string{"admin", "orders:write"}}, true},
		{"any_of scope none", Rule{Path: p("scope"), AnyOf: []string{"orders"}}, false},
		{"any_of scope whole string", Rule{Path: p("scope"), AnyOf: []string{"orders:read  orders:write"}}, false},
		{"any_of array", Rule{Path: p("roles"), AnyOf: []string{"admin", "support"}}, true},
		{"any_of nested array never", Rule{Path: p("roles"), AnyOf: []string{"admin"}}, false},
		{"any_of number element never", Rule{Path: p("roles"), AnyOf: []string{"7"}}, false},
		{"any_of array element not split", Rule{Path: p("roles"), AnyOf: []string{"a"}}, false},
		{"any_of array element with space", Rule{Path: p("roles"), AnyOf: []string{"a b"}}, true},
		{"any_of nested path", Rule{Path: p("realm_access.roles"), AnyOf: []string{"customer"}}, true},
		{"any_of number claim", Rule{Path: p("level"), AnyOf: []string{"3"}}, false},
		{"any_of bool claim", Rule{Path: p("email_verified"), AnyOf: []string{"true"}}, false},
		{"any_of object claim", Rule{Path: p("tenant"), AnyOf: []string{"t1"}}, false},
		{"any_of empty string claim", Rule{Path: p("empty"), AnyOf: []string{""}}, false},
		{"any_of spaces claim", Rule{Path: p("spaces"), AnyOf: []string{"", " "}}, false},
		{"any_of empty list", Rule{Path: p("scope"), AnyOf: []string{}}, false},
		{"any_of missing claim", Rule{Path: p("missing"), AnyOf: []string{"x"}}, false},

		// contains.
		{"contains all scopes", Rule{Path: p("scope"), Contains: []string{"orders:write", "orders:read"}}, true},
		{"contains one missing", Rule{Path: p("scope"), Contains: []string{"orders:read", "admin"}}, false},
		{"contains array", Rule{Path: p("roles"), Contains: []string{"customer", "support"}}, true},
		{"contains array nested never", Rule{Path: p("roles"), Contains: []string{"customer", "admin"}}, false},
		{"contains empty list", Rule{Path: p("scope"), Contains: []string{}}, false},
		{"contains string claim single", Rule{Path: p("sub"), Contains: []string{"alice"}}, true},
		{"contains missing claim", Rule{Path: p("missing"), Contains: []string{"x"}}, false},

		// combinations and degenerate rules.
		{"no requirement", Rule{Path: p("sub")}, false},
		{"two requirements both hold", Rule{Path: p("scope"), AnyOf: []string{"orders:read"}, Contains: []string{"orders:write"}}, true},
		{"two requirements one fails", Rule{Path: p("scope"), AnyOf: []string{"orders:read"}, Contains: []string{"admin"}}, false},
		{"empty path", Rule{Path: nil, Equals: eq(sample)}, false},
	}
	for _, tc := range cases {
		if got := tc.rule.Holds(c); got != tc.want {
			t.Errorf("%s: Holds = %v, want %v", tc.name, got, tc.want)
		}
	}
	// Anonymous requests: every rule fails.
	if (Rule{Path: p("sub"), Equals: eq(`"alice"`)}).Holds(nil) {
		t.Fatal("rule held for nil claims")
	}
}

func TestEqual_numbers(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"1", "1", true}, {"1", "1.0", true}, {"1", "1e0", true}, {"1", "10e-1", true}, {"1", "0.1E1", true},
		{"100", "1e2", true}, {"100", "1E+2", true}, {"0.001", "1e-3", true}, {"-2.50", "-25e-1", true},
		{"0", "-0", true}, {"0", "0.000", true}, {"0", "0e10", true}, {"-0.0e-5", "0", true},
		{"1", "-1", false}, {"1", "2", false}, {"1", "1.0000000000000001", false}, {"10", "1", false},
		{"12345678901234567890", "12345678901234567891", false}, {"12345678901234567890", "1.234567890123456789e19", true},
		{"1e400", "10e399", true}, {"1e400", "1e401", false},
		{"1e9223372036854775808", "1e9223372036854775808", true}, // exponent beyond int64: text comparison
		{"1e9223372036854775808", "10e9223372036854775807", false},
		{"1e9223372036854775806", "10e9223372036854775805", true},
		{"1e9223372036854775807", "10e9223372036854775806", false}, // point overflows: text
	} {
		a, b := parse(t, tc.a), parse(t, tc.b)
		if got := Equal(a, b); got != tc.want {
			t.Errorf("Equal(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if got := Equal(b, a); got != tc.want {
			t.Errorf("Equal(%s, %s) = %v, want %v (not symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
	if Equal(nil, parse(t, "1")) || Equal(parse(t, "1"), nil) {
		t.Fatal("nil equals a value")
	}
}

func TestClaims_headerValue(t *testing.T) {
	for _, tc := range []struct {
		json string
		want string
		ok   bool
	}{
		{`"alice"`, "alice", true},
		{`"caf\u00e9 \u2603"`, "café ☃", true},
		{`""`, "", true},
		{`"a b"`, "a b", true},
		{`42`, "42", true},
		{`1.50`, "1.50", true},
		{`-1e3`, "-1e3", true},
		{`true`, "true", true},
		{`false`, "false", true},
		{`["a","b","c"]`, "a,b,c", true},
		{`["only"]`, "only", true},
		{`[]`, "", true},
		{`"a\r\nX-Admin: 1"`, "", false},
		{`"a\nb"`, "", false},
		{`"a\rb"`, "", false},
		{`"a\u0000b"`, "", false},
		{`"a\tb"`, "", false},
		{`"a\u007fb"`, "", false},
		{`"a\u0085b"`, "", false}, // C1 NEL
		{`"a\u009bb"`, "", false}, // C1 CSI
		{`" alice"`, "", false},
		{`"alice "`, "", false},
		{`["a,b"]`, "", false},
		{`["a","b\n"]`, "", false},
		{`["a",""]`, "", false},
		{`["a"," b"]`, "", false},
		{`["a",1]`, "", false},
		{`["a",["b"]]`, "", false},
		{`["a",null]`, "", false},
		{`{"a":"b"}`, "", false},
		{`null`, "", false},
	} {
		got, ok := HeaderValue(parse(t, tc.json))
		if got != tc.want || ok != tc.ok {
			t.Errorf("HeaderValue(%s) = %q, %v; want %q, %v", tc.json, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := HeaderValue(nil); ok {
		t.Fatal("HeaderValue(nil) ok")
	}
	// Invalid UTF-8 never comes out of jsonx, but a hand-built value must
	// still be refused.
	if _, ok := HeaderValue(&jsonx.Value{Kind: jsonx.KindString, Str: "a\xffb"}); ok {
		t.Fatal("invalid UTF-8 accepted")
	}
}

func TestHolds_doesNotAllocate(t *testing.T) {
	c := parse(t, sample)
	r := Rule{Path: []string{"scope"}, Contains: []string{"orders:read", "orders:write"}}
	if n := testing.AllocsPerRun(100, func() { r.Holds(c) }); n != 0 {
		t.Fatalf("Holds allocates %.0f times", n)
	}
}

// FuzzClaims_headerValueClean: whatever the claim, a rendered header value holds no
// control character and no leading or trailing space; a string renders as
// itself and an array of strings splits back into its elements.
func FuzzClaims_headerValueClean(f *testing.F) {
	for _, s := range []string{`"alice"`, `"a\r\nb"`, `["a","b"]`, `["a,b"]`, `1e5`, `true`, `null`, `{}`, `"\u0085"`, `" x"`, `[]`, `[""]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := jsonx.Parse([]byte(s), jsonx.Limits{MaxDepth: 8})
		if err != nil {
			return
		}
		got, ok := HeaderValue(&v)
		if !ok {
			return
		}
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 in %q", got)
		}
		for _, r := range got {
			if unicode.IsControl(r) {
				t.Fatalf("control character %U in %q", r, got)
			}
		}
		if strings.HasPrefix(got, " ") || strings.HasSuffix(got, " ") {
			t.Fatalf("leading or trailing space in %q", got)
		}
		switch v.Kind {
		case jsonx.KindString:
			if got != v.Str {
				t.Fatalf("string rendered as %q, not %q", got, v.Str)
			}
		case jsonx.KindArray:
			if len(v.Items) == 0 {
				if got != "" {
					t.Fatalf("empty array rendered as %q", got)
				}
				return
			}
			parts := strings.Split(got, ",")
			if len(parts) != len(v.Items) {
				t.Fatalf("%d elements rendered as %d", len(v.Items), len(parts))
			}
			for i := range parts {
				if parts[i] != v.Items[i].Str {
					t.Fatalf("element %d rendered as %q", i, parts[i])
				}
			}
		case jsonx.KindNumber:
			if got != v.Str {
				t.Fatalf("number rendered as %q", got)
			}
		case jsonx.KindBool:
			if got != strconv.FormatBool(v.Bool) {
				t.Fatalf("bool rendered as %q", got)
			}
		default:
			t.Fatalf("%s rendered as %q", v.Kind, got)
		}
	})
}

// FuzzClaims_equalNumbersExact checks exact numeric equality against math/big for
// numbers of moderate exponent.
func FuzzClaims_equalNumbersExact(f *testing.F) {
	for _, p := range [][2]string{{"1", "1.0"}, {"-0", "0"}, {"1e2", "100"}, {"0.5", "5e-1"}, {"3", "3.0000000000000001"}, {"12e-3", "0.012"}} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, errA := jsonx.Parse([]byte(a), jsonx.Limits{})
		vb, errB := jsonx.Parse([]byte(b), jsonx.Limits{})
		if errA != nil || errB != nil || va.Kind != jsonx.KindNumber || vb.Kind != jsonx.KindNumber {
			return
		}
		ra, okA := moderateRat(va.Str)
		rb, okB := moderateRat(vb.Str)
		if !okA || !okB {
			return
		}
		if got, want := Equal(&va, &vb), ra.Cmp(rb) == 0; got != want {
			t.Fatalf("Equal(%s, %s) = %v, math/big says %v", va.Str, vb.Str, got, want)
		}
	})
}

func moderateRat(s string) (*big.Rat, bool) {
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > 300 || e < -300 {
			return nil, false
		}
	}
	if len(s) > 400 {
		return nil, false
	}
	return new(big.Rat).SetString(s)
}

func BenchmarkClaims_holds(b *testing.B) {
	c := parse(b, sample)
	rules := []Rule{
		{Path: []string{"scope"}, Contains: []string{"orders:read"}},
		{Path: []string{"realm_access", "roles"}, AnyOf: []string{"customer", "support"}},
		{Path: []string{"email_verified"}, Equals: parse(b, "true")},
	}
	// The rules measured can fail: the same ones refuse other values.
	for _, r := range []Rule{
		{Path: []string{"scope"}, Contains: []string{"orders:write:all"}},
		{Path: []string{"realm_access", "roles"}, AnyOf: []string{"admin"}},
		{Path: []string{"email_verified"}, Equals: parse(b, "false")},
	} {
		if r.Holds(c) {
			b.Fatalf("rule %+v holds", r)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range rules {
			if !r.Holds(c) {
				b.Fatal("rule failed")
			}
		}
	}
}

func BenchmarkClaims_headerValue(b *testing.B) {
	c := parse(b, sample)
	sub, roles := c.Get("sub"), c.Get("realm_access").Get("roles")
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := HeaderValue(sub); !ok {
			b.Fatal("refused")
		}
		if _, ok := HeaderValue(roles); !ok {
			b.Fatal("refused")
		}
	}
}
