package schema

import (
	"math/big"
)

// dec is an exact decimal number: (-1)^neg × 0.d1d2…dn × 10^exp, where
// digits holds d1…dn as ASCII with no leading and no trailing zero. Zero
// has no digits (and is never negative). Numbers are compared, tested for
// being integers and for divisibility in this form, exactly as the
// decimals were written: never through float64, so integers beyond 2^53,
// multipleOf 0.01 and exponents such as 1e400 are judged right.
//
// An exponent too large for an int64 (more than 18 significant digits) is
// kept in bexp instead; such numbers are pathological, and only they pay
// for math/big.
type dec struct {
	neg    bool
	digits []byte
	exp    int64
	bexp   *big.Int // non-nil: the exponent, when it does not fit exp
}

// parseDec reads the JSON number num (its grammar already checked) into d,
// reusing d.digits' storage. It allocates only for an exponent of more
// than 18 significant digits.
func parseDec(d *dec, num []byte) {
	buf := d.digits[:0]
	*d = dec{}
	i := 0
	if i < len(num) && num[i] == '-' {
		d.neg = true
		i++
	}
	point := int64(0) // digits before the decimal point, leading zeros dropped
	lead := true
	for ; i < len(num) && num[i] >= '0' && num[i] <= '9'; i++ {
		if lead && num[i] == '0' {
			continue
		}
		lead = false
		buf = append(buf, num[i])
		point++
	}
	if i < len(num) && num[i] == '.' {
		i++
		for ; i < len(num) && num[i] >= '0' && num[i] <= '9'; i++ {
			if lead && num[i] == '0' {
				point--
				continue
			}
			lead = false
			buf = append(buf, num[i])
		}
	}
	for len(buf) > 0 && buf[len(buf)-1] == '0' {
		buf = buf[:len(buf)-1]
	}
	d.digits = buf
	if len(buf) == 0 {
		d.neg = false
		return
	}
	var e int64
	if i < len(num) && (num[i] == 'e' || num[i] == 'E') {
		i++
		eneg := false
		if num[i] == '+' || num[i] == '-' {
			eneg = num[i] == '-'
			i++
		}
		for i < len(num) && num[i] == '0' {
			i++
		}
		if len(num)-i > 18 {
			// Too many digits for an int64: the rare, exact path.
			b, _ := new(big.Int).SetString(string(num[i:]), 10)
			if eneg {
				b.Neg(b)
			}
			d.bexp = b.Add(b, big.NewInt(point))
			return
		}
		for ; i < len(num); i++ {
			e = e*10 + int64(num[i]-'0')
		}
		if eneg {
			e = -e
		}
	}
	d.exp = e + point
}

// decFromString parses a number of the configuration (compile time).
func decFromString(s string) dec {
	var d dec
	parseDec(&d, []byte(s))
	d.digits = append([]byte(nil), d.digits...)
	return d
}

func (d *dec) isZero() bool { return len(d.digits) == 0 }

func (d *dec) sign() int {
	switch {
	case len(d.digits) == 0:
		return 0
	case d.neg:
		return -1
	}
	return 1
}

// bigExp returns d's exponent as a big.Int (allocating).
func (d *dec) bigExp() *big.Int {
	if d.bexp != nil {
		return d.bexp
	}
	return big.NewInt(d.exp)
}

// cmpExp compares the exponents of two non-zero decimals.
func cmpExp(a, b *dec) int {
	if a.bexp == nil && b.bexp == nil {
		switch {
		case a.exp < b.exp:
			return -1
		case a.exp > b.exp:
			return 1
		}
		return 0
	}
	return a.bigExp().Cmp(b.bigExp())
}

