package e2e

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"hash"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
)

// JWT verification (step 9, docs/responses.md "Guarantees" on tokens): every
// algorithm, the attacks of docs/internals/security.md §1, strict signatures and
// encodings, oversize tokens, and the verified-token cache.

// tokenConfig has one JWT provider with every asymmetric algorithm, one
// with HMAC, and a route for each.
func tokenConfig(t testing.TB) string {
	return `{
  "providers": {
    "idp": {"issuer": "` + idpIssuer + `", "audiences": ["other-api", "` + audience + `"],
            "algorithms": ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"],
            "jwks": ` + jwksOf(t, "rsa-a", "ec256", "ec384", "ec521", "ed") + `,
            "clock_skew_seconds": 30, "max_lifetime_seconds": 86400},
    "hmac": {"issuer": "` + hmacIssuer + `", "audiences": ["` + audience + `"],
             "algorithms": ["HS256", "HS384", "HS512"], "jwks": ` + jwksOf(t, "hs") + `},
    "lax": {"issuer": "https://lax.example.com/", "audiences": ["` + audience + `"], "algorithms": ["ES256"],
            "jwks": ` + jwksOf(t, "ec256") + `, "require_expiration": false}
  },
  "routes": [
    {"name": "t", "match": {"prefix": "/t"}, "auth": {"providers": ["idp"]}},
    {"name": "h", "match": {"prefix": "/h"}, "auth": {"providers": ["hmac"]}},
    {"name": "both", "match": {"prefix": "/both"}, "auth": {"providers": ["idp", "hmac", "lax"]}},
    {"name": "public", "match": {"prefix": "/public"}}
  ]
}`
}

// TestAuthnJWT_algorithms: a token of every algorithm, minted by go-jose, is
// accepted; the request reaches upstream without it.
func TestAuthnJWT_algorithms(t *testing.T) {
	now := host.DefaultStart
	var cases []exchange
	for _, c := range []struct{ kid, alg, path, iss string }{
		{"rsa-a", "RS256", "/t", idpIssuer}, {"rsa-a", "RS384", "/t", idpIssuer}, {"rsa-a", "RS512", "/t", idpIssuer},
		{"rsa-a", "PS256", "/t", idpIssuer}, {"rsa-a", "PS384", "/t", idpIssuer}, {"rsa-a", "PS512", "/t", idpIssuer},
		{"ec256", "ES256", "/t", idpIssuer}, {"ec384", "ES384", "/t", idpIssuer}, {"ec521", "ES512", "/t", idpIssuer},
		{"ed", "EdDSA", "/t", idpIssuer},
		{"hs", "HS256", "/h", hmacIssuer}, {"hs", "HS384", "/h", hmacIssuer}, {"hs", "HS512", "/h", hmacIssuer},
		// Any of several providers, chosen by issuer.
		{"ed", "EdDSA", "/both", idpIssuer}, {"hs", "HS256", "/both", hmacIssuer},
	} {
		tok := mint(t, c.kid, c.alg, claimsAt(now, c.iss, nil))
		cases = append(cases, exchange{name: c.alg + " on " + c.path, req: getWith(c.path, bearer(tok)), want: 200,
			upHeaders: map[string]string{"authorization": ""}})
	}
	eachSigPath(t, func(t *testing.T, g guest, p sigPath) {
		e := start(t, g, tokenConfig(t), p.opt)
		runTable(t, e, cases)
		// RS*, ES*; PS*, EdDSA, HS* (the EdDSA and HS256 tokens of /both
		// are the deterministic ones of /t and /h: cache hits).
		p.counted(t, e, 6, 7)
	})
}

