package authn

import (
	"net/url"
	"testing"

	"github.com/apiguard/apiguard/filter/jwt"
	"github.com/apiguard/apiguard/filter/problem"
)

// Every verifier reason has its own metric-safe plugin reason.
func TestAuthnReasons_coverVerifier(t *testing.T) {
	all := []string{
		jwt.ReasonMalformed, jwt.ReasonTooLarge, jwt.ReasonUnsupported, jwt.ReasonAlgNotAllowed,
		jwt.ReasonWrongIssuer, jwt.ReasonNoKeys, jwt.ReasonUnknownKey, jwt.ReasonBadSignature,
		jwt.ReasonInvalidClaim, jwt.ReasonMissingExpiration, jwt.ReasonExpired, jwt.ReasonNotYetValid,
		jwt.ReasonIssuedInFuture, jwt.ReasonLifetimeExceeded, jwt.ReasonWrongAudience,
	}
	seen := map[problem.Reason]bool{}
	for _, r := range all {
		got, ok := TokenReasons[r]
		if !ok {
			t.Errorf("no plugin reason for jwt reason %q", r)
			continue
		}
		if got != problem.Reason("token_"+r) {
			t.Errorf("jwt reason %q maps to %q, want token_%s", r, got, r)
		}
		if seen[got] {
			t.Errorf("reason %q used twice", got)
		}
		seen[got] = true
	}
	if len(TokenReasons) != len(all) {
		t.Errorf("TokenReasons has %d entries, the verifier %d reasons", len(TokenReasons), len(all))
	}
	if TokenReason(nil) != problem.ReasonTokenInvalid {
		t.Errorf("an error without a reason is not token_invalid")
	}
}

func TestAuthnCredential_decodedEquals(t *testing.T) {
	for _, c := range []struct {
		raw, want string
		eq        bool
	}{
		{"alice", "alice", true},
		{"%61lice", "alice", true},
		{"%2561lice", "%61lice", true},
		{"%2561lice", "alice", false},
		{"a+b", "a+b", true},
		{"a+b", "a b", false},
		{"%zz", "%zz", false},
		{"alice", "alic", false},
		{"alic", "alice", false},
		{"%C3%A9", "é", true},
		{"", "", true},
	} {
		if got := DecodedEquals(c.raw, c.want); got != c.eq {
			t.Errorf("DecodedEquals(%q, %q) = %v, want %v", c.raw, c.want, got, c.eq)
		}
	}
}

// FuzzAuthnCredential_decodedEquals holds decodedEquals to net/url's path unescaping: the
// raw parameter, decoded once, is compared byte for byte.
func FuzzAuthnCredential_decodedEquals(f *testing.F) {
	for _, s := range []string{"alice", "%61", "%", "%4", "a+b", "%zz%41"} {
		f.Add(s, "alice")
	}
	f.Fuzz(func(t *testing.T, raw, want string) {
		dec, err := url.PathUnescape(raw)
		if got := DecodedEquals(raw, want); got != (err == nil && dec == want) {
			t.Fatalf("DecodedEquals(%q, %q) = %v; PathUnescape = %q, %v", raw, want, got, dec, err)
		}
		if err == nil && !DecodedEquals(raw, dec) {
			t.Fatalf("DecodedEquals(%q, %q) is false", raw, dec)
		}
	})
}

func TestDecodedEquals_caseAndPrefix(t *testing.T) {
	for _, c := range []struct {
		raw, want string
		eq        bool
	}{
		{"Alice", "alice", false},
		{"alice", "Alice", false},
		{"%41lice", "alice", false},
		{"%61lice", "Alice", false},
		{"ALICE", "alice", false},
		{"alice", "alicex", false},
		{"alicex", "alice", false},
		{"alic%65", "alice", true},
		{"alic%65", "alic", false},
		{"", "a", false},
		{"a", "", false},
		{"%", "%", false},
		{"%6", "%6", false},
	} {
		if got := DecodedEquals(c.raw, c.want); got != c.eq {
			t.Errorf("DecodedEquals(%q, %q) = %v, want %v", c.raw, c.want, got, c.eq)
		}
	}
}
