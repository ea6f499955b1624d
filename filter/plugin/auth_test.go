package plugin

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jwt"
	"github.com/apiguard/apiguard/filter/problem"
)

// Every verifier reason has its own metric-safe plugin reason.
func TestTokenReasonsCoverVerifier(t *testing.T) {
	all := []string{
		jwt.ReasonMalformed, jwt.ReasonTooLarge, jwt.ReasonUnsupported, jwt.ReasonAlgNotAllowed,
		jwt.ReasonWrongIssuer, jwt.ReasonNoKeys, jwt.ReasonUnknownKey, jwt.ReasonBadSignature,
		jwt.ReasonInvalidClaim, jwt.ReasonMissingExpiration, jwt.ReasonExpired, jwt.ReasonNotYetValid,
		jwt.ReasonIssuedInFuture, jwt.ReasonLifetimeExceeded, jwt.ReasonWrongAudience,
	}
	seen := map[problem.Reason]bool{}
	for _, r := range all {
		got, ok := tokenReasons[r]
		if !ok {
			t.Errorf("no plugin reason for jwt reason %q", r)
			continue
		}
		if got != problem.Reason("token_"+r) {
			t.Errorf("jwt reason %q maps to %q, want token_%s", r, got, r)
		}
		if seen[got] {
			t.Errorf("reason %q used twice", got)
		}
		seen[got] = true
	}
	if len(tokenReasons) != len(all) {
		t.Errorf("tokenReasons has %d entries, the verifier %d reasons", len(tokenReasons), len(all))
	}
	if tokenReason(nil) != problem.ReasonTokenInvalid {
		t.Errorf("an error without a reason is not token_invalid")
	}
}

func TestCutPrefixFold(t *testing.T) {
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
		rest, ok := cutPrefixFold(c.v, c.prefix)
		if rest != c.rest || ok != c.ok {
			t.Errorf("cutPrefixFold(%q, %q) = %q, %v; want %q, %v", c.v, c.prefix, rest, ok, c.rest, c.ok)
		}
	}
}

type authCookiePair struct{ name, value string }

func authCookies(v string) []authCookiePair {
	var out []authCookiePair
	forEachCookie(v, func(n, val string, _, _ int) bool {
		out = append(out, authCookiePair{n, val})
		return true
	})
	return out
}

func TestForEachCookie(t *testing.T) {
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

// dropNamed is a withoutCookies/withoutQueryParams predicate: names that
// match qname in any spelling.
func dropNamed(qname string) func(string, int) bool {
	return func(name string, _ int) bool { return config.QueryNameIndex(name, qname) >= 0 }
}

func TestWithoutCookies(t *testing.T) {
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
		got, cut := withoutCookies(c.in, dropNamed(config.NormalizeQueryName(c.name)))
		if got != c.want || cut != c.cut {
			t.Errorf("withoutCookies(%q, %q) = %q, %v; want %q, %v", c.in, c.name, got, cut, c.want, c.cut)
		}
	}
	if n := testing.AllocsPerRun(100, func() { withoutCookies("theme=dark; lang=en; sid=1", dropNamed("session")) }); n != 0 {
		t.Errorf("withoutCookies allocates %.0f times when it keeps every pair", n)
	}
	if n := testing.AllocsPerRun(100, func() { withoutQueryParams("page=2&sort=name&q=a+b", dropNamed("access_token")) }); n != 0 {
		t.Errorf("withoutQueryParams allocates %.0f times when it keeps every parameter", n)
	}
	// The predicate sees where each pair starts: one location is kept.
	v := "session=a; x=1; session=b"
	got, _ := withoutCookies(v, func(name string, start int) bool { return name == "session" && start != 16 })
	if got != "x=1; session=b" {
		t.Errorf("keeping the pair at 16 of %q: %q", v, got)
	}
}

// FuzzWithoutCookies: the named cookie is gone, every other pair is kept
// in order, and nothing panics.
func FuzzWithoutCookies(f *testing.F) {
	for _, s := range []string{"a=1; session=x; b=2", "session=\"x\"", ";;;", "session", " session=1;session=2 ", "=;==", "+session=1", "session%00=1", "a=1, session=2", "x,session=1;y=2, ", "[session]=1,b"} {
		f.Add(s, "session")
	}
	f.Fuzz(func(t *testing.T, v, name string) {
		if name == "" || strings.ContainsAny(name, "=; \t") {
			return
		}
		qname := config.NormalizeQueryName(name)
		out, _ := withoutCookies(v, dropNamed(qname))
		var want []authCookiePair
		for _, p := range authCookies(v) {
			if !cookieNameMatches(p.name, qname) {
				want = append(want, p)
			}
		}
		for _, p := range authCookies(out) {
			if cookieNameMatches(p.name, qname) {
				t.Fatalf("withoutCookies(%q, %q) = %q still holds it", v, name, out)
			}
		}
		if got := authCookies(out); !slices.Equal(got, want) {
			t.Fatalf("withoutCookies(%q, %q) = %q: pairs %v, want %v", v, name, out, got, want)
		}
	})
}