// TestAuthnJWT_forgedTokensRefused is docs/internals/security.md §1 as table cases: each refused with
// 401, `error="invalid_token"`, the generic detail and its precise reason.
func TestAuthnJWT_forgedTokensRefused(t *testing.T) {
	now := host.DefaultStart
	valid := claimsAt(now, idpIssuer, nil)
	validJSON := mustJSON(t, valid)
	hdr := `{"alg":"RS256","typ":"JWT","kid":"rsa-a"}`
	good := craft(hdr, validJSON, rs256(t, "rsa-a"))
	goodParts := strings.Split(good, ".")
	evilKey, rsaKey := authKey(t, "rsa-evil"), authKey(t, "rsa-a")
	evilPub := evilKey.Public()
	evilJWK, _ := evilPub.MarshalJSON()
	rsaDER, _ := x509.MarshalPKIXPublicKey(rsaKey.Key.(*rsa.PrivateKey).Public())
	rsaPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaDER})
	expired := claimsAt(now, idpIssuer, map[string]any{"iat": now.Unix() - 7200, "exp": now.Unix() - 3600})
	sign := func(c map[string]any) string { return mint(t, "rsa-a", "RS256", c) }
	withClaims := func(extra map[string]any) string { return sign(claimsAt(now, idpIssuer, extra)) }
	rawClaims := func(payload string) string { return craft(hdr, payload, rs256(t, "rsa-a")) }
	withHeader := func(h string) string { return craft(h, validJSON, rs256(t, "rsa-a")) }
	flip := func(tok string) string { // last signature character changed
		b := []byte(tok)
		if b[len(b)-2] == 'A' {
			b[len(b)-2] = 'B'
		} else {
			b[len(b)-2] = 'A'
		}
		return string(b)
	}
	at := func(name, tok string, reason problem.Reason) exchange {
		return invalid(name, getWith("/t", bearer(tok)), reason)
	}
	cases := []exchange{
		{name: "control: valid token", req: getWith("/t", bearer(good)), want: 200},
		at("alg none", craft(`{"alg":"none","typ":"JWT"}`, validJSON, nil), problem.ReasonTokenAlgNotAllowed),
		at("alg None", craft(`{"alg":"None"}`, validJSON, nil), problem.ReasonTokenAlgNotAllowed),
		at("alg NONE with a garbage signature", craft(`{"alg":"NONE"}`, validJSON, func([]byte) []byte { return []byte("garbage") }), problem.ReasonTokenAlgNotAllowed),
		at("alg nOnE", craft(`{"alg":"nOnE"}`, validJSON, nil), problem.ReasonTokenAlgNotAllowed),
		at("stripped signature", goodParts[0]+"."+goodParts[1]+".", problem.ReasonTokenBadSignature),
		at("two parts", goodParts[0]+"."+goodParts[1], problem.ReasonTokenMalformed),
		at("extra empty part", good+".", problem.ReasonTokenMalformed),
		at("HS256 keyed with the RSA public key (PEM)", craft(`{"alg":"HS256","kid":"rsa-a"}`, validJSON, hs256(rsaPEM)), problem.ReasonTokenAlgNotAllowed),
		at("HS256 keyed with the RSA public key (JWK)", craft(`{"alg":"HS256"}`, validJSON, hs256([]byte(jwksOf(t, "rsa-a")))), problem.ReasonTokenAlgNotAllowed),
		at("embedded jwk with its kid", craft(`{"alg":"RS256","kid":"evil","jwk":`+string(evilJWK)+`}`, validJSON, rs256(t, "rsa-evil")), problem.ReasonTokenUnknownKey),
		at("embedded jwk without kid", craft(`{"alg":"RS256","jwk":`+string(evilJWK)+`}`, validJSON, rs256(t, "rsa-evil")), problem.ReasonTokenBadSignature),
		at("jku", craft(`{"alg":"RS256","jku":"http://127.0.0.1:9/jwks.json"}`, validJSON, rs256(t, "rsa-evil")), problem.ReasonTokenBadSignature),
		at("x5u", craft(`{"alg":"RS256","x5u":"http://127.0.0.1:9/cert.pem"}`, validJSON, rs256(t, "rsa-evil")), problem.ReasonTokenBadSignature),
		at("kid path traversal", craft(`{"alg":"RS256","kid":"../../../../dev/null"}`, validJSON, rs256(t, "rsa-evil")), problem.ReasonTokenUnknownKey),
		at("kid sql", craft(`{"alg":"RS256","kid":"x' UNION SELECT '1';--"}`, validJSON, rs256(t, "rsa-a")), problem.ReasonTokenUnknownKey),
		at("kid number", craft(`{"alg":"RS256","kid":7}`, validJSON, rs256(t, "rsa-a")), problem.ReasonTokenMalformed),
		at("crit exp", withHeader(`{"alg":"RS256","crit":["exp"],"exp":1}`), problem.ReasonTokenUnsupported),
		at("crit empty", withHeader(`{"alg":"RS256","crit":[]}`), problem.ReasonTokenUnsupported),
		at("b64 false", withHeader(`{"alg":"RS256","b64":false,"crit":["b64"]}`), problem.ReasonTokenUnsupported),
		at("ES256 DER signature", craft(`{"alg":"ES256","kid":"ec256"}`, validJSON, es256(t, true)), problem.ReasonTokenBadSignature),
		at("ES256 r=s=0", craft(`{"alg":"ES256","kid":"ec256"}`, validJSON, func([]byte) []byte { return make([]byte, 64) }), problem.ReasonTokenBadSignature),
		at("ES256 r=s=n", craft(`{"alg":"ES256","kid":"ec256"}`, validJSON, func([]byte) []byte {
			n := authKey(t, "ec256").Key.(*ecdsa.PrivateKey).Curve.Params().N
			out := make([]byte, 64)
			n.FillBytes(out[:32])
			n.FillBytes(out[32:])
			return out
		}), problem.ReasonTokenBadSignature),
		at("ES256 raw with a trailing zero", craft(`{"alg":"ES256","kid":"ec256"}`, validJSON, func(in []byte) []byte { return append(es256(t, false)(in), 0) }), problem.ReasonTokenBadSignature),
		at("duplicate alg in header", withHeader(`{"alg":"RS256","alg":"none"}`), problem.ReasonTokenMalformed),
		at("duplicate sub in claims", rawClaims(strings.Replace(validJSON, `{`, `{"sub":"admin",`, 1)), problem.ReasonTokenMalformed),
		at("header is an array", withHeader(`[]`), problem.ReasonTokenMalformed),
		at("alg is a number", withHeader(`{"alg":1}`), problem.ReasonTokenMalformed),
		at("exp as a string", withClaims(map[string]any{"exp": "9999999999"}), problem.ReasonTokenInvalidClaim),
		at("exp 1e400", rawClaims(strings.Replace(validJSON, `"exp":`+itoa(now.Unix()+3600), `"exp":1e400`, 1)), problem.ReasonTokenInvalidClaim),
		at("exp huge", rawClaims(strings.Replace(validJSON, `"exp":`+itoa(now.Unix()+3600), `"exp":99999999999999999999999`, 1)), problem.ReasonTokenInvalidClaim),
		at("exp true", withClaims(map[string]any{"exp": true}), problem.ReasonTokenInvalidClaim),
		at("exp missing", withClaims(map[string]any{"exp": nil}), problem.ReasonTokenMissingExpiration),
		at("expired", sign(expired), problem.ReasonTokenExpired),
		at("expired and badly signed", flip(sign(expired)), problem.ReasonTokenBadSignature),
		at("not yet valid", withClaims(map[string]any{"nbf": now.Unix() + 120}), problem.ReasonTokenNotYetValid),
		at("issued in the future", withClaims(map[string]any{"iat": now.Unix() + 120}), problem.ReasonTokenIssuedInFuture),
		at("lifetime over max_lifetime_seconds", withClaims(map[string]any{"exp": now.Unix() + 2*86400}), problem.ReasonTokenLifetimeExceeded),
		at("aud other", withClaims(map[string]any{"aud": "nope"}), problem.ReasonTokenWrongAudience),
		at("aud missing", withClaims(map[string]any{"aud": nil}), problem.ReasonTokenWrongAudience),
		at("aud empty array", withClaims(map[string]any{"aud": []any{}}), problem.ReasonTokenInvalidClaim),
		at("aud numbers", withClaims(map[string]any{"aud": []any{1}}), problem.ReasonTokenInvalidClaim),
		at("aud nested", withClaims(map[string]any{"aud": []any{[]any{audience}}}), problem.ReasonTokenInvalidClaim),
		at("iss foreign", withClaims(map[string]any{"iss": "https://evil.example.com/"}), problem.ReasonTokenWrongIssuer),
		at("iss number", withClaims(map[string]any{"iss": 123}), problem.ReasonTokenWrongIssuer),
		at("badly signed", flip(good), problem.ReasonTokenBadSignature),
		at("signed by another key", craft(hdr, validJSON, rs256(t, "rsa-evil")), problem.ReasonTokenBadSignature),
		at("padding", good+"=", problem.ReasonTokenMalformed),
		at("space inside", goodParts[0]+" ."+goodParts[1]+"."+goodParts[2], problem.ReasonTokenMalformed),
		at("standard base64 characters", strings.Replace(good, "-", "+", 1)+"+/", problem.ReasonTokenMalformed),
		at("too long", good+strings.Repeat("A", 9000), problem.ReasonTokenTooLarge),
		at("many dots", strings.Repeat(".", 5000), problem.ReasonTokenMalformed),
		at("JWE (five parts)", b64(`{"alg":"RSA-OAEP","enc":"A256GCM"}`)+".a.b.c.d", problem.ReasonTokenMalformed),
		at("JWE header in three parts", withHeader(`{"alg":"RS256","enc":"A256GCM"}`), problem.ReasonTokenUnsupported),
		at("JSON serialization", `{"payload":"`+goodParts[1]+`","signatures":[]}`, problem.ReasonTokenMalformed),
		at("nested JWT payload", craft(`{"alg":"RS256","cty":"JWT"}`, good, rs256(t, "rsa-a")), problem.ReasonTokenMalformed),
	}
	cases = append(cases,
		exchange{name: "within clock skew", req: getWith("/t", bearer(withClaims(map[string]any{"exp": now.Unix() - 10}))), want: 200},
		exchange{name: "aud array naming one audience", req: getWith("/t", bearer(withClaims(map[string]any{"aud": []any{"x", audience}}))), want: 200},
		exchange{name: "exp with a fraction", req: getWith("/t", bearer(rawClaims(strings.Replace(validJSON, `"exp":`+itoa(now.Unix()+3600), `"exp":`+itoa(now.Unix()+3600)+`.5`, 1)))), want: 200},
		exchange{name: "no exp where not required", req: getWith("/both", bearer(mint(t, "ec256", "ES256", claimsAt(now, "https://lax.example.com/", map[string]any{"exp": nil})))), want: 200},
		invalid("HS256 token on the RSA-only route", getWith("/t", bearer(mint(t, "hs", "HS256", claimsAt(now, idpIssuer, nil)))), problem.ReasonTokenAlgNotAllowed),
		invalid("token of a provider the route does not list", getWith("/t", bearer(mint(t, "ec256", "ES256", claimsAt(now, "https://lax.example.com/", nil)))), problem.ReasonTokenWrongIssuer),
		invalid("issuer no provider of the route trusts", getWith("/both", bearer(mint(t, "ed", "EdDSA", claimsAt(now, "https://evil.example.com/", nil)))), problem.ReasonTokenWrongIssuer),
		invalid("malformed on a route of several providers", getWith("/both", bearer("not-a-token")), problem.ReasonTokenMalformed),
	)
	eachSigPath(t, func(t *testing.T, g guest, p sigPath) {
		calls := 0
		e := start(t, g, tokenConfig(t), p.opt, func(c *host.Config) {
			c.Clusters = map[string]host.Cluster{"attacker": {HTTP: func(host.HTTPRequest) (host.HTTPResponse, error) {
				calls++
				return host.HTTPResponse{}, nil
			}}}
		})
		runTable(t, e, cases)
		if calls != 0 {
			t.Errorf("the filter made %d outbound calls for header-named keys", calls)
		}
		// Never a token in a log line.
		for _, l := range e.Logs() {
			if strings.Contains(l.Msg, goodParts[2]) || strings.Contains(l.Msg, goodParts[1]) {
				t.Errorf("a log line holds token material: %s", l.Msg)
			}
		}
		if got := metric(t, e, "apiguard.denied.token_bad_signature"); got < 5 {
			t.Errorf("denied.token_bad_signature = %d", got)
		}
		p.counted(t, e, 5, 0) // the five accepted tokens are RS256 and ES256
	})
}

