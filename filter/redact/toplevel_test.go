package redact

import (
	"testing"

	"github.com/apiguard/apiguard/filter/config"
)

// TestRewrite_topLevel: what happens to the top-level value itself. With
// allow, a top level that is not a container allow can go into (an array
// when every allow path names a key, a scalar) becomes null and counts as
// one dropped value; without rules a document is only validated, trailing
// data and duplicate keys included.
func TestRewrite_topLevel(t *testing.T) {
	allow := &config.Response{Allow: paths(t, "id")}
	each := &config.Response{Allow: paths(t, "#.id")}
	for _, c := range []struct {
		name string
		r    *config.Response
		in   string
		want string
		st   Stats
		err  bool
	}{
		{"object fits", allow, `{"id":1,"x":2}`, `{"id":1}`, Stats{Dropped: 1, Changed: true}, false},
		{"array does not fit keys", allow, `[{"id":1}]`, `null`, Stats{Dropped: 1, Changed: true}, false},
		{"array with spaces", allow, ` [ 1 , 2 ] `, ` null `, Stats{Dropped: 1, Changed: true}, false},
		{"array fits #", each, `[{"id":1,"x":2}]`, `[{"id":1}]`, Stats{Dropped: 1, Changed: true}, false},
		{"object does not fit #", each, `{"id":1}`, `null`, Stats{Dropped: 1, Changed: true}, false},
		{"scalar", allow, `"secret"`, `null`, Stats{Dropped: 1, Changed: true}, false},
		{"number", allow, ` 42 `, ` null `, Stats{Dropped: 1, Changed: true}, false},
		{"scalar without allow", &config.Response{Redact: &config.Redact{Keys: []string{"x"}}}, `"x"`, `"x"`, Stats{}, false},
		{"no rules: valid", nil, `{"a":[1,{"b":2}]}`, `{"a":[1,{"b":2}]}`, Stats{}, false},
		{"no rules: trailing data", nil, `{"a":1} {"b":2}`, "", Stats{}, true},
		{"no rules: trailing garbage", nil, `[1] x`, "", Stats{}, true},
		{"no rules: duplicate key", nil, `{"a":1,"a":2}`, "", Stats{}, true},
		{"no rules: truncated", nil, `{"a":[1,2}`, "", Stats{}, true},
		{"does not fit, then trailing data", allow, `[1] x`, "", Stats{}, true},
		{"does not fit, invalid inside", allow, `[1,]`, "", Stats{}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var w Rewriter
			out, st, err := w.Rewrite(Compile(c.r), nil, []byte(c.in))
			if (err != nil) != c.err {
				t.Fatalf("err %v, want error %v", err, c.err)
			}
			if string(out) != c.want || st != c.st {
				t.Fatalf("got %q %+v, want %q %+v", out, st, c.want, c.st)
			}
		})
	}
}

// TestRewrite_keysBelowPaths: redact.keys apply at every depth, also
// inside containers that a redact path leads through but does not end at,
// in arrays under them, and whatever the action; a path ending on a
// container with the mask action masks it whole.
func TestRewrite_keysBelowPaths(t *testing.T) {
	for _, c := range []struct {
		name string
		r    *config.Response
		in   string
		want string
		st   Stats
	}{
		{"keys under a path's container", &config.Response{Redact: &config.Redact{Paths: paths(t, "a.b"), Keys: []string{"secret"}, Action: config.RedactRemove}},
			`{"a":{"b":1,"c":{"d":{"secret":1,"e":2}},"f":[{"secret":2},[{"Secret":3}]]},"x":[{"secret":4}]}`,
			`{"a":{"c":{"d":{"e":2}},"f":[{},[{}]]},"x":[{}]}`, Stats{Redactions: 5, Changed: true}},
		{"mask by path", &config.Response{Redact: &config.Redact{Paths: paths(t, "a.b", "c.#"), Action: config.RedactMask, Mask: "***"}},
			`{"a":{"b":{"deep":[1,2]},"k":1},"c":[1,{"x":2}]}`, `{"a":{"b":"***","k":1},"c":["***","***"]}`, Stats{Redactions: 3, Changed: true}},
		{"mask by key under a path", &config.Response{Redact: &config.Redact{Paths: paths(t, "a.z"), Keys: []string{"k"}, Action: config.RedactMask, Mask: "-"}},
			`{"a":{"b":{"k":{"x":1}}}}`, `{"a":{"b":{"k":"-"}}}`, Stats{Redactions: 1, Changed: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var w Rewriter
			out, st, err := w.Rewrite(Compile(c.r), nil, []byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != c.want || st != c.st {
				t.Fatalf("got %s %+v, want %s %+v", out, st, c.want, c.st)
			}
			checkNoLeak(t, c.r, out)
		})
	}
}