func TestWithoutQueryParams(t *testing.T) {
	q := config.NormalizeQueryName("access_token")
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
		got, cut := withoutQueryParams(c.in, dropNamed(q))
		if got != c.want || cut != c.cut {
			t.Errorf("withoutQueryParams(%q) = %q, %v; want %q, %v", c.in, got, cut, c.want, c.cut)
		}
	}
	got, _ := withoutQueryParams("jwt=a&x=1&jwt=b", func(name string, start int) bool { return name == "jwt" && start != 0 })
	if got != "jwt=a&x=1" {
		t.Errorf("keeping the parameter at 0: %q", got)
	}
}

// FuzzWithoutQueryParams: no parameter of the name survives, and the
// other parameters keep their order and bytes.
func FuzzWithoutQueryParams(f *testing.F) {
	for _, s := range []string{"a=1&access_token=x&b=2", "access_token", "&&;", "ACCESS.TOKEN=1;x=2", "access%5ftoken=%zz", "+access_token=1"} {
		f.Add(s)
	}
	q := config.NormalizeQueryName("access_token")
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
		out, _ := withoutQueryParams(query, dropNamed(q))
		n := 0
		forEachQueryParam(out, q, func(string, int, int) { n++ })
		if n != 0 {
			t.Fatalf("withoutQueryParams(%q) = %q still holds the parameter", query, out)
		}
		var want []string
		for _, p := range params(query) {
			name, _, _ := strings.Cut(p, "=")
			k := 0
			forEachQueryParam(name, q, func(string, int, int) { k++ })
			if k == 0 {
				want = append(want, p)
			}
		}
		if got := params(out); !slices.Equal(got, want) {
			t.Fatalf("withoutQueryParams(%q) = %q: params %q, want %q", query, out, got, want)
		}
	})
}

// TestHeaderGroupMatch: a header value is a source's credential when it
// starts with the source's prefix in any letter case, followed by the
// credential, which neither is empty nor starts with a space or tab;
// otherwise no source's (a credential present and invalid).
func TestHeaderGroupMatch(t *testing.T) {
	bearer := &routeSource{src: config.Source{Kind: config.SourceHeader, Name: "authorization", Prefix: "Bearer "}}
	basic := &routeSource{src: config.Source{Kind: config.SourceHeader, Name: "authorization", Prefix: "Basic "}}
	g := headerGroup{name: "authorization", sources: []*routeSource{bearer, basic}}
	for _, c := range []struct {
		v    string
		want *routeSource
		rest string
	}{
		{"Bearer abc", bearer, "abc"},
		{"bEARER abc", bearer, "abc"},
		{"Basic YTpi", basic, "YTpi"},
		{"Bearer\tabc", nil, ""},
		{"Bearer  abc", nil, ""},
		{"Bearer \tabc", nil, ""},
		{"Bearer ", nil, ""},
		{"Bearer", nil, ""},
		{"Token abc", nil, ""},
		{"", nil, ""},
		{"Bearerabc", nil, ""},
		{"abc", nil, ""},
	} {
		rs, rest := g.match(c.v)
		if rs != c.want || rest != c.rest {
			t.Errorf("match(%q) = %v, %q; want %v, %q", c.v, rs, rest, c.want, c.rest)
		}
	}
	key := &routeSource{src: config.Source{Kind: config.SourceHeader, Name: "x-api-key"}}
	kg := headerGroup{name: "x-api-key", sources: []*routeSource{key}}
	for v, ok := range map[string]bool{"k1": true, "": false, " k1": false, "\tk1": false, "Bearer k": true} {
		if rs, _ := kg.match(v); (rs != nil) != ok {
			t.Errorf("x-api-key %q: match %v, want %v", v, rs != nil, ok)
		}
	}
}

