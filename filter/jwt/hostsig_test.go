package jwt

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"math/big"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/host/verifysig"
	"github.com/apiguard/apiguard/filter/proxy"
)

// The host's native verification is tested against verifysig, the Envoy
// emulator's verify_signature (Envoy's wire format and semantics in Go),
// and against the lying and failing hosts of verifysig.Faulty.

// hostCallOf adapts a foreign function to HostCall the way the plugin
// does (NotFound is ErrNoHostFunction).
func hostCallOf(f func([]byte) ([]byte, proxy.Status)) HostCall {
	return func(args []byte) ([]byte, error) {
		out, st := f(args)
		switch st {
		case proxy.StatusOK:
			return out, nil
		case proxy.StatusNotFound:
			return nil, ErrNoHostFunction
		}
		return nil, st
	}
}

// hostVerifications counts the signatures the test host verified true,
// so tests can tell the host path was taken.
var hostVerifications atomic.Int64

var (
	envoyHostOnce sync.Once
	envoyHost     *HostVerifier
)

// testHost is a HostVerifier over Envoy's verify_signature, trusted for
// every algorithm it may verify.
func testHost(tb testing.TB) *HostVerifier {
	tb.Helper()
	envoyHostOnce.Do(func() {
		h, report, warn := NewHostVerifier(hostCallOf(func(args []byte) ([]byte, proxy.Status) {
			out, st := verifysig.Call(args)
			if st == proxy.StatusOK && bytes.Equal(out, []byte{8, 1}) {
				hostVerifications.Add(1)
			}
			return out, st
		}), hostAlgs[:])
		if h == nil || warn || len(h.Trusted()) != len(hostAlgs) {
			panic("the emulator's verify_signature failed the self-test: " + report)
		}
		h.Refused = func(msg string) { panic("the emulator refused a test key: " + msg) }
		envoyHost = h
	})
	return envoyHost
}

var hostTwins sync.Map // *Verifier -> *Verifier with testHost

// withTestHost returns v bound to the test host (memoized per verifier).
func withTestHost(tb testing.TB, v *Verifier) *Verifier {
	if w, ok := hostTwins.Load(v); ok {
		return w.(*Verifier)
	}
	w := v.WithHost(testHost(tb))
	hostTwins.Store(v, w)
	return w
}

// verifyBoth verifies token with v in Go and with v bound to the host, and
// fails the test unless both say the same; it returns the Go result.
func verifyBoth(tb testing.TB, v *Verifier, token string, now time.Time) (*Token, error) {
	tb.Helper()
	tok, err := v.Verify(token, now)
	htok, herr := withTestHost(tb, v).Verify(token, now)
	sameTokens(tb, tok, err, htok, herr)
	return tok, err
}

func sameTokens(tb testing.TB, tok *Token, err error, htok *Token, herr error) {
	tb.Helper()
	if ReasonOf(err) != ReasonOf(herr) || (err == nil) != (herr == nil) {
		tb.Fatalf("module and host disagree: %v / %v", err, herr)
	}
	if tok == nil {
		return
	}
	if tok.ByHost {
		tb.Fatalf("the module path reports ByHost")
	}
	if htok.Algorithm != tok.Algorithm || htok.KeyID != tok.KeyID || !htok.Expires.Equal(tok.Expires) {
		tb.Fatalf("tokens differ: %+v / %+v", tok, htok)
	}
	if h := hostCapable(lookupAlg(tok.Algorithm)); htok.ByHost != h {
		tb.Fatalf("%s verified by host = %v, want %v", tok.Algorithm, htok.ByHost, h)
	}
}

// verifyJWSBoth is verifyJWS (the signature steps alone) on both paths.
func verifyJWSBoth(tb testing.TB, v *Verifier, token string) error {
	tb.Helper()
	err := verifyJWS(v, token)
	herr := verifyJWS(withTestHost(tb, v), token)
	if ReasonOf(err) != ReasonOf(herr) || (err == nil) != (herr == nil) {
		tb.Fatalf("module and host disagree: %v / %v", err, herr)
	}
	return err
}

