package plugin

import (
	"github.com/apiguard/apiguard/filter/authn"
	"github.com/apiguard/apiguard/filter/jwt"
	"github.com/apiguard/apiguard/filter/proxy"
)

// verifySignature is the name of Envoy's foreign function.
const verifySignature = "verify_signature"

// configureHostSignatures hands authn.Auth.BindHost the host's
// verify_signature, in proxy_on_configure, where Envoy allows foreign
// functions (no timer is involved), and logs the self-test's outcome once.
// Key sets loaded later (remote JWKS) are bound when they load.
func (r *root) configureHostSignatures() {
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
	report, warn := r.auth.BindHost(call, func() { r.metrics.Inc(authn.MetricHostFallback) },
		func(provider, msg string) { h.Log(proxy.LogWarn, "apiguard: jwks "+provider+": "+msg) })
	if report != "" {
		level := proxy.LogInfo
		if warn {
			level = proxy.LogWarn
		}
		h.Log(level, "apiguard: "+report)
	}
}
