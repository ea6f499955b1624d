package jwt

import (
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
)

// Tokens and key sets made by an independent JOSE library (go-jose v4)
// must be accepted; and whatever this package accepts must verify under
// go-jose (used by FuzzVerify_acceptsOnlyValidTokens).

// joseSigner signs with the test key of alg, kid in the protected header.
func joseSigner(t testing.TB, alg string) jose.Signer {
	t.Helper()
	priv, kid := testKeys(t).privFor(alg)
	joseAlg := jose.SignatureAlgorithm(alg)
	if alg == "Ed25519" {
		joseAlg = jose.EdDSA // go-jose names it EdDSA only
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: joseAlg, Key: priv},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatalf("NewSigner(%s): %v", alg, err)
	}
	return s
}

// joseJWKS renders the public test keys as a JWKS with go-jose.
func joseJWKS(t testing.TB, hmac bool) string {
	t.Helper()
	ks := testKeys(t)
	var set jose.JSONWebKeySet
	add := func(k any, kid, alg string) {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k, KeyID: kid, Algorithm: alg, Use: "sig"})
	}
	if hmac {
		add(ks.hmac32, "hs256", "HS256")
		add(ks.hmac64, "hs", "")
	} else {
		add(&ks.rsa2048.PublicKey, "rsa", "")
		add(&ks.rsa3072.PublicKey, "rsa-ps256", "PS256")
		add(&ks.ec["P-256"].PublicKey, "ec256", "ES256")
		add(&ks.ec["P-384"].PublicKey, "ec384", "ES384")
		add(&ks.ec["P-521"].PublicKey, "ec521", "ES512")
		add(ks.ed.Public(), "ed", "EdDSA")
	}
	parts := make([]string, len(set.Keys))
	for i := range set.Keys {
		j, err := set.Keys[i].MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		parts[i] = string(j)
	}
	return `{"keys":[` + strings.Join(parts, ",") + `]}`
}

func TestInterop_goJoseTokens(t *testing.T) {
	pubSet := mustJWKS(t, joseJWKS(t, false), JWKSOptions{})
	hmacSet := mustJWKS(t, joseJWKS(t, true), JWKSOptions{AllowHMAC: true})
	cfg := testConfig()
	cfg.Algorithms = SupportedAlgorithms()
	for _, alg := range SupportedAlgorithms() {
		if alg == "Ed25519" {
			continue // go-jose signs Ed25519 only under the name EdDSA
		}
		t.Run(alg, func(t *testing.T) {
			set := pubSet
			if strings.HasPrefix(alg, "HS") {
				set = hmacSet
			}
			v := NewVerifier(cfg, set)
			cl := josejwt.Claims{
				Issuer:    testIssuer,
				Subject:   "alice",
				Audience:  josejwt.Audience{"x", "orders-api"},
				IssuedAt:  josejwt.NewNumericDate(testNow.Add(-time.Minute)),
				NotBefore: josejwt.NewNumericDate(testNow.Add(-time.Minute)),
				Expiry:    josejwt.NewNumericDate(testNow.Add(time.Hour)),
			}
			extra := map[string]any{"scope": "orders:read orders:write", "realm_access": map[string]any{"roles": []string{"customer"}}}
			raw, err := josejwt.Signed(joseSigner(t, alg)).Claims(cl).Claims(extra).Serialize()
			if err != nil {
				t.Fatal(err)
			}
			tok, err := verifyBoth(t, v, raw, testNow)
			if err != nil {
				t.Fatalf("Verify(go-jose %s token): %v", alg, err)
			}
			if tok.Claims.Lookup([]string{"realm_access", "roles"}) == nil || tok.Claims.Get("scope").Str != "orders:read orders:write" {
				t.Fatalf("claims not read: %+v", tok.Claims)
			}
			// And go-jose agrees on our own tokens.
			mine := valid(t, alg)
			if !joseVerifies(t, mine, alg) {
				t.Fatalf("go-jose refuses a token this package signs and accepts")
			}
			if joseVerifies(t, flipSig(t, mine), alg) {
				t.Fatalf("go-jose accepts a tampered token")
			}
		})
	}
}

// joseVerifies reports whether go-jose verifies token (compact form, alg
// allowed) under any of the public or HMAC test keys.
func joseVerifies(t testing.TB, token, alg string) bool {
	joseAlg := jose.SignatureAlgorithm(alg)
	if alg == "Ed25519" {
		joseAlg = jose.EdDSA
	}
	obj, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{joseAlg})
	if err != nil {
		return false
	}
	ks := testKeys(t)
	for _, k := range []any{&ks.rsa2048.PublicKey, &ks.rsa3072.PublicKey, &ks.ec["P-256"].PublicKey, &ks.ec["P-384"].PublicKey,
		&ks.ec["P-521"].PublicKey, ks.ed.Public(), ks.hmac32, ks.hmac64} {
		if _, err := obj.Verify(k); err == nil {
			return true
		}
	}
	return false
}
