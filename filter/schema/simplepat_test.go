package schema

import (
	"math/rand"
	"regexp"
	"testing"
)

// TestMatcher_sameAsRE2: the fast matcher and RE2 agree on every pattern
// and string tried, and the common API patterns do take the fast path.
func TestMatcher_sameAsRE2(t *testing.T) {
	patterns := []struct {
		ecma string
		fast bool
	}{
		{`^[A-Z0-9-]{3,32}$`, true},
		{`^[0-9]{5}$`, true},
		{`^[a-z]{2}$`, true},
		{`^\d{4}-\d{2}-\d{2}$`, true},
		{`^[a-z]+\d*$`, true},
		{`^ab?c{2,}d*$`, true},
		{`^[^a]*a$`, true},
		{`^é+ü?$`, true},
		{`^[a-c]*x?[a-c]$`, false},
		{`^[a-z]*[a-z]{2}$`, false},
		{`^a*a$`, false},
		{`^[à-é]*[é-ü]$`, false},
		{`^[é-ü]*[à-é]$`, false},
		{`^(ab)+$`, false},
		{`[a-z]{2}`, false},
		{`^[a-z]{2}`, false},
		{`^.{1,3}$`, true},
		{`^\s*\S+$`, true},
		{`^(?:ab)+$`, false},
		{`^\w+@\w+$`, true},
		{`^a|b$`, false},
		{`^SKU-[0-9]{1,6}$`, true},
		{`^ord_[a-z0-9]{8}$`, true},
		{`^a-b$`, true},
		{`^ab*ab$`, true},
		{`^x\d{2}yz[A-Z]?$`, true},
		{`^$`, false},
	}
	alphabet := []rune("abcxyzABZ019-_@é ü\n\u2028😀.SKUord")
	r := rand.New(rand.NewSource(7))
	for _, p := range patterns {
		m, err := compilePattern(p.ecma)
		if err != nil {
			t.Fatalf("%s: %v", p.ecma, err)
		}
		if got := m.atoms != nil; got != p.fast {
			t.Errorf("%s: fast=%v, want %v", p.ecma, got, p.fast)
		}
		re := regexp.MustCompile(m.re.String())
		for range 3000 {
			n := r.Intn(8)
			s := make([]rune, n)
			for i := range s {
				s[i] = alphabet[r.Intn(len(alphabet))]
			}
			b := []byte(string(s))
			if got, want := m.Match(b), re.Match(b); got != want {
				t.Fatalf("%s on %q: %v, RE2 %v", p.ecma, string(s), got, want)
			}
		}
	}
}

// FuzzPattern_simpleMatcherAgreesWithRegexp: on any string, the fast form of a few patterns agrees with RE2.
func FuzzPattern_simpleMatcherAgreesWithRegexp(f *testing.F) {
	f.Add("AB-12", "12345", "ab")
	f.Add("SKU-12", "SKU-", "abab")
	pats := []string{`^[A-Z0-9-]{3,32}$`, `^[0-9]{5}$`, `^[a-z]+\d*$`, `^ab?c{2,}d*$`, `^.{1,3}$`, `^\s*\S+$`, `^SKU-[0-9]{1,6}$`, `^ab*ab$`}
	var ms []*matcher
	for _, p := range pats {
		m, err := compilePattern(p)
		if err != nil || m.atoms == nil {
			f.Fatalf("%s: %v", p, err)
		}
		ms = append(ms, m)
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		for _, s := range []string{a, b, c, a + b + c} {
			for _, m := range ms {
				if got, want := m.Match([]byte(s)), m.re.MatchString(s); got != want {
					t.Fatalf("%s on %q: %v, RE2 %v", m.re, s, got, want)
				}
			}
		}
	})
}

// The fast matcher at its edges: U+0080 (the first rune past the ASCII
// bitmap), an atom repeated zero times, exact counts.
func TestMatcher_edges(t *testing.T) {
	cases := []struct {
		ecma string
		s    string
		want bool
	}{
		{`^[a-z]+$`, "\u0080", false}, {`^[\u0080-\u00ff]+$`, "\u0080\u00ff", true}, {`^[\u0080-\u00ff]$`, "\u0100", false},
		{`^[^a]$`, "\u0080", true}, {`^[^a]$`, "\x80", true}, {`^[a-z]$`, "\x80", false}, {`^[é-ü]$`, "\u00ea", true}, {`^[é-ü]$`, "\u00e8", false}, {`^[é-ü]$`, "\u00ea\u00ea", false},
		{`^a{0}b$`, "ab", false}, {`^a{0}b$`, "b", true}, {`^[a-z]{2}$`, "abc", false}, {`^[a-z]{2}$`, "ab", true},
		{`^[a-z]{2,3}$`, "abcd", false}, {`^[a-z]{2,3}$`, "a", false}, {`^x[a-z]{0,2}$`, "xab", true},
		{`^[a\u0080]$`, "\u0080", true}, {`^[\u0080]$`, "\u0081", false}, {`^[\u0080]$`, "\x80", false}, {`^ab[0-9]c$`, "ab1c", true}, {`^ab[0-9]c$`, "ab1", false}, {"^[\x7f]$", "\x7f", true}, {"^[\x7f]$", "\u0080", false},
		{`^[!a]b$`, "ab", true}, {`^[!a]b$`, "!b", true}, {`^[\x00-\x01]a$`, "\x01a", true}, {`^[@A]b$`, "Ab", true}, {`^[@A]b$`, "@b", true},
		{`^ab?c$`, "ac", true}, {`^ab?c$`, "abc", true}, {`^ab?c$`, "abbc", false}, {`^a{2}b$`, "aab", true}, {`^a{2}b$`, "ab", false},
		{`^SKU-[0-9]{1,6}$`, "SKU-1", true}, {`^SKU-[0-9]{1,6}$`, "SKU-", false}, {`^SKU-[0-9]{1,6}$`, "SKU", false}, {`^SKU-[0-9]{1,6}$`, "SKV-1", false},
		{`^SKU-[0-9]{1,6}$`, "sku-1", false}, {`^SKU-[0-9]{1,6}$`, "SKU-1234567", false}, {`^ab$`, "ab", true}, {`^ab$`, "abab", false}, {`^a\x7fb$`, "a\x7fb", true}, {`^[?]x$`, "?x", true},
	}
	for _, tc := range cases {
		m, err := compilePattern(tc.ecma)
		if err != nil {
			t.Fatalf("%s: %v", tc.ecma, err)
		}
		if m.atoms == nil {
			t.Errorf("%s: not on the fast path", tc.ecma)
		}
		if got := m.Match([]byte(tc.s)); got != tc.want || m.re.MatchString(tc.s) != tc.want {
			t.Errorf("%s on %q: %v (RE2 %v), want %v", tc.ecma, tc.s, got, m.re.MatchString(tc.s), tc.want)
		}
	}
}
