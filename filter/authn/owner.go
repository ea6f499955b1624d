package authn

import (
	"github.com/apiguard/apiguard/filter/claims"
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/route"
)

// Owner is one auth.owner entry, compiled.
type Owner struct {
	param  string
	claim  []string
	unless *claims.Rule
	// qname is param normalised as query names are: a query parameter or
	// form field of that name shadows the path parameter.
	qname []string
}

// CompileOwner compiles one auth.owner entry.
func CompileOwner(o *config.OwnerRule) Owner {
	r := Owner{param: o.Param, claim: o.Claim, qname: []string{httpx.NormalizeQueryName(o.Param)}}
	if o.Unless != nil {
		u := ClaimRule(o.Unless)
		r.unless = &u
	}
	return r
}

// excepted reports whether the rule's `unless` holds for the identity c (a
// missing claim, or an anonymous request, makes it false): the rule, its
// shadows included, is then not checked.
func (o *Owner) excepted(c *jsonx.Value) bool {
	return o.unless != nil && c != nil && o.unless.Holds(c)
}

// Check is one owner rule in step 10 (403 with insufficient_scope): unless
// `unless` holds, the query string must not carry a parameter named like
// param (docs/configuration.md auth.owner: frameworks that merge path, query and form
// parameters may read that value instead), and the path parameter must be
// the caller's: percent-decoded once, it equals the claim as a string.
func (o *Owner) Check(identity *jsonx.Value, query string, params route.Params) Verdict {
	if o.excepted(identity) {
		return Verdict{}
	}
	if httpx.FindQueryParam(query, o.qname) >= 0 {
		return deny(403, problem.ReasonOwnerAmbiguous, ChallengeScope)
	}
	want, ok := ClaimText(identity, o.claim)
	if !ok || want == "" {
		return deny(403, problem.ReasonOwnerMismatch, ChallengeScope)
	}
	if raw, ok := params.Get(o.param); !ok || !DecodedEquals(raw, want) {
		return deny(403, problem.ReasonOwnerMismatch, ChallengeScope)
	}
	return Verdict{}
}

// Form is a request body read as form fields, for the form shadows of the
// owner and body_owner rules: URL-encoded (fields split and named exactly
// as query parameters are) or multipart (its part names). Values are never
// read. JSON says the body is also read as JSON for the owner rules' JSON
// copies (CheckForm), whose values are.
type Form struct {
	// Body is the body; "" when it is not read as a form or as JSON.
	Body       string
	URLEncoded bool
	Multipart  bool
	JSON       bool
}

// Has reports whether a field of the form is named like one of names
// (each normalised with httpx.NormalizeQueryName).
func (f Form) Has(names []string) bool {
	if f.Body == "" {
		return false
	}
	if f.URLEncoded && httpx.FindQueryParam(f.Body, names) >= 0 {
		return true
	}
	found := false
	if f.Multipart {
		httpx.EachMultipartName(f.Body, func(name string) bool {
			found = name != "" && httpx.QueryNameIndex(name, names...) >= 0
			return !found
		})
	}
	return found
}

// CheckForm is the form part of the owner checks, run by the body checks
// of step 12 on a complete application/x-www-form-urlencoded or multipart
// body: a field named like the param of a rule whose `unless` does not
// hold is refused (403 with insufficient_scope), as a query parameter is
// in step 10. On a body read as JSON (form.JSON) the same rules refuse a
// top-level member named like the param (httpx.QueryNameIndex) unless its
// value is the claim's text (ValueText): Laravel's input() and
// `$request->user_id` read that member before the route's parameter, so
// `{"user_id":"bob"}` to /users/alice/... would act on bob. Unlike a form
// copy, the caller's own id passes: JSON bodies commonly repeat it.
func CheckForm(rules []Owner, identity *jsonx.Value, form Form) Verdict {
	if form.Body == "" {
		return Verdict{}
	}
	var doc *jsonx.Value
	for i := range rules {
		o := &rules[i]
		if o.excepted(identity) {
			continue
		}
		if form.Has(o.qname) {
			return deny(403, problem.ReasonOwnerAmbiguous, ChallengeScope)
		}
		if !form.JSON {
			continue
		}
		if doc == nil {
			v, err := jsonx.Parse([]byte(form.Body), jsonx.Limits{})
			if err != nil {
				// The body checks let only well-formed JSON through;
				// fail closed.
				return deny(403, problem.ReasonOwnerAmbiguous, ChallengeScope)
			}
			doc = &v
		}
		if !o.jsonCopiesMatch(doc, identity) {
			return deny(403, problem.ReasonOwnerAmbiguous, ChallengeScope)
		}
	}
	return Verdict{}
}

// jsonCopiesMatch reports whether every top-level member of doc named like
// the rule's param holds the claim's text.
func (o *Owner) jsonCopiesMatch(doc, identity *jsonx.Value) bool {
	if doc.Kind != jsonx.KindObject {
		return true
	}
	for i := range doc.Members {
		m := &doc.Members[i]
		if httpx.QueryNameIndex(m.Key, o.qname...) < 0 {
			continue
		}
		got, ok := ValueText(&m.Value)
		want, wok := ClaimText(identity, o.claim)
		if !ok || !wok || want == "" || got != want {
			return false
		}
	}
	return true
}

// claimsHold reports whether every auth.claims rule holds for identity
// (none does for an anonymous request, identity nil).
func (ar *Route) claimsHold(identity *jsonx.Value) bool {
	for i := range ar.Claims {
		if identity == nil || !ar.Claims[i].Holds(identity) {
			return false
		}
	}
	return true
}

// DecodedEquals reports whether raw, percent-decoded once, is want. A '%'
// not followed by two hex digits never matches ('+' is a plus sign in a
// path). It allocates nothing.
func DecodedEquals(raw, want string) bool {
	j := 0
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '%' {
			d, ok := httpx.PercentByte(raw, i)
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

// Authorize is step 10 on route ar for the credential a verified: the
// route's auth.claims, then auth.owner on the path and its query shadows
// (403 with insufficient_scope). An anonymous request (allow_missing;
// identity nil) fails every rule. A token the verified-token cache served
// remembers which routes' claims hold (memo).
func (a *State) Authorize(ar *Route, identity *jsonx.Value, query string, params route.Params) Verdict {
	if len(ar.Claims) > 0 && !a.memo.claimsHold(ar, identity) {
		return deny(403, problem.ReasonClaimsNotSatisfied, ChallengeScope)
	}
	for i := range ar.Owner {
		if v := ar.Owner[i].Check(identity, query, params); !v.Pass() {
			return v
		}
	}
	return Verdict{}
}
