package authn

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"

	"github.com/apiguard/apiguard/filter/jsonx"
)

var subPath = []string{"sub"}

// AuditSubjectBytes is how much of the HMAC the audit line keeps
// (docs/operating.md "Logs").
const AuditSubjectBytes = 16

// AuditKey is the key of the audit line's subject (audit_log.hash_secret,
// or random per VM): compiled once, shared by every stream of the VM.
type AuditKey struct {
	key []byte
}

// NewAuditKey returns the key secret, or, when secret is "", 32 bytes from
// crypto/rand: a key of this VM alone, so lines of different VMs (and of
// the same VM after a reconfiguration) do not correlate.
func NewAuditKey(secret string) (*AuditKey, error) {
	if secret != "" {
		return &AuditKey{key: []byte(secret)}, nil
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	return &AuditKey{key: k}, nil
}

// Subject is the verified credential's `sub` under k, so the audit log
// never holds an identity in clear: the first AuditSubjectBytes bytes of
// HMAC-SHA-256(key, sub) in lower-case hex; "" for an anonymous request or
// one without a textual sub. With a shared hash_secret the same subject
// gives the same value on every worker and Envoy, so lines correlate; only
// whoever holds the secret can confirm a guessed subject.
func (k *AuditKey) Subject(p *Provider, identity *jsonx.Value) string {
	if k == nil || p == nil {
		return ""
	}
	sub, ok := ClaimText(identity, subPath)
	if !ok {
		return ""
	}
	m := hmac.New(sha256.New, k.key)
	m.Write([]byte(sub))
	var sum [sha256.Size]byte
	return hex.EncodeToString(m.Sum(sum[:0])[:AuditSubjectBytes])
}