// TestHostSelfTest_vectors: each vector is what the self-test says it is,
// checked with the standard library: the signature is A's, and it fails
// over a changed text, under the wrong hash and under B.
func TestHostSelfTest_vectors(t *testing.T) {
	for _, name := range hostAlgs {
		a := lookupAlg(name)
		var vec *selfTestVector
		for i := range selfTestVectors {
			if selfTestVectors[i].alg == name {
				vec = &selfTestVectors[i]
			}
		}
		keyA, keyB, sig, ok := vec.decode(a)
		if !ok {
			t.Fatalf("%s: vector does not decode", name)
		}
		pa, err := x509.ParsePKIXPublicKey(keyA)
		if err != nil {
			t.Fatalf("%s: key A: %v", name, err)
		}
		pb, err := x509.ParsePKIXPublicKey(keyB)
		if err != nil {
			t.Fatalf("%s: key B: %v", name, err)
		}
		text := []byte(selfTestText)
		changed := []byte(selfTestText)
		changed[len(changed)/2] ^= 1
		check := func(pub any, h crypto.Hash, text []byte) bool {
			d := h.New()
			d.Write(text)
			switch k := pub.(type) {
			case *rsa.PublicKey:
				return rsa.VerifyPKCS1v15(k, h, d.Sum(nil), sig) == nil
			case *ecdsa.PublicKey:
				return ecdsa.VerifyASN1(k, d.Sum(nil), sig)
			}
			return false
		}
		wrong := crypto.SHA256
		if a.hash == crypto.SHA256 {
			wrong = crypto.SHA384
		}
		if !check(pa, a.hash, text) || check(pa, a.hash, changed) || check(pa, wrong, text) || check(pb, a.hash, text) {
			t.Errorf("%s: vector answers wrong", name)
		}
	}
}

// TestDER_spkiMatchesX509: the module's own SubjectPublicKeyInfo encoder
// writes what crypto/x509 writes, for RSA from 2048 to 16384 bits and the
// three curves; derSignature what encoding/asn1 writes.
func TestDER_spkiMatchesX509(t *testing.T) {
	for _, bits := range []int{2048, 2049, 3072, 4096, 8192, 16384} {
		for _, e := range []int{3, 65537, 1<<31 - 1} {
			n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), uint(bits)))
			n.SetBit(n, bits-1, 1)
			n.SetBit(n, 0, 1)
			pub := &rsa.PublicKey{N: n, E: e}
			want, err := x509.MarshalPKIXPublicKey(pub)
			if err != nil {
				t.Fatal(err)
			}
			if got := rsaSPKI(n.Bytes(), uint32(e)); !bytes.Equal(got, want) {
				t.Errorf("RSA %d bits e=%d: %x\nwant %x", bits, e, got, want)
			}
		}
	}
	for crv, c := range map[string]elliptic.Curve{"P-256": elliptic.P256(), "P-384": elliptic.P384(), "P-521": elliptic.P521()} {
		for range 8 {
			k, _ := ecdsa.GenerateKey(c, rand.Reader)
			want, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
			point, _ := k.PublicKey.Bytes()
			if got := ecSPKI(crv, point); !bytes.Equal(got, want) {
				t.Errorf("%s: %x\nwant %x", crv, got, want)
			}
			size := (c.Params().BitSize + 7) / 8
			// r and s with leading zero bytes and with the top bit set.
			for _, r := range []*big.Int{big.NewInt(1), big.NewInt(0x80), new(big.Int).Sub(c.Params().N, big.NewInt(1)), new(big.Int).Rsh(c.Params().N, 9)} {
				s := new(big.Int).Rsh(c.Params().N, 1)
				want, _ := asn1.Marshal(struct{ R, S *big.Int }{r, s})
				var buf [2*(2+1+66) + 3]byte
				got := derSignature(buf[:0], r.FillBytes(make([]byte, size)), s.FillBytes(make([]byte, size)))
				if !bytes.Equal(got, want) {
					t.Errorf("%s signature r=%x: %x\nwant %x", crv, r, got, want)
				}
			}
		}
	}
	if ecSPKI("P-192", []byte{4}) != nil {
		t.Error("an unknown curve was encoded")
	}
}

