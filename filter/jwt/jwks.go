package jwt

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/binary"
	"hash/maphash"
	"math/big"
	"strconv"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// Limits of a key set. A JWKS is fetched from the network or written in
// configuration; these bound the work one document can cause.
const (
	// MaxJWKSBytes is the largest JWKS document ParseJWKS reads.
	MaxJWKSBytes = 1 << 20
	// MaxJWKSKeys is the most keys (usable or not) a set may list.
	MaxJWKSKeys = 256
	// MinRSABits is the smallest RSA modulus accepted.
	MinRSABits = 2048
	// MaxRSABits is the largest RSA modulus accepted: the limit of
	// BoringSSL (Envoy's verify_signature), so both verification paths
	// accept the same keys. A verification with a 16384-bit key costs
	// about 64 times one with a 2048-bit key; Verify tries at most
	// MaxKeyTries keys per token.
	MaxRSABits = 16384
	// MaxKeyTries is the most signature checks one token costs: a kid
	// naming several keys (or a set of keys without kid) is tried key by
	// key up to this many.
	MaxKeyTries = 4
	// minHMACBytes is the shortest HMAC key without an alg: the hash size
	// of HS256, the smallest HMAC algorithm. At verification a key must
	// also be at least the hash size of the token's alg.
	minHMACBytes = 32
	// minRSAExponent follows FIPS 186-5 (e > 2^16). Small exponents
	// such as 3 only stay safe with a verifier as strict as Go's; no
	// identity provider needs them.
	minRSAExponent = 65537
)

// JWKSOptions says where a key set comes from.
type JWKSOptions struct {
	// AllowHMAC lets the set hold symmetric (kty "oct") keys. Only an
	// inline set written in configuration may: a fetched JWKS is public,
	// so a secret in it is no secret. Without it, oct keys are skipped
	// (listed in Skipped), never used.
	AllowHMAC bool
	// Fetched says the set comes from an identity provider's endpoint.
	// Every key this package cannot use safely is then skipped (listed in
	// Skipped with its path, kid and reason) instead of refusing the set,
	// so one bad key an identity provider publishes never takes
	// authentication down: keys not for JWS verification (an unknown kty
	// or curve such as Ed448, X25519, secp256k1 or a post-quantum type, an
	// alg that is no supported JWS algorithm, use other than "sig",
	// key_ops without "verify"), weak or malformed keys (an RSA modulus
	// outside MinRSABits..MaxRSABits, an even or out-of-range exponent, an
	// EC point off its curve, bad base64url, private members) and every
	// oct key (AllowHMAC is ignored). Several usable keys may share a kid,
	// and a set left with no usable key is valid and empty: an identity
	// provider that withdraws its keys is obeyed. Only a document that is
	// not a strict JSON object with a "keys" array, is over MaxJWKSBytes or
	// lists over MaxJWKSKeys keys is refused. Leave it off for inline sets,
	// where the operator wrote each key and any unusable one is an error.
	Fetched bool
	// Generation, when non-zero, is the set's generation. Otherwise it is
	// derived from the usable keys (see KeySet.Generation).
	Generation uint64
}

// KeySet is a parsed, validated JWKS: the keys a Verifier may use. It is
// immutable and safe for concurrent use.
type KeySet struct {
	keys    []*key
	gen     uint64
	skipped []SkippedKey
}

// SkippedKey is a key ParseJWKS left out without refusing the set.
type SkippedKey struct {
	Path string // of the offending member, e.g. "keys[3].n" or "keys[3]"
	// Kid is the key's kid when it has a string one ("" otherwise). It is
	// the identity provider's text: quote it before logging it.
	Kid    string
	Reason string // fixed text, e.g. "use is not sig"; never key material
}

// Generation identifies the set's content (the plugin tells a refetched
// set from the one a request already tried by it; the verified-token cache
// uses a generation per key instead, cache.go). Unless
// JWKSOptions.Generation set it, it is a 64-bit hash of every usable key
// (type, kid, alg and key material), seeded per process so it reveals
// nothing about secret keys: removing or replacing a key changes it. It is
// never 0.
func (s *KeySet) Generation() uint64 { return s.gen }

