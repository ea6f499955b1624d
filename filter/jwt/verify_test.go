package jwt

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestVerify_validEveryAlgorithm(t *testing.T) {
	pub, hs := publicVerifier(t), hmacVerifier(t)
	for _, alg := range SupportedAlgorithms() {
		t.Run(alg, func(t *testing.T) {
			v := pub
			if strings.HasPrefix(alg, "HS") {
				v = hs
			}
			tok, err := verifyBoth(t, v, valid(t, alg), testNow)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if tok.Algorithm != alg {
				t.Errorf("Algorithm = %q", tok.Algorithm)
			}
			if sub := tok.Claims.Get("sub"); sub == nil || sub.Str != "alice" {
				t.Errorf("sub = %+v", sub)
			}
			if want := testNow.Add(time.Hour); !tok.Expires.Equal(want) {
				t.Errorf("Expires = %v, want %v", tok.Expires, want)
			}
			_, kid := testKeys(t).privFor(alg)
			if tok.KeyID != kid {
				t.Errorf("KeyID = %q, want %q", tok.KeyID, kid)
			}
		})
	}
}

// flipSig changes one bit of the signature of a compact token.
func flipSig(tb testing.TB, tok string) string {
	i := strings.LastIndexByte(tok, '.')
	sig := unb64(tb, tok[i+1:])
	sig[len(sig)/2] ^= 0x01
	return tok[:i+1] + b64s(sig)
}

// withSig replaces the signature of tok.
func withSig(tok string, sig []byte) string {
	return tok[:strings.LastIndexByte(tok, '.')+1] + b64s(sig)
}

// compact assembles raw header and payload texts with a raw signature.
func compact(hdr, payload string, sig []byte) string {
	return b64s([]byte(hdr)) + "." + b64s([]byte(payload)) + "." + b64s(sig)
}

func hs256(secret []byte, hdr, payload string) string {
	input := b64s([]byte(hdr)) + "." + b64s([]byte(payload))
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(input))
	return input + "." + b64s(m.Sum(nil))
}

// TestVerify_neverFetches puts jku and x5u pointing at a live loopback
// server into tokens: nothing is ever fetched, whatever the signature.
func TestVerify_neverFetches(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(testKeys(t).publicJWKS))
	}))
	defer srv.Close()
	ks := testKeys(t)
	attacker, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	u := strconv.Quote(srv.URL + "/jwks.json")
	extra := []string{`"jku":` + u, `"x5u":` + u}
	cases := []verifyCase{
		{name: "attacker jku", token: sign(t, "ES256", attacker, header("ES256", "", extra...), claims()), want: ReasonBadSignature},
		{name: "attacker jku with kid", token: sign(t, "ES256", attacker, header("ES256", "attacker", extra...), claims()), want: ReasonUnknownKey},
		{name: "good token with jku and x5u", token: sign(t, "ES256", ks.ec["P-256"], header("ES256", "ec256", extra...), claims()), want: ""},
	}
	runVerifyCases(t, cases)
	if n := hits.Load(); n != 0 {
		t.Fatalf("the verifier fetched %d times", n)
	}
}

func TestVerify_kidlessKeys(t *testing.T) {
	ks := testKeys(t)
	// A set whose only key has no kid verifies tokens with or without kid.
	set := mustJWKS(t, jwksJSON(jwkOf(&ks.ec["P-256"].PublicKey, "", "")), JWKSOptions{})
	v := NewVerifier(testConfig(), set)
	for _, kid := range []string{"", "whatever"} {
		if _, err := v.Verify(sign(t, "ES256", ks.ec["P-256"], header("ES256", kid), claims()), testNow); err != nil {
			t.Errorf("kid %q: %v", kid, err)
		}
	}
	// Without kid, every fitting key of a set is tried (up to MaxKeyTries).
	pub := publicVerifier(t)
	for _, alg := range asymmetricAlgs {
		priv, _ := ks.privFor(alg)
		if _, err := pub.Verify(sign(t, alg, priv, header(alg, ""), claims()), testNow); err != nil {
			t.Errorf("%s without kid: %v", alg, err)
		}
	}
}

