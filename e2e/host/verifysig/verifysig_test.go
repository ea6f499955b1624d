package verifysig

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/apiguard/apiguard/filter/proxy"
)

type testKeys struct {
	rsa, rsa2 *rsa.PrivateKey
	ec        map[elliptic.Curve]*ecdsa.PrivateKey
	ed        ed25519.PrivateKey
}

var keys = func() *testKeys {
	k := &testKeys{ec: map[elliptic.Curve]*ecdsa.PrivateKey{}}
	var err error
	if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if k.rsa2, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		if k.ec[c], err = ecdsa.GenerateKey(c, rand.Reader); err != nil {
			panic(err)
		}
	}
	_, k.ed, _ = ed25519.GenerateKey(rand.Reader)
	return k
}()

func spki(t testing.TB, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func digest(h crypto.Hash, text []byte) []byte {
	d := h.New()
	d.Write(text)
	return d.Sum(nil)
}

func signRSA(t testing.TB, k *rsa.PrivateKey, h crypto.Hash, text []byte) []byte {
	t.Helper()
	sig, err := rsa.SignPKCS1v15(nil, k, h, digest(h, text))
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func signEC(t testing.TB, k *ecdsa.PrivateKey, h crypto.Hash, text []byte) []byte {
	t.Helper()
	sig, err := ecdsa.SignASN1(rand.Reader, k, digest(h, text))
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// TestCall_envoyAnswers: the answers of Envoy's verify_signature for DER
// keys and signatures made with Go's crypto.
func TestCall_envoyAnswers(t *testing.T) {
	text := []byte("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9")
	flipped := append([]byte(nil), text...)
	flipped[3] ^= 1
	rsaDER := spki(t, &keys.rsa.PublicKey)
	rsaSig := signRSA(t, keys.rsa, crypto.SHA256, text)
	p256 := keys.ec[elliptic.P256()]
	ecDER := spki(t, &p256.PublicKey)
	ecSig := signEC(t, p256, crypto.SHA256, text)
	r, s, _ := ecdsa.Sign(rand.Reader, p256, digest(crypto.SHA256, text))
	raw := append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	pss, _ := rsa.SignPSS(rand.Reader, keys.rsa, crypto.SHA256, digest(crypto.SHA256, text), nil)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaDER}))
	good := Result{OK: true}
	failed := Result{Error: "Failed to verify digest. Error code: 0"}

	cases := []struct {
		name string
		args []byte
		st   proxy.Status
		want Result
	}{
		{"RSA sha256", Args{"sha256", rsaDER, rsaSig, text, ""}.Marshal(), proxy.StatusOK, good},
		{"hash name in upper case", Args{"SHA256", rsaDER, rsaSig, text, ""}.Marshal(), proxy.StatusOK, good},
		{"one bit of text changed", Args{"sha256", rsaDER, rsaSig, flipped, ""}.Marshal(), proxy.StatusOK, failed},
		{"wrong hash name", Args{"sha512", rsaDER, rsaSig, text, ""}.Marshal(), proxy.StatusOK, failed},
		{"another key", Args{"sha256", spki(t, &keys.rsa2.PublicKey), rsaSig, text, ""}.Marshal(), proxy.StatusOK, failed},
		{"unknown hash", Args{"sha999", rsaDER, rsaSig, text, ""}.Marshal(), proxy.StatusOK, Result{Error: "sha999 is not supported."}},
		{"no hash", Args{"", rsaDER, rsaSig, text, ""}.Marshal(), proxy.StatusOK, Result{Error: " is not supported."}},
		{"PSS never verifies", Args{"sha256", rsaDER, pss, text, ""}.Marshal(), proxy.StatusOK, failed},
		{"RSA signature one byte short", Args{"sha256", rsaDER, rsaSig[1:], text, ""}.Marshal(), proxy.StatusOK, failed},
		{"P-256 DER", Args{"sha256", ecDER, ecSig, text, ""}.Marshal(), proxy.StatusOK, good},
		{"P-256 raw r||s never verifies", Args{"sha256", ecDER, raw, text, ""}.Marshal(), proxy.StatusOK, failed},
		{"P-256 DER with a trailing byte", Args{"sha256", ecDER, append(append([]byte(nil), ecSig...), 0), text, ""}.Marshal(), proxy.StatusOK, failed},
		{"Ed25519 cannot be used", Args{"sha256", spki(t, keys.ed.Public()), ed25519.Sign(keys.ed, text), text, ""}.Marshal(), proxy.StatusOK, Result{Error: "Failed to initialize digest verify."}},
		{"PEM key", Args{"sha256", nil, rsaSig, text, pemKey}.Marshal(), proxy.StatusOK, good},
		{"bytes after the SPKI are ignored", Args{"sha256", append(append([]byte(nil), rsaDER...), 1, 2, 3), rsaSig, text, ""}.Marshal(), proxy.StatusOK, good},
		{"both key fields", Args{"sha256", rsaDER, rsaSig, text, pemKey}.Marshal(), proxy.StatusBadArgument, Result{}},
		{"no key", Args{"sha256", nil, rsaSig, text, ""}.Marshal(), proxy.StatusBadArgument, Result{}},
		{"key is not DER", Args{"sha256", []byte("not a key"), rsaSig, text, ""}.Marshal(), proxy.StatusBadArgument, Result{}},
		{"PEM of another type", Args{"sha256", nil, rsaSig, text, string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: rsaDER}))}.Marshal(), proxy.StatusBadArgument, Result{}},
		{"RSA key with an even exponent", Args{"sha256", spki(t, &rsa.PublicKey{N: keys.rsa.N, E: 65536}), rsaSig, text, ""}.Marshal(), proxy.StatusBadArgument, Result{}},
		{"arguments truncated", Args{"sha256", rsaDER, rsaSig, text, ""}.Marshal()[:40], proxy.StatusBadArgument, Result{}},
		{"hash name not UTF-8", Args{"sha\xff", rsaDER, rsaSig, text, ""}.Marshal(), proxy.StatusBadArgument, Result{}},
		{"unknown fields skipped", append(protowire.AppendVarint(protowire.AppendTag(nil, 9, protowire.VarintType), 7), Args{"sha256", rsaDER, rsaSig, text, ""}.Marshal()...), proxy.StatusOK, good},
		{"known field of another wire type skipped", append(Args{"sha256", rsaDER, rsaSig, text, ""}.Marshal(), protowire.AppendVarint(protowire.AppendTag(nil, 4, protowire.VarintType), 1)...), proxy.StatusOK, good},
		{"last text wins", append(Args{"sha256", rsaDER, rsaSig, flipped, ""}.Marshal(), Args{Text: text}.Marshal()...), proxy.StatusOK, good},
	}
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA224, crypto.SHA384, crypto.SHA512} {
		name := map[crypto.Hash]string{crypto.SHA1: "sha1", crypto.SHA224: "sha224", crypto.SHA384: "sha384", crypto.SHA512: "sha512"}[h]
		cases = append(cases, struct {
			name string
			args []byte
			st   proxy.Status
			want Result
		}{"RSA " + name, Args{name, rsaDER, signRSA(t, keys.rsa, h, text), text, ""}.Marshal(), proxy.StatusOK, good})
	}
	for c, k := range keys.ec {
		h := map[int]crypto.Hash{256: crypto.SHA256, 384: crypto.SHA384, 521: crypto.SHA512}[c.Params().BitSize]
		name := map[crypto.Hash]string{crypto.SHA256: "sha256", crypto.SHA384: "sha384", crypto.SHA512: "sha512"}[h]
		cases = append(cases, struct {
			name string
			args []byte
			st   proxy.Status
			want Result
		}{"ECDSA " + c.Params().Name, Args{name, spki(t, &k.PublicKey), signEC(t, k, h, text), text, ""}.Marshal(), proxy.StatusOK, good})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, st := Call(c.args)
			if st != c.st {
				t.Fatalf("status %v, want %v", st, c.st)
			}
			if st != proxy.StatusOK {
				if out != nil {
					t.Fatalf("result %x with status %v", out, st)
				}
				return
			}
			got, ok := ParseResult(out)
			if !ok || got != c.want {
				t.Fatalf("result %+v (parsed %v), want %+v", got, ok, c.want)
			}
		})
	}
}

