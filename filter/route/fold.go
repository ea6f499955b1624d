package route

import (
	"unicode"
	"unicode/utf8"

	"github.com/apiguard/apiguard/filter/httpx"
)

// Literal segments and prefixes are compared the way upstreams read a
// path: after percent-decoding, so that `%41` and `A` are one letter, and,
// to tell case-only differences apart, after Unicode simple case folding.
// The comparison runs on the request path in place: it decodes one escape
// or one UTF-8 sequence at a time, never builds a decoded copy, and
// allocates nothing.

// Equality levels of cmpSeg.
const (
	eqNone uint8 = iota // different even when case is ignored
	eqFold              // equal only when case is ignored
	eqSame              // equal after percent-decoding
)

// invalidRune is where a byte that starts no valid UTF-8 sequence is
// mapped: above every rune, so it equals only the same invalid byte, and
// unicode.SimpleFold leaves it alone.
const invalidRune = utf8.MaxRune + 1

// cmpSeg compares the request segment s with the literal l (a pattern
// segment, or a run of them). Both are percent-decoded as they are read.
func cmpSeg(s, l string) uint8 {
	if s == l {
		return eqSame
	}
	level := eqSame
	i, j := 0, 0
	for i < len(s) && j < len(l) {
		a, b := s[i], l[j]
		if a < utf8.RuneSelf && b < utf8.RuneSelf && a != '%' && b != '%' {
			if a != b {
				if httpx.LowerASCII(a) != httpx.LowerASCII(b) {
					return eqNone
				}
				level = eqFold
			}
			i++
			j++
			continue
		}
		var ra, rb rune
		ra, i = nextRune(s, i)
		rb, j = nextRune(l, j)
		if ra != rb {
			if FoldRune(ra) != FoldRune(rb) {
				return eqNone
			}
			level = eqFold
		}
	}
	if i < len(s) || j < len(l) {
		return eqNone
	}
	return level
}

// nextByte decodes the byte at s[i]: a percent-escape or the byte itself.
func nextByte(s string, i int) (b byte, next int) {
	if s[i] == '%' {
		if d, ok := httpx.PercentByte(s, i); ok {
			return d, i + 3
		}
	}
	return s[i], i + 1
}

// nextRune decodes the rune at s[i] after percent-decoding: a UTF-8
// sequence may be written raw, escaped, or mixed (`%C5%BF`, `%C5` and a raw
// byte). A byte that starts no valid sequence decodes to invalidRune plus
// the byte and advances by one byte (or one escape).
func nextRune(s string, i int) (r rune, next int) {
	b, n := nextByte(s, i)
	if b < utf8.RuneSelf {
		return rune(b), n
	}
	var buf [utf8.UTFMax]byte
	var ends [utf8.UTFMax]int
	buf[0], ends[0] = b, n
	k := 1
	for k < utf8.UTFMax && ends[k-1] < len(s) {
		buf[k], ends[k] = nextByte(s, ends[k-1])
		k++
	}
	r, size := utf8.DecodeRune(buf[:k])
	if r == utf8.RuneError && size <= 1 {
		return invalidRune + rune(b), n
	}
	return r, ends[size-1]
}

// FoldRune maps r to one representative of its Unicode simple case-folding
// orbit (the lower case of the orbit's smallest member), so that runes
// equal under folding map to the same rune: `ſ` (U+017F) folds to `s` and
// the Kelvin sign (U+212A) to `k`. `İ` (U+0130) and `ı` (U+0131), which
// simple folding leaves alone, fold to `i`, as Java's and .NET's
// case-insensitive comparisons treat them. Anything that is not a rune
// folds to itself.
func FoldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	if r == 0x130 || r == 0x131 {
		return 'i'
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < m {
			m = f
		}
	}
	return unicode.ToLower(m)
}

// appendFold appends the folded, percent-decoded form of s: each rune
// through FoldRune, an invalid byte as the byte itself. Two segments are
// equal when case is ignored exactly when their appendFold forms are
// equal. Tests and the fuzz target use it; matching never builds it.
func appendFold(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		var r rune
		r, i = nextRune(s, i)
		if r >= invalidRune {
			dst = append(dst, byte(r-invalidRune))
			continue
		}
		dst = utf8.AppendRune(dst, FoldRune(r))
	}
	return dst
}
