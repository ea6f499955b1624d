package jwt

import (
	"errors"
	"strconv"
	"strings"
	"sync"
)

// Signatures in the host's native crypto (docs/responses.md "Guarantees", Signatures).
//
// Envoy 1.30 and later offer a verify_signature foreign function
// (docs/internals/proxy-wasm.md §4 (k)): it takes a serialized protobuf
// VerifySignatureArguments {1 hash_function, 2 public_key (DER
// SubjectPublicKeyInfo), 3 signature (DER for ECDSA), 4 text} and answers
// Ok with a VerifySignatureResult {1 result bool, 2 error string}, or
// BadArgument when the arguments do not parse or the key does not import.
// It is an order of magnitude faster than Go compiled to wasm, so RS256,
// RS384, RS512, ES256, ES384 and ES512 go to the host when it earned
// trust:
//
//   - NewHostVerifier asks the host four questions per algorithm with fixed
//     vectors (hostsig_vectors.go): a valid signature must be true, the same
//     signature over the text with one bit changed false, under the wrong
//     hash name false, and under another key false. An algorithm is used
//     only when all four answers are right; a host that says true where it
//     must say false is not used for anything. Nothing is timed and no
//     timer is set: the questions are plain calls.
//   - Verifier.WithHost and every later WithKeys convert each RSA and EC
//     key once to DER and probe it once (a junk signature must be Ok and
//     false): a key the host refuses, or says true for, is verified in Go.
//   - At request time the module checks what Go would check before the
//     signature itself (an RSA signature is exactly the modulus size; an
//     ECDSA one is r||s of exactly twice the order size with 0 < r, s < n),
//     then asks the host. Ok with true accepts; Ok with false (an empty
//     result included) refuses, without a second check in Go, so a forged
//     token costs one native verification; any other answer (another
//     status, a result that does not parse, a false whose error says the
//     host could not set the check up) is verified in Go, never accepted.
//   - PS*, EdDSA and HS* never go to the host (Envoy has no PSS, cannot use
//     Ed25519 with a digest, and has no HMAC).

// HostCall calls the host's verify_signature with serialized
// VerifySignatureArguments and returns the serialized result; err is
// ErrNoHostFunction when the host has no such function (NotFound) and
// non-nil for any other status but Ok (the plugin passes the
// proxy.Status).
type HostCall func(args []byte) (result []byte, err error)

// HostVerifier is the host's native signature verification, as far as its
// self-test earned trust. A nil *HostVerifier verifies nothing. It is
// immutable once built, apart from the two hooks, which are set before use.
type HostVerifier struct {
	call    HostCall
	trusted uint32 // bit alg.bucket for each algorithm the host verifies

	// Fallback, when set, is called for each request-time answer that was
	// not Ok with a result: the module then verified that signature itself.
	Fallback func()
	// Refused, when set, is called once for each key the host refused
	// when a key set was bound (the key is then verified in Go), with a
	// line that names the key by position and kid.
	Refused func(msg string)
}

// hostAlgs are the algorithms the host may verify.
var hostAlgs = [...]string{"RS256", "RS384", "RS512", "ES256", "ES384", "ES512"}

// hostHash is the hash_function of an algorithm's calls.
func hostHash(a *alg) string {
	switch a.name[2:] {
	case "256":
		return "sha256"
	case "384":
		return "sha384"
	}
	return "sha512"
}

// Answers of the host.
type hostAnswer uint8

const (
	hostFailed hostAnswer = iota // any status but Ok, a result that does not parse, a false that is no verdict
	hostTrue
	hostFalse
)

// ErrNoHostFunction is what a HostCall returns when the host has no
// verify_signature (NotFound): Envoy before 1.30, or another proxy.
var ErrNoHostFunction = errors.New("the host offers no verify_signature")

// Outcomes of an algorithm's self-test.
type selfTestOutcome uint8

const (
	selfTestPassed selfTestOutcome = iota
	selfTestAbsent                 // no verify_signature at all
	selfTestFailed                 // a wrong answer short of a lie
	selfTestLied                   // true where the answer had to be false
)

