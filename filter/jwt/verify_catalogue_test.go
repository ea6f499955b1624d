package jwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"
)

type verifyCase struct {
	name  string
	token string
	v     *Verifier // nil: publicVerifier
	now   time.Time // zero: testNow
	want  string    // Reason; "" = accepted
}

func runVerifyCases(t *testing.T, cases []verifyCase) {
	t.Helper()
	pub := publicVerifier(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, now := c.v, c.now
			if v == nil {
				v = pub
			}
			if now.IsZero() {
				now = testNow
			}
			tok, err := verifyBoth(t, v, c.token, now)
			if got := ReasonOf(err); got != c.want {
				t.Fatalf("reason = %q (err %v), want %q", got, err, c.want)
			}
			if (tok != nil) != (c.want == "") {
				t.Fatalf("token = %v with reason %q", tok, ReasonOf(err))
			}
			if err != nil && strings.Contains(err.Error(), c.token) && c.token != "" {
				t.Fatalf("error quotes the token: %v", err)
			}
		})
	}
}

// TestVerify_catalogue runs the docs/internals/security.md §1 attack catalogue.
func TestVerify_catalogue(t *testing.T) { runVerifyCases(t, catalogue(t)) }

// catalogue builds the attack catalogue cases (also FuzzVerify_acceptsOnlyValidTokens's seeds).
func catalogue(t testing.TB) []verifyCase {
	ks := testKeys(t)
	ec := ks.ec["P-256"]
	es256 := func(hdr, payload string) string { return sign(t, "ES256", ec, hdr, payload) }
	good := valid(t, "ES256")
	goodSig := unb64(t, good[strings.LastIndexByte(good, '.')+1:])
	h64 := good[:strings.IndexByte(good, '.')]
	noneAllowed := testConfig()
	noneAllowed.Algorithms = append([]string{"none", "None", "NONE"}, noneAllowed.Algorithms...)
	vNone := NewVerifier(noneAllowed, publicVerifier(t).Keys())

	// RS->HS key confusion: HS256 and RS256 both allowed (CVE-2026-48526's
	// setting), HMAC secret = some encoding of the public key.
	mixed := testConfig()
	mixed.Algorithms = []string{"RS256", "HS256"}
	vMixed := NewVerifier(mixed, publicVerifier(t).Keys())
	der, err := x509.MarshalPKIXPublicKey(&ks.rsa2048.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	rsaJWK, _ := json.Marshal(jwkOf(&ks.rsa2048.PublicKey, "rsa", ""))
	ecDER, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)

	attacker, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	attackerJWK, _ := json.Marshal(jwkOf(&attacker.PublicKey, "ec256", "ES256"))

	n := elliptic.P256().Params().N.FillBytes(make([]byte, 32))
	p := elliptic.P256().Params().P.FillBytes(make([]byte, 32))
	one := big.NewInt(1).FillBytes(make([]byte, 32))
	zero := make([]byte, 32)
	cat := func(a, b []byte) []byte { return append(append([]byte{}, a...), b...) }
	r, s := new(big.Int).SetBytes(goodSig[:32]), new(big.Int).SetBytes(goodSig[32:])
	derSig, _ := asn1.Marshal(struct{ R, S *big.Int }{r, s})

	noExp := testConfig()
	noExp.RequireExpiration, noExp.MaxLifetime = false, 0
	vNoExp := NewVerifier(noExp, publicVerifier(t).Keys())
	psInput := b64s([]byte(header("PS256", "rsa"))) + "." + b64s([]byte(claims()))
	now := testNow.Unix()
	at := func(d int64) string { return strconv.FormatInt(now+d, 10) }

	cases := []verifyCase{
		// alg none and its spellings, even if configuration lists them.
		{name: "none/empty sig", token: compact(`{"alg":"none"}`, claims(), nil), want: ReasonAlgNotAllowed},
		{name: "none/garbage sig", token: compact(`{"alg":"none"}`, claims(), []byte("garbage")), want: ReasonAlgNotAllowed},
		{name: "None", token: compact(`{"alg":"None"}`, claims(), nil), want: ReasonAlgNotAllowed},
		{name: "NONE", token: compact(`{"alg":"NONE"}`, claims(), nil), want: ReasonAlgNotAllowed},
		{name: "nOnE", token: compact(`{"alg":"nOnE"}`, claims(), nil), want: ReasonAlgNotAllowed},
		{name: "none configured", token: compact(`{"alg":"none"}`, claims(), nil), v: vNone, want: ReasonAlgNotAllowed},
		{name: "alg lower case rs256", token: sign(t, "RS256", ks.rsa2048, header("rs256", "rsa"), claims()), want: ReasonAlgNotAllowed},
		{name: "HS256 not configured", token: hs256(ks.hmac32, header("HS256", ""), claims()), want: ReasonAlgNotAllowed},

		// stripped signature
		{name: "stripped signature", token: good[:strings.LastIndexByte(good, '.')+1], want: ReasonBadSignature},
		{name: "signature and dot stripped", token: good[:strings.LastIndexByte(good, '.')], want: ReasonMalformed},

		// RS/ES -> HS confusion with the public key bytes as HMAC secret.
		{name: "HS256 with RSA n", token: hs256(ks.rsa2048.N.Bytes(), header("HS256", "rsa"), claims()), v: vMixed, want: ReasonUnknownKey},
		{name: "HS256 with RSA DER", token: hs256(der, header("HS256", "rsa"), claims()), v: vMixed, want: ReasonUnknownKey},
		{name: "HS256 with RSA PEM", token: hs256(pemBytes, header("HS256", "rsa"), claims()), v: vMixed, want: ReasonUnknownKey},
		{name: "HS256 with RSA JWK", token: hs256(rsaJWK, header("HS256", "rsa"), claims()), v: vMixed, want: ReasonUnknownKey},
		{name: "HS256 with JWKS text no kid", token: hs256([]byte(ks.publicJWKS), header("HS256", ""), claims()), v: vMixed, want: ReasonUnknownKey},
		{name: "HS256 with EC DER", token: hs256(ecDER, header("HS256", "ec256"), claims()), v: vMixed, want: ReasonUnknownKey},

		// Embedded key: signed by the attacker, jwk names the attacker's key.
		{name: "embedded jwk attacker", token: sign(t, "ES256", attacker, header("ES256", "ec256", `"jwk":`+string(attackerJWK)), claims()), want: ReasonBadSignature},
		{name: "embedded jwk attacker no kid", token: sign(t, "ES256", attacker, header("ES256", "", `"jwk":`+string(attackerJWK)), claims()), want: ReasonBadSignature},
		{name: "embedded jwk ignored on a good token", token: es256(header("ES256", "ec256", `"jwk":`+string(attackerJWK)), claims()), want: ""},
		{name: "x5c attacker", token: sign(t, "ES256", attacker, header("ES256", "ec256", `"x5c":["MIIB"]`), claims()), want: ReasonBadSignature},

		// kid injection: unknown kids refuse, never look anything up.
		{name: "kid path traversal HMAC", token: hs256(nil, header("HS256", "../../../../../../dev/null"), claims()), v: hmacVerifier(t), want: ReasonUnknownKey},
		{name: "kid /dev/null", token: hs256(nil, header("HS256", "/dev/null"), claims()), v: hmacVerifier(t), want: ReasonUnknownKey},
		{name: "kid shell", token: es256(header("ES256", "|sleep 10"), claims()), want: ReasonUnknownKey},
		{name: "kid sql", token: es256(header("ES256", "x' UNION SELECT '1';--"), claims()), want: ReasonUnknownKey},
		{name: "kid NUL", token: es256(`{"alg":"ES256","kid":"ec256\u0000"}`, claims()), want: ReasonUnknownKey},
		{name: "kid CRLF", token: es256(header("ES256", "ec256\r\n"), claims()), want: ReasonUnknownKey},
		{name: "kid long", token: es256(header("ES256", strings.Repeat("k", 5000)), claims()), want: ReasonUnknownKey},
		{name: "kid number", token: es256(`{"alg":"ES256","kid":1}`, claims()), want: ReasonMalformed},
		{name: "kid object", token: es256(`{"alg":"ES256","kid":{"a":"ec256"}}`, claims()), want: ReasonMalformed},
		{name: "kid null", token: es256(`{"alg":"ES256","kid":null}`, claims()), want: ReasonMalformed},
		{name: "kid of another key type", token: es256(header("ES256", "rsa"), claims()), want: ReasonUnknownKey},

		// crit: nothing is understood, so any crit refuses.
		{name: "crit exp", token: es256(header("ES256", "ec256", `"crit":["exp"]`, `"exp":1`), claims()), want: ReasonUnsupported},
		{name: "crit unknown", token: es256(header("ES256", "ec256", `"crit":["x-unknown"]`, `"x-unknown":1`), claims()), want: ReasonUnsupported},
		{name: "crit empty", token: es256(header("ES256", "ec256", `"crit":[]`), claims()), want: ReasonUnsupported},
		{name: "crit string", token: es256(header("ES256", "ec256", `"crit":"str"`), claims()), want: ReasonUnsupported},
		{name: "crit absent param", token: es256(header("ES256", "ec256", `"crit":["foo"]`), claims()), want: ReasonUnsupported},
		{name: "b64 false", token: es256(header("ES256", "ec256", `"b64":false`, `"crit":["b64"]`), claims()), want: ReasonUnsupported},
		{name: "b64 false no crit", token: es256(header("ES256", "ec256", `"b64":false`), claims()), want: ReasonUnsupported},
		{name: "b64 true", token: es256(header("ES256", "ec256", `"b64":true`), claims()), want: ReasonUnsupported},

		// Psychic signatures and other ECDSA encodings.
		{name: "ES256 r=s=0", token: withSig(good, cat(zero, zero)), want: ReasonBadSignature},
		{name: "ES256 r=0 s=1", token: withSig(good, cat(zero, one)), want: ReasonBadSignature},
		{name: "ES256 r=1 s=0", token: withSig(good, cat(one, zero)), want: ReasonBadSignature},
		{name: "ES256 r=s=n", token: withSig(good, cat(n, n)), want: ReasonBadSignature},
		{name: "ES256 r=p s=1", token: withSig(good, cat(p, one)), want: ReasonBadSignature},
		{name: "ES256 DER", token: withSig(good, derSig), want: ReasonBadSignature},
		{name: "ES256 trailing zero", token: withSig(good, append(append([]byte{}, goodSig...), 0)), want: ReasonBadSignature},
		{name: "ES256 65 bytes leading zero", token: withSig(good, append([]byte{0}, goodSig...)), want: ReasonBadSignature},
		{name: "ES256 128 bytes", token: withSig(good, cat(goodSig, goodSig)), want: ReasonBadSignature},
		{name: "ES256 63 bytes", token: withSig(good, goodSig[1:]), want: ReasonBadSignature},
		{name: "ES256 valid control", token: withSig(good, goodSig), want: ""},

		// Wrong curve / wrong key type for the algorithm.
		{name: "ES384 with kid of P-256 key", token: sign(t, "ES384", ks.ec["P-384"], header("ES384", "ec256"), claims()), want: ReasonUnknownKey},
		{name: "ES512 signed by P-256 key", token: sign(t, "ES256", ec, header("ES512", "ec521"), claims()), want: ReasonBadSignature},
		{name: "ES256 token with kid of ES512 key", token: sign(t, "ES256", ks.ec["P-521"], header("ES256", "ec521"), claims()), want: ReasonUnknownKey},
		{name: "EdDSA with RSA kid", token: sign(t, "EdDSA", ks.ed, header("EdDSA", "rsa"), claims()), want: ReasonUnknownKey},

		// PSS salt and cross-algorithm.
		{name: "PS256 salt 0", token: pssToken(t, ks.rsa3072, "rsa-ps256", 0), want: ReasonBadSignature},
		{name: "PS256 salt 20", token: pssToken(t, ks.rsa3072, "rsa-ps256", 20), want: ReasonBadSignature},
		{name: "PS256 salt 32 control", token: pssToken(t, ks.rsa3072, "rsa-ps256", 32), want: ""},
		{name: "RS256 with key alg PS256", token: sign(t, "RS256", ks.rsa3072, header("RS256", "rsa-ps256"), claims()), want: ReasonUnknownKey},
		{name: "PS384 with key alg PS256", token: sign(t, "PS384", ks.rsa3072, header("PS384", "rsa-ps256"), claims()), want: ReasonUnknownKey},
		{name: "PS256 header PKCS1 signature", token: psInput + "." + b64s(rawSign(t, "RS256", ks.rsa2048, []byte(psInput))), want: ReasonBadSignature},
		{name: "RS384 header RS256 signature", token: withSig(valid(t, "RS384"), unb64(t, strings.Split(valid(t, "RS256"), ".")[2])), want: ReasonBadSignature},

		// base64url strictness.
		{name: "space in header", token: " " + good, want: ReasonMalformed},
		{name: "space in payload", token: strings.Replace(good, ".", ". ", 1), want: ReasonMalformed},
		{name: "newline in header", token: good[:4] + "\n" + good[4:], want: ReasonMalformed},
		{name: "CR LF in signature", token: good[:len(good)-4] + "\r\n" + good[len(good)-4:], want: ReasonMalformed},
		{name: "padding", token: h64 + "=." + good[len(h64)+1:], want: ReasonMalformed},
		{name: "padded signature", token: good + "==", want: ReasonMalformed},
		{name: "plus in header", token: good[:5] + "+" + good[6:], want: ReasonMalformed},
		{name: "slash in signature", token: good[:len(good)-5] + "/" + good[len(good)-4:], want: ReasonMalformed},
		{name: "question mark", token: good[:10] + "?" + good[10:], want: ReasonMalformed},
		{name: "hash mark", token: good + "#", want: ReasonMalformed},
		{name: "non-canonical trailing bits", token: nonCanonical(good), want: ReasonMalformed},
		{name: "length 1 mod 4", token: h64 + "A." + good[len(h64)+1:], want: ReasonMalformed},

		// JSON: whitespace and CRLF are fine, duplicates and non-objects are not.
		{name: "CRLF in header JSON", token: es256("{\"typ\":\"JWT\",\r\n \"alg\":\"ES256\",\"kid\":\"ec256\"}", claims()), want: ""},
		{name: "spaces in header JSON", token: es256(` { "alg" : "ES256" , "kid" : "ec256" } `, claims()), want: ""},
		{name: "duplicate alg", token: es256(`{"alg":"ES256","alg":"none","kid":"ec256"}`, claims()), want: ReasonMalformed},
		{name: "duplicate alg escaped", token: es256(`{"alg":"ES256","\u0061lg":"ES256","kid":"ec256"}`, claims()), want: ReasonMalformed},
		{name: "duplicate sub", token: es256(header("ES256", "ec256"), claims(`+sub="admin"`)), want: ReasonMalformed},
		{name: "duplicate exp", token: es256(header("ES256", "ec256"), claims(`+exp=9999999999`)), want: ReasonMalformed},
		{name: "duplicate nested", token: es256(header("ES256", "ec256"), claims(`realm={"roles":["a"],"roles":["admin"]}`)), want: ReasonMalformed},
		{name: "header array", token: es256(`[]`, claims()), want: ReasonMalformed},
		{name: "header string", token: es256(`"x"`, claims()), want: ReasonMalformed},
		{name: "header null", token: es256(`null`, claims()), want: ReasonMalformed},
		{name: "header alg number", token: es256(`{"alg":1}`, claims()), want: ReasonMalformed},
		{name: "header no alg", token: es256(`{"kid":"ec256"}`, claims()), want: ReasonMalformed},
		{name: "header invalid UTF-8", token: es256("{\"alg\":\"ES256\",\"kid\":\"ec256\",\"x\":\"\xff\"}", claims()), want: ReasonMalformed},
		{name: "header BOM", token: es256("\ufeff"+header("ES256", "ec256"), claims()), want: ReasonMalformed},
		{name: "header trailing data", token: es256(header("ES256", "ec256")+"{}", claims()), want: ReasonMalformed},
		{name: "header typ number", token: es256(header("ES256", "ec256", `"typ":1`), claims()), want: ReasonMalformed},
		{name: "claims array", token: es256(header("ES256", "ec256"), `["iss"]`), want: ReasonMalformed},
		{name: "claims string", token: es256(header("ES256", "ec256"), `"claims"`), want: ReasonMalformed},
		{name: "claims empty", token: es256(header("ES256", "ec256"), ``), want: ReasonMalformed},
		{name: "claims invalid UTF-8", token: es256(header("ES256", "ec256"), claims("name=\"\xc0\xaf\"")), want: ReasonMalformed},
		{name: "claims lone surrogate", token: es256(header("ES256", "ec256"), claims(`name="\ud800"`)), want: ReasonMalformed},
		{name: "nested JWT payload", token: es256(header("ES256", "ec256", `"cty":"JWT"`), good), want: ReasonMalformed},

		// NumericDate types and ranges.
		{name: "exp string", token: es256(header("ES256", "ec256"), claims(`exp="`+at(3600)+`"`)), want: ReasonInvalidClaim},
		{name: "exp decimal exponent", token: es256(header("ES256", "ec256"), claims(`exp=1.8000036e9`)), want: ""},
		{name: "exp decimal truncated", token: es256(header("ES256", "ec256"), claims(`exp=`+at(-60)+`.999`)), want: ReasonExpired},
		{name: "exp 1e400", token: es256(header("ES256", "ec256"), claims(`exp=1e400`)), want: ReasonInvalidClaim},
		{name: "exp huge integer", token: es256(header("ES256", "ec256"), claims(`exp=99999999999999999999999`)), want: ReasonInvalidClaim},
		{name: "exp 2.001e+206", token: es256(header("ES256", "ec256"), claims(`exp=2.001e+206`)), want: ReasonInvalidClaim},
		{name: "exp past year 9999", token: es256(header("ES256", "ec256"), claims(`exp=253402300800`)), v: vNoExp, want: ReasonInvalidClaim},
		{name: "exp -1", token: es256(header("ES256", "ec256"), claims(`exp=-1`)), want: ReasonInvalidClaim},
		{name: "exp 0", token: es256(header("ES256", "ec256"), claims(`exp=0`)), want: ReasonExpired},
		{name: "exp true", token: es256(header("ES256", "ec256"), claims(`exp=true`)), want: ReasonInvalidClaim},
		{name: "exp null", token: es256(header("ES256", "ec256"), claims(`exp=null`)), want: ReasonInvalidClaim},
		{name: "exp array", token: es256(header("ES256", "ec256"), claims(`exp=[`+at(3600)+`]`)), want: ReasonInvalidClaim},
		{name: "exp missing", token: es256(header("ES256", "ec256"), claims(`-exp`)), want: ReasonMissingExpiration},
		{name: "exp missing allowed", token: es256(header("ES256", "ec256"), claims(`-exp`)), v: vNoExp, want: ""},
		{name: "exp within skew", token: es256(header("ES256", "ec256"), claims(`exp=`+at(-59))), want: ""},
		{name: "exp at skew", token: es256(header("ES256", "ec256"), claims(`exp=`+at(-60))), want: ReasonExpired},
		{name: "nbf future", token: es256(header("ES256", "ec256"), claims(`nbf=`+at(61))), want: ReasonNotYetValid},
		{name: "nbf within skew", token: es256(header("ES256", "ec256"), claims(`nbf=`+at(60))), want: ""},
		{name: "nbf string", token: es256(header("ES256", "ec256"), claims(`nbf="0"`)), want: ReasonInvalidClaim},
		{name: "nbf int64 max", token: es256(header("ES256", "ec256"), claims(`nbf=9223372036854775807`)), want: ReasonInvalidClaim},
		{name: "iat future", token: es256(header("ES256", "ec256"), claims(`iat=`+at(61))), want: ReasonIssuedInFuture},
		{name: "iat within skew", token: es256(header("ES256", "ec256"), claims(`iat=`+at(60))), want: ""},
		{name: "iat decimals", token: es256(header("ES256", "ec256"), claims(`iat=`+at(-10)+`.25`)), want: ""},
		{name: "iat object", token: es256(header("ES256", "ec256"), claims(`iat={}`)), want: ReasonInvalidClaim},
		{name: "lifetime over 24h", token: es256(header("ES256", "ec256"), claims(`iat=`+at(-60), `exp=`+at(86400))), want: ReasonLifetimeExceeded},
		{name: "lifetime exactly 24h", token: es256(header("ES256", "ec256"), claims(`iat=`+at(-60), `exp=`+at(86340))), want: ""},
		{name: "lifetime from nbf", token: es256(header("ES256", "ec256"), claims(`-iat`, `nbf=`+at(-10), `exp=`+at(86391))), want: ReasonLifetimeExceeded},
		{name: "lifetime from now", token: es256(header("ES256", "ec256"), claims(`-iat`, `exp=`+at(86401))), want: ReasonLifetimeExceeded},

		// aud shapes.
		{name: "aud array match", token: es256(header("ES256", "ec256"), claims(`aud=["x","billing"]`)), want: ""},
		{name: "aud array no match", token: es256(header("ES256", "ec256"), claims(`aud=["x","y"]`)), want: ReasonWrongAudience},
		{name: "aud empty array", token: es256(header("ES256", "ec256"), claims(`aud=[]`)), want: ReasonInvalidClaim},
		{name: "aud number element", token: es256(header("ES256", "ec256"), claims(`aud=[1]`)), want: ReasonInvalidClaim},
		{name: "aud mixed elements", token: es256(header("ES256", "ec256"), claims(`aud=["orders-api",1]`)), want: ReasonInvalidClaim},
		{name: "aud nested array", token: es256(header("ES256", "ec256"), claims(`aud=[["orders-api"]]`)), want: ReasonInvalidClaim},
		{name: "aud null", token: es256(header("ES256", "ec256"), claims(`aud=null`)), want: ReasonInvalidClaim},
		{name: "aud empty string", token: es256(header("ES256", "ec256"), claims(`aud=""`)), want: ReasonWrongAudience},
		{name: "aud object", token: es256(header("ES256", "ec256"), claims(`aud={"0":"orders-api"}`)), want: ReasonInvalidClaim},
		{name: "aud number", token: es256(header("ES256", "ec256"), claims(`aud=1`)), want: ReasonInvalidClaim},
		{name: "aud missing", token: es256(header("ES256", "ec256"), claims(`-aud`)), want: ReasonWrongAudience},
		{name: "aud case differs", token: es256(header("ES256", "ec256"), claims(`aud="Orders-API"`)), want: ReasonWrongAudience},

		// iss types.
		{name: "iss number", token: es256(header("ES256", "ec256"), claims(`iss=123`)), want: ReasonWrongIssuer},
		{name: "iss array", token: es256(header("ES256", "ec256"), claims(`iss=["`+testIssuer+`"]`)), want: ReasonWrongIssuer},
		{name: "iss missing", token: es256(header("ES256", "ec256"), claims(`-iss`)), want: ReasonWrongIssuer},
		{name: "iss other", token: es256(header("ES256", "ec256"), claims(`iss="https://evil.example.com/"`)), want: ReasonWrongIssuer},
		// Issuer is checked before the algorithm (docs/order-of-checks.md's order).
		{name: "iss other, alg none", token: compact(`{"alg":"none"}`, claims(`iss="https://evil.example.com/"`), nil), want: ReasonWrongIssuer},
		{name: "iss without trailing slash", token: es256(header("ES256", "ec256"), claims(`iss="https://idp.example.com"`)), want: ReasonWrongIssuer},
		{name: "iss empty vs empty config", token: es256(header("ES256", "ec256"), claims(`iss=""`)), v: NewVerifier(Config{Audiences: []string{"orders-api"}, Algorithms: []string{"ES256"}}, publicVerifier(t).Keys()), want: ReasonWrongIssuer},

		// Error precedence: parse, issuer, key, signature, time, audience.
		{name: "expired and bad signature", token: flipSig(t, es256(header("ES256", "ec256"), claims(`exp=`+at(-3600)))), want: ReasonBadSignature},
		{name: "expired wrong aud bad signature", token: flipSig(t, es256(header("ES256", "ec256"), claims(`exp=`+at(-3600), `aud="x"`))), want: ReasonBadSignature},
		{name: "bad exp type and bad signature", token: flipSig(t, es256(header("ES256", "ec256"), claims(`exp="never"`))), want: ReasonBadSignature},
		{name: "not yet valid and bad signature", token: flipSig(t, es256(header("ES256", "ec256"), claims(`nbf=`+at(7200)))), want: ReasonBadSignature},
		{name: "wrong issuer before signature", token: flipSig(t, es256(header("ES256", "ec256"), claims(`iss="x"`))), want: ReasonWrongIssuer},
		{name: "unknown key before expiry", token: es256(header("ES256", "nope"), claims(`exp=`+at(-3600))), want: ReasonUnknownKey},
		{name: "expired before audience", token: es256(header("ES256", "ec256"), claims(`exp=`+at(-3600), `aud="x"`)), want: ReasonExpired},
		{name: "good signature expired", token: es256(header("ES256", "ec256"), claims(`exp=`+at(-3600))), want: ReasonExpired},

		// Size and shape.
		{name: "empty", token: "", want: ReasonMalformed},
		{name: "over 8 KiB", token: es256(header("ES256", "ec256"), claims(`pad="`+strings.Repeat("a", 6200)+`"`)), want: ReasonTooLarge},
		{name: "1 MB of dots", token: strings.Repeat(".", 1<<20), want: ReasonTooLarge},
		{name: "many dots", token: strings.Repeat(".", 100), want: ReasonMalformed},
		{name: "four parts", token: good + ".x", want: ReasonMalformed},
		{name: "JWE five parts", token: b64s([]byte(`{"alg":"RSA-OAEP","enc":"A256GCM"}`)) + ".a.b.c.d", want: ReasonMalformed},
		{name: "JWE header in three parts", token: es256(`{"alg":"RSA-OAEP","enc":"A256GCM"}`, claims()), want: ReasonUnsupported},
		{name: "JWE dir", token: es256(`{"alg":"dir","enc":"A128CBC-HS256","kid":"ec256"}`, claims()), want: ReasonUnsupported},
		{name: "zip", token: es256(header("ES256", "ec256", `"zip":"DEF"`), claims()), want: ReasonUnsupported},
		{name: "JSON serialization", token: `{"payload":"` + b64s([]byte(claims())) + `","signatures":[{"protected":"` + h64 + `","signature":"` + b64s(goodSig) + `"}]}`, want: ReasonMalformed},
		{name: "flattened JSON serialization", token: `{"payload":"x","protected":"` + h64 + `","signature":"y"}`, want: ReasonMalformed},
	}
	return cases
}

