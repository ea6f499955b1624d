package route

import (
	"cmp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// ordersSpecs is the table of issue #13's class 5: a strict route that
// lists methods, then weaker ones that an attacker would like to reach.
func ordersSpecs() []Spec {
	return []Spec{
		{Path: "/users/{user_id}/orders", Methods: []string{"GET", "POST"}},
		{Path: "/users/{user_id}/orders", Methods: []string{"PUT"}},
		{Prefix: "/admin", Methods: []string{"GET"}},
		{Path: "/files/caf%C3%A9", Methods: []string{"GET"}},
		{Path: "/kelvin/{id}/lookup", Methods: []string{"GET"}},
		{Path: "/health"},
	}
}

type lookupCase struct {
	method, path string
	index        int
	out          Outcome
	param        string // user_id or id, when the route has it
}

func runLookup(t *testing.T, tab *Table, cases []lookupCase) {
	t.Helper()
	for _, c := range cases {
		idx, params, out := tab.Lookup(c.method, c.path)
		if idx != c.index || out != c.out {
			t.Errorf("Lookup(%s %q) = %d %v; want %d %v", c.method, c.path, idx, out, c.index, c.out)
			continue
		}
		got, _ := params.Get("user_id")
		if got == "" {
			got, _ = params.Get("id")
		}
		if got != c.param {
			t.Errorf("Lookup(%s %q) param = %q, want %q", c.method, c.path, got, c.param)
		}
		// Match agrees with Lookup.
		mi, _, ok := tab.Match(c.method, c.path)
		if ok != (c.out == Matched) || ok && mi != c.index || !ok && mi != -1 {
			t.Errorf("Match(%s %q) = %d %v, Lookup says %d %v", c.method, c.path, mi, ok, c.index, c.out)
		}
	}
}

func TestTable_LookupCaseSensitive(t *testing.T) {
	tab := mustCompile(t, append(ordersSpecs(), Spec{Prefix: "/"}))
	runLookup(t, tab, []lookupCase{
		{"GET", "/users/bob/orders", 0, Matched, "bob"},
		{"HEAD", "/users/bob/orders", 0, Matched, "bob"},
		{"PUT", "/users/bob/orders/", 1, Matched, "bob"},
		// Unlisted methods: the catch-all takes any method, so it applies.
		{"DELETE", "/users/bob/orders", 6, Matched, ""},
		// Another letter case is refused even though the catch-all
		// matches as written: Express and ASP.NET serve /users/...
		{"GET", "/Users/bob/orders", 0, WrongCase, "bob"},
		{"GET", "/USERS/bob/orders", 0, WrongCase, "bob"},
		{"GET", "/users/bob/ORDERS", 0, WrongCase, "bob"},
		{"PUT", "/users/BOB/Orders/", 1, WrongCase, "BOB"},
		{"GET", "/users/bob/%4Frders", 0, WrongCase, "bob"},
		{"GET", "/users/bob/%6Frders", 0, Matched, "bob"},
		{"GET", "/ADMIN/x", 2, WrongCase, ""},
		{"GET", "/Admin", 2, WrongCase, ""},
		{"GET", "/admin-x", 6, Matched, ""},
		{"GET", "/files/caf%C3%A9", 3, Matched, ""},
		{"GET", "/files/caf%c3%a9", 3, Matched, ""},
		{"GET", "/files/caf\u00e9", 3, Matched, ""},
		{"GET", "/files/CAF%C3%89", 3, WrongCase, ""},
		{"GET", "/files/caf\u00c9", 3, WrongCase, ""},
		// Unicode folding finds the case variants too.
		{"GET", "/u\u017fers/bob/orders", 0, WrongCase, "bob"},
		{"GET", "/u%C5%BFers/bob/orders", 0, WrongCase, "bob"},
		{"GET", "/\u212Aelvin/7/lookup", 4, WrongCase, "7"},
		{"GET", "/health", 5, Matched, ""},
		{"GET", "/HEALTH", 5, WrongCase, ""},
		{"GET", "/other", 6, Matched, ""},
	})
	// Without the catch-all, unlisted methods are WrongMethod.
	tab = mustCompile(t, ordersSpecs())
	runLookup(t, tab, []lookupCase{
		{"DELETE", "/users/bob/orders", 0, WrongMethod, "bob"},
		{"OPTIONS", "/users/bob/orders/", 0, WrongMethod, "bob"},
		{"get", "/users/bob/orders", 0, WrongMethod, "bob"},
		{"POST", "/admin/x", 2, WrongMethod, ""},
		{"DELETE", "/Users/bob/orders", 0, WrongCase, "bob"},
		{"DELETE", "/ADMIN", 2, WrongCase, ""},
		{"DELETE", "/files/caf%c3%a9", 3, WrongMethod, ""},
		{"PATCH", "/health", 5, Matched, ""},
		{"GET", "/nowhere", -1, NoMatch, ""},
		{"GET", "/users/bob", -1, NoMatch, ""},
		{"GET", "/users//orders", -1, NoMatch, ""},
		{"GET", "*", -1, NoMatch, ""},
		{"GET", "", -1, NoMatch, ""},
	})
}

func TestTable_LookupCaseInsensitive(t *testing.T) {
	specs := append(ordersSpecs(),
		Spec{Path: "/Mixed/Case", Methods: []string{"GET"}},
		Spec{Prefix: "/static/"},
		Spec{Path: "/ski/{id}"},
		Spec{Path: "/kitty"},
	)
	tab, err := CompileWith(specs, Options{CaseInsensitive: true})
	if err != nil {
		t.Fatal(err)
	}
	if !tab.CaseInsensitive() {
		t.Fatal("CaseInsensitive() = false")
	}
	runLookup(t, tab, []lookupCase{
		{"GET", "/users/bob/orders", 0, Matched, "bob"},
		{"GET", "/Users/bob/orders", 0, Matched, "bob"},
		{"GET", "/USERS/bob/orders/", 0, Matched, "bob"},
		{"POST", "/users/bob/ORDERS", 0, Matched, "bob"},
		// Parameters keep the request's spelling.
		{"GET", "/users/BoB/orders", 0, Matched, "BoB"},
		{"GET", "/users/%42ob/orders", 0, Matched, "%42ob"},
		{"GET", "/%55sers/bob/orders", 0, Matched, "bob"},
		{"GET", "/%75SERS/bob/orders", 0, Matched, "bob"},
		{"GET", "/u\u017fers/bob/orders", 0, Matched, "bob"},
		{"GET", "/u%c5%bfers/bob/orders", 0, Matched, "bob"},
		{"GET", "/u%C5\xbfers/bob/orders", 0, Matched, "bob"},
		{"GET", "/\u212Aelvin/k1/lookup", 4, Matched, "k1"},
		{"GET", "/\u212Aitty", 9, Matched, ""},
		{"GET", "/%E2%84%AAITTY", 9, Matched, ""},
		{"GET", "/\u0131ndex", -1, NoMatch, ""},
		{"GET", "/sk\u0131/x", 8, Matched, "x"},
		{"GET", "/SK\u0130/x", 8, Matched, "x"},
		{"GET", "/sk%C4%B1/x", 8, Matched, "x"},
		{"GET", "/mixed/case", 6, Matched, ""},
		{"GET", "/MIXED/CASE/", 6, Matched, ""},
		{"GET", "/Static", 7, Matched, ""},
		{"GET", "/STATIC/app.js", 7, Matched, ""},
		{"GET", "/STATICS/app.js", -1, NoMatch, ""},
		{"GET", "/files/CAF%C3%89", 3, Matched, ""},
		{"GET", "/files/caf\u00c9", 3, Matched, ""},
		{"GET", "/files/cafe", -1, NoMatch, ""},
		{"DELETE", "/Users/bob/orders", 0, WrongMethod, "bob"},
		{"DELETE", "/ADMIN/x", 2, WrongMethod, ""},
		{"GET", "/ADMIN/x", 2, Matched, ""},
		// A stray byte never matches a letter.
		{"GET", "/u\xffers/bob/orders", -1, NoMatch, ""},
		{"GET", "/users%2Fbob/orders", -1, NoMatch, ""},
	})
}

func TestTable_PathMatches(t *testing.T) {
	specs := []Spec{
		{Path: "/a/{x}", Methods: []string{"GET"}},
		{Prefix: "/a", Methods: []string{"POST"}},
		{Path: "/A/b", Methods: []string{"PUT"}},
		{Path: "/b"},
	}
	collect := func(f func(string, func(int) bool), path string, stop int) []int {
		var got []int
		f(path, func(i int) bool {
			got = append(got, i)
			return len(got) != stop
		})
		return got
	}
	sens := mustCompile(t, specs)
	ins, _ := CompileWith(specs, Options{CaseInsensitive: true})
	for _, c := range []struct {
		tab        *Table
		path       string
		paths, cas []int
	}{
		{sens, "/a/b", []int{0, 1}, []int{2}},
		{sens, "/A/b/", []int{2}, []int{0, 1}},
		{sens, "/a/b/c", []int{1}, nil},
		{sens, "/c", nil, nil},
		{sens, "b", nil, nil},
		{ins, "/a/b", []int{0, 1, 2}, nil},
		{ins, "/A/B", []int{0, 1, 2}, nil},
	} {
		if got := collect(c.tab.PathMatches, c.path, 0); !slices.Equal(got, c.paths) {
			t.Errorf("PathMatches(%q) = %v, want %v", c.path, got, c.paths)
		}
		if got := collect(c.tab.CaseMatches, c.path, 0); !slices.Equal(got, c.cas) {
			t.Errorf("CaseMatches(%q) = %v, want %v", c.path, got, c.cas)
		}
	}
	if got := collect(sens.PathMatches, "/a/b", 1); !slices.Equal(got, []int{0}) {
		t.Errorf("PathMatches does not stop: %v", got)
	}
	if got := sens.Methods(0); !slices.Equal(got, []string{"GET", "HEAD"}) {
		t.Errorf("Methods(0) = %v", got)
	}
	if got := sens.Methods(3); got != nil {
		t.Errorf("Methods(3) = %v, want nil", got)
	}
}

func TestRoute_compareEscapedSegment(t *testing.T) {
	for _, c := range []struct {
		s, l string
		want uint8
	}{
		{"users", "users", eqSame},
		{"%75sers", "users", eqSame},
		{"users", "%75sers", eqSame},
		{"%75sers", "%75sers", eqSame},
		{"caf%c3%a9", "caf%C3%A9", eqSame},
		{"caf\u00e9", "caf%C3%A9", eqSame},
		{"Users", "users", eqFold},
		{"%55sers", "users", eqFold},
		{"u\u017fers", "users", eqFold},
		{"\u212A", "k", eqFold},
		{"\u212A", "K", eqFold},
		{"\u212A", "%E2%84%AA", eqSame},
		{"\u0131", "i", eqFold},
		{"\u0130", "i", eqFold},
		{"\u0130", "\u0131", eqFold},
		{"\u00c9", "%C3%A9", eqFold},
		{"user", "users", eqNone},
		{"users", "user", eqNone},
		{"usersx", "users", eqNone},
		{"%", "%", eqSame},
		{"%zz", "%zz", eqSame},
		{"%25", "%", eqSame},
		{"%zz", "%25zz", eqSame},
		{"a%2F", "a/", eqSame},
		{"\xff", "%FF", eqSame},
		{"\xff", "%fe", eqNone},
		{"\xc5", "s", eqNone},
		{"\xc5s", "%C5S", eqFold},
		{"", "", eqSame},
		{"", "a", eqNone},
	} {
		if got := cmpSeg(c.s, c.l); got != c.want {
			t.Errorf("cmpSeg(%q, %q) = %d, want %d", c.s, c.l, got, c.want)
		}
		if got := cmpSeg(c.l, c.s); got != c.want {
			t.Errorf("cmpSeg(%q, %q) = %d, want %d (not symmetric)", c.l, c.s, got, c.want)
		}
		folded := string(appendFold(nil, c.s)) == string(appendFold(nil, c.l))
		if folded != (c.want != eqNone) {
			t.Errorf("appendFold(%q) == appendFold(%q) is %v, cmpSeg says %d", c.s, c.l, folded, c.want)
		}
	}
}

// TestRoute_foldRuneOrbits checks every rune: two runes fold alike exactly when they
// share a unicode.SimpleFold orbit, or both are one of i, I, ı, İ.
func TestRoute_foldRuneOrbits(t *testing.T) {
	isI := func(r rune) bool { return r == 'i' || r == 'I' || r == 0x130 || r == 0x131 }
	orbitMin := func(r rune) rune {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		return m
	}
	byFold := map[rune]rune{} // FoldRune -> the orbit minimum first seen
	for r := rune(0); r <= unicode.MaxRune; r++ {
		f, m := FoldRune(r), orbitMin(r)
		if isI(r) {
			if f != 'i' {
				t.Fatalf("FoldRune(%U) = %U, want i", r, f)
			}
			continue
		}
		if prev, ok := byFold[f]; ok && prev != m {
			t.Fatalf("FoldRune(%U) = %U, as for orbit %U: two orbits fold alike", r, f, prev)
		}
		byFold[f] = m
		if FoldRune(f) != f {
			t.Fatalf("FoldRune(%U) = %U is not a fixed point", r, f)
		}
	}
	for r, want := range map[rune]rune{'S': 's', 0x17F: 's', 0x212A: 'k', 'K': 'k', 0xC9: 0xE9, invalidRune + 0xC5: invalidRune + 0xC5} {
		if got := FoldRune(r); got != want {
			t.Errorf("FoldRune(%U) = %U, want %U", r, got, want)
		}
	}
}

func TestTable_LookupAllocs(t *testing.T) {
	sens := mustCompile(t, append(benchSpecs()[:19], ordersSpecs()...))
	ins, _ := CompileWith(append(benchSpecs()[:19], ordersSpecs()...), Options{CaseInsensitive: true})
	for _, tab := range []*Table{sens, ins} {
		for _, c := range []struct{ method, path string }{
			{"GET", "/v1/users/42/orders/77"},
			{"DELETE", "/users/bob/orders"},
			{"GET", "/USERS/bob/orders"},
			{"GET", "/u%C5%BFers/bob/orders"},
			{"GET", "/\u212Aelvin/1/lookup"},
			{"GET", "/nowhere/at/all"},
		} {
			n := testing.AllocsPerRun(100, func() {
				_, p, _ := tab.Lookup(c.method, c.path)
				_, _ = p.Get("user_id")
			})
			if n != 0 {
				t.Errorf("Lookup(%s %q) allocates %v times", c.method, c.path, n)
			}
		}
	}
}

func TestTable_CaseShadow(t *testing.T) {
	tests := []struct {
		name   string
		specs  []Spec
		j, i   int
		method string
		ok     bool
	}{
		{"none", []Spec{{Path: "/a"}, {Path: "/b"}, {Prefix: "/a"}}, 0, 0, "", false},
		{"exact", []Spec{{Path: "/a"}, {Path: "/A"}}, 1, 0, "", true},
		{"escape", []Spec{{Path: "/%61"}, {Path: "/A"}}, 1, 0, "", true},
		{"same spelling is plain shadowing", []Spec{{Path: "/a"}, {Path: "/%61"}}, 0, 0, "", false},
		{"template", []Spec{{Path: "/{x}/B"}, {Path: "/users/b", Methods: []string{"GET"}}}, 1, 0, "GET", true},
		{"param never meets a literal", []Spec{{Path: "/x/X"}, {Path: "/x/{p}"}}, 0, 0, "", false},
		{"methods apart", []Spec{{Path: "/a", Methods: []string{"GET"}}, {Path: "/A", Methods: []string{"POST"}}}, 0, 0, "", false},
		{"HEAD follows GET", []Spec{{Path: "/a", Methods: []string{"GET"}}, {Path: "/A", Methods: []string{"HEAD"}}}, 1, 0, "HEAD", true},
		{"prefix behind prefix", []Spec{{Prefix: "/API"}, {Prefix: "/api/v1"}}, 1, 0, "", true},
		{"prefix behind exact is reachable", []Spec{{Path: "/API"}, {Prefix: "/api"}}, 0, 0, "", false},
		{"exact behind prefix", []Spec{{Prefix: "/API"}, {Path: "/api/v1/{x}"}}, 1, 0, "", true},
		{"root", []Spec{{Path: "/"}, {Prefix: "/"}}, 0, 0, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j, i, m, ok := mustCompile(t, tc.specs).CaseShadow()
			if ok != tc.ok || ok && (j != tc.j || i != tc.i || m != tc.method) {
				t.Errorf("CaseShadow() = %d, %d, %q, %v; want %d, %d, %q, %v", j, i, m, ok, tc.j, tc.i, tc.method, tc.ok)
			}
			ins, _ := CompileWith(tc.specs, Options{CaseInsensitive: true})
			if _, _, _, ok := ins.CaseShadow(); ok {
				t.Error("a case-insensitive table reports a case shadow")
			}
			if !tc.ok {
				return
			}
			// The shadowed route's own pattern gets WrongCase at i.
			idx, _, out := mustCompile(t, tc.specs).Lookup(cmp.Or(tc.method, "GET"), strings.ReplaceAll(tc.specs[tc.j].Path+tc.specs[tc.j].Prefix, "{", "x"))
			if idx != tc.i || out != WrongCase {
				t.Errorf("Lookup of route %d's path = %d %v, want %d wrong-case", tc.j, idx, out, tc.i)
			}
		})
	}
}