// NewHostVerifier asks call the self-test questions for each of
// algorithms the host may verify (others are ignored) and returns the
// verifier, nil when the host verifies none of them, with one line for
// the log saying what was decided (empty when no algorithm could go to the
// host); warn marks a host that answered and failed.
func NewHostVerifier(call HostCall, algorithms []string) (h *HostVerifier, report string, warn bool) {
	var want []*alg
	for _, name := range hostAlgs {
		for _, n := range algorithms {
			if n == name {
				want = append(want, lookupAlg(name))
				break
			}
		}
	}
	if call == nil || len(want) == 0 {
		return nil, "", false
	}
	h = &HostVerifier{call: call}
	var trusted, failed []string
	liar := false
	for _, a := range want {
		switch outcome, why := h.selfTest(a); outcome {
		case selfTestPassed:
			h.trusted |= 1 << a.bucket
			trusted = append(trusted, a.name)
		case selfTestAbsent:
			return nil, "signatures are verified in the module: " + ErrNoHostFunction.Error() + " (Envoy before 1.30, or another proxy)", false
		default:
			failed = append(failed, a.name+" "+why)
			liar = liar || outcome == selfTestLied
		}
	}
	switch {
	case liar || len(trusted) == 0:
		return nil, "the host's verify_signature is not used: it failed the self-test (" +
			strings.Join(failed, "; ") + "); signatures are verified in the module", true
	case len(failed) > 0:
		return h, "the host's verify_signature verifies " + strings.Join(trusted, ", ") +
			"; it failed the self-test for " + strings.Join(failed, "; ") + " (verified in the module)", true
	}
	return h, "the host's verify_signature verifies " + strings.Join(trusted, ", "), false
}

// ask puts one question to the host.
func (h *HostVerifier) ask(args []byte) (hostAnswer, error) {
	res, err := h.call(args)
	if err != nil {
		return hostFailed, err
	}
	switch r, unusable, parsed := parseHostResult(res); {
	case !parsed, !r && unusable:
		return hostFailed, nil
	case r:
		return hostTrue, nil
	}
	return hostFalse, nil
}

// selfTest asks the four questions for a.
func (h *HostVerifier) selfTest(a *alg) (selfTestOutcome, string) {
	var v *selfTestVector
	for i := range selfTestVectors {
		if selfTestVectors[i].alg == a.name {
			v = &selfTestVectors[i]
		}
	}
	keyA, keyB, sig, good := v.decode(a)
	if !good {
		return selfTestFailed, "has no usable self-test vector"
	}
	text := []byte(selfTestText)
	changed := []byte(selfTestText)
	changed[len(changed)/2] ^= 0x01
	wrong := "sha256"
	if hostHash(a) == "sha256" {
		wrong = "sha384"
	}
	switch ans, err := h.ask(appendHostArgs(nil, hostHash(a), keyA, sig, text)); {
	case errors.Is(err, ErrNoHostFunction):
		return selfTestAbsent, ""
	case ans == hostFailed:
		return selfTestFailed, "did not answer Ok with a verdict for a valid signature"
	case ans == hostFalse:
		return selfTestFailed, "answered false for a valid signature"
	}
	for _, q := range [...]struct {
		what      string
		hash      string
		key, text []byte
	}{
		{"one bit of the text changed", hostHash(a), keyA, changed},
		{"the wrong hash name", wrong, keyA, text},
		{"another key", hostHash(a), keyB, text},
	} {
		switch ans, _ := h.ask(appendHostArgs(nil, q.hash, q.key, sig, q.text)); ans {
		case hostTrue:
			return selfTestLied, "answered true for " + q.what
		case hostFailed:
			return selfTestFailed, "did not answer Ok with a verdict for " + q.what
		}
	}
	return selfTestPassed, ""
}

// decode turns the vector into DER keys and the signature the host reads.
func (v *selfTestVector) decode(a *alg) (keyA, keyB, sig []byte, ok bool) {
	if v == nil {
		return nil, nil, nil, false
	}
	ka, ok1 := decodeB64(v.keyA)
	kb, ok2 := decodeB64(v.keyB)
	s, ok3 := decodeB64(v.sig)
	if !ok1 || !ok2 || !ok3 {
		return nil, nil, nil, false
	}
	if a.fam == famRSA {
		return rsaSPKI(ka, 65537), rsaSPKI(kb, 65537), s, true
	}
	size := len(s) / 2
	if size == 0 || len(s) != 2*size {
		return nil, nil, nil, false
	}
	var buf [2*(2+1+66) + 3]byte
	der := derSignature(buf[:0], s[:size], s[size:])
	return ecSPKI(a.crv, ka), ecSPKI(a.crv, kb), append([]byte(nil), der...), true
}

