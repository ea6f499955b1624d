package plugin

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"github.com/apiguard/apiguard/filter/authn"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// auditLine writes the stream's one JSON audit line (audit_log: true): the
// route, the decision, its reason, the status the client got and, for an
// authenticated request, the hashed subject. It holds no credential or
// request data beyond the route name the operator chose.
func (s *stream) auditLine() {
	b := make([]byte, 0, 128)
	b = append(b, `apiguard: audit {"route":`...)
	b = problem.AppendString(b, s.routeName())
	b = append(b, `,"decision":`...)
	switch {
	case s.decision == decisionDeny:
		b = append(b, `"deny"`...)
	case s.reported:
		b = append(b, `"report"`...)
	default:
		b = append(b, `"allow"`...)
	}
	if s.reason != "" {
		b = append(b, `,"reason":`...)
		b = problem.AppendString(b, string(s.reason))
	}
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(s.status), 10)
	if subj, ok := s.auditSubject(); ok {
		b = append(b, `,"subject":"`...)
		b = append(b, subj...)
		b = append(b, '"')
	}
	b = append(b, '}')
	// Warning, as the deny line: audit_log is asked for explicitly, and
	// Istio's default Wasm log level (warning) would hide it at info.
	s.host.Log(proxy.LogWarn, string(b))
}

// auditSubject is the verified credential's `sub`, hashed with its provider
// so the audit log never holds an identity in clear: the first 16 hex digits
// of SHA-256("apiguard-audit\x00" provider "\x00" sub). The same subject
// gives the same value on every worker and Envoy, so lines correlate; a
// guessable subject (an e-mail address) can still be confirmed by whoever
// reads the log and guesses it.
func (s *stream) auditSubject() (string, bool) {
	if s.auth.Provider == nil {
		return "", false
	}
	sub, ok := authn.ClaimText(s.identity, subPath)
	if !ok {
		return "", false
	}
	h := sha256.New()
	h.Write([]byte("apiguard-audit\x00"))
	h.Write([]byte(s.auth.Provider.Name))
	h.Write([]byte{0})
	h.Write([]byte(sub))
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:8]), true
}

var subPath = []string{"sub"}
