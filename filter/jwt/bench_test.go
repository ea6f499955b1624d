package jwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/host/verifysig"
)

// BenchmarkVerify_perAlgorithm puts, for each algorithm, a full Verify of a token (no
// cache) next to the bare standard-library signature check of the same
// token on its pre-hashed input, so the overhead of parsing and policy is
// the ratio of the two in one run.
func BenchmarkVerify_perAlgorithm(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA", "HS256"} {
		v := publicVerifier(b)
		if alg == "HS256" {
			v = hmacVerifier(b)
		}
		tok := valid(b, alg)
		i := strings.LastIndexByte(tok, '.')
		msg, sig := []byte(tok[:i]), unb64(b, tok[i+1:])
		digest := sha256.Sum256(msg)
		b.Run(alg+"/verify", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(tok, testNow); err != nil {
					b.Fatal(err)
				}
			}
		})
		bare := bareVerify(b, alg, msg, sig, digest[:])
		refuses(b, alg, msg, sig, digest[:])
		b.Run(alg+"/bare", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !bare() {
					b.Fatal("bad")
				}
			}
		})
	}
}

// refuses checks, once before timing, that the bare check compared with
// the verifier refuses a changed signature, so it does the work it is
// compared for.
func refuses(b *testing.B, alg string, msg, sig, digest []byte) {
	b.Helper()
	other := append([]byte(nil), sig...)
	other[len(other)/2] ^= 1
	if bareVerify(b, alg, msg, other, digest)() {
		b.Fatalf("%s: the bare check accepts a changed signature", alg)
	}
}

// bareVerify returns the standard library's verification of sig alone,
// on the pre-hashed input, with the key already parsed.
func bareVerify(b *testing.B, alg string, msg, sig, digest []byte) func() bool {
	ks := testKeys(b)
	switch alg {
	case "RS256":
		pub := &ks.rsa2048.PublicKey
		return func() bool { return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, sig) == nil }
	case "ES256":
		pub := &ks.ec["P-256"].PublicKey
		der, _ := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])})
		return func() bool { return ecdsa.VerifyASN1(pub, digest, der) }
	case "EdDSA":
		pub := ks.ed.Public().(ed25519.PublicKey)
		return func() bool { return ed25519.Verify(pub, msg, sig) }
	default: // HS256
		return func() bool {
			m := hmac.New(sha256.New, ks.hmac32)
			m.Write(msg)
			return hmac.Equal(m.Sum(nil), sig)
		}
	}
}

// BenchmarkVerify_overheadRatio interleaves a full Verify and the bare signature
// check of the same token in one loop, so that load from other processes
// hits both alike, and reports the ratio of their times (verify/bare).
func BenchmarkVerify_overheadRatio(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA", "HS256"} {
		b.Run(alg, func(b *testing.B) {
			v := publicVerifier(b)
			if alg == "HS256" {
				v = hmacVerifier(b)
			}
			tok := valid(b, alg)
			i := strings.LastIndexByte(tok, '.')
			msg, sig := []byte(tok[:i]), unb64(b, tok[i+1:])
			digest := sha256.Sum256(msg)
			bare := bareVerify(b, alg, msg, sig, digest[:])
			refuses(b, alg, msg, sig, digest[:])
			var tv, tb time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := v.Verify(tok, testNow); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if !bare() {
					b.Fatal("bad")
				}
				tv += t1.Sub(t0)
				tb += time.Since(t1)
			}
			b.ReportMetric(float64(tv)/float64(b.N), "verify-ns/op")
			b.ReportMetric(float64(tb)/float64(b.N), "bare-ns/op")
			b.ReportMetric(float64(tv)/float64(tb), "verify/bare")
		})
	}
}

