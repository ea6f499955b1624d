package schema

// The formats docs/schemas.md asserts. Each checker takes the decoded string and
// follows its RFC strictly: ASCII only where the grammar says so (a
// Bengali digit is not a digit), no surrounding space, no trailing newline.
// Other `format` values are annotations.

const (
	fmtNone uint8 = iota
	fmtDateTime
	fmtDate
	fmtEmail
	fmtUUID
	fmtURI
	fmtIPv4
	fmtIPv6
)

var formatIDs = map[string]uint8{
	"date-time": fmtDateTime, "date": fmtDate, "email": fmtEmail, "uuid": fmtUUID,
	"uri": fmtURI, "ipv4": fmtIPv4, "ipv6": fmtIPv6,
}

func checkFormat(f uint8, s []byte) bool {
	switch f {
	case fmtDateTime:
		return isDateTime(s)
	case fmtDate:
		return isDate(s)
	case fmtEmail:
		return isEmail(s)
	case fmtUUID:
		return isUUID(s)
	case fmtURI:
		return isURI(s)
	case fmtIPv4:
		return isIPv4(s)
	case fmtIPv6:
		return isIPv6(s)
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'f' }

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// num reads n ASCII digits at s[i:].
func num(s []byte, i, n int) (int, bool) {
	if i+n > len(s) {
		return 0, false
	}
	v := 0
	for _, c := range s[i : i+n] {
		if !isDigit(c) {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// isDate checks RFC 3339 full-date: YYYY-MM-DD, a day that exists.
func isDate(s []byte) bool { return len(s) == 10 && dateAt(s) }

func dateAt(s []byte) bool {
	y, ok1 := num(s, 0, 4)
	m, ok2 := num(s, 5, 2)
	d, ok3 := num(s, 8, 2)
	if !ok1 || !ok2 || !ok3 || s[4] != '-' || s[7] != '-' || m < 1 || m > 12 || d < 1 {
		return false
	}
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m-1]
	if m == 2 && y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		days = 29
	}
	return d <= days
}

// isDateTime checks RFC 3339 date-time. A leap second (:60) is accepted
// only where it falls at 23:59:60 UTC.
func isDateTime(s []byte) bool {
	if len(s) < 20 || !dateAt(s[:10]) || s[10]|0x20 != 't' {
		return false
	}
	t := s[11:]
	h, ok1 := num(t, 0, 2)
	mi, ok2 := num(t, 3, 2)
	sec, ok3 := num(t, 6, 2)
	if !ok1 || !ok2 || !ok3 || t[2] != ':' || t[5] != ':' || h > 23 || mi > 59 || sec > 60 {
		return false
	}
	i := 8
	if i < len(t) && t[i] == '.' {
		i++
		j := i
		for i < len(t) && isDigit(t[i]) {
			i++
		}
		if i == j {
			return false
		}
	}
	if i >= len(t) {
		return false
	}
	off := 0
	switch t[i] {
	case 'Z', 'z':
		i++
	case '+', '-':
		oh, ok1 := num(t, i+1, 2)
		om, ok2 := num(t, i+4, 2)
		if !ok1 || !ok2 || t[i+3] != ':' || oh > 23 || om > 59 {
			return false
		}
		off = oh*60 + om
		if t[i] == '-' {
			off = -off
		}
		i += 6
	default:
		return false
	}
	if i != len(t) {
		return false
	}
	if sec == 60 {
		utc := ((h*60+mi-off)%1440 + 1440) % 1440
		return utc == 23*60+59
	}
	return true
}

// isUUID checks the RFC 4122 text form 8-4-4-4-12 hex digits.
func isUUID(s []byte) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
		} else if !isHex(c) {
			return false
		}
	}
	return true
}

// isIPv4 checks a dotted quad of decimal octets without leading zeros.
func isIPv4(s []byte) bool {
	parts := 0
	for i := 0; ; {
		j := i
		v := 0
		for j < len(s) && isDigit(s[j]) && j-i < 3 {
			v = v*10 + int(s[j]-'0')
			j++
		}
		if j == i || v > 255 || j-i > 1 && s[i] == '0' {
			return false
		}
		parts++
		if j == len(s) {
			return parts == 4
		}
		if s[j] != '.' || parts == 4 {
			return false
		}
		i = j + 1
	}
}

