package authn

import (
	"strconv"

	"github.com/apiguard/apiguard/filter/claims"
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/jwt"
	"github.com/apiguard/apiguard/filter/problem"
)

// Challenge names the WWW-Authenticate challenge a refusal carries
// (docs/responses.md "Responses the filter sends").
type Challenge uint8

const (
	// NoChallenge: the refusal carries none.
	NoChallenge Challenge = iota
	// ChallengeMissing: `Bearer realm="apiguard"` (no credential).
	ChallengeMissing
	// ChallengeInvalid: `Bearer realm="apiguard", error="invalid_token"`.
	ChallengeInvalid
	// ChallengeScope: `Bearer error="insufficient_scope"` (403).
	ChallengeScope
)

// Verdict is what one check says: the zero Verdict passes; otherwise the
// request is refused with Status for Reason, carrying Challenge (and, when
// RetryAfter is set, a Retry-After of that many seconds). Counts says the
// refusal is a failed authentication that failed_auth_limit counts.
type Verdict struct {
	Status     int
	Reason     problem.Reason
	Challenge  Challenge
	RetryAfter int64
	Counts     bool
}

// Pass reports whether the verdict lets the request go on.
func (v Verdict) Pass() bool { return v.Status == 0 }

// challenges are the WWW-Authenticate headers of each Challenge. realm is
// fixed: it must not reveal anything about the route.
var challenges = [...][]httpx.Pair{
	NoChallenge:      nil,
	ChallengeMissing: {{Key: "www-authenticate", Value: `Bearer realm="apiguard"`}},
	ChallengeInvalid: {{Key: "www-authenticate", Value: `Bearer realm="apiguard", error="invalid_token"`}},
	ChallengeScope:   {{Key: "www-authenticate", Value: `Bearer error="insufficient_scope"`}},
}

// Headers are the headers the refusal carries besides every refusal's:
// Retry-After when set, else its WWW-Authenticate challenge.
func (v Verdict) Headers() []httpx.Pair {
	if v.RetryAfter > 0 {
		return []httpx.Pair{{Key: "retry-after", Value: strconv.FormatInt(v.RetryAfter, 10)}}
	}
	return challenges[v.Challenge]
}

func deny(status int, reason problem.Reason, c Challenge) Verdict {
	return Verdict{Status: status, Reason: reason, Challenge: c}
}

// failed is a 401 that failed_auth_limit counts.
func failed(reason problem.Reason, c Challenge) Verdict {
	return Verdict{Status: 401, Reason: reason, Challenge: c, Counts: true}
}

// TokenReasons maps the verifier's reasons to refusal reasons.
var TokenReasons = map[string]problem.Reason{
	jwt.ReasonMalformed:         problem.ReasonTokenMalformed,
	jwt.ReasonTooLarge:          problem.ReasonTokenTooLarge,
	jwt.ReasonUnsupported:       problem.ReasonTokenUnsupported,
	jwt.ReasonAlgNotAllowed:     problem.ReasonTokenAlgNotAllowed,
	jwt.ReasonWrongIssuer:       problem.ReasonTokenWrongIssuer,
	jwt.ReasonNoKeys:            problem.ReasonTokenNoKeys,
	jwt.ReasonUnknownKey:        problem.ReasonTokenUnknownKey,
	jwt.ReasonBadSignature:      problem.ReasonTokenBadSignature,
	jwt.ReasonInvalidClaim:      problem.ReasonTokenInvalidClaim,
	jwt.ReasonMissingExpiration: problem.ReasonTokenMissingExpiration,
	jwt.ReasonExpired:           problem.ReasonTokenExpired,
	jwt.ReasonNotYetValid:       problem.ReasonTokenNotYetValid,
	jwt.ReasonIssuedInFuture:    problem.ReasonTokenIssuedInFuture,
	jwt.ReasonLifetimeExceeded:  problem.ReasonTokenLifetimeExceeded,
	jwt.ReasonWrongAudience:     problem.ReasonTokenWrongAudience,
}

// TokenReason is the refusal reason of a verifier error.
func TokenReason(err error) problem.Reason {
	if r, ok := TokenReasons[jwt.ReasonOf(err)]; ok {
		return r
	}
	return problem.ReasonTokenInvalid
}

// ClaimRule turns a configured claim rule into the claims package's form.
func ClaimRule(c *config.ClaimRule) claims.Rule {
	r := claims.Rule{Path: c.Claim}
	switch c.Op {
	case config.ClaimEquals:
		r.Equals = &c.Equals
	case config.ClaimAnyOf:
		r.AnyOf = c.Values
	case config.ClaimContains:
		r.Contains = c.Values
	}
	return r
}

// ClaimText is a claim's string form for comparisons with request data
// (claims.Text).
func ClaimText(c *jsonx.Value, path []string) (string, bool) { return claims.Text(c, path) }

// ValueText is ClaimText for a value in hand (claims.ValueText).
func ValueText(v *jsonx.Value) (string, bool) { return claims.ValueText(v) }
