package schema

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// JSON Schema's `pattern` is an ECMA-262 regular expression. apiguard runs
// it on Go's RE2 engine (linear time, whatever the pattern and input), so
// each pattern is translated once, at configure time, into the RE2 syntax
// with ECMA's meanings:
//
//   - `\d`, `\w`, `\b` are ASCII in both; `\s` is ECMA's white space and
//     line terminators (Unicode Zs, U+FEFF, \v…), wider than RE2's;
//   - `.` matches anything but the four ECMA line terminators;
//   - `\uXXXX` (a surrogate pair as one code point), `\u{X…}`, `\xHH`,
//     `\cX`, `\0`, and `\p{…}` for general categories and scripts;
//   - `[` inside a class is a literal, `[]` matches nothing and `[^]`
//     anything;
//   - a `{` that does not start a quantifier is a literal (Annex B).
//
// Look-around and back-references have no linear-time implementation:
// they are configuration errors, and so is anything else RE2 cannot say.

// ecmaSpace is ECMA-262's WhiteSpace and LineTerminator as class ranges.
var ecmaSpace = []rune{
	'\t', '\r', ' ', ' ', 0xA0, 0xA0, 0x1680, 0x1680, 0x2000, 0x200A,
	0x2028, 0x2029, 0x202F, 0x202F, 0x205F, 0x205F, 0x3000, 0x3000, 0xFEFF, 0xFEFF,
}

// ecmaLineTerminators are what `.` does not match.
const ecmaDot = `[^\n\r\x{2028}\x{2029}]`

func classRanges(rs []rune) string {
	var b strings.Builder
	for i := 0; i < len(rs); i += 2 {
		b.WriteString(hexRune(rs[i]))
		if rs[i+1] != rs[i] {
			b.WriteByte('-')
			b.WriteString(hexRune(rs[i+1]))
		}
	}
	return b.String()
}

// complementRanges returns the ranges of every code point not in rs
// (sorted, disjoint pairs).
func complementRanges(rs []rune) []rune {
	var out []rune
	next := rune(0)
	for i := 0; i < len(rs); i += 2 {
		if rs[i] > next {
			out = append(out, next, rs[i]-1)
		}
		next = rs[i+1] + 1
	}
	if next <= utf8.MaxRune {
		out = append(out, next, utf8.MaxRune)
	}
	return out
}

var (
	spaceIn    = classRanges(ecmaSpace)
	notSpaceIn = classRanges(complementRanges(ecmaSpace))
)

func hexRune(r rune) string { return `\x{` + strconv.FormatInt(int64(r), 16) + `}` }

// errRegex describes a pattern that does not translate; the message names
// the construct, never the whole pattern.
type errRegex string

func (e errRegex) Error() string { return string(e) }

// ecmaCategories maps ECMA-262 \p{…} general category names (long and
// short) to RE2's.
var ecmaCategories = map[string]string{
	"L": "L", "Letter": "L", "Lu": "Lu", "Uppercase_Letter": "Lu", "Ll": "Ll",
	"Lowercase_Letter": "Ll", "Lt": "Lt", "Titlecase_Letter": "Lt", "Lm": "Lm",
	"Modifier_Letter": "Lm", "Lo": "Lo", "Other_Letter": "Lo",
	"M": "M", "Mark": "M", "Combining_Mark": "M", "Mn": "Mn", "Nonspacing_Mark": "Mn",
	"Mc": "Mc", "Spacing_Mark": "Mc", "Me": "Me", "Enclosing_Mark": "Me",
	"N": "N", "Number": "N", "Nd": "Nd", "Decimal_Number": "Nd", "digit": "Nd",
	"Nl": "Nl", "Letter_Number": "Nl", "No": "No", "Other_Number": "No",
	"P": "P", "Punctuation": "P", "punct": "P", "Pc": "Pc", "Connector_Punctuation": "Pc",
	"Pd": "Pd", "Dash_Punctuation": "Pd", "Ps": "Ps", "Open_Punctuation": "Ps",
	"Pe": "Pe", "Close_Punctuation": "Pe", "Pi": "Pi", "Initial_Punctuation": "Pi",
	"Pf": "Pf", "Final_Punctuation": "Pf", "Po": "Po", "Other_Punctuation": "Po",
	"S": "S", "Symbol": "S", "Sm": "Sm", "Math_Symbol": "Sm", "Sc": "Sc",
	"Currency_Symbol": "Sc", "Sk": "Sk", "Modifier_Symbol": "Sk", "So": "So", "Other_Symbol": "So",
	"Z": "Z", "Separator": "Z", "Zs": "Zs", "Space_Separator": "Zs", "Zl": "Zl",
	"Line_Separator": "Zl", "Zp": "Zp", "Paragraph_Separator": "Zp",
	"C": "C", "Other": "C", "Cc": "Cc", "Control": "Cc", "cntrl": "Cc", "Cf": "Cf",
	"Format": "Cf", "Cs": "Cs", "Surrogate": "Cs", "Co": "Co", "Private_Use": "Co",
}