// BenchmarkRoute_lookupCaseHandling covers what case handling adds: a case-insensitive
// table, case variants, escaped and non-ASCII paths, and the 405 scan.
func BenchmarkRoute_lookupCaseHandling(b *testing.B) {
	specs := benchSpecs()
	sens := mustCompile(b, specs[:len(specs)-1]) // no catch-all: 405s exist
	ins, _ := CompileWith(specs[:len(specs)-1], Options{CaseInsensitive: true})
	cases := []struct {
		name, method, path string
		tab                *Table
	}{
		{"sensitive/template-late", "GET", "/v1/users/42/orders/77", sens},
		{"sensitive/wrong-case", "GET", "/V1/users/42/orders/77", sens},
		{"sensitive/wrong-method", "POST", "/v1/products/abc", sens},
		{"sensitive/escaped", "GET", "/v1/users/42/%6Frders/77", sens},
		{"sensitive/no-match", "GET", "/unknown/path/here", sens},
		{"insensitive/template-late", "GET", "/v1/users/42/orders/77", ins},
		{"insensitive/upper", "GET", "/V1/USERS/42/ORDERS/77", ins},
		{"insensitive/unicode", "GET", "/v1/u\u017fers/42/orders/77", ins},
		{"insensitive/no-match", "GET", "/unknown/path/here", ins},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, p, _ := c.tab.Lookup(c.method, c.path)
				_, _ = p.Get("order_id")
			}
		})
	}
}