// TestHostArgs_wireFormat: the module's VerifySignatureArguments parse as
// protobuf, and its result reader reads what Envoy writes.
func TestHostArgs_wireFormat(t *testing.T) {
	key := bytes.Repeat([]byte{0xaa}, 300)
	sig := bytes.Repeat([]byte{0xbb}, 129)
	text := []byte(strings.Repeat("t", 5000))
	a, ok := verifysig.ParseArgs(appendHostArgs(nil, "sha384", key, sig, text))
	if !ok || a.HashFunction != "sha384" || !bytes.Equal(a.PublicKey, key) || !bytes.Equal(a.Signature, sig) || !bytes.Equal(a.Text, text) || a.PublicKeyPEM != "" {
		t.Fatalf("arguments do not round-trip: %v %+v", ok, a)
	}
	for _, c := range []struct {
		name         string
		in           []byte
		result, good bool
	}{
		{"true", verifysig.Result{OK: true}.Marshal(), true, true},
		{"false with an error", verifysig.Result{Error: "Failed to verify digest. Error code: 0"}.Marshal(), false, true},
		{"false: key unusable", verifysig.Result{Error: "Failed to initialize digest verify."}.Marshal(), false, true},
		{"empty is false", nil, false, true},
		{"last value wins", []byte{0x08, 0x01, 0x08, 0x00}, false, true},
		{"long varint true", []byte{0x08, 0x81, 0x80, 0x00}, true, true},
		{"unknown fields skipped", []byte{0x18, 0x05, 0x21, 1, 2, 3, 4, 5, 6, 7, 8, 0x2d, 1, 2, 3, 4, 0x08, 0x01}, true, true},
		{"truncated varint", []byte{0x08}, false, false},
		{"truncated string", []byte{0x12, 0x05, 'a'}, false, false},
		{"string length past the end", []byte{0x12, 0xff, 0xff, 0xff, 0xff, 0x0f}, false, false},
		{"group", []byte{0x0b, 0x0c}, false, false},
		{"varint over ten bytes", []byte{0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, false, false},
	} {
		r, unusable, good := parseHostResult(c.in)
		if want := strings.Contains(c.name, "unusable"); unusable != want {
			t.Errorf("%s: unusable %v", c.name, unusable)
		}
		if r != c.result || good != c.good {
			t.Errorf("%s: result %v parsed %v, want %v %v", c.name, r, good, c.result, c.good)
		}
	}
}

// TestHostSelfTest_decides: an honest host is trusted for what the
// providers allow; a missing function, a lying or a failing host is never
// trusted.
func TestHostSelfTest_decides(t *testing.T) {
	all := SupportedAlgorithms()
	h, report, warn := NewHostVerifier(hostCallOf(verifysig.Call), all)
	if h == nil || warn || strings.Join(h.Trusted(), ",") != "RS256,RS384,RS512,ES256,ES384,ES512" {
		t.Fatalf("honest host: %v %q %v", h.Trusted(), report, warn)
	}
	if !strings.Contains(report, "verifies RS256, RS384, RS512, ES256, ES384, ES512") {
		t.Errorf("report %q", report)
	}
	h, _, _ = NewHostVerifier(hostCallOf(verifysig.Call), []string{"ES256", "PS256", "EdDSA", "HS256"})
	if got := strings.Join(h.Trusted(), ","); got != "ES256" {
		t.Errorf("trusted %q, want only the allowed ES256", got)
	}
	f := verifysig.NewFaulty(verifysig.Honest)
	if h, report, _ := NewHostVerifier(hostCallOf(f.Call), []string{"PS256", "EdDSA", "HS512"}); h != nil || report != "" || f.Calls() != 0 {
		t.Errorf("algorithms the host never verifies: %v %q after %d calls", h, report, f.Calls())
	}
	absent := func([]byte) ([]byte, proxy.Status) { return nil, proxy.StatusNotFound }
	if h, report, warn := NewHostVerifier(hostCallOf(absent), all); h != nil || warn || !strings.Contains(report, "offers no verify_signature") {
		t.Errorf("no function: %v %q %v", h, report, warn)
	}
	for _, c := range []struct {
		fault verifysig.Fault
		why   string
	}{
		{verifysig.AlwaysTrue, "answered true for one bit of the text changed"},
		{verifysig.AlwaysFalse, "answered false for a valid signature"},
		{verifysig.IgnoreText, "answered true for one bit of the text changed"},
		{verifysig.IgnoreHash, "answered true for the wrong hash name"},
		{verifysig.FailBadArgument, "did not answer Ok with a verdict for a valid signature"},
		{verifysig.FailInternal, "did not answer Ok with a verdict for a valid signature"},
	} {
		f := verifysig.NewFaulty(c.fault)
		h, report, warn := NewHostVerifier(hostCallOf(f.Call), all)
		if h != nil || !warn || !strings.Contains(report, "RS256 "+c.why) || !strings.Contains(report, "not used") {
			t.Errorf("%v: trusted %v, report %q, warn %v", c.fault, h.Trusted(), report, warn)
		}
	}
	// A host that lies about one algorithm is used for none.
	liesAboutES384 := func(args []byte) ([]byte, proxy.Status) {
		if a, _ := verifysig.ParseArgs(args); a.HashFunction == "sha384" && len(a.PublicKey) < 200 {
			return verifysig.Result{OK: true}.Marshal(), proxy.StatusOK
		}
		return verifysig.Call(args)
	}
	if h, report, _ := NewHostVerifier(hostCallOf(liesAboutES384), all); h != nil || !strings.Contains(report, "ES384 answered true") {
		t.Errorf("one lie: trusted %v, report %q", h.Trusted(), report)
	}
	// One that merely cannot do an algorithm is used for the others.
	noSHA512 := func(args []byte) ([]byte, proxy.Status) {
		if a, _ := verifysig.ParseArgs(args); a.HashFunction == "sha512" {
			return nil, proxy.StatusBadArgument
		}
		return verifysig.Call(args)
	}
	h, report, warn = NewHostVerifier(hostCallOf(noSHA512), all)
	if got := strings.Join(h.Trusted(), ","); got != "RS256,RS384,ES256,ES384" || !warn || !strings.Contains(report, "RS512 did not answer Ok with a verdict") {
		t.Errorf("no SHA-512: trusted %q, report %q", got, report)
	}
}

// TestHostVerify_samePathsSameAnswers: every token of the catalogue and
// every valid token is decided the same with and without the host, and
// RS*/ES* tokens are verified by the host.
func TestHostVerify_samePathsSameAnswers(t *testing.T) {
	before := hostVerifications.Load()
	runVerifyCases(t, catalogue(t)) // verifyBoth inside
	for _, alg := range asymmetricAlgs {
		verifyBoth(t, publicVerifier(t), valid(t, alg), testNow)
	}
	if hostVerifications.Load()-before < 6 {
		t.Fatalf("the host verified %d signatures", hostVerifications.Load()-before)
	}
}

// TestHostVerify_requestTimeFailures: a host that passed the self-test and
// then fails (BadArgument, InternalFailure, a result that does not parse)
// costs a Go verification, never a wrong answer.
func TestHostVerify_requestTimeFailures(t *testing.T) {
	garbage := func([]byte) ([]byte, proxy.Status) { return []byte{0x08}, proxy.StatusOK }
	for _, c := range []struct {
		name string
		set  func(f *verifysig.Faulty, call *func([]byte) ([]byte, proxy.Status))
	}{
		{"BadArgument", func(f *verifysig.Faulty, _ *func([]byte) ([]byte, proxy.Status)) { f.Set(verifysig.FailBadArgument) }},
		{"InternalFailure", func(f *verifysig.Faulty, _ *func([]byte) ([]byte, proxy.Status)) { f.Set(verifysig.FailInternal) }},
		{"unparsable result", func(_ *verifysig.Faulty, call *func([]byte) ([]byte, proxy.Status)) { *call = garbage }},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := verifysig.NewFaulty(verifysig.Honest)
			call := f.Call
			h, _, _ := NewHostVerifier(hostCallOf(func(a []byte) ([]byte, proxy.Status) { return call(a) }), SupportedAlgorithms())
			fallbacks := 0
			h.Fallback = func() { fallbacks++ }
			v := publicVerifier(t)
			hv := v.WithHost(h)
			c.set(f, &call)
			n := 0
			for _, vc := range catalogue(t) {
				w := v
				if vc.v != nil {
					w = vc.v
				}
				hw := hv
				if vc.v != nil {
					hw = vc.v.WithHost(h)
				}
				tok, err := w.Verify(vc.token, testNow)
				htok, herr := hw.Verify(vc.token, testNow)
				if ReasonOf(err) != ReasonOf(herr) {
					t.Fatalf("%s: %v / %v", vc.name, err, herr)
				}
				if htok != nil && htok.ByHost {
					t.Fatalf("%s: a failing host verified", vc.name)
				}
				if tok != nil {
					n++
				}
			}
			for _, alg := range []string{"RS256", "ES384", "ES512"} {
				tok, err := hv.Verify(valid(t, alg), testNow)
				if err != nil || tok.ByHost {
					t.Fatalf("%s: %v (ByHost %v)", alg, err, tok != nil && tok.ByHost)
				}
			}
			if n == 0 || fallbacks == 0 {
				t.Fatalf("%d accepted, %d fallbacks", n, fallbacks)
			}
		})
	}
}