// translateECMA returns the RE2 form of the ECMA-262 pattern p.
func translateECMA(p string) (string, error) {
	t := translator{src: p}
	if err := t.run(); err != nil {
		return "", err
	}
	return t.out.String(), nil
}

type translator struct {
	src string
	i   int
	out strings.Builder
	// canQuantify: the last thing emitted outside a class is an atom a
	// quantifier may follow.
	canQuantify bool
}

func (t *translator) next() (rune, bool) {
	if t.i >= len(t.src) {
		return 0, false
	}
	r, n := utf8.DecodeRuneInString(t.src[t.i:])
	t.i += n
	return r, true
}

func (t *translator) peek(s string) bool { return strings.HasPrefix(t.src[t.i:], s) }

func (t *translator) run() error {
	for t.i < len(t.src) {
		r, _ := t.next()
		switch r {
		case '\\':
			if err := t.escape(false); err != nil {
				return err
			}
			continue
		case '[':
			if err := t.class(); err != nil {
				return err
			}
			t.canQuantify = true
			continue
		case '(':
			switch {
			case t.peek("?="), t.peek("?!"):
				return errRegex("look-ahead is not supported (RE2)")
			case t.peek("?<="), t.peek("?<!"):
				return errRegex("look-behind is not supported (RE2)")
			case t.peek("?:"):
				t.i += 2
				t.out.WriteString("(?:")
			case t.peek("?<"):
				end := strings.IndexByte(t.src[t.i:], '>')
				if end < 0 {
					return errRegex("unterminated group name")
				}
				name := t.src[t.i+2 : t.i+end]
				if !validGroupName(name) {
					return errRegex("invalid group name")
				}
				t.i += end + 1
				t.out.WriteString("(?P<" + name + ">")
			case t.peek("?"):
				return errRegex("unsupported group (?" + t.src[t.i+1:t.i+min(2, len(t.src)-t.i)] + "…)")
			default:
				t.out.WriteByte('(')
			}
			t.canQuantify = false
			continue
		case '.':
			t.out.WriteString(ecmaDot)
			t.canQuantify = true
			continue
		case '{':
			if q, ok := t.quantifier(); ok {
				if !t.canQuantify {
					return errRegex("quantifier without an atom")
				}
				t.out.WriteString(q)
				t.lazy()
				t.canQuantify = false
				continue
			}
			t.out.WriteString(`\{`)
			t.canQuantify = true
			continue
		case '}':
			t.out.WriteString(`\}`)
			t.canQuantify = true
			continue
		case ']':
			t.out.WriteString(`\]`)
			t.canQuantify = true
			continue
		case '*', '+', '?':
			if !t.canQuantify {
				return errRegex("quantifier without an atom")
			}
			t.out.WriteRune(r)
			t.lazy()
			t.canQuantify = false
			continue
		case ')', '|', '^', '$':
			t.out.WriteRune(r)
			t.canQuantify = r == ')'
			continue
		}
		t.literal(r)
		t.canQuantify = true
	}
	return nil
}

