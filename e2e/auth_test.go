package e2e

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Authentication (issue 3) and API keys (issue 8): tokens minted by an
// independent JOSE library (go-jose) with the fixed test-only keys of
// testdata/auth, attacks of SECURITY.md §1 crafted by hand, every case
// natively and through the .wasm.

const (
	idpIssuer    = "https://idp.example.com/"
	hmacIssuer   = "https://hmac.example.com/"
	webIssuer    = "https://web.example.com/"
	remoteIssuer = "https://remote.example.com/"
	audience     = "orders-api"
)

var (
	authKeysOnce sync.Once
	authKeysMap  map[string]jose.JSONWebKey
	authKeysErr  error
)

// authKey returns the private test key with that kid.
func authKey(t testing.TB, kid string) jose.JSONWebKey {
	t.Helper()
	authKeysOnce.Do(func() {
		data, err := os.ReadFile("testdata/auth/testkeys.json")
		if err != nil {
			authKeysErr = err
			return
		}
		var set jose.JSONWebKeySet
		if authKeysErr = json.Unmarshal(data, &set); authKeysErr != nil {
			return
		}
		authKeysMap = map[string]jose.JSONWebKey{}
		for _, k := range set.Keys {
			authKeysMap[k.KeyID] = k
		}
	})
	if authKeysErr != nil {
		t.Fatalf("test keys: %v", authKeysErr)
	}
	k, ok := authKeysMap[kid]
	if !ok {
		t.Fatalf("no test key %q", kid)
	}
	return k
}

// jwksOf renders the public halves of the named keys (the secret itself
// for "hs") as a JWKS, with go-jose.
func jwksOf(t testing.TB, kids ...string) string {
	t.Helper()
	parts := make([]string, 0, len(kids))
	for _, kid := range kids {
		k := authKey(t, kid)
		pub := k.Public()
		if kid == "hs" {
			pub = k
		}
		pub.Use = "sig"
		b, err := pub.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, string(b))
	}
	return `{"keys":[` + strings.Join(parts, ",") + `]}`
}

