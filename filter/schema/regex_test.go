package schema

import (
	"strings"
	"testing"
)

// patternCase is a pattern, a string and whether the pattern matches it.
type patternCase struct {
	pattern, s string
	match      bool
}

func checkPatterns(t *testing.T, cases []patternCase) {
	t.Helper()
	for _, tc := range cases {
		re, err := compilePattern(tc.pattern)
		if err != nil {
			t.Errorf("%s: %v", tc.pattern, err)
			continue
		}
		if got := re.Match([]byte(tc.s)); got != tc.match {
			t.Errorf("%s on %q: %v, want %v (RE2 %s)", tc.pattern, tc.s, got, tc.match, re)
		}
	}
}

func TestPattern_ecmaMeanings(t *testing.T) {
	cases := []patternCase{
		{`^\s$`, "\u00a0", true},
		{`^\s$`, "\ufeff", true},
		{`^\s$`, "\v", true},
		{`^\s$`, "\u2003", true},
		{`^\S$`, "\u2003", false},
		{`^[\S]$`, "a", true},
		{`^[\S]$`, " ", false},
		{`^[^\s]$`, "\u3000", false},
		{`^.$`, "\r", false},
		{`^.$`, "\u2028", false},
		{`^.$`, "😀", true},
		{`^\d$`, "٣", false},
		{`^\w$`, "é", false},
		{`^[^]$`, "\n", true},
		{`[]`, "anything", false},
		{`^\u00e9$`, "é", true},
		{`^\ud83d\ude00$`, "😀", true},
		{`^\u{1F600}$`, "😀", true},
		{`^\x41\cJ$`, "A\n", true},
		{`^a{$`, "a{", true},
		{`^a{1,2}$`, "aa", true},
		{`^a{,2}$`, "a{,2}", true},
		{`^[[:alpha:]]$`, ":", false},
		{`^[[:alpha:]]+$`, "[:alph", false},
		{`^[a-c\]]+$`, "a]c", true},
		{`^\/\.$`, "/.", true},
		{`^(?<year>\d{4})-(?:\d\d)$`, "2026-01", true},
		{`^\p{Lu}\p{Ll}+$`, "Élan", true},
		{`^\P{L}$`, "1", true},
		{`^\p{Script=Greek}$`, "λ", true},
		{`\bfoo\b`, "a foo b", true},
		{`^a$`, "a\n", false},
		{`^\0$`, "\x00", true},
		{`^[\b]$`, "\b", true},
		{`^a*?b+?$`, "aab", true},
	}
	checkPatterns(t, cases)
}

func TestPattern_refused(t *testing.T) {
	cases := []struct{ pattern, want string }{
		{`a(?=b)`, "look-ahead"},
		{`a(?!b)`, "look-ahead"},
		{`(?<=a)b`, "look-behind"},
		{`(?<!a)b`, "look-behind"},
		{`(a)\1`, "back-references"},
		{`(?<n>a)\k<n>`, "back-references"},
		{`\01`, "octal"},
		{`(?i)a`, "unsupported group"},
		{`\q`, "unsupported escape"},
		{`\p{Alphabetic}`, "unsupported Unicode property"},
		{`\ud800`, "lone surrogate"},
		{`*a`, "quantifier without an atom"},
		{`[a`, "unterminated character class"},
		{`a\`, `pattern ends with \`},
		{`(a`, "does not translate to RE2: missing closing )"},
	}
	for _, tc := range cases {
		_, err := compilePattern(tc.pattern)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.pattern, err, tc.want)
		}
	}
}

func TestDecimal_compareAndMultiple(t *testing.T) {
	cmp := []struct {
		a, b string
		want int
	}{
		{"1", "1.0", 0}, {"1e2", "100", 0}, {"-0", "0", 0}, {"0.1", "1e-1", 0},
		{"9007199254740993", "9007199254740992", 1}, {"-1e400", "-1e399", -1},
		{"1e-400", "0", 1}, {"123.456", "123.4560001", -1}, {"-5", "3", -1},
		{"1e99999999999999999999", "1e400", 1}, {"1e99999999999999999999", "10e99999999999999999998", 0},
		{"-1e-99999999999999999999", "0", -1},
	}
	for _, tc := range cmp {
		a, b := decFromString(tc.a), decFromString(tc.b)
		if got := cmpDec(&a, &b); got != tc.want {
			t.Errorf("cmp(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	mul := []struct {
		x, d string
		want bool
	}{
		{"0.3", "0.1", true}, {"0.30000000000000004", "0.1", false}, {"19.99", "0.01", true},
		{"1e400", "0.5", true}, {"4.5", "1.5", true}, {"5", "1.5", false}, {"0", "7", true},
		{"-14", "7", true}, {"1e-2", "0.01", true}, {"1e-3", "0.01", false},
		{"123456789012345678901234567890", "3", true}, {"123456789012345678901234567891", "3", false},
		{"36893488147419103232", "18446744073709551616", true},
		{"36893488147419103233", "18446744073709551616", false},
	}
	for _, tc := range mul {
		x := decFromString(tc.x)
		dv := newDivisor(decFromString(tc.d))
		if got := dv.multipleOf(&x); got != tc.want {
			t.Errorf("%s multipleOf %s = %v, want %v", tc.x, tc.d, got, tc.want)
		}
	}
}