func TestResult_wireFormat(t *testing.T) {
	if got := (Result{OK: true}).Marshal(); !bytes.Equal(got, []byte{0x08, 0x01}) {
		t.Errorf("true = %x, want 0801", got)
	}
	if got := (Result{}).Marshal(); len(got) != 0 {
		t.Errorf("false without error = %x, want empty", got)
	}
	if got := (Result{Error: "x"}).Marshal(); !bytes.Equal(got, []byte{0x12, 0x01, 'x'}) {
		t.Errorf("false with error = %x", got)
	}
	if r, ok := ParseResult(nil); !ok || r.OK {
		t.Errorf("empty result = %+v %v, want false", r, ok)
	}
}

// TestFaulty_lies: each fault answers the four questions of a self-test
// the way its name says.
func TestFaulty_lies(t *testing.T) {
	text := []byte("apiguard self-test")
	flipped := append([]byte(nil), text...)
	flipped[0] ^= 1
	p256 := keys.ec[elliptic.P256()]
	for _, k := range []struct {
		name        string
		der, other  []byte
		sig         []byte
		hash, wrong string
	}{
		{"RSA", spki(t, &keys.rsa.PublicKey), spki(t, &keys.rsa2.PublicKey), signRSA(t, keys.rsa, crypto.SHA256, text), "sha256", "sha384"},
		{"P-256", spki(t, &p256.PublicKey), spki(t, &keys.ec[elliptic.P384()].PublicKey), signEC(t, p256, crypto.SHA256, text), "sha256", "sha512"},
	} {
		questions := []struct {
			name string
			args Args
		}{
			{"valid", Args{k.hash, k.der, k.sig, text, ""}},
			{"text changed", Args{k.hash, k.der, k.sig, flipped, ""}},
			{"wrong hash", Args{k.wrong, k.der, k.sig, text, ""}},
			{"another key", Args{k.hash, k.other, k.sig, text, ""}},
		}
		// Want: the answer per question, "t" Ok+true, "f" Ok+false, or a status.
		for _, c := range []struct {
			fault Fault
			want  [4]string
		}{
			{Honest, [4]string{"t", "f", "f", "f"}},
			{AlwaysTrue, [4]string{"t", "t", "t", "t"}},
			{AlwaysFalse, [4]string{"f", "f", "f", "f"}},
			// For ECDSA every in-range (r, s) verifies some digest, so a host
			// ignoring the text says true under any hash and key.
			{IgnoreText, [4]string{"t", "t", "f", "f"}},
			{IgnoreHash, [4]string{"t", "f", "t", "f"}},
			{FailBadArgument, [4]string{"BadArgument", "BadArgument", "BadArgument", "BadArgument"}},
			{FailInternal, [4]string{"InternalFailure", "InternalFailure", "InternalFailure", "InternalFailure"}},
		} {
			f := NewFaulty(c.fault)
			for i, q := range questions {
				out, st := f.Call(q.args.Marshal())
				got := st.String()
				if st == proxy.StatusOK {
					r, _ := ParseResult(out)
					got = map[bool]string{true: "t", false: "f"}[r.OK]
				}
				want := c.want[i]
				if c.fault == IgnoreText && k.name == "P-256" {
					want = "t"
				}
				if got != want {
					t.Errorf("%s %v %s: %s, want %s", k.name, c.fault, q.name, got, want)
				}
			}
			if f.Calls() != len(questions) {
				t.Errorf("%v counted %d calls", c.fault, f.Calls())
			}
		}
	}
}

// FuzzVerifySignature_neverTrueForUnverifiable: verify_signature never panics, answers Ok only with a result
// that parses, and never says true for arguments Envoy could not verify.
func FuzzVerifySignature_neverTrueForUnverifiable(f *testing.F) {
	text := []byte("a.b")
	f.Add(Args{"sha256", spki(f, &keys.rsa.PublicKey), signRSA(f, keys.rsa, crypto.SHA256, text), text, ""}.Marshal())
	f.Add(Args{"SHA256", spki(f, &keys.ec[elliptic.P256()].PublicKey), signEC(f, keys.ec[elliptic.P256()], crypto.SHA256, text), text, ""}.Marshal())
	f.Add([]byte{0x0a, 0x06, 's', 'h', 'a', '2', '5', '6'})
	f.Add([]byte{0xff})
	f.Fuzz(func(t *testing.T, args []byte) {
		out, st := Call(args)
		if st != proxy.StatusOK {
			if out != nil || st != proxy.StatusBadArgument {
				t.Fatalf("%v with %x", st, out)
			}
			return
		}
		if _, ok := ParseResult(out); !ok {
			t.Fatalf("unparsable result %x", out)
		}
	})
}
