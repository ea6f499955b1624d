package plugin

import (
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/edge"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// propTLSVersion is the property path of the connection's TLS version,
// built once: it is only read, so every stream may share it.
var propTLSVersion = []string{"connection", "tls_version"}

// stepRequireTLS is step 3: require_tls (403, edge.TLSSatisfied). It first
// loads the route's edge state (see loadEdge), because this is the first
// step that runs with a route and the request headers in hand: refusals
// and responses later on need the Origin after the headers are gone.
func (s *stream) stepRequireTLS() result {
	s.loadEdge()
	mode := s.route.TLS
	if edge.TLSSatisfied(mode, mode == config.TLSConnection && s.downstreamTLS(), &s.req) {
		return next
	}
	return s.refuse(403, problem.ReasonTLSRequired, nil)
}

// downstreamTLS reports whether the downstream connection is TLS: Envoy
// only has connection.tls_version on a TLS connection.
func (s *stream) downstreamTLS() bool {
	v, st := s.host.GetProperty(propTLSVersion)
	return st == proxy.StatusOK && len(v) > 0
}
