package authn

import (
	"testing"

	"github.com/apiguard/apiguard/filter/config"
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