// trusts reports whether the host verifies a.
func (h *HostVerifier) trusts(a *alg) bool { return h != nil && h.trusted&(1<<a.bucket) != 0 }

// Trusted returns the names of the algorithms the host verifies.
func (h *HostVerifier) Trusted() []string {
	var out []string
	for _, name := range hostAlgs {
		if h.trusts(lookupAlg(name)) {
			out = append(out, name)
		}
	}
	return out
}

// hostKey is one key as the host reads it: the public_key field of the
// arguments, already encoded (nil when the host does not verify with
// this key).
type hostKey struct {
	field []byte
}

// hostBinding is a key set bound to a HostVerifier: one hostKey per key of
// the set, in the set's order.
type hostBinding struct {
	h    *HostVerifier
	keys []hostKey
	// args is reused for the arguments of every call: in wasm each byte
	// allocated costs about as much again in garbage collection.
	mu   sync.Mutex
	args []byte
}

// bind converts the RSA and EC keys of ks that fit an algorithm the host
// verifies to DER and probes each once.
func (h *HostVerifier) bind(ks *KeySet) *hostBinding {
	if h == nil || h.trusted == 0 || ks == nil {
		return nil
	}
	b := &hostBinding{h: h, keys: make([]hostKey, len(ks.keys))}
	for i, k := range ks.keys {
		var der []byte
		var probe *alg
		for _, name := range hostAlgs {
			a := lookupAlg(name)
			if h.trusts(a) && k.fits(a) {
				probe = a
				break
			}
		}
		if probe == nil {
			continue
		}
		var junk []byte
		switch {
		case k.rsa != nil:
			der = rsaSPKI(k.rsa.N.Bytes(), uint32(k.rsa.E))
			junk = make([]byte, k.rsa.Size())
			junk[len(junk)-1] = 1
		case k.ec != nil:
			point, err := k.ec.Bytes()
			if err != nil {
				continue
			}
			der = ecSPKI(k.crv, point)
			junk = []byte{derSequence, 6, derInteger, 1, 1, derInteger, 1, 1}
		}
		if der == nil {
			continue
		}
		field := appendBytesField(make([]byte, 0, 4+len(der)), 2, der)
		why := ""
		switch ans, err := h.ask(appendHostArgsField(nil, hostHash(probe), field, junk, []byte("apiguard key probe"))); {
		case err != nil:
			why = "the host refused it (" + err.Error() + ")"
		case ans == hostFailed:
			why = "the host cannot use it (its answer did not parse or says so)"
		case ans == hostTrue:
			why = "the host said true for a junk signature"
		}
		if why != "" {
			if h.Refused != nil {
				name := "keys[" + strconv.Itoa(i) + "]"
				if k.hasKid {
					name += ` (kid "` + k.kid + `")`
				}
				h.Refused(name + " is verified in the module: " + why)
			}
			continue
		}
		b.keys[i].field = field
	}
	return b
}

// verify asks the host whether sig is k's signature of msg under a; the
// caller made the checks Go would make before the signature itself.
func (b *hostBinding) verify(a *alg, i int, k *key, msg, sig []byte) hostAnswer {
	field := b.keys[i].field
	if k.ec != nil {
		size := len(sig) / 2
		var buf [2*(2+1+66) + 3]byte
		sig = derSignature(buf[:0], sig[:size], sig[size:])
	}
	b.mu.Lock()
	b.args = appendHostArgsField(b.args[:0], hostHash(a), field, sig, msg)
	ans, _ := b.h.ask(b.args)
	if cap(b.args) > 16<<10 {
		b.args = nil // an unusually long token: do not keep its buffer
	}
	b.mu.Unlock()
	if ans == hostFailed && b.h.Fallback != nil {
		b.h.Fallback()
	}
	return ans
}

// usable reports whether the host verifies a with key i.
func (b *hostBinding) usable(a *alg, i int) bool {
	return b != nil && b.h.trusts(a) && i < len(b.keys) && b.keys[i].field != nil
}

