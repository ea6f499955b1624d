package jwt

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"
)

// TestVerify_issuerExact: the iss claim must equal the configured issuer
// byte for byte. On a route with one provider this comparison is the only
// issuer check, so an issuer that extends the configured one (another
// tenant of the same identity provider), is a prefix of it, or differs in
// case or in a trailing slash must be refused.
func TestVerify_issuerExact(t *testing.T) {
	ks := testKeys(t)
	tok := func(iss string) string {
		q, err := json.Marshal(iss)
		if err != nil {
			t.Fatal(err)
		}
		return sign(t, "ES256", ks.ec["P-256"], header("ES256", "ec256"), claims("iss="+string(q)))
	}
	for _, c := range []struct {
		name, configured, iss string
		ok                    bool
	}{
		{"same", "https://idp.example.com/", "https://idp.example.com/", true},
		{"another tenant under the issuer", "https://idp.example.com/", "https://idp.example.com/tenant-b", false},
		{"configured is a prefix", "https://idp.example.com/tenant-a", "https://idp.example.com/tenant-ab", false},
		{"token's is a prefix", "https://idp.example.com/tenant-a", "https://idp.example.com/tenant-", false},
		{"token's is a suffix", "https://idp.example.com/", "idp.example.com/", false},
		{"configured is a suffix", "idp.example.com/", "https://idp.example.com/", false},
		{"trailing slash added", "https://idp.example.com", "https://idp.example.com/", false},
		{"trailing slash dropped", "https://idp.example.com/", "https://idp.example.com", false},
		{"host case", "https://idp.example.com/", "https://IDP.example.com/", false},
		{"scheme case", "https://idp.example.com/", "HTTPS://idp.example.com/", false},
		{"path case", "https://idp.example.com/tenant-a", "https://idp.example.com/Tenant-A", false},
		{"same length, last byte", "https://idp.example.com/a", "https://idp.example.com/b", false},
		{"same length, first byte", "https://idp.example.com/", "http://idp.example.com//", false},
		{"trailing space", "https://idp.example.com/", "https://idp.example.com/ ", false},
		{"trailing NUL", "https://idp.example.com/", "https://idp.example.com/\x00", false},
		{"empty", "https://idp.example.com/", "", false},
	} {
		cfg := testConfig()
		cfg.Issuer = c.configured
		v := NewVerifier(cfg, publicVerifier(t).Keys())
		_, err := v.Verify(tok(c.iss), testNow)
		if c.ok && err != nil {
			t.Errorf("%s: iss %q against %q: %v", c.name, c.iss, c.configured, err)
		}
		if !c.ok && ReasonOf(err) != ReasonWrongIssuer {
			t.Errorf("%s: iss %q against %q: %v, want %s", c.name, c.iss, c.configured, err, ReasonWrongIssuer)
		}
	}
}

// TestVerify_noMaxLifetime: without max_lifetime a token may live as long
// as its exp says (no lifetime check runs at all).
func TestVerify_noMaxLifetime(t *testing.T) {
	cfg := testConfig()
	cfg.MaxLifetime = 0
	v := NewVerifier(cfg, publicVerifier(t).Keys())
	long := sign(t, "ES256", testKeys(t).ec["P-256"], header("ES256", "ec256"),
		claims("exp="+strconv.FormatInt(testNow.Unix()+10*365*86400, 10)))
	if _, err := v.Verify(long, testNow); err != nil {
		t.Errorf("a ten-year token without max_lifetime: %v", err)
	}
	cfg.MaxLifetime = time.Hour
	if _, err := NewVerifier(cfg, publicVerifier(t).Keys()).Verify(long, testNow); ReasonOf(err) != ReasonLifetimeExceeded {
		t.Errorf("the same token with a one-hour max_lifetime: %v", err)
	}
}
