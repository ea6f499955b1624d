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
	// qname is param normalised as query names are: a query parameter or
	// form field of that name shadows the path parameter.
	qname []string
}

func compileOwner(o *config.OwnerRule) ownerRule {
	r := ownerRule{param: o.Param, claim: o.Claim, qname: []string{config.NormalizeQueryName(o.Param)}}
	if o.Unless != nil {
		u := claimRule(o.Unless)
		r.unless = &u
	}
	return r
}

// excepted reports whether the rule's `unless` holds for the claims c (a
// missing claim, or an anonymous request, makes it false): the rule, its
// shadows included, is then not checked.
func (o *ownerRule) excepted(c *jsonx.Value) bool {
	return o.unless != nil && c != nil && o.unless.Holds(c)
}

// checkOwner is one owner rule in step 10 (403 with insufficient_scope):
// unless `unless` holds, the query string must not carry a parameter named
// like param (DESIGN.md auth.owner: frameworks that merge path, query and
// form parameters may read that value instead), and the path parameter
// must be the caller's.
func (s *stream) checkOwner(o *ownerRule, c *jsonx.Value) result {
	if o.excepted(c) {
		return next
	}
	if reqcheck.FindQueryParam(s.query, o.qname) >= 0 {
		return s.refuse(403, problem.ReasonOwnerAmbiguous, challengeScope)
	}
	if !s.ownerMatches(o, c) {
		return s.refuse(403, problem.ReasonOwnerMismatch, challengeScope)
	}
	return next
}

// checkOwnerForm is the form part of the owner checks, run by the body
// checks of step 12 on a complete application/x-www-form-urlencoded or
// multipart body (bodyState.form and multipart; form is the body, or ""
// when it is not read as a form): a field
// named like the param of a rule whose `unless` does not hold is refused
// (403 with insufficient_scope), as a query parameter is in step 10. Fields
// are split and named exactly as query parameters are; values are never
// read.
func (s *stream) checkOwnerForm(form string) result {
	ar := s.authRoute()
	if ar == nil || form == "" {
		return next
	}
	for i := range ar.owner {
		o := &ar.owner[i]
		if !o.excepted(s.auth.claims) && s.formHas(form, o.qname) {
			return s.refuse(403, problem.ReasonOwnerAmbiguous, challengeScope)
		}
	}
	return next
}

// ownerMatches: the path parameter, percent-decoded once, equals the claim
// as a string.
func (s *stream) ownerMatches(o *ownerRule, c *jsonx.Value) bool {
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
// must not be shadowed by a query parameter named like its last segment
// (nor by such a field of the body read as a form, when the request says
// it is one: form is then the body), and must equal the claim as a string.
// An anonymous request fails.
func (s *stream) checkBodyOwner(body []byte, form string) result {
	ar := s.authRoute()
	if ar == nil || len(ar.bodyOwner) == 0 {
		return next
	}
	for i := range ar.bodyOwner {
		if reqcheck.FindQueryParam(s.query, ar.bodyOwner[i].qname) >= 0 ||
			s.formHas(form, ar.bodyOwner[i].qname) {
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
