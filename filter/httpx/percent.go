package httpx

// PercentByte returns the byte that the percent-escape "%XY" at s[i]
// stands for. ok is false when s[i] is not '%' or two hex digits (either
// case) do not follow it. It is apiguard's one percent-escape decoder
// (patterns, configuration, request checks, auth), small enough to inline.
func PercentByte(s string, i int) (b byte, ok bool) {
	if i < 0 || i+2 >= len(s) || s[i] != '%' {
		return 0, false
	}
	hi, lo := hexDigits[s[i+1]], hexDigits[s[i+2]]
	return hi<<4 | lo&0xF, hi&lo&0x10 != 0
}

// InnerEscape returns the byte that the escape spelled by a
// percent-encoded '%' at s[i] ("%25") and the two hex digits after it
// stands for once the text is decoded again: "%252F" decodes to "%2F",
// so '/'. ok is false when s[i:] starts no such text. A proxy chain or an
// upstream that decodes twice reads these as the bytes themselves.
func InnerEscape(s string, i int) (b byte, ok bool) {
	if d, isEsc := PercentByte(s, i); !isEsc || d != '%' || i+4 >= len(s) {
		return 0, false
	}
	hi, lo := hexDigits[s[i+3]], hexDigits[s[i+4]]
	return hi<<4 | lo&0xF, hi&lo&0x10 != 0
}

// hexDigits maps a hex digit to 0x10 plus its value, anything else to 0.
var hexDigits = [256]byte{
	'0': 0x10, '1': 0x11, '2': 0x12, '3': 0x13, '4': 0x14,
	'5': 0x15, '6': 0x16, '7': 0x17, '8': 0x18, '9': 0x19,
	'a': 0x1A, 'b': 0x1B, 'c': 0x1C, 'd': 0x1D, 'e': 0x1E, 'f': 0x1F,
	'A': 0x1A, 'B': 0x1B, 'C': 0x1C, 'D': 0x1D, 'E': 0x1E, 'F': 0x1F,
}

// AppendQueryDecoded appends raw, a query-string name or value, to dst
// decoded as form data is: '+' is a space and every "%XY" escape is its
// byte, once; a '%' not followed by two hex digits stays as it is.
func AppendQueryDecoded(dst []byte, raw string) []byte {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '+' {
			c = ' '
		} else if d, ok := PercentByte(raw, i); ok {
			c = d
			i += 2
		}
		dst = append(dst, c)
	}
	return dst
}
