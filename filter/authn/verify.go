package authn

import (
	"time"

	"github.com/apiguard/apiguard/filter/apikey"
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/jwt"
	"github.com/apiguard/apiguard/filter/problem"
)

// Env is what verification asks of the VM it runs in: the clock, the
// verified-token cache, and the state of remote key sets. The plugin
// adapts the host to it; verification itself decides.
type Env interface {
	// Now is the host's clock (Unix ns).
	Now() int64
	// KeySet is the key set p may verify with at now: nil while a remote
	// set has not arrived or has gone stale (max_stale_seconds).
	KeySet(p *Provider, now int64) *jwt.KeySet
	// Cached returns the token's entry in the verified-token cache for p,
	// or nil; Verified records a token p's verifier just accepted.
	Cached(p *Provider, token string, now time.Time) *jwt.Token
	Verified(p *Provider, token string, tok *jwt.Token, now time.Time)
	// RequestEarly asks for an early refetch of p's remote set because a
	// token named a kid it does not have: whether one is pending.
	// EarlyPending reports whether it still is; NextFetch is when the
	// next fetch is due (Unix ns), for Retry-After.
	RequestEarly(p *Provider) bool
	EarlyPending(p *Provider) bool
	NextFetch(p *Provider) int64
}

// Outcome is what Verify decided: a refusal (Verdict), a wait for a
// remote key set (Wait: the request resumes at step 9 when a tick or the
// set's arrival calls Verify again), or a verified credential (Provider,
// Claims, and KeyMetric for an API key's use counter).
type Outcome struct {
	Verdict
	Wait      bool
	Claims    *jsonx.Value
	KeyMetric string
}

// Verify picks the provider of the one credential and verifies it. Among
// the route's providers that read the credential's source, a JWT goes to
// the provider whose issuer it names (PeekUnverified, used for nothing
// else), anything else to the API-key providers; a token naming another
// issuer is refused, allow_missing or not.
func (a *State) Verify(ar *Route, env Env) Outcome {
	a.now = 0
	rs := a.Cred.src
	cands := rs.providers
	if ar.jwtOnly {
		return a.verifyJWT(cands[0], env)
	}
	if rs.soleJWT != nil {
		// A token this source's one JWT provider verified before needs
		// no peek: the cache entry names the provider.
		if tok := a.cachedToken(rs.soleJWT, env); tok != nil {
			return a.authenticatedToken(rs.soleJWT, tok)
		}
	}
	if rs.jwtCount > 0 {
		a.peekCredential()
	}
	var firstJWT, match, stale *Provider
	var staleGen uint64
	hasKeys := false
	for _, p := range cands {
		if !p.IsJWT() {
			hasKeys = true
			continue
		}
		if firstJWT == nil {
			firstJWT = p
		}
		if a.peekOK && a.peek.Issuer == p.JWT.Issuer {
			if match != nil {
				// Several providers trust this issuer (say, with
				// different audiences): any of them may accept it.
				tok, st, gen := a.tryJWT(match, env)
				if tok != nil {
					return a.authenticatedToken(match, tok)
				}
				if st && stale == nil {
					stale, staleGen = match, gen
				}
			}
			match = p
		}
	}
	if match != nil {
		if stale != nil {
			// An earlier provider's remote set may be the one that lacks
			// the token's key: unless the last provider accepts the token
			// now, wait for that set (or its early refetch) as if it were
			// the only provider, then decide again.
			if tok, _, _ := a.tryJWT(match, env); tok != nil {
				return a.authenticatedToken(match, tok)
			}
			if env.KeySet(stale, a.clock(env)) == nil {
				return a.awaitKeys(stale, waitKeys, env)
			}
			if o, waiting := a.awaitRotation(stale, staleGen, env); waiting {
				return o
			}
		}
		return a.verifyJWT(match, env)
	}
	if hasKeys {
		p, i, st := a.lookupAPIKey(cands, env)
		switch {
		case st == apikey.Valid:
			return a.authenticated(p, p.KeyClaims[i], p.KeyMetrics[i])
		case st == apikey.Expired:
			return Outcome{Verdict: failed(problem.ReasonAPIKeyExpired, ChallengeInvalid)}
		case !a.peekOK || firstJWT == nil:
			// Not a token either (or no JWT provider reads here).
			return Outcome{Verdict: failed(problem.ReasonAPIKeyUnknown, ChallengeInvalid)}
		}
	}
	if a.peekOK {
		// A well-formed token from an issuer none of the route's
		// providers trusts.
		return Outcome{Verdict: failed(problem.ReasonTokenWrongIssuer, ChallengeInvalid)}
	}
	// Not a well-formed token: the verifier names the precise reason
	// (malformed, too large, unsupported, algorithm) before it needs keys.
	_, err := firstJWT.Verifier.Verify(a.Cred.Value, time.Unix(0, a.clock(env)))
	return Outcome{Verdict: failed(TokenReason(err), ChallengeInvalid)}
}

