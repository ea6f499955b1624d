package jwt

import (
	"strings"
	"testing"
)

// TestVerify_hmacTagLength: an HS256/384/512 token verifies only with the
// whole tag. A verifier that compared a prefix (or the first n bytes of
// what it was given) would accept a truncated tag, which an attacker can
// forge byte by byte; a longer tag must not verify either.
func TestVerify_hmacTagLength(t *testing.T) {
	v := hmacVerifier(t)
	for _, alg := range []string{"HS256", "HS384", "HS512"} {
		good := valid(t, alg)
		if _, err := v.Verify(good, testNow); err != nil {
			t.Fatalf("%s: the untouched token does not verify: %v", alg, err)
		}
		i := strings.LastIndexByte(good, '.')
		input, tag := good[:i+1], unb64(t, good[i+1:])
		size := lookupAlg(alg).hash.Size()
		if len(tag) != size {
			t.Fatalf("%s: tag of %d bytes, want %d", alg, len(tag), size)
		}
		for _, c := range []struct {
			name string
			sig  []byte
		}{
			{"empty", nil},
			{"one byte", tag[:1]},
			{"16 bytes (a common truncation)", tag[:16]},
			{"half", tag[:size/2]},
			{"one byte short", tag[:size-1]},
			{"one byte more", append(append([]byte(nil), tag...), tag[0])},
			{"doubled", append(append([]byte(nil), tag...), tag...)},
		} {
			_, err := v.Verify(input+b64s(c.sig), testNow)
			if ReasonOf(err) != ReasonBadSignature {
				t.Errorf("%s tag %s (%d bytes): %v, want %s", alg, c.name, len(c.sig), err, ReasonBadSignature)
			}
		}
	}
}
