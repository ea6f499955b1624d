package authn

import (
	"sync/atomic"

	"github.com/apiguard/apiguard/filter/claims"
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/jwt"
	"github.com/apiguard/apiguard/filter/problem"
)

// memo is what authn derives from a cached token's claims alone, kept
// with the token in the verified-token cache (jwt.Token.SetMemo), so that
// a token served again costs its lookup and not the derivation (issue 15:
// a cached token at nearly the cost of a request without one):
//
//   - the claims_to_headers values of the provider that verified it (the
//     cache is keyed by provider, so a token's entry has one), or that one
//     of them is unsafe to forward (401);
//   - which routes' auth.claims rules hold: bit Route.ruleBit of pass
//     once bit ruleBit of known is set (the first 64 routes with claims
//     rules; the rest evaluate their rules every time).
//
// Everything here is a function of the claims and the configuration, and
// a cache lives for one configuration. A memo is built on a token's first
// hit, not when it is verified, so a token used once (or a configuration
// without a cache) allocates nothing for it.
type memo struct {
	provider    *Provider
	headers     []httpx.Pair
	unsafe      bool
	known, pass atomic.Uint64
}

// memoOf returns tok's memo for provider p, building it on first use; nil
// when the token carries a memo of another provider (never in practice:
// every verification makes its own token).
func memoOf(p *Provider, tok *jwt.Token) *memo {
	m, _ := tok.Memo().(*memo)
	if m == nil {
		m = &memo{provider: p}
		var ok bool
		m.headers, ok = claimHeaders(p, &tok.Claims, nil)
		m.unsafe = !ok
		m, _ = tok.SetMemo(m).(*memo)
	}
	if m == nil || m.provider != p {
		return nil
	}
	return m
}

// claimHeaders appends p's claims_to_headers values from c to hs; false
// when one is unsafe to forward. A claim c does not carry sets no header.
func claimHeaders(p *Provider, c *jsonx.Value, hs []httpx.Pair) ([]httpx.Pair, bool) {
	for _, h := range p.Headers {
		v := claims.Lookup(c, h.Claim)
		if v == nil {
			continue
		}
		text, ok := claims.HeaderValue(v)
		if !ok {
			return nil, false
		}
		hs = append(hs, httpx.Pair{Key: h.Header, Value: text})
	}
	return hs, true
}

// authenticatedToken is authenticated for a verified token: a token the
// verified-token cache served (a.hit) takes its claims_to_headers values
// from its memo, and keeps the memo for step 10 (Authorize).
func (a *State) authenticatedToken(p *Provider, tok *jwt.Token) Outcome {
	if tok != a.hit {
		return a.authenticated(p, &tok.Claims, "")
	}
	m := memoOf(p, tok)
	switch {
	case m == nil:
		return a.authenticated(p, &tok.Claims, "")
	case m.unsafe:
		return Outcome{Verdict: deny(401, problem.ReasonClaimHeaderUnsafe, ChallengeInvalid)}
	}
	a.Headers, a.Provider, a.memo = m.headers, p, m
	return Outcome{Claims: &tok.Claims}
}

// claimsHold reports whether ar's auth.claims rules hold for identity,
// through m when the credential has a memo and ar a bit in it.
func (m *memo) claimsHold(ar *Route, identity *jsonx.Value) bool {
	b := ar.ruleBit
	if m == nil || b == 0 {
		return ar.claimsHold(identity)
	}
	if m.known.Load()&b != 0 {
		return m.pass.Load()&b != 0
	}
	ok := ar.claimsHold(identity)
	if ok {
		m.pass.Or(b) // before known: a reader that sees known sees pass
	}
	m.known.Or(b)
	return ok
}
