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
		{`s="`, []authCookiePair{{"s", `"`}}},
		{"", nil},
	} {
		if got := authCookies(c.in); !slices.Equal(got, c.want) {
			t.Errorf("authCookies(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestWithoutCookie(t *testing.T) {
	for _, c := range []struct {
		in, name, want string
		cut            bool
	}{
		{"theme=dark; session=t; lang=en", "session", "theme=dark; lang=en", true},
		{"session=t", "session", "", true},
		{"session=t;other=1", "session", "other=1", true},
		{"sessions=t; x=1", "session", "sessions=t; x=1", false},
		{" session = t ; x=1", "session", "x=1", true},
	} {
		got, cut := withoutCookie(c.in, c.name)
		if got != c.want || cut != c.cut {
			t.Errorf("withoutCookie(%q, %q) = %q, %v; want %q, %v", c.in, c.name, got, cut, c.want, c.cut)
		}
	}
}

// FuzzWithoutCookie: the named cookie is gone, every other pair is kept
// in order, and nothing panics.
func FuzzWithoutCookie(f *testing.F) {
	for _, s := range []string{"a=1; session=x; b=2", "session=\"x\"", ";;;", "session", " session=1;session=2 ", "=;=="} {
		f.Add(s, "session")
	}
	f.Fuzz(func(t *testing.T, v, name string) {
		if name == "" || strings.ContainsAny(name, "=; \t") {
			return
		}
		qname := config.NormalizeQueryName(name)
		out, _ := withoutCookie(v, qname)
		var want []authCookiePair
		for _, p := range authCookies(v) {
			if !cookieNameMatches(p.name, qname) {
				want = append(want, p)
			}
		}
		for _, p := range authCookies(out) {
			if cookieNameMatches(p.name, qname) {
				t.Fatalf("withoutCookie(%q, %q) = %q still holds it", v, name, out)
			}
		}
		if got := authCookies(out); !slices.Equal(got, want) {
			t.Fatalf("withoutCookie(%q, %q) = %q: pairs %v, want %v", v, name, out, got, want)
		}
	})
}

func TestWithoutQueryParam(t *testing.T) {
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
	} {
		got, cut := withoutQueryParam(c.in, q)
		if got != c.want || cut != c.cut {
			t.Errorf("withoutQueryParam(%q) = %q, %v; want %q, %v", c.in, got, cut, c.want, c.cut)
		}
	}
}

// FuzzWithoutQueryParam: no parameter of the name survives, and the other
// parameters keep their order and bytes.
func FuzzWithoutQueryParam(f *testing.F) {
	for _, s := range []string{"a=1&access_token=x&b=2", "access_token", "&&;", "ACCESS.TOKEN=1;x=2", "access%5ftoken=%zz"} {
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
		out, _ := withoutQueryParam(query, q)
		n := 0
		forEachQueryParam(out, q, func(string, int, int) { n++ })
		if n != 0 {
			t.Fatalf("withoutQueryParam(%q) = %q still holds the parameter", query, out)
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
			t.Fatalf("withoutQueryParam(%q) = %q: params %q, want %q", query, out, got, want)
		}
	})
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
