package e2e

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/e2e/host/verifysig"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Signatures in the host's native crypto (issue 15 §1): the emulator's
// verify_signature answers as Envoy's does; these tests run token tables
// with it and without it, with hosts that lie and hosts that fail.

// sigPath is one way signatures get checked: by the host's verify_signature
// (the emulator's default, as on Envoy 1.30 and later) or in the module
// (the function removed, as on older Envoys and other proxies).
type sigPath struct {
	name string
	opt  envoyOpt
	host bool
}

func noVerifySignature() envoyOpt { return func(c *host.Config) { c.NoVerifySignature = true } }

func withVerifySignature(f func([]byte) ([]byte, proxy.Status)) envoyOpt {
	return func(c *host.Config) { c.VerifySignature = f }
}

var sigPaths = []sigPath{
	{name: "host-crypto", opt: func(*host.Config) {}, host: true},
	{name: "module-crypto", opt: noVerifySignature()},
}

// eachSigPath runs f per guest and per signature path.
func eachSigPath(t *testing.T, f func(t *testing.T, g guest, p sigPath)) {
	t.Helper()
	each(t, func(t *testing.T, g guest) {
		for _, p := range sigPaths {
			t.Run(p.name, func(t *testing.T) { f(t, g, p) })
		}
	})
}

// counted checks the path metrics: hostable fresh tokens (RS*, ES*) were
// verified by the host on the host path and by the module otherwise;
// others always by the module; the host never failed.
func (p sigPath) counted(t *testing.T, e *host.Envoy, hostable, others int64) {
	t.Helper()
	byHost, byModule := metric(t, e, "apiguard.auth.verified_by_host"), metric(t, e, "apiguard.auth.verified_by_module")
	wantHost, wantModule := int64(0), hostable+others
	if p.host {
		wantHost, wantModule = hostable, others
	}
	if byHost != wantHost || byModule != wantModule {
		t.Errorf("verified_by_host %d, verified_by_module %d; want %d, %d", byHost, byModule, wantHost, wantModule)
	}
	if n := metric(t, e, "apiguard.auth.host_fallback"); n != 0 {
		t.Errorf("host_fallback = %d", n)
	}
}

// hostSigTable is a small table of RS256 and ES256 tokens: valid ones, and
// the forgeries a dishonest host would let through.
func hostSigTable(t *testing.T) (cases []exchange, accepted int64) {
	now := host.DefaultStart
	valid := mustJSON(t, claimsAt(now, idpIssuer, nil))
	other := mustJSON(t, claimsAt(now, idpIssuer, map[string]any{"sub": "admin"}))
	rsHdr, esHdr := `{"alg":"RS256","kid":"rsa-a"}`, `{"alg":"ES256","kid":"ec256"}`
	good := craft(rsHdr, valid, rs256(t, "rsa-a"))
	goodES := craft(esHdr, valid, es256(t, false))
	// The signature of one token on another's text: what a host ignoring
	// the text would accept.
	swapped := func(hdr, tok string) string {
		return b64(hdr) + "." + b64(other) + tok[strings.LastIndexByte(tok, '.'):]
	}
	cases = []exchange{
		{name: "RS256", req: getWith("/t", bearer(good)), want: 200},
		{name: "ES256", req: getWith("/t", bearer(goodES)), want: 200},
		{name: "RS384", req: getWith("/t", bearer(mint(t, "rsa-a", "RS384", claimsAt(now, idpIssuer, nil)))), want: 200},
		{name: "ES512", req: getWith("/t", bearer(mint(t, "ec521", "ES512", claimsAt(now, idpIssuer, nil)))), want: 200},
		invalid("RS256 signature on another text", getWith("/t", bearer(swapped(rsHdr, good))), problem.ReasonTokenBadSignature),
		invalid("ES256 signature on another text", getWith("/t", bearer(swapped(esHdr, goodES))), problem.ReasonTokenBadSignature),
		invalid("RS256 by another key", getWith("/t", bearer(craft(`{"alg":"RS256","kid":"rsa-a"}`, valid, rs256(t, "rsa-evil")))), problem.ReasonTokenBadSignature),
		invalid("RS256 signature presented as RS512", getWith("/t", bearer(craft(`{"alg":"RS512","kid":"rsa-a"}`, valid, rs256(t, "rsa-a")))), problem.ReasonTokenBadSignature),
		invalid("ES256 r and s swapped", getWith("/t", bearer(swapRS(t, goodES))), problem.ReasonTokenBadSignature),
	}
	return cases, 4
}

// swapRS exchanges r and s of an ES256 token's signature.
func swapRS(t *testing.T, tok string) string {
	i := strings.LastIndexByte(tok, '.')
	sig, _ := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if len(sig) != 64 {
		t.Fatalf("ES256 signature of %d bytes", len(sig))
	}
	swapped := append(append([]byte(nil), sig[32:]...), sig[:32]...)
	return tok[:i+1] + b64(string(swapped))
}

