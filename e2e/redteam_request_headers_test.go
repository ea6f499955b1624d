package e2e

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/e2e/host/fault"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Red-team cases of the one read of the request headers: step 1 and
// everything after it (the request id, :method, :path, the method override
// headers, the claims headers' spellings, the credential search) work from
// one proxy_get_header_map_pairs. Each case runs natively and against the
// .wasm.

// requestPairs is a host whose answer to GetHeaderMapPairs for the
// request headers fails with status (unless OK), or is the list as edit
// returns it.
func requestPairs(status proxy.Status, edit func([]proxy.Pair) []proxy.Pair) fault.Host {
	return fault.Host{
		Hook: func(c fault.Call) proxy.Status {
			if c.Method == "GetHeaderMapPairs" && c.Map == proxy.MapRequestHeaders {
				return status
			}
			return proxy.StatusOK
		},
		Pairs: func(m proxy.MapType, ps []proxy.Pair) []proxy.Pair {
			if m == proxy.MapRequestHeaders && edit != nil {
				ps = edit(ps)
			}
			return ps
		},
	}
}

// A host that cannot list the request headers gets a 500, never a pass:
// the filter cannot tell the method, the path or the credential, so
// nothing of the request can be checked. The refusal cannot carry the
// request id (it is one of the headers that could not be read).
func TestRedteamRequestHeadersUnlisted(t *testing.T) {
	for _, st := range []proxy.Status{proxy.StatusNotFound, proxy.StatusBadArgument, proxy.StatusInternalFailure, proxy.StatusSerializationFailure} {
		t.Run(st.String(), func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				for _, cfg := range []struct{ name, config, path string }{
					{"no claims headers", routesConfig, "/healthz"},
					{"claims headers", authBenchConfig(t), "/p"},
				} {
					e := start(t, withFault(g, requestPairs(st, nil)), cfg.config)
					r := e.Worker(0).RoundTrip(host.Request{Path: cfg.path, Headers: headers("x-request-id", "rq-1")},
						func(host.UpstreamRequest) host.Response { return defaultResponse })
					d := r.Downstream
					if r.UpstreamCalled {
						t.Errorf("%s: the request reached upstream", cfg.name)
					}
					if d.Status != 500 || d.LocalReply != "apiguard_"+string(problem.ReasonInternal) {
						t.Fatalf("%s: status %d details %q, want 500 apiguard_internal_error\n%s", cfg.name, d.Status, d.LocalReply, logText(e))
					}
					if want := string(problem.Body(500, "")); string(d.Body) != want {
						t.Errorf("%s: body %s, want %s", cfg.name, d.Body, want)
					}
					if got := metric(e, "apiguard.denied.internal_error"); got != 1 {
						t.Errorf("%s: denied.internal_error = %d, want 1", cfg.name, got)
					}
				}
			})
		})
	}
}

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
