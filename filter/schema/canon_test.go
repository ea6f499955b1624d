package schema

import (
	"strconv"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/filter/jsonx"
)

func canonOf(t *testing.T, s string) string {
	t.Helper()
	v, err := jsonx.Parse([]byte(s), jsonx.Limits{})
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return string(appendCanon(nil, &v))
}

// The canonical text confirms every equality the hashes suggest (enum,
// const, uniqueItems): members sorted, numbers by value, strings with
// minimal escapes, nothing else merged. With 64-bit seeded hashes no test
// body collides, so the text is tested on its own.
func TestCanon_text(t *testing.T) {
	texts := []struct{ in, want string }{
		{`null`, `null`}, {`true`, `true`}, {`false`, `false`},
		{`"a\u0001\"\\\/é"`, "\"a\\u0001\\\"\\\\/é\""},
		{`"\u001f \u0020"`, `"\u001f  "`},
		{`1.50`, `0.15e1`}, {`-0.0`, `0`},
		{`[]`, `[]`}, {`{}`, `{}`},
		{`[1,"a",null]`, `[0.1e1,"a",null]`},
		{`{"b":1,"a":[true,{}],"c":{"y":[],"x":false}}`, `{"a":[true,{}],"b":0.1e1,"c":{"x":false,"y":[]}}`},
		{`[[1],[[2,3]],{"k":[4]}]`, `[[0.1e1],[[0.2e1,0.3e1]],{"k":[0.4e1]}]`},
	}
	for _, tc := range texts {
		if got := canonOf(t, tc.in); got != tc.want {
			t.Errorf("canon(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
	pairs := []struct {
		a, b  string
		equal bool
	}{
		{`{"a":1,"b":2}`, `{"b":2.0,"a":1e0}`, true},
		{`{"a":1}`, `{"a":2}`, false},
		{`{"a":1}`, `{"b":1}`, false},
		{`{"a":1}`, `[1]`, false},
		{`[1,2]`, `[2,1]`, false},
		{`[1,2]`, `[1,2,2]`, false},
		{`[[1]]`, `[1]`, false},
		{`{"a":{}}`, `{"a":[]}`, false},
		{`[{}]`, `[[]]`, false},
		{`[{"a":1},2]`, `[{"a":1,"b":2}]`, false},
		{`"\u0000"`, `""`, false},
		{`"a\"b"`, `"a\\\"b"`, false},
		{`1`, `"1"`, false},
		{`true`, `"true"`, false},
	}
	for _, tc := range pairs {
		if got := canonOf(t, tc.a) == canonOf(t, tc.b); got != tc.equal {
			t.Errorf("canon(%s) == canon(%s): %v, want %v", tc.a, tc.b, got, tc.equal)
		}
	}
}

// TestUniqueItems_shortAndLongArrays: arrays up to eight items compare
// their items pair by pair, longer ones through a hash table; both find a
// duplicate at any two positions, spelled differently but equal (an
// escape, a number's form), and pass distinct items.
func TestUniqueItems_shortAndLongArrays(t *testing.T) {
	set := mustSet(t, `{"U": {"type": "array", "uniqueItems": true}}`)
	var v Validator
	for n := 2; n <= 12; n++ {
		for a := 0; a < n; a++ {
			for b := a + 1; b < n; b++ {
				for _, dup := range [][2]string{{`"x"`, `"\u0078"`}, {`1`, `1.0`}, {`{"k":[1]}`, `{"k":[1.0]}`}} {
					items := make([]string, n)
					for i := range items {
						items[i] = strconv.Quote("v" + strconv.Itoa(i))
					}
					doc := func() []byte { return []byte("[" + strings.Join(items, ",") + "]") }
					if res, err := v.Validate(mustSchema(t, set, "U"), doc(), Options{}); err != nil || !res.Valid {
						t.Fatalf("n=%d distinct: %v %v", n, res, err)
					}
					items[a], items[b] = dup[0], dup[1]
					res, err := v.Validate(mustSchema(t, set, "U"), doc(), Options{})
					if err != nil || res.Valid || res.Violations[0].Rule != "uniqueItems" {
						t.Fatalf("n=%d, %s at %d and %s at %d: %+v %v", n, dup[0], a, dup[1], b, res, err)
					}
				}
			}
		}
	}
}

// TestUniqueItems_aStepPerItem: uniqueItems counts one step per item it
// looks at, on both sides of the eight-item cut: n for n distinct items,
// b+1 when the item at b repeats an earlier one (Steps over the same
// array under a schema without uniqueItems).
func TestUniqueItems_aStepPerItem(t *testing.T) {
	set := mustSet(t, `{"U": {"type": "array", "uniqueItems": true}, "A": {"type": "array"}}`)
	var v Validator
	steps := func(name, doc string) int {
		if _, err := v.Validate(mustSchema(t, set, name), []byte(doc), Options{}); err != nil {
			t.Fatal(err)
		}
		return v.Steps()
	}
	for n := 2; n <= 12; n++ {
		items := make([]string, n)
		for i := range items {
			items[i] = strconv.Itoa(i)
		}
		doc := "[" + strings.Join(items, ",") + "]"
		if d := steps("U", doc) - steps("A", doc); d != n {
			t.Errorf("%d distinct items: %d steps for uniqueItems, want %d", n, d, n)
		}
		b := n - 1
		items[b] = "0"
		doc = "[" + strings.Join(items, ",") + "]"
		if d := steps("U", doc) - steps("A", doc); d != b+1 {
			t.Errorf("%d items, item %d repeating the first: %d steps for uniqueItems, want %d", n, b, d, b+1)
		}
	}
}