// TestHostSig_lyingHostNeverTrusted: a host that answers true to
// everything, false to everything, ignores the text or ignores the hash
// name fails the self-test at configure time; the plugin says so once and
// verifies every signature itself, so no forgery passes and every valid
// token still does.
func TestHostSig_lyingHostNeverTrusted(t *testing.T) {
	cases, accepted := hostSigTable(t)
	for _, f := range []verifysig.Fault{verifysig.AlwaysTrue, verifysig.AlwaysFalse, verifysig.IgnoreText, verifysig.IgnoreHash} {
		t.Run(f.String(), func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				liar := verifysig.NewFaulty(f)
				e := start(t, g, tokenConfig(t), withVerifySignature(liar.Call))
				lines := e.LogsContaining("the host's verify_signature is not used: it failed the self-test")
				if len(lines) != 2 || lines[0].Level != proxy.LogWarn { // canary and worker, once each
					t.Fatalf("self-test log lines: %v\n%s", lines, logText(e))
				}
				calls := liar.Calls()
				runTable(t, e, cases)
				if liar.Calls() != calls {
					t.Errorf("the untrusted host was asked %d times at request time", liar.Calls()-calls)
				}
				p := sigPath{name: "module"}
				p.counted(t, e, accepted, 0)
			})
		})
	}
}

// TestHostSig_honestHost: the emulator's faithful verify_signature is
// trusted for the six algorithms, logged once, and verifies the table.
func TestHostSig_honestHost(t *testing.T) {
	cases, accepted := hostSigTable(t)
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, tokenConfig(t))
		if l := e.LogsContaining("the host's verify_signature verifies RS256, RS384, RS512, ES256, ES384, ES512"); len(l) != 2 || l[0].Level != proxy.LogInfo {
			t.Fatalf("self-test log: %v\n%s", l, logText(e))
		}
		runTable(t, e, cases)
		sigPaths[0].counted(t, e, accepted, 0)
	})
}

// TestHostSig_noFunction: without verify_signature (Envoy before 1.30)
// the plugin logs it once, at info, and verifies in the module.
func TestHostSig_noFunction(t *testing.T) {
	cases, accepted := hostSigTable(t)
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, tokenConfig(t), noVerifySignature())
		if l := e.LogsContaining("the host offers no verify_signature"); len(l) != 2 || l[0].Level != proxy.LogInfo {
			t.Fatalf("log: %v\n%s", l, logText(e))
		}
		runTable(t, e, cases)
		sigPaths[1].counted(t, e, accepted, 0)
	})
}

// TestHostSig_failingAtRequestTime: a host that passed the self-test and
// then answers BadArgument or InternalFailure costs speed, never
// correctness: every answer is the same, each failure is counted and the
// signature checked in Go; once it recovers it is used again.
func TestHostSig_failingAtRequestTime(t *testing.T) {
	cases, accepted := hostSigTable(t)
	for _, f := range []verifysig.Fault{verifysig.FailBadArgument, verifysig.FailInternal} {
		t.Run(f.String(), func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				fh := verifysig.NewFaulty(verifysig.Honest)
				e := start(t, g, tokenConfig(t), withVerifySignature(fh.Call))
				fh.Set(f)
				runTable(t, e, cases)
				if n := metric(t, e, "apiguard.auth.host_fallback"); n < accepted {
					t.Errorf("host_fallback = %d, want at least %d", n, accepted)
				}
				if h, m := metric(t, e, "apiguard.auth.verified_by_host"), metric(t, e, "apiguard.auth.verified_by_module"); h != 0 || m != accepted {
					t.Errorf("verified_by_host %d, verified_by_module %d", h, m)
				}
				fh.Set(verifysig.Honest)
				tok := mint(t, "ec256", "ES256", claimsAt(host.DefaultStart, idpIssuer, map[string]any{"jti": "after"}))
				check(t, e, exchange{want: 200}, roundTrip(e.Worker(0), exchange{req: getWith("/t", bearer(tok))}))
				if h := metric(t, e, "apiguard.auth.verified_by_host"); h != 1 {
					t.Errorf("verified_by_host = %d after the host recovered", h)
				}
			})
		})
	}
}

// TestHostSig_keyRefusedByHost: a key the host will not import is probed
// once when its set loads, reported once, and verified in the module while
// the other keys stay with the host.
func TestHostSig_keyRefusedByHost(t *testing.T) {
	der, err := x509.MarshalPKIXPublicKey(&authKey(t, "rsa-a").Key.(*rsa.PrivateKey).PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	refuse := func(args []byte) ([]byte, proxy.Status) {
		if a, _ := verifysig.ParseArgs(args); string(a.PublicKey) == string(der) {
			return nil, proxy.StatusBadArgument
		}
		return verifysig.Call(args)
	}
	now := host.DefaultStart
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, tokenConfig(t), withVerifySignature(refuse))
		if l := e.LogsContaining(`apiguard: jwks idp: keys[0] (kid "rsa-a") is verified in the module: the host refused it`); len(l) != 2 {
			t.Fatalf("refusal log: %v\n%s", l, logText(e))
		}
		runTable(t, e, []exchange{
			{name: "RS256 with the refused key", req: getWith("/t", bearer(mint(t, "rsa-a", "RS256", claimsAt(now, idpIssuer, nil)))), want: 200},
			{name: "ES256 with a key the host took", req: getWith("/t", bearer(mint(t, "ec256", "ES256", claimsAt(now, idpIssuer, nil)))), want: 200},
			invalid("RS256 by another key", getWith("/t", bearer(craft(`{"alg":"RS256","kid":"rsa-a"}`, mustJSON(t, claimsAt(now, idpIssuer, nil)), rs256(t, "rsa-evil")))), problem.ReasonTokenBadSignature),
		})
		if h, m := metric(t, e, "apiguard.auth.verified_by_host"), metric(t, e, "apiguard.auth.verified_by_module"); h != 1 || m != 1 {
			t.Errorf("verified_by_host %d, verified_by_module %d; want 1, 1", h, m)
		}
	})
}
