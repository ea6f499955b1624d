package host

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"testing"

	"github.com/apiguard/apiguard/e2e/host/verifysig"
	"github.com/apiguard/apiguard/filter/proxy"
)

// TestForeign_verifySignature: a guest calling verify_signature from
// proxy_on_configure gets Envoy's answers; the switch removes the function
// (NotFound), a replacement answers instead, and other names are NotFound.
func TestForeign_verifySignature(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	text := []byte("header.payload")
	d := sha256.Sum256(text)
	sig, _ := ecdsa.SignASN1(rand.Reader, k, d[:])
	args := verifysig.Args{HashFunction: "sha256", PublicKey: der, Signature: sig, Text: text}.Marshal()

	type answer struct {
		out []byte
		st  proxy.Status
	}
	run := func(cfg Config, name string, args []byte) (answer, *Envoy) {
		var got answer
		factory := func(h proxy.Host) (proxy.Handler, error) {
			return &toy{h: h, configure: func(g *toy) bool {
				got.out, got.st = g.h.CallForeignFunction(name, args)
				return true
			}}, nil
		}
		e, err := New(cfg, factory)
		if err != nil {
			t.Fatal(err)
		}
		return got, e
	}
	if a, _ := run(Config{}, "verify_signature", args); a.st != proxy.StatusOK || string(a.out) != "\x08\x01" {
		t.Errorf("valid signature: %v %x, want Ok 0801", a.st, a.out)
	}
	if a, _ := run(Config{}, "verify_signature", []byte{0xff}); a.st != proxy.StatusBadArgument || a.out != nil {
		t.Errorf("arguments that do not parse: %v %x, want BadArgument", a.st, a.out)
	}
	if a, _ := run(Config{NoVerifySignature: true}, "verify_signature", args); a.st != proxy.StatusNotFound {
		t.Errorf("removed: %v, want NotFound", a.st)
	}
	if a, _ := run(Config{}, "sign", args); a.st != proxy.StatusNotFound {
		t.Errorf("other name: %v, want NotFound", a.st)
	}
	liar := verifysig.NewFaulty(verifysig.AlwaysFalse)
	if a, _ := run(Config{VerifySignature: liar.Call}, "verify_signature", args); a.st != proxy.StatusOK || len(a.out) != 0 || liar.Calls() != 2 {
		t.Errorf("replacement: %v %x after %d calls, want Ok and empty from both VMs", a.st, a.out, liar.Calls())
	}
	// Outside a callback the call is restricted, as V8 traps it.
	var st proxy.Status
	e, err := New(Config{}, func(h proxy.Host) (proxy.Handler, error) {
		_, st = h.CallForeignFunction("verify_signature", args)
		return &toy{h: h}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if st != proxy.StatusBadArgument || len(e.LogsContaining("restricted_callback: proxy_call_foreign_function")) == 0 {
		t.Errorf("during initialisation: %v", st)
	}
}
