package jsonx

// The lexemes the Scanner reads inside a token: numbers, strings and their
// escapes.

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// isDelim marks the bytes that may directly follow a number or a literal.
// Checking it there reports 01, 1x or truex as "syntax" rather than as a
// misleading "trailing_data".
var isDelim = [256]bool{' ': true, '\t': true, '\n': true, '\r': true, ',': true, ']': true, '}': true}

// scanNumber checks the number at data[start] and returns its end.
func (s *Scanner) scanNumber(start int) (int, bool) {
	data := s.data
	i := start
	if data[i] == '-' {
		i++
	}
	if i >= len(data) {
		s.fail(i, ReasonSyntax, "invalid number")
		return 0, false
	}
	switch c := data[i]; {
	case c == '0':
		i++
	case c-'1' < 9:
		i++
		for i < len(data) && data[i]-'0' < 10 {
			i++
		}
	default:
		s.fail(i, ReasonSyntax, "invalid number")
		return 0, false
	}
	if i < len(data) && data[i] == '.' {
		i++
		if i >= len(data) || data[i]-'0' >= 10 {
			s.fail(i, ReasonSyntax, "invalid number")
			return 0, false
		}
		for i < len(data) && data[i]-'0' < 10 {
			i++
		}
	}
	if i < len(data) && data[i]|0x20 == 'e' {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= len(data) || data[i]-'0' >= 10 {
			s.fail(i, ReasonSyntax, "invalid number")
			return 0, false
		}
		for i < len(data) && data[i]-'0' < 10 {
			i++
		}
	}
	if i < len(data) && !isDelim[data[i]] {
		s.fail(i, ReasonSyntax, "invalid number")
		return 0, false
	}
	return i, true
}

// scanString checks the string whose opening quote is data[start], from
// data[from] on (the bytes before are plain), and returns the offset just
// past its closing quote and whether it has escapes.
func (s *Scanner) scanString(start, from int) (end int, esc bool, ok bool) {
	data := s.data
	i := start + 1
	// With a size limit, only the first MaxStringBytes+1 bytes after the
	// quote can hold the closing quote: stop there, so an oversized string
	// is refused without reading it to the end.
	limit := len(data)
	capped := false
	if m := s.lim.MaxStringBytes; m > 0 && m < len(data)-i-1 {
		limit = i + m + 1
		capped = true
	}
	i = from
	for {
		// Skip plain bytes eight at a time; the lowest flagged lane is
		// the first byte that needs a look.
		for i+8 <= limit {
			if m := specialLanes(binary.LittleEndian.Uint64(data[i : i+8 : i+8])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				goto special
			}
			i += 8
		}
		for i < limit && strPlain[data[i]] {
			i++
		}
		if i >= limit {
			if capped {
				s.fail(start, ReasonStringSize, "")
			} else {
				s.fail(start, ReasonSyntax, "unterminated string")
			}
			return 0, false, false
		}
	special:
		switch c := data[i]; {
		case c == '"':
			return i + 1, esc, true
		case c == '\\':
			esc = true
			n, reason, detail := checkEscape(data, i)
			if reason != "" {
				s.fail(i, reason, detail)
				return 0, false, false
			}
			i += n
		case c < 0x20:
			s.fail(i, ReasonSyntax, "control character in string")
			return 0, false, false
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size <= 1 {
				s.fail(i, ReasonUTF8, "")
				return 0, false, false
			}
			i += size
		}
	}
}

const (
	lanes01 = 0x0101010101010101
	lanes80 = 0x8080808080808080
)

// specialLanes flags (bit 7 of each byte) the bytes of x, read little
// endian, that are not plain string bytes: below 0x20, '"', '\\' or
// non-ASCII. A borrow can only flag a lane above a truly flagged one, so
// the lowest flag is exact.
func specialLanes(x uint64) uint64 {
	q := x ^ (lanes01 * '"')
	b := x ^ (lanes01 * '\\')
	return ((x-lanes01*0x20)&^x | (q-lanes01)&^q | (b-lanes01)&^b | x) & lanes80
}

