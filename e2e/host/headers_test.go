package host

import (
	"reflect"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/filter/proxy"
)

func TestStream_trailers(t *testing.T) {
	e, ts := newEnvoy(t, Config{}, func(g *toy) {
		g.reqBody = func(*toy, uint32, int, bool) proxy.Action { return proxy.StopIterationAndBuffer }
	})
	s := e.Worker(0).NewStream(StreamProps{})
	s.RequestHeaders(reqHdrs(), false)
	s.RequestBody([]byte("ab"), false)
	s.RequestBody([]byte("cd"), false)
	if up := s.Upstream(); len(up.Body) != 0 {
		t.Fatalf("body should be held: %+v", up)
	}
	s.RequestTrailers(hdrs("X-Checksum", "1"))
	up := s.Upstream()
	if string(up.Body) != "abcd" || !reflect.DeepEqual(up.Trailers, hdrs("x-checksum", "1")) || !up.EndOfStream {
		t.Errorf("upstream = %+v", up)
	}
	if !strings.Contains(ts.worker(0).evs(), "req_body(2,2,false) req_body(2,4,false) req_trailers(2,1)") {
		t.Errorf("events = %s", ts.worker(0).evs())
	}
}

func TestStream_trailersAddedInLastBodyCallback(t *testing.T) {
	e, _ := newEnvoy(t, Config{}, func(g *toy) {
		g.resBody = func(t *toy, _ uint32, _ int, eos bool) proxy.Action {
			if eos {
				if st := t.h.AddHeaderMapValue(proxy.MapResponseTrailers, "X-Digest", "d"); st != proxy.StatusOK {
					panic(st)
				}
			}
			return proxy.Continue
		}
	})
	d := e.Worker(0).RoundTrip(Request{}, echo(200, "body")).Downstream
	if string(d.Body) != "body" || !reflect.DeepEqual(d.Trailers, hdrs("x-digest", "d")) || !d.EndOfStream {
		t.Errorf("downstream = %+v", d)
	}
}

func TestHost_headerMaps(t *testing.T) {
	type obs struct {
		first, missing               string
		firstSt, missingSt, badMapSt proxy.Status
		afterAdd                     []proxy.Pair
		reqInResp                    proxy.Status
		reqPairsInResp               []proxy.Pair
		reqPairsInRespSt             proxy.Status
		respInResp                   string
		mutateReleased               proxy.Status
		logReq, logResp              string
		logMutate                    proxy.Status
		removeAbsent                 proxy.Status
	}
	var o obs
	e, _ := newEnvoy(t, Config{}, func(g *toy) {
		g.reqHeaders = func(t *toy, _ uint32, _ int, _ bool) proxy.Action {
			o.first, o.firstSt = t.h.GetHeaderMapValue(proxy.MapRequestHeaders, "X-Dup")
			o.missing, o.missingSt = t.h.GetHeaderMapValue(proxy.MapRequestHeaders, "x-none")
			_, o.badMapSt = t.h.GetHeaderMapValue(proxy.MapType(8), "x")
			t.h.AddHeaderMapValue(proxy.MapRequestHeaders, "X-Added", "1")
			t.h.ReplaceHeaderMapValue(proxy.MapRequestHeaders, "x-dup", "z")
			o.removeAbsent = t.h.RemoveHeaderMapValue(proxy.MapRequestHeaders, "x-absent")
			t.h.AddHeaderMapValue(proxy.MapRequestHeaders, ":pseudo", "p")
			o.afterAdd, _ = t.h.GetHeaderMapPairs(proxy.MapRequestHeaders)
			return proxy.Continue
		}
		g.resHeaders = func(t *toy, _ uint32, _ int, _ bool) proxy.Action {
			_, o.reqInResp = t.h.GetHeaderMapValue(proxy.MapRequestHeaders, ":path")
			o.reqPairsInResp, o.reqPairsInRespSt = t.h.GetHeaderMapPairs(proxy.MapRequestHeaders)
			o.respInResp, _ = t.h.GetHeaderMapValue(proxy.MapResponseHeaders, ":status")
			return proxy.Continue
		}
		g.resBody = func(t *toy, _ uint32, _ int, _ bool) proxy.Action {
			o.mutateReleased = t.h.AddHeaderMapValue(proxy.MapResponseHeaders, "x-late", "1")
			return proxy.Continue
		}
		g.onLog = func(t *toy, _ uint32) {
			o.logReq, _ = t.h.GetHeaderMapValue(proxy.MapRequestHeaders, "x-added")
			o.logResp, _ = t.h.GetHeaderMapValue(proxy.MapResponseHeaders, ":status")
			o.logMutate = t.h.AddHeaderMapValue(proxy.MapRequestHeaders, "x", "y")
		}
	})
	r := e.Worker(0).RoundTrip(Request{Path: "/p", Headers: hdrs("x-dup", "a", "X-Dup", "b", "x-other", "o")}, echo(201, "x"))
	if o.first != "a" || o.firstSt != proxy.StatusOK || o.missingSt != proxy.StatusNotFound || o.badMapSt != proxy.StatusBadArgument {
		t.Errorf("get: first %q %v, missing %v, bad map %v", o.first, o.firstSt, o.missingSt, o.badMapSt)
	}
	want := hdrs(":method", "GET", ":scheme", "http", ":authority", "api.example.com", ":path", "/p", ":pseudo", "p",
		"x-other", "o", "x-added", "1", "x-dup", "z")
	if !reflect.DeepEqual(o.afterAdd, want) || !reflect.DeepEqual(r.Upstream.Headers, want) {
		t.Errorf("after mutations = %v\nupstream %v\nwant %v", o.afterAdd, r.Upstream.Headers, want)
	}
	if o.removeAbsent != proxy.StatusOK {
		t.Errorf("remove absent = %v", o.removeAbsent)
	}
	if o.reqInResp != proxy.StatusBadArgument || o.reqPairsInResp != nil || o.reqPairsInRespSt != proxy.StatusOK {
		t.Errorf("request headers after release: get %v, pairs %v %v", o.reqInResp, o.reqPairsInResp, o.reqPairsInRespSt)
	}
	if o.respInResp != "201" || o.mutateReleased != proxy.StatusBadArgument {
		t.Errorf("response headers: %q, late mutation %v", o.respInResp, o.mutateReleased)
	}
	if o.logReq != "1" || o.logResp != "201" || o.logMutate != proxy.StatusBadArgument {
		t.Errorf("log phase: req %q resp %q mutate %v", o.logReq, o.logResp, o.logMutate)
	}
}