// claimsAt are the claims of a valid token at now, plus extra (a nil value
// deletes a claim).
func claimsAt(now time.Time, iss string, extra map[string]any) map[string]any {
	c := map[string]any{
		"iss": iss, "aud": audience, "sub": "alice",
		"iat": now.Unix() - 60, "exp": now.Unix() + 3600,
	}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// mint signs claims with go-jose, kid in the header.
func mint(t testing.TB, kid, alg string, claims map[string]any) string {
	t.Helper()
	k := authKey(t, kid)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: k.Key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatalf("signer %s/%s: %v", kid, alg, err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// craft builds a compact token from raw header and payload JSON, signed by
// sign over the signing input (nil: no signature).
func craft(header, payload string, sign func(input []byte) []byte) string {
	input := b64(header) + "." + b64(payload)
	var sig []byte
	if sign != nil {
		sig = sign([]byte(input))
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// rs256 signs with an RSA test key.
func rs256(t testing.TB, kid string) func([]byte) []byte {
	key := authKey(t, kid).Key.(*rsa.PrivateKey)
	return func(in []byte) []byte {
		d := sha256.Sum256(in)
		sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, d[:])
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
}

// es256 signs with the P-256 test key, as raw r||s or (der) ASN.1 DER.
func es256(t testing.TB, der bool) func([]byte) []byte {
	key := authKey(t, "ec256").Key.(*ecdsa.PrivateKey)
	return func(in []byte) []byte {
		d := sha256.Sum256(in)
		if der {
			sig, err := ecdsa.SignASN1(rand.Reader, key, d[:])
			if err != nil {
				t.Fatal(err)
			}
			return sig
		}
		r, s, err := ecdsa.Sign(rand.Reader, key, d[:])
		if err != nil {
			t.Fatal(err)
		}
		out := make([]byte, 64)
		r.FillBytes(out[:32])
		s.FillBytes(out[32:])
		return out
	}
}

func hs256(secret []byte) func([]byte) []byte {
	return func(in []byte) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write(in)
		return m.Sum(nil)
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func bearer(tok string) []proxy.Pair { return headers("authorization", "Bearer "+tok) }

func getWith(path string, h []proxy.Pair) host.Request { return host.Request{Path: path, Headers: h} }

// Expected challenges.
var (
	chMissing = map[string]string{"www-authenticate": `Bearer realm="apiguard"`}
	chInvalid = map[string]string{"www-authenticate": `Bearer realm="apiguard", error="invalid_token"`}
	chScope   = map[string]string{"www-authenticate": `Bearer error="insufficient_scope"`}
	chNone    = map[string]string{"www-authenticate": ""}
)

func invalid(name string, req host.Request, reason problem.Reason) exchange {
	return exchange{name: name, req: req, want: 401, reason: reason, headers: chInvalid}
}

func scope(name string, req host.Request, reason problem.Reason) exchange {
	return exchange{name: name, req: req, want: 403, reason: reason, headers: chScope}
}

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

// TestAuthAlgorithms: a token of every algorithm, minted by go-jose, is
// accepted; the request reaches upstream without it.
func TestAuthAlgorithms(t *testing.T) {
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

// TestAuthAttacks is SECURITY.md §1 as table cases: each refused with 401,
// `error="invalid_token"`, the generic detail and its precise reason.
func TestAuthAttacks(t *testing.T) {
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

func itoa(n int64) string { return big.NewInt(n).String() }

// sourcesConfig reads tokens from a header, a cookie and a query
// parameter, with forward true and false.
func sourcesConfig(t testing.TB) string {
	return `{
  "providers": {
    "idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["EdDSA"],
            "jwks": ` + jwksOf(t, "ed") + `},
    "web": {"issuer": "` + webIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["EdDSA"],
            "jwks": ` + jwksOf(t, "ed") + `, "from": [{"cookie": "session"}, {"header": "x-token"}]},
    "q": {"issuer": "https://q.example.com/", "audiences": ["` + audience + `"], "algorithms": ["EdDSA"],
          "jwks": ` + jwksOf(t, "ed") + `, "from": [{"query": "access_token"}]},
    "fwd": {"issuer": "https://fwd.example.com/", "audiences": ["` + audience + `"], "algorithms": ["EdDSA"],
            "jwks": ` + jwksOf(t, "ed") + `, "forward": true},
    "custom": {"issuer": "https://custom.example.com/", "audiences": ["` + audience + `"], "algorithms": ["EdDSA"],
               "jwks": ` + jwksOf(t, "ed") + `, "from": [{"header": "x-auth", "prefix": "Token "}]}
  },
  "routes": [
    {"name": "hdr", "match": {"prefix": "/hdr"}, "auth": {"providers": ["idp"]}},
    {"name": "web", "match": {"prefix": "/web"}, "auth": {"providers": ["web"]},
     "cors": {"allow_origins": ["https://app.example.com"], "allow_methods": ["GET", "POST", "DELETE"], "allow_credentials": true}},
    {"name": "webnocors", "match": {"prefix": "/plainweb"}, "auth": {"providers": ["web"]}},
    {"name": "mix", "match": {"prefix": "/mix"}, "auth": {"providers": ["idp", "web", "q"]}},
    {"name": "q", "match": {"prefix": "/q"}, "auth": {"providers": ["q"]}},
    {"name": "fwd", "match": {"prefix": "/fwd"}, "auth": {"providers": ["fwd"]}},
    {"name": "custom", "match": {"prefix": "/custom"}, "auth": {"providers": ["custom"]}}
  ]
}`
}

// TestAuthSources: where credentials are found, how many a request may
// carry, and what reaches upstream.
func TestAuthSources(t *testing.T) {
	now := host.DefaultStart
	idp := mint(t, "ed", "EdDSA", claimsAt(now, idpIssuer, nil))
	web := mint(t, "ed", "EdDSA", claimsAt(now, webIssuer, nil))
	q := mint(t, "ed", "EdDSA", claimsAt(now, "https://q.example.com/", nil))
	fwd := mint(t, "ed", "EdDSA", claimsAt(now, "https://fwd.example.com/", nil))
	custom := mint(t, "ed", "EdDSA", claimsAt(now, "https://custom.example.com/", nil))
	app := "https://app.example.com"
	post := func(path string, kv ...string) host.Request {
		return host.Request{Method: "POST", Path: path, Headers: headers(kv...)}
	}
	cases := []exchange{
		{name: "bearer header", req: getWith("/hdr", bearer(idp)), want: 200, upHeaders: map[string]string{"authorization": ""}},
		{name: "scheme in any case", req: getWith("/hdr", headers("authorization", "bEARER "+idp)), want: 200},
		{name: "missing", req: getWith("/hdr", nil), want: 401, reason: problem.ReasonCredentialMissing, headers: chMissing},
		// A header the route reads is a credential present, whatever its
		// form: one no source accepts is invalid, never missing.
		invalid("other scheme is an invalid credential", getWith("/hdr", headers("authorization", "Basic YTpi")), problem.ReasonCredentialScheme),
		invalid("two Authorization headers", getWith("/hdr", headers("authorization", "Bearer "+idp, "authorization", "Bearer "+idp)), problem.ReasonCredentialMultiple),
		invalid("Authorization twice, one of another scheme", getWith("/hdr", headers("authorization", "Basic YTpi", "authorization", "Bearer "+idp)), problem.ReasonCredentialMultiple),
		invalid("two tokens in one header", getWith("/hdr", headers("authorization", "Bearer "+idp+", Bearer "+idp)), problem.ReasonTokenMalformed),
		invalid("empty bearer token", getWith("/hdr", headers("authorization", "Bearer  ")), problem.ReasonCredentialScheme),
		{name: "cookie among others, removed upstream", req: getWith("/web", headers("cookie", "theme=dark; session="+web+"; lang=en")), want: 200,
			upHeaders: map[string]string{"cookie": "theme=dark; lang=en"}},
		{name: "quoted cookie", req: getWith("/web", headers("cookie", `session="`+web+`"`)), want: 200, upHeaders: map[string]string{"cookie": ""}},
		{name: "second header source of the same provider", req: getWith("/web", headers("x-token", web)), want: 200, upHeaders: map[string]string{"x-token": ""}},
		invalid("cookie twice", getWith("/web", headers("cookie", "session="+web+"; session="+web)), problem.ReasonCredentialMultiple),
		invalid("cookie in two Cookie headers", getWith("/web", headers("cookie", "session="+web, "cookie", "session="+web)), problem.ReasonCredentialMultiple),
		invalid("cookie and header", getWith("/web", headers("cookie", "session="+web, "x-token", web)), problem.ReasonCredentialMultiple),
		invalid("header and cookie of different providers", getWith("/mix", headers("authorization", "Bearer "+idp, "cookie", "session="+web)), problem.ReasonCredentialMultiple),
		invalid("header and query", getWith("/mix?access_token="+q, bearer(idp)), problem.ReasonCredentialMultiple),
		{name: "query, removed from the path", req: getWith("/q/x?a=1&access_token="+q+"&b=2", nil), want: 200, upHeaders: map[string]string{":path": "/q/x?a=1&b=2"}},
		{name: "query alone, path keeps no '?'", req: getWith("/q?access_token="+q, nil), want: 200, upHeaders: map[string]string{":path": "/q"}},
		{name: "query first of several", req: getWith("/q?access_token="+q+"&b=2", nil), want: 200, upHeaders: map[string]string{":path": "/q?b=2"}},
		{name: "query percent-encoded name", req: getWith("/q?access%5Ftoken="+q, nil), want: 200, upHeaders: map[string]string{":path": "/q"}},
		invalid("query twice", getWith("/q?access_token="+q+"&access_token="+q, nil), problem.ReasonCredentialMultiple),
		invalid("query twice in other spellings", getWith("/q?access_token="+q+"&Access.Token="+q, nil), problem.ReasonCredentialMultiple),
		{name: "each provider of a mixed route by its source", req: getWith("/mix", headers("cookie", "session="+web)), want: 200},
		{name: "mixed route by query", req: getWith("/mix?access_token="+q, nil), want: 200},
		{name: "forward true keeps the header", req: getWith("/fwd", bearer(fwd)), want: 200, upHeaders: map[string]string{"authorization": "Bearer " + fwd}},
		{name: "custom header and prefix", req: getWith("/custom", headers("x-auth", "Token "+custom)), want: 200, upHeaders: map[string]string{"x-auth": ""}},
		invalid("custom header without its prefix", getWith("/custom", headers("x-auth", "Bearer "+custom)), problem.ReasonCredentialScheme),
		// Cookie credentials on unsafe methods (DESIGN.md Guarantees).
		{name: "cookie POST from the allowed origin", req: post("/web", "cookie", "session="+web, "origin", app), want: 200},
		{name: "cookie POST same-origin", req: post("/web", "cookie", "session="+web, "sec-fetch-site", "same-origin"), want: 200},
		{name: "cookie GET from anywhere", req: getWith("/web", headers("cookie", "session="+web, "origin", "https://evil.example.com")), want: 200},
		{name: "cookie POST from a foreign origin", req: post("/web", "cookie", "session="+web, "origin", "https://evil.example.com"), want: 403, reason: problem.ReasonCookieOrigin, headers: chNone},
		{name: "cookie DELETE without origin", req: host.Request{Method: "DELETE", Path: "/web", Headers: headers("cookie", "session="+web)}, want: 403, reason: problem.ReasonCookieOrigin, headers: chNone},
		{name: "cookie POST cross-site", req: post("/web", "cookie", "session="+web, "sec-fetch-site", "cross-site"), want: 403, reason: problem.ReasonCookieOrigin},
		{name: "cookie POST with two Sec-Fetch-Site", req: post("/web", "cookie", "session="+web, "sec-fetch-site", "same-origin", "sec-fetch-site", "cross-site"), want: 403, reason: problem.ReasonCookieOrigin},
		{name: "cookie POST on a route without cors", req: post("/plainweb", "cookie", "session="+web, "origin", app), want: 403, reason: problem.ReasonCookieOrigin},
		{name: "header POST from a foreign origin", req: post("/web", "x-token", web, "origin", "https://evil.example.com"), want: 200},
	}
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, sourcesConfig(t))
		runTable(t, e, cases)
	})
}

// claimsConfig exercises claims rules, owner, claims_to_headers and
// allow_missing.
func claimsConfig(t testing.TB) string {
	return `{
  "providers": {
    "idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["ES256"],
            "jwks": ` + jwksOf(t, "ec256") + `,
            "claims_to_headers": {"sub": "x-user-id", "roles": "x-roles", "tenant.id": "x-tenant-id", "level": "x-level", "verified": "x-verified"}},
    "other": {"issuer": "https://other.example.com/", "audiences": ["` + audience + `"], "algorithms": ["ES256"],
              "jwks": ` + jwksOf(t, "ec256") + `, "from": [{"header": "x-other"}]}
  },
  "routes": [
    {"name": "scoped", "match": {"path": "/orders"}, "auth": {"providers": ["idp"], "claims": [
      {"claim": "scope", "contains": ["orders:read"]},
      {"claim": "realm_access.roles", "any_of": ["customer", "support"]},
      {"claim": "email_verified", "equals": true},
      {"claim": "odd\\.key", "equals": {"a": [1, "x"]}}]}},
    {"name": "owner", "match": {"path": "/users/{user_id}/orders"}, "auth": {"providers": ["idp"],
      "owner": [{"param": "user_id", "claim": "sub", "unless": {"claim": "roles", "any_of": ["admin"]}}]}},
    {"name": "numeric", "match": {"path": "/accounts/{id}"}, "auth": {"providers": ["idp"],
      "owner": [{"param": "id", "claim": "account"}]}},
    {"name": "optional", "match": {"prefix": "/optional"}, "auth": {"providers": ["idp", "other"], "allow_missing": true}},
    {"name": "optional-claims", "match": {"prefix": "/optclaims"}, "auth": {"providers": ["idp"], "allow_missing": true,
      "claims": [{"claim": "sub", "equals": "alice"}]}},
    {"name": "shadow", "match": {"prefix": "/shadow"}, "enforce": false, "auth": {"providers": ["idp"],
      "claims": [{"claim": "scope", "contains": ["admin"]}]}},
    {"name": "public", "match": {"prefix": "/public"}}
  ]
}`
}

func TestAuthClaimsAndOwner(t *testing.T) {
	now := host.DefaultStart
	tok := func(extra map[string]any) []proxy.Pair {
		return bearer(mint(t, "ec256", "ES256", claimsAt(now, idpIssuer, extra)))
	}
	full := map[string]any{
		"scope": "profile orders:read orders:write", "realm_access": map[string]any{"roles": []any{"support"}},
		"email_verified": true, "odd.key": map[string]any{"a": []any{1.0, "x"}},
	}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for a, b := range full {
			m[a] = b
		}
		m[k] = v
		return m
	}
	foreign := bearer(mint(t, "ec256", "ES256", claimsAt(now, "https://evil.example.com/", nil)))
	cases := []exchange{
		{name: "every rule holds", req: getWith("/orders", tok(full)), want: 200},
		{name: "scope as an array", req: getWith("/orders", tok(with("scope", []any{"orders:read"}))), want: 200},
		scope("scope lacks orders:read", getWith("/orders", tok(with("scope", "orders:write"))), problem.ReasonClaimsNotSatisfied),
		scope("scope substring is not a scope", getWith("/orders", tok(with("scope", "orders:readonly"))), problem.ReasonClaimsNotSatisfied),
		scope("role not listed", getWith("/orders", tok(with("realm_access", map[string]any{"roles": []any{"guest"}}))), problem.ReasonClaimsNotSatisfied),
		scope("nested claim missing", getWith("/orders", tok(with("realm_access", "support"))), problem.ReasonClaimsNotSatisfied),
		scope("equals is strict about type", getWith("/orders", tok(with("email_verified", "true"))), problem.ReasonClaimsNotSatisfied),
		scope("escaped dot key differs", getWith("/orders", tok(with("odd.key", map[string]any{"a": []any{2, "x"}}))), problem.ReasonClaimsNotSatisfied),
		{name: "owner: own id", req: getWith("/users/alice/orders", tok(nil)), want: 200},
		{name: "owner: percent-encoded own id", req: getWith("/users/%61lice/orders", tok(nil)), want: 200},
		scope("owner: another user", getWith("/users/bob/orders", tok(nil)), problem.ReasonOwnerMismatch),
		scope("owner: case differs", getWith("/users/Alice/orders", tok(nil)), problem.ReasonOwnerMismatch),
		scope("owner: decoded only once", getWith("/users/%2561lice/orders", tok(nil)), problem.ReasonOwnerMismatch),
		{name: "owner: unless admin", req: getWith("/users/bob/orders", tok(map[string]any{"roles": []any{"admin"}})), want: 200},
		scope("owner: unless needs the listed role", getWith("/users/bob/orders", tok(map[string]any{"roles": "user"})), problem.ReasonOwnerMismatch),
		scope("owner: claim missing", getWith("/users/alice/orders", tok(map[string]any{"sub": nil})), problem.ReasonOwnerMismatch),
		{name: "owner: numeric claim as written", req: getWith("/accounts/42", tok(map[string]any{"account": 42})), want: 200},
		scope("owner: numeric claim, other spelling", getWith("/accounts/042", tok(map[string]any{"account": 42})), problem.ReasonOwnerMismatch),
		// claims_to_headers: set from the verified claims; client copies
		// (and underscore spellings) never pass, authenticated or not.
		{name: "claims to headers", req: getWith("/users/alice/orders", append(tok(map[string]any{
			"roles": []any{"a", "b"}, "tenant": map[string]any{"id": "t1"}, "level": 3, "verified": false}),
			headers("x-user-id", "mallory", "x_user_id", "mallory", "x-tenant-id", "evil")...)), want: 200,
			upHeaders: map[string]string{"x-user-id": "alice", "x_user_id": "", "x-roles": "a,b", "x-tenant-id": "t1", "x-level": "3", "x-verified": "false"}},
		{name: "claim absent sets no header", req: getWith("/users/alice/orders", append(tok(nil), headers("x-roles", "admin")...)), want: 200,
			upHeaders: map[string]string{"x-user-id": "alice", "x-roles": ""}},
		{name: "client copies stripped on public routes", req: getWith("/public", headers("x-user-id", "mallory", "X_User_Id", "m")), want: 200,
			upHeaders: map[string]string{"x-user-id": "", "x_user_id": ""}},
		invalid("claim with a newline", getWith("/users/alice/orders", tok(map[string]any{"sub": "alice\r\nx-admin: 1"})), problem.ReasonClaimHeaderUnsafe),
		invalid("claim with NUL", getWith("/users/alice/orders", tok(map[string]any{"sub": "alice\x00"})), problem.ReasonClaimHeaderUnsafe),
		invalid("array element with a comma", getWith("/users/alice/orders", tok(map[string]any{"roles": []any{"a,b"}})), problem.ReasonClaimHeaderUnsafe),
		invalid("array element not a string", getWith("/users/alice/orders", tok(map[string]any{"roles": []any{1}})), problem.ReasonClaimHeaderUnsafe),
		// allow_missing (SECURITY.md §5.1: Envoy PR 15194 regression).
		{name: "optional: no credential", req: getWith("/optional", nil), want: 200, upHeaders: map[string]string{"x-user-id": ""}},
		{name: "optional: valid token", req: getWith("/optional", tok(nil)), want: 200, upHeaders: map[string]string{"x-user-id": "alice"}},
		invalid("optional: foreign issuer refused", getWith("/optional", foreign), problem.ReasonTokenWrongIssuer),
		invalid("optional: invalid token refused", getWith("/optional", bearer("garbage")), problem.ReasonTokenMalformed),
		invalid("optional: expired token refused", getWith("/optional", tok(map[string]any{"exp": now.Unix() - 3600})), problem.ReasonTokenExpired),
		invalid("optional: two credentials refused", getWith("/optional", append(tok(nil), proxy.Pair{Key: "x-other", Value: "x"})), problem.ReasonCredentialMultiple),
		scope("optional: anonymous fails claims", getWith("/optclaims", nil), problem.ReasonClaimsNotSatisfied),
		{name: "optional: claims hold with a token", req: getWith("/optclaims", tok(nil)), want: 200},
	}
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, claimsConfig(t))
		runTable(t, e, cases)
		// Report-only: counted, not applied, and the request goes on
		// untouched (its credential too).
		shadowTok := tok(nil)
		r := roundTrip(e.Worker(0), exchange{req: getWith("/shadow", shadowTok)})
		if r.Downstream.Status != 200 || r.Upstream.Header("authorization") != shadowTok[0].Value {
			t.Errorf("report-only: status %d, upstream authorization %q", r.Downstream.Status, r.Upstream.Header("authorization"))
		}
		if got := metric(t, e, "apiguard.reported.claims_not_satisfied"); got != 1 {
			t.Errorf("reported.claims_not_satisfied = %d, want 1", got)
		}
	})
}

// bodyConfig: body_owner on a POST route.
func bodyConfig(t testing.TB, hold bool) string {
	h := "true"
	if !hold {
		h = "false"
	}
	return `{
  "hold_headers": ` + h + `,
  "providers": {
    "idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["EdDSA"],
            "jwks": ` + jwksOf(t, "ed") + `}
  },
  "routes": [
    {"name": "orders", "match": {"path": "/orders", "methods": ["POST"]}, "auth": {"providers": ["idp"],
      "body_owner": [{"field": "customer_id", "claim": "sub"}, {"field": "meta.tenant", "claim": "tenant"}]}},
    {"name": "opt", "match": {"path": "/opt", "methods": ["POST"]}, "auth": {"providers": ["idp"], "allow_missing": true,
      "body_owner": [{"field": "customer_id", "claim": "sub"}]}}
  ]
}`
}

func TestAuthBodyOwner(t *testing.T) {
	now := host.DefaultStart
	tok := bearer(mint(t, "ed", "EdDSA", claimsAt(now, idpIssuer, map[string]any{"tenant": "t1"})))
	p := func(name, path, body string, want int, reason problem.Reason) exchange {
		x := exchange{name: name, req: host.Request{Method: "POST", Path: path, Headers: tok, Body: []byte(body)}, want: want, reason: reason}
		if want == 403 {
			x.headers = chScope
		}
		return x
	}
	pf := func(name, body, ct string, want int, reason problem.Reason) exchange {
		x := p(name, "/orders", body, want, reason)
		x.req.Headers = append(headers("content-type", ct), tok...)
		return x
	}
	cases := []exchange{
		p("own ids", "/orders", `{"customer_id":"alice","meta":{"tenant":"t1"},"items":[]}`, 200, ""),
		p("escaped own id", "/orders", `{"customer_id":"\u0061lice","meta":{"tenant":"t1"}}`, 200, ""),
		p("another customer", "/orders", `{"customer_id":"bob","meta":{"tenant":"t1"}}`, 403, problem.ReasonBodyOwnerMismatch),
		p("another tenant", "/orders", `{"customer_id":"alice","meta":{"tenant":"t2"}}`, 403, problem.ReasonBodyOwnerMismatch),
		p("field missing", "/orders", `{"meta":{"tenant":"t1"}}`, 403, problem.ReasonBodyOwnerMissing),
		p("nested field missing", "/orders", `{"customer_id":"alice","meta":{}}`, 403, problem.ReasonBodyOwnerMissing),
		p("only another letter case", "/orders", `{"Customer_ID":"alice","meta":{"tenant":"t1"}}`, 403, problem.ReasonBodyOwnerMissing),
		// Keys equal under case folding are duplicates of the JSON check
		// first (json.case_sensitive_keys is false by default); with it
		// true body_owner still refuses them (TestRequestJSON_caseFoldedKeys).
		p("field twice in another case", "/orders", `{"customer_id":"alice","Customer_ID":"bob","meta":{"tenant":"t1"}}`, 400, problem.ReasonJSONDuplicateKeyCase),
		p("nested field twice in another case", "/orders", `{"customer_id":"alice","meta":{"tenant":"t1","TENANT":"t2"}}`, 400, problem.ReasonJSONDuplicateKeyCase),
		p("exact duplicate", "/orders", `{"customer_id":"alice","customer_id":"bob","meta":{"tenant":"t1"}}`, 400, problem.ReasonJSONDuplicateKey),
		p("query parameter of the same name", "/orders?customer_id=bob", `{"customer_id":"alice","meta":{"tenant":"t1"}}`, 403, problem.ReasonBodyOwnerAmbiguous),
		p("query parameter of a nested field's name", "/orders?Tenant=t2", `{"customer_id":"alice","meta":{"tenant":"t1"}}`, 403, problem.ReasonBodyOwnerAmbiguous),
		// Spellings PHP, Rack and ASP.NET read as customer_id (issue 13).
		p("query shadow with a leading space", "/orders?+customer_id=bob", `{"customer_id":"alice","meta":{"tenant":"t1"}}`, 403, problem.ReasonBodyOwnerAmbiguous),
		p("query shadow escaped space", "/orders?%20customer_id=bob", `{"customer_id":"alice","meta":{"tenant":"t1"}}`, 403, problem.ReasonBodyOwnerAmbiguous),
		p("query shadow as an array", "/orders?customer_id[]=bob", `{"customer_id":"alice","meta":{"tenant":"t1"}}`, 403, problem.ReasonBodyOwnerAmbiguous),
		p("query shadow after a semicolon", "/orders?a=1;CUSTOMER.ID=bob", `{"customer_id":"alice","meta":{"tenant":"t1"}}`, 403, problem.ReasonBodyOwnerAmbiguous),
		p("query shadow dotless i", "/orders?customer_%C4%B1d=bob", `{"customer_id":"alice","meta":{"tenant":"t1"}}`, 403, problem.ReasonBodyOwnerAmbiguous),
		p("query name in a value", "/orders?x=customer_id", `{"customer_id":"alice","meta":{"tenant":"t1"}}`, 200, ""),
		// A JSON body sent as a form is a form to PHP ($_POST) and
		// Laravel: a field named like a body_owner field shadows it.
		pf("JSON as a form with a shadowing field", `{"customer_id":"alice","meta":{"tenant":"t1"},"x":"&customer_id=bob"}`, "application/x-www-form-urlencoded", 403, problem.ReasonBodyOwnerAmbiguous),
		pf("JSON as a form, shadow spelled for PHP", `{"customer_id":"alice","meta":{"tenant":"t1"},"x":"&+Customer.ID[]=bob"}`, "Application/X-WWW-Form-Urlencoded; charset=utf-8", 403, problem.ReasonBodyOwnerAmbiguous),
		pf("JSON as a form, nested field's shadow", `{"customer_id":"alice","meta":{"tenant":"t1"},"x":";TENANT=t2"}`, "application/x-www-form-urlencoded", 403, problem.ReasonBodyOwnerAmbiguous),
		pf("JSON as a form without a shadow", `{"customer_id":"alice","meta":{"tenant":"t1"},"x":"&y=1"}`, "application/x-www-form-urlencoded", 200, ""),
		pf("JSON as JSON with form-like text", `{"customer_id":"alice","meta":{"tenant":"t1"},"x":"&customer_id=bob"}`, "application/json", 200, ""),
		p("number is not the claim", "/orders", `{"customer_id":7,"meta":{"tenant":"t1"}}`, 403, problem.ReasonBodyOwnerMismatch),
		p("object is not the claim", "/orders", `{"customer_id":{"id":"alice"},"meta":{"tenant":"t1"}}`, 403, problem.ReasonBodyOwnerMismatch),
		p("empty body", "/orders", ``, 403, problem.ReasonBodyOwnerMissing),
		p("not JSON", "/orders", `customer_id=alice`, 400, problem.ReasonJSONSyntax),
		p("top level not an object", "/orders", `["alice"]`, 403, problem.ReasonBodyOwnerMissing),
		{name: "anonymous fails body_owner", req: host.Request{Method: "POST", Path: "/opt", Body: []byte(`{"customer_id":"alice"}`)}, want: 403, reason: problem.ReasonBodyOwnerMismatch, headers: chScope},
	}
	each(t, func(t *testing.T, g guest) {
		for _, hold := range []bool{true, false} {
			var opts []envoyOpt
			name := "hold"
			if !hold {
				opts, name = []envoyOpt{noHold()}, "nohold"
			}
			t.Run(name, func(t *testing.T) {
				e := start(t, g, bodyConfig(t, hold), opts...)
				for _, c := range cases {
					t.Run(c.name, func(t *testing.T) {
						r := roundTrip(e.Worker(0), c)
						if !hold && c.want != 200 {
							// Headers may have gone upstream before the
							// verdict; the refusal still answers the client
							// and resets the upstream request.
							reached := r.UpstreamCalled || r.Upstream.Headers != nil && !r.Upstream.Reset
							if r.Downstream.Status != c.want || r.Downstream.LocalReply != "apiguard_"+string(c.reason) || reached {
								t.Fatalf("status %d details %q upstream reached %v", r.Downstream.Status, r.Downstream.LocalReply, reached)
							}
							return
						}
						check(t, e, c, r)
					})
				}
			})
		}
	})
}

// keysConfig: API-key providers (issue 8) next to a JWT provider.
func keysConfig(t testing.TB) string {
	h := func(k string) string { s := sha256.Sum256([]byte(k)); return hex.EncodeToString(s[:]) }
	return `{
  "providers": {
    "partners": {"api_keys": {"from": [{"header": "x-api-key"}], "keys": [
        {"id": "acme-2026-05", "sha256": "` + h("acme-old-key") + `", "claims": {"sub": "acme", "scope": "orders:read"}},
        {"id": "acme-2026-06", "sha256": "` + h("acme-new-key") + `", "claims": {"sub": "acme", "scope": "orders:read"}},
        {"id": "globex", "sha256": "` + h("globex-key") + `", "claims": {"sub": "globex", "scope": "orders:write"},
         "expires": "2026-01-01T01:00:00Z"}]},
      "claims_to_headers": {"sub": "x-partner-id"}},
    "bearerkeys": {"api_keys": {"keys": [
        {"id": "bk", "sha256": "` + h("bearer-key") + `", "claims": {"sub": "bk"}}]}},
    "idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["EdDSA"],
            "jwks": ` + jwksOf(t, "ed") + `}
  },
  "routes": [
    {"name": "orders", "match": {"path": "/orders"}, "auth": {"providers": ["partners", "idp"],
      "claims": [{"claim": "scope", "contains": ["orders:read"]}]}},
    {"name": "tenant", "match": {"path": "/tenants/{t}/orders"}, "auth": {"providers": ["partners"],
      "owner": [{"param": "t", "claim": "sub"}]}},
    {"name": "limited", "match": {"path": "/limited"}, "auth": {"providers": ["partners"]},
      "rate_limits": [{"name": "per-partner", "key": "claim:sub", "limit": 2, "window": "1m"}]},
    {"name": "same-header", "match": {"path": "/same"}, "auth": {"providers": ["idp", "bearerkeys"]}}
  ]
}`
}

func TestAuthAPIKeys(t *testing.T) {
	now := host.DefaultStart
	key := func(k string) []proxy.Pair { return headers("x-api-key", k) }
	jwtTok := mint(t, "ed", "EdDSA", claimsAt(now, idpIssuer, map[string]any{"scope": "orders:read"}))
	// A key whose SHA-256 differs from a configured hash in the first byte
	// and one that differs in the last: found by search, refused alike.
	near := func(first bool) string {
		want := sha256.Sum256([]byte("acme-new-key"))
		for i := 0; ; i++ {
			k := "probe-" + itoa(int64(i))
			h := sha256.Sum256([]byte(k))
			if first && h[0] != want[0] && h[1] == want[1] || !first && h[0] == want[0] && h[31] != want[31] {
				return k
			}
		}
	}
	cases := []exchange{
		{name: "key accepted, removed upstream, claims forwarded", req: getWith("/orders", key("acme-new-key")), want: 200,
			upHeaders: map[string]string{"x-api-key": "", "x-partner-id": "acme"}},
		{name: "rotated pair: old key still accepted", req: getWith("/orders", key("acme-old-key")), want: 200},
		invalid("revoked (never configured) key", getWith("/orders", key("acme-2025-key")), problem.ReasonAPIKeyUnknown),
		invalid("key differing in the first hash byte", getWith("/orders", key(near(true))), problem.ReasonAPIKeyUnknown),
		invalid("key differing in a later hash byte", getWith("/orders", key(near(false))), problem.ReasonAPIKeyUnknown),
		invalid("key with a trailing space", getWith("/orders", key("acme-new-key ")), problem.ReasonAPIKeyUnknown),
		scope("key claims drive claims rules", getWith("/orders", key("globex-key")), problem.ReasonClaimsNotSatisfied),
		{name: "key claims drive owner", req: getWith("/tenants/acme/orders", key("acme-new-key")), want: 200},
		scope("key claims drive owner: other tenant", getWith("/tenants/globex/orders", key("acme-new-key")), problem.ReasonOwnerMismatch),
		invalid("key and token", getWith("/orders", append(key("acme-new-key"), bearer(jwtTok)...)), problem.ReasonCredentialMultiple),
		invalid("key twice", getWith("/orders", headers("x-api-key", "acme-new-key", "x-api-key", "acme-old-key")), problem.ReasonCredentialMultiple),
		{name: "token on a key-or-token route", req: getWith("/orders", bearer(jwtTok)), want: 200},
		{name: "bearer key on a shared header", req: getWith("/same", bearer("bearer-key")), want: 200, upHeaders: map[string]string{"authorization": ""}},
		{name: "bearer token on a shared header", req: getWith("/same", bearer(jwtTok)), want: 200},
		invalid("unknown bearer key on a shared header", getWith("/same", bearer("nope")), problem.ReasonAPIKeyUnknown),
		invalid("foreign token on a shared header", getWith("/same", bearer(mint(t, "ed", "EdDSA", claimsAt(now, "https://evil.example.com/", nil)))), problem.ReasonTokenWrongIssuer),
		{name: "missing key", req: getWith("/orders", nil), want: 401, reason: problem.ReasonCredentialMissing, headers: chMissing},
	}
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, keysConfig(t))
		runTable(t, e, cases)
		vm := e.Worker(0)
		// Key claims drive claim: rate-limit keys: one bucket per partner
		// whichever of its keys is used.
		for i, k := range []string{"acme-new-key", "acme-old-key", "acme-new-key"} {
			want := 200
			if i == 2 {
				want = 429
			}
			if r := roundTrip(vm, exchange{req: getWith("/limited", key(k))}); r.Downstream.Status != want {
				t.Fatalf("limited request %d: status %d, want %d", i, r.Downstream.Status, want)
			}
		}
		if r := roundTrip(vm, exchange{req: getWith("/limited", key("globex-key"))}); r.Downstream.Status != 200 {
			t.Fatalf("another partner's bucket: status %d", r.Downstream.Status)
		}
		// Expiry: the globex key expires at 01:00.
		e.Advance(time.Hour)
		check(t, e, invalid("expired key", getWith("/tenants/globex/orders", key("globex-key")), problem.ReasonAPIKeyExpired),
			roundTrip(vm, exchange{req: getWith("/tenants/globex/orders", key("globex-key"))}))
		if got := metric(t, e, "apiguard.apikey.acme-2026-06.used"); got < 4 {
			t.Errorf("apikey.acme-2026-06.used = %d", got)
		}
		if got := metric(t, e, "apiguard.apikey.acme-2026-05.used"); got < 2 {
			t.Errorf("apikey.acme-2026-05.used = %d", got)
		}
		for _, l := range e.Logs() {
			for _, k := range []string{"acme-new-key", "acme-old-key", "globex-key", "bearer-key"} {
				if strings.Contains(l.Msg, k) {
					t.Errorf("a log line holds a key: %s", l.Msg)
				}
			}
		}
	})
}

// jwksServer is the identity provider's JWKS endpoint behind cluster "idp".
type jwksServer struct {
	mu     sync.Mutex
	body   string
	status int
	reset  bool // answer with a connection reset
	calls  int
	last   host.HTTPRequest
}

func (j *jwksServer) set(status int, body string, reset bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.status, j.body, j.reset = status, body, reset
}

func (j *jwksServer) count() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.calls
}

func (j *jwksServer) serve(r host.HTTPRequest) (host.HTTPResponse, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.calls++
	j.last = r
	if j.reset {
		return host.HTTPResponse{}, os.ErrClosed
	}
	return host.HTTPResponse{
		Headers: headers(":status", itoa(int64(j.status)), "content-type", "application/json"),
		Body:    []byte(j.body),
	}, nil
}

const remoteTimeout = 400 * time.Millisecond

func remoteConfig() string {
	return `{
  "providers": {
    "remote": {"issuer": "` + remoteIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["RS256"],
               "remote_jwks": {"cluster": "idp", "authority": "idp.example.com", "path": "/.well-known/jwks.json",
                               "timeout_ms": 400, "refresh_seconds": 600}}
  },
  "routes": [{"name": "rb", "match": {"path": "/rb", "methods": ["POST"]}, "auth": {"providers": ["remote"],
               "body_owner": [{"field": "customer_id", "claim": "sub"}]}},
             {"name": "r", "match": {"prefix": "/r"}, "auth": {"providers": ["remote"]}}]
}`
}

// startRemote starts an Envoy with two workers whose cluster "idp" is srv.
func startRemote(t *testing.T, g guest, srv *jwksServer, opts ...envoyOpt) *host.Envoy {
	t.Helper()
	opts = append(opts, workers(2), func(c *host.Config) {
		c.Clusters = map[string]host.Cluster{"idp": {HTTP: srv.serve}}
	})
	return start(t, g, remoteConfig(), opts...)
}

func manual() envoyOpt { return func(c *host.Config) { c.Delivery = host.DeliverManually } }

// openReq sends bodyless request headers and leaves the stream open, so a
// test can watch it wait for keys.
func openReq(vm *host.VM, path, tok string) *host.Stream {
	s := vm.NewStream(host.StreamProps{})
	s.RequestHeaders(headers(":method", "GET", ":scheme", "https", ":authority", "api.example.com", ":path", path,
		"authorization", "Bearer "+tok), true)
	return s
}

// waiting reports a stream whose headers have neither gone upstream nor
// been answered.
func waiting(s *host.Stream) bool { return s.Upstream().Headers == nil && s.Downstream().Status == 0 }

// finish answers upstream (if the request reached it) and returns what the
// client got.
func finish(s *host.Stream) host.Downstream {
	if u := s.Upstream(); u.Headers != nil && u.EndOfStream && !s.Ended() {
		s.ResponseHeaders(headers(":status", "200"), true)
	}
	s.Complete()
	return s.Downstream()
}

func remoteToken(t testing.TB, kid string) string {
	return mint(t, kid, "RS256", claimsAt(host.DefaultStart, remoteIssuer, map[string]any{"exp": host.DefaultStart.Unix() + 7200}))
}

// TestAuthRemoteJWKSFirstRequestWaits: no fetch in configure; the first
// requests (on two workers) wait for the first tick's fetch, which one
// worker makes for both.
func TestAuthRemoteJWKSFirstRequestWaits(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		// A published set may hold keys for other uses; an oct key in a
		// fetched set is never used.
		set := strings.TrimSuffix(jwksOf(t, "rsa-a"), "]}") +
			`,{"kty":"oct","kid":"hs","k":"` + strings.Repeat("A", 43) + `"},` +
			strings.TrimPrefix(strings.Replace(jwksOf(t, "ec256"), `"use":"sig"`, `"use":"enc"`, 1), `{"keys":[`)
		srv := &jwksServer{}
		srv.set(200, set, false)
		e := startRemote(t, g, srv)
		if n := srv.count(); n != 0 {
			t.Fatalf("%d fetches before the first tick", n)
		}
		tok := remoteToken(t, "rsa-a")
		s0, s1 := openReq(e.Worker(0), "/r", tok), openReq(e.Worker(1), "/r", tok)
		if !waiting(s0) || !waiting(s1) {
			t.Fatalf("requests did not wait for keys: %+v / %+v", s0.Downstream(), s1.Downstream())
		}
		e.Advance(100 * time.Millisecond)
		for i, s := range []*host.Stream{s0, s1} {
			if d := finish(s); d.Status != 200 {
				t.Fatalf("worker %d: status %d (%s)\n%s", i, d.Status, d.LocalReply, logText(e))
			}
		}
		if n := srv.count(); n != 1 {
			t.Errorf("%d fetches, want 1 shared by both workers", n)
		}
		if r := srv.last; r.Header(":method") != "GET" || r.Header(":path") != "/.well-known/jwks.json" || r.Header(":authority") != "idp.example.com" {
			t.Errorf("fetch request %+v", r.Headers)
		}
		if got := metric(t, e, "apiguard.jwks.remote.fetch_ok"); got != 1 {
			t.Errorf("fetch_ok = %d", got)
		}
		if len(e.LogsContaining("jwks remote: loaded 1 keys (2 skipped: ")) != 1 {
			t.Errorf("load not logged as 1 key, 2 skipped:\n%s", logText(e))
		}
		hsTok := craft(`{"alg":"HS256","kid":"hs"}`, mustJSON(t, claimsAt(host.DefaultStart, remoteIssuer, nil)), hs256(make([]byte, 32)))
		if d := finish(openReq(e.Worker(0), "/r", hsTok)); d.Status != 401 {
			t.Errorf("token keyed with a fetched oct key: status %d", d.Status)
		}
		for _, k := range e.SharedDataKeys() {
			if strings.Contains(k, "jwks") && !strings.HasPrefix(k, "apiguard/jwks2/remote/") {
				t.Errorf("shared-data key %q not under the plugin's prefix", k)
			}
		}
		// Later requests on either worker pass at once.
		for i := range 2 {
			if d := finish(openReq(e.Worker(i), "/r", tok)); d.Status != 200 {
				t.Errorf("worker %d later request: %d", i, d.Status)
			}
		}
	})
}

// TestAuthRemoteJWKSSharedFetch: while one worker's fetch is in flight the
// other does not fetch; it picks the keys up from shared data on its tick.
func TestAuthRemoteJWKSSharedFetch(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		srv := &jwksServer{}
		srv.set(200, jwksOf(t, "rsa-a"), false)
		e := startRemote(t, g, srv, manual())
		s1 := openReq(e.Worker(1), "/r", remoteToken(t, "rsa-a"))
		e.Advance(100 * time.Millisecond)
		// Both workers ticked at the same instant, worker 0 first: it took
		// the fetch lock, so worker 1 made no call of its own.
		p0, p1 := e.Worker(0).PendingCallouts(), e.Worker(1).PendingCallouts()
		if len(p0) != 1 || len(p1) != 0 {
			t.Fatalf("callouts in flight: %d and %d, want 1 and 0", len(p0), len(p1))
		}
		e.DeliverCallouts()
		if !waiting(s1) {
			t.Fatalf("worker 1 resumed before its tick")
		}
		e.Advance(100 * time.Millisecond)
		if d := finish(s1); d.Status != 200 {
			t.Fatalf("status %d (%s)", d.Status, d.LocalReply)
		}
		if n := srv.count(); n != 1 {
			t.Errorf("%d fetches, want 1", n)
		}
	})
}

// TestAuthRemoteJWKSFailure: a failing endpoint makes waiting requests
// fail closed with 503 and Retry-After after timeout_ms; fetches retry
// with backoff and the first good answer serves.
func TestAuthRemoteJWKSFailure(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		srv := &jwksServer{}
		srv.set(0, "", true)
		e := startRemote(t, g, srv)
		tok := remoteToken(t, "rsa-a")
		s := openReq(e.Worker(1), "/r", tok)
		e.Advance(100 * time.Millisecond)
		if !waiting(s) || srv.count() != 1 {
			t.Fatalf("after a failed fetch: waiting %v, fetches %d", waiting(s), srv.count())
		}
		e.Advance(remoteTimeout)
		d := finish(s)
		if d.Status != 503 || d.LocalReply != "apiguard_"+string(problem.ReasonKeysUnavailable) {
			t.Fatalf("status %d (%s), want 503", d.Status, d.LocalReply)
		}
		if ra := d.Header("retry-after"); ra == "" || ra == "0" {
			t.Errorf("Retry-After %q", ra)
		}
		if d.Header("www-authenticate") != "" {
			t.Errorf("503 carries WWW-Authenticate")
		}
		if got := metric(t, e, "apiguard.jwks.remote.fetch_failed"); got < 1 {
			t.Errorf("fetch_failed = %d", got)
		}
		if len(e.LogsContaining("apiguard: jwks remote: fetch failed")) == 0 {
			t.Errorf("no log line for the failed fetch")
		}
		// Bad answers are failures too; none is ever loaded. (A JWKS with
		// no usable key is no failure: see TestJWKSFetched_emptySet.)
		for _, bad := range []struct {
			status int
			body   string
		}{
			{500, jwksOf(t, "rsa-a")},
			{200, `{"keys":{}}`},
			{200, `{"kids":[]}`},
			{200, `not json`},
		} {
			srv.set(bad.status, bad.body, false)
			before := srv.count()
			e.Advance(70 * time.Second) // past any backoff
			if srv.count() == before {
				t.Fatalf("no retry after a failure")
			}
			if s := openReq(e.Worker(0), "/r", tok); !waiting(s) {
				t.Fatalf("bad answer %d %q loaded keys: status %d", bad.status, bad.body, s.Downstream().Status)
			} else {
				s.Complete()
			}
		}
		if got := metric(t, e, "apiguard.jwks.remote.fetch_failed"); got < 5 {
			t.Errorf("fetch_failed = %d, want at least 5", got)
		}
		srv.set(200, jwksOf(t, "rsa-a"), false)
		e.Advance(70 * time.Second)
		for i := range 2 {
			if d := finish(openReq(e.Worker(i), "/r", tok)); d.Status != 200 {
				t.Fatalf("worker %d after recovery: status %d (%s)", i, d.Status, d.LocalReply)
			}
		}
	})
}

// TestAuthRemoteJWKSStaleOnError: the last good set keeps serving when a
// refresh fails; refreshes happen every refresh_seconds.
func TestAuthRemoteJWKSStaleOnError(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		srv := &jwksServer{}
		srv.set(200, jwksOf(t, "rsa-a"), false)
		e := startRemote(t, g, srv)
		e.Advance(100 * time.Millisecond)
		tok := remoteToken(t, "rsa-a")
		if d := finish(openReq(e.Worker(0), "/r", tok)); d.Status != 200 {
			t.Fatalf("status %d", d.Status)
		}
		srv.set(500, "", false)
		e.Advance(599 * time.Second)
		if n := srv.count(); n != 1 {
			t.Fatalf("%d fetches before refresh_seconds", n)
		}
		e.Advance(time.Second)
		if n := srv.count(); n != 2 {
			t.Fatalf("%d fetches after refresh_seconds, want 2", n)
		}
		if got := metric(t, e, "apiguard.jwks.remote.fetch_failed"); got != 1 {
			t.Errorf("fetch_failed = %d", got)
		}
		fresh := mint(t, "rsa-a", "RS256", claimsAt(e.Clock().Now(), remoteIssuer, nil))
		for i, tk := range []string{tok, fresh} {
			if d := finish(openReq(e.Worker(i), "/r", tk)); d.Status != 200 {
				t.Fatalf("stale set on worker %d: status %d (%s)", i, d.Status, d.LocalReply)
			}
		}
	})
}

// TestAuthRemoteJWKSRotation: a token naming a new kid triggers an early
// refetch (at most once a minute) and waits for it; a key removed from the
// set revokes its cached tokens.
func TestAuthRemoteJWKSRotation(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		srv := &jwksServer{}
		srv.set(200, jwksOf(t, "rsa-a"), false)
		e := startRemote(t, g, srv)
		e.Advance(100 * time.Millisecond)
		tokA := remoteToken(t, "rsa-a")
		if d := finish(openReq(e.Worker(0), "/r", tokA)); d.Status != 200 {
			t.Fatalf("status %d", d.Status)
		}
		// The IdP rotates: rsa-b appears.
		srv.set(200, jwksOf(t, "rsa-a", "rsa-b"), false)
		s := openReq(e.Worker(1), "/r", remoteToken(t, "rsa-b"))
		if !waiting(s) {
			t.Fatalf("new kid did not wait for a refetch: %d %s", s.Downstream().Status, s.Downstream().LocalReply)
		}
		e.Advance(100 * time.Millisecond)
		if d := finish(s); d.Status != 200 {
			t.Fatalf("rotated key: status %d (%s)\n%s", d.Status, d.LocalReply, logText(e))
		}
		if n := srv.count(); n != 2 {
			t.Fatalf("%d fetches, want 2", n)
		}
		// The other worker picked the new set up from shared data.
		if d := finish(openReq(e.Worker(0), "/r", remoteToken(t, "rsa-b"))); d.Status != 200 {
			t.Fatalf("rotated key on the other worker: status %d (%s)", d.Status, d.LocalReply)
		}
		// Another unknown kid within the minute: refused at once, no fetch.
		evil := craft(`{"alg":"RS256","kid":"rsa-evil"}`, mustJSON(t, claimsAt(host.DefaultStart, remoteIssuer, nil)), rs256(t, "rsa-evil"))
		d := finish(openReq(e.Worker(1), "/r", evil))
		if d.Status != 401 || d.LocalReply != "apiguard_"+string(problem.ReasonTokenUnknownKey) || srv.count() != 2 {
			t.Fatalf("unknown kid within a minute: %d %s, fetches %d", d.Status, d.LocalReply, srv.count())
		}
		// rsa-a is retired: its cached tokens stop working once the new
		// set is loaded (the refetch its kid triggers brings no rsa-a).
		srv.set(200, jwksOf(t, "rsa-b"), false)
		e.Advance(600 * time.Second)
		s = openReq(e.Worker(0), "/r", tokA)
		e.Advance(100 * time.Millisecond)
		if d := finish(s); d.Status != 401 || d.LocalReply != "apiguard_"+string(problem.ReasonTokenUnknownKey) {
			t.Fatalf("retired key: status %d (%s)", d.Status, d.LocalReply)
		}
	})
}

// TestAuthFailedAuthLimit: missing and invalid credentials count against
// failed_auth_limit; once locked out, only a credential already in the
// verified-token cache passes.
func TestAuthFailedAuthLimit(t *testing.T) {
	now := host.DefaultStart
	conf := `{
  "providers": {"idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["ES256"],
                        "jwks": ` + jwksOf(t, "ec256") + `}},
  "routes": [{"name": "a", "match": {"prefix": "/a"}, "auth": {"providers": ["idp"]}},
             {"name": "public", "match": {"prefix": "/public"}}],
  "failed_auth_limit": {"key": "ip", "limit": 3, "window": "1m"}
}`
	from := func(req host.Request) host.Request {
		req.Props.SourceAddress = "192.0.2.7:5555"
		return req
	}
	cached := mint(t, "ec256", "ES256", claimsAt(now, idpIssuer, nil))
	fresh := mint(t, "ec256", "ES256", claimsAt(now, idpIssuer, map[string]any{"sub": "bob"}))
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, conf)
		vm := e.Worker(0)
		steps := []struct {
			req  host.Request
			want int
		}{
			{getWith("/a", bearer(cached)), 200},
			{getWith("/a", nil), 401},
			{getWith("/a", bearer("garbage")), 401},
			{getWith("/a", bearer(cached+"x")), 401},
			{getWith("/a", bearer(fresh)), 429},
			{getWith("/a", bearer(cached)), 200},
			{getWith("/public", nil), 200},
		}
		for i, st := range steps {
			if d := roundTrip(vm, exchange{req: from(st.req)}).Downstream; d.Status != st.want {
				t.Fatalf("step %d: status %d (%s), want %d", i, d.Status, d.LocalReply, st.want)
			}
		}
		if got := metric(t, e, "apiguard.failed_auth.cached_bypass"); got != 1 {
			t.Errorf("cached_bypass = %d", got)
		}
	})
}

// TestAuthVerifiedCache: a repeated token is served from the cache, which
// never outlives the token's exp.
func TestAuthVerifiedCache(t *testing.T) {
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

// TestAuthRemoteJWKSBodyWhileWaiting: a body that arrives while the
// request waits for keys is held, then checked (body_owner) once the keys
// came; nothing reaches upstream before.
func TestAuthRemoteJWKSBodyWhileWaiting(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		srv := &jwksServer{}
		srv.set(200, jwksOf(t, "rsa-a"), false)
		e := startRemote(t, g, srv)
		tok := remoteToken(t, "rsa-a")
		cases := []struct {
			body string
			want int
		}{{`{"customer_id":"alice"}`, 200}, {`{"customer_id":"bob"}`, 403}}
		streams := make([]*host.Stream, len(cases))
		for i, c := range cases {
			s := e.Worker(0).NewStream(host.StreamProps{})
			s.RequestHeaders(headers(":method", "POST", ":scheme", "https", ":authority", "api.example.com", ":path", "/rb",
				"authorization", "Bearer "+tok, "content-type", "application/json"), false)
			s.RequestBody([]byte(c.body), true)
			if !waiting(s) {
				t.Fatalf("%s: did not wait (status %d)", c.body, s.Downstream().Status)
			}
			streams[i] = s
		}
		e.Advance(100 * time.Millisecond)
		for i, c := range cases {
			s := streams[i]
			if c.want == 200 && string(s.Upstream().Body) != c.body {
				t.Errorf("%s: upstream body %q", c.body, s.Upstream().Body)
			}
			if d := finish(s); d.Status != c.want {
				t.Errorf("%s: status %d (%s), want %d", c.body, d.Status, d.LocalReply, c.want)
			}
			if c.want != 200 && s.Upstream().Headers != nil && !s.Upstream().Reset {
				t.Errorf("%s: refused request reached upstream", c.body)
			}
		}
	})
}