// BenchmarkCache_hit is the cost of a repeated RS256 token: a cache Get.
func BenchmarkCache_hit(b *testing.B) {
	v := publicVerifier(b)
	tokStr := valid(b, "RS256")
	tok, err := v.Verify(tokStr, testNow)
	if err != nil {
		b.Fatal(err)
	}
	c := NewCache(1024, 4<<20)
	for i := range 1000 { // a realistically filled cache
		c.Put("idp", v, tokStr+string(rune('a'+i%26))+string(rune('a'+i/26)), tok, testNow)
	}
	c.Put("idp", v, tokStr, tok, testNow)
	// The path measured: a hit on this token, never on another.
	if c.Get("idp", v, tokStr, testNow) != tok || c.Get("idp", v, tokStr+"x", testNow) != nil {
		b.Fatal("the cache does not answer as measured")
	}
	b.ReportAllocs()
	for b.Loop() {
		if c.Get("idp", v, tokStr, testNow) == nil {
			b.Fatal("miss")
		}
	}
}

// BenchmarkJWKS_parse is the cost of loading the six-key test set.
func BenchmarkJWKS_parse(b *testing.B) {
	doc := []byte(testKeys(b).publicJWKS)
	if ks, err := ParseJWKS(doc, JWKSOptions{}); err != nil || len(ks.keys) != 6 {
		b.Fatalf("%v: not the six-key set", err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseJWKS(doc, JWKSOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify_refused is the cost of refusing garbage (malformed and
// too-large tokens are refused before any signature work).
func BenchmarkVerify_refused(b *testing.B) {
	v := publicVerifier(b)
	for name, tok := range map[string]string{
		"dots":      strings.Repeat(".", 8000),
		"too_large": strings.Repeat("a", 1<<20),
		"bad_sig":   flipSig(b, valid(b, "ES256")),
	} {
		// The path measured: refused for the reason the name says.
		want := map[string]string{"dots": ReasonMalformed, "too_large": ReasonTooLarge, "bad_sig": ReasonBadSignature}[name]
		if _, err := v.Verify(tok, testNow); ReasonOf(err) != want {
			b.Fatalf("%s: %v, want %s", name, err, want)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(tok, testNow); err == nil {
					b.Fatal("accepted")
				}
			}
		})
	}
}

// BenchmarkVerify_worstKeys is the most one token can cost: its kid names
// five RSA keys of MaxRSABits (a fetched set may publish them), so it is
// checked against MaxKeyTries of them and fails. The moduli are odd
// numbers of the right size, not real keys: a failing check costs the
// same modular exponentiation.
func BenchmarkVerify_worstKeys(b *testing.B) {
	for _, bits := range []int{MinRSABits, MaxRSABits} {
		keys := make([]map[string]any, MaxKeyTries+1)
		for i := range keys {
			n := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
			n.Add(n, big.NewInt(int64(2*i+1)))
			n.SetBit(n, bits/3, 1)
			keys[i] = map[string]any{"kty": "RSA", "kid": "k", "n": b64s(n.Bytes()), "e": "AQAB"}
		}
		v := NewVerifier(testConfig(), mustJWKS(b, jwksJSON(keys...), JWKSOptions{Fetched: true}))
		sig := make([]byte, bits/8)
		sig[1] = 1 // below every modulus
		input := b64s([]byte(header("RS256", "k"))) + "." + b64s([]byte(claims()))
		tok := input + "." + b64s(sig)
		b.Run(strconv.Itoa(bits), func(b *testing.B) {
			for b.Loop() {
				if _, err := v.Verify(tok, testNow); ReasonOf(err) != ReasonBadSignature {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerify_hostPath is the module's own share of a host-verified
// token: Verify of an RS256 and an ES256 token with a host that answers
// true at once (it passed the self-test honestly first), so the figure is
// parsing, the arguments, the call and the result, without the
// signature arithmetic the host does natively.
func BenchmarkVerify_hostPath(b *testing.B) {
	f := verifysig.NewFaulty(verifysig.Honest)
	h, _, _ := NewHostVerifier(hostCallOf(f.Call), SupportedAlgorithms())
	if h == nil {
		b.Fatal("self-test failed")
	}
	v := publicVerifier(b).WithHost(h)
	instant := []byte{0x08, 0x01}
	h.call = func([]byte) ([]byte, error) { return instant, nil }
	for _, alg := range []string{"RS256", "ES256"} {
		tok := valid(b, alg)
		b.Run(alg, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				t, err := v.Verify(tok, testNow)
				if err != nil || !t.ByHost {
					b.Fatal(err)
				}
			}
		})
	}
}