// TestFindSource: one location is one source however providers spell it.
func TestFindSource(t *testing.T) {
	mk := func(kind config.SourceKind, name, prefix string) *routeSource {
		rs := &routeSource{src: config.Source{Kind: kind, Name: name, Prefix: prefix}}
		if kind != config.SourceHeader {
			rs.qname = config.NormalizeQueryName(name)
		}
		return rs
	}
	list := []*routeSource{
		mk(config.SourceHeader, "authorization", "Bearer "),
		mk(config.SourceCookie, "Session", ""),
		mk(config.SourceQuery, "access.token", ""),
	}
	for _, c := range []struct {
		src  config.Source
		want int
	}{
		{config.Source{Kind: config.SourceHeader, Name: "authorization", Prefix: "bearer "}, 0},
		{config.Source{Kind: config.SourceHeader, Name: "authorization", Prefix: "Bearer"}, -1},
		{config.Source{Kind: config.SourceHeader, Name: "authorization", Prefix: "Basic "}, -1},
		{config.Source{Kind: config.SourceHeader, Name: "x-token", Prefix: "Bearer "}, -1},
		{config.Source{Kind: config.SourceCookie, Name: "session"}, 1},
		{config.Source{Kind: config.SourceCookie, Name: "sessions"}, -1},
		{config.Source{Kind: config.SourceQuery, Name: "ACCESS_TOKEN"}, 2},
		{config.Source{Kind: config.SourceQuery, Name: "session"}, -1},
		{config.Source{Kind: config.SourceCookie, Name: "access_token"}, -1},
	} {
		got := findSource(list, c.src)
		want := (*routeSource)(nil)
		if c.want >= 0 {
			want = list[c.want]
		}
		if got != want {
			t.Errorf("findSource(%+v) = %v, want source %d", c.src, got, c.want)
		}
	}
}

func TestDecodeQueryValue(t *testing.T) {
	for in, want := range map[string]string{
		"abc": "abc", "a%2Bb": "a+b", "a+b": "a b", "%zz": "%zz", "%4": "%4", "%41%42": "AB", "": "",
	} {
		if got := decodeQueryValue(in); got != want {
			t.Errorf("decodeQueryValue(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDecodedEquals(t *testing.T) {
	for _, c := range []struct {
		raw, want string
		eq        bool
	}{
		{"alice", "alice", true},
		{"%61lice", "alice", true},
		{"%2561lice", "%61lice", true},
		{"%2561lice", "alice", false},
		{"a+b", "a+b", true},
		{"a+b", "a b", false},
		{"%zz", "%zz", false},
		{"alice", "alic", false},
		{"alic", "alice", false},
		{"%C3%A9", "é", true},
		{"", "", true},
	} {
		if got := decodedEquals(c.raw, c.want); got != c.eq {
			t.Errorf("decodedEquals(%q, %q) = %v, want %v", c.raw, c.want, got, c.eq)
		}
	}
}

// FuzzDecodedEquals holds decodedEquals to net/url's path unescaping: the
// raw parameter, decoded once, is compared byte for byte.
func FuzzDecodedEquals(f *testing.F) {
	for _, s := range []string{"alice", "%61", "%", "%4", "a+b", "%zz%41"} {
		f.Add(s, "alice")
	}
	f.Fuzz(func(t *testing.T, raw, want string) {
		dec, err := url.PathUnescape(raw)
		if got := decodedEquals(raw, want); got != (err == nil && dec == want) {
			t.Fatalf("decodedEquals(%q, %q) = %v; PathUnescape = %q, %v", raw, want, got, dec, err)
		}
		if err == nil && !decodedEquals(raw, dec) {
			t.Fatalf("decodedEquals(%q, %q) is false", raw, dec)
		}
	})
}

func TestJWKSStateRoundTrip(t *testing.T) {
	st := jwksState{version: 7, nextFetch: 1 << 62, lockUntil: 99, lockOwner: ^uint64(0), earlyAt: 5, failures: 3, early: true}
	got, ok := decodeJWKSState(st.encode())
	if !ok || got != st {
		t.Fatalf("round trip = %+v, %v", got, ok)
	}
	if _, ok := decodeJWKSState([]byte("short")); ok {
		t.Fatal("a short value decoded")
	}
}

func TestBackoff(t *testing.T) {
	for _, c := range []struct {
		n       uint32
		refresh time.Duration
		want    time.Duration
	}{
		{1, time.Hour, time.Second},
		{2, time.Hour, 2 * time.Second},
		{6, time.Hour, 32 * time.Second},
		{7, time.Hour, time.Minute},
		{100, time.Hour, time.Minute},
		{5, 5 * time.Second, 5 * time.Second},
		{1, time.Second, time.Second},
	} {
		if got := backoff(c.n, c.refresh); got != c.want {
			t.Errorf("backoff(%d, %v) = %v, want %v", c.n, c.refresh, got, c.want)
		}
	}
}

func TestTickPeriodFor(t *testing.T) {
	for in, want := range map[time.Duration]uint32{
		2 * time.Second: 100, 400 * time.Millisecond: 100, 200 * time.Millisecond: 50, time.Millisecond: 25,
	} {
		if got := tickPeriodFor(in); got != want {
			t.Errorf("tickPeriodFor(%v) = %d, want %d", in, got, want)
		}
	}
}

func TestProviderPath(t *testing.T) {
	if got := providerPath("idp"); got != "providers.idp" {
		t.Errorf("providerPath(idp) = %q", got)
	}
	if got := providerPath("a.b"); got != `providers["a.b"]` {
		t.Errorf("providerPath(a.b) = %q", got)
	}
}
