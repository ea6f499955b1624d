package claims

import (
	"testing"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// TestText_forms: strings as they are, numbers as written, booleans as
// words; other types, missing claims and no claims have no text.
func TestText_forms(t *testing.T) {
	c, err := jsonx.Parse([]byte(`{"s":"a b","n":4.20,"t":true,"f":false,"o":{"x":"y"},"l":["a"],"z":null}`), jsonx.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path []string
		want string
		ok   bool
	}{
		{[]string{"s"}, "a b", true}, {[]string{"n"}, "4.20", true}, {[]string{"t"}, "true", true},
		{[]string{"f"}, "false", true}, {[]string{"o", "x"}, "y", true}, {[]string{"o"}, "", false},
		{[]string{"l"}, "", false}, {[]string{"z"}, "", false}, {[]string{"missing"}, "", false},
	} {
		if got, ok := Text(&c, tc.path); got != tc.want || ok != tc.ok {
			t.Errorf("Text(%v) = %q, %v; want %q, %v", tc.path, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := Text(nil, []string{"s"}); ok {
		t.Error("no claims object has a text")
	}
}
