package verifysig

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"testing"
	"time"
)

// BenchmarkVerifySignature_vsBareCheck interleaves verify_signature (arguments parsed, key
// imported, signature checked) with the bare check of the same signature
// by the standard library, and reports the ratio: the emulator's cost
// over Envoy's own work.
func BenchmarkVerifySignature_vsBareCheck(b *testing.B) {
	text := []byte("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9")
	p256 := keys.ec[elliptic.P256()]
	for _, c := range []struct {
		name string
		args []byte
		bare func() bool
	}{
		{"RS256", Args{"sha256", spki(b, &keys.rsa.PublicKey), signRSA(b, keys.rsa, crypto.SHA256, text), text, ""}.Marshal(),
			func() bool {
				return rsa.VerifyPKCS1v15(&keys.rsa.PublicKey, crypto.SHA256, digest(crypto.SHA256, text), signRSA(b, keys.rsa, crypto.SHA256, text)) == nil
			}},
		{"ES256", Args{"sha256", spki(b, &p256.PublicKey), signEC(b, p256, crypto.SHA256, text), text, ""}.Marshal(), nil},
	} {
		if c.name == "ES256" {
			sig := signEC(b, p256, crypto.SHA256, text)
			c.bare = func() bool { return ecdsa.VerifyASN1(&p256.PublicKey, digest(crypto.SHA256, text), sig) }
		} else {
			sig := signRSA(b, keys.rsa, crypto.SHA256, text)
			c.bare = func() bool {
				return rsa.VerifyPKCS1v15(&keys.rsa.PublicKey, crypto.SHA256, digest(crypto.SHA256, text), sig) == nil
			}
		}
		b.Run(c.name, func(b *testing.B) {
			var tCall, tBare time.Duration
			for b.Loop() {
				t0 := time.Now()
				if out, _ := Call(c.args); string(out) != "\x08\x01" {
					b.Fatal("false")
				}
				t1 := time.Now()
				if !c.bare() {
					b.Fatal("bare false")
				}
				tCall += t1.Sub(t0)
				tBare += time.Since(t1)
			}
			b.ReportMetric(float64(tCall)/float64(tBare), "call/bare")
		})
	}
}
