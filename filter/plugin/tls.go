package plugin

import (
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// propTLSVersion is the property path of the connection's TLS version,
// built once: it is only read, so every stream may share it.
var propTLSVersion = []string{"connection", "tls_version"}

// stepRequireTLS is step 3: require_tls (403). It first loads the route's
// edge state (see loadEdge), because this is the first step that runs with
// a route and the request headers in hand: refusals and responses later on
// need the Origin after the headers are gone.
func (s *stream) stepRequireTLS() result {
	s.loadEdge()
	if s.tlsSatisfied() {
		return next
	}
	return s.refuse(403, problem.ReasonTLSRequired, nil)
}

// tlsSatisfied applies the current route's require_tls.
func (s *stream) tlsSatisfied() bool {
	switch s.route.TLS {
	case config.TLSOff:
		return true
	case config.TLSConnection:
		return s.downstreamTLS()
	case config.TLSForwarded:
		return s.forwardedHTTPS()
	}
	return false // an unknown mode fails closed
}

// downstreamTLS reports whether the downstream connection is TLS: Envoy
// only has connection.tls_version on a TLS connection.
func (s *stream) downstreamTLS() bool {
	v, st := s.host.GetProperty(propTLSVersion)
	return st == proxy.StatusOK && len(v) > 0
}

// forwardedHTTPS reports whether the request carries exactly one
// X-Forwarded-Proto value, "https" in any letter case. The attribute
// joins repeated header lines with ",", so a client (or a chain of proxies)
// that sent several values never passes, whichever one a proxy before
// Envoy would have honoured.
func (s *stream) forwardedHTTPS() bool {
	v := s.req.HeaderAll("x-forwarded-proto")
	return httpx.EqualFoldLower(v, "https")
}