// lazy copies the `?` that makes a quantifier lazy.
func (t *translator) lazy() {
	if t.peek("?") {
		t.i++
		t.out.WriteByte('?')
	}
}

// quantifier reads {n}, {n,} or {n,m} after the '{' just consumed.
func (t *translator) quantifier() (string, bool) {
	s := t.src[t.i:]
	j := 0
	digits := func() bool {
		k := j
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		return j > k
	}
	if !digits() {
		return "", false
	}
	if j < len(s) && s[j] == ',' {
		j++
		digits()
	}
	if j >= len(s) || s[j] != '}' {
		return "", false
	}
	t.i += j + 1
	return "{" + s[:j+1], true
}

func validGroupName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// literal writes r so that RE2 reads it as itself.
func (t *translator) literal(r rune) {
	if r < utf8.RuneSelf && strings.ContainsRune(`\.+*?()|[]{}^$-`, r) {
		t.out.WriteByte('\\')
		t.out.WriteRune(r)
		return
	}
	if r < 0x20 || r == 0x7f {
		t.out.WriteString(hexRune(r))
		return
	}
	t.out.WriteRune(r)
}

// escape translates the escape after a backslash, outside or inside a
// class.
func (t *translator) escape(inClass bool) error {
	r, ok := t.next()
	if !ok {
		return errRegex(`pattern ends with \`)
	}
	t.canQuantify = true
	switch r {
	case 'd', 'D', 'w', 'W':
		t.out.WriteByte('\\')
		t.out.WriteRune(r)
	case 's':
		if inClass {
			t.out.WriteString(spaceIn)
		} else {
			t.out.WriteString("[" + spaceIn + "]")
		}
	case 'S':
		if inClass {
			t.out.WriteString(notSpaceIn)
		} else {
			t.out.WriteString("[" + notSpaceIn + "]")
		}
	case 'b':
		if inClass {
			t.out.WriteString(`\x08`)
		} else {
			t.out.WriteString(`\b`)
			t.canQuantify = false
		}
	case 'B':
		if inClass {
			return errRegex(`\B in a class`)
		}
		t.out.WriteString(`\B`)
		t.canQuantify = false
	case 't':
		t.out.WriteString(`\t`)
	case 'n':
		t.out.WriteString(`\n`)
	case 'v':
		t.out.WriteString(`\x0b`)
	case 'f':
		t.out.WriteString(`\f`)
	case 'r':
		t.out.WriteString(`\r`)
	case '0':
		if t.i < len(t.src) && t.src[t.i] >= '0' && t.src[t.i] <= '9' {
			return errRegex("octal escapes are not supported")
		}
		t.out.WriteString(`\x00`)
	case '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return errRegex("back-references are not supported (RE2)")
	case 'k':
		return errRegex("back-references are not supported (RE2)")
	case 'c':
		c, ok := t.next()
		if !ok || !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return errRegex(`\c must be followed by a letter`)
		}
		t.out.WriteString(hexRune(c % 32))
	case 'x':
		if t.i+2 > len(t.src) {
			return errRegex(`\x needs two hex digits`)
		}
		v, err := strconv.ParseUint(t.src[t.i:t.i+2], 16, 8)
		if err != nil {
			return errRegex(`\x needs two hex digits`)
		}
		t.i += 2
		t.literalIn(rune(v), inClass)
	case 'u':
		c, err := t.unicodeEscape()
		if err != nil {
			return err
		}
		t.literalIn(c, inClass)
	case 'p', 'P':
		if !t.peek("{") {
			return errRegex(`\p needs {name}`)
		}
		end := strings.IndexByte(t.src[t.i:], '}')
		if end < 0 {
			return errRegex(`unterminated \p{…}`)
		}
		name := t.src[t.i+1 : t.i+end]
		t.i += end + 1
		class, err := unicodeClass(name)
		if err != nil {
			return err
		}
		t.out.WriteByte('\\')
		t.out.WriteRune(r)
		t.out.WriteString("{" + class + "}")
	default:
		if r < utf8.RuneSelf && strings.ContainsRune(`^$\.*+?()[]{}|/-`, r) {
			t.literalIn(r, inClass)
			return nil
		}
		return errRegex("unsupported escape \\" + string(r))
	}
	return nil
}

func (t *translator) literalIn(r rune, inClass bool) {
	if inClass && r == '-' {
		t.out.WriteString(`\-`)
		return
	}
	t.literal(r)
}

// unicodeEscape reads what follows \u: XXXX (a surrogate pair written as
// two escapes is one code point) or {X…}.
func (t *translator) unicodeEscape() (rune, error) {
	if t.peek("{") {
		end := strings.IndexByte(t.src[t.i:], '}')
		if end < 2 {
			return 0, errRegex(`invalid \u{…}`)
		}
		v, err := strconv.ParseUint(t.src[t.i+1:t.i+end], 16, 32)
		if err != nil || v > utf8.MaxRune || v >= 0xD800 && v <= 0xDFFF {
			return 0, errRegex(`invalid \u{…}`)
		}
		t.i += end + 1
		return rune(v), nil
	}
	hex4 := func() (rune, bool) {
		if t.i+4 > len(t.src) {
			return 0, false
		}
		v, err := strconv.ParseUint(t.src[t.i:t.i+4], 16, 16)
		if err != nil {
			return 0, false
		}
		t.i += 4
		return rune(v), true
	}
	hi, ok := hex4()
	if !ok {
		return 0, errRegex(`\u needs four hex digits`)
	}
	if hi >= 0xD800 && hi < 0xDC00 && t.peek(`\u`) {
		save := t.i
		t.i += 2
		if lo, ok := hex4(); ok && lo >= 0xDC00 && lo <= 0xDFFF {
			return 0x10000 + (hi-0xD800)<<10 + (lo - 0xDC00), nil
		}
		t.i = save
	}
	if hi >= 0xD800 && hi <= 0xDFFF {
		return 0, errRegex("a lone surrogate cannot match (UTF-8)")
	}
	return hi, nil
}

func unicodeClass(name string) (string, error) {
	if c, ok := ecmaCategories[name]; ok {
		return c, nil
	}
	for _, prefix := range []string{"Script=", "sc="} {
		if s, ok := strings.CutPrefix(name, prefix); ok {
			if _, err := regexp.Compile(`\p{` + s + `}`); err == nil && validGroupName(s) {
				return s, nil
			}
		}
	}
	return "", errRegex(`unsupported Unicode property \p{` + name + `}`)
}

// class translates a character class after its '['.
func (t *translator) class() error {
	neg := false
	if t.peek("^") {
		neg = true
		t.i++
	}
	if t.peek("]") {
		t.i++
		if neg {
			t.out.WriteString(`[\x{0}-\x{10ffff}]`) // [^] matches anything
		} else {
			t.out.WriteString(`[^\x{0}-\x{10ffff}]`) // [] matches nothing
		}
		return nil
	}
	t.out.WriteByte('[')
	if neg {
		t.out.WriteByte('^')
	}
	for {
		r, ok := t.next()
		if !ok {
			return errRegex("unterminated character class")
		}
		switch r {
		case ']':
			t.out.WriteByte(']')
			return nil
		case '\\':
			if err := t.escape(true); err != nil {
				return err
			}
		case '-':
			t.out.WriteByte('-')
		default:
			t.literal(r)
		}
	}
}

// compilePattern translates and compiles an ECMA-262 pattern.
func compilePattern(p string) (*matcher, error) {
	src, err := translateECMA(p)
	if err != nil {
		return nil, err
	}
	re, err := newMatcher(src)
	if err != nil {
		return nil, errRegex("does not translate to RE2: " + rePrefixTrim(err.Error()))
	}
	return re, nil
}

// rePrefixTrim keeps Go's reason ("invalid repeat count") and drops the
// echo of the pattern.
func rePrefixTrim(msg string) string {
	msg = strings.TrimPrefix(msg, "error parsing regexp: ")
	if i := strings.Index(msg, ": `"); i >= 0 {
		msg = msg[:i]
	}
	return msg
}
