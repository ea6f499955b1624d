package e2e

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/e2e/host/fault"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Red-team cases of the response path and of the ABI boundary: what the
// client gets when a hostcall fails, when a stream has no configured plugin
// context, and a set of content-type, encoding and framing games. Each
// case runs natively and against the .wasm.

// failing is a fault.Hook that fails the response-side hostcalls it
// names, as "Method" or "Method argument" (e.g. "GetBufferBytes",
// "RemoveHeaderMapValue content-length", "SendLocalResponse 503"), with
// the status a host returning an unexpected one would answer.
func failing(calls ...string) fault.Hook {
	return func(c fault.Call) proxy.Status {
		name, st := responseCall(c)
		if st != proxy.StatusOK && slices.Contains(calls, name) {
			return st
		}
		return proxy.StatusOK
	}
}

// responseCall names a hostcall of the response path as failing lists it,
// with the status it fails with; StatusOK for the calls it cannot fail.
func responseCall(c fault.Call) (string, proxy.Status) {
	switch c.Method {
	case "GetHeaderMapValue":
		if c.Map == proxy.MapResponseHeaders {
			return c.Method + " " + c.Key, proxy.StatusNotFound
		}
	case "GetHeaderMapPairs":
		if c.Map == proxy.MapResponseHeaders {
			return c.Method, proxy.StatusBadArgument
		}
	case "RemoveHeaderMapValue":
		if c.Map == proxy.MapResponseHeaders {
			return c.Method + " " + c.Key, proxy.StatusBadArgument
		}
	case "GetBufferStatus", "GetBufferBytes":
		if c.Buffer == proxy.BufferResponseBody {
			return c.Method, proxy.StatusNotFound
		}
	case "SetBufferBytes":
		if c.Buffer == proxy.BufferResponseBody {
			return c.Method, proxy.StatusBadArgument
		}
	case "SendLocalResponse":
		return c.Method + " " + strconv.Itoa(int(c.N)), proxy.StatusInternalFailure
	}
	return "", proxy.StatusOK
}

// leaked reports which sensitive values of ordersDoc (or the markers of the
// other documents) the client received.
func leaked(d host.Downstream) []string {
	var out []string
	for _, v := range append([]string{"SECRET-MARKER"}, sensitive...) {
		if bytes.Contains(d.Body, []byte(v)) {
			out = append(out, v)
		}
	}
	return out
}

// A failing hostcall never lets an unchecked body through: whatever the
// status a hostcall returns, the client gets a refusal, a reset, or at
// worst nothing, never the upstream document unredacted, and never a
// Content-Length that disagrees with the body it carries.
func TestRedteamResponseHostFaults(t *testing.T) {
	secret5xx := `{"trace":"SECRET-MARKER at db.go:12"}`
	big := `{"pad":"` + strings.Repeat("x", 4000) + `","note":"SECRET-MARKER"}`
	cases := []struct {
		name  string
		hold  bool
		path  string
		fault fault.Hook
		resp  *host.Response
	}{
		{name: "status unreadable on an upstream 500", hold: true, path: "/plain",
			fault: failing("GetHeaderMapValue :status"), resp: jsonResp(500, secret5xx)},
		{name: "status unreadable on an inspected route", hold: true, path: "/orders",
			fault: failing("GetHeaderMapValue :status"), resp: jsonResp(503, secret5xx)},
		{name: "header pairs unreadable", hold: true, path: "/orders",
			fault: failing("GetHeaderMapPairs"), resp: jsonResp(200, ordersDoc)},
		{name: "body unreadable", hold: true, path: "/orders",
			fault: failing("GetBufferBytes"), resp: chunked(jsonResp(200, ordersDoc), 64)},
		{name: "body unreadable, no hold", path: "/orders",
			fault: failing("GetBufferBytes"), resp: chunked(jsonResp(200, ordersDoc), 64)},
		{name: "rewrite refused", hold: true, path: "/orders",
			fault: failing("SetBufferBytes"), resp: jsonResp(200, ordersDoc)},
		{name: "rewrite refused, no hold", path: "/orders",
			fault: failing("SetBufferBytes"), resp: chunked(jsonResp(200, ordersDoc), 50)},
		{name: "buffer status unreadable before trailers", hold: true, path: "/orders",
			fault: failing("GetBufferStatus"), resp: &host.Response{Status: 200,
				Headers: headers("content-type", "application/json"), Body: []byte(ordersDoc), Trailers: headers("x-t", "1")}},
		{name: "content-length not removable", hold: true, path: "/masked",
			fault: failing("RemoveHeaderMapValue content-length"),
			resp:  withLength(jsonResp(200, `{"token":1,"x":2}`))},
		{name: "5xx answer not sent", hold: true, path: "/plain",
			fault: failing("SendLocalResponse 503"), resp: jsonResp(503, secret5xx)},
		{name: "5xx answer not sent, no hold", path: "/orders",
			fault: failing("SendLocalResponse 500"), resp: chunked(jsonResp(500, secret5xx), 8)},
		{name: "502 not sent for an oversized body, no hold", path: "/orders",
			fault: failing("SendLocalResponse 502"), resp: chunked(jsonResp(200, big), 256)},
		{name: "502 not sent for an oversized body", hold: true, path: "/orders",
			fault: failing("SendLocalResponse 502"), resp: chunked(jsonResp(200, big), 256)},
		{name: "502 not sent for a duplicate key, trailers follow", hold: true, path: "/orders",
			fault: failing("SendLocalResponse 502"), resp: &host.Response{Status: 200,
				Headers: headers("content-type", "application/json"),
				Body:    []byte(`{"id":1,"id":"SECRET-MARKER"}`), Trailers: headers("x-t", "1")}},
		{name: "502 not sent for a refused type", hold: true, path: "/orders",
			fault: failing("SendLocalResponse 502"), resp: chunked(typedResp("text/html", "<p>SECRET-MARKER</p>"), 4)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				var sw fault.Switch
				e := respEnvoy(t, withFault(g, fault.Host{Hook: sw.Hook}), c.hold, "")
				sw.Set(c.fault)
				resp := *c.resp
				r := e.Worker(0).RoundTrip(host.Request{Path: c.path, Headers: headers("x-request-id", "rq-1")},
					func(host.UpstreamRequest) host.Response { return resp })
				sw.Set(nil)
				d := r.Downstream
				if l := leaked(d); len(l) > 0 {
					t.Fatalf("the client got %q (status %d, reset %v, details %q, body %q)\nlogs:\n%s",
						l, d.Status, d.Reset, d.Details, d.Body, logText(e))
				}
				if cl, ok := header(d.Headers, "content-length"); ok && !d.Reset && cl != strconv.Itoa(len(d.Body)) {
					t.Errorf("content-length %s but a body of %d bytes: %q", cl, len(d.Body), d.Body)
				}
				if d.Status == 0 && !d.Reset {
					t.Errorf("the stream hung: the client got neither an answer nor a reset (details %q)", d.Details)
				}
			})
		})
	}
}

