package e2e

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Header names compare without regard to ASCII case, and a repeated header
// counts by its first value, as proxy_get_header_map_value answers: a host
// that listed names as the client wrote them changes nothing.
func TestRedteamRequestHeaderNames(t *testing.T) {
	upper := func(ps []proxy.Pair) []proxy.Pair {
		for i := range ps {
			ps[i].Key = strings.ToUpper(ps[i].Key)
		}
		return ps
	}
	for _, hc := range []struct {
		name string
		edit func([]proxy.Pair) []proxy.Pair
	}{{"lower-case names", nil}, {"upper-case names", upper}} {
		t.Run(hc.name, func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				e := start(t, withFault(g, requestPairs(proxy.StatusOK, hc.edit)), routesConfig)
				first := "first"
				runTable(t, e, []exchange{
					{name: "match on method and path", req: host.Request{Path: "/healthz"}, want: 200},
					{name: "method of the route checked", req: host.Request{Method: "POST", Path: "/healthz"}, want: 405, reason: problem.ReasonMethodNotAllowed,
						headers: map[string]string{"allow": "GET, HEAD"}},
					{name: "request id in a refusal", req: host.Request{Path: "/nope", Headers: headers("x-request-id", "rq-7")}, want: 404},
					{name: "first request id of two", req: host.Request{Path: "/nope", Headers: headers("x-request-id", first, "x-request-id", "second")}, want: 404},
					{name: "method override", req: host.Request{Path: "/healthz", Headers: headers("x-http-method-override", "DELETE")}, want: 400, reason: problem.ReasonMethodOverride},
					{name: "method override, empty value", req: host.Request{Path: "/healthz", Headers: headers("X-Method-Override", "")}, want: 400, reason: problem.ReasonMethodOverride},
					{name: "unsafe path", req: host.Request{Path: "/users/../admin"}, want: 400, reason: problem.ReasonUnsafePath},
				})
			})
		})
	}
}
