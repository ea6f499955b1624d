package authn

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func hmacHex(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// TestAuditSubject_hmac: the subject is HMAC-SHA-256(hash_secret, sub)
// cut to 16 bytes, in hex; none for an anonymous request, a missing or
// non-textual sub, or no key.
func TestAuditSubject_hmac(t *testing.T) {
	const secret = "0123456789abcdef-audit"
	k, err := NewAuditKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{Name: "keys"}
	tests := []struct {
		name, identity string
		p              *Provider
		want           string
	}{
		{"sub", `{"sub": "alice@example.com"}`, p, hmacHex(secret, "alice@example.com")},
		{"escaped sub", `{"sub": "b\u00e9b\"\n"}`, p, hmacHex(secret, "béb\"\n")},
		{"empty sub", `{"sub": ""}`, p, hmacHex(secret, "")},
		{"no provider", `{"sub": "alice"}`, nil, ""},
		{"no sub", `{"iss": "x"}`, p, ""},
		{"numeric sub as text", `{"sub": 42}`, p, hmacHex(secret, "42")},
		{"object sub", `{"sub": {"a": 1}}`, p, ""},
	}
	for _, tc := range tests {
		got := k.Subject(tc.p, identity(t, tc.identity))
		if got != tc.want {
			t.Errorf("%s: subject %q, want %q", tc.name, got, tc.want)
		}
		if tc.want != "" && len(got) != 32 {
			t.Errorf("%s: %d hex digits, want 32", tc.name, len(got))
		}
	}
	var none *AuditKey
	if got := none.Subject(p, identity(t, `{"sub": "alice"}`)); got != "" {
		t.Errorf("nil key: subject %q", got)
	}
}

// TestAuditSubject_randomKeyPerVM: without hash_secret each key is drawn
// at random: two VMs hash the same subject differently, and neither is
// the HMAC under an empty key.
func TestAuditSubject_randomKeyPerVM(t *testing.T) {
	a, err := NewAuditKey("")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewAuditKey("")
	p, id := &Provider{Name: "keys"}, identity(t, `{"sub": "alice"}`)
	sa, sb := a.Subject(p, id), b.Subject(p, id)
	if sa == "" || sa == sb || sa == hmacHex("", "alice") {
		t.Errorf("random keys: %q and %q", sa, sb)
	}
	if again := a.Subject(p, id); again != sa {
		t.Errorf("one key hashes alice as %q then %q", sa, again)
	}
}
