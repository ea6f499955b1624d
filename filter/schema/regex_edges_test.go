package schema

import "testing"

// ECMA-262 escapes, quantifiers, groups and classes at the edges of what
// each accepts: the last input translated and the first refused, and what
// the translation then matches.
func TestPattern_edges(t *testing.T) {
	cases := []patternCase{
		// \cX: control letters from A/a to Z/z.
		{`^\ca\cz\cA\cZ$`, "\x01\x1a\x01\x1a", true},
		{`^\cm$`, "\r", true},
		// \xHH, \u{…}, \uXXXX and surrogate pairs.
		{`^\u{9}$`, "\t", true}, {`a\0`, "a\x00", true}, {`a\x41`, "aA", true}, {`a\u0041`, "aA", true}, {`a\u{41}`, "aA", true},
		{`^\x7f$`, "\x7f", true}, {`^\x2d$`, "-", true}, {`^[\x2d]$`, "-", true}, {`^[\x2d]$`, "a", false},
		{`^[a\x2dc]$`, "b", false}, {`^[a\-c]$`, "-", true}, {`^[a\-c]$`, "b", false},
		{`^\u{41}$`, "A", true}, {`^\u{10FFFF}$`, "\U0010FFFF", true}, {`^\u{D7FF}\u{E000}$`, "\uD7FF\uE000", true},
		{`^\uD800\uDC00$`, "\U00010000", true}, {`^\uDBFF\uDFFF$`, "\U0010FFFF", true}, {`^\uD7FF$`, "\uD7FF", true},
		{`^\uFFFF$`, "\uFFFF", true}, {`^\uD83D\uDE00+$`, "😀😀", true},
		// \s at the edges of ECMA's white space; \S everything else.
		{`^\s$`, "\u2000", true}, {`^\s$`, "\u200A", true}, {`^\s$`, "\u200B", false}, {`^\s$`, "\u1680", true},
		{`^\s$`, "\u167F", false}, {`^\s$`, "\u205F", true}, {`^\s$`, "\t", true}, {`^\s$`, "\x08", false},
		{`^\S$`, "\x00", true}, {`^\S$`, "\U0010FFFF", true}, {`^\S$`, "\u2000", false}, {`^\S$`, "\u200B", true},
		{`^[\s]$`, "\u3000", true}, {`^\S\S$`, "\u2029\uFEFF", false},
		// Quantifiers and literal braces.
		{`^a{2}$`, "aa", true}, {`^a{2}$`, "aaa", false}, {`^a{2,}$`, "aaaa", true}, {`^a{2,}$`, "a", false},
		{`^a{2$`, "a{2", true}, {`^a{x}$`, "a{x}", true}, {`^a{2}?$`, "aa", true}, {`^a}$`, "a}", true},
		{`^a{9}$`, "aaaaaaaaa", true}, {`^a{0,9}$`, "aaaaaaaaaa", false}, {`^{,2}$`, "{,2}", true}, {`^a{,}$`, "a{,}", true},
		{`a{2`, "a{2", true}, {`a{`, "a{", true}, {`a{2,`, "a{2,", true}, {`a{2,3`, "a{2,3", true}, {`a{2,3`, "aa", false},
		{`^a]$`, "a]", true}, {`^(a)+$`, "aa", true}, {`^[ab]{2}$`, "ba", true},
		// Groups, names, control characters written raw.
		{`^(?<_a1>x)$`, "x", true}, {`^(?<Z>x)(?<z>y)$`, "xy", true},
		{`^(?<A>x)(?<a0>y)(?<a9>z)$`, "xyz", true}, {"^\x01\x1f$", "\x01\x1f", true},
		{"^a\x7f$", "a\x7f", true}, {`^\0$`, "\x00", true}, {`^[\0]$`, "\x00", true},
		// \p{…}: categories and scripts.
		{`^\p{sc=Latin}$`, "a", true}, {`^\p{Script=Greek}$`, "a", false}, {`^\p{L}$`, "λ", true},
		{`^[\p{Lu}]$`, "A", true}, {`^\P{Lu}$`, "a", true},
		// Classes: [], [^], ranges, \b as a backspace.
		{`^[^]$`, "😀", true}, {`^[]$`, "", false}, {`^[^a]$`, "b", true}, {`^[^a]$`, "a", false}, {`^[^a]$`, "^", true}, {`^[^a]$`, "[", true},
		{`^[-a]$`, "-", true}, {`^[a-]$`, "-", true}, {`^[a-c]$`, "b", true}, {`^[\b-\n]$`, "\t", true},
	}
	checkPatterns(t, cases)
	refused := []string{
		`\c@`, `\c[`, `\c`, `\c1`, `\x4`, `\x`, `\xg1`, `\u{}`, `\u{110000}`, `\u{D800}`, `\u{DFFF}`, `\u{41`,
		`\u{xyz}`, `\u12`, `\u12g4`, `\uD800`, `\uDC00`, `\uDFFF`, `\uDC00\uDC00`, `\uDBFF\uE000`, `\uD800\u0041`, `\00`, `\01`, `\09`, `\1`, `\k<a>`,
		`{2}`, `a{2}{3}`, `a**`, `(?<1a>x)`, `(?<>x)`, `(?<a`, `(?<a-b>x)`, `(?`, `(?i)a`, `(?=a)`, `(?<!a)`,
		`\p{L`, `\p`, `\pL`, `\p{Script=1}`, `\p{Script=Nope}`, `\p{sc=}`, `\p{Bogus}`, `[a`, `[\B]`, `\q`, `a\`,
		`a{2,1}`,
	}
	for _, p := range refused {
		if re, err := compilePattern(p); err == nil {
			t.Errorf("%s: translated to %s, want an error", p, re)
		}
	}
}

// A refusal names the construct, as the operator wrote it, never the whole
// pattern.
func TestPattern_refusalMessages(t *testing.T) {
	cases := []struct{ pattern, want string }{
		{`(?i)abc`, "unsupported group (?i…)"},
		{`x(?`, "unsupported group (?…)"},
		{`(?P<n>x)`, "unsupported group (?P…)"},
		{`(?=a)`, "look-ahead is not supported (RE2)"},
		{`a\`, `pattern ends with \`},
		{`\q`, `unsupported escape \q`},
		{`\p{Nope}`, `unsupported Unicode property \p{Nope}`},
		{`a{2,1}`, "does not translate to RE2: invalid repeat count"},
	}
	for _, tc := range cases {
		_, err := compilePattern(tc.pattern)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v, want %q", tc.pattern, err, tc.want)
		}
	}
}
