package authn

import (
	"testing"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/problem"
)

// multipart is a multipart/form-data body (boundary "b") of parts with
// the given names.
func multipart(names ...string) string {
	s := ""
	for _, n := range names {
		s += "--b\r\nContent-Disposition: form-data; name=\"" + n + "\"\r\n\r\nv\r\n"
	}
	return s + "--b--\r\n"
}

// TestForm_multipart: a multipart part named like one of the names (in any
// spelling NormalizeQueryName folds, first or later part, followed by
// other parts) is found; other names, an empty name, or a body not read as
// a form are not.
func TestForm_multipart(t *testing.T) {
	names := []string{"id"}
	for _, c := range []struct {
		name string
		form Form
		want bool
	}{
		{"the only part", Form{Body: multipart("id"), Multipart: true}, true},
		{"the first of two", Form{Body: multipart("id", "x"), Multipart: true}, true},
		{"the last of two", Form{Body: multipart("x", "id"), Multipart: true}, true},
		{"upper case", Form{Body: multipart("ID"), Multipart: true}, true},
		{"other names", Form{Body: multipart("x", "idx", "i"), Multipart: true}, false},
		{"an empty name", Form{Body: multipart(""), Multipart: true}, false},
		{"not read as multipart", Form{Body: multipart("id")}, false},
		{"no body", Form{Multipart: true}, false},
	} {
		if got := c.form.Has(names); got != c.want {
			t.Errorf("%s: Has = %v, want %v", c.name, got, c.want)
		}
	}
	// The second of two names.
	if !(Form{Body: multipart("user"), Multipart: true}).Has([]string{"id", "user"}) {
		t.Errorf("a part named like the second name is not found")
	}
}

// TestCompileBodyOwner_fields: the ambiguous query name is the field's
// last segment, normalised; a rule without a field (Parse refuses one)
// compiles to no name instead of faulting.
func TestCompileBodyOwner_fields(t *testing.T) {
	for _, c := range []struct {
		field []string
		want  string
	}{
		{[]string{"user", "Id"}, "id"},
		{[]string{"owner"}, "owner"},
		{nil, ""},
	} {
		r := CompileBodyOwner(&config.BodyOwnerRule{Field: c.field, Claim: []string{"sub"}})
		got := ""
		if len(r.qname) > 0 {
			got = r.qname[0]
		}
		if got != c.want || (c.want == "") != (len(r.qname) == 0) {
			t.Errorf("field %q: qname %q, want %q", c.field, r.qname, c.want)
		}
	}
}

// TestCheckForm_jsonCopies: a JSON body read for the owner checks (its
// Content-Type says JSON: Laravel's input() and `$request->user_id` then
// read the body's top-level member before the route's parameter) may
// carry a top-level member named like the param (in any spelling the one
// name comparison folds) only with the claim's value, as a string, number
// or boolean written like it; any other value, or an array or object, is
// a second owner (403 owner_ambiguous). Nested members, other names, a
// body not read as JSON, and rules whose `unless` holds are not looked at.
func TestCheckForm_jsonCopies(t *testing.T) {
	rules := []Owner{CompileOwner(&config.OwnerRule{Param: "user_id", Claim: []string{"sub"}})}
	admin := []Owner{CompileOwner(&config.OwnerRule{Param: "user_id", Claim: []string{"sub"},
		Unless: &config.ClaimRule{Claim: []string{"role"}, Op: config.ClaimAnyOf, Values: []string{"admin"}}})}
	alice := identity(t, `{"sub":"alice","role":"user"}`)
	seven := identity(t, `{"sub":7}`)
	root := identity(t, `{"sub":"root","role":"admin"}`)
	for _, c := range []struct {
		name  string
		rules []Owner
		id    *jsonx.Value
		form  Form
		want  problem.Reason
	}{
		{"another owner", rules, alice, Form{Body: `{"user_id":"bob"}`, JSON: true}, problem.ReasonOwnerAmbiguous},
		{"after other members", rules, alice, Form{Body: `{"note":"x","user_id":"bob"}`, JSON: true}, problem.ReasonOwnerAmbiguous},
		{"upper case", rules, alice, Form{Body: `{"USER_ID":"bob"}`, JSON: true}, problem.ReasonOwnerAmbiguous},
		{"escaped name", rules, alice, Form{Body: `{"user\u005fid":"bob"}`, JSON: true}, problem.ReasonOwnerAmbiguous},
		{"dotted spelling", rules, alice, Form{Body: `{"user.id":"bob"}`, JSON: true}, problem.ReasonOwnerAmbiguous},
		{"number", rules, alice, Form{Body: `{"user_id":7}`, JSON: true}, problem.ReasonOwnerAmbiguous},
		{"array", rules, alice, Form{Body: `{"user_id":["alice"]}`, JSON: true}, problem.ReasonOwnerAmbiguous},
		{"object", rules, alice, Form{Body: `{"user_id":{"id":"alice"}}`, JSON: true}, problem.ReasonOwnerAmbiguous},
		{"null", rules, alice, Form{Body: `{"user_id":null}`, JSON: true}, problem.ReasonOwnerAmbiguous},
		{"empty string", rules, alice, Form{Body: `{"user_id":""}`, JSON: true}, problem.ReasonOwnerAmbiguous},
		{"the caller's own id", rules, alice, Form{Body: `{"user_id":"alice","note":"x"}`, JSON: true}, ""},
		{"a numeric claim written alike", rules, seven, Form{Body: `{"user_id":7}`, JSON: true}, ""},
		{"a numeric claim as a string", rules, seven, Form{Body: `{"user_id":"7"}`, JSON: true}, ""},
		{"nested", rules, alice, Form{Body: `{"order":{"user_id":"bob"}}`, JSON: true}, ""},
		{"other names", rules, alice, Form{Body: `{"user":"bob","userid":"bob","_user_id":"bob"}`, JSON: true}, ""},
		{"not an object", rules, alice, Form{Body: `["user_id","bob"]`, JSON: true}, ""},
		{"not read as JSON", rules, alice, Form{Body: `{"user_id":"bob"}`}, ""},
		{"empty body", rules, alice, Form{JSON: true}, ""},
		{"unless holds", admin, root, Form{Body: `{"user_id":"bob"}`, JSON: true}, ""},
		{"unless fails", admin, alice, Form{Body: `{"user_id":"bob"}`, JSON: true}, problem.ReasonOwnerAmbiguous},
		// The body checks let only well-formed JSON through; fail closed.
		{"not JSON", rules, alice, Form{Body: `{"user_id":`, JSON: true}, problem.ReasonOwnerAmbiguous},
	} {
		v := CheckForm(c.rules, c.id, c.form)
		if v.Reason != c.want || (c.want != "") != (v.Status == 403) || !v.Pass() && v.Challenge != ChallengeScope {
			t.Errorf("%s: verdict %+v, want %q", c.name, v, c.want)
		}
	}
}
