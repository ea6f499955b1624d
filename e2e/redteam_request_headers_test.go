package e2e

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Red-team cases of the one read of the request headers: step 1 and
// everything after it (the request id, :method, :path, the method override
// headers, the claims headers' spellings, the credential search) work from
// one proxy_get_header_map_pairs. Each case runs natively and against the
// .wasm.

// requestPairsHost wraps the Host a guest is given and changes what
// GetHeaderMapPairs answers for the request headers: a failing status, or
// the pairs as edit returns them.
type requestPairsHost struct {
	proxy.Host
	status proxy.Status // not OK: the read fails with it
	edit   func([]proxy.Pair) []proxy.Pair
}

func (h requestPairsHost) GetHeaderMapPairs(m proxy.MapType) ([]proxy.Pair, proxy.Status) {
	if m != proxy.MapRequestHeaders {
		return h.Host.GetHeaderMapPairs(m)
	}
	if h.status != proxy.StatusOK {
		return nil, h.status
	}
	ps, st := h.Host.GetHeaderMapPairs(m)
	if st == proxy.StatusOK && h.edit != nil {
		ps = h.edit(ps)
	}
	return ps, st
}

func withRequestPairs(g guest, h requestPairsHost) guest {
	inner := g.factory
	g.factory = func(host proxy.Host) (proxy.Handler, error) {
		h := h
		h.Host = host
		return inner(h)
	}
	return g
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
					e := start(t, withRequestPairs(g, requestPairsHost{status: st}), cfg.config)
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
					if got := metric(t, e, "apiguard.denied.internal_error"); got != 1 {
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
				e := start(t, withRequestPairs(g, requestPairsHost{edit: hc.edit}), routesConfig)
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
