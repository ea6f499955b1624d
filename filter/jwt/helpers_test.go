package jwt

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// Test keys are fixed (testdata/testkeys.json, generated once with
// crypto/rand for these tests only) so that fuzz seeds minted in one
// process verify in every fuzzing worker.

const testIssuer = "https://idp.example.com/"

var testNow = time.Unix(1_800_000_000, 0)

type testKeySet struct {
	rsa2048, rsa3072 *rsa.PrivateKey
	ec               map[string]*ecdsa.PrivateKey // by JWK crv
	ed               ed25519.PrivateKey
	hmac32, hmac64   []byte
	publicJWKS       string // kids: rsa, rsa-ps256, ec256, ec384, ec521, ed
	hmacJWKS         string // kids: hs, hs256
}

var (
	keysOnce sync.Once
	keysVal  *testKeySet
)

func b64s(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func unb64(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func testKeys(tb testing.TB) *testKeySet {
	tb.Helper()
	keysOnce.Do(func() { keysVal = loadKeys(tb) })
	if keysVal == nil {
		tb.Fatal("test keys failed to load")
	}
	return keysVal
}

func loadKeys(tb testing.TB) *testKeySet {
	data, err := os.ReadFile("testdata/testkeys.json")
	if err != nil {
		tb.Fatal(err)
	}
	var raw map[string]map[string]string
	if err := json.Unmarshal(data, &raw); err != nil {
		tb.Fatal(err)
	}
	rsaKey := func(m map[string]string) *rsa.PrivateKey {
		k := &rsa.PrivateKey{
			PublicKey: rsa.PublicKey{N: new(big.Int).SetBytes(unb64(tb, m["n"])), E: 65537},
			D:         new(big.Int).SetBytes(unb64(tb, m["d"])),
			Primes:    []*big.Int{new(big.Int).SetBytes(unb64(tb, m["p"])), new(big.Int).SetBytes(unb64(tb, m["q"]))},
		}
		if err := k.Validate(); err != nil {
			tb.Fatal(err)
		}
		k.Precompute()
		return k
	}
	ks := &testKeySet{
		rsa2048: rsaKey(raw["rsa2048"]),
		rsa3072: rsaKey(raw["rsa3072"]),
		ec:      map[string]*ecdsa.PrivateKey{},
		ed:      ed25519.NewKeyFromSeed(unb64(tb, raw["ed25519"]["seed"])),
		hmac32:  unb64(tb, raw["hmac32"]["k"]),
		hmac64:  unb64(tb, raw["hmac64"]["k"]),
	}
	for crv, c := range map[string]elliptic.Curve{"P-256": elliptic.P256(), "P-384": elliptic.P384(), "P-521": elliptic.P521()} {
		k, err := ecdsa.ParseRawPrivateKey(c, unb64(tb, raw[crv]["d"]))
		if err != nil {
			tb.Fatal(err)
		}
		ks.ec[crv] = k
	}
	ks.publicJWKS = jwksJSON(
		jwkOf(&ks.rsa2048.PublicKey, "rsa", ""),
		jwkOf(&ks.rsa3072.PublicKey, "rsa-ps256", "PS256"),
		jwkOf(&ks.ec["P-256"].PublicKey, "ec256", "ES256"),
		jwkOf(&ks.ec["P-384"].PublicKey, "ec384", ""),
		jwkOf(&ks.ec["P-521"].PublicKey, "ec521", "ES512"),
		jwkOf(ks.ed.Public(), "ed", ""),
	)
	ks.hmacJWKS = jwksJSON(jwkOf(ks.hmac64, "hs", ""), jwkOf(ks.hmac32, "hs256", "HS256"))
	return ks
}

// jwkOf renders a public key (or HMAC secret) as a JWK object, written
// here independently of ParseJWKS.
func jwkOf(pub any, kid, alg string) map[string]any {
	m := map[string]any{}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		m["kty"], m["n"], m["e"] = "RSA", b64s(k.N.Bytes()), b64s(big.NewInt(int64(k.E)).Bytes())
	case *ecdsa.PublicKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		m["kty"], m["crv"] = "EC", map[int]string{32: "P-256", 48: "P-384", 66: "P-521"}[size]
		//lint:ignore SA1019 the test reads the coordinates to write JWKs and off-curve points; it never modifies a key
		m["x"], m["y"] = b64s(k.X.FillBytes(make([]byte, size))), b64s(k.Y.FillBytes(make([]byte, size)))
	case ed25519.PublicKey:
		m["kty"], m["crv"], m["x"] = "OKP", "Ed25519", b64s(k)
	case []byte:
		m["kty"], m["k"] = "oct", b64s(k)
	default:
		panic("jwkOf: unknown key type")
	}
	if kid != "" {
		m["kid"] = kid
	}
	if alg != "" {
		m["alg"] = alg
	}
	return m
}

func jwksJSON(keys ...map[string]any) string {
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		panic(err)
	}
	return string(b)
}

func mustParse(tb testing.TB, s string) jsonx.Value {
	tb.Helper()
	v, err := jsonx.Parse([]byte(s), jsonx.Limits{})
	if err != nil {
		tb.Fatalf("jsonx.Parse(%q): %v", s, err)
	}
	return v
}

func mustJWKS(tb testing.TB, data string, o JWKSOptions) *KeySet {
	tb.Helper()
	ks, err := ParseJWKS([]byte(data), o)
	if err != nil {
		tb.Fatalf("ParseJWKS: %v", err)
	}
	return ks
}

// asymmetricAlgs are every supported algorithm but HMAC.
var asymmetricAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"}