// pssToken signs a PS256 token with the given salt length.
func pssToken(tb testing.TB, k *rsa.PrivateKey, kid string, salt int) string {
	hdr, payload := header("PS256", kid), claims()
	input := b64s([]byte(hdr)) + "." + b64s([]byte(payload))
	d := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPSS(rand.Reader, k, crypto.SHA256, d[:], &rsa.PSSOptions{SaltLength: salt})
	if err != nil {
		tb.Fatal(err)
	}
	return input + "." + b64s(sig)
}

// nonCanonical sets an unused low bit in the last character of the
// payload: the same bytes, a different encoding.
func nonCanonical(tok string) string {
	parts := strings.SplitN(tok, ".", 3)
	p := parts[1]
	if len(p)%4 == 0 {
		return tok // no unused bits; caller picks tokens where there are
	}
	last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", p[len(p)-1])
	last |= 1
	parts[1] = p[:len(p)-1] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last])
	return strings.Join(parts, ".")
}

func TestVerify_nonCanonicalHelperChangesToken(t *testing.T) {
	// The base64 case above is only meaningful if the token changed.
	good := valid(t, "ES256")
	for len(strings.Split(good, ".")[1])%4 == 0 {
		t.Fatal("test claims encode to a multiple of 4 characters; adjust claims()")
	}
	if nonCanonical(good) == good {
		t.Fatal("nonCanonical did not change the token")
	}
}