// TestAuthnJWT_verifiedCache: a repeated token is served from the cache, which
// never outlives the token's exp.
func TestAuthnJWT_verifiedCache(t *testing.T) {
	now := host.DefaultStart
	tok := mint(t, "ec256", "ES256", claimsAt(now, idpIssuer, map[string]any{"exp": now.Unix() + 120}))
	conf := `{"providers": {"idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["ES256"],
               "jwks": ` + jwksOf(t, "ec256") + `, "clock_skew_seconds": 0}},
              "routes": [{"name": "a", "match": {"prefix": "/a"}, "auth": {"providers": ["idp"]}}]}`
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, conf)
		vm := e.Worker(0)
		for range 3 {
			r := roundTrip(vm, exchange{req: getWith("/a", bearer(tok))})
			if r.Downstream.Status != 200 || r.Downstream.Header("cache-control") != "no-store" {
				t.Fatalf("status %d cache-control %q", r.Downstream.Status, r.Downstream.Header("cache-control"))
			}
		}
		if got := metric(t, e, "apiguard.auth.cache_hit"); got != 2 {
			t.Errorf("cache_hit = %d, want 2", got)
		}
		e.Advance(120 * time.Second)
		check(t, e, invalid("expired while cached", getWith("/a", bearer(tok)), problem.ReasonTokenExpired),
			roundTrip(vm, exchange{req: getWith("/a", bearer(tok))}))
	})
}