// TestHostVerify_falseIsARefusal: Ok with false from a trusted host
// refuses the token without a second check in Go (a host can make the
// filter refuse, never accept).
func TestHostVerify_falseIsARefusal(t *testing.T) {
	f := verifysig.NewFaulty(verifysig.Honest)
	h, _, _ := NewHostVerifier(hostCallOf(f.Call), SupportedAlgorithms())
	fallbacks := 0
	h.Fallback = func() { fallbacks++ }
	v := publicVerifier(t).WithHost(h)
	f.Set(verifysig.AlwaysFalse)
	for _, alg := range asymmetricAlgs {
		_, err := v.Verify(valid(t, alg), testNow)
		want := ""
		if hostCapable(lookupAlg(alg)) {
			want = ReasonBadSignature
		}
		if ReasonOf(err) != want {
			t.Errorf("%s: %v, want %q", alg, err, want)
		}
	}
	if fallbacks != 0 {
		t.Errorf("%d fallbacks for Ok answers", fallbacks)
	}
}

// TestHostVerify_malformedNeverAsked: signatures Go refuses by their shape
// never reach the host.
func TestHostVerify_malformedNeverAsked(t *testing.T) {
	f := verifysig.NewFaulty(verifysig.Honest)
	h, _, _ := NewHostVerifier(hostCallOf(f.Call), SupportedAlgorithms())
	v := publicVerifier(t).WithHost(h)
	f.Set(verifysig.AlwaysTrue) // would accept anything it saw
	calls := f.Calls()
	for _, tok := range []string{
		withSig(valid(t, "RS256"), make([]byte, 255)),
		withSig(valid(t, "ES256"), make([]byte, 64)),
		withSig(valid(t, "ES256"), append(bytes.Repeat([]byte{0xff}, 32), bytes.Repeat([]byte{1}, 32)...)),
		withSig(valid(t, "ES384"), make([]byte, 95)),
	} {
		if _, err := v.Verify(tok, testNow); ReasonOf(err) != ReasonBadSignature {
			t.Errorf("malformed signature: %v", err)
		}
	}
	if f.Calls() != calls {
		t.Errorf("the host was asked %d times", f.Calls()-calls)
	}
}

