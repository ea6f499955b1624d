package jwt

import "math/big"

// Load-time validation of Ed25519 public keys. crypto/ed25519 exposes no
// point decoding, and a key that does not decode would only make every
// signature fail later; a small-order key is worse: a signature made
// without the private key verifies for a fixed fraction of messages. Both
// are refused when the set is loaded, like EC points off their curve. This
// runs once per key, so plain math/big is fast enough.

var (
	edP = func() *big.Int { // 2^255 - 19
		p := new(big.Int).Lsh(big.NewInt(1), 255)
		return p.Sub(p, big.NewInt(19))
	}()
	edD = func() *big.Int { // -121665 / 121666 mod p
		d := new(big.Int).ModInverse(big.NewInt(121666), edP)
		d.Mul(d, big.NewInt(-121665))
		return d.Mod(d, edP)
	}()
)

// ed25519PointOK reports whether enc (32 bytes) is the canonical encoding
// of a point of edwards25519 whose order is not small (its multiple by the
// cofactor 8 is not the identity).
func ed25519PointOK(enc []byte) bool {
	if len(enc) != 32 {
		return false
	}
	var le [32]byte
	for i := range le {
		le[i] = enc[31-i]
	}
	sign := le[0] >> 7
	le[0] &= 0x7F
	y := new(big.Int).SetBytes(le[:])
	if y.Cmp(edP) >= 0 {
		return false // non-canonical y
	}
	p := edP
	// x² = (y² - 1) / (d·y² + 1)
	y2 := new(big.Int).Mul(y, y)
	y2.Mod(y2, p)
	u := new(big.Int).Sub(y2, big.NewInt(1))
	u.Mod(u, p)
	v := new(big.Int).Mul(edD, y2)
	v.Add(v, big.NewInt(1))
	v.Mod(v, p)
	vi := new(big.Int).ModInverse(v, p)
	if vi == nil {
		return false
	}
	x2 := u.Mul(u, vi)
	x2.Mod(x2, p)
	x := new(big.Int).ModSqrt(x2, p)
	if x == nil {
		return false // not on the curve
	}
	if x.Sign() == 0 && sign == 1 {
		return false // RFC 8032 §5.1.3: -0 is not an encoding
	}
	if uint8(x.Bit(0)) != sign {
		x.Sub(p, x)
	}
	// [8]P: three doublings.
	for range 3 {
		x, y = edAdd(x, y, x, y)
	}
	return !(x.Sign() == 0 && y.Cmp(big.NewInt(1)) == 0)
}

// edAdd adds two affine points of the twisted Edwards curve
// -x² + y² = 1 + d·x²·y² (complete formula: d is not a square).
func edAdd(x1, y1, x2, y2 *big.Int) (*big.Int, *big.Int) {
	p := edP
	x1x2 := new(big.Int).Mul(x1, x2)
	y1y2 := new(big.Int).Mul(y1, y2)
	t := new(big.Int).Mul(x1x2, y1y2)
	t.Mul(t, edD)
	t.Mod(t, p)
	xn := new(big.Int).Mul(x1, y2)
	xn.Add(xn, new(big.Int).Mul(y1, x2))
	xd := new(big.Int).Add(big.NewInt(1), t)
	xd.ModInverse(xd, p)
	x3 := xn.Mul(xn, xd)
	x3.Mod(x3, p)
	yn := y1y2.Add(y1y2, x1x2)
	yd := new(big.Int).Sub(big.NewInt(1), t)
	yd.Mod(yd, p)
	yd.ModInverse(yd, p)
	y3 := yn.Mul(yn, yd)
	y3.Mod(y3, p)
	return x3, y3
}
