package e2e

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
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

// Authentication (step 9; issue 3) and API keys (issue 8): tokens minted
// by an independent JOSE library (go-jose) with the fixed test-only keys of
// testdata/auth, attacks of docs/internals/security.md §1 crafted by hand, every case
// natively and through the .wasm. This file holds the helpers every
// authentication test shares and where credentials are found; the
// chapter goes on in authn_jwt_test.go (tokens), authn_tokencache_test.go,
// authn_hostsig_test.go (signatures in the host's crypto),
// authn_apikey_test.go, authn_jwks*_test.go (remote key sets) and
// authn_credentials*_test.go (what reaches upstream).

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

// TestAuthn_sources: where credentials are found, how many a request may
// carry, and what reaches upstream.
func TestAuthn_sources(t *testing.T) {
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
		// Cookie credentials on unsafe methods (docs/responses.md Guarantees).
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
