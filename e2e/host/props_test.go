package host

import (
	"reflect"
	"testing"

	"github.com/apiguard/apiguard/filter/proxy"
)

func TestHost_properties(t *testing.T) {
	type prop struct {
		path []string
		want []byte
		st   proxy.Status
	}
	props := StreamProps{
		SourceAddress: "198.51.100.9:5555",
		TLS:           &TLSInfo{Version: "TLSv1.3", SNI: "api.example.com", MTLS: true, PeerSubject: "CN=client"},
		Extra:         map[string][]byte{"xds.route_name": []byte("r1")},
	}
	inHeaders := []prop{
		{[]string{"request", "path"}, []byte("/a/b?x=1#f"), proxy.StatusOK},
		{[]string{"request", "url_path"}, []byte("/a/b"), proxy.StatusOK},
		{[]string{"request", "query"}, []byte("x=1"), proxy.StatusOK},
		{[]string{"request", "host"}, []byte("api.example.com"), proxy.StatusOK},
		{[]string{"request", "method"}, []byte("POST"), proxy.StatusOK},
		{[]string{"request", "scheme"}, []byte("https"), proxy.StatusOK},
		{[]string{"request", "id"}, []byte("rid-1"), proxy.StatusOK},
		{[]string{"request", "protocol"}, []byte("HTTP/1.1"), proxy.StatusOK},
		{[]string{"request", "time"}, EncodeInt64(DefaultStart.UnixNano()), proxy.StatusOK},
		{[]string{"request", "headers", "x-dup"}, []byte("1,2"), proxy.StatusOK},
		{[]string{"request", "headers", "x-none"}, nil, proxy.StatusNotFound},
		{[]string{"request", "headers"}, proxy.EncodePairs(hdrs(":method", "POST", ":scheme", "https", ":authority", "api.example.com",
			":path", "/a/b?x=1#f", "x-request-id", "rid-1", "x-dup", "1,2")), proxy.StatusOK},
		{[]string{"source", "address"}, []byte("198.51.100.9:5555"), proxy.StatusOK},
		{[]string{"source", "port"}, EncodeInt64(5555), proxy.StatusOK},
		{[]string{"destination", "address"}, []byte("10.0.0.1:10000"), proxy.StatusOK},
		{[]string{"connection", "tls_version"}, []byte("TLSv1.3"), proxy.StatusOK},
		{[]string{"connection", "mtls"}, []byte{1}, proxy.StatusOK},
		{[]string{"connection", "requested_server_name"}, []byte("api.example.com"), proxy.StatusOK},
		{[]string{"connection", "subject_peer_certificate"}, []byte("CN=client"), proxy.StatusOK},
		{[]string{"plugin_name"}, []byte("apiguard"), proxy.StatusOK},
		{[]string{"plugin_root_id"}, []byte("root"), proxy.StatusOK},
		{[]string{"plugin_vm_id"}, []byte("vm"), proxy.StatusOK},
		{[]string{"xds", "node", "id"}, []byte("node-1"), proxy.StatusOK},
		{[]string{"xds", "route_name"}, []byte("r1"), proxy.StatusOK},
		{[]string{"nonsense"}, nil, proxy.StatusNotFound},
		{[]string{"request", "nonsense"}, nil, proxy.StatusNotFound},
		{[]string{"mine"}, []byte("v"), proxy.StatusOK},
	}
	inResponse := []prop{
		{[]string{"request", "path"}, nil, proxy.StatusNotFound},
		{[]string{"response", "code"}, EncodeInt64(202), proxy.StatusOK},
		{[]string{"response", "headers", "x-r"}, []byte("r"), proxy.StatusOK},
		{[]string{"mine"}, []byte("v"), proxy.StatusOK},
	}
	plain := []prop{
		{[]string{"connection", "tls_version"}, nil, proxy.StatusNotFound},
		{[]string{"connection", "mtls"}, []byte{0}, proxy.StatusOK},
		{[]string{"source", "address"}, []byte("203.0.113.7:40000"), proxy.StatusOK},
	}
	check := func(t *testing.T, h proxy.Host, where string, ps []prop) {
		t.Helper()
		for _, p := range ps {
			v, st := h.GetProperty(p.path)
			if st != p.st || !reflect.DeepEqual(v, p.want) && !(len(v) == 0 && len(p.want) == 0) {
				t.Errorf("%s %v = %q %v, want %q %v", where, p.path, v, st, p.want, p.st)
			}
		}
	}
	var rootSt, setRootSt proxy.Status
	e, _ := newEnvoy(t, Config{PluginName: "apiguard", RootID: "root", VMID: "vm", NodeID: "node-1"}, func(g *toy) {
		g.configure = func(t *toy) bool {
			_, rootSt = t.h.GetProperty([]string{"request", "path"})
			setRootSt = t.h.SetProperty([]string{"mine"}, []byte("v"))
			return true
		}
		g.reqHeaders = func(tt *toy, _ uint32, _ int, _ bool) proxy.Action {
			if st := tt.h.SetProperty([]string{"mine"}, []byte("v")); st != proxy.StatusOK {
				t.Errorf("set property = %v", st)
			}
			if v, _ := tt.h.GetProperty([]string{"source", "address"}); string(v) == "203.0.113.7:40000" {
				check(t, tt.h, "plain", plain)
				return proxy.Continue
			}
			check(t, tt.h, "request headers", inHeaders)
			return proxy.Continue
		}
		g.resHeaders = func(tt *toy, _ uint32, _ int, _ bool) proxy.Action {
			if v, _ := tt.h.GetProperty([]string{"source", "address"}); string(v) != "203.0.113.7:40000" {
				check(t, tt.h, "response headers", inResponse)
			}
			return proxy.Continue
		}
	})
	e.Worker(0).RoundTrip(Request{Method: "POST", Path: "/a/b?x=1#f", Headers: hdrs("x-request-id", "rid-1", "x-dup", "1", "x-dup", "2"), Props: props},
		func(UpstreamRequest) Response { return Response{Status: 202, Headers: hdrs("x-r", "r")} })
	e.Worker(0).RoundTrip(Request{}, echo(200, ""))
	if rootSt != proxy.StatusNotFound || setRootSt != proxy.StatusNotFound {
		t.Errorf("root context: get %v, set %v", rootSt, setRootSt)
	}
}
