package jwt

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"math/big"
	"strings"
	"testing"
)

// TestDERSignature_lengths: the DER SEQUENCE built for ecdsa.VerifyASN1 is
// the one encoding/asn1 writes, for every body length around 0x80, where
// the length switches to the long form, and for values with leading zero
// bytes and a high bit set (a 0x00 pad).
func TestDERSignature_lengths(t *testing.T) {
	val := func(n int, first byte) []byte {
		b := bytes.Repeat([]byte{0x5a}, n)
		b[0] = first
		return b
	}
	for _, c := range []struct{ r, s []byte }{
		{val(32, 0x01), val(32, 0x01)},
		{val(32, 0x80), val(32, 0xff)},
		{val(62, 0x01), val(62, 0x01)}, // body 0x80 exactly
		{val(61, 0x01), val(62, 0x01)}, // body 0x7f
		{val(62, 0x80), val(62, 0x01)}, // body 0x81 with a pad
		{val(61, 0x80), val(62, 0x01)}, // body 0x80 with a pad
		{val(66, 0x01), val(66, 0x80)},
		{append([]byte{0, 0, 0}, val(29, 0x7f)...), val(32, 0x01)}, // leading zeros trimmed
		{append([]byte{0, 0}, val(30, 0x80)...), val(32, 0x01)},    // trimmed to a high bit: padded
		{[]byte{0, 0, 1}, []byte{2}},
	} {
		want, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(c.r), new(big.Int).SetBytes(c.s)})
		if err != nil {
			t.Fatal(err)
		}
		if got := derSignature(nil, c.r, c.s); !bytes.Equal(got, want) {
			t.Errorf("r %d bytes (%#x...), s %d bytes: derSignature\n%x\nwant\n%x", len(c.r), c.r[0], len(c.s), got, want)
		}
	}
}

// TestVerify_tokenSizeLimit: a token of exactly MaxTokenBytes is parsed
// (and refused for what it is), one byte more is too large.
func TestVerify_tokenSizeLimit(t *testing.T) {
	v := publicVerifier(t)
	tok := valid(t, "ES256")
	pad := func(n int) string { return tok + strings.Repeat("A", n-len(tok)) }
	if _, err := v.Verify(pad(MaxTokenBytes), testNow); ReasonOf(err) == ReasonTooLarge || err == nil {
		t.Errorf("a token of exactly MaxTokenBytes: %v", err)
	}
	if _, err := v.Verify(pad(MaxTokenBytes+1), testNow); ReasonOf(err) != ReasonTooLarge {
		t.Errorf("a token of MaxTokenBytes+1: %v, want %s", err, ReasonTooLarge)
	}
}

// TestNumericDate_upperBound: 253402300799 (9999-12-31T23:59:59Z) and its
// fractions are the last NumericDate; 253402300800 written as a decimal or
// with an exponent is past it.
func TestNumericDate_upperBound(t *testing.T) {
	for in, ok := range map[string]bool{
		"253402300799.999": true, "253402300800.0": false, "2.534023008e11": false, "2.53402300799e11": true,
	} {
		v := mustParse(t, in)
		if _, got := numericDate(&v); got != ok {
			t.Errorf("numericDate(%s) ok = %v, want %v", in, got, ok)
		}
	}
}

// TestDERLength_boundaries: a DER header is the one encoding/asn1 writes
// for every body length around the short/long form switch (0x80) and the
// one- to two- and two- to three-byte long forms, and so is an RSA
// SubjectPublicKeyInfo whose modulus INTEGER body is exactly 0x80 bytes.
func TestDERLength_boundaries(t *testing.T) {
	for _, n := range []int{0, 1, 0x7f, 0x80, 0x81, 0xff, 0x100, 0x101, 0xffff, 0x10000} {
		body := bytes.Repeat([]byte{0x5a}, n)
		want, err := asn1.Marshal(body) // an OCTET STRING
		if err != nil {
			t.Fatal(err)
		}
		got := append(appendDERHeader(nil, 0x04, n), body...)
		if !bytes.Equal(got, want) {
			t.Errorf("body of %#x bytes: header %x, want %x", n, got[:len(got)-n], want[:len(want)-n])
		}
		if derTLVSize(n) != len(want) {
			t.Errorf("derTLVSize(%#x) = %d, want %d", n, derTLVSize(n), len(want))
		}
	}
	for _, size := range []int{126, 127, 128} { // 127 bytes with the high bit set: a 0x80-byte INTEGER
		n := bytes.Repeat([]byte{0xc3}, size)
		N := new(big.Int).SetBytes(n)
		want, err := x509.MarshalPKIXPublicKey(&rsa.PublicKey{N: N, E: 65537})
		if err != nil {
			t.Fatal(err)
		}
		if got := rsaSPKI(n, 65537); !bytes.Equal(got, want) {
			t.Errorf("modulus of %d bytes: rsaSPKI\n%x\nwant\n%x", size, got, want)
		}
	}
}
