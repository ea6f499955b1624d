package jwt

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"math/big"
)

// verifySig checks sig over msg with key k under algorithm a; k must fit a.
// digest is a's hash of msg (nil for Ed25519 and HMAC, which hash
// themselves).
func verifySig(a *alg, k *key, msg, digest, sig []byte) bool {
	switch a.fam {
	case famRSA:
		// Go requires len(sig) to be the modulus size and compares the
		// whole encoded block, so no padding or ASN.1 leniency exists.
		return rsa.VerifyPKCS1v15(k.rsa, a.hash, digest, sig) == nil
	case famPSS:
		return rsa.VerifyPSS(k.rsa, a.hash, digest, sig, a.pss) == nil
	case famECDSA:
		return verifyECDSA(k.ec, digest, sig)
	case famEd25519:
		return len(sig) == ed25519.SignatureSize && ed25519.Verify(k.ed, msg, sig)
	case famHMAC:
		return verifyHMAC(a, k.secret, msg, sig)
	}
	return false
}

// verifyECDSA checks a JWS ECDSA signature: exactly r||s, each the size of
// the curve order (RFC 7518 §3.4), with 0 < r, s < n. A DER signature,
// trailing bytes or a short encoding never verify.
func verifyECDSA(pub *ecdsa.PublicKey, digest, sig []byte) bool {
	params := pub.Curve.Params()
	size := (params.BitSize + 7) / 8
	if len(sig) != 2*size {
		return false
	}
	r, s := sig[:size], sig[size:]
	order := orderBytes(params.N, size)
	if !inRange(r, order) || !inRange(s, order) {
		return false
	}
	var buf [2*(2+1+66) + 3]byte
	return ecdsa.VerifyASN1(pub, digest, derSignature(buf[:0], r, s))
}

var orders = map[int][]byte{}

// orderBytes returns the curve order as size big-endian bytes; the three
// supported curves are computed once.
func orderBytes(n *big.Int, size int) []byte {
	if b, ok := orders[size]; ok {
		return b
	}
	return n.FillBytes(make([]byte, size))
}

func init() {
	for _, a := range algs {
		if a.fam == famECDSA {
			p := a.curve.Params()
			size := (p.BitSize + 7) / 8
			orders[size] = p.N.FillBytes(make([]byte, size))
		}
	}
}

// inRange reports 0 < x < n for equal-length big-endian x and n. The
// values are public (they are the signature), so timing does not matter.
func inRange(x, n []byte) bool {
	zero := true
	for _, b := range x {
		if b != 0 {
			zero = false
			break
		}
	}
	if zero {
		return false
	}
	for i := range x {
		if x[i] != n[i] {
			return x[i] < n[i]
		}
	}
	return false // x == n
}

// derSignature appends the DER SEQUENCE of INTEGERs r and s (unsigned
// big-endian, non-zero) that ecdsa.VerifyASN1 reads.
func derSignature(dst, r, s []byte) []byte {
	ri, si := derIntLen(r), derIntLen(s)
	body := 2 + ri + 2 + si
	dst = append(dst, 0x30)
	if body >= 0x80 {
		dst = append(dst, 0x81)
	}
	dst = append(dst, byte(body))
	dst = appendDERInt(dst, r)
	return appendDERInt(dst, s)
}

func trimZeros(b []byte) []byte {
	for len(b) > 1 && b[0] == 0 {
		b = b[1:]
	}
	return b
}

func derIntLen(b []byte) int {
	b = trimZeros(b)
	if b[0]&0x80 != 0 {
		return len(b) + 1
	}
	return len(b)
}

func appendDERInt(dst, b []byte) []byte {
	b = trimZeros(b)
	dst = append(dst, 0x02, byte(derIntLen(b)))
	if b[0]&0x80 != 0 {
		dst = append(dst, 0)
	}
	return append(dst, b...)
}

// verifyHMAC compares the full-length tag in constant time. JWS never
// truncates HMAC tags.
func verifyHMAC(a *alg, secret, msg, sig []byte) bool {
	if len(sig) != a.hash.Size() {
		return false
	}
	var h func() hash.Hash
	switch a.name {
	case "HS256":
		h = sha256.New
	case "HS384":
		h = sha512.New384
	default:
		h = sha512.New
	}
	mac := hmac.New(h, secret)
	mac.Write(msg)
	var out [digestSize]byte
	return hmac.Equal(mac.Sum(out[:0]), sig)
}