// rootless makes every stream context refer to a root context the plugin
// never saw, as when proxy_on_context_create of the stream is routed to a
// root whose configuration failed on this worker.
type rootless struct{ proxy.Handler }

func (r rootless) OnContextCreate(contextID, parentID uint32) {
	if parentID != 0 {
		parentID += 1000
	}
	r.Handler.OnContextCreate(contextID, parentID)
}

// A stream without a configured plugin context fails closed with the
// generic 500, and that answer reaches the client: the filter's own local
// reply must not be held by the same filter's response callbacks.
func TestRedteamStreamWithoutRoot(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := respEnvoy(t, withHandler(g, func(hd proxy.Handler) proxy.Handler { return rootless{hd} }), true, "")
		r := e.Worker(0).RoundTrip(host.Request{Path: "/plain"}, func(host.UpstreamRequest) host.Response {
			return *jsonResp(200, `{"x":"SECRET-MARKER"}`)
		})
		d := r.Downstream
		if r.UpstreamCalled {
			t.Errorf("a stream without a plugin context reached upstream")
		}
		if d.Status != 500 || d.Reset {
			t.Fatalf("status %d (reset %v, details %q), want the filter's 500\nlogs:\n%s", d.Status, d.Reset, d.Details, logText(e))
		}
		if !bytes.Equal(d.Body, problem.Body(500, "")) {
			t.Errorf("body %s, want the generic 500", d.Body)
		}
	})
}

