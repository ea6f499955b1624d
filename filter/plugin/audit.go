package plugin

import (
	"strconv"

	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// auditLine writes the stream's one JSON audit line (audit_log: true): the
// route, the decision, its reason and the status the client got. It holds
// no credential or request data beyond the route name the operator chose.
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
	b = append(b, '}')
	s.host.Log(proxy.LogInfo, string(b))
}
