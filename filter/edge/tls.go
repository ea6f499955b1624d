package edge

import (
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/httpx"
)

// TLSSatisfied is step 3, require_tls: off always passes; connection
// needs a TLS downstream connection (connTLS, which the caller reads from
// the host only for that mode); forwarded needs ForwardedHTTPS. An
// unknown mode fails closed.
func TLSSatisfied(mode config.TLSMode, connTLS bool, req *httpx.Request) bool {
	switch mode {
	case config.TLSOff:
		return true
	case config.TLSConnection:
		return connTLS
	case config.TLSForwarded:
		return ForwardedHTTPS(req)
	}
	return false
}

// ForwardedHTTPS reports whether the request carries exactly one
// X-Forwarded-Proto value, "https" in any letter case. The attribute
// joins repeated header lines with ",", so a client (or a chain of
// proxies) that sent several values never passes, whichever one a proxy
// before Envoy would have honoured.
func ForwardedHTTPS(req *httpx.Request) bool {
	return httpx.EqualFoldLower(req.HeaderAll("x-forwarded-proto"), "https")
}
