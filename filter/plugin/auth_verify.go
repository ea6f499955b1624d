package plugin

import (
	"github.com/apiguard/apiguard/filter/apikey"
	"github.com/apiguard/apiguard/filter/claims"
	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/jwt"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Step 9's verification of the one credential: which provider reads it,
// the verified-token cache, the verifiers, API keys, and what a verified
// credential sets (the identity, claims_to_headers).

// verifyCredential picks the provider of the one credential and verifies
// it. Among the route's providers that read the credential's source, a JWT
// goes to the provider whose issuer it names (PeekUnverified, used for
// nothing else), anything else to the API-key providers; a token naming
// another issuer is refused, allow_missing or not.
func (s *stream) verifyCredential(ar *authRoute) result {
	a := &s.auth
	rs := a.cred.src
	cands := rs.providers
	if ar.jwtOnly {
		return s.verifyJWT(cands[0])
	}
	if rs.soleJWT != nil {
		// A token this source's one JWT provider verified before needs
		// no peek: the cache entry names the provider.
		if tok := s.cachedToken(rs.soleJWT); tok != nil {
			return s.authenticated(rs.soleJWT, &tok.Claims, "")
		}
	}
	if rs.jwtCount > 0 {
		s.peekCredential()
	}
	var firstJWT, match, stale *authProvider
	var staleGen uint64
	hasKeys := false
	for _, p := range cands {
		if !p.isJWT() {
			hasKeys = true
			continue
		}
		if firstJWT == nil {
			firstJWT = p
		}
		if a.peekOK && a.peek.Issuer == p.jwt.Issuer {
			if match != nil {
				// Several providers trust this issuer (say, with
				// different audiences): any of them may accept it.
				tok, st, gen := s.tryJWT(match)
				if tok != nil {
					return s.authenticated(match, &tok.Claims, "")
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
			if tok, _, _ := s.tryJWT(match); tok != nil {
				return s.authenticated(match, &tok.Claims, "")
			}
			if stale.keySet(s.host.Now()) == nil {
				return s.awaitKeys(stale, waitKeys)
			}
			if res, waiting := s.awaitRotation(stale, staleGen); waiting {
				return res
			}
		}
		return s.verifyJWT(match)
	}
	if hasKeys {
		p, i, st := s.lookupAPIKey(cands)
		switch {
		case st == apikey.Valid:
			return s.authenticated(p, p.keyClaims[i], p.keyMetrics[i])
		case st == apikey.Expired:
			s.countFailedAuth()
			return s.refuse(401, problem.ReasonAPIKeyExpired, challengeInvalid)
		case !a.peekOK || firstJWT == nil:
			// Not a token either (or no JWT provider reads here).
			s.countFailedAuth()
			return s.refuse(401, problem.ReasonAPIKeyUnknown, challengeInvalid)
		}
	}
	if a.peekOK {
		// A well-formed token from an issuer none of the route's
		// providers trusts.
		s.countFailedAuth()
		return s.refuse(401, problem.ReasonTokenWrongIssuer, challengeInvalid)
	}
	// Not a well-formed token: the verifier names the precise reason
	// (malformed, too large, unsupported, algorithm) before it needs keys.
	_, err := firstJWT.verifier.Verify(a.cred.value, s.now())
	s.countFailedAuth()
	return s.refuse(401, tokenReason(err), challengeInvalid)
}

func (s *stream) peekCredential() {
	a := &s.auth
	if !a.peeked {
		a.peeked = true
		a.peek, a.peekOK = jwt.PeekUnverified(a.cred.value)
	}
}

// verifyJWT verifies the credential as a token of provider p, through the
// verified-token cache.
func (s *stream) verifyJWT(p *authProvider) result {
	a := &s.auth
	ks := p.keySet(s.host.Now())
	if ks == nil {
		// A remote set that has not arrived yet.
		return s.awaitKeys(p, waitKeys)
	}
	if tok := s.cachedToken(p); tok != nil {
		return s.authenticated(p, &tok.Claims, "")
	}
	now := s.now()
	gen := ks.Generation()
	tok, err := p.verifier.Verify(a.cred.value, now)
	if err != nil {
		if p.remote != nil && jwt.ReasonOf(err) == jwt.ReasonUnknownKey {
			if res, waiting := s.awaitRotation(p, gen); waiting {
				return res
			}
		}
		s.countFailedAuth()
		return s.refuse(401, tokenReason(err), challengeInvalid)
	}
	s.verified(p, tok, now)
	return s.authenticated(p, &tok.Claims, "")
}

// cachedToken returns the credential's entry in the verified-token cache
// for provider p (with p's current key set), or nil.
// A hit is remembered on the stream, so step 8 (credentialCached) and step
// 9 look it up once.
func (s *stream) cachedToken(p *authProvider) *jwt.Token {
	a := &s.auth
	if a.hit != nil && a.hitBy == p {
		return a.hit
	}
	// A set past max_stale_seconds serves nothing, cached tokens included.
	if p.keySet(s.host.Now()) == nil {
		return nil
	}
	tok := s.r.auth.cache.Get(p.name, p.verifier, a.cred.value, s.now())
	if tok != nil {
		a.hit, a.hitBy = tok, p
		s.r.metrics.inc(metricCacheHit)
	}
	return tok
}

// tryJWT verifies the credential with p, through the cache, and returns
// the token or nil; it refuses nothing, waits for nothing. stale reports a
// failure a remote set may cure: its keys have not arrived, or it has no
// key for the token (gen is then the generation of the set tried).
func (s *stream) tryJWT(p *authProvider) (tok *jwt.Token, stale bool, gen uint64) {
	ks := p.keySet(s.host.Now())
	if ks == nil {
		return nil, p.remote != nil, 0
	}
	if tok := s.cachedToken(p); tok != nil {
		return tok, false, 0
	}
	now, value := s.now(), s.auth.cred.value
	gen = ks.Generation()
	tok, err := p.verifier.Verify(value, now)
	if err != nil {
		return nil, p.remote != nil && jwt.ReasonOf(err) == jwt.ReasonUnknownKey, gen
	}
	s.verified(p, tok, now)
	return tok, false, 0
}

// lookupAPIKey looks the credential up in every API-key provider among
// cands: the provider and entry of a valid key, else whether some provider
// has it expired.
func (s *stream) lookupAPIKey(cands []*authProvider) (*authProvider, int, apikey.Status) {
	now := s.now()
	status := apikey.Unknown
	for _, p := range cands {
		if p.keys == nil {
			continue
		}
		switch i, st := p.keys.Lookup(s.auth.cred.value, now); st {
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
// must all be safe to forward (401 otherwise). A claim the token does not
// carry sets no header; the client's copies were removed in step 1.
func (s *stream) authenticated(p *authProvider, c *jsonx.Value, usedMetric string) result {
	a := &s.auth
	if len(p.headers) > 0 {
		hs := make([]proxy.Pair, 0, len(p.headers))
		for _, h := range p.headers {
			v := claims.Lookup(c, h.Claim)
			if v == nil {
				continue
			}
			text, ok := claims.HeaderValue(v)
			if !ok {
				return s.refuse(401, problem.ReasonClaimHeaderUnsafe, challengeInvalid)
			}
			hs = append(hs, proxy.Pair{Key: h.Header, Value: text})
		}
		a.headers = hs
	}
	a.provider, s.identity = p, c
	s.authd = true
	if usedMetric != "" {
		s.r.metrics.inc(usedMetric)
	}
	return next
}