// TestAuthnJWT_cacheKeyedByProvider: docs/responses.md Guarantees, "the
// verified-token cache is keyed by provider": a token verified (and
// cached) by one provider gains nothing from the cache at another provider
// of the same issuer and keys but other audiences.
func TestAuthnJWT_cacheKeyedByProvider(t *testing.T) {
	now := host.DefaultStart
	conf := `{
  "providers": {
    "a": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["ES256"], "jwks": ` + jwksOf(t, "ec256") + `},
    "b": {"issuer": "` + idpIssuer + `", "audiences": ["billing-api"], "algorithms": ["ES256"], "jwks": ` + jwksOf(t, "ec256") + `}
  },
  "routes": [{"name": "a", "match": {"prefix": "/a"}, "auth": {"providers": ["a"]}},
             {"name": "b", "match": {"prefix": "/b"}, "auth": {"providers": ["b"]}}]
}`
	tok := bearer(mint(t, "ec256", "ES256", claimsAt(now, idpIssuer, nil)))
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, conf)
		runTable(t, e, []exchange{
			{name: "provider a verifies and caches", req: getWith("/a", tok), want: 200},
			{name: "provider a from the cache", req: getWith("/a", tok), want: 200},
			invalid("provider b is not served a's cache entry", getWith("/b", tok), problem.ReasonTokenWrongAudience),
			invalid("nor the second time", getWith("/b", tok), problem.ReasonTokenWrongAudience),
		})
		if got := metric(t, e, "apiguard.auth.cache_hit"); got != 1 {
			t.Errorf("cache_hit = %d, want 1", got)
		}
	})
}