// checkEscape checks the escape sequence at data[i] (a backslash) and
// returns its length. A \u escape of a high surrogate must be followed by a
// \u escape of a low surrogate, and the pair is checked as one sequence.
func checkEscape(data []byte, i int) (n int, reason, detail string) {
	if i+1 >= len(data) {
		return 0, ReasonSyntax, "unterminated string"
	}
	switch data[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, "", ""
	case 'u':
	default:
		return 0, ReasonSyntax, "invalid escape"
	}
	r, ok := hex4(data, i+2)
	if !ok {
		return 0, ReasonSyntax, "invalid \\u escape"
	}
	switch {
	case r < 0xD800 || r > 0xDFFF:
		return 6, "", ""
	case r >= 0xDC00:
		return 0, ReasonUTF8, "lone low surrogate"
	}
	if i+7 < len(data) && data[i+6] == '\\' && data[i+7] == 'u' {
		lo, ok := hex4(data, i+8)
		if !ok {
			return 0, ReasonSyntax, "invalid \\u escape"
		}
		if lo >= 0xDC00 && lo <= 0xDFFF {
			return 12, "", ""
		}
	}
	return 0, ReasonUTF8, "lone high surrogate"
}

// hexVal maps a hex digit to its value and every other byte to 0xff.
var hexVal = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c - 'a' + 10)
		t[c-32] = byte(c - 'a' + 10)
	}
	return t
}()

func hex4(data []byte, i int) (rune, bool) {
	if i+4 > len(data) {
		return 0, false
	}
	a, b, c, d := hexVal[data[i]], hexVal[data[i+1]], hexVal[data[i+2]], hexVal[data[i+3]]
	if a|b|c|d == 0xff || (a|b|c|d)&0xf0 != 0 {
		return 0, false
	}
	return rune(a)<<12 | rune(b)<<8 | rune(c)<<4 | rune(d), true
}

// AppendUnquoted appends the value of a JSON string to dst and returns the
// extended slice. raw is the text between the quotes of a TokenKey or
// TokenString that the Scanner accepted (data[tok.Start+1:tok.End-1]).
// On text the Scanner did not accept it does not panic, but the result is
// unspecified.
func AppendUnquoted(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		j := i
		for j < len(raw) && raw[j] != '\\' {
			j++
		}
		dst = append(dst, raw[i:j]...)
		i = j
		if i >= len(raw) {
			break
		}
		if i+1 >= len(raw) {
			return dst
		}
		switch c := raw[i+1]; c {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(raw, i+2)
			if !ok {
				return dst
			}
			i += 6
			if r >= 0xD800 && r < 0xDC00 && i+1 < len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
				if lo, ok := hex4(raw, i+2); ok && lo >= 0xDC00 && lo <= 0xDFFF {
					r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
					i += 6
				}
			}
			dst = utf8.AppendRune(dst, r) // a lone surrogate becomes U+FFFD
			continue
		default: // '"', '\\', '/'
			dst = append(dst, c)
		}
		i += 2
	}
	return dst
}

// plainString returns the end of the string at data[i] if it holds only
// plain bytes and fits in strCap bytes. Otherwise it returns minus the
// offset of the first byte that needs a closer look (always < 0), where
// scanString takes over. Most strings end here.
func plainString(data []byte, i, strCap int) int {
	j := i + 1
	limit := len(data)
	if strCap < limit-j {
		limit = j + strCap + 1
	}
	// Eight bytes at a time: in Go's wasm code every taken branch costs a
	// jump through the function's dispatch table, so a word per iteration
	// instead of a byte is most of the speed there.
	for j+8 <= limit {
		if m := specialLanes(binary.LittleEndian.Uint64(data[j : j+8 : j+8])); m != 0 {
			j += bits.TrailingZeros64(m) >> 3
			if data[j] == '"' {
				return j + 1
			}
			return -j
		}
		j += 8
	}
	for j < limit && strPlain[data[j]] {
		j++
	}
	if j < limit && data[j] == '"' {
		return j + 1
	}
	return -j
}
