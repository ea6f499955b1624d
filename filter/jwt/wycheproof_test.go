package jwt

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"sort"
	"strings"
	"testing"

	"github.com/c2sp/wycheproof"
)

// The Wycheproof vectors (github.com/c2sp/wycheproof, docs/internals/security.md §2.1) run
// through the strict verifier: every "valid" vector must verify, every
// "invalid" one must be refused, "acceptable" may go either way. Where a
// correct strict verifier disagrees with a label, the vector is listed in a
// quirk table with the reason; a quirk that stops disagreeing fails the
// test, so the tables stay honest.

type quirk struct {
	accepts bool   // what this verifier does with the vector
	why     string // why that is right although the label says otherwise
}

// jwsQuirks are the json_web_signature_test.json vectors whose label a
// strict verifier contradicts.
var jwsQuirks = map[int]quirk{
	346: {false, "RFC 7520 Fig. 20: the key says alg PS256 but the token is PS384; a key's alg, when set, must equal the token's"},
	350: {false, "RFC 7520 Fig. 20 with key_ops: same key alg PS256 vs token PS384"},
	347: {false, `RFC 7520 Fig. 27: the key says alg "ES521" (a typo for ES512), not a JWS algorithm, so the set is refused`},
	351: {false, `RFC 7520 Fig. 27 with key_ops: same "ES521" key`},
	367: {true, "invalidBase64Padding: the stored token is well-formed (the bad padding was lost when the vector file was reformatted, commit bbbfa86) and verifies"},
	370: {true, "invalidBase64PaddingInPayload: same reformatting loss, the token is valid"},
	372: {false, "InvalidCharacterInsertedInHeader: labelled valid for decoders that skip invalid characters; '?' is not base64url and strict decoding refuses it"},
	373: {false, "InvalidCharacterInsertedInPayload: same, '?' in the payload"},
}

// jwkQuirks are the json_web_key_test.json vectors a strict verifier
// contradicts: none (the ROCA key, tc7, is detected and refused).
var jwkQuirks = map[int]quirk{}

// harnessNote records the one transformation the harness applies: groups
// that only give a private JWK (for signing) are verified with its public
// part, as an identity provider would publish it; private members in a
// set are refused, which TestJWKS_parse covers.
var privateFields = []string{"d", "p", "q", "dp", "dq", "qi", "oth"}