// TestAuthnJWT_oversizeTokenRefused: docs/responses.md Guarantees, "tokens over
// 8 KiB are refused unread": a correctly signed token of 9 KiB is refused
// on a token-only route and on a route where the same header may also
// carry an API key.
func TestAuthnJWT_oversizeTokenRefused(t *testing.T) {
	now := host.DefaultStart
	big := mint(t, "ed", "EdDSA", claimsAt(now, idpIssuer, map[string]any{"pad": strings.Repeat("p", 9<<10)}))
	if len(big) <= 8<<10 {
		t.Fatalf("token of %d bytes", len(big))
	}
	small := mint(t, "ed", "EdDSA", claimsAt(now, idpIssuer, nil))
	sum := sha256.Sum256([]byte("a-key"))
	conf := `{
  "providers": {
    "idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["EdDSA"], "jwks": ` + jwksOf(t, "ed") + `},
    "keys": {"api_keys": {"keys": [{"id": "k", "sha256": "` + hex.EncodeToString(sum[:]) + `"}]}}
  },
  "routes": [{"name": "t", "match": {"prefix": "/t"}, "auth": {"providers": ["idp"]}},
             {"name": "mixed", "match": {"prefix": "/mixed"}, "auth": {"providers": ["idp", "keys"]}}]
}`
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, conf)
		runTable(t, e, []exchange{
			{name: "control: small token", req: getWith("/t", bearer(small)), want: 200},
			{name: "control: small token on the mixed route", req: getWith("/mixed", bearer(small)), want: 200},
			invalid("9 KiB signed token", getWith("/t", bearer(big)), problem.ReasonTokenTooLarge),
			{name: "9 KiB signed token on the mixed route", req: getWith("/mixed", bearer(big)), want: 401, headers: chInvalid},
		})
	})
}

