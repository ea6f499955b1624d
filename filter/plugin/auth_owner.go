package plugin

import (
	"github.com/apiguard/apiguard/filter/claims"
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/reqcheck"
	"github.com/apiguard/apiguard/filter/route"
)

// ownerRule is one auth.owner entry, compiled.
type ownerRule struct {
	param  string
	claim  []string
	unless *claims.Rule
}

func compileOwner(o *config.OwnerRule) ownerRule {
	r := ownerRule{param: o.Param, claim: o.Claim}
	if o.Unless != nil {
		u := claimRule(o.Unless)
		r.unless = &u
	}
	return r
}

// ownerHolds: the path parameter, percent-decoded once, equals the claim as
// a string, unless the rule's `unless` holds (a missing claim, or an
// anonymous request, makes it false).
func (s *stream) ownerHolds(o *ownerRule, c *jsonx.Value) bool {
	if o.unless != nil && c != nil && o.unless.Holds(c) {
		return true
	}
	want, ok := claimText(c, o.claim)
	if !ok || want == "" {
		return false
	}
	raw, ok := s.params.Get(o.param)
	return ok && decodedEquals(raw, want)
}

// decodedEquals reports whether raw, percent-decoded once, is want. A '%'
// not followed by two hex digits never matches ('+' is a plus sign in a
// path). It allocates nothing.
func decodedEquals(raw, want string) bool {
	j := 0
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '%' {
			d, ok := route.PercentByte(raw, i)
			if !ok {
				return false
			}
			c = d
			i += 2
		}
		if j >= len(want) || want[j] != c {
			return false
		}
		j++
	}
	return j == len(want)
}

// bodyOwnerRule is one auth.body_owner entry, compiled.
type bodyOwnerRule struct {
	field []string
	claim []string
	// qname is the normalised last segment of field: a query parameter
	// of that name makes the request ambiguous.
	qname []string
}

func compileBodyOwner(b *config.BodyOwnerRule) bodyOwnerRule {
	r := bodyOwnerRule{field: b.Field, claim: b.Claim}
	if n := len(b.Field); n > 0 {
		r.qname = []string{config.NormalizeQueryName(b.Field[n-1])}
	}
	return r
}

// checkBodyOwner is the body_owner part of step 12, run by the body checks
// once the request body is complete and well-formed JSON (403 with
// insufficient_scope). Each rule's field must be present exactly once at
// every level of its path (no second key equal to it in any letter case),
// must not be shadowed by a query parameter named like its last segment,
// and must equal the claim as a string. An anonymous request fails.
func (s *stream) checkBodyOwner(body []byte) result {
	ar := s.authRoute()
	if ar == nil || len(ar.bodyOwner) == 0 {
		return next
	}
	for i := range ar.bodyOwner {
		if reqcheck.FindQueryParam(s.query, ar.bodyOwner[i].qname) >= 0 {
			return s.refuse(403, problem.ReasonBodyOwnerAmbiguous, challengeScope)
		}
	}
	if len(body) == 0 {
		return s.refuse(403, problem.ReasonBodyOwnerMissing, challengeScope)
	}
	doc, err := jsonx.Parse(body, jsonx.Limits{})
	if err != nil {
		// The body checks let only well-formed JSON through; fail closed.
		return s.refuse(403, problem.ReasonBodyOwnerMissing, challengeScope)
	}
	c := s.auth.claims
	for i := range ar.bodyOwner {
		r := &ar.bodyOwner[i]
		v := &doc
		for _, seg := range r.field {
			if v.Kind != jsonx.KindObject {
				return s.refuse(403, problem.ReasonBodyOwnerMissing, challengeScope)
			}
			if v.CountFold(seg) > 1 {
				return s.refuse(403, problem.ReasonBodyOwnerAmbiguous, challengeScope)
			}
			if v = v.Get(seg); v == nil {
				return s.refuse(403, problem.ReasonBodyOwnerMissing, challengeScope)
			}
		}
		got, ok := valueText(v)
		want, wok := claimText(c, r.claim)
		if !ok || !wok || want == "" || got != want {
			return s.refuse(403, problem.ReasonBodyOwnerMismatch, challengeScope)
		}
	}
	return next
}
