package jwt

// Strict base64url (RFC 4648 §5) without padding, as JWS requires
// (RFC 7515 §2): only [A-Za-z0-9_-], no '=', no whitespace (Go's decoder
// skips '\r' and '\n' even in Strict mode, so it is not used), a length that
// is not 1 mod 4, and zero unused bits in the last character, so that
// every byte string has exactly one accepted encoding.

const invalid64 = 0xFF

var b64 = func() (t [256]byte) {
	for i := range t {
		t[i] = invalid64
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// decodedLen is the length of the decoding of n characters (n%4 != 1).
func decodedLen(n int) int { return n/4*3 + n%4*6/8 }

// appendB64 appends the decoding of s to dst. ok is false for anything
// that is not the canonical unpadded base64url encoding of some bytes.
// The loop takes eight characters a turn and stores six bytes by index
// into room grown once: in Go's wasm code every append and every branch
// is several instructions, and a token's parts are decoded on every fresh
// request (docs/performance.md "Authentication").
func appendB64(dst []byte, s string) (out []byte, ok bool) {
	n := len(s)
	if n%4 == 1 {
		return dst, false
	}
	o := len(dst)
	dst = append(dst, make([]byte, decodedLen(n))...)
	i := 0
	for ; i+8 <= n; i += 8 {
		q := s[i : i+8]
		a, b, c, d := b64[q[0]], b64[q[1]], b64[q[2]], b64[q[3]]
		e, f, g, h := b64[q[4]], b64[q[5]], b64[q[6]], b64[q[7]]
		if (a|b|c|d|e|f|g|h)&0xC0 != 0 {
			return dst[:o], false
		}
		w := dst[o : o+6 : o+6]
		w[0], w[1], w[2] = a<<2|b>>4, b<<4|c>>2, c<<6|d
		w[3], w[4], w[5] = e<<2|f>>4, f<<4|g>>2, g<<6|h
		o += 6
	}
	if i+4 <= n {
		a, b, c, d := b64[s[i]], b64[s[i+1]], b64[s[i+2]], b64[s[i+3]]
		if (a|b|c|d)&0xC0 != 0 {
			return dst[:o], false
		}
		w := dst[o : o+3 : o+3]
		w[0], w[1], w[2] = a<<2|b>>4, b<<4|c>>2, c<<6|d
		o += 3
		i += 4
	}
	switch n - i {
	case 2:
		a, b := b64[s[i]], b64[s[i+1]]
		if (a|b)&0xC0 != 0 || b&0x0F != 0 {
			return dst[:o], false
		}
		dst[o] = a<<2 | b>>4
	case 3:
		a, b, c := b64[s[i]], b64[s[i+1]], b64[s[i+2]]
		if (a|b|c)&0xC0 != 0 || c&0x03 != 0 {
			return dst[:o], false
		}
		dst[o], dst[o+1] = a<<2|b>>4, b<<4|c>>2
	}
	return dst, true
}

// decodeB64 decodes s into a new slice.
func decodeB64(s string) ([]byte, bool) {
	if len(s)%4 == 1 {
		return nil, false
	}
	return appendB64(make([]byte, 0, decodedLen(len(s))), s)
}
