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
			// The one-letter escapes without a call (most of them).
			if i+1 < len(data) && isShortEscape[data[i+1]] {
				i += 2
				continue
			}
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
			// Two-byte sequences (Latin, Greek, Cyrillic...) without a call.
			if c-0xc2 < 0xe0-0xc2 && i+1 < len(data) && data[i+1]&0xc0 == 0x80 {
				i += 2
				continue
			}
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

// isShortEscape marks the bytes that make a two-byte escape after a '\\'.
var isShortEscape = [256]bool{'"': true, '\\': true, '/': true, 'b': true, 'f': true, 'n': true, 'r': true, 't': true}

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

// push opens a container. It writes the frame in place: building it in a
// temporary and copying it costs a store-forwarding stall per container.
func (s *Scanner) push(obj bool) {
	n := len(s.stack)
	if n == cap(s.stack) {
		s.stack = append(s.stack, frame{})
	} else {
		s.stack = s.stack[:n+1]
	}
	f := &s.stack[n]
	f.obj = obj
	f.indexed = false
	f.bloom = 0
	f.count = 0
	f.base = len(s.keys)
	f.members = nil
	f.tally = 0
	f.quiet = 0
}

// The literals as little-endian words ("false" without its 'f').
const (
	litTrue = 't' | 'r'<<8 | 'u'<<16 | 'e'<<24
	litAlse = 'a' | 'l'<<8 | 's'<<16 | 'e'<<24
	litNull = 'n' | 'u'<<8 | 'l'<<16 | 'l'<<24
)

func (s *Scanner) literal(i int, lit string) bool {
	data := s.data
	end := i + len(lit)
	if end > len(data) || string(data[i:end]) != lit {
		s.fail(i, ReasonSyntax, "invalid literal")
		return false
	}
	if end < len(data) && !isDelim[data[end]] {
		s.fail(end, ReasonSyntax, "invalid literal")
		return false
	}
	return true
}

// quoteShift is the bit offset in w, eight string bytes read little
// endian, of the first byte that is not plain (see specialLanes), or 64 if
// there is none (and then w>>quoteShift(w) is 0). When that byte is '"'
// the string closes there: its quoteShift(w)/8 bytes are plain, with no
// loop and no call, which in Go's wasm code (where each call and taken
// branch is a jump through the function's dispatch table) is most of the
// cost of a short key or value.
func quoteShift(w uint64) uint {
	return uint(bits.TrailingZeros64(specialLanes(w))) &^ 7
}

// digitRun returns how many of the eight bytes of x, read little endian,
// are leading ASCII digits: a lane below 0x80 is a digit when adding
// 0x80-'0' sets its bit 7 and adding 0x80-'9'-1 does not (no lane
// carries into the next once bit 7 is cleared).
func digitRun(x uint64) int {
	y := x &^ lanes80
	other := (^(y + lanes01*(0x80-'0')) | (y + lanes01*(0x80-'9'-1)) | x) & lanes80
	return bits.TrailingZeros64(other) >> 3
}

// isSpace marks the four whitespace bytes RFC 8259 allows.
var isSpace = [256]bool{' ': true, '\t': true, '\n': true, '\r': true}

// skipSpace returns the offset of the first byte at or after data[i] that
// is not whitespace. The scanner calls it only when data[i] may be
// whitespace: a call is marked unlikely, so the compiler lays the common
// case (no whitespace) out as a straight line, which matters in Go's wasm
// code where every taken branch is a jump through a dispatch table.
//
//go:noinline
func skipSpace(data []byte, i int) int {
	for i < len(data) && isSpace[data[i]] {
		i++
	}
	return i
}

// strPlain marks bytes that can appear in a string as themselves with no
// further check: printable ASCII except '"' and '\\'.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()
