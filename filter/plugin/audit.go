package plugin

import (
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// auditLine writes the stream's one JSON audit line (audit_log;
// problem.AuditLine, the subject under policy.AuditKey). Warning, as the
// deny line: audit_log is asked for explicitly, and Istio's default Wasm
// log level (warning) would hide it at info.
func (s *stream) auditLine() {
	pol := s.r.policy
	a := problem.Audit{RequestID: s.req.RequestID, Method: s.req.Method, Route: s.routeName(),
		Template: s.route.AuditTemplate(), RawPath: pol.AuditRawPath, Path: s.req.Path, Query: s.req.Query,
		Decision: problem.AuditDecision(s.decision == decisionDeny, s.reported), Reason: s.reason, Status: s.status,
		Subject: pol.AuditKey.Subject(s.auth.Provider, s.identity)}
	s.host.Log(proxy.LogWarn, problem.AuditLine(&a))
}
