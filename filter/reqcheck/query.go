package reqcheck

import (
	"unicode"
	"unicode/utf8"
)

// AppendQueryName appends the normalised form of a raw query-parameter name
// to dst, exactly as config.NormalizeQueryName computes it for
// `forbid_query_params` (a fuzz test holds the two equal): percent-escapes
// are decoded and '+' is a space, then each rune is case-folded and '.',
// ' ' and '[' become '_'. A '%' not followed by two hex digits and invalid
// UTF-8 are kept byte for byte.
//
// bracket is the length of the output before the rune that came from the
// first '[' of the decoded name, or -1: PHP and Rails read `name[...]` as
// an array parameter called `name`, so callers compare that prefix too.
//
// With a dst of enough capacity (a stack array) it allocates nothing for
// names whose decoded form fits in 256 bytes.
func AppendQueryName(dst []byte, raw string) (out []byte, bracket int) {
	var buf [256]byte
	dec := buf[:0]
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '+':
			c = ' '
		case c == '%' && i+2 < len(raw) && isHex(raw[i+1]) && isHex(raw[i+2]):
			c = hexByte(raw[i+1], raw[i+2])
			i += 2
		}
		dec = append(dec, c)
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

// foldRune maps a non-ASCII rune to one representative of its simple
// case-folding orbit (the smallest member, lower-cased), so that runes equal
// under folding compare equal: the Kelvin sign folds to 'k'.
func foldRune(r rune) rune {
	min := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < min {
			min = f
		}
	}
	if min < utf8.RuneSelf {
		if min >= 'A' && min <= 'Z' {
			return min + 'a' - 'A'
		}
		return min
	}
	return unicode.ToLower(min)
}

// FindQueryParam returns the index in names of the first name (each already
// normalised with config.NormalizeQueryName) that a parameter of query (the
// raw query string, without '?') carries, or -1. A parameter matches when
// its normalised name equals one of names, or when the part of it before a
// '[' does (`access_token[]`). Parameters are separated by '&' and by ';'
// (which some frameworks still split on), and a name ends at the first '='.
// Only names are looked at; values are never read, let alone kept.
//
// It allocates nothing unless a parameter name longer than 256 bytes could
// still match.
func FindQueryParam(query string, names []string) int {
	if len(names) == 0 || query == "" {
		return -1
	}
	maxLen := 0
	for _, n := range names {
		maxLen = max(maxLen, len(n))
	}
	var buf [128]byte
	start := 0
	for i := 0; i <= len(query); i++ {
		if i < len(query) && query[i] != '&' && query[i] != ';' {
			continue
		}
		param := query[start:i]
		start = i + 1
		for j := 0; j < len(param); j++ {
			if param[j] == '=' {
				param = param[:j]
				break
			}
		}
		if param == "" || !mayMatch(param, maxLen) {
			continue
		}
		norm, bracket := AppendQueryName(buf[:0], param)
		for k, n := range names {
			if string(norm) == n || bracket >= 0 && string(norm[:bracket]) == n {
				return k
			}
		}
	}
	return -1
}

// mayMatch is a cheap pre-filter: every normalised rune comes from at most
// 12 raw bytes (four percent-escaped UTF-8 bytes) and is at least one byte,
// so a raw name with neither '[' nor '%' nor a non-ASCII byte normalises to
// exactly its own length.
func mayMatch(raw string, maxLen int) bool {
	if len(raw) <= maxLen {
		return true
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c == '[' || c == '%' || c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}