func TestVerify_nilAndEmpty(t *testing.T) {
	v := NewVerifier(testConfig(), nil)
	if _, err := v.Verify(valid(t, "ES256"), testNow); ReasonOf(err) != ReasonNoKeys {
		t.Fatalf("nil key set: %v", err)
	}
	// Allow-lists naming nothing supported accept nothing.
	c := testConfig()
	c.Algorithms = []string{"none", "es256", "HS1"}
	v = NewVerifier(c, publicVerifier(t).Keys())
	for _, alg := range asymmetricAlgs {
		if _, err := v.Verify(valid(t, alg), testNow); ReasonOf(err) != ReasonAlgNotAllowed {
			t.Errorf("%s: %v", alg, err)
		}
	}
	// No audiences configured: nothing matches.
	c = testConfig()
	c.Audiences = nil
	v = NewVerifier(c, publicVerifier(t).Keys())
	if _, err := v.Verify(valid(t, "ES256"), testNow); ReasonOf(err) != ReasonWrongAudience {
		t.Fatalf("no audiences: %v", err)
	}
}

func TestVerify_withKeysRevokes(t *testing.T) {
	ks := testKeys(t)
	v := publicVerifier(t)
	tok := valid(t, "ES256")
	if _, err := v.Verify(tok, testNow); err != nil {
		t.Fatal(err)
	}
	rotated := v.WithKeys(mustJWKS(t, jwksJSON(jwkOf(ks.ed.Public(), "ed", "")), JWKSOptions{}))
	if _, err := rotated.Verify(tok, testNow); ReasonOf(err) != ReasonUnknownKey {
		t.Fatalf("after rotation: %v", err)
	}
	if _, err := v.Verify(tok, testNow); err != nil {
		t.Fatalf("WithKeys changed the original: %v", err)
	}
}

func TestError_text(t *testing.T) {
	_, err := publicVerifier(t).Verify("x.y", testNow)
	var e *Error
	if !errors.As(err, &e) || e.Reason != ReasonMalformed || !strings.HasPrefix(err.Error(), "jwt: malformed: ") {
		t.Fatalf("err = %v", err)
	}
	if ReasonOf(errors.New("other")) != "" || ReasonOf(nil) != "" {
		t.Fatal("ReasonOf of a foreign error")
	}
}

func TestVerify_peekUnverified(t *testing.T) {
	good := valid(t, "ES256")
	u, ok := PeekUnverified(good)
	if !ok || u != (Unverified{Issuer: testIssuer, KeyID: "ec256", Algorithm: "ES256"}) {
		t.Fatalf("Peek = %+v, %v", u, ok)
	}
	// A forged signature does not matter to Peek: it is routing only.
	if u, ok := PeekUnverified(flipSig(t, good)); !ok || u.Issuer != testIssuer {
		t.Fatalf("Peek forged = %+v, %v", u, ok)
	}
	ks := testKeys(t)
	for name, tok := range map[string]string{
		"malformed":   "a.b",
		"none":        compact(`{"alg":"none"}`, claims(), nil),
		"crit":        sign(t, "ES256", ks.ec["P-256"], header("ES256", "ec256", `"crit":[]`), claims()),
		"claims list": sign(t, "ES256", ks.ec["P-256"], header("ES256", "ec256"), `[]`),
	} {
		if _, ok := PeekUnverified(tok); ok {
			t.Errorf("%s: Peek ok", name)
		}
	}
	if u, ok := PeekUnverified(sign(t, "ES256", ks.ec["P-256"], header("ES256", ""), claims(`iss=1`))); !ok || u.Issuer != "" || u.KeyID != "" {
		t.Fatalf("Peek iss=1: %+v %v", u, ok)
	}
}

