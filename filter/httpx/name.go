package httpx

import (
	"unicode"
	"unicode/utf8"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// NormalizeQueryName canonicalises a query parameter or cookie name the way
// every name lookup compares names (DESIGN.md "Query and cookie names"):
// percent-escapes are decoded and `+` is a space, leading spaces are
// dropped, letters are case-folded, and `.`, space and `[` become `_`. So
// `Access.Token`, `access%5Btoken`, `access+token` and `+access_token` all
// normalise to `access_token`. A '%' not followed by two hex digits is kept
// as it is. Invalid UTF-8 is kept byte for byte. It is AppendQueryName as a
// string.
//
// This is the one name comparison of the filter: the configuration's names
// go through NormalizeQueryName, the request's through AppendQueryName or
// QueryNameIndex (FindQueryParam for a whole query string), so the
// two always agree.
func NormalizeQueryName(name string) string {
	var buf [128]byte
	out, _ := AppendQueryName(buf[:0], name)
	return string(out)
}

// AppendQueryName appends the normalised form of a raw query-parameter or
// cookie name (NormalizeQueryName) to dst: AppendQueryDecoded, then leading
// spaces are dropped (PHP ignores them: `?+jwt=` and `?%20jwt=` are `jwt`
// to it), each rune is case-folded (foldRune) and '.', ' ' and '[' become
// '_'. A '%' not followed by two hex digits and invalid UTF-8 are kept byte
// for byte.
//
// bracket is the length of the output before the rune that came from the
// first '[' of the decoded name, or -1: PHP and Rails read `name[...]` as
// an array parameter called `name`, so callers compare that prefix too
// (QueryNameIndex).
//
// With a dst of enough capacity (a stack array) it allocates nothing for
// names whose decoded form fits in 256 bytes.
func AppendQueryName(dst []byte, raw string) (out []byte, bracket int) {
	var buf [256]byte
	dec := AppendQueryDecoded(buf[:0], raw)
	for len(dec) > 0 && dec[0] == ' ' {
		dec = dec[1:]
	}
	bracket = -1
	for i := 0; i < len(dec); {
		c := dec[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '[':
				if bracket < 0 {
					bracket = len(dst)
				}
				c = '_'
			case c == '.' || c == ' ':
				c = '_'
			case c >= 'A' && c <= 'Z':
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(dec[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, c)
			i++
			continue
		}
		i += n
		dst = utf8.AppendRune(dst, foldRune(r))
	}
	return dst, bracket
}

// QueryNameIndex returns the index of the first of names (each normalised
// with NormalizeQueryName) that the raw query-parameter or cookie name raw
// stands for, or -1. raw matches a name when it normalises to it, or when
// the part of its normalised form before the first '[' does: `name[...]`
// is the array parameter `name` to PHP and Rails. It allocates nothing for
// names whose normalised form fits in 128 bytes.
func QueryNameIndex(raw string, names ...string) int {
	var buf [128]byte
	norm, bracket := AppendQueryName(buf[:0], raw)
	for k, n := range names {
		if string(norm) == n || bracket >= 0 && string(norm[:bracket]) == n {
			return k
		}
	}
	return -1
}

// foldRune maps a rune to one representative of its simple case-folding
// orbit (jsonx.FoldRune, the smallest member, lower-cased), so that runes
// equal under folding map to the same rune: the Kelvin sign folds to 'k'.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	return unicode.ToLower(jsonx.FoldRune(r))
}