func readVectors(t *testing.T, name string, v any) {
	t.Helper()
	data, err := fs.ReadFile(wycheproof.TestVectors, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

type jwsFile struct {
	TestGroups []struct {
		Comment string          `json:"comment"`
		Private json.RawMessage `json:"private"`
		Public  json.RawMessage `json:"public"`
		Tests   []struct {
			TcID    int             `json:"tcId"`
			Comment string          `json:"comment"`
			Jws     json.RawMessage `json:"jws"`
			Jwe     json.RawMessage `json:"jwe"`
			Result  string          `json:"result"`
		} `json:"tests"`
	} `json:"testGroups"`
}

// publicSetJSON turns a group's key (a JWK or a JWKS, public if given,
// else private) into a JWKS text with private members removed.
func publicSetJSON(t *testing.T, public, private json.RawMessage) string {
	t.Helper()
	raw := public
	if len(raw) == 0 {
		raw = private
	}
	var set struct {
		Keys []map[string]json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(raw, &set); err != nil || set.Keys == nil {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(raw, &one); err != nil {
			t.Fatal(err)
		}
		set.Keys = []map[string]json.RawMessage{one}
	}
	for _, k := range set.Keys {
		if string(k["kty"]) != `"oct"` {
			for _, f := range privateFields {
				delete(k, f)
			}
		}
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// tokenText returns a vector's token: a compact string, or a JSON
// serialization kept as its JSON text.
func tokenText(t *testing.T, raw json.RawMessage) string {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// verifyJWS runs the JWS part of Verify (parse, algorithm, key and
// signature) on a token whose payload is arbitrary bytes, as in the JOSE
// vectors; claims checks follow these steps in Verify and are covered by
// TestVerify_catalogue.
func verifyJWS(v *Verifier, token string) error {
	p, err := parseCompact(token)
	if err != nil {
		return err
	}
	if !v.allows(p.alg) {
		return errAlgNotAllowed
	}
	if err := v.checkSignature(p); err != nil {
		return err
	}
	return nil
}

func runJOSEFile(t *testing.T, name string, quirks map[int]quirk) {
	var f jwsFile
	readVectors(t, name, &f)
	all := SupportedAlgorithms()
	seen := map[int]bool{}
	var total, mismatches, quirked int
	for _, g := range f.TestGroups {
		set, setErr := ParseJWKS([]byte(publicSetJSON(t, g.Public, g.Private)), JWKSOptions{AllowHMAC: true})
		v := NewVerifier(Config{Algorithms: all}, set)
		for _, tc := range g.Tests {
			if tc.Jws == nil {
				continue
			}
			total++
			var err error
			if setErr != nil {
				err = setErr
			} else {
				err = verifyJWSBoth(t, v, tokenText(t, tc.Jws))
			}
			accepted := err == nil
			if tc.Result == "acceptable" || accepted == (tc.Result == "valid") {
				if _, ok := quirks[tc.TcID]; ok && tc.Result != "acceptable" {
					t.Errorf("tc%d (%s %s): listed as a quirk but agrees with its label", tc.TcID, g.Comment, tc.Comment)
				}
				continue
			}
			if q, ok := quirks[tc.TcID]; ok && q.accepts == accepted {
				quirked++
				seen[tc.TcID] = true
				continue
			}
			mismatches++
			t.Errorf("tc%d (%s %s): result %s, accepted=%v (err %v)", tc.TcID, g.Comment, tc.Comment, tc.Result, accepted, err)
		}
	}
	for id := range quirks {
		if !seen[id] {
			t.Errorf("quirk tc%d never observed", id)
		}
	}
	t.Logf("%s: %d vectors, %d mismatches, %d documented quirks", name, total, mismatches, quirked)
}

func TestWycheproof_jsonWebSignature(t *testing.T) {
	runJOSEFile(t, "json_web_signature_test.json", jwsQuirks)
}

func TestWycheproof_jsonWebKey(t *testing.T) {
	runJOSEFile(t, "json_web_key_test.json", jwkQuirks)
}

func TestWycheproof_jsonWebCrypto(t *testing.T) {
	runJOSEFile(t, "json_web_crypto_test.json", map[int]quirk{})
}

// TestWycheproof_jweNeverVerifies feeds every JWE of the encryption
// vectors (and of the crypto vectors) to Verify: none may pass.
func TestWycheproof_jweNeverVerifies(t *testing.T) {
	v := NewVerifier(Config{Issuer: "x", Audiences: []string{"x"}, Algorithms: SupportedAlgorithms()}, mustJWKS(t, testKeys(t).publicJWKS, JWKSOptions{}))
	n := 0
	for _, name := range []string{"json_web_encryption_test.json", "json_web_crypto_test.json"} {
		var f jwsFile
		readVectors(t, name, &f)
		for _, g := range f.TestGroups {
			for _, tc := range g.Tests {
				if tc.Jwe == nil {
					continue
				}
				n++
				tok := tokenText(t, tc.Jwe)
				if _, err := verifyBoth(t, v, tok, testNow); err == nil {
					t.Errorf("%s tc%d: a JWE verified", name, tc.TcID)
				}
				if _, ok := PeekUnverified(tok); ok {
					t.Errorf("%s tc%d: Peek accepted a JWE", name, tc.TcID)
				}
			}
		}
	}
	if n < 139 {
		t.Fatalf("only %d JWE vectors found", n)
	}
}

// sigFile is the shape of the per-algorithm signature files.
type sigFile struct {
	TestGroups []struct {
		KeyJwk       json.RawMessage `json:"keyJwk"`
		PublicKeyJwk json.RawMessage `json:"publicKeyJwk"`
		PublicKey    json.RawMessage `json:"publicKey"`
		KeySize      int             `json:"keySize"`
		TagSize      int             `json:"tagSize"`
		Tests        []struct {
			TcID    int    `json:"tcId"`
			Comment string `json:"comment"`
			Msg     string `json:"msg"`
			Sig     string `json:"sig"`
			Key     string `json:"key"`
			Tag     string `json:"tag"`
			Result  string `json:"result"`
		} `json:"tests"`
	} `json:"testGroups"`
}

func unhex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// policyRefusal is a key the verifier refuses at load by policy although
// the primitive handles it: the vectors are then run on the primitive
// alone, with a key built by the harness.
type policyRefusal struct {
	path string // KeyError path expected
	why  string
}

var sigPolicy = map[string]policyRefusal{
	"rsa-e3":     {"keys[0].e", "RSA public exponent 3: below the FIPS 186-5 minimum of 65537"},
	"hmac-short": {"keys[0].k", "HMAC key shorter than its hash (RFC 7518 §3.2)"},
}

type sigStats struct {
	vectors, mismatches, policy int
	// truncated counts the vectors of HMAC groups with short tags, all
	// of them refused; truncatedValid those labelled valid (a correct
	// truncated MAC).
	truncated, truncatedValid int
}

func (s *sigStats) check(t *testing.T, file string, tc int, comment, result string, ok bool) {
	t.Helper()
	s.vectors++
	if result == "acceptable" || ok == (result == "valid") {
		return
	}
	s.mismatches++
	t.Errorf("%s tc%d (%s): result %s, verified=%v", file, tc, comment, result, ok)
}

// keyFromJWK parses one JWK through ParseJWKS (strict, HMAC allowed).
func keyFromJWK(jwk string) (*key, error) {
	set, err := ParseJWKS([]byte(`{"keys":[`+jwk+`]}`), JWKSOptions{AllowHMAC: true})
	if err != nil {
		return nil, err
	}
	return set.keys[0], nil
}

// expectPolicy checks that err is the documented policy refusal.
func expectPolicy(t *testing.T, err error, p policyRefusal) {
	t.Helper()
	ke, ok := err.(*KeyError)
	if !ok || ke.Path != p.path {
		t.Fatalf("key refused with %v, want the policy refusal at %s (%s)", err, p.path, p.why)
	}
}

func TestWycheproof_signaturePrimitives(t *testing.T) {
	type file struct {
		name string
		alg  string
	}
	var files []file
	for _, bits := range []int{2048, 3072, 4096} {
		for _, h := range []int{256, 384, 512} {
			files = append(files, file{fmt.Sprintf("rsa_signature_%d_sha%d_test.json", bits, h), fmt.Sprintf("RS%d", h)})
		}
	}
	files = append(files,
		file{"rsa_pss_2048_sha256_mgf1_32_test.json", "PS256"},
		file{"rsa_pss_3072_sha256_mgf1_32_test.json", "PS256"},
		file{"rsa_pss_4096_sha256_mgf1_32_test.json", "PS256"},
		file{"rsa_pss_2048_sha384_mgf1_48_test.json", "PS384"},
		file{"rsa_pss_4096_sha384_mgf1_48_test.json", "PS384"},
		file{"rsa_pss_4096_sha512_mgf1_64_test.json", "PS512"},
		file{"ecdsa_secp256r1_sha256_p1363_test.json", "ES256"},
		file{"ecdsa_secp384r1_sha384_p1363_test.json", "ES384"},
		file{"ecdsa_secp521r1_sha512_p1363_test.json", "ES512"},
		file{"ed25519_test.json", "EdDSA"},
		file{"hmac_sha256_test.json", "HS256"},
		file{"hmac_sha384_test.json", "HS384"},
		file{"hmac_sha512_test.json", "HS512"},
	)
	var total sigStats
	for _, f := range files {
		t.Run(strings.TrimSuffix(f.name, "_test.json"), func(t *testing.T) {
			var vf sigFile
			readVectors(t, f.name, &vf)
			a := lookupAlg(f.alg)
			var st sigStats
			var dbuf [digestSize]byte
			for _, g := range vf.TestGroups {
				if a.fam == famHMAC {
					// JWS uses full-length tags only (RFC 7518 §3.2): in a
					// group of truncated tags every vector must be refused,
					// the "valid" ones (a correct truncated MAC) above all.
					truncated := g.TagSize != 8*a.hash.Size()
					for _, tc := range g.Tests {
						secret := unhex(t, tc.Key)
						k, err := keyFromJWK(`{"kty":"oct","alg":"` + f.alg + `","k":"` + b64s(secret) + `"}`)
						if len(secret) < a.hash.Size() {
							expectPolicy(t, err, sigPolicy["hmac-short"])
							st.policy++
							k = &key{secret: secret}
						} else if err != nil {
							t.Fatalf("tc%d: key refused: %v", tc.TcID, err)
						}
						msg, tag := unhex(t, tc.Msg), unhex(t, tc.Tag)
						ok := verifySig(a, k, msg, nil, tag)
						if !truncated {
							st.check(t, f.name, tc.TcID, tc.Comment, tc.Result, ok)
							continue
						}
						st.vectors++
						st.truncated++
						if ok {
							st.mismatches++
							t.Errorf("%s tc%d (%s): a %d-bit tag verified; JWS tags are never truncated", f.name, tc.TcID, tc.Comment, g.TagSize)
						}
						if tc.Result == "valid" {
							// The vector is the attack: a prefix of the
							// real MAC. Check that it is one, so this
							// group tests truncation and not a wrong tag.
							full := rawSign(t, f.alg, secret, msg)
							if len(tag) >= len(full) || !bytes.HasPrefix(full, tag) {
								t.Fatalf("%s tc%d: a valid %d-bit tag is not a prefix of the MAC", f.name, tc.TcID, g.TagSize)
							}
							st.truncatedValid++
						}
					}
					continue
				}
				jwk := string(g.PublicKeyJwk)
				if jwk == "" {
					jwk = string(g.KeyJwk)
				}
				if jwk == "" && a.fam == famECDSA {
					jwk = ecJWKFromHex(t, g.PublicKey, a)
				}
				if jwk == "" {
					t.Fatalf("group without a key")
				}
				k, err := keyFromJWK(jwk)
				if err != nil {
					var m struct{ E string }
					_ = json.Unmarshal([]byte(jwk), &m)
					if a.fam == famRSA && m.E == "Aw" {
						expectPolicy(t, err, sigPolicy["rsa-e3"])
						st.policy += len(g.Tests)
						k = rsaKeyFromJWK(t, jwk)
					} else {
						// A key refused at load can verify nothing: every
						// vector of its group must then be invalid.
						for _, tc := range g.Tests {
							st.check(t, f.name, tc.TcID, tc.Comment+" (key refused: "+err.Error()+")", tc.Result, false)
						}
						continue
					}
				}
				if !k.fits(a) {
					t.Fatalf("key does not fit %s", f.alg)
				}
				// The host path (Envoy's verify_signature, emulated) must
				// answer every vector as Go does.
				var hv *Verifier
				if hostCapable(a) {
					hv = NewVerifier(Config{Algorithms: []string{f.alg}}, &KeySet{keys: []*key{k}}).WithHost(testHost(t))
					if !hv.bound.usable(a, 0) {
						t.Fatalf("the host refused the key")
					}
				}
				for _, tc := range g.Tests {
					msg, sig := unhex(t, tc.Msg), unhex(t, tc.Sig)
					ok := verifySig(a, k, msg, a.digest(msg, &dbuf), sig)
					st.check(t, f.name, tc.TcID, tc.Comment, tc.Result, ok)
					if hv != nil {
						var digest []byte
						hok, byHost := hv.checkKey(a, 0, k, msg, sig, &digest, &dbuf)
						if hok != ok || (hok && !byHost) {
							t.Errorf("tc%d (%s): host path %v (by host %v), Go %v", tc.TcID, tc.Comment, hok, byHost, ok)
						}
					}
				}
			}
			if a.fam == famHMAC && (st.truncated == 0 || st.truncatedValid == 0) {
				t.Errorf("%s: %d vectors with truncated tags (%d valid as truncated MACs); the file should have both", f.name, st.truncated, st.truncatedValid)
			}
			t.Logf("%s: %d vectors, %d mismatches, %d run on the primitive after a policy refusal, %d truncated tags refused (%d of them correct truncated MACs)", f.name, st.vectors, st.mismatches, st.policy, st.truncated, st.truncatedValid)
			total.vectors += st.vectors
			total.mismatches += st.mismatches
			total.policy += st.policy
			total.truncated += st.truncated
		})
	}
	t.Logf("all files: %d vectors, %d mismatches", total.vectors, total.mismatches)
}

// ecJWKFromHex builds the JWK of a group that gives its EC key only as
// hex coordinates.
func ecJWKFromHex(t *testing.T, raw json.RawMessage, a *alg) string {
	var pk struct {
		Wx string `json:"wx"`
		Wy string `json:"wy"`
	}
	if err := json.Unmarshal(raw, &pk); err != nil {
		t.Fatal(err)
	}
	size := (a.curve.Params().BitSize + 7) / 8
	x := new(big.Int).SetBytes(unhex(t, pk.Wx)).FillBytes(make([]byte, size))
	y := new(big.Int).SetBytes(unhex(t, pk.Wy)).FillBytes(make([]byte, size))
	return `{"kty":"EC","crv":"` + a.crv + `","x":"` + b64s(x) + `","y":"` + b64s(y) + `"}`
}

// rsaKeyFromJWK builds the key the harness verifies with when policy
// refuses the JWK.
func rsaKeyFromJWK(t *testing.T, jwk string) *key {
	var m struct{ N, E string }
	if err := json.Unmarshal([]byte(jwk), &m); err != nil {
		t.Fatal(err)
	}
	k, err := keyFromJWK(strings.Replace(jwk, `"`+m.E+`"`, `"AQAB"`, 1))
	if err != nil {
		t.Fatalf("the same key with e=65537 is refused: %v", err)
	}
	k.rsa.E = int(new(big.Int).SetBytes(unb64(t, m.E)).Int64())
	return k
}

// TestWycheproof_quirkTables prints the quirk tables (go test -v) so the
// report can cite them.
func TestWycheproof_quirkTables(t *testing.T) {
	ids := make([]int, 0, len(jwsQuirks))
	for id := range jwsQuirks {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		q := jwsQuirks[id]
		if q.why == "" {
			t.Fatalf("tc%d has no justification", id)
		}
		t.Logf("json_web_signature tc%d: accepts=%v: %s", id, q.accepts, q.why)
	}
	for name, p := range sigPolicy {
		t.Logf("policy %s: %s", name, p.why)
	}
}

// TestWycheproof_securityMdQuirks covers the two docs/internals/security.md §2.1 quirks
// that are not quirks here: tc349's malformed key_ops (["sign, verify"])
// is only in the group's private JWK, whose public JWK says ["verify"], so
// the published key verifies and the malformed one is refused; and the
// ROCA key of json_web_key_test tc7 is detected, so its set is refused.
func TestWycheproof_securityMdQuirks(t *testing.T) {
	var f jwsFile
	readVectors(t, "json_web_signature_test.json", &f)
	found := false
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			if tc.TcID != 349 {
				continue
			}
			found = true
			_, err := ParseJWKS([]byte(publicSetJSON(t, nil, g.Private)), JWKSOptions{})
			var ke *KeyError
			if !errors.As(err, &ke) || ke.Path != "keys[0].key_ops" {
				t.Fatalf("tc349 private form: %v, want a refusal at keys[0].key_ops", err)
			}
			set := mustJWKS(t, publicSetJSON(t, g.Public, nil), JWKSOptions{})
			if err := verifyJWSBoth(t, NewVerifier(Config{Algorithms: []string{"RS256"}}, set), tokenText(t, tc.Jws)); err != nil {
				t.Fatalf("tc349 with the published key: %v", err)
			}
		}
	}
	if !found {
		t.Fatal("tc349 not found")
	}
	var k jwsFile
	readVectors(t, "json_web_key_test.json", &k)
	for _, g := range k.TestGroups {
		if g.Comment != "jws_rsa_roca_key" {
			continue
		}
		_, err := ParseJWKS([]byte(publicSetJSON(t, g.Public, g.Private)), JWKSOptions{})
		var ke *KeyError
		if !errors.As(err, &ke) || ke.Path != "keys[0].n" || !strings.Contains(ke.Msg, "ROCA") {
			t.Fatalf("ROCA key: %v", err)
		}
		return
	}
	t.Fatal("ROCA group not found")
}