// cmpDec compares two decimals by value: -1, 0 or +1.
func cmpDec(a, b *dec) int {
	sa, sb := a.sign(), b.sign()
	if sa != sb {
		if sa < sb {
			return -1
		}
		return 1
	}
	if sa == 0 {
		return 0
	}
	m := cmpExp(a, b)
	if m == 0 {
		n := min(len(a.digits), len(b.digits))
		for i := 0; i < n && m == 0; i++ {
			switch {
			case a.digits[i] < b.digits[i]:
				m = -1
			case a.digits[i] > b.digits[i]:
				m = 1
			}
		}
		if m == 0 {
			// No trailing zeros: the longer one has more non-zero digits.
			switch {
			case len(a.digits) < len(b.digits):
				m = -1
			case len(a.digits) > len(b.digits):
				m = 1
			}
		}
	}
	return m * sa
}

// isInteger reports whether d has no fractional part (1.0 and 1e3 are
// integers, as JSON Schema says).
func (d *dec) isInteger() bool {
	if len(d.digits) == 0 {
		return true
	}
	if d.bexp != nil {
		return d.bexp.Sign() > 0
	}
	return d.exp >= int64(len(d.digits))
}

// divisor is a compiled multipleOf: D × 10^q with D the significand (an
// integer without trailing zeros) and q its scale.
type divisor struct {
	d     dec
	small uint64   // D when it is below 2^59, else 0
	big   *big.Int // D otherwise
	q     int64    // scale: the decimal is D × 10^q
	k     int64    // powers of ten beyond k change nothing: D | X·10^j ⇔ D | X·10^min(j,k)
}

func newDivisor(d dec) divisor {
	v := divisor{d: d, q: d.exp - int64(len(d.digits))}
	var n uint64
	fits := len(d.digits) <= 17
	for _, c := range d.digits {
		n = n*10 + uint64(c-'0')
	}
	if fits {
		v.small = n
	} else {
		v.big, _ = new(big.Int).SetString(string(d.digits), 10)
	}
	// D = 2^a · 5^b · m: beyond max(a, b) the extra factors of 10 only
	// add twos and fives D already has. log2(D) < 4 per digit bounds both.
	v.k = int64(4*len(d.digits) + 1)
	return v
}

// multipleOf reports whether x is an integer multiple of the divisor.
func (v *divisor) multipleOf(x *dec) bool {
	if x.isZero() {
		return true
	}
	// x = X × 10^xq, X an integer without trailing zeros. If xq < q then
	// x / (D×10^q) = X / (D × 10^(q-xq)) would make 10 divide X: never.
	var j int64
	if x.bexp != nil {
		xq := new(big.Int).Sub(x.bexp, big.NewInt(int64(len(x.digits))))
		if xq.Cmp(big.NewInt(v.q)) < 0 {
			return false
		}
		j = v.k // a huge positive scale: saturated
	} else {
		xq := x.exp - int64(len(x.digits))
		if xq < v.q {
			return false
		}
		j = min(xq-v.q, v.k)
	}
	// D | X × 10^j, by the remainder of the digit string.
	if v.small != 0 {
		var r uint64
		for _, c := range x.digits {
			r = (r*10 + uint64(c-'0')) % v.small
		}
		for ; j > 0; j-- {
			r = (r * 10) % v.small
		}
		return r == 0
	}
	r := new(big.Int)
	ten := big.NewInt(10)
	for _, c := range x.digits {
		r.Mul(r, ten)
		r.Add(r, big.NewInt(int64(c-'0')))
		r.Mod(r, v.big)
	}
	for ; j > 0; j-- {
		r.Mul(r, ten)
		r.Mod(r, v.big)
	}
	return r.Sign() == 0
}

// appendCanon appends the canonical text of d: equal numbers, however
// written, give the same bytes ("0", "-0.15e2").
func (d *dec) appendCanon(dst []byte) []byte {
	if len(d.digits) == 0 {
		return append(dst, '0')
	}
	if d.neg {
		dst = append(dst, '-')
	}
	dst = append(dst, "0."...)
	dst = append(dst, d.digits...)
	dst = append(dst, 'e')
	if d.bexp != nil {
		return d.bexp.Append(dst, 10)
	}
	return appendInt(dst, d.exp)
}

