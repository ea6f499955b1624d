package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jsonx"
)

func paths(t testing.TB, ss ...string) []config.ResponsePath {
	t.Helper()
	var out []config.ResponsePath
	for _, s := range ss {
		p, err := config.ParseResponsePath(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func TestRedact_rewrite(t *testing.T) {
	remove := func(keys ...string) *config.Response {
		return &config.Response{Redact: &config.Redact{Keys: keys, Action: config.RedactRemove}}
	}
	cases := []struct {
		name string
		r    *config.Response
		in   string
		want string
		st   Stats
	}{
		{"nothing applies", remove("x"), `{"a":1}`, `{"a":1}`, Stats{}},
		{"only member", remove("x"), `{"x":1}`, `{}`, Stats{Redactions: 1, Changed: true}},
		{"spaces around the only member", remove("x"), "{ \"x\" : 1 }", "{ }", Stats{Redactions: 1, Changed: true}},
		{"first of two, spaces", remove("x"), "{ \"x\" : 1 ,\n \"a\" : 2 }", "{\"a\" : 2 }", Stats{Redactions: 1, Changed: true}},
		{"last of two, spaces", remove("x"), "{ \"a\" : 2 , \"x\" : 1 }", "{ \"a\" : 2  }", Stats{Redactions: 1, Changed: true}},
		{"array element by path", &config.Response{Redact: &config.Redact{Paths: paths(t, "#"), Action: config.RedactRemove}},
			`[1, 2 ,3]`, `[]`, Stats{Redactions: 3, Changed: true}},
		{"mask keeps separators", &config.Response{Redact: &config.Redact{Keys: []string{"x"}, Action: config.RedactMask, Mask: `a"b\c` + "\x01"}},
			`{"x":{"y":[1]},"z":2}`, `{"x":"a\"b\\c\u0001","z":2}`, Stats{Redactions: 1, Changed: true}},
		{"empty mask", &config.Response{Redact: &config.Redact{Keys: []string{"x"}, Action: config.RedactMask, Mask: ""}},
			`{"x":1}`, `{"x":""}`, Stats{Redactions: 1, Changed: true}},
		{"counts allow drops apart", &config.Response{Allow: paths(t, "a"), Redact: &config.Redact{Keys: []string{"b", "c"}, Action: config.RedactRemove}},
			`{"a":{"b":1},"b":2,"c":3}`, `{"a":{}}`, Stats{Redactions: 1, Dropped: 2, Changed: true}},
		{"path and key on one member count once", &config.Response{Redact: &config.Redact{Paths: paths(t, "x"), Keys: []string{"x"}, Action: config.RedactRemove}},
			`{"x":1}`, `{}`, Stats{Redactions: 1, Changed: true}},
		{"shorter path subsumes", &config.Response{Allow: paths(t, "a.b", "a")},
			`{"a":{"b":1,"c":2},"d":3}`, `{"a":{"b":1,"c":2}}`, Stats{Dropped: 1, Changed: true}},
		{"longer path after shorter", &config.Response{Allow: paths(t, "a", "a.b")},
			`{"a":{"b":1,"c":2},"d":3}`, `{"a":{"b":1,"c":2}}`, Stats{Dropped: 1, Changed: true}},
		{"key named #", &config.Response{Redact: &config.Redact{Paths: paths(t, `a.\#`), Action: config.RedactRemove}},
			`{"a":{"#":1,"b":2},"c":["#"]}`, `{"a":{"b":2},"c":["#"]}`, Stats{Redactions: 1, Changed: true}},
		{"redacted values never change others", remove("secret"),
			`{"s":"secret","t":["secret"],"secret":"secret"}`, `{"s":"secret","t":["secret"]}`, Stats{Redactions: 1, Changed: true}},
	}
	var w Rewriter
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
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

func TestRedact_rewriteBuffers(t *testing.T) {
	var w Rewriter
	rules := Compile(&config.Response{Redact: &config.Redact{Keys: []string{"x"}, Action: config.RedactRemove}})
	src := []byte(`{"a":1}`)
	dst := []byte("prefix:")
	out, st, err := w.Rewrite(rules, dst, src)
	if err != nil || st.Changed || &out[0] != &src[0] || string(dst) != "prefix:" {
		t.Fatalf("unchanged document: out %s (aliases src: %v), st %+v, err %v", out, &out[0] == &src[0], st, err)
	}
	src = []byte(`{"a":1,"x":2}`)
	out, st, err = w.Rewrite(rules, dst, src)
	if err != nil || !st.Changed || string(out) != `prefix:{"a":1}` || string(src) != `{"a":1,"x":2}` {
		t.Fatalf("changed document: out %s, src %s, st %+v, err %v", out, src, st, err)
	}
	// A refusal yields nothing, and the Rewriter is fine afterwards.
	out, st, err = w.Rewrite(rules, dst, []byte(`{"x":1,"x":2}`))
	var je *jsonx.Error
	if !errors.As(err, &je) || je.Reason != jsonx.ReasonDuplicateKey || out != nil || st != (Stats{}) {
		t.Fatalf("duplicate: out %s, st %+v, err %v", out, st, err)
	}
	if strings.Contains(err.Error(), "x") {
		t.Errorf("error %q quotes the document", err)
	}
	out, _, err = w.Rewrite(rules, nil, []byte(`[{"x":1},{"y":2}]`))
	if err != nil || string(out) != `[{},{"y":2}]` {
		t.Fatalf("after a refusal: %s %v", out, err)
	}
}

// Every way of removing members of an object, with every kind of spacing,
// leaves valid JSON holding exactly the other members.
func TestRedact_removeEverySubset(t *testing.T) {
	spaces := []string{"", " ", "\n\t", " \r\n "}
	var w Rewriter
	for n := 1; n <= 4; n++ {
		for mask := 0; mask < 1<<n; mask++ {
			for si, sp := range spaces {
				var keys, in []string
				var want []string
				for i := 0; i < n; i++ {
					k := fmt.Sprintf("k%d", i)
					if mask&(1<<i) != 0 {
						keys = append(keys, k)
					} else {
						want = append(want, fmt.Sprintf(`"%s":%d`, k, i))
					}
					in = append(in, fmt.Sprintf(`%s"%s"%s:%s%d%s`, sp, k, sp, sp, i, sp))
				}
				doc := "{" + strings.Join(in, ",") + "}"
				if si%2 == 1 {
					doc = "[" + doc + "," + doc + "]" // and inside arrays
				}
				if len(keys) == 0 {
					keys = []string{"absent"}
				}
				rules := Compile(&config.Response{Redact: &config.Redact{Keys: keys, Action: config.RedactRemove}})
				out, _, err := w.Rewrite(rules, nil, []byte(doc))
				if err != nil {
					t.Fatalf("%s: %v", doc, err)
				}
				var compact bytes.Buffer
				if err := json.Compact(&compact, out); err != nil {
					t.Fatalf("%s -> invalid %s", doc, out)
				}
				w1 := "{" + strings.Join(want, ",") + "}"
				if si%2 == 1 {
					w1 = "[" + w1 + "," + w1 + "]"
				}
				if compact.String() != w1 {
					t.Fatalf("%q removing %v: %s, want %s", doc, keys, compact.String(), w1)
				}
			}
		}
	}
}

// appendFold is a canonical form of strings.EqualFold (simple folding)
// with 'İ' and 'ı' read as 'i' (jsonx.FoldRune): two runes fold alike
// exactly when EqualFold says they are equal once those two are replaced.
func TestRedact_foldMatchesEqualFold(t *testing.T) {
	dotless := strings.NewReplacer("\u0130", "i", "\u0131", "i")
	equalFold := func(a, b string) bool { return strings.EqualFold(dotless.Replace(a), dotless.Replace(b)) }
	var runes []rune
	for r := rune(0); r < 0x3000; r++ {
		runes = append(runes, r)
	}
	runes = append(runes, 0x1E9E, 0x212A, 0x212B, 0xFF21, 0xFF41, 0x10400, 0x10428, 0x1E900, 0x1E922)
	byFold := map[string][]rune{}
	for _, r := range runes {
		if !utf8.ValidRune(r) {
			continue
		}
		f := string(jsonx.AppendFold(nil, []byte(string(r))))
		byFold[f] = append(byFold[f], r)
	}
	for _, r := range runes {
		if !utf8.ValidRune(r) {
			continue
		}
		f := string(jsonx.AppendFold(nil, []byte(string(r))))
		if len(f) > len(string(r)) {
			t.Errorf("folding %U grows it", r)
		}
		for _, o := range byFold[f] {
			if !equalFold(string(r), string(o)) {
				t.Errorf("%U and %U fold alike but EqualFold disagrees", r, o)
			}
		}
		for f2 := unicode.SimpleFold(r); f2 != r; f2 = unicode.SimpleFold(f2) {
			if string(jsonx.AppendFold(nil, []byte(string(f2)))) != f {
				t.Errorf("%U and %U are EqualFold but fold differently", r, f2)
			}
		}
	}
}

// The filters in front of the comparisons never reject a key that
// matches: the redact keys' filter, and a path node's.
func TestRedact_filtersKeepEveryMatch(t *testing.T) {
	ruleKeys := []string{"k", "ssn", "password", "straße", "σοφία", "ǆ", strings.Repeat("long", 20), "Ω", "x"}
	data := []string{"K", "\u212A", "SSN", "ſſn", "PASSWORD", "paſſword", "STRAẞE", "ΣΟΦΊΑ", "Ǆ", "ǅ",
		strings.Repeat("LONG", 20), "\u2126", "ω", "X", "a", "", "pass", "passwordx"}
	rules := Compile(&config.Response{Redact: &config.Redact{Keys: ruleKeys,
		Paths: paths(t, "n.ssn", "n.σοφία", "n.k"), Action: config.RedactRemove}})
	pathNode := rules.paths.child([]byte("N"))
	for _, rk := range ruleKeys {
		for _, dk := range data {
			if !strings.EqualFold(rk, dk) {
				continue
			}
			if !rules.keys.filter.MayMatch([]byte(dk)) {
				t.Errorf("the keys' filter rejects %q, which matches %q", dk, rk)
			}
			if !pathNode.cand.MayMatch([]byte(dk)) {
				t.Errorf("the path node's filter rejects %q, which matches %q", dk, rk)
			}
		}
	}
	if rules.keys.filter.MayMatch([]byte("id")) {
		t.Errorf("the filter lets an unrelated key through")
	}
}

// Large rule sets use maps; they must behave like the small ones.
func TestRedact_manyRulesLikeFew(t *testing.T) {
	var keys, ps []string
	var doc, want []string
	for i := 0; i < 20; i++ {
		keys = append(keys, fmt.Sprintf("Key%d", i))
		ps = append(ps, fmt.Sprintf("obj.p%d", i))
		doc = append(doc, fmt.Sprintf(`"KEY%d":%d,"other%d":%d`, i, i, i, i))
		want = append(want, fmt.Sprintf(`"other%d":%d`, i, i))
	}
	r := &config.Response{Redact: &config.Redact{Keys: keys, Paths: paths(t, ps...), Action: config.RedactRemove}}
	in := `{"top":{` + strings.Join(doc, ",") + `},"obj":{"P7":1,"p19":2,"q":3}}`
	var w Rewriter
	out, st, err := w.Rewrite(Compile(r), nil, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if wantDoc := `{"top":{` + strings.Join(want, ",") + `},"obj":{"q":3}}`; string(out) != wantDoc || st.Redactions != 22 {
		t.Fatalf("got %s (%d redactions), want %s", out, st.Redactions, wantDoc)
	}
	checkNoLeak(t, r, out)
}

// A refused document is refused whatever the rules: the rewriter skips
// nothing unchecked, even inside values it removes.
func TestRedact_refusalsInsideRedactedValues(t *testing.T) {
	rules := Compile(&config.Response{Allow: paths(t, "keep"), Redact: &config.Redact{Keys: []string{"x"}, Action: config.RedactRemove}})
	var w Rewriter
	for _, c := range []struct{ in, reason string }{
		{`{"x":{"a":1,"a":2},"keep":1}`, jsonx.ReasonDuplicateKey},
		{`{"dropped":[{"a":1,"\u0061":2}],"keep":1}`, jsonx.ReasonDuplicateKey},
		{`{"x":"\udc00","keep":1}`, jsonx.ReasonUTF8},
		{"{\"x\":\"\xff\",\"keep\":1}", jsonx.ReasonUTF8},
		{`{"x":[1,],"keep":1}`, jsonx.ReasonSyntax},
		{`{"keep":1} x`, jsonx.ReasonTrailingData},
		{``, jsonx.ReasonEmpty},
		{`{"keep":1`, jsonx.ReasonSyntax},
	} {
		_, _, err := w.Rewrite(rules, nil, []byte(c.in))
		var je *jsonx.Error
		if !errors.As(err, &je) || je.Reason != c.reason {
			t.Errorf("%q: error %v, want %s", c.in, err, c.reason)
		}
	}
}

func TestRedact_rewriteDoesNotAllocateWhenWarm(t *testing.T) {
	rules := Compile(&config.Response{Redact: &config.Redact{Paths: paths(t, "data.#.ssn"), Keys: []string{"password"}, Action: config.RedactRemove}})
	doc := []byte(`{"data":[{"ssn":1,"a":{"password":2}},{"ssn":3}],"b":[[[{"c":1}]]]}`)
	var w Rewriter
	buf := make([]byte, 0, 256)
	w.Rewrite(rules, buf, doc)
	if n := testing.AllocsPerRun(100, func() { w.Rewrite(rules, buf, doc) }); n != 0 {
		t.Errorf("%v allocations per rewrite", n)
	}
}
