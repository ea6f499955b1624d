package route

import (
	"errors"
	"strconv"
	"strings"

	"github.com/apiguard/apiguard/filter/httpx"
)

// MaxPatternLen bounds a `match.path` or `match.prefix`.
const MaxPatternLen = 2048

// ParsePath checks a `match.path` value and returns the names of its
// `{name}` parameters in order (nil for an exact path).
//
// A path starts with `/`; its segments are non-empty (one trailing slash
// aside) and made of RFC 3986 path characters. Patterns that no request can
// reach are refused, because the filter refuses those requests in step 1 of
// the order of checks: `;`, dot segments, and the escapes %2F, %5C, %00 and
// %2E, also encoded twice (%252F). `{` and `}` may appear only as a whole `{name}` segment, where name is
// an identifier (letters, digits, `_`, not starting with a digit), unique in
// the template.
func ParsePath(p string) ([]string, error) {
	return parsePattern(p, true)
}

// CheckPrefix checks a `match.prefix` value: the rules of ParsePath, without
// parameters.
func CheckPrefix(p string) error {
	_, err := parsePattern(p, false)
	return err
}

// CheckMethod checks one `match.methods` entry: an HTTP token in upper case
// (methods compare exactly, and every standard method is upper-case).
func CheckMethod(m string) error {
	if m == "" {
		return errors.New("must not be empty")
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if c >= 'a' && c <= 'z' {
			return errors.New(strconv.Quote(m) + " must be upper-case")
		}
		if !IsTokenChar(c) {
			return errors.New(strconv.Quote(m) + " is not an HTTP method")
		}
	}
	return nil
}

func parsePattern(p string, params bool) ([]string, error) {
	if p == "" {
		return nil, errors.New("must not be empty")
	}
	if p[0] != '/' {
		return nil, errors.New(`must start with "/"`)
	}
	if len(p) > MaxPatternLen {
		return nil, errors.New("longer than " + strconv.Itoa(MaxPatternLen) + " bytes")
	}
	body := trimSlash(p)
	if body == "/" {
		return nil, nil
	}
	var names []string
	rest := body[1:]
	for {
		end := indexSlash(rest, 0)
		seg := rest[:end]
		name, err := checkSegment(seg, params)
		if err != nil {
			return nil, err
		}
		if name != "" {
			for _, n := range names {
				if n == name {
					return nil, errors.New("duplicate parameter " + strconv.Quote(name))
				}
			}
			if len(names) == MaxParams {
				return nil, errors.New("more than " + strconv.Itoa(MaxParams) + " parameters")
			}
			names = append(names, name)
		}
		if end == len(rest) {
			return names, nil
		}
		rest = rest[end+1:]
	}
}

// checkSegment checks one segment; it returns the parameter name when the
// segment is `{name}`.
func checkSegment(seg string, params bool) (string, error) {
	switch seg {
	case "":
		return "", errors.New("empty segment (\"//\")")
	case ".", "..":
		return "", errors.New("dot segment " + strconv.Quote(seg) + " (such requests are refused)")
	}
	if seg[0] == '{' {
		if !params {
			return "", errors.New(`"{" is not allowed in a prefix (templates belong in "path")`)
		}
		if len(seg) < 3 || seg[len(seg)-1] != '}' || !isIdent(seg[1:len(seg)-1]) {
			return "", errors.New("bad parameter segment " + strconv.Quote(seg) + ` (want "{name}", name an identifier)`)
		}
		return seg[1 : len(seg)-1], nil
	}
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		switch {
		case c == '{' || c == '}':
			if !params {
				return "", errors.New(`"{" is not allowed in a prefix (templates belong in "path")`)
			}
			return "", errors.New(strconv.Quote(string(c)) + ` is only allowed in a whole "{name}" segment`)
		case c == ';':
			return "", errors.New(`";" is refused in request paths, so it can never match`)
		case c == '%':
			d, ok := httpx.PercentByte(seg, i)
			if !ok {
				return "", errors.New(`"%" must start a two-hex-digit escape`)
			}
			switch d {
			case '/', '\\', 0, '.':
				return "", errors.New(strconv.Quote("%"+strings.ToUpper(seg[i+1:i+3])) + " is refused in request paths, so it can never match")
			}
			if d2, ok := httpx.InnerEscape(seg, i); ok && (d2 == '/' || d2 == '\\' || d2 == 0 || d2 == '.') {
				return "", errors.New(strconv.Quote("%"+strings.ToUpper(seg[i+1:i+5])) + " is refused in request paths, so it can never match")
			}
			i += 2
		case !isPathChar(c):
			return "", errors.New("invalid character " + strconv.QuoteRune(rune(c)) + " in path")
		}
	}
	return "", nil
}

func isIdent(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return s != ""
}

// isPathChar reports RFC 3986 pchar characters other than '%' (handled as
// escapes) and ';' (refused).
func isPathChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	switch c {
	case '-', '.', '_', '~', // unreserved
		'!', '$', '&', '\'', '(', ')', '*', '+', ',', '=', // sub-delims but ';'
		':', '@':
		return true
	}
	return false
}

// IsToken reports whether s is an RFC 9110 token (§5.6.2): the syntax of
// methods and header names. It is the one definition the configuration,
// the request checks and CORS share.
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !IsTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// IsTokenChar reports RFC 9110 tchar.
func IsTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}
