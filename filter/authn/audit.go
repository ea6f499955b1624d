package authn

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/apiguard/apiguard/filter/jsonx"
)

var subPath = []string{"sub"}

// AuditSubject is the verified credential's `sub`, hashed with its
// provider p so the audit log never holds an identity in clear: the first
// 16 hex digits of SHA-256("apiguard-audit\x00" provider "\x00" sub); ""
// for an anonymous request or one without a textual sub. The same subject
// gives the same value on every worker and Envoy, so lines correlate; a
// guessable subject (an e-mail address) can still be confirmed by whoever
// reads the log and guesses it.
func AuditSubject(p *Provider, identity *jsonx.Value) string {
	if p == nil {
		return ""
	}
	sub, ok := ClaimText(identity, subPath)
	if !ok {
		return ""
	}
	h := sha256.New()
	h.Write([]byte("apiguard-audit\x00"))
	h.Write([]byte(p.Name))
	h.Write([]byte{0})
	h.Write([]byte(sub))
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:8])
}
