package authn

import (
	"testing"

	"github.com/apiguard/apiguard/filter/claims"
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/route"
)

func identity(t *testing.T, doc string) *jsonx.Value {
	t.Helper()
	v, err := jsonx.Parse([]byte(doc), jsonx.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return &v
}

func params(t *testing.T, path string) route.Params {
	t.Helper()
	tab, err := route.CompileWith([]route.Spec{{Path: "/users/{id}"}}, route.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, p, ok := tab.Match("GET", path)
	if !ok {
		t.Fatalf("%s does not match", path)
	}
	return p
}

func TestOwner_verdicts(t *testing.T) {
	o := CompileOwner(&config.OwnerRule{Param: "id", Claim: []string{"sub"}})
	admin := CompileOwner(&config.OwnerRule{Param: "id", Claim: []string{"sub"},
		Unless: &config.ClaimRule{Claim: []string{"role"}, Op: config.ClaimAnyOf, Values: []string{"admin"}}})
	alice := identity(t, `{"sub":"alice","role":"user"}`)
	root := identity(t, `{"sub":"root","role":"admin"}`)
	tests := []struct {
		name       string
		rule       *Owner
		id         *jsonx.Value
		query      string
		path       string
		wantReason problem.Reason
	}{
		{"own id", &o, alice, "", "/users/alice", ""},
		{"own id escaped", &o, alice, "", "/users/%61lice", ""},
		{"other id", &o, alice, "", "/users/bob", problem.ReasonOwnerMismatch},
		{"anonymous", &o, nil, "", "/users/alice", problem.ReasonOwnerMismatch},
		{"query shadow", &o, alice, "ID=bob", "/users/alice", problem.ReasonOwnerAmbiguous},
		{"query shadow bracket", &o, alice, "id[]=bob", "/users/alice", problem.ReasonOwnerAmbiguous},
		{"unless holds", &admin, root, "id=x", "/users/bob", ""},
		{"unless fails", &admin, alice, "", "/users/bob", problem.ReasonOwnerMismatch},
	}
	for _, tc := range tests {
		v := tc.rule.Check(tc.id, tc.query, params(t, tc.path))
		if v.Reason != tc.wantReason || (tc.wantReason != "") != (v.Status == 403) || !v.Pass() && v.Challenge != ChallengeScope {
			t.Errorf("%s: Check = %+v, want reason %q", tc.name, v, tc.wantReason)
		}
	}
	if v := CheckForm([]Owner{o}, alice, Form{Body: "name=x&id=bob", URLEncoded: true}); v.Reason != problem.ReasonOwnerAmbiguous {
		t.Errorf("form shadow: %+v", v)
	}
	if v := CheckForm([]Owner{admin}, root, Form{Body: "id=bob", URLEncoded: true}); !v.Pass() {
		t.Errorf("form shadow under unless: %+v", v)
	}
}

func TestCheckBodyOwner_verdicts(t *testing.T) {
	rules := []BodyOwner{CompileBodyOwner(&config.BodyOwnerRule{Field: []string{"order", "customer"}, Claim: []string{"sub"}})}
	alice := identity(t, `{"sub":"alice"}`)
	tests := []struct {
		name       string
		id         *jsonx.Value
		query      string
		body, form string
		wantReason problem.Reason
	}{
		{"own", alice, "", `{"order":{"customer":"alice"}}`, "", ""},
		{"other", alice, "", `{"order":{"customer":"bob"}}`, "", problem.ReasonBodyOwnerMismatch},
		{"anonymous", nil, "", `{"order":{"customer":"alice"}}`, "", problem.ReasonBodyOwnerMismatch},
		{"missing", alice, "", `{"order":{}}`, "", problem.ReasonBodyOwnerMissing},
		{"empty body", alice, "", ``, "", problem.ReasonBodyOwnerMissing},
		{"not an object", alice, "", `{"order":[1]}`, "", problem.ReasonBodyOwnerMissing},
		{"case twin", alice, "", `{"order":{"customer":"alice","Customer":"bob"}}`, "", problem.ReasonBodyOwnerAmbiguous},
		{"query shadow", alice, "customer=bob", `{"order":{"customer":"alice"}}`, "", problem.ReasonBodyOwnerAmbiguous},
		{"form shadow", alice, "", `{"order":{"customer":"alice"}}`, "customer=bob", problem.ReasonBodyOwnerAmbiguous},
	}
	for _, tc := range tests {
		v := CheckBodyOwner(rules, tc.id, tc.query, []byte(tc.body), Form{Body: tc.form, URLEncoded: true})
		if v.Reason != tc.wantReason || (tc.wantReason != "") != (v.Status == 403) {
			t.Errorf("%s: CheckBodyOwner = %+v, want reason %q", tc.name, v, tc.wantReason)
		}
	}
	if v := CheckBodyOwner(nil, nil, "", nil, Form{}); !v.Pass() {
		t.Errorf("no rules: %+v", v)
	}
}

// TestAuthorize_verdicts: step 10 checks the claims first, then the owner
// rules; an anonymous request fails any rule; a route without rules lets
// anyone through.
func TestAuthorize_verdicts(t *testing.T) {
	o := CompileOwner(&config.OwnerRule{Param: "id", Claim: []string{"sub"}})
	admins := ClaimRule(&config.ClaimRule{Claim: []string{"role"}, Op: config.ClaimAnyOf, Values: []string{"admin"}})
	alice := identity(t, `{"sub":"alice","role":"user"}`)
	root := identity(t, `{"sub":"root","role":"admin"}`)
	for _, tc := range []struct {
		name string
		ar   Route
		id   *jsonx.Value
		path string
		want problem.Reason
	}{
		{"no rules", Route{}, nil, "/users/x", ""},
		{"claims hold", Route{Claims: []claims.Rule{admins}}, root, "/users/x", ""},
		{"claims fail", Route{Claims: []claims.Rule{admins}}, alice, "/users/alice", problem.ReasonClaimsNotSatisfied},
		{"anonymous", Route{Claims: []claims.Rule{admins}}, nil, "/users/x", problem.ReasonClaimsNotSatisfied},
		{"claims before owner", Route{Claims: []claims.Rule{admins}, Owner: []Owner{o}}, alice, "/users/bob", problem.ReasonClaimsNotSatisfied},
		{"owner", Route{Owner: []Owner{o}}, alice, "/users/bob", problem.ReasonOwnerMismatch},
		{"owner holds", Route{Owner: []Owner{o}}, alice, "/users/alice", ""},
	} {
		v := (&State{}).Authorize(&tc.ar, tc.id, "", params(t, tc.path))
		if v.Reason != tc.want || !v.Pass() && (v.Status != 403 || v.Challenge != ChallengeScope) {
			t.Errorf("%s: %+v, want %q", tc.name, v, tc.want)
		}
	}
}

// TestVerdict_headers: a refusal carries Retry-After when it has one, else
// its WWW-Authenticate challenge (docs/responses.md).
func TestVerdict_headers(t *testing.T) {
	for _, tc := range []struct {
		v          Verdict
		key, value string
	}{
		{deny(401, problem.ReasonCredentialMissing, ChallengeMissing), "www-authenticate", `Bearer realm="apiguard"`},
		{deny(401, problem.ReasonTokenInvalid, ChallengeInvalid), "www-authenticate", `Bearer realm="apiguard", error="invalid_token"`},
		{deny(403, problem.ReasonClaimsNotSatisfied, ChallengeScope), "www-authenticate", `Bearer error="insufficient_scope"`},
		{Verdict{Status: 503, RetryAfter: 3, Challenge: ChallengeMissing}, "retry-after", "3"},
		{deny(403, problem.ReasonOwnerMismatch, NoChallenge), "", ""},
	} {
		h := tc.v.Headers()
		if tc.key == "" && len(h) != 0 || tc.key != "" && (len(h) != 1 || h[0].Key != tc.key || h[0].Value != tc.value) {
			t.Errorf("%+v: %v", tc.v, h)
		}
	}
}