// Len returns the number of usable keys (0 only for an empty fetched set).
func (s *KeySet) Len() int { return len(s.keys) }

// Skipped lists the keys that were left out, for a log line.
func (s *KeySet) Skipped() []SkippedKey { return s.skipped }

// key is one usable verification key. Exactly one of rsa, ec, ed, secret
// is set.
type key struct {
	kid    string
	hasKid bool
	alg    *alg // nil when the JWK has no alg
	rsa    *rsa.PublicKey
	ec     *ecdsa.PublicKey
	crv    string // EC and OKP
	ed     ed25519.PublicKey
	secret []byte
}

// fits reports whether k may verify a signature of algorithm a: the key
// type fits the algorithm (and the curve for ECDSA), the key's own alg, if
// any, is a, and an HMAC key is at least the hash size.
func (k *key) fits(a *alg) bool {
	if k.alg != nil && k.alg != a {
		return false
	}
	switch a.fam {
	case famRSA, famPSS:
		return k.rsa != nil
	case famECDSA:
		return k.ec != nil && k.crv == a.crv
	case famEd25519:
		return k.ed != nil
	case famHMAC:
		return k.secret != nil && len(k.secret) >= a.hash.Size()
	}
	return false
}

// privateMembers are JWK members that only private keys have (RFC 7518
// §6.2.2, §6.3.2; RFC 8037 §2).
var privateMembers = [...]string{"d", "p", "q", "dp", "dq", "qi", "oth"}

// ParseJWKS parses and validates a JWK Set (RFC 7517 §5) with the strict
// JSON parser. Unless JWKSOptions.Fetched, it refuses the whole set, with a
// *KeyError naming the JSON path, for: a document that is not strict JSON (duplicate keys included)
// or has no "keys" array; a key that is not an object or lacks kty;
// private key members (d, p, q, dp, dq, qi, oth) anywhere; a kid, use,
// key_ops or alg of the wrong JSON type, an empty kid, key_ops with
// duplicates; two usable keys with the same kid; an alg that contradicts
// the key's type or curve; RSA moduli under MinRSABits or over MaxRSABits,
// even moduli, exponents that are even, below 65537 or above 2^31-1, and ROCA
// moduli; EC coordinates not of the curve's exact length or not on the
// curve; Ed25519 keys that are not 32 bytes, not canonical, not on the
// curve or of small order; HMAC keys shorter than their alg's hash (32
// bytes without alg); oct keys next to asymmetric ones (AllowHMAC); keys of
// an unsupported kind; and a set left with no usable key. oct keys without
// AllowHMAC are skipped. With Fetched, every one of these key-level faults
// skips the key instead (see JWKSOptions.Fetched). Members it does not
// know (x5c, x5t, issuer, ...) are ignored.
//
// Leading zero octets in n and e are accepted and ignored (RFC 7518 says
// not to send them, some producers do, and the value is unambiguous).
func ParseJWKS(data []byte, o JWKSOptions) (*KeySet, error) {
	if len(data) > MaxJWKSBytes {
		return nil, &KeyError{Msg: "document larger than " + strconv.Itoa(MaxJWKSBytes) + " bytes"}
	}
	doc, err := jsonx.Parse(data, jsonx.Limits{MaxDepth: 16})
	if err != nil {
		// jsonx errors carry an offset and a reason, never content.
		return nil, &KeyError{Msg: "not strict JSON: " + err.Error()}
	}
	if doc.Kind != jsonx.KindObject {
		return nil, &KeyError{Msg: "not a JSON object"}
	}
	list := doc.Get("keys")
	if list == nil {
		return nil, &KeyError{Path: "keys", Msg: "missing"}
	}
	if list.Kind != jsonx.KindArray {
		return nil, &KeyError{Path: "keys", Msg: "not an array"}
	}
	if len(list.Items) > MaxJWKSKeys {
		return nil, &KeyError{Path: "keys", Msg: "more than " + strconv.Itoa(MaxJWKSKeys) + " keys"}
	}
	s := &KeySet{}
	kids := make(map[string]bool)
	var symmetric, asymmetric bool
	for i := range list.Items {
		path := "keys[" + strconv.Itoa(i) + "]"
		item := &list.Items[i]
		k, skip, kerr := parseJWK(item, path, o)
		if kerr != nil && o.Fetched {
			skip, path = kerr.Msg, kerr.Path
		} else if kerr != nil {
			return nil, kerr
		}
		if skip != "" {
			s.skipped = append(s.skipped, SkippedKey{Path: path, Kid: kidOf(item), Reason: skip})
			continue
		}
		if k.hasKid && !o.Fetched {
			// An operator who writes two keys under one kid has made a
			// mistake; an identity provider may publish them (a rotation
			// that keeps the kid), and Verify tries each.
			if kids[k.kid] {
				return nil, &KeyError{Path: path + ".kid", Msg: "same kid as an earlier key"}
			}
			kids[k.kid] = true
		}
		if k.secret != nil {
			symmetric = true
		} else {
			asymmetric = true
		}
		s.keys = append(s.keys, k)
	}
	if symmetric && asymmetric {
		// A set that mixes secrets and public keys is either a published
		// secret or a confusion waiting to happen (Wycheproof
		// jws_mixedSymmetryKeyset).
		return nil, &KeyError{Path: "keys", Msg: "mixes symmetric (oct) and asymmetric keys"}
	}
	if len(s.keys) == 0 && !o.Fetched {
		return nil, &KeyError{Path: "keys", Msg: "no usable signing key"}
	}
	s.gen = o.Generation
	if s.gen == 0 {
		s.gen = s.fingerprint()
	}
	return s, nil
}

