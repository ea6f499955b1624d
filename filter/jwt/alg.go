package jwt

import (
	"crypto"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
)

// family is the signature scheme of an algorithm, which decides the key
// type that may verify it.
type family uint8

const (
	famRSA     family = iota + 1 // RSASSA-PKCS1-v1_5
	famPSS                       // RSASSA-PSS, MGF1 with the same hash, salt = hash size
	famECDSA                     // ECDSA, raw r||s
	famEd25519                   // Ed25519 (pure)
	famHMAC                      // HMAC
)

// alg describes one JWS algorithm this package verifies.
type alg struct {
	name   string
	fam    family
	hash   crypto.Hash     // unused for Ed25519
	curve  elliptic.Curve  // ECDSA only
	crv    string          // JWK crv for ECDSA and EdDSA
	pss    *rsa.PSSOptions // PSS only: SaltLength = hash size exactly
	bucket int             // index in Verifier.allowed
}

// The algorithms, in a fixed order. EdDSA and Ed25519 (RFC 9864's fully
// specified name) are both Ed25519 signatures.
var algs = []*alg{
	{name: "RS256", fam: famRSA, hash: crypto.SHA256},
	{name: "RS384", fam: famRSA, hash: crypto.SHA384},
	{name: "RS512", fam: famRSA, hash: crypto.SHA512},
	{name: "PS256", fam: famPSS, hash: crypto.SHA256},
	{name: "PS384", fam: famPSS, hash: crypto.SHA384},
	{name: "PS512", fam: famPSS, hash: crypto.SHA512},
	{name: "ES256", fam: famECDSA, hash: crypto.SHA256, curve: elliptic.P256(), crv: "P-256"},
	{name: "ES384", fam: famECDSA, hash: crypto.SHA384, curve: elliptic.P384(), crv: "P-384"},
	{name: "ES512", fam: famECDSA, hash: crypto.SHA512, curve: elliptic.P521(), crv: "P-521"},
	{name: "EdDSA", fam: famEd25519, crv: "Ed25519"},
	{name: "Ed25519", fam: famEd25519, crv: "Ed25519"},
	{name: "HS256", fam: famHMAC, hash: crypto.SHA256},
	{name: "HS384", fam: famHMAC, hash: crypto.SHA384},
	{name: "HS512", fam: famHMAC, hash: crypto.SHA512},
}

func init() {
	for i, a := range algs {
		a.bucket = i
		if a.fam == famPSS {
			// Go's default (PSSSaltLengthAuto) accepts any salt length;
			// JWS fixes it to the hash size (RFC 7518 §3.5).
			a.pss = &rsa.PSSOptions{SaltLength: a.hash.Size(), Hash: a.hash}
		}
	}
}

// lookupAlg returns the algorithm named exactly name (JWS names are case
// sensitive: "none", "None" and "rs256" name nothing).
func lookupAlg(name string) *alg {
	for _, a := range algs {
		if a.name == name {
			return a
		}
	}
	return nil
}

// SupportedAlgorithms returns the JWS algorithm names this package
// verifies, so that configuration can refuse anything else by the same
// list. "none" is never among them.
func SupportedAlgorithms() []string {
	names := make([]string, len(algs))
	for i, a := range algs {
		names[i] = a.name
	}
	return names
}

// IsSupportedAlgorithm reports whether name (exact case) is a JWS
// algorithm this package verifies.
func IsSupportedAlgorithm(name string) bool { return lookupAlg(name) != nil }

// digestSize is the largest hash output used (SHA-512).
const digestSize = 64

// digest hashes msg with the algorithm's hash into a caller array, so the
// hot path does not allocate a hash.Hash.
func (a *alg) digest(msg []byte, out *[digestSize]byte) []byte {
	switch a.hash {
	case crypto.SHA256:
		s := sha256.Sum256(msg)
		return out[:copy(out[:], s[:])]
	case crypto.SHA384:
		s := sha512.Sum384(msg)
		return out[:copy(out[:], s[:])]
	case crypto.SHA512:
		s := sha512.Sum512(msg)
		return out[:copy(out[:], s[:])]
	}
	return nil
}
