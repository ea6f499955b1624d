package httpx

import (
	"unicode"
	"unicode/utf8"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// NormalizeQueryName canonicalises a query parameter or cookie name the way
// every name lookup compares names (docs/configuration.md "Query and cookie names"):
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
// stands for, or -1. raw matches a name when it normalises to it, when the
// part of its normalised form before the first '[' does (`name[...]` is
// the array parameter `name` to PHP and Rails), or when its first
// bracket-delimited component does (firstComponent: `[name]`, `name]`,
// `]name`, `[[name]]` are `name` to Rack 2 and Express's qs). It allocates
// nothing for names whose normalised form fits in 128 bytes.
func QueryNameIndex(raw string, names ...string) int {
	var buf [128]byte
	norm, bracket := AppendQueryName(buf[:0], raw)
	for k, n := range names {
		if string(norm) == n || bracket >= 0 && string(norm[:bracket]) == n {
			return k
		}
	}
	if comp, ok := firstComponent(raw); ok {
		var cbuf [128]byte
		norm, _ = AppendQueryName(cbuf[:0], comp)
		for k, n := range names {
			if string(norm) == n {
				return k
			}
		}
	}
	return -1
}

// firstComponent returns the first bracket-delimited component of a raw
// name, and whether the name has brackets at all: after leading spaces
// ('+', ' ', "%20") and leading '[' and ']' (raw or percent-encoded), the
// text up to the next '[' or ']'. Rack 2 reads a name so (it skips leading
// brackets and takes the key up to the next one: `[jwt]`, `]jwt`,
// `[[jwt]]` and `jwt]` are all `jwt`), and Express's qs unwraps a root
// `[jwt]`. The component is a substring of raw, so it allocates nothing.
func firstComponent(raw string) (string, bool) {
	// at returns the byte raw encodes at i and its raw length.
	at := func(i int) (byte, int) {
		if c, ok := PercentByte(raw, i); ok {
			return c, 3
		}
		return raw[i], 1
	}
	i := 0
	for i < len(raw) {
		c, n := at(i)
		if c != '+' && c != ' ' || n == 3 && c == '+' {
			break
		}
		i += n
	}
	start, brackets := i, false
	for start < len(raw) {
		c, n := at(start)
		if c != '[' && c != ']' {
			break
		}
		start += n
		brackets = true
	}
	end := start
	for end < len(raw) {
		c, n := at(end)
		if c == '[' || c == ']' {
			brackets = true
			break
		}
		end += n
	}
	return raw[start:end], brackets
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
