package jsonx

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// foldAlphabet holds runes whose case folding is easy to get wrong: the
// Kelvin sign, long s, dotted and dotless i, the three sigmas, sharp s and
// its capital, micro sign and mu, the title-case digraph DŽ/Dž/dž, and
// plain letters around them.
var foldAlphabet = []rune{'k', 'K', '\u212a', 's', 'S', '\u017f', 'i', 'I', '\u0130', '\u0131',
	'\u03c3', '\u03a3', '\u03c2', '\u00df', '\u1e9e', 'q', 'Q', '\u00b5', '\u03bc', '\u039c',
	'\u01c4', '\u01c5', '\u01c6', '_', '1', 'j'}

func TestFold_runeOrbits(t *testing.T) {
	for _, c := range []struct{ in, want rune }{
		{'a', 'A'}, {'A', 'A'}, {'k', 'K'}, {'\u212a', 'K'}, {'\u017f', 'S'}, {'s', 'S'},
		{'i', 'I'}, {'\u0130', 'I'}, {'\u0131', 'I'}, {'\u03c2', '\u03a3'}, {'\u039c', '\u00b5'}, {'\u03bc', '\u00b5'},
		{'\u01c5', '\u01c4'}, {'\u00df', '\u00df'}, {'\u1e9e', '\u00df'}, {'1', '1'}, {'\u65e5', '\u65e5'},
	} {
		if got := FoldRune(c.in); got != c.want {
			t.Errorf("FoldRune(%U) = %U, want %U", c.in, got, c.want)
		}
	}
}

// TestFold_equalFoldAgainstOracle holds EqualFold to its definition (the same AppendFold
// bytes) and to the standard-library oracle, over every pair of runes of
// every simple-folding orbit in the BMP and over random strings.
func TestFold_equalFoldAgainstOracle(t *testing.T) {
	for r := rune(0); r < 0x10000; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		a := string(r)
		fa := AppendFold(nil, []byte(a))
		for o := unicode.SimpleFold(r); o != r; o = unicode.SimpleFold(o) {
			if !EqualFold(a, string(o)) || !bytes.Equal(fa, AppendFold(nil, []byte(string(o)))) {
				t.Fatalf("%U and %U: simple folding says equal", r, o)
			}
		}
	}
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"customer_id", "Customer_ID", true}, {"qty", "QTY", true}, {"sku", "s\u212au", true},
		{"\u017fku", "SKU", true}, {"id", "\u0130D", true}, {"id", "\u0131d", true}, {"\u0130", "\u0131", true},
		{"ab", "abc", false}, {"abc", "ab", false}, {"", "", true}, {"a", "", false}, {"@", "`", false},
		{"[", "{", false}, {"\u00df", "ss", false}, {"\xff", "\xfe", true}, {"\xff", "\ufffd", true},
	} {
		if got := EqualFold(c.a, c.b); got != c.want {
			t.Errorf("EqualFold(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
		if got := bytes.Equal(AppendFold(nil, []byte(c.a)), AppendFold(nil, []byte(c.b))); got != c.want {
			t.Errorf("AppendFold(%q) == AppendFold(%q) is %v, want %v", c.a, c.b, got, c.want)
		}
	}
	rnd := xorshift(0x2545f4914f6cdd1d)
	for range 20000 {
		a, b := randomKey(rnd), randomKey(rnd)
		if rnd(3) == 0 {
			b = flipCase(a, rnd)
		}
		want := foldOracle(a, b)
		if got := EqualFold(a, b); got != want {
			t.Fatalf("EqualFold(%q, %q) = %v, oracle %v", a, b, got, want)
		}
		if got := bytes.Equal(AppendFold(nil, []byte(a)), AppendFold(nil, []byte(b))); got != want {
			t.Fatalf("AppendFold(%q) == AppendFold(%q) is %v, oracle %v", a, b, got, want)
		}
	}
}

// TestDuplicateKeys_foldAgainstOracle is the property of FoldDuplicates: a
// document is refused exactly when one of its objects holds two keys that
// the standard-library oracle (foldOracle) calls equal, with
// ReasonDuplicateKey when the second of the first such pair is the first
// byte for byte and ReasonDuplicateKeyCase otherwise, at that key's
// offset. Keys are drawn from foldAlphabet, some written as \u escapes,
// in objects small enough for the linear scan and large enough for the
// hash table, nested.
func TestDuplicateKeys_foldAgainstOracle(t *testing.T) {
	rnd := xorshift(0x9e3779b97f4a7c15)
	var v Validator
	v.FoldDuplicates = true
	var exact Validator
	refused, caseRefused := 0, 0
	const n = 1500
	for iter := range n {
		doc, want := randomFoldDoc(rnd)
		err := v.Validate(doc, Limits{})
		got := verdict{}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("iter %d: %v", iter, err)
			}
			got = verdict{e.Reason, e.Offset}
		}
		if got != want {
			t.Fatalf("iter %d: got %+v, want %+v for %s", iter, got, want, doc)
		}
		if _, perr := v.Parse(doc, Limits{}); (perr == nil) != (err == nil) {
			t.Fatalf("iter %d: Parse %v, Validate %v", iter, perr, err)
		}
		// Without folding only exact duplicates count.
		if eerr := exact.Validate(doc, Limits{}); eerr != nil && want.reason != ReasonDuplicateKey {
			var e *Error
			if !errors.As(eerr, &e) || e.Reason != ReasonDuplicateKey {
				t.Fatalf("iter %d: exact validation: %v", iter, eerr)
			}
		}
		if want.reason != "" {
			refused++
		}
		if want.reason == ReasonDuplicateKeyCase {
			caseRefused++
		}
	}
	// The generator must exercise both outcomes, or the test proves little.
	t.Logf("%d of %d refused, %d for case", refused, n, caseRefused)
	if refused < n/8 || caseRefused < n/10 || refused > n*7/8 {
		t.Fatalf("generator: %d of %d refused, %d for case", refused, n, caseRefused)
	}
}