// clock is the host's clock, read once per Verify or Cached call: one
// verification asks for it up to three times (the key set's staleness,
// the cache's time claims), each a hostcall through the .wasm, and they
// judge one moment.
func (a *State) clock(env Env) int64 {
	if a.now == 0 {
		a.now = env.Now()
	}
	return a.now
}

func (a *State) peekCredential() {
	if !a.peeked {
		a.peeked = true
		a.peek, a.peekOK = jwt.PeekUnverified(a.Cred.Value)
	}
}

// verifyJWT verifies the credential as a token of provider p, through the
// verified-token cache.
func (a *State) verifyJWT(p *Provider, env Env) Outcome {
	ks := env.KeySet(p, a.clock(env))
	if ks == nil {
		// A remote set that has not arrived yet.
		return a.awaitKeys(p, waitKeys, env)
	}
	if tok := a.lookUp(p, env); tok != nil {
		return a.authenticatedToken(p, tok)
	}
	now := time.Unix(0, a.clock(env))
	gen := ks.Generation()
	tok, err := p.Verifier.Verify(a.Cred.Value, now)
	if err != nil {
		if p.RemoteCfg != nil && jwt.ReasonOf(err) == jwt.ReasonUnknownKey {
			if o, waiting := a.awaitRotation(p, gen, env); waiting {
				return o
			}
		}
		return Outcome{Verdict: failed(TokenReason(err), ChallengeInvalid)}
	}
	env.Verified(p, a.Cred.Value, tok, now)
	return a.authenticatedToken(p, tok)
}

// cachedToken returns the credential's entry in the verified-token cache
// for provider p (with p's current key set), or nil. A hit is remembered,
// so step 8 (Cached) and step 9 look it up once.
func (a *State) cachedToken(p *Provider, env Env) *jwt.Token {
	if a.hit != nil && a.hitBy == p {
		return a.hit
	}
	// A set past max_stale_seconds serves nothing, cached tokens included.
	if env.KeySet(p, a.clock(env)) == nil {
		return nil
	}
	return a.lookUp(p, env)
}

// lookUp is cachedToken once p's key set is known to serve.
func (a *State) lookUp(p *Provider, env Env) *jwt.Token {
	if a.hit != nil && a.hitBy == p {
		return a.hit
	}
	tok := env.Cached(p, a.Cred.Value, time.Unix(0, a.clock(env)))
	if tok != nil {
		a.hit, a.hitBy = tok, p
	}
	return tok
}

// tryJWT verifies the credential with p, through the cache, and returns
// the token or nil; it refuses nothing, waits for nothing. stale reports a
// failure a remote set may cure: its keys have not arrived, or it has no
// key for the token (gen is then the generation of the set tried).
func (a *State) tryJWT(p *Provider, env Env) (tok *jwt.Token, stale bool, gen uint64) {
	ks := env.KeySet(p, a.clock(env))
	if ks == nil {
		return nil, p.RemoteCfg != nil, 0
	}
	if tok := a.lookUp(p, env); tok != nil {
		return tok, false, 0
	}
	now, value := time.Unix(0, a.clock(env)), a.Cred.Value
	gen = ks.Generation()
	tok, err := p.Verifier.Verify(value, now)
	if err != nil {
		return nil, p.RemoteCfg != nil && jwt.ReasonOf(err) == jwt.ReasonUnknownKey, gen
	}
	env.Verified(p, value, tok, now)
	return tok, false, 0
}