func appendInt(dst []byte, n int64) []byte {
	if n < 0 {
		dst = append(dst, '-')
		if n == -n { // math.MinInt64 cannot occur: exponents are bounded
			return dst
		}
		n = -n
	}
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(dst, b[i:]...)
}

// intBounds marks the nodes whose numeric keywords can all be decided on
// what numParts reads: integer bounds an int64 holds, and a multipleOf
// that is a power of ten at most 1 (0.01: at most two fraction digits once
// trailing zeros are dropped) or an integer an int64 holds. It keeps them
// as int64s: a number token without an exponent is then read once, type
// integer included, and checked without a decimal (docs/schemas.md "Cost
// and caps"). A node with no numeric keyword is marked only when its type
// asks for an integer and not any number (the one check then made on a
// number).
func (c *compiler) intBounds() {
	for i := range c.set.nodes {
		n := &c.set.nodes[i]
		if n.flags&(nfEnum|nfConst) != 0 {
			continue
		}
		has := n.types&(tNumber|tInteger) == tInteger
		if m := n.multipleOf; m != nil {
			switch x, isInt := m.d.int64(); {
			case m.small == 1 && m.q < 0:
				n.mulFrac = -m.q
			case isInt:
				n.mulInt = x
			default:
				continue
			}
			has = true
		}
		fits := true
		for _, b := range [...]struct {
			d   *dec
			dst *int64
		}{{n.minimum, &n.iMin}, {n.maximum, &n.iMax}, {n.exMin, &n.iExMin}, {n.exMax, &n.iExMax}} {
			if b.d != nil {
				var ok bool
				*b.dst, ok = b.d.int64()
				fits = fits && ok
				has = true
			}
		}
		if has && fits {
			n.flags |= nfIntBounds
		}
	}
}

// int64 returns d when it is an integer below 10^18 in magnitude.
func (d *dec) int64() (int64, bool) {
	if d.bexp != nil {
		return 0, false
	}
	if len(d.digits) == 0 {
		return 0, true
	}
	if d.exp < int64(len(d.digits)) || d.exp > 18 {
		return 0, false
	}
	var x int64
	for _, c := range d.digits {
		x = x*10 + int64(c-'0')
	}
	for i := int64(len(d.digits)); i < d.exp; i++ {
		x *= 10
	}
	if d.neg {
		x = -x
	}
	return x, true
}

// numParts reads a number token without an exponent whose integer part
// has at most 18 digits: its integer part s (truncated toward zero), the
// number of fraction digits fd once trailing zeros are dropped, and fs
// the sign of what the fraction adds (0 when fd is 0).
func numParts(num []byte) (s int64, fs, fd int, ok bool) {
	i := 0
	neg := len(num) > 0 && num[0] == '-'
	if neg {
		i = 1
	}
	start := i
	for ; i < len(num); i++ {
		d := num[i] - '0'
		if d > 9 {
			break
		}
		s = s*10 + int64(d)
	}
	if i-start > 18 {
		return 0, 0, 0, false
	}
	if i < len(num) && num[i] == '.' {
		i++
		f := i
		for ; i < len(num); i++ {
			d := num[i] - '0'
			if d > 9 {
				break
			}
			if d != 0 {
				fd = i - f + 1
			}
		}
	}
	if i != len(num) {
		return 0, 0, 0, false // an exponent
	}
	if fd != 0 {
		fs = 1
	}
	if neg {
		s, fs = -s, -fs
	}
	return s, fs, fd, true
}

// cmpParts compares the number of numParts with the integer b: the
// integer parts decide unless they are equal (s < b implies s+f < b for
// any fraction f of magnitude below 1, the same with signs flipped).
func cmpParts(s int64, fs int, b int64) int {
	switch {
	case s < b:
		return -1
	case s > b:
		return 1
	}
	return fs
}