// TestHostBind_probesEachKeyOnce: binding a set asks the host once per key
// it may verify with; a key the host refuses, or says true for with a junk
// signature, is verified in Go (and reported once).
func TestHostBind_probesEachKeyOnce(t *testing.T) {
	set := mustJWKS(t, testKeys(t).publicJWKS, JWKSOptions{})
	calls := 0
	var refuseRSA, lieEC bool
	call := func(args []byte) ([]byte, proxy.Status) {
		calls++
		a, _ := verifysig.ParseArgs(args)
		if refuseRSA && len(a.PublicKey) > 200 {
			return nil, proxy.StatusBadArgument
		}
		if lieEC && len(a.PublicKey) < 200 && string(a.Text) == "apiguard key probe" {
			return verifysig.Result{OK: true}.Marshal(), proxy.StatusOK
		}
		return verifysig.Call(args)
	}
	h, _, _ := NewHostVerifier(hostCallOf(call), SupportedAlgorithms())
	var refused []string
	h.Refused = func(msg string) { refused = append(refused, msg) }
	calls = 0
	v := NewVerifier(testConfig(), set).WithHost(h)
	// rsa, rsa-ps256 (alg PS256: not for the host), ec256, ec384, ec521, ed.
	if calls != 4 || len(refused) != 0 {
		t.Fatalf("%d probes, refused %q; want 4 and none", calls, refused)
	}
	refuseRSA, lieEC = true, true
	calls = 0
	v = v.WithKeys(set)
	if calls != 4 || len(refused) != 4 {
		t.Fatalf("%d probes, refused %q", calls, refused)
	}
	if !strings.Contains(refused[0], `keys[0] (kid "rsa") is verified in the module: the host refused it`) ||
		!strings.Contains(refused[1], `keys[2] (kid "ec256") is verified in the module: the host said true for a junk signature`) {
		t.Errorf("refusals: %q", refused)
	}
	refuseRSA, lieEC = false, false
	for _, alg := range []string{"RS256", "ES256"} {
		tok, err := v.Verify(valid(t, alg), testNow)
		if err != nil || tok.ByHost {
			t.Errorf("%s with a refused key: %v, ByHost %v", alg, err, tok != nil && tok.ByHost)
		}
	}
}

