package jwt

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// FuzzVerify_acceptsOnlyValidTokens runs arbitrary tokens through a public-key and an HMAC
// verifier. Properties: no panic; an accepted token is, by an independent
// reading, three strict base64url parts whose signature verifies under one
// of the configured keys (go-jose, or crypto/ed25519 directly for the
// Ed25519 name go-jose lacks), with the configured issuer; PeekUnverified
// agrees on what it reads.
func FuzzVerify_acceptsOnlyValidTokens(f *testing.F) {
	for _, alg := range SupportedAlgorithms() {
		f.Add(valid(f, alg))
	}
	for _, c := range catalogue(f) {
		if len(c.token) <= MaxTokenBytes+16 {
			f.Add(c.token)
		}
	}
	pub, hs := publicVerifier(f), hmacVerifier(f)
	f.Fuzz(func(t *testing.T, token string) {
		u, peekOK := PeekUnverified(token)
		for _, v := range []*Verifier{pub, hs} {
			tok, err := verifyBoth(t, v, token, testNow)
			if err != nil {
				if ReasonOf(err) == "" {
					t.Fatalf("error without a reason: %v", err)
				}
				continue
			}
			if !peekOK || u.Issuer != testIssuer || u.Algorithm != tok.Algorithm {
				t.Fatalf("Peek = %+v, %v for an accepted token", u, peekOK)
			}
			independentCheck(t, token, tok.Algorithm)
		}
	})
}

func independentCheck(t *testing.T, token, alg string) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("accepted a token of %d parts", len(parts))
	}
	var decoded [3][]byte
	for i, p := range parts {
		if strings.ContainsAny(p, "\r\n=") {
			t.Fatalf("accepted part %d with CR, LF or padding", i)
		}
		b, err := base64.RawURLEncoding.Strict().DecodeString(p)
		if err != nil {
			t.Fatalf("accepted part %d that is not strict base64url: %v", i, err)
		}
		decoded[i] = b
	}
	var hdr, claims map[string]any
	if json.Unmarshal(decoded[0], &hdr) != nil || hdr["alg"] != alg {
		t.Fatalf("header does not name %s", alg)
	}
	if json.Unmarshal(decoded[1], &claims) != nil || claims["iss"] != testIssuer {
		t.Fatalf("claims do not name the issuer")
	}
	if alg == "Ed25519" {
		ok := ed25519.Verify(testKeys(t).ed.Public().(ed25519.PublicKey), []byte(parts[0]+"."+parts[1]), decoded[2])
		if !ok {
			t.Fatal("accepted an Ed25519 token crypto/ed25519 refuses")
		}
		return
	}
	if !joseVerifies(t, token, alg) {
		t.Fatal("accepted a token go-jose does not verify under any configured key")
	}
}

// FuzzJWKS_parseKeepsInvariants: no panic; an accepted set satisfies the key invariants
// (see checkInvariants).
func FuzzJWKS_parseKeepsInvariants(f *testing.F) {
	ks := testKeys(f)
	for _, doc := range []string{
		ks.publicJWKS, ks.hmacJWKS, joseJWKS(f, false), joseJWKS(f, true),
		`{"keys":[]}`, `{"keys":[{"kty":"oct","k":""}]}`,
		`{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}`,
		`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}`,
		`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","use":"enc"}]}`,
		setOf(`{"kty":"AKP","alg":"ML-DSA-44"}`, `{"kty":"RSA","key_ops":["verify","verify"]}`),
	} {
		for _, flags := range []uint8{0, 1, 2, 3} {
			f.Add([]byte(doc), flags)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, flags uint8) {
		o := JWKSOptions{AllowHMAC: flags&1 != 0, Fetched: flags&2 != 0}
		s, err := ParseJWKS(data, o)
		if err != nil {
			if _, ok := err.(*KeyError); !ok {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		checkInvariants(t, s, o)
		if o.Fetched {
			// Every listed key is either used or skipped.
			doc, _ := jsonx.Parse(data, jsonx.Limits{MaxDepth: 16})
			if n := len(doc.Get("keys").Items); s.Len()+len(s.Skipped()) != n {
				t.Fatalf("%d keys listed, %d used, %d skipped", n, s.Len(), len(s.Skipped()))
			}
		}
	})
}

// FuzzBase64_strictCanonical: the strict decoder accepts exactly the canonical unpadded
// base64url encodings (the encoding of the decoded bytes is the input).
func FuzzBase64_strictCanonical(f *testing.F) {
	for _, s := range []string{"", "A", "AA", "AB", "AAA", "AAB", "AAAA", "_-_-", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9v\n", "Zm9v=", "+/+/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := decodeB64(s)
		if !ok {
			if b, err := base64.RawURLEncoding.Strict().DecodeString(s); err == nil && base64.RawURLEncoding.EncodeToString(b) == s {
				t.Fatalf("refused canonical %q", s)
			}
			return
		}
		if enc := base64.RawURLEncoding.EncodeToString(got); enc != s {
			t.Fatalf("accepted %q, which is not the encoding of its bytes (%q)", s, enc)
		}
		if len(got) != decodedLen(len(s)) {
			t.Fatalf("decodedLen(%d) = %d, decoded %d", len(s), decodedLen(len(s)), len(got))
		}
	})
}