type verdict struct {
	reason string
	off    int
}

// randomFoldDoc builds a nested object and the oracle's verdict on it.
func randomFoldDoc(rnd func(int) int) ([]byte, verdict) {
	var b []byte
	var want verdict
	type obj struct{ keys []string }
	stack := []*obj{{}}
	first := []bool{true}
	b = append(b, '{')
	size := 1 + rnd(40)
	for steps := 0; len(stack) > 0; steps++ {
		top := len(stack) - 1
		if steps > 200 || rnd(size) == 0 {
			b = append(b, '}')
			stack, first = stack[:top], first[:top]
			continue
		}
		if !first[top] {
			b = append(b, ',')
		}
		first[top] = false
		key := randomKey(rnd)
		if rnd(2) == 0 {
			// Widen the key space, so that big objects (the hash table)
			// pass as well as fail.
			key += strconv.Itoa(rnd(300))
		}
		if want.reason == "" {
			for _, k := range stack[top].keys {
				if foldOracle(k, key) {
					want = verdict{ReasonDuplicateKeyCase, len(b)}
					if k == key {
						want.reason = ReasonDuplicateKey
					}
					break
				}
			}
		}
		stack[top].keys = append(stack[top].keys, key)
		b = appendKeyText(b, key, rnd)
		b = append(b, ':')
		if rnd(6) == 0 && len(stack) < 5 {
			b = append(b, '{')
			stack = append(stack, &obj{})
			first = append(first, true)
		} else {
			b = append(b, '1')
		}
	}
	return b, want
}

// randomKey is one to four runes of foldAlphabet.
func randomKey(rnd func(int) int) string {
	var sb strings.Builder
	for range 1 + rnd(4) {
		sb.WriteRune(foldAlphabet[rnd(len(foldAlphabet))])
	}
	return sb.String()
}

// flipCase changes the case of some runes of s.
func flipCase(s string, rnd func(int) int) string {
	var sb strings.Builder
	for _, r := range s {
		if rnd(2) == 0 {
			r = unicode.SimpleFold(r)
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// appendKeyText writes key as a JSON string, some runes as \u escapes in
// either hex case.
func appendKeyText(b []byte, key string, rnd func(int) int) []byte {
	b = append(b, '"')
	for _, r := range key {
		if rnd(3) == 0 {
			f := `\u%04x`
			if rnd(2) == 0 {
				f = `\u%04X`
			}
			b = fmt.Appendf(b, f, r)
			continue
		}
		b = utf8.AppendRune(b, r)
	}
	return append(b, '"')
}

func xorshift(seed uint64) func(int) int {
	return func(n int) int {
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		return int(seed % uint64(n))
	}
}

// TestFold_upperASCII8Lanes checks the eight-lane upper-casing of the fast path
// against the bytewise rule for every byte value in every lane.
func TestFold_upperASCII8Lanes(t *testing.T) {
	for c := 0; c < 0x80; c++ {
		want := byte(c)
		if c >= 'a' && c <= 'z' {
			want -= 0x20
		}
		for lane := range 8 {
			// Neighbours that are letters and non-letters must not
			// disturb the lane.
			for _, fill := range []byte{0, 'z', 'a', 0x7f, '`', '{'} {
				var in [8]byte
				for i := range in {
					in[i] = fill
				}
				in[lane] = byte(c)
				out := upperASCII8(leUint64(in))
				if got := byte(out >> (8 * lane)); got != want {
					t.Fatalf("byte %#x in lane %d (fill %#x): %#x, want %#x", c, lane, fill, got, want)
				}
			}
		}
	}
}

func leUint64(b [8]byte) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}