// lookupAPIKey looks the credential up in every API-key provider among
// cands: the provider and entry of a valid key, else whether some provider
// has it expired.
func (a *State) lookupAPIKey(cands []*Provider, env Env) (*Provider, int, apikey.Status) {
	now := time.Unix(0, a.clock(env))
	status := apikey.Unknown
	for _, p := range cands {
		if p.Keys == nil {
			continue
		}
		switch i, st := p.Keys.Lookup(a.Cred.Value, now); st {
		case apikey.Valid:
			return p, i, st
		case apikey.Expired:
			status = st
		}
	}
	return nil, -1, status
}

// authenticated records a verified credential: its claims (for steps 10
// to 12 and claim: rate-limit keys) and the claims_to_headers values, which
// must all be safe to forward (401, not counted, otherwise). A claim the
// token does not carry sets no header; the client's copies were removed
// in step 1.
func (a *State) authenticated(p *Provider, c *jsonx.Value, usedMetric string) Outcome {
	if len(p.Headers) > 0 {
		hs := a.headers[:0]
		if len(p.Headers) > len(a.headers) {
			hs = make([]httpx.Pair, 0, len(p.Headers))
		}
		var ok bool
		if a.Headers, ok = claimHeaders(p, c, hs); !ok {
			return Outcome{Verdict: deny(401, problem.ReasonClaimHeaderUnsafe, ChallengeInvalid)}
		}
	}
	a.Provider = p
	return Outcome{Claims: c, KeyMetric: usedMetric}
}

// awaitKeys makes the request wait for p's remote set; past timeout_ms it
// is refused with 503 and Retry-After (1 to 60 seconds, until the next
// fetch is due).
func (a *State) awaitKeys(p *Provider, why waitReason, env Env) Outcome {
	now := a.clock(env)
	if a.deadline == 0 || a.waitFor != why {
		a.deadline = now + int64(p.RemoteCfg.Timeout)
		a.waitFor = why
	} else if now >= a.deadline {
		a.deadline, a.waitFor = 0, waitNone
		secs := (env.NextFetch(p) - now + int64(time.Second) - 1) / int64(time.Second)
		secs = min(max(secs, 1), 60)
		return Outcome{Verdict: Verdict{Status: 503, Reason: problem.ReasonKeysUnavailable, RetryAfter: secs}}
	}
	return Outcome{Wait: true}
}

// awaitRotation is called when a token names a kid p's remote set does not
// have. The first time, it asks for an early refetch and, if one is
// pending, waits for it; when resumed with the same set while the refetch
// is still pending and time remains, it waits on. waiting is false when
// the request must be decided now (no refetch allowed, the refetch brought
// no such key, or timeout_ms passed).
func (a *State) awaitRotation(p *Provider, gen uint64, env Env) (Outcome, bool) {
	if a.waitFor != waitRotation {
		if !env.RequestEarly(p) {
			return Outcome{}, false
		}
		a.waitFor, a.waitGen = waitRotation, gen
		a.deadline = a.clock(env) + int64(p.RemoteCfg.Timeout)
	} else if gen != a.waitGen || a.clock(env) >= a.deadline || !env.EarlyPending(p) {
		a.waitFor, a.deadline = waitNone, 0
		return Outcome{}, false
	}
	return Outcome{Wait: true}, true
}

// Cached reports whether the request's credential is already in the
// verified-token cache: step 8 lets such requests through a failed-auth
// lockout, so a locked-out address does not lock out verified users. API
// keys never count: letting a locked-out client learn whether a guessed
// key is valid would defeat the lockout. Extract must have run.
func (a *State) Cached(env Env) bool {
	a.now = 0
	if a.Count != 1 || a.Cred.src == nil {
		return false
	}
	rs := a.Cred.src
	p := rs.soleJWT
	if p == nil && rs.jwtCount > 1 {
		a.peekCredential()
		if !a.peekOK {
			return false
		}
		for _, c := range rs.providers {
			if c.IsJWT() && c.JWT.Issuer == a.peek.Issuer && a.cachedToken(c, env) != nil {
				return true
			}
		}
		return false
	}
	return p != nil && a.cachedToken(p, env) != nil
}
