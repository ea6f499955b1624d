package authn

import "github.com/apiguard/apiguard/filter/jwt"

// BindHost runs the host's signature self-test (jwt.NewHostVerifier over
// call) for the algorithms the JWT providers allow, and binds every JWT
// provider's verifier to a host that passed (docs/responses.md
// "Guarantees", Signatures). fallback is called for each request-time
// host answer that fell back to Go; refused logs a key the host refused,
// naming its provider. It returns the self-test's line for the log (empty:
// nothing to say), warn marking a host that answered and failed.
func (a *Auth) BindHost(call jwt.HostCall, fallback func(), refused func(provider, msg string)) (report string, warn bool) {
	var algs []string
	for _, p := range a.Providers {
		if p.IsJWT() {
			algs = append(algs, p.JWT.Algorithms...)
		}
	}
	hv, report, warn := jwt.NewHostVerifier(call, algs)
	if hv == nil {
		return report, warn
	}
	hv.Fallback = fallback
	for _, p := range a.Providers {
		if !p.IsJWT() {
			continue
		}
		// Each provider's copy names the provider in its key refusals.
		hp := *hv
		name := p.Name
		hp.Refused = func(msg string) { refused(name, msg) }
		p.Verifier = p.Verifier.WithHost(&hp)
	}
	return report, warn
}

// KeySets are the key sets loaded for the remote providers, by
// Provider.Remote (jwks.Set).
type KeySets interface {
	Keys(remote int) *jwt.KeySet
}

// BindKeys gives each remote provider's verifier the set sets loaded for
// it, when that changed.
func (a *Auth) BindKeys(sets KeySets) {
	for _, p := range a.Remotes {
		if ks := sets.Keys(p.Remote); ks != p.Verifier.Keys() {
			p.Verifier = p.Verifier.WithKeys(ks)
		}
	}
}
