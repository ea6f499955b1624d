package jwt

// A small DER encoder for what the host's verify_signature reads: the
// SubjectPublicKeyInfo of an RSA or EC (P-256, P-384, P-521) public key
// (RFC 5280 §4.1.2.7, RFC 8017 Appendix A.1.1, RFC 5480 §2). crypto/x509
// would do it, but it pulls in package net, which the plugin must not
// link (docs/operating.md "Where it runs"). ECDSA signatures are turned from JWS
// r||s into DER by derSignature (sig.go).

// DER tags.
const (
	derInteger   = 0x02
	derBitString = 0x03
	derNull      = 0x05
	derSequence  = 0x30
)

// Object identifiers, encoded with their tag and length.
var (
	// rsaEncryption 1.2.840.113549.1.1.1
	oidRSAEncryption = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01}
	// id-ecPublicKey 1.2.840.10045.2.1
	oidECPublicKey = []byte{0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01}
	// Named curves: secp256r1 1.2.840.10045.3.1.7, secp384r1 1.3.132.0.34,
	// secp521r1 1.3.132.0.35.
	oidCurves = map[string][]byte{
		"P-256": {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07},
		"P-384": {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22},
		"P-521": {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23},
	}
)

// derLenSize is the size of the DER length of n.
func derLenSize(n int) int {
	size := 1
	if n >= 0x80 {
		for ; n > 0; n >>= 8 {
			size++
		}
	}
	return size
}

// appendDERLen appends the DER (definite, minimal) length n.
func appendDERLen(dst []byte, n int) []byte {
	if n < 0x80 {
		return append(dst, byte(n))
	}
	k := derLenSize(n) - 1
	dst = append(dst, 0x80|byte(k))
	for i := k - 1; i >= 0; i-- {
		dst = append(dst, byte(n>>(8*i)))
	}
	return dst
}

// appendDERHeader appends a tag and the length of a body of n bytes.
func appendDERHeader(dst []byte, tag byte, n int) []byte {
	return appendDERLen(append(dst, tag), n)
}

// derTLVSize is the size of a whole element whose body is n bytes.
func derTLVSize(n int) int { return 1 + derLenSize(n) + n }

// unsignedIntBody returns the body of the DER INTEGER of the unsigned
// big-endian b: leading zeros trimmed, one zero added when the first bit
// is set (so the value stays positive), as pad and the rest.
func unsignedIntBody(b []byte) (pad bool, rest []byte) {
	for len(b) > 1 && b[0] == 0 {
		b = b[1:]
	}
	if len(b) == 0 {
		return false, []byte{0}
	}
	return b[0]&0x80 != 0, b
}

func derUnsignedIntSize(b []byte) int {
	pad, rest := unsignedIntBody(b)
	n := len(rest)
	if pad {
		n++
	}
	return derTLVSize(n)
}

func appendDERUnsignedInt(dst, b []byte) []byte {
	pad, rest := unsignedIntBody(b)
	n := len(rest)
	if pad {
		n++
	}
	dst = appendDERHeader(dst, derInteger, n)
	if pad {
		dst = append(dst, 0)
	}
	return append(dst, rest...)
}

// rsaSPKI is the DER SubjectPublicKeyInfo of the RSA key (n, e):
//
//	SEQUENCE { SEQUENCE { rsaEncryption, NULL },
//	           BIT STRING { 0 unused bits, SEQUENCE { INTEGER n, INTEGER e } } }
func rsaSPKI(n []byte, e uint32) []byte {
	eb := []byte{byte(e >> 24), byte(e >> 16), byte(e >> 8), byte(e)}
	pub := derUnsignedIntSize(n) + derUnsignedIntSize(eb)
	algID := len(oidRSAEncryption) + 2
	bits := 1 + derTLVSize(pub)
	body := derTLVSize(algID) + derTLVSize(bits)
	out := make([]byte, 0, derTLVSize(body))
	out = appendDERHeader(out, derSequence, body)
	out = appendDERHeader(out, derSequence, algID)
	out = append(out, oidRSAEncryption...)
	out = append(out, derNull, 0)
	out = appendDERHeader(out, derBitString, bits)
	out = append(out, 0)
	out = appendDERHeader(out, derSequence, pub)
	out = appendDERUnsignedInt(out, n)
	return appendDERUnsignedInt(out, eb)
}

// ecSPKI is the DER SubjectPublicKeyInfo of the EC point (uncompressed,
// 04 || X || Y) on the named curve crv:
//
//	SEQUENCE { SEQUENCE { id-ecPublicKey, namedCurve },
//	           BIT STRING { 0 unused bits, point } }
//
// It returns nil for a curve it does not know.
func ecSPKI(crv string, point []byte) []byte {
	curve := oidCurves[crv]
	if curve == nil {
		return nil
	}
	algID := len(oidECPublicKey) + len(curve)
	bits := 1 + len(point)
	body := derTLVSize(algID) + derTLVSize(bits)
	out := make([]byte, 0, derTLVSize(body))
	out = appendDERHeader(out, derSequence, body)
	out = appendDERHeader(out, derSequence, algID)
	out = append(out, oidECPublicKey...)
	out = append(out, curve...)
	out = appendDERHeader(out, derBitString, bits)
	out = append(out, 0)
	return append(out, point...)
}
