package authn

import (
	"github.com/apiguard/apiguard/filter/claims"
	"github.com/apiguard/apiguard/filter/config"
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
// request is refused with Status for Reason, carrying Challenge.
type Verdict struct {
	Status    int
	Reason    problem.Reason
	Challenge Challenge
}

// Pass reports whether the verdict lets the request go on.
func (v Verdict) Pass() bool { return v.Status == 0 }

func deny(status int, reason problem.Reason, c Challenge) Verdict {
	return Verdict{Status: status, Reason: reason, Challenge: c}
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
// (owner, body_owner, rate-limit keys, the audit line): strings as they
// are, numbers as written, booleans as true or false. Other types, and
// missing claims (or no identity), have none.
func ClaimText(c *jsonx.Value, path []string) (string, bool) {
	if c == nil {
		return "", false
	}
	return ValueText(claims.Lookup(c, path))
}

// ValueText is ClaimText for a value in hand.
func ValueText(v *jsonx.Value) (string, bool) {
	if v == nil {
		return "", false
	}
	switch v.Kind {
	case jsonx.KindString, jsonx.KindNumber:
		return v.Str, true
	case jsonx.KindBool:
		if v.Bool {
			return "true", true
		}
		return "false", true
	}
	return "", false
}