// isIPv6 checks RFC 4291 text: eight groups of 1-4 hex digits, one "::"
// for a run of zero groups, and an optional dotted quad in the last 32
// bits. No zone, no prefix length, no brackets.
func isIPv6(s []byte) bool {
	groups := 0
	compressed := false
	i := 0
	if len(s) >= 2 && s[0] == ':' && s[1] == ':' {
		compressed = true
		i = 2
		if i == len(s) {
			return true
		}
	} else if len(s) > 0 && s[0] == ':' {
		return false
	}
	for i < len(s) {
		j := i
		for j < len(s) && isHex(s[j]) && j-i < 5 {
			j++
		}
		if j < len(s) && s[j] == '.' {
			// The dotted quad ends the address and counts for two groups.
			if !isIPv4(s[i:]) {
				return false
			}
			groups += 2
			break
		}
		if j == i || j-i > 4 {
			return false
		}
		groups++
		i = j
		if i == len(s) {
			break
		}
		if s[i] != ':' {
			return false
		}
		i++
		if i < len(s) && s[i] == ':' {
			if compressed {
				return false
			}
			compressed = true
			i++
			if i == len(s) {
				break
			}
		} else if i == len(s) {
			return false // a trailing single ':'
		}
	}
	if compressed {
		return groups < 8
	}
	return groups == 8
}

// URI characters (RFC 3986).
func isUnreserved(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == '-' || c == '.' || c == '_' || c == '~'
}

func isSubDelim(c byte) bool {
	switch c {
	case '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=':
		return true
	}
	return false
}

// uriRun returns the end of the run of characters at s[i:] that are
// unreserved, sub-delims, percent-encodings or in extra; -1 for a bad
// percent-encoding.
func uriRun(s []byte, i int, extra string) int {
	for i < len(s) {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return -1
			}
			i += 3
			continue
		case isUnreserved(c) || isSubDelim(c):
		case c < 0x80 && containsByte(extra, c):
		default:
			return i
		}
		i++
	}
	return i
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// isURI checks an RFC 3986 URI: a scheme, then hier-part, query and
// fragment (a relative reference is not a URI).
func isURI(s []byte) bool {
	if len(s) == 0 || !isAlpha(s[0]) {
		return false
	}
	i := 1
	for i < len(s) && (isAlpha(s[i]) || isDigit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.') {
		i++
	}
	if i >= len(s) || s[i] != ':' {
		return false
	}
	i++
	if i+1 < len(s) && s[i] == '/' && s[i+1] == '/' {
		// authority = [ userinfo "@" ] host [ ":" port ]
		i += 2
		end := i
		for end < len(s) && s[end] != '/' && s[end] != '?' && s[end] != '#' {
			end++
		}
		if !isAuthority(s[i:end]) {
			return false
		}
		i = end
	}
	// path: pchar and "/"
	if i = uriRun(s, i, ":@/"); i < 0 {
		return false
	}
	if i < len(s) && s[i] == '?' {
		if i = uriRun(s, i+1, ":@/?"); i < 0 {
			return false
		}
	}
	if i < len(s) && s[i] == '#' {
		if i = uriRun(s, i+1, ":@/?"); i < 0 {
			return false
		}
	}
	return i == len(s)
}

func isAuthority(a []byte) bool {
	if at := lastIndexByte(a, '@'); at >= 0 {
		if uriRun(a, 0, ":") != at {
			return false
		}
		a = a[at+1:]
	}
	host := a
	if len(a) > 0 && a[0] == '[' {
		end := indexByte(a, ']')
		if end < 0 || !isIPLiteral(a[1:end]) {
			return false
		}
		host, a = a[:end+1], a[end+1:]
	} else {
		n := uriRun(a, 0, "")
		if n < 0 {
			return false
		}
		host, a = a[:n], a[n:]
	}
	_ = host
	if len(a) > 0 {
		if a[0] != ':' {
			return false
		}
		for _, c := range a[1:] {
			if !isDigit(c) {
				return false
			}
		}
	}
	return true
}