// TestHostVerify_cannotUseIsNotAVerdict: Envoy 1.30 to 1.36 answer a key
// they cannot import with Ok and false ("Failed to initialize digest
// verify.") rather than BadArgument; such a false, at the probe or at
// request time, is the host's failure, and the module verifies.
func TestHostVerify_cannotUseIsNotAVerdict(t *testing.T) {
	cannot := verifysig.Result{Error: "Failed to initialize digest verify."}.Marshal()
	refuseRSA := false
	call := func(args []byte) ([]byte, proxy.Status) {
		if a, _ := verifysig.ParseArgs(args); refuseRSA && len(a.PublicKey) > 200 {
			return cannot, proxy.StatusOK
		}
		return verifysig.Call(args)
	}
	h, _, _ := NewHostVerifier(hostCallOf(call), SupportedAlgorithms())
	var refused []string
	h.Refused = func(msg string) { refused = append(refused, msg) }
	fallbacks := 0
	h.Fallback = func() { fallbacks++ }
	refuseRSA = true
	v := publicVerifier(t).WithHost(h)
	if len(refused) != 1 || !strings.Contains(refused[0], `kid "rsa"`) {
		t.Fatalf("refused %q", refused)
	}
	if tok, err := v.Verify(valid(t, "RS256"), testNow); err != nil || tok.ByHost {
		t.Fatalf("RS256 after the probe: %v", err)
	}
	// A host that starts saying so after the probe: verified in Go.
	refuseRSA = false
	v = publicVerifier(t).WithHost(h)
	refuseRSA = true
	if tok, err := v.Verify(valid(t, "RS256"), testNow); err != nil || tok.ByHost || fallbacks != 1 {
		t.Fatalf("RS256 at request time: %v (fallbacks %d)", err, fallbacks)
	}
}

// FuzzHostSig_resultAgreesWithProtobuf: the result reader never panics, and whatever it reads
// protobuf reads the same (groups it refuses outright).
func FuzzHostSig_resultAgreesWithProtobuf(f *testing.F) {
	for _, seed := range [][]byte{nil, {0x08, 0x01}, {0x08, 0x00}, {0x12, 0x01, 'x'},
		verifysig.Result{Error: "Failed to initialize digest verify."}.Marshal(),
		{0x08, 0x81, 0x80, 0x00}, {0x0b, 0x0c}, {0x12, 0xff, 0xff, 0xff, 0xff, 0x0f}} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, _, ok := parseHostResult(b)
		if !ok {
			return
		}
		want, wok := verifysig.ParseResult(b)
		if !wok || want.OK != r {
			t.Fatalf("result %v, protobuf says %+v (parsed %v)", r, want, wok)
		}
	})
}

// FuzzHostSig_derSignature: r||s in range turns into the DER encoding/asn1 writes.
func FuzzHostSig_derSignature(f *testing.F) {
	f.Add([]byte{1}, []byte{0x80})
	f.Add([]byte{0, 0, 7}, []byte{0xff, 0xff})
	f.Fuzz(func(t *testing.T, r, s []byte) {
		if len(r) == 0 || len(s) == 0 || len(r) > 66 || len(s) > 66 {
			return
		}
		R, S := new(big.Int).SetBytes(r), new(big.Int).SetBytes(s)
		if R.Sign() == 0 || S.Sign() == 0 {
			return
		}
		size := max(len(r), len(s))
		want, _ := asn1.Marshal(struct{ R, S *big.Int }{R, S})
		var buf [2*(2+1+66) + 3]byte
		if got := derSignature(buf[:0], R.FillBytes(make([]byte, size)), S.FillBytes(make([]byte, size))); !bytes.Equal(got, want) {
			t.Fatalf("%x\nwant %x", got, want)
		}
	})
}

// FuzzHostSig_rsaSPKI: any RSA modulus and exponent encode as crypto/x509 does.
func FuzzHostSig_rsaSPKI(f *testing.F) {
	f.Add([]byte{0xc3, 0x01}, uint32(65537))
	f.Add(bytes.Repeat([]byte{0x80}, 300), uint32(3))
	f.Fuzz(func(t *testing.T, n []byte, e uint32) {
		N := new(big.Int).SetBytes(n)
		if N.Sign() == 0 || e == 0 || e > 1<<31-1 {
			return
		}
		want, err := x509.MarshalPKIXPublicKey(&rsa.PublicKey{N: N, E: int(e)})
		if err != nil {
			return
		}
		if got := rsaSPKI(N.Bytes(), e); !bytes.Equal(got, want) {
			t.Fatalf("%x\nwant %x", got, want)
		}
	})
}

// hostCapable reports whether a may go to the host.
func hostCapable(a *alg) bool { return a.fam == famRSA || a.fam == famECDSA }