// TestAuthnJWT_signatureStrictness: docs/responses.md Guarantees through the whole
// filter: a PS256 signature whose PSS salt is not the hash size, a
// signature whose base64url has non-canonical trailing bits, and an HMAC
// key shorter than the hash of the algorithm asked for are all refused,
// beside controls that pass.
func TestAuthnJWT_signatureStrictness(t *testing.T) {
	now := host.DefaultStart
	valid := mustJSON(t, claimsAt(now, idpIssuer, nil))
	pss := func(salt int) func([]byte) []byte {
		key := authKey(t, "rsa-a").Key.(*rsa.PrivateKey)
		return func(in []byte) []byte {
			d := sha256.Sum256(in)
			sig, err := rsa.SignPSS(rand.Reader, key, crypto.SHA256, d[:], &rsa.PSSOptions{SaltLength: salt})
			if err != nil {
				t.Fatal(err)
			}
			return sig
		}
	}
	// The EdDSA signature is 64 bytes: its 86 base64url characters carry
	// 4 bits that must be zero.
	ed := mint(t, "ed", "EdDSA", claimsAt(now, idpIssuer, nil))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, ed[len(ed)-1])
	if last&0xF != 0 {
		t.Fatalf("signature's last character %q has trailing bits set", ed[len(ed)-1])
	}
	nonCanonical := ed[:len(ed)-1] + string(alphabet[last|1])
	secret := make([]byte, 32)
	for i := range secret {
		secret[i] = byte(i + 1)
	}
	hmacWith := func(alg string) string {
		h := map[string]func() hash.Hash{"HS256": sha256.New, "HS512": sha512.New}[alg]
		return craft(`{"alg":"`+alg+`","typ":"JWT"}`, mustJSON(t, claimsAt(now, hmacIssuer, nil)), func(in []byte) []byte {
			m := hmac.New(h, secret)
			m.Write(in)
			return m.Sum(nil)
		})
	}
	conf := `{
  "providers": {
    "idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["PS256", "EdDSA"],
            "jwks": ` + jwksOf(t, "rsa-a", "ed") + `},
    "hs": {"issuer": "` + hmacIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["HS256", "HS512"],
           "jwks": {"keys": [{"kty": "oct", "k": "` + base64.RawURLEncoding.EncodeToString(secret) + `"}]}}
  },
  "routes": [{"name": "t", "match": {"prefix": "/t"}, "auth": {"providers": ["idp"]}},
             {"name": "h", "match": {"prefix": "/h"}, "auth": {"providers": ["hs"]}}]
}`
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, conf)
		runTable(t, e, []exchange{
			{name: "PS256 with the hash-size salt", req: getWith("/t", bearer(craft(`{"alg":"PS256","kid":"rsa-a"}`, valid, pss(32)))), want: 200},
			invalid("PS256 with salt 0", getWith("/t", bearer(craft(`{"alg":"PS256","kid":"rsa-a"}`, valid, pss(0)))), problem.ReasonTokenBadSignature),
			invalid("PS256 with salt 20", getWith("/t", bearer(craft(`{"alg":"PS256","kid":"rsa-a"}`, valid, pss(20)))), problem.ReasonTokenBadSignature),
			{name: "EdDSA canonical", req: getWith("/t", bearer(ed)), want: 200},
			invalid("EdDSA with non-canonical trailing bits", getWith("/t", bearer(nonCanonical)), problem.ReasonTokenMalformed),
			{name: "HS256 with a 32-byte key", req: getWith("/h", bearer(hmacWith("HS256"))), want: 200},
			{name: "HS512 with a 32-byte key is refused", req: getWith("/h", bearer(hmacWith("HS512"))), want: 401, headers: chInvalid},
		})
	})
}

// TestAuthnJWT_issuerExact: on a route of one JWT provider the verifier's
// comparison is the only issuer check, so the token's iss must equal the
// provider's issuer byte for byte: another tenant under the configured
// issuer, a prefix, a suffix, another letter case or another trailing
// slash is refused as token_wrong_issuer; on a route of several providers
// a token whose issuer extends one of theirs is refused too.
func TestAuthnJWT_issuerExact(t *testing.T) {
	now := host.DefaultStart
	config := `{
  "providers": {
    "idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["ES256"],
            "jwks": ` + jwksOf(t, "ec256") + `},
    "tenant-a": {"issuer": "https://tenants.example.com/tenant-a", "audiences": ["` + audience + `"], "algorithms": ["ES256"],
                 "jwks": ` + jwksOf(t, "ec256") + `},
    "other": {"issuer": "https://other.example.com/", "audiences": ["` + audience + `"], "algorithms": ["ES256"],
              "jwks": ` + jwksOf(t, "ec256") + `}
  },
  "routes": [
    {"name": "one", "match": {"prefix": "/one"}, "auth": {"providers": ["idp"]}},
    {"name": "tenant", "match": {"prefix": "/tenant"}, "auth": {"providers": ["tenant-a"]}},
    {"name": "several", "match": {"prefix": "/several"}, "auth": {"providers": ["tenant-a", "other"]}}
  ]
}`
	tok := func(iss string) host.Request {
		return host.Request{Headers: bearer(mint(t, "ec256", "ES256", claimsAt(now, iss, nil)))}
	}
	on := func(path string, r host.Request) host.Request { r.Path = path; return r }
	cases := []exchange{
		{name: "control: the issuer", req: on("/one", tok(idpIssuer)), want: 200},
		{name: "control: the tenant's issuer", req: on("/tenant", tok("https://tenants.example.com/tenant-a")), want: 200},
		{name: "control: several providers", req: on("/several", tok("https://tenants.example.com/tenant-a")), want: 200},
		invalid("another tenant under the issuer", on("/one", tok("https://idp.example.com/tenant-b")), problem.ReasonTokenWrongIssuer),
		invalid("without the trailing slash", on("/one", tok("https://idp.example.com")), problem.ReasonTokenWrongIssuer),
		invalid("with a second slash", on("/one", tok("https://idp.example.com//")), problem.ReasonTokenWrongIssuer),
		invalid("host in upper case", on("/one", tok("https://IDP.example.com/")), problem.ReasonTokenWrongIssuer),
		invalid("scheme in upper case", on("/one", tok("HTTPS://idp.example.com/")), problem.ReasonTokenWrongIssuer),
		invalid("a suffix of the issuer", on("/one", tok("idp.example.com/")), problem.ReasonTokenWrongIssuer),
		invalid("a longer tenant", on("/tenant", tok("https://tenants.example.com/tenant-ab")), problem.ReasonTokenWrongIssuer),
		invalid("a shorter tenant", on("/tenant", tok("https://tenants.example.com/tenant-")), problem.ReasonTokenWrongIssuer),
		invalid("the tenant with a trailing slash", on("/tenant", tok("https://tenants.example.com/tenant-a/")), problem.ReasonTokenWrongIssuer),
		invalid("the tenant in another case", on("/tenant", tok("https://tenants.example.com/Tenant-A")), problem.ReasonTokenWrongIssuer),
		invalid("several providers: a longer tenant", on("/several", tok("https://tenants.example.com/tenant-ab")), problem.ReasonTokenWrongIssuer),
		invalid("several providers: another case", on("/several", tok("https://OTHER.example.com/")), problem.ReasonTokenWrongIssuer),
	}
	each(t, func(t *testing.T, g guest) {
		runTable(t, start(t, g, config), cases)
	})
}

// TestAuthnJWT_hmacTagTruncated: an HS256/384/512 token verifies only with its
// whole tag; a truncated one (a prefix of the real MAC, forgeable byte by
// byte) or a longer one is refused as token_bad_signature.
func TestAuthnJWT_hmacTagTruncated(t *testing.T) {
	now := host.DefaultStart
	var cases []exchange
	for _, alg := range []string{"HS256", "HS384", "HS512"} {
		good := mint(t, "hs", alg, claimsAt(now, hmacIssuer, nil))
		i := strings.LastIndexByte(good, '.')
		tag, err := base64.RawURLEncoding.DecodeString(good[i+1:])
		if err != nil {
			t.Fatal(err)
		}
		with := func(sig []byte) host.Request {
			return getWith("/h", bearer(good[:i+1]+base64.RawURLEncoding.EncodeToString(sig)))
		}
		cases = append(cases,
			exchange{name: alg + " control", req: getWith("/h", bearer(good)), want: 200},
			invalid(alg+" 16-byte tag", with(tag[:16]), problem.ReasonTokenBadSignature),
			invalid(alg+" one byte short", with(tag[:len(tag)-1]), problem.ReasonTokenBadSignature),
			invalid(alg+" one byte long", with(append(append([]byte(nil), tag...), 0)), problem.ReasonTokenBadSignature),
		)
	}
	each(t, func(t *testing.T, g guest) {
		runTable(t, start(t, g, tokenConfig(t)), cases)
	})
}
