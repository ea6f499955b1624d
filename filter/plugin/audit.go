package plugin

import (
	"github.com/apiguard/apiguard/filter/authn"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// auditLine writes the stream's one JSON audit line (audit_log: true;
// problem.AuditLine, with authn.AuditSubject). Warning, as the deny line:
// audit_log is asked for explicitly, and Istio's default Wasm log level
// (warning) would hide it at info.
func (s *stream) auditLine() {
	decision := problem.AuditDecision(s.decision == decisionDeny, s.reported)
	subject := authn.AuditSubject(s.auth.Provider, s.identity)
	s.host.Log(proxy.LogWarn, problem.AuditLine(s.routeName(), decision, s.reason, s.status, subject))
}
