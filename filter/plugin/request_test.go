package plugin

import "testing"

// TestIsFormType: every Content-Type some framework parses as a form body
// is one, so an owner route never skips a form it should read (PHP, for
// one, lower-cases the type and stops at ';', ',' or a space).
func TestIsFormType(t *testing.T) {
	for v, want := range map[string]bool{
		"application/x-www-form-urlencoded":                true,
		"APPLICATION/X-WWW-FORM-URLENCODED":                true,
		"Application/X-Www-Form-Urlencoded; charset=UTF-8": true,
		"application/x-www-form-urlencoded;charset=utf-8":  true,
		"application/x-www-form-urlencoded , text/plain":   true,
		"application/x-www-form-urlencoded,text/plain":     true,
		" \tapplication/x-www-form-urlencoded":             true,
		"application/x-www-form-urlencoded\tq=1":           true,
		"application/x-www-form-urlencodedx":               false,
		"application/json":                                 false,
		"multipart/form-data; boundary=x":                  false,
		"text/plain; x=application/x-www-form-urlencoded":  false,
		"":                                 false,
		"application/x-www-form-urlencode": false,
		"application/x-www-form-urlencoded\u212a": false,
		"application/x-www-form-urlencoded/x":     false,
		"application/\u212a-www-form-urlencoded":  false,
	} {
		if got := isFormType(v); got != want {
			t.Errorf("isFormType(%q) = %v, want %v", v, got, want)
		}
	}
}
