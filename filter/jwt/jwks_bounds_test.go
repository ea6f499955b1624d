package jwt

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
)

// TestParseJWKS_limits: a document of exactly MaxJWKSBytes and a set of
// exactly MaxJWKSKeys keys are read; one byte or one key more is refused.
func TestParseJWKS_limits(t *testing.T) {
	ks := testKeys(t)
	key := jwkWith(t, jwkOf(&ks.rsa2048.PublicKey, "r", ""), nil)
	// padded is the one-key set grown to n bytes by an ignored member.
	padded := func(n int) string {
		head, tail := `{"keys":[`+key+`],"pad":"`, `"}`
		return head + strings.Repeat("a", n-len(head)-len(tail)) + tail
	}
	unknown := func(n int) string { return setOf(strings.TrimSuffix(strings.Repeat(`{"kty":"x"},`, n), ",")) }
	fetched := JWKSOptions{Fetched: true}
	for _, c := range []struct {
		name          string
		doc           string
		o             JWKSOptions
		keys, skipped int
		errPath       string // with errMsg: refused
		errMsg        string
	}{
		{"exactly MaxJWKSBytes", padded(MaxJWKSBytes), JWKSOptions{}, 1, 0, "", ""},
		{"one byte over", padded(MaxJWKSBytes + 1), JWKSOptions{}, 0, 0, "", "larger than"},
		{"exactly MaxJWKSKeys", unknown(MaxJWKSKeys), fetched, 0, MaxJWKSKeys, "", ""},
		{"one key over", unknown(MaxJWKSKeys + 1), fetched, 0, 0, "keys", "more than"},
	} {
		set, err := ParseJWKS([]byte(c.doc), c.o)
		if c.errMsg != "" {
			var ke *KeyError
			if !errors.As(err, &ke) || ke.Path != c.errPath || !strings.Contains(ke.Msg, c.errMsg) {
				t.Errorf("%s: %v, want a refusal at %q saying %q", c.name, err, c.errPath, c.errMsg)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if set.Len() != c.keys || len(set.Skipped()) != c.skipped {
			t.Errorf("%s: %d keys, %d skipped; want %d, %d", c.name, set.Len(), len(set.Skipped()), c.keys, c.skipped)
		}
	}
}

// TestParseJWKS_generationPerKeyType: for each key type, a set whose one
// key is replaced by another of the same type, kid and alg has another
// generation (the material of every type is in the fingerprint: a rotated
// HMAC secret or Ed25519 key is a new set).
func TestParseJWKS_generationPerKeyType(t *testing.T) {
	ks := testKeys(t)
	ed2 := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public()
	hmacOK := JWKSOptions{AllowHMAC: true}
	for _, c := range []struct {
		name   string
		before any
		after  any
		o      JWKSOptions
	}{
		{"RSA", &ks.rsa2048.PublicKey, &ks.rsa3072.PublicKey, JWKSOptions{}},
		{"EC", &ks.ec["P-256"].PublicKey, &ks.ec["P-384"].PublicKey, JWKSOptions{}},
		{"Ed25519", ks.ed.Public(), ed2, JWKSOptions{}},
		{"HMAC", ks.hmac32, ks.hmac64[:32], hmacOK},
	} {
		before := mustJWKS(t, jwksJSON(jwkOf(c.before, "k", "")), c.o)
		again := mustJWKS(t, jwksJSON(jwkOf(c.before, "k", "")), c.o)
		after := mustJWKS(t, jwksJSON(jwkOf(c.after, "k", "")), c.o)
		if before.Generation() != again.Generation() {
			t.Errorf("%s: the same set has two generations", c.name)
		}
		if before.Generation() == after.Generation() {
			t.Errorf("%s: the key was replaced and the generation is the same", c.name)
		}
	}
}