var genSeed = maphash.MakeSeed()

// fingerprint hashes every usable key (writeIdentity), in set order.
func (s *KeySet) fingerprint() uint64 {
	var h maphash.Hash
	h.SetSeed(genSeed)
	for i := range s.keys {
		s.keys[i].writeIdentity(&h)
	}
	if g := h.Sum64(); g != 0 {
		return g
	}
	return 1
}

// writeIdentity writes to h, each field length-prefixed, what makes k the
// key it is: whether it has a kid, the kid, its alg and its material.
func (k *key) writeIdentity(h *maphash.Hash) {
	field := func(b []byte) {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	if k.hasKid {
		field([]byte{1})
	} else {
		field([]byte{0})
	}
	field([]byte(k.kid))
	if k.alg != nil {
		field([]byte(k.alg.name))
	} else {
		field(nil)
	}
	switch {
	case k.rsa != nil:
		field([]byte("RSA"))
		field(k.rsa.N.Bytes())
		var e [8]byte
		binary.LittleEndian.PutUint64(e[:], uint64(k.rsa.E))
		field(e[:])
	case k.ec != nil:
		field([]byte(k.crv))
		point, _ := k.ec.Bytes() // the uncompressed point: X and Y
		field(point)
	case k.ed != nil:
		field([]byte("OKP"))
		field(k.ed)
	default:
		field([]byte("oct"))
		field(k.secret)
	}
}

// kidOf returns the kid of a JWK that has a string one, for SkippedKey.
func kidOf(v *jsonx.Value) string {
	if v.Kind != jsonx.KindObject {
		return ""
	}
	kid, _, _ := member(v, "kid")
	return kid
}

// member returns the string member name of obj: present reports whether
// it exists, ok whether it is a string.
func member(obj *jsonx.Value, name string) (v string, present, ok bool) {
	m := obj.Get(name)
	if m == nil {
		return "", false, true
	}
	if m.Kind != jsonx.KindString {
		return "", true, false
	}
	return m.Str, true, true
}

func keyErr(path, name, msg string) *KeyError {
	if name != "" {
		path += "." + name
	}
	return &KeyError{Path: path, Msg: msg}
}

// parseJWK validates one JWK. It returns the key, or a non-empty skip
// reason, or an error.
func parseJWK(v *jsonx.Value, path string, o JWKSOptions) (*key, string, *KeyError) {
	if v.Kind != jsonx.KindObject {
		return nil, "", keyErr(path, "", "not a JSON object")
	}
	for _, name := range privateMembers {
		if v.Get(name) != nil {
			return nil, "", keyErr(path, name, "private key material in a public key set")
		}
	}
	kty, present, ok := member(v, "kty")
	if !present || !ok {
		return nil, "", keyErr(path, "kty", "missing or not a string")
	}
	k := &key{}
	var hasKid bool
	if k.kid, hasKid, ok = member(v, "kid"); !ok {
		return nil, "", keyErr(path, "kid", "not a string")
	}
	if hasKid && k.kid == "" {
		return nil, "", keyErr(path, "kid", "empty")
	}
	k.hasKid = hasKid

	use, hasUse, ok := member(v, "use")
	if !ok {
		return nil, "", keyErr(path, "use", "not a string")
	}
	if ops := v.Get("key_ops"); ops != nil {
		verify, err := checkKeyOps(ops, path)
		if err != nil {
			return nil, "", err
		}
		if !verify {
			return nil, "", keyErr(path, "key_ops", "key_ops does not allow verify")
		}
	}
	if hasUse && use != "sig" {
		return nil, "", keyErr(path, "use", "use is not sig")
	}
	algName, hasAlg, ok := member(v, "alg")
	if !ok {
		return nil, "", keyErr(path, "alg", "not a string")
	}
	if hasAlg {
		if k.alg = lookupAlg(algName); k.alg == nil {
			return nil, "", keyErr(path, "alg", "alg is not a supported JWS algorithm")
		}
	}
	algFits := func(fams ...family) bool {
		if k.alg == nil {
			return true
		}
		for _, f := range fams {
			if k.alg.fam == f {
				return true
			}
		}
		return false
	}

	switch kty {
	case "RSA":
		if !algFits(famRSA, famPSS) {
			return nil, "", keyErr(path, "alg", "does not fit kty RSA")
		}
		pub, err := parseRSA(v, path)
		if err != nil {
			return nil, "", err
		}
		k.rsa = pub
	case "EC":
		crv, present, ok := member(v, "crv")
		if !present || !ok {
			return nil, "", keyErr(path, "crv", "missing or not a string")
		}
		var curveAlg *alg
		for _, a := range algs {
			if a.fam == famECDSA && a.crv == crv {
				curveAlg = a
			}
		}
		if curveAlg == nil {
			return nil, "", keyErr(path, "crv", "unsupported curve")
		}
		if k.alg != nil && k.alg != curveAlg {
			return nil, "", keyErr(path, "alg", "does not fit the key's curve")
		}
		pub, err := parseEC(v, path, curveAlg)
		if err != nil {
			return nil, "", err
		}
		k.ec, k.crv = pub, crv
	case "OKP":
		crv, present, ok := member(v, "crv")
		if !present || !ok {
			return nil, "", keyErr(path, "crv", "missing or not a string")
		}
		if crv != "Ed25519" {
			return nil, "", keyErr(path, "crv", "unsupported curve")
		}
		if !algFits(famEd25519) {
			return nil, "", keyErr(path, "alg", "does not fit an Ed25519 key")
		}
		x, err := coordinate(v, path, "x", ed25519.PublicKeySize)
		if err != nil {
			return nil, "", err
		}
		if !ed25519PointOK(x) {
			return nil, "", keyErr(path, "x", "not a valid Ed25519 public key (off the curve, non-canonical or small order)")
		}
		k.ed, k.crv = ed25519.PublicKey(x), crv
	case "oct":
		if !o.AllowHMAC || o.Fetched {
			return nil, "symmetric key where only public keys are allowed", nil
		}
		if !algFits(famHMAC) {
			return nil, "", keyErr(path, "alg", "does not fit kty oct")
		}
		secret, err := b64Member(v, path, "k")
		if err != nil {
			return nil, "", err
		}
		min := minHMACBytes
		if k.alg != nil {
			min = k.alg.hash.Size()
		}
		if len(secret) < min {
			return nil, "", keyErr(path, "k", "HMAC key shorter than "+strconv.Itoa(min)+" bytes")
		}
		k.secret = secret
	default:
		return nil, "", keyErr(path, "kty", "unsupported kty")
	}
	return k, "", nil
}

// checkKeyOps validates key_ops (RFC 7517 §4.3: an array of unique
// strings) and reports whether it allows verify.
func checkKeyOps(ops *jsonx.Value, path string) (bool, *KeyError) {
	if ops.Kind != jsonx.KindArray {
		return false, keyErr(path, "key_ops", "not an array")
	}
	verify := false
	for i, op := range ops.Items {
		if op.Kind != jsonx.KindString {
			return false, keyErr(path, "key_ops["+strconv.Itoa(i)+"]", "not a string")
		}
		for _, prev := range ops.Items[:i] {
			if prev.Str == op.Str {
				return false, keyErr(path, "key_ops["+strconv.Itoa(i)+"]", "duplicate operation")
			}
		}
		if op.Str == "verify" {
			verify = true
		}
	}
	return verify, nil
}

// b64Member decodes a required member holding strict base64url.
func b64Member(v *jsonx.Value, path, name string) ([]byte, *KeyError) {
	s, present, ok := member(v, name)
	if !present || !ok {
		return nil, keyErr(path, name, "missing or not a string")
	}
	b, good := decodeB64(s)
	if !good {
		return nil, keyErr(path, name, "not strict base64url")
	}
	return b, nil
}

// bigEndian decodes a base64url unsigned integer member.
func bigEndian(v *jsonx.Value, path, name string) ([]byte, *KeyError) {
	b, err := b64Member(v, path, name)
	if err != nil {
		return nil, err
	}
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	return b, nil
}

func parseRSA(v *jsonx.Value, path string) (*rsa.PublicKey, *KeyError) {
	n, err := bigEndian(v, path, "n")
	if err != nil {
		return nil, err
	}
	e, err := bigEndian(v, path, "e")
	if err != nil {
		return nil, err
	}
	N := new(big.Int).SetBytes(n)
	switch bits := N.BitLen(); {
	case bits < MinRSABits:
		return nil, keyErr(path, "n", "RSA modulus under "+strconv.Itoa(MinRSABits)+" bits")
	case bits > MaxRSABits:
		return nil, keyErr(path, "n", "RSA modulus over "+strconv.Itoa(MaxRSABits)+" bits")
	case N.Bit(0) == 0:
		return nil, keyErr(path, "n", "RSA modulus is even")
	}
	if len(e) > 4 {
		return nil, keyErr(path, "e", "RSA exponent too large")
	}
	var E uint64
	for _, b := range e {
		E = E<<8 | uint64(b)
	}
	if E < minRSAExponent || E&1 == 0 || E > 1<<31-1 {
		return nil, keyErr(path, "e", "RSA exponent must be odd, at least 65537 and below 2^31")
	}
	if isROCA(n) {
		return nil, keyErr(path, "n", "RSA modulus has the ROCA weakness (CVE-2017-15361)")
	}
	return &rsa.PublicKey{N: N, E: int(E)}, nil
}

// coordinate decodes a fixed-length base64url member.
func coordinate(v *jsonx.Value, path, name string, size int) ([]byte, *KeyError) {
	b, err := b64Member(v, path, name)
	if err != nil {
		return nil, err
	}
	if len(b) != size {
		return nil, keyErr(path, name, "not "+strconv.Itoa(size)+" bytes")
	}
	return b, nil
}

func parseEC(v *jsonx.Value, path string, a *alg) (*ecdsa.PublicKey, *KeyError) {
	size := (a.curve.Params().BitSize + 7) / 8
	x, err := coordinate(v, path, "x", size)
	if err != nil {
		return nil, err
	}
	y, err := coordinate(v, path, "y", size)
	if err != nil {
		return nil, err
	}
	point := make([]byte, 0, 1+2*size)
	point = append(point, 4)
	point = append(point, x...)
	point = append(point, y...)
	pub, perr := ecdsa.ParseUncompressedPublicKey(a.curve, point)
	if perr != nil {
		return nil, keyErr(path, "", "EC point is not on the curve "+a.crv)
	}
	return pub, nil
}
