package plugin

import (
	"github.com/apiguard/apiguard/filter/jwt"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Signatures in the host's native crypto (docs/responses.md "Guarantees",
// Signatures; filter/jwt/hostsig.go has the rules): at configure time the
// host's verify_signature is self-tested for the RS* and ES* algorithms
// the providers allow, and every JWT provider's verifier is bound to it;
// key sets loaded later (remote JWKS) are bound when they load.

// verifySignature is the name of Envoy's foreign function.
const verifySignature = "verify_signature"

// configureHostSignatures runs the self-test (in proxy_on_configure, where
// Envoy allows foreign functions; no timer is involved), logs its outcome
// once and binds every JWT provider's verifier to a host that passed.
func (r *root) configureHostSignatures() {
	var algs []string
	for _, p := range r.auth.Providers {
		if p.IsJWT() {
			algs = append(algs, p.JWT.Algorithms...)
		}
	}
	h := r.p.host
	call := func(args []byte) ([]byte, error) {
		out, st := h.CallForeignFunction(verifySignature, args)
		switch st {
		case proxy.StatusOK:
			return out, nil
		case proxy.StatusNotFound:
			return nil, jwt.ErrNoHostFunction
		}
		return nil, st
	}
	hv, report, warn := jwt.NewHostVerifier(call, algs)
	if report != "" {
		level := proxy.LogInfo
		if warn {
			level = proxy.LogWarn
		}
		h.Log(level, "apiguard: "+report)
	}
	if hv == nil {
		return
	}
	hv.Fallback = func() { r.metrics.inc(metricHostFallback) }
	for _, p := range r.auth.Providers {
		if !p.IsJWT() {
			continue
		}
		// Each provider's copy names the provider in its key refusals.
		hp := *hv
		name := p.Name
		hp.Refused = func(msg string) { h.Log(proxy.LogWarn, "apiguard: jwks "+name+": "+msg) }
		p.Verifier = p.Verifier.WithHost(&hp)
	}
}
