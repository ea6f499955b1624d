package jwt

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
)

// jwkWith returns a JWK of pub with raw JSON members set or removed
// ("name": raw value, or nil to delete).
func jwkWith(t *testing.T, base map[string]any, mods map[string]any) string {
	t.Helper()
	m := map[string]any{}
	for k, v := range base {
		m[k] = v
	}
	for k, v := range mods {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func setOf(keys ...string) string { return `{"keys":[` + strings.Join(keys, ",") + `]}` }

func TestJWKS_parse(t *testing.T) {
	ks := testKeys(t)
	rsaJWK := jwkOf(&ks.rsa2048.PublicKey, "r", "")
	ecJWK := jwkOf(&ks.ec["P-256"].PublicKey, "e", "")
	edJWK := jwkOf(ks.ed.Public(), "o", "")
	octJWK := jwkOf(ks.hmac32, "h", "")
	ec384 := jwkOf(&ks.ec["P-384"].PublicKey, "", "")
	ecPoint := ks.ec["P-256"].PublicKey
	//lint:ignore SA1019 the test reads the coordinates to write JWKs and off-curve points; it never modifies a key
	offY := new(big.Int).Add(ecPoint.Y, big.NewInt(1)).FillBytes(make([]byte, 32))
	small := jwkOf(&ks.rsa2048.PublicKey, "", "")
	small["n"] = b64s(ks.rsa2048.N.Bytes()[:128]) // 1024 bits
	even := new(big.Int).Add(ks.rsa2048.N, big.NewInt(1)).Bytes()
	huge := make([]byte, MaxRSABits/8+1) // 16392 bits, odd
	for i := range huge {
		huge[i] = 0xff
	}
	largest := huge[1:] // 16384 bits, odd

	R := func(mods map[string]any) string { return jwkWith(t, rsaJWK, mods) }
	E := func(mods map[string]any) string { return jwkWith(t, ecJWK, mods) }
	O := func(mods map[string]any) string { return jwkWith(t, edJWK, mods) }
	K := func(mods map[string]any) string { return jwkWith(t, octJWK, mods) }

	fetched, hmacOK := JWKSOptions{Fetched: true}, JWKSOptions{AllowHMAC: true}
	cases := []struct {
		name    string
		doc     string
		o       JWKSOptions
		errPath string // "" = accepted
		keys    int    // usable keys when accepted
		skipped int
		empty   bool // accepted with no usable key (fetched sets only)
	}{
		{name: "all types", doc: setOf(R(nil), E(nil), O(nil)), keys: 3},
		{name: "unknown members ignored", doc: setOf(R(map[string]any{"x5c": []string{"MIIB"}, "x5t": "abc", "issuer": "https://idp", "ext": true})), keys: 1},
		{name: "use sig, key_ops verify", doc: setOf(R(map[string]any{"use": "sig", "key_ops": []string{"sign", "verify"}})), keys: 1},
		{name: "leading zero in n", doc: setOf(R(map[string]any{"n": b64s(append([]byte{0}, ks.rsa2048.N.Bytes()...))})), keys: 1},
		{name: "leading zero in e", doc: setOf(R(map[string]any{"e": "AAEAAQ"})), keys: 1},
		{name: "extra top-level member", doc: `{"keys":[` + R(nil) + `],"note":"x"}`, keys: 1},

		{name: "not JSON", doc: `{"keys":[`, errPath: ""},
		{name: "duplicate keys member", doc: `{"keys":[],"keys":[` + R(nil) + `]}`, errPath: ""},
		{name: "duplicate member in key", doc: `{"keys":[{"kty":"RSA","kty":"EC"}]}`, errPath: ""},
		{name: "top-level array", doc: `[` + R(nil) + `]`, errPath: ""},
		{name: "keys missing", doc: `{}`, errPath: "keys"},
		{name: "keys object", doc: `{"keys":{}}`, errPath: "keys"},
		{name: "empty keys", doc: `{"keys":[]}`, errPath: "keys"},
		{name: "key not object", doc: `{"keys":["x"]}`, errPath: "keys[0]"},
		{name: "kty missing", doc: setOf(R(map[string]any{"kty": nil})), errPath: "keys[0].kty"},
		{name: "kty number", doc: setOf(R(map[string]any{"kty": 1})), errPath: "keys[0].kty"},
		{name: "kid number", doc: setOf(R(map[string]any{"kid": 7})), errPath: "keys[0].kid"},
		{name: "kid empty", doc: setOf(R(map[string]any{"kid": ""})), errPath: "keys[0].kid"},
		{name: "duplicate kid", doc: setOf(R(nil), E(map[string]any{"kid": "r"})), errPath: "keys[1].kid"},
		{name: "duplicate kid of a skipped key", doc: setOf(R(nil), E(map[string]any{"kid": "r", "use": "enc"})), o: fetched, keys: 1, skipped: 1},

		{name: "private d in RSA", doc: setOf(R(map[string]any{"d": "AQAB"})), errPath: "keys[0].d"},
		{name: "private p in RSA", doc: setOf(R(map[string]any{"p": "AQAB"})), errPath: "keys[0].p"},
		{name: "private qi in RSA", doc: setOf(R(map[string]any{"qi": "AQAB"})), errPath: "keys[0].qi"},
		{name: "private oth in RSA", doc: setOf(R(map[string]any{"oth": []string{}})), errPath: "keys[0].oth"},
		{name: "private d in EC", doc: setOf(E(map[string]any{"d": "AQAB"})), errPath: "keys[0].d"},
		{name: "private d in OKP", doc: setOf(O(map[string]any{"d": "AQAB"})), errPath: "keys[0].d"},
		{name: "private d in a key of another use", doc: setOf(R(nil), E(map[string]any{"use": "enc", "d": "AQAB"})), errPath: "keys[1].d"},
		{name: "private d skipped in a fetched set", doc: setOf(R(nil), E(map[string]any{"d": "AQAB"})), o: fetched, keys: 1, skipped: 1},

		{name: "use enc", doc: setOf(R(map[string]any{"use": "enc"})), errPath: "keys[0].use"},
		{name: "use enc skipped", doc: setOf(R(map[string]any{"use": "enc"}), E(nil)), o: fetched, keys: 1, skipped: 1},
		{name: "use number", doc: setOf(R(map[string]any{"use": 1})), errPath: "keys[0].use"},
		{name: "key_ops encrypt", doc: setOf(R(map[string]any{"key_ops": []string{"encrypt"}})), errPath: "keys[0].key_ops"},
		{name: "key_ops encrypt skipped", doc: setOf(R(map[string]any{"key_ops": []string{"encrypt"}}), E(nil)), o: fetched, keys: 1, skipped: 1},
		{name: "key_ops one malformed string", doc: setOf(R(map[string]any{"key_ops": []string{"sign, verify"}})), errPath: "keys[0].key_ops"},
		{name: "key_ops duplicate", doc: setOf(R(map[string]any{"key_ops": []string{"verify", "verify"}})), errPath: "keys[0].key_ops[1]"},
		{name: "key_ops string", doc: setOf(R(map[string]any{"key_ops": "verify"})), errPath: "keys[0].key_ops"},
		{name: "key_ops number element", doc: setOf(R(map[string]any{"key_ops": []any{1}})), errPath: "keys[0].key_ops[0]"},
		{name: "use enc with key_ops verify", doc: setOf(R(map[string]any{"use": "enc", "key_ops": []string{"verify"}})), errPath: "keys[0].use"},

		{name: "alg RSA-OAEP", doc: setOf(R(map[string]any{"alg": "RSA-OAEP"})), errPath: "keys[0].alg"},
		{name: "alg RSA-OAEP skipped", doc: setOf(R(map[string]any{"alg": "RSA-OAEP"}), E(nil)), o: fetched, keys: 1, skipped: 1},
		{name: "alg ES521 typo", doc: setOf(E(map[string]any{"alg": "ES521"})), errPath: "keys[0].alg"},
		{name: "alg none", doc: setOf(R(map[string]any{"alg": "none"})), errPath: "keys[0].alg"},
		{name: "alg number", doc: setOf(R(map[string]any{"alg": 256})), errPath: "keys[0].alg"},
		{name: "alg RS256 on EC", doc: setOf(E(map[string]any{"alg": "RS256"})), errPath: "keys[0].alg"},
		{name: "alg ES384 on P-256", doc: setOf(E(map[string]any{"alg": "ES384"})), errPath: "keys[0].alg"},
		{name: "alg HS256 on RSA", doc: setOf(R(map[string]any{"alg": "HS256"})), errPath: "keys[0].alg"},
		{name: "alg EdDSA on EC", doc: setOf(E(map[string]any{"alg": "EdDSA"})), errPath: "keys[0].alg"},
		{name: "alg ES256 on OKP", doc: setOf(O(map[string]any{"alg": "ES256"})), errPath: "keys[0].alg"},
		{name: "alg PS512 on RSA", doc: setOf(R(map[string]any{"alg": "PS512"})), keys: 1},
		{name: "alg Ed25519 on OKP", doc: setOf(O(map[string]any{"alg": "Ed25519"})), keys: 1},

		{name: "RSA 1024 bits", doc: setOf(jwkWith(t, small, nil)), errPath: "keys[0].n"},
		{name: "RSA 16392 bits", doc: setOf(R(map[string]any{"n": b64s(huge)})), errPath: "keys[0].n"},
		{name: "RSA 16384 bits", doc: setOf(R(map[string]any{"n": b64s(largest)})), keys: 1},
		{name: "RSA e=2^31-1", doc: setOf(R(map[string]any{"e": "f____w"})), keys: 1},
		{name: "RSA even modulus", doc: setOf(R(map[string]any{"n": b64s(even)})), errPath: "keys[0].n"},
		{name: "RSA e=1", doc: setOf(R(map[string]any{"e": "AQ"})), errPath: "keys[0].e"},
		{name: "RSA e=3", doc: setOf(R(map[string]any{"e": "Aw"})), errPath: "keys[0].e"},
		{name: "RSA e=65536", doc: setOf(R(map[string]any{"e": "AQAA"})), errPath: "keys[0].e"},
		{name: "RSA e=2^31+1", doc: setOf(R(map[string]any{"e": "gAAAAQ"})), errPath: "keys[0].e"},
		{name: "RSA e 5 bytes", doc: setOf(R(map[string]any{"e": "AQAAAAE"})), errPath: "keys[0].e"},
		{name: "RSA e empty", doc: setOf(R(map[string]any{"e": ""})), errPath: "keys[0].e"},
		{name: "RSA n padded", doc: setOf(R(map[string]any{"n": b64s(ks.rsa2048.N.Bytes()) + "=="})), errPath: "keys[0].n"},
		{name: "RSA n std base64", doc: setOf(R(map[string]any{"n": strings.NewReplacer("-", "+", "_", "/").Replace(b64s(ks.rsa2048.N.Bytes()))})), errPath: "keys[0].n"},
		{name: "RSA n missing", doc: setOf(R(map[string]any{"n": nil})), errPath: "keys[0].n"},
		{name: "RSA n number", doc: setOf(R(map[string]any{"n": 5})), errPath: "keys[0].n"},

		//lint:ignore SA1019 the test reads the coordinates to write JWKs and off-curve points; it never modifies a key
		{name: "EC x 33 bytes", doc: setOf(E(map[string]any{"x": b64s(append([]byte{0}, ecPoint.X.FillBytes(make([]byte, 32))...))})), errPath: "keys[0].x"},
		{name: "EC y 31 bytes", doc: setOf(E(map[string]any{"y": b64s(make([]byte, 31))})), errPath: "keys[0].y"},
		{name: "EC off curve", doc: setOf(E(map[string]any{"y": b64s(offY)})), errPath: "keys[0]"},
		{name: "EC zero point", doc: setOf(E(map[string]any{"x": b64s(make([]byte, 32)), "y": b64s(make([]byte, 32))})), errPath: "keys[0]"},
		{name: "EC P-384 label on P-256 point", doc: setOf(E(map[string]any{"crv": "P-384"})), errPath: "keys[0].x"},
		{name: "EC P-256 label on P-384 point", doc: setOf(jwkWith(t, ec384, map[string]any{"crv": "P-256"})), errPath: "keys[0].x"},
		{name: "EC secp256k1", doc: setOf(E(map[string]any{"crv": "secp256k1"})), errPath: "keys[0].crv"},
		{name: "EC secp256k1 skipped", doc: setOf(E(map[string]any{"crv": "secp256k1"}), R(nil)), o: fetched, keys: 1, skipped: 1},
		{name: "EC crv missing", doc: setOf(E(map[string]any{"crv": nil})), errPath: "keys[0].crv"},

		{name: "OKP 31 bytes", doc: setOf(O(map[string]any{"x": b64s(make([]byte, 31))})), errPath: "keys[0].x"},
		{name: "OKP Ed448", doc: setOf(O(map[string]any{"crv": "Ed448"})), errPath: "keys[0].crv"},
		{name: "OKP X25519 skipped", doc: setOf(O(map[string]any{"crv": "X25519"}), R(nil)), o: fetched, keys: 1, skipped: 1},

		{name: "oct skipped without AllowHMAC", doc: setOf(K(nil), R(nil)), keys: 1, skipped: 1},
		{name: "only oct without AllowHMAC", doc: setOf(K(nil)), errPath: "keys"},
		{name: "oct allowed", doc: setOf(K(nil)), o: hmacOK, keys: 1},
		{name: "oct mixed with RSA", doc: setOf(K(nil), R(nil)), o: hmacOK, errPath: "keys"},
		{name: "oct empty", doc: setOf(K(map[string]any{"k": ""})), o: hmacOK, errPath: "keys[0].k"},
		{name: "oct 31 bytes", doc: setOf(K(map[string]any{"k": b64s(make([]byte, 31))})), o: hmacOK, errPath: "keys[0].k"},
		{name: "oct 32 bytes HS384", doc: setOf(K(map[string]any{"alg": "HS384"})), o: hmacOK, errPath: "keys[0].k"},
		{name: "oct 48 bytes HS384", doc: setOf(K(map[string]any{"alg": "HS384", "k": b64s(make([]byte, 48))})), o: hmacOK, keys: 1},
		{name: "oct k missing", doc: setOf(K(map[string]any{"k": nil})), o: hmacOK, errPath: "keys[0].k"},
		{name: "oct alg RS256", doc: setOf(K(map[string]any{"alg": "RS256"})), o: hmacOK, errPath: "keys[0].alg"},
		{name: "oct alg A256GCM", doc: setOf(K(map[string]any{"alg": "A256GCM"})), o: hmacOK, errPath: "keys[0].alg"},

		{name: "unknown kty", doc: setOf(`{"kty":"AKP","pub":"AAAA"}`), errPath: "keys[0].kty"},
		{name: "unknown kty skipped", doc: setOf(`{"kty":"AKP","alg":"ML-DSA-44","pub":"AAAA"}`, E(nil)), o: fetched, keys: 1, skipped: 1},
		{name: "only skipped keys", doc: setOf(R(map[string]any{"use": "enc"})), o: fetched, skipped: 1, empty: true},
		{name: "only skipped keys inline", doc: setOf(R(map[string]any{"use": "enc"})), errPath: "keys[0].use"},
		{name: "fetched empty keys", doc: `{"keys":[]}`, o: fetched, empty: true},
		{name: "fetched duplicate kid", doc: setOf(R(nil), E(map[string]any{"kid": "r"}), R(nil)), o: fetched, keys: 3},
		{name: "fetched oct with AllowHMAC", doc: setOf(K(nil), R(nil)), o: JWKSOptions{Fetched: true, AllowHMAC: true}, keys: 1, skipped: 1},
		{name: "fetched keys missing", doc: `{}`, o: fetched, errPath: "keys"},
		{name: "fetched not JSON", doc: `{"keys":[`, o: fetched, errPath: ""},
		{name: "fetched duplicate member", doc: `{"keys":[],"keys":[]}`, o: fetched, errPath: ""},
		{name: "too many keys", doc: setOf(strings.Repeat(`{"kty":"x"},`, MaxJWKSKeys) + `{"kty":"x"}`), o: fetched, errPath: "keys"},
		{name: "too large", doc: `{"keys":[],"pad":"` + strings.Repeat("a", MaxJWKSBytes) + `"}`, errPath: ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set, err := ParseJWKS([]byte(c.doc), c.o)
			wantErr := c.keys == 0 && !c.empty
			if wantErr {
				var ke *KeyError
				if !errors.As(err, &ke) {
					t.Fatalf("err = %v, want a *KeyError at %q", err, c.errPath)
				}
				if ke.Path != c.errPath {
					t.Fatalf("path = %q (%v), want %q", ke.Path, err, c.errPath)
				}
				for _, secret := range []string{b64s(ks.rsa2048.N.Bytes())[:16], b64s(ks.hmac32)[:16], b64s(ks.ed.Public().(ed25519.PublicKey))[:16]} {
					if strings.Contains(err.Error(), secret) {
						t.Fatalf("error echoes key material: %v", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseJWKS: %v", err)
			}
			if set.Len() != c.keys || len(set.Skipped()) != c.skipped {
				t.Fatalf("keys = %d, skipped = %v; want %d, %d", set.Len(), set.Skipped(), c.keys, c.skipped)
			}
			checkInvariants(t, set, c.o)
		})
	}
}

// checkInvariants asserts what every accepted set guarantees.
func checkInvariants(t testing.TB, s *KeySet, o JWKSOptions) {
	t.Helper()
	if (s.Len() == 0 && !o.Fetched) || s.Generation() == 0 {
		t.Fatalf("set with %d keys, generation %d", s.Len(), s.Generation())
	}
	kids := map[string]bool{}
	var sym, asym bool
	for i, k := range s.keys {
		n := 0
		for _, set := range []bool{k.rsa != nil, k.ec != nil, k.ed != nil, k.secret != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("key %d has %d materials", i, n)
		}
		if k.hasKid {
			if k.kid == "" || (kids[k.kid] && !o.Fetched) {
				t.Fatalf("key %d: empty or duplicate kid", i)
			}
			kids[k.kid] = true
		}
		fitsSome := false
		for _, a := range algs {
			fitsSome = fitsSome || k.fits(a)
		}
		if !fitsSome {
			t.Fatalf("key %d fits no algorithm", i)
		}
		switch {
		case k.rsa != nil:
			asym = true
			bits := k.rsa.N.BitLen()
			if bits < MinRSABits || bits > MaxRSABits || k.rsa.N.Bit(0) == 0 || k.rsa.E < minRSAExponent || k.rsa.E%2 == 0 {
				t.Fatalf("key %d: weak RSA (%d bits, e=%d)", i, bits, k.rsa.E)
			}
			if k.alg != nil && k.alg.fam != famRSA && k.alg.fam != famPSS {
				t.Fatalf("key %d: RSA with alg %s", i, k.alg.name)
			}
		case k.ec != nil:
			asym = true
			if _, err := k.ec.ECDH(); err != nil {
				t.Fatalf("key %d: invalid EC point: %v", i, err)
			}
			if k.alg != nil && (k.alg.fam != famECDSA || k.alg.crv != k.crv) {
				t.Fatalf("key %d: EC %s with alg %s", i, k.crv, k.alg.name)
			}
		case k.ed != nil:
			asym = true
			if len(k.ed) != ed25519.PublicKeySize || !ed25519PointOK(k.ed) {
				t.Fatalf("key %d: invalid Ed25519 key", i)
			}
		default:
			sym = true
			if !o.AllowHMAC || o.Fetched || len(k.secret) < minHMACBytes || (k.alg != nil && len(k.secret) < k.alg.hash.Size()) {
				t.Fatalf("key %d: HMAC key not allowed or too short", i)
			}
		}
	}
	if sym && asym {
		t.Fatal("set mixes symmetric and asymmetric keys")
	}
}

func TestParseJWKS_generation(t *testing.T) {
	ks := testKeys(t)
	a, b := jwkOf(&ks.rsa2048.PublicKey, "a", ""), jwkOf(&ks.ec["P-256"].PublicKey, "b", "ES256")
	gen := func(doc string, o JWKSOptions) uint64 { return mustJWKS(t, doc, o).Generation() }
	ab := jwksJSON(a, b)
	if g1, g2 := gen(ab, JWKSOptions{}), gen(ab, JWKSOptions{}); g1 != g2 {
		t.Fatal("same set, different generations")
	}
	spaced := strings.ReplaceAll(ab, ",", " , ")
	if gen(spaced, JWKSOptions{}) != gen(ab, JWKSOptions{}) {
		t.Fatal("whitespace changed the generation")
	}
	withEnc := setOf(jwkWith(t, a, nil), jwkWith(t, b, nil), `{"kty":"RSA","use":"enc"}`)
	if gen(withEnc, JWKSOptions{Fetched: true}) != gen(ab, JWKSOptions{}) {
		t.Fatal("a skipped key changed the generation")
	}
	for name, doc := range map[string]string{
		"key removed": jwksJSON(a),
		"kid changed": jwksJSON(a, jwkOf(&ks.ec["P-256"].PublicKey, "c", "ES256")),
		"alg changed": jwksJSON(a, jwkOf(&ks.ec["P-256"].PublicKey, "b", "")),
		"key changed": jwksJSON(a, jwkOf(&ks.ec["P-384"].PublicKey, "b", "")),
	} {
		if gen(doc, JWKSOptions{}) == gen(ab, JWKSOptions{}) {
			t.Errorf("%s: generation unchanged", name)
		}
	}
	if g := gen(ab, JWKSOptions{Generation: 42}); g != 42 {
		t.Fatalf("explicit generation = %d", g)
	}
}

// TestJWKS_ed25519Point checks the eight small-order points (refused), the
// non-canonical encodings, points off the curve, and real keys.
func TestJWKS_ed25519Point(t *testing.T) {
	smallOrder := []string{
		"0100000000000000000000000000000000000000000000000000000000000000", // identity
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2
		"0000000000000000000000000000000000000000000000000000000000000000", // order 4
		"0000000000000000000000000000000000000000000000000000000000000080", // order 4
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
	}
	for _, h := range smallOrder {
		b, _ := hex.DecodeString(h)
		if ed25519PointOK(b) {
			t.Errorf("small-order point %s accepted", h)
		}
	}
	// y = p (non-canonical encoding of y = 0) and y = 2^255-1.
	nonCanon := []string{
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	}
	for _, h := range nonCanon {
		b, _ := hex.DecodeString(h)
		if ed25519PointOK(b) {
			t.Errorf("non-canonical %s accepted", h)
		}
	}
	// Off the curve: y whose x² is not a square (checked with the Jacobi
	// symbol, a different routine from the one under test).
	found := 0
	for y := int64(2); found < 5; y++ {
		Y := big.NewInt(y)
		y2 := new(big.Int).Mul(Y, Y)
		u := new(big.Int).Sub(y2, big.NewInt(1))
		v := new(big.Int).Add(new(big.Int).Mul(edD, y2), big.NewInt(1))
		x2 := new(big.Int).Mul(u, new(big.Int).ModInverse(v, edP))
		x2.Mod(x2, edP)
		if big.Jacobi(x2, edP) != -1 {
			continue
		}
		found++
		enc := make([]byte, 32)
		Y.FillBytes(enc)
		for i, j := 0, 31; i < j; i, j = i+1, j-1 {
			enc[i], enc[j] = enc[j], enc[i]
		}
		if ed25519PointOK(enc) {
			t.Errorf("off-curve y=%d accepted", y)
		}
	}
	for i := range 50 {
		seed := make([]byte, 32)
		seed[0], seed[1] = byte(i), 7
		pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
		if !ed25519PointOK(pub) {
			t.Fatalf("real key %x refused", pub)
		}
	}
	if ed25519PointOK(make([]byte, 31)) {
		t.Fatal("31 bytes accepted")
	}
}

func TestJWKS_rocaFingerprint(t *testing.T) {
	// Real keys never have the fingerprint.
	ks := testKeys(t)
	for _, n := range []*big.Int{ks.rsa2048.N, ks.rsa3072.N} {
		if isROCA(n.Bytes()) {
			t.Fatal("a random modulus has the ROCA fingerprint")
		}
	}
	// A product of two primes of the vulnerable form k·M + 65537^a mod M
	// has it (M = the product of rocaPrimes, times 2).
	M := big.NewInt(2)
	for _, p := range rocaPrimes {
		M.Mul(M, big.NewInt(int64(p)))
	}
	prime := func(a int64, k int64) *big.Int {
		g := new(big.Int).Exp(big.NewInt(65537), big.NewInt(a), M)
		for ; ; k++ {
			c := new(big.Int).Add(new(big.Int).Mul(big.NewInt(k), M), g)
			if c.ProbablyPrime(20) {
				return c
			}
		}
	}
	n := new(big.Int).Mul(prime(1234, 1<<40), prime(987, 1<<41))
	if !isROCA(n.Bytes()) {
		t.Fatal("a ROCA-form modulus was not detected")
	}
}

// TestParseJWKS_fetchedSkipsUnusableKeys: every key an inline set refuses
// is, in a fetched set, skipped with the same path and reason (and its
// kid, never key material); the rest of the set is used, even keys under
// the skipped key's kid, and a set of nothing but such keys is empty.
func TestParseJWKS_fetchedSkipsUnusableKeys(t *testing.T) {
	ks := testKeys(t)
	rsaJWK := jwkOf(&ks.rsa2048.PublicKey, "bad", "")
	ecJWK := jwkOf(&ks.ec["P-256"].PublicKey, "bad", "")
	edJWK := jwkOf(ks.ed.Public(), "bad", "")
	R := func(mods map[string]any) string { return jwkWith(t, rsaJWK, mods) }
	E := func(mods map[string]any) string { return jwkWith(t, ecJWK, mods) }
	O := func(mods map[string]any) string { return jwkWith(t, edJWK, mods) }
	ecPoint := ks.ec["P-256"].PublicKey
	//lint:ignore SA1019 the test reads the coordinates to write JWKs and off-curve points; it never modifies a key
	offY := new(big.Int).Add(ecPoint.Y, big.NewInt(1)).FillBytes(make([]byte, 32))
	huge := make([]byte, MaxRSABits/8+1)
	for i := range huge {
		huge[i] = 0xff
	}
	cases := []struct {
		name, jwk, path, kid string
	}{
		{"RSA 1024 bits", R(map[string]any{"n": b64s(ks.rsa2048.N.Bytes()[:128])}), ".n", "bad"},
		{"RSA over 16384 bits", R(map[string]any{"n": b64s(huge)}), ".n", "bad"},
		{"RSA even modulus", R(map[string]any{"n": b64s(new(big.Int).Add(ks.rsa2048.N, big.NewInt(1)).Bytes())}), ".n", "bad"},
		{"RSA e=3", R(map[string]any{"e": "Aw"}), ".e", "bad"},
		{"RSA even e", R(map[string]any{"e": "AQAC"}), ".e", "bad"},
		{"RSA e=2^31+1", R(map[string]any{"e": "gAAAAQ"}), ".e", "bad"},
		{"RSA e of 5 bytes", R(map[string]any{"e": "AQAAAAE"}), ".e", "bad"},
		{"RSA n not base64url", R(map[string]any{"n": "AQAB=="}), ".n", "bad"},
		{"EC off its curve", E(map[string]any{"y": b64s(offY)}), "", "bad"},
		{"EC short coordinate", E(map[string]any{"x": b64s(make([]byte, 31))}), ".x", "bad"},
		{"EC secp256k1", E(map[string]any{"crv": "secp256k1"}), ".crv", "bad"},
		{"OKP Ed448", O(map[string]any{"crv": "Ed448"}), ".crv", "bad"},
		{"Ed25519 small order", O(map[string]any{"x": b64s(make([]byte, 32))}), ".x", "bad"},
		{"use enc", R(map[string]any{"use": "enc"}), ".use", "bad"},
		{"key_ops encrypt", R(map[string]any{"key_ops": []string{"encrypt"}}), ".key_ops", "bad"},
		{"alg RSA-OAEP", R(map[string]any{"alg": "RSA-OAEP-256"}), ".alg", "bad"},
		{"alg of another type", E(map[string]any{"alg": "RS256"}), ".alg", "bad"},
		{"unknown kty", `{"kty":"AKP","kid":"bad","pub":"AAAA"}`, ".kty", "bad"},
		{"unknown alg", `{"kty":"AKP","alg":"ML-DSA-44","kid":"bad","pub":"AAAA"}`, ".alg", "bad"},
		{"private key member", R(map[string]any{"d": "AQAB"}), ".d", "bad"},
		{"kid a number", R(map[string]any{"kid": 7}), ".kid", ""},
		{"kid empty", R(map[string]any{"kid": ""}), ".kid", ""},
		{"not an object", `"bad"`, "", ""},
		{"oct", `{"kty":"oct","kid":"bad","k":"` + b64s(ks.hmac64) + `"}`, "", "bad"},
	}
	good := jwkOf(&ks.ec["P-384"].PublicKey, "bad", "")
	tok := sign(t, "ES384", ks.ec["P-384"], header("ES384", "bad"), claims())
	//lint:ignore SA1019 the test reads the coordinates to write JWKs and off-curve points; it never modifies a key
	secrets := []string{b64s(ks.rsa2048.N.Bytes())[:16], b64s(ks.hmac64)[:16], b64s(ecPoint.X.Bytes())[:16]}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := "keys[0]" + c.path
			_, err := ParseJWKS([]byte(setOf(c.jwk)), JWKSOptions{AllowHMAC: true})
			var ke *KeyError
			if c.name != "oct" && (!errors.As(err, &ke) || ke.Path != path) {
				t.Fatalf("inline: err = %v, want a *KeyError at %s", err, path)
			}
			alone, err := ParseJWKS([]byte(setOf(c.jwk)), JWKSOptions{Fetched: true})
			if err != nil || alone.Len() != 0 || len(alone.Skipped()) != 1 {
				t.Fatalf("fetched alone: %v, %+v", err, alone)
			}
			sk := alone.Skipped()[0]
			if sk.Path != path || sk.Kid != c.kid || sk.Reason == "" || (ke != nil && sk.Reason != ke.Msg) {
				t.Fatalf("skipped %+v, want path %s, kid %q, reason %v", sk, path, c.kid, ke)
			}
			for _, s := range secrets {
				if strings.Contains(sk.Reason, s) || strings.Contains(sk.Path, s) {
					t.Fatalf("skip reason echoes key material: %+v", sk)
				}
			}
			set, err := ParseJWKS([]byte(setOf(c.jwk, jwkWith(t, good, nil))), JWKSOptions{Fetched: true})
			if err != nil || set.Len() != 1 || len(set.Skipped()) != 1 || set.Skipped()[0] != sk {
				t.Fatalf("fetched with a good key: %v, %+v", err, set)
			}
			c := testConfig()
			if _, err := NewVerifier(c, set).Verify(tok, testNow); err != nil {
				t.Fatalf("the good key beside the skipped one: %v", err)
			}
		})
	}
}