// isIPLiteral checks what is between the brackets: IPv6 or IPvFuture.
func isIPLiteral(s []byte) bool {
	if len(s) > 0 && s[0]|0x20 == 'v' {
		i := 1
		for i < len(s) && isHex(s[i]) {
			i++
		}
		if i == 1 || i >= len(s) || s[i] != '.' || i+1 == len(s) {
			return false
		}
		return uriRun(s, i+1, ":") == len(s)
	}
	return isIPv6(s)
}

func indexByte(s []byte, c byte) int {
	for i := range s {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func lastIndexByte(s []byte, c byte) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// isEmail checks an RFC 5321 mailbox: a dot-atom or quoted local part, and
// a domain name or an address literal ([IPv4] or [IPv6:…]).
func isEmail(s []byte) bool {
	if len(s) > 0 && s[0] != '"' {
		// A dot-atom holds no '@': the first one ends it. One pass of
		// atoms, then the domain (docs/schemas.md "Cost and caps").
		i := 0
		for {
			j := i
			for j < len(s) && byteClass[s[j]]&ccAtext != 0 {
				j++
			}
			if j == i || j == len(s) {
				return false // an empty atom, or no '@'
			}
			if s[j] == '@' {
				return j+1 < len(s) && isDomain(s[j+1:])
			}
			if s[j] != '.' {
				return false
			}
			i = j + 1
		}
	}
	// A quoted local part (or nothing): the last '@' ends it, and it
	// holds at least its two quotes.
	at := lastIndexByte(s, '@')
	if at < 2 || at == len(s)-1 || s[at-1] != '"' {
		return false
	}
	local, domain := s[:at], s[at+1:]
	for i := 1; i < len(local)-1; i++ {
		c := local[i]
		switch {
		case c == '\\':
			i++
			if i >= len(local)-1 || local[i] < 0x20 || local[i] > 0x7e {
				return false
			}
		case c == '"' || c < 0x20 || c > 0x7e:
			return false
		}
	}
	return isDomain(domain)
}

// isDomain checks an email's domain (not empty): a hostname or an address
// literal.
func isDomain(domain []byte) bool {
	if domain[0] == '[' {
		if domain[len(domain)-1] != ']' {
			return false
		}
		lit := domain[1 : len(domain)-1]
		if len(lit) > 5 && string(lit[:5]) == "IPv6:" {
			return isIPv6(lit[5:])
		}
		return isIPv4(lit)
	}
	return isHostname(domain)
}

func isAtext(c byte) bool {
	return isAlpha(c) || isDigit(c) || containsByte("!#$%&'*+-/=?^_`{|}~", c)
}

// Byte classes of the formats' hot loops, one load per byte
// (docs/schemas.md "Cost and caps").
const (
	ccAtext uint8 = 1 << iota // isAtext
	ccLabel                   // a hostname label's byte: a letter, a digit or '-'
)

var byteClass = func() (t [256]uint8) {
	for i := range t {
		c := byte(i)
		if isAtext(c) {
			t[i] |= ccAtext
		}
		if isAlpha(c) || isDigit(c) || c == '-' {
			t[i] |= ccLabel
		}
	}
	return t
}()

// isHostname checks dot-separated labels of letters, digits and hyphens,
// none starting or ending with a hyphen, each at most 63 bytes, 253 in all.
func isHostname(s []byte) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	for i := 0; ; {
		j := i
		for j < len(s) && byteClass[s[j]]&ccLabel != 0 {
			j++
		}
		if n := j - i; n == 0 || n > 63 || s[i] == '-' || s[j-1] == '-' {
			return false
		}
		if j == len(s) {
			return true
		}
		if s[j] != '.' {
			return false
		}
		i = j + 1
	}
}