// checkKey verifies sig over msg with key i of the verifier's set (k):
// through the host when it earned trust for a and took the key, where Ok
// with true accepts, Ok with false refuses and anything else falls through
// to Go; in Go otherwise. digest is a's hash of msg, computed here on first
// use into dbuf and kept for the next key.
func (v *Verifier) checkKey(a *alg, i int, k *key, msg, sig []byte, digest *[]byte, dbuf *[digestSize]byte) (ok, byHost bool) {
	if v.bound.usable(a, i) {
		if !shapeOK(k, sig) {
			return false, false
		}
		switch v.bound.verify(a, i, k, msg, sig) {
		case hostTrue:
			return true, true
		case hostFalse:
			return false, false
		}
	}
	if *digest == nil {
		switch a.fam {
		case famRSA, famPSS, famECDSA:
			*digest = a.digest(msg, dbuf)
		}
	}
	return verifySig(a, k, msg, *digest, sig), false
}

// shapeOK is what Go checks of a signature before the arithmetic: the
// host is asked only about signatures Go could accept, so both paths
// refuse the same malformed ones.
func shapeOK(k *key, sig []byte) bool {
	switch {
	case k.rsa != nil:
		return len(sig) == k.rsa.Size()
	case k.ec != nil:
		params := k.ec.Curve.Params()
		size := (params.BitSize + 7) / 8
		if len(sig) != 2*size {
			return false
		}
		order := orderBytes(params.N, size)
		return inRange(sig[:size], order) && inRange(sig[size:], order)
	}
	return false
}

// Protobuf encoding of VerifySignatureArguments (all fields are
// length-delimited: tag = number<<3 | 2).

func appendVarint(dst []byte, v uint64) []byte {
	for v >= 0x80 {
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}

func appendBytesField(dst []byte, num byte, v []byte) []byte {
	dst = append(dst, num<<3|2)
	dst = appendVarint(dst, uint64(len(v)))
	return append(dst, v...)
}

func appendHostArgs(dst []byte, hash string, key, sig, text []byte) []byte {
	return appendHostArgsField(dst, hash, appendBytesField(nil, 2, key), sig, text)
}

// appendHostArgsField is appendHostArgs with the key's field already
// encoded.
func appendHostArgsField(dst []byte, hash string, keyField, sig, text []byte) []byte {
	if n := 2 + len(hash) + len(keyField) + 2*10 + len(sig) + len(text); cap(dst)-len(dst) < n {
		dst = append(make([]byte, 0, len(dst)+n), dst...)
	}
	dst = append(dst, 1<<3|2, byte(len(hash)))
	dst = append(dst, hash...)
	dst = append(dst, keyField...)
	dst = appendBytesField(dst, 3, sig)
	return appendBytesField(dst, 4, text)
}

// parseHostResult reads a VerifySignatureResult: result is field 1 (the
// last one wins); unknown fields are skipped. An empty result is false.
// unusable reports an error text (field 2) saying the host could not set
// the verification up rather than that the signature is wrong: Envoy
// answers "Failed to initialize digest verify." for a key it cannot use
// and "<hash> is not supported." for a hash it does not know. Such a false
// is the host's failure, not a verdict, so the module verifies in Go.
func parseHostResult(b []byte) (result, unusable, ok bool) {
	for len(b) > 0 {
		tag, n := readVarint(b)
		if n == 0 || tag>>3 == 0 || tag>>3 > 1<<29-1 {
			return false, false, false // field numbers are 1 to 2^29-1
		}
		b = b[n:]
		switch tag & 7 {
		case 0:
			v, m := readVarint(b)
			if m == 0 {
				return false, false, false
			}
			if tag>>3 == 1 {
				result = v != 0
			}
			b = b[m:]
		case 1:
			if len(b) < 8 {
				return false, false, false
			}
			b = b[8:]
		case 2:
			l, m := readVarint(b)
			if m == 0 || l > uint64(len(b)-m) {
				return false, false, false
			}
			if tag>>3 == 2 {
				text := string(b[m : m+int(l)])
				unusable = strings.Contains(text, "initialize") || strings.Contains(text, "not supported")
			}
			b = b[m+int(l):]
		case 5:
			if len(b) < 4 {
				return false, false, false
			}
			b = b[4:]
		default:
			return false, false, false
		}
	}
	return result, unusable, true
}

// readVarint reads a protobuf varint; n is 0 when it is truncated, longer
// than ten bytes or over 64 bits.
func readVarint(b []byte) (v uint64, n int) {
	for i := 0; i < len(b) && i < 10; i++ {
		if i == 9 && b[i] > 1 {
			return 0, 0
		}
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}
