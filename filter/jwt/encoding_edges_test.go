package jwt

import (
	"math/big"
	"testing"
)

// TestB64_impossibleLengths: a base64url text whose length leaves one
// character over cannot encode any bytes; both decoders refuse it.
func TestB64_impossibleLengths(t *testing.T) {
	for _, s := range []string{"Q", "QUJDR", "QUJDRUZHS"} {
		if _, ok := appendB64(nil, s); ok {
			t.Errorf("appendB64(%q) decoded", s)
		}
		if _, ok := decodeB64(s); ok {
			t.Errorf("decodeB64(%q) decoded", s)
		}
	}
}

// TestEd25519PointOK_yEqualsP: y = p (2^255-19) is a non-canonical
// encoding of y = 0 and must be refused like every y >= p.
func TestEd25519PointOK_yEqualsP(t *testing.T) {
	enc := func(y *big.Int) []byte {
		b := y.FillBytes(make([]byte, 32))
		for i, j := 0, 31; i < j; i, j = i+1, j-1 {
			b[i], b[j] = b[j], b[i]
		}
		return b
	}
	if ed25519PointOK(enc(edP)) {
		t.Error("y = p accepted")
	}
	if ed25519PointOK(enc(new(big.Int).Add(edP, big.NewInt(1)))) {
		t.Error("y = p+1 accepted")
	}
}

func TestKeyError_Error(t *testing.T) {
	if got := (&KeyError{Msg: "no keys"}).Error(); got != "jwks: no keys" {
		t.Errorf("without a path: %q", got)
	}
	if got := (&KeyError{Path: "keys[0].n", Msg: "too short"}).Error(); got != "jwks: keys[0].n: too short" {
		t.Errorf("with a path: %q", got)
	}
}