func testConfig() Config {
	return Config{
		Issuer:            testIssuer,
		Audiences:         []string{"orders-api", "billing"},
		Algorithms:        asymmetricAlgs,
		ClockSkew:         60 * time.Second,
		MaxLifetime:       24 * time.Hour,
		RequireExpiration: true,
	}
}

func publicVerifier(tb testing.TB) *Verifier {
	return NewVerifier(testConfig(), mustJWKS(tb, testKeys(tb).publicJWKS, JWKSOptions{}))
}

func hmacVerifier(tb testing.TB) *Verifier {
	c := testConfig()
	c.Algorithms = []string{"HS256", "HS384", "HS512"}
	return NewVerifier(c, mustJWKS(tb, testKeys(tb).hmacJWKS, JWKSOptions{AllowHMAC: true}))
}

// claims builds a claims object from the default claims (iss, aud, sub,
// iat, exp) and mods: "name=raw" replaces a member's raw JSON value (or
// adds it at the end), "-name" removes it, "+name=raw" appends a member
// even when it exists (duplicates).
func claims(mods ...string) string {
	now := testNow.Unix()
	type kv struct{ k, v string }
	members := []kv{
		{"iss", strconv.Quote(testIssuer)},
		{"aud", `"orders-api"`},
		{"sub", `"alice"`},
		{"iat", strconv.FormatInt(now-60, 10)},
		{"exp", strconv.FormatInt(now+3600, 10)},
	}
	for _, m := range mods {
		switch {
		case strings.HasPrefix(m, "-"):
			for i := range members {
				if members[i].k == m[1:] {
					members = append(members[:i], members[i+1:]...)
					break
				}
			}
		case strings.HasPrefix(m, "+"):
			k, v, _ := strings.Cut(m[1:], "=")
			members = append(members, kv{k, v})
		default:
			k, v, _ := strings.Cut(m, "=")
			found := false
			for i := range members {
				if members[i].k == k {
					members[i].v, found = v, true
				}
			}
			if !found {
				members = append(members, kv{k, v})
			}
		}
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(m.k) + ":" + m.v)
	}
	b.WriteByte('}')
	return b.String()
}

// header builds {"alg":alg,"kid":kid} plus raw extra members.
func header(alg, kid string, extra ...string) string {
	s := `{"alg":` + strconv.Quote(alg)
	if kid != "" {
		s += `,"kid":` + strconv.Quote(kid)
	}
	for _, e := range extra {
		s += "," + e
	}
	return s + "}"
}

// sign returns a compact JWS of the given header and payload texts, signed
// with the standard library (not through this package).
func sign(tb testing.TB, alg string, priv any, hdr, payload string) string {
	tb.Helper()
	input := b64s([]byte(hdr)) + "." + b64s([]byte(payload))
	return input + "." + b64s(rawSign(tb, alg, priv, []byte(input)))
}

func rawSign(tb testing.TB, algName string, priv any, msg []byte) []byte {
	tb.Helper()
	a := lookupAlg(algName)
	if a == nil {
		tb.Fatalf("rawSign: unknown alg %q", algName)
	}
	var dbuf [digestSize]byte
	switch a.fam {
	case famRSA:
		sig, err := rsa.SignPKCS1v15(nil, priv.(*rsa.PrivateKey), a.hash, a.digest(msg, &dbuf))
		if err != nil {
			tb.Fatal(err)
		}
		return sig
	case famPSS:
		sig, err := rsa.SignPSS(rand.Reader, priv.(*rsa.PrivateKey), a.hash, a.digest(msg, &dbuf), &rsa.PSSOptions{SaltLength: a.hash.Size()})
		if err != nil {
			tb.Fatal(err)
		}
		return sig
	case famECDSA:
		k := priv.(*ecdsa.PrivateKey)
		r, s, err := ecdsa.Sign(rand.Reader, k, a.digest(msg, &dbuf))
		if err != nil {
			tb.Fatal(err)
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		return append(r.FillBytes(make([]byte, size)), s.FillBytes(make([]byte, size))...)
	case famEd25519:
		return ed25519.Sign(priv.(ed25519.PrivateKey), msg)
	default:
		mac := hmac.New(a.hash.New, priv.([]byte))
		mac.Write(msg)
		return mac.Sum(nil)
	}
}

// privFor returns the test private key a token of alg is signed with and
// the kid of its public key in publicJWKS/hmacJWKS.
func (ks *testKeySet) privFor(alg string) (any, string) {
	switch alg {
	case "RS256", "RS384", "RS512", "PS384", "PS512":
		return ks.rsa2048, "rsa"
	case "PS256":
		return ks.rsa3072, "rsa-ps256"
	case "ES256":
		return ks.ec["P-256"], "ec256"
	case "ES384":
		return ks.ec["P-384"], "ec384"
	case "ES512":
		return ks.ec["P-521"], "ec521"
	case "EdDSA", "Ed25519":
		return ks.ed, "ed"
	case "HS256":
		return ks.hmac32, "hs256"
	default:
		return ks.hmac64, "hs"
	}
}

// valid returns a valid token of alg for publicVerifier/hmacVerifier.
func valid(tb testing.TB, alg string) string {
	ks := testKeys(tb)
	priv, kid := ks.privFor(alg)
	return sign(tb, alg, priv, header(alg, kid), claims())
}

// copyToken is a copy of t's verdict without its memo (a Token holds an
// atomic pointer and is not copied by assignment).
func copyToken(t *Token) *Token {
	return &Token{Claims: t.Claims, Algorithm: t.Algorithm, KeyID: t.KeyID, Expires: t.Expires,
		ByHost: t.ByHost, times: t.times, keyGen: t.keyGen}
}
