package config

import (
	"strings"
	"testing"
)

// TestParse_noSecretsInErrors checks that hashes and JWKS key material never
// reach an error message.
func TestParse_noSecretsInErrors(t *testing.T) {
	const secret = "c2VjcmV0LWhtYWMta2V5LW1hdGVyaWFs"
	badHash := strings.Repeat("a", 63) + "g"
	tests := []struct{ doc, secret string }{
		{withJWT(`,"jwks":{"keys":[{"kty":"oct","k":"` + secret + `"},"` + secret + `"]}`), secret},
		{withJWT(`,"jwks":{"keys":[{"kty":"oct","k":"` + secret + `"}],"extra":"` + secret + `"},"remote_jwks":{}`), secret},
		{withJWT(`,"jwks":{"keys":"` + secret + `"}`), secret},
		{withKeys(`[{"id":"k","sha256":"` + badHash + `"}]`), badHash},
		{withKeys(`[{"id":"k","sha256":"` + hash64 + `"},{"id":"k2","sha256":"` + hash64 + `"}]`), hash64},
		{withKeys(`[{"id":"k","sha256":"` + hash64[:40] + `"}]`), hash64[:40]},
	}
	for i, tc := range tests {
		_, err := Parse([]byte(tc.doc))
		if err == nil {
			t.Errorf("case %d: no error", i)
			continue
		}
		if strings.Contains(err.Error(), tc.secret) || strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tc.secret[:16])) {
			t.Errorf("case %d: error echoes secret material: %v", i, err)
		}
	}
}

// TestParse_hashSecretNotEchoed checks that a refused
// rate_limit_service.hash_secret never appears in the error, in whole or
// in part.
func TestParse_hashSecretNotEchoed(t *testing.T) {
	secrets := []struct{ json, value string }{
		{`"Sh0rtS3cr3tXyz"`, "Sh0rtS3cr3tXyz"},
		{`"` + strings.Repeat("L0ngS3cr3t", 103) + `"`, strings.Repeat("L0ngS3cr3t", 103)},
		{`"Ctl-S3cr3t-Value\u0001Xyz"`, "Ctl-S3cr3t-Value\x01Xyz"},
		{`"Utf8-S3cr3t-Välue-Xyz"`, "Utf8-S3cr3t-Välue-Xyz"},
	}
	for _, s := range secrets {
		_, err := Parse([]byte(withTop(`,"rate_limit_service":{"cluster":"c","domain":"d","hash_secret":` + s.json + `}`)))
		if err == nil {
			t.Errorf("%.20s...: accepted", s.json)
			continue
		}
		msg := err.Error()
		if msg != `rate_limit_service.hash_secret: must be 16 to 1024 printable ASCII characters` {
			t.Errorf("error %q", msg)
		}
		for i := 0; i+6 <= len(s.value); i++ {
			if strings.Contains(msg, s.value[i:i+6]) {
				t.Errorf("error %q echoes part of the secret (%q)", msg, s.value[i:i+6])
				break
			}
		}
	}
}
