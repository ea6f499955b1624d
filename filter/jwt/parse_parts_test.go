package jwt

import "testing"

// TestParseCompact_dotsNameTheError: a token is three parts exactly. An
// empty part is that part's own error (a header that is not a JSON
// object; empty claims are refused when they are read), not "not three
// parts"; a fourth part is, even an empty one right after the second dot.
func TestParseCompact_dotsNameTheError(t *testing.T) {
	for _, c := range []struct {
		token string
		want  *Error
	}{
		{"abc", errParts},
		{"e30", errParts},
		{"e30.e30", errParts},
		{".e30.c2ln", errHeaderJSON},
		{"eyJhbGciOiJIUzI1NiJ9..c2ln", nil}, // the claims are read later
		{"e30.e30..c2ln", errParts},
		{"e30.e30.c2ln.", errParts},
		{"e30.e30.c2ln.x", errParts},
		{"..", errHeaderJSON},
		{"...", errParts},
	} {
		_, err := parseCompact(c.token)
		if err != c.want {
			t.Errorf("%q: %v, want %v", c.token, err, c.want)
		}
	}
}