// Cases that held: content-type, encoding and framing games on an
// inspected route. Each either yields the redacted document or a 502.
func TestRedteamResponseGames(t *testing.T) {
	const bom = "\xef\xbb\xbf"
	for _, hold := range []bool{true, false} {
		t.Run(map[bool]string{true: "hold", false: "no-hold"}[hold], func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				e := respEnvoy(t, g, hold, "")
				twoEnc := jsonResp(200, ordersDoc)
				twoEnc.Headers = append(twoEnc.Headers, proxy.Pair{Key: "content-encoding", Value: "identity"},
					proxy.Pair{Key: "content-encoding", Value: "gzip"})
				runResp(t, e, hold, []respCase{
					{name: "upper-case +json", path: "/orders", resp: typedResp("APPLICATION/PROBLEM+JSON", ordersDoc), want: 200, body: ordersRedacted},
					{name: "spaces around the type", path: "/orders", resp: typedResp(" application/json ;charset=UTF-8", ordersDoc), want: 200, body: ordersRedacted},
					{name: "empty type is untyped", path: "/orders", resp: typedResp(";charset=utf-8", ordersDoc), want: 200, body: ordersRedacted},
					{name: "bare +json subtype", path: "/orders", resp: typedResp("application/+json", ordersDoc), want: 502, reason: problem.ReasonResponseNotJSON},
					{name: "json list", path: "/orders", resp: typedResp("application/json, text/html", ordersDoc), want: 502, reason: problem.ReasonResponseNotJSON},
					{name: "IDENTITY encoding", path: "/orders", resp: jsonResp(200, ordersDoc, "content-encoding", "IDENTITY"), want: 200, body: ordersRedacted},
					{name: "gzip, identity", path: "/orders", resp: jsonResp(200, ordersDoc, "content-encoding", "gzip, identity"), want: 502, reason: problem.ReasonResponseCompressed},
					{name: "two encoding headers", path: "/orders", resp: twoEnc, want: 502, reason: problem.ReasonResponseCompressed},
					{name: "pass type listed twice", path: "/orders", resp: jsonResp(200, "ssn,hunter2", "content-type", "text/csv"), want: 502, reason: problem.ReasonResponseNotJSON},
					{name: "BOM", path: "/orders", resp: jsonResp(200, bom+ordersDoc), want: 502, reason: problem.ReasonResponseInvalidJSON, late: true},
					{name: "trailing garbage", path: "/orders", resp: jsonResp(200, ordersDoc+` {"password":"hunter2"}`), want: 502, reason: problem.ReasonResponseInvalidJSON, late: true},
					{name: "two documents untyped", path: "/orders", resp: typedResp("", `{"id":1}{"password":"hunter2"}`), want: 502, reason: problem.ReasonResponseNotJSON, late: true},
					{name: "whitespace only", path: "/orders", resp: jsonResp(200, " \r\n\t"), want: 502, reason: problem.ReasonResponseInvalidJSON, late: true},
					{name: "over the cap in one-byte chunks", path: "/orders",
						resp: chunked(jsonResp(200, `{"password":"hunter2","pad":"`+strings.Repeat("p", 2100)+`"}`), 1),
						want: 502, reason: problem.ReasonResponseTooLarge, late: true},
					{name: "declared length smaller than the body", path: "/orders",
						resp: &host.Response{Status: 200, Headers: headers("content-type", "application/json", "content-length", "10"), Body: []byte(ordersDoc)},
						want: 200, body: ordersRedacted, headers: map[string]string{"content-length": ""}},
					{name: "escaped redacted keys", path: "/masked",
						resp: jsonResp(200, `{"\u0074oken":1,"TOKEN":{"a":[1]},"to\u212Aen":null,"x":[{"Token":true}]}`),
						want: 200, body: `{"\u0074oken":"[redacted]","TOKEN":"[redacted]","to\u212Aen":"[redacted]","x":[{"Token":"[redacted]"}]}`},
					{name: "case-folded duplicate is not a duplicate", path: "/masked",
						resp: jsonResp(200, `{"token":1,"Token":2}`), want: 200, body: `{"token":"[redacted]","Token":"[redacted]"}`},
					{name: "redacted key deep down", path: "/masked",
						resp: jsonResp(200, strings.Repeat(`{"a":`, 200)+`{"token":"SECRET-MARKER"}`+strings.Repeat(`}`, 200)),
						want: 200, body: strings.Repeat(`{"a":`, 200) + `{"token":"[redacted]"}` + strings.Repeat(`}`, 200)},
					{name: "nesting over the walker's cap", path: "/masked",
						resp: jsonResp(200, strings.Repeat(`[`, 600)+`{"token":1}`+strings.Repeat(`]`, 600)),
						want: 502, reason: problem.ReasonResponseInvalidJSON, late: true},
					{name: "upstream 500 with JSON on a redacting route", path: "/orders", resp: jsonResp(500, ordersDoc), want: 500, sanitized: true},
				})
				for _, l := range e.Logs() {
					for _, v := range append([]string{"SECRET-MARKER"}, sensitive...) {
						if strings.Contains(l.String(), v) {
							t.Errorf("a response value reached the log: %s", l)
						}
					}
				}
			})
		})
	}
}

// A HEAD response and a 304 carry headers only (Content-Length describes
// a body that is not there); they pass untouched.
func TestRedteamResponseHeadersOnly(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := respEnvoy(t, g, true, "")
		for _, c := range []struct {
			method string
			status int
		}{{"HEAD", 200}, {"GET", 304}, {"GET", 204}} {
			r := e.Worker(0).RoundTrip(host.Request{Method: c.method, Path: "/orders"}, func(host.UpstreamRequest) host.Response {
				return host.Response{Status: c.status, Headers: headers("content-type", "application/json", "content-length", "4096")}
			})
			d := r.Downstream
			if d.Status != c.status || d.Reset || d.Header("content-length") != "4096" {
				t.Errorf("%s %d: client got %d reset=%v content-length %q", c.method, c.status, d.Status, d.Reset, d.Header("content-length"))
			}
		}
	})
}