func TestVerify_numericDate(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"-0", 0, true}, {"1", 1, true}, {"1.9", 1, true}, {"1e3", 1000, true},
		{"1.7e9", 1700000000, true}, {"253402300799", 253402300799, true}, {"253402300799.5", 253402300799, true},
		{"253402300800", 0, false}, {"-1", 0, false}, {"-0.5", 0, false}, {"1e400", 0, false},
		{"1e-400", 0, true}, {"99999999999999999999999", 0, false}, {`"1"`, 0, false}, {"true", 0, false}, {"null", 0, false},
	} {
		v := mustParse(t, c.in)
		got, ok := numericDate(&v)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("numericDate(%s) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// TestVerify_keyTries: a kid naming several keys (a fetched set may hold
// them) is tried against each, keys of that kid before keys without one,
// and no token costs more than MaxKeyTries signature checks.
func TestVerify_keyTries(t *testing.T) {
	ks := testKeys(t)
	privs := make([]*ecdsa.PrivateKey, MaxKeyTries+1)
	for i := range privs {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		privs[i] = k
	}
	ec := func(i int, kid string) map[string]any { return jwkOf(&privs[i].PublicKey, kid, "") }
	rsaK := jwkOf(&ks.rsa2048.PublicKey, "k", "")
	fetched := JWKSOptions{Fetched: true}
	verifier := func(keys ...map[string]any) *Verifier {
		return NewVerifier(testConfig(), mustJWKS(t, jwksJSON(keys...), fetched))
	}
	five := make([]map[string]any, len(privs))
	fiveKidless := make([]map[string]any, len(privs))
	for i := range privs {
		five[i], fiveKidless[i] = ec(i, "k"), ec(i, "")
	}
	// Keys of other types under the same kid are not candidates: they do
	// not count against the limit.
	withRSA := append([]map[string]any{rsaK, rsaK, rsaK, rsaK}, ec(0, "k"))
	// Keys of the token's kid are tried before keys without one.
	kidLast := append(append([]map[string]any(nil), fiveKidless[1:]...), ec(0, "k"))
	cases := []struct {
		name   string
		v      *Verifier
		signer int
		kid    string
		want   string // "" = verifies
	}{
		{"first of two keys of a kid", verifier(ec(0, "k"), ec(1, "k")), 0, "k", ""},
		{"second of two keys of a kid", verifier(ec(0, "k"), ec(1, "k")), 1, "k", ""},
		{"fourth of five keys of a kid", verifier(five...), 3, "k", ""},
		{"fifth of five keys of a kid", verifier(five...), 4, "k", ReasonBadSignature},
		{"none of a kid", verifier(ec(0, "k"), ec(1, "k")), 2, "k", ReasonBadSignature},
		{"fourth of five keys without kid", verifier(fiveKidless...), 3, "", ""},
		{"fifth of five keys without kid", verifier(fiveKidless...), 4, "", ReasonBadSignature},
		{"fifth of five keys, token without kid", verifier(five...), 4, "", ReasonBadSignature},
		{"kid named after four kidless keys", verifier(kidLast...), 0, "k", ""},
		{"kidless key after a wrong key of the kid", verifier(ec(1, "k"), ec(0, "")), 0, "k", ""},
		{"unfitting keys of the kid do not count", verifier(withRSA...), 0, "k", ""},
		{"another kid", verifier(ec(0, "k")), 0, "other", ReasonUnknownKey},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := sign(t, "ES256", privs[c.signer], header("ES256", c.kid), claims())
			_, err := c.v.Verify(tok, testNow)
			if ReasonOf(err) != c.want || (c.want == "") != (err == nil) {
				t.Fatalf("err = %v, want reason %q", err, c.want)
			}
		})
	}
}

// TestVerify_emptyFetchedSet: a fetched set left with no usable key knows
// no key (the plugin answers 401 and may refetch early), which is not the
// same as no set at all (the plugin waits for one).
func TestVerify_emptyFetchedSet(t *testing.T) {
	for _, doc := range []string{`{"keys":[]}`, setOf(`{"kty":"RSA","use":"enc"}`)} {
		v := NewVerifier(testConfig(), mustJWKS(t, doc, JWKSOptions{Fetched: true}))
		for _, alg := range asymmetricAlgs {
			if _, err := v.Verify(valid(t, alg), testNow); ReasonOf(err) != ReasonUnknownKey {
				t.Errorf("%s: %v", alg, err)
			}
		}
	}
}

// TestIsSupportedAlgorithm_exactNames: the JWS names this package verifies
// are exactly those of SupportedAlgorithms, in their exact case; "none" and
// other spellings are not.
func TestIsSupportedAlgorithm_exactNames(t *testing.T) {
	for _, alg := range SupportedAlgorithms() {
		if !IsSupportedAlgorithm(alg) {
			t.Errorf("IsSupportedAlgorithm(%q) = false", alg)
		}
	}
	for _, name := range []string{"", "none", "None", "NONE", "rs256", "Rs256", "RS256 ", " RS256", "RS", "HS1", "ES256K", "EdDSA\x00", "PS256\n"} {
		if IsSupportedAlgorithm(name) {
			t.Errorf("IsSupportedAlgorithm(%q) = true", name)
		}
	}
}
