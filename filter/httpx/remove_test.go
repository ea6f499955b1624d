package httpx

import (
	"slices"
	"strings"
	"testing"
)

func TestCutPrefixFold_cases(t *testing.T) {
	for _, c := range []struct {
		v, prefix, rest string
		ok              bool
	}{
		{"Bearer abc", "Bearer ", "abc", true},
		{"bearer abc", "Bearer ", "abc", true},
		{"BEARER abc", "Bearer ", "abc", true},
		{"Bearer", "Bearer ", "", false},
		{"Basic abc", "Bearer ", "", false},
		{"Bearerabc", "Bearer ", "", false},
		{"abc", "", "abc", true},
		{"Bearer\tabc", "Bearer ", "", false},
	} {
		rest, ok := CutPrefixFold(c.v, c.prefix)
		if rest != c.rest || ok != c.ok {
			t.Errorf("CutPrefixFold(%q, %q) = %q, %v; want %q, %v", c.v, c.prefix, rest, ok, c.rest, c.ok)
		}
	}
}

type authCookiePair struct{ name, value string }

func authCookies(v string) []authCookiePair {
	var out []authCookiePair
	ForEachCookie(v, func(n, val string, _, _ int) bool {
		out = append(out, authCookiePair{n, val})
		return true
	})
	return out
}

