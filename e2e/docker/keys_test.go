package docker

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// The identity provider of envoy.yaml's "idp" provider.
const (
	issuer   = "https://idp.e2e.test/"
	audience = "e2e-api"
)

// idp is the test's identity provider: Ed25519 signing keys by kid, and the
// JWKS file the JWKS server serves (rewritten on every change, so a rotation
// is one call).
type idp struct {
	dir  string
	mu   sync.Mutex
	keys map[string]ed25519.PrivateKey
	kids []string // in the order they were published
}

// newIDP publishes a JWKS holding one key, "k1", in dir/jwks.json.
func newIDP(t testing.TB, dir string) *idp {
	t.Helper()
	p := &idp{dir: dir, keys: map[string]ed25519.PrivateKey{}}
	p.addKey(t, "k1")
	return p
}

// addKey generates a key and publishes it beside the others.
func (p *idp) addKey(t testing.TB, kid string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys[kid] = priv
	p.kids = append(p.kids, kid)
	type jwk struct {
		Kty string `json:"kty"`
		Crv string `json:"crv"`
		X   string `json:"x"`
		Kid string `json:"kid"`
		Use string `json:"use"`
		Alg string `json:"alg"`
	}
	set := struct {
		Keys []jwk `json:"keys"`
	}{}
	for _, k := range p.kids {
		pub := p.keys[k].Public().(ed25519.PublicKey)
		set.Keys = append(set.Keys, jwk{Kty: "OKP", Crv: "Ed25519", X: b64(pub), Kid: k, Use: "sig", Alg: "EdDSA"})
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	// Write then rename: the JWKS server never serves half a file.
	tmp := filepath.Join(p.dir, ".jwks.json.tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(p.dir, "jwks.json")); err != nil {
		t.Fatal(err)
	}
}

// claims are a token's payload; token fills iss, aud, iat and exp.
type claims map[string]any

// token signs c with kid's key: iss and aud are the provider's, exp is in
// ten minutes unless c says otherwise.
func (p *idp) token(t testing.TB, kid string, c claims) string {
	t.Helper()
	p.mu.Lock()
	key := p.keys[kid]
	p.mu.Unlock()
	if key == nil {
		t.Fatalf("no key %q", kid)
	}
	return signWith(t, key, kid, c)
}

// forgedToken is a well-formed token naming a published kid, signed with a
// key the JWKS does not hold.
func (p *idp) forgedToken(t testing.TB, kid string, c claims) string {
	t.Helper()
	_, other, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return signWith(t, other, kid, c)
}

func signWith(t testing.TB, key ed25519.PrivateKey, kid string, c claims) string {
	t.Helper()
	now := time.Now().Unix()
	payload := map[string]any{"iss": issuer, "aud": audience, "iat": now, "exp": now + 600}
	for k, v := range c {
		payload[k] = v
	}
	header, err := json.Marshal(map[string]string{"alg": "EdDSA", "typ": "JWT", "kid": kid})
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	signing := b64(header) + "." + b64(body)
	return signing + "." + b64(ed25519.Sign(key, []byte(signing)))
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