func TestCookie_forEachPair(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []authCookiePair
	}{
		{"a=1", []authCookiePair{{"a", "1"}}},
		{"a=1; b=2;c=3", []authCookiePair{{"a", "1"}, {"b", "2"}, {"c", "3"}}},
		{` a = "q" ;;b=`, []authCookiePair{{"a", "q"}, {"b", ""}}},
		{"noval; =x; d=e=f", []authCookiePair{{"d", "e=f"}}},
		{"a=1, b=2,c=3", []authCookiePair{{"a", "1"}, {"b", "2"}, {"c", "3"}}},
		{`s="`, []authCookiePair{{"s", `"`}}},
		{"", nil},
	} {
		if got := authCookies(c.in); !slices.Equal(got, c.want) {
			t.Errorf("authCookies(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

// dropNamed is a WithoutCookies/WithoutQueryParams predicate: names that
// match qname in any spelling.
func dropNamed(qname string) func(string, int) bool {
	return func(name string, _ int) bool { return QueryNameIndex(name, qname) >= 0 }
}

func TestCookie_withoutNamedCookies(t *testing.T) {
	for _, c := range []struct {
		in, name, want string
		cut            bool
	}{
		{"theme=dark; session=t; lang=en", "session", "theme=dark; lang=en", true},
		{"session=t", "session", "", true},
		{"session=t;other=1", "session", "other=1", true},
		{"sessions=t; x=1", "session", "sessions=t; x=1", false},
		{" session = t ; x=1", "session", "x=1", true},
		// Every spelling a framework reads as the name goes.
		{"session=t; SESSION=f; +session=f; %20session=f; session[]=f; session[x]=f; Session.=k; x=1", "session", "Session.=k; x=1", true},
		{"session; x=1", "session", "x=1", true}, // no '=': a cookie with an empty value
		{"sess%69on=f", "session", "", true},
		{"=x; ;x=1", "session", "=x; ;x=1", false},
		// ',' separates cookies too (ASP.NET Core, old Rack); the bytes
		// of the pairs kept are kept as they were.
		{"theme=dark, session=f", "session", "theme=dark", true},
		{"theme=dark,session=f,lang=en", "session", "theme=dark,lang=en", true},
		{"session=t; theme=dark, session=f", "session", "theme=dark", true},
		{"a=1,  session=f;b=2", "session", "a=1,  b=2", true},
		{"[session]=f; ]session=g; session]=h; x=1", "session", "x=1", true},
		{"list=a,b; session=t", "session", "list=a,b", true},
	} {
		got, cut := WithoutCookies(c.in, dropNamed(NormalizeQueryName(c.name)))
		if got != c.want || cut != c.cut {
			t.Errorf("WithoutCookies(%q, %q) = %q, %v; want %q, %v", c.in, c.name, got, cut, c.want, c.cut)
		}
	}
	if n := testing.AllocsPerRun(100, func() { WithoutCookies("theme=dark; lang=en; sid=1", dropNamed("session")) }); n != 0 {
		t.Errorf("WithoutCookies allocates %.0f times when it keeps every pair", n)
	}
	if n := testing.AllocsPerRun(100, func() { WithoutQueryParams("page=2&sort=name&q=a+b", dropNamed("access_token")) }); n != 0 {
		t.Errorf("WithoutQueryParams allocates %.0f times when it keeps every parameter", n)
	}
	// The predicate sees where each pair starts: one location is kept.
	v := "session=a; x=1; session=b"
	got, _ := WithoutCookies(v, func(name string, start int) bool { return name == "session" && start != 16 })
	if got != "x=1; session=b" {
		t.Errorf("keeping the pair at 16 of %q: %q", v, got)
	}
}

// FuzzCookie_withoutNamedCookies: the named cookie is gone, every other pair is kept
// in order, and nothing panics.
func FuzzCookie_withoutNamedCookies(f *testing.F) {
	for _, s := range []string{"a=1; session=x; b=2", "session=\"x\"", ";;;", "session", " session=1;session=2 ", "=;==", "+session=1", "session%00=1", "a=1, session=2", "x,session=1;y=2, ", "[session]=1,b"} {
		f.Add(s, "session")
	}
	f.Fuzz(func(t *testing.T, v, name string) {
		if name == "" || strings.ContainsAny(name, "=; \t") {
			return
		}
		qname := NormalizeQueryName(name)
		out, _ := WithoutCookies(v, dropNamed(qname))
		var want []authCookiePair
		for _, p := range authCookies(v) {
			if !CookieNameMatches(p.name, qname) {
				want = append(want, p)
			}
		}
		for _, p := range authCookies(out) {
			if CookieNameMatches(p.name, qname) {
				t.Fatalf("WithoutCookies(%q, %q) = %q still holds it", v, name, out)
			}
		}
		if got := authCookies(out); !slices.Equal(got, want) {
			t.Fatalf("WithoutCookies(%q, %q) = %q: pairs %v, want %v", v, name, out, got, want)
		}
	})
}

func TestQuery_withoutNamedParams(t *testing.T) {
	q := NormalizeQueryName("access_token")
	for _, c := range []struct {
		in, want string
		cut      bool
	}{
		{"access_token=x", "", true},
		{"a=1&access_token=x&b=2", "a=1&b=2", true},
		{"access_token=x&b=2", "b=2", true},
		{"a=1&access_token=x", "a=1", true},
		{"a=1;access_token=x;b=2", "a=1;b=2", true},
		{"Access.Token=x&access%5Ftoken=y&access_token[]=z&c=3", "c=3", true},
		{"access_tokens=x&b", "access_tokens=x&b", false},
		{"a=1&&access_token=x", "a=1&", true},
		// The shadows PHP reads as access_token.
		{"access_token=v&+access_token=f&%20access_token=f&access_token", "", true},
		{"x=1&++access[token=f", "x=1", true},
	} {
		got, cut := WithoutQueryParams(c.in, dropNamed(q))
		if got != c.want || cut != c.cut {
			t.Errorf("WithoutQueryParams(%q) = %q, %v; want %q, %v", c.in, got, cut, c.want, c.cut)
		}
	}
	got, _ := WithoutQueryParams("jwt=a&x=1&jwt=b", func(name string, start int) bool { return name == "jwt" && start != 0 })
	if got != "jwt=a&x=1" {
		t.Errorf("keeping the parameter at 0: %q", got)
	}
}

// FuzzQuery_withoutNamedParams: no parameter of the name survives, and the
// other parameters keep their order and bytes.
func FuzzQuery_withoutNamedParams(f *testing.F) {
	for _, s := range []string{"a=1&access_token=x&b=2", "access_token", "&&;", "ACCESS.TOKEN=1;x=2", "access%5ftoken=%zz", "+access_token=1"} {
		f.Add(s)
	}
	q := NormalizeQueryName("access_token")
	params := func(s string) []string {
		var out []string
		for p := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == '&' || r == ';' }) {
			if !strings.HasPrefix(p, "=") {
				out = append(out, p)
			}
		}
		return out
	}
	f.Fuzz(func(t *testing.T, query string) {
		out, _ := WithoutQueryParams(query, dropNamed(q))
		n := 0
		ForEachQueryParam(out, q, func(string, int, int) { n++ })
		if n != 0 {
			t.Fatalf("WithoutQueryParams(%q) = %q still holds the parameter", query, out)
		}
		var want []string
		for _, p := range params(query) {
			name, _, _ := strings.Cut(p, "=")
			k := 0
			ForEachQueryParam(name, q, func(string, int, int) { k++ })
			if k == 0 {
				want = append(want, p)
			}
		}
		if got := params(out); !slices.Equal(got, want) {
			t.Fatalf("WithoutQueryParams(%q) = %q: params %q, want %q", query, out, got, want)
		}
	})
}

func TestQueryValue_decode(t *testing.T) {
	for in, want := range map[string]string{
		"abc": "abc", "a%2Bb": "a+b", "a+b": "a b", "%zz": "%zz", "%4": "%4", "%41%42": "AB", "": "",
	} {
		if got := DecodeQueryValue(in); got != want {
			t.Errorf("DecodeQueryValue(%q) = %q, want %q", in, got, want)
		}
	}
}

// Edges of credential removal that mutation testing showed unpinned: the
// last letter of the alphabet in a case-insensitive prefix, a value that is
// the prefix alone, a leading '+' in a query value, a removed last
// parameter followed by one separator, ';' separators.

func TestCutPrefixFold_edges(t *testing.T) {
	for _, c := range []struct {
		v, prefix, rest string
		ok              bool
	}{
		{"Bearer ", "Bearer ", "", true},
		{"zed x", "ZED ", "x", true},
		{"ZED x", "zed ", "x", true},
		{"Zed x", "zED ", "x", true},
		{"AZ x", "az ", "x", true},
		{"[ x", "{ ", "", false}, // '[' and '{' are not a letter pair
		{"@ x", "` ", "", false},
	} {
		rest, ok := CutPrefixFold(c.v, c.prefix)
		if rest != c.rest || ok != c.ok {
			t.Errorf("CutPrefixFold(%q, %q) = %q, %v; want %q, %v", c.v, c.prefix, rest, ok, c.rest, c.ok)
		}
	}
}

func TestDecodeQueryValue_leadingPlus(t *testing.T) {
	for in, want := range map[string]string{"+a": " a", "%41b": "Ab", "a+": "a ", "+": " ", "%": "%"} {
		if got := DecodeQueryValue(in); got != want {
			t.Errorf("DecodeQueryValue(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWithoutQueryParam_lastSeparators(t *testing.T) {
	q := NormalizeQueryName("access_token")
	for _, c := range []struct{ in, want string }{
		{"a=1&access_token=x&", "a=1"},
		{"a=1;access_token=x;", "a=1"},
		{"a=1;access_token=x", "a=1"},
		{"a=1&b=2;access_token=x", "a=1&b=2"},
		{"access_token=x;", ""},
		{"a=1&access_token=x&&", "a=1&&"},
	} {
		if got, cut := WithoutQueryParams(c.in, dropNamed(q)); got != c.want || !cut {
			t.Errorf("WithoutQueryParams(%q) = %q, %v; want %q, true", c.in, got, cut, c.want)
		}
	}
}
