package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	rlsv3 "github.com/envoyproxy/go-control-plane/envoy/service/ratelimit/v3"

	"github.com/apiguard/apiguard/e2e/host"
)

// Global rate limits when the service fails or is not asked:
// failure_mode, report-only routes, streams gone before the answer, and
// upstream's own RateLimit headers.

// openGlobal sends bodyless request headers and leaves the stream open.
func openGlobal(vm *host.VM, path, addr string) *host.Stream {
	s := vm.NewStream(host.StreamProps{SourceAddress: addr})
	s.RequestHeaders(headers(":method", "GET", ":scheme", "https", ":authority", "api.example.com", ":path", path), true)
	return s
}

// TestGlobal_failureModes: an unknown cluster, a call that times out (the
// call's own timeout: the filter sets no timer) and errors are failures;
// deny refuses them with a bare Retry-After, allow lets the request
// through, and both count them and log at most once a minute per worker.
func TestGlobal_failureModes(t *testing.T) {
	const addr = "203.0.113.7:1"
	silent := replyWith(host.GRPCResponse{}, host.ErrNoAnswer)
	broken := replyWith(host.GRPCResponse{Status: 14, StatusMessage: "upstream connect error"}, nil)
	each(t, func(t *testing.T, g guest) {
		t.Run("deny, no such cluster", func(t *testing.T) {
			e := start(t, g, globalCfg("deny")) // no "ratelimit" cluster
			runTable(t, e, []exchange{failed("refused at once", rlReq("/only", addr), nil).exchange})
			if n := len(e.LogsContaining("call not started: ParseFailure")); n != 1 {
				t.Errorf("%d lines naming the failure\n%s", n, logText(e))
			}
		})
		t.Run("deny, timeout", func(t *testing.T) {
			f := &fakeRLS{t: t, reply: silent}
			e := start(t, g, globalCfg("deny"), withRLS(f)) // replies as set: no runGlobal here
			s := openGlobal(e.Worker(0), "/only", addr)
			if !waiting(s) || len(e.Worker(0).PendingCallouts()) != 1 {
				t.Fatalf("the request does not wait for the service: %+v", s.Downstream())
			}
			e.Advance(199 * time.Millisecond)
			if !waiting(s) {
				t.Fatalf("answered before the call's timeout: %+v", s.Downstream())
			}
			e.Advance(time.Millisecond)
			d := finish(s)
			if d.Status != 429 || d.LocalReply != "apiguard_rate_limit_service_unavailable" || d.Header("retry-after") != "1" ||
				d.Header("ratelimit") != "" || d.Header("ratelimit-policy") != "" {
				t.Fatalf("after the timeout: %d %q %v", d.Status, d.LocalReply, d.Headers)
			}
			if s.Upstream().Headers != nil {
				t.Error("the request reached upstream")
			}
			if n := len(e.LogsContaining(`grpc status 14 "upstream request timeout"`)); n != 1 {
				t.Errorf("%d timeout lines\n%s", n, logText(e))
			}
		})
		t.Run("allow", func(t *testing.T) {
			f := &fakeRLS{t: t}
			e := start(t, g, globalCfg("allow"), withRLS(f), workers(2))
			runGlobal(t, e, f, []globalCase{
				{exchange: exchange{name: "error 1", req: rlReq("/fleet", addr), want: 200,
					headers: map[string]string{"ratelimit": `"fleet-local";r=2;t=20`, "ratelimit-policy": fleetPolicy}}, reply: broken, calls: -1},
				{exchange: exchange{name: "error 2", req: rlReq("/only", addr), want: 200,
					headers: map[string]string{"ratelimit": "", "ratelimit-policy": `"only-route";q=5;w=1`}}, reply: broken, calls: -1},
				{exchange: exchange{name: "error 3", req: rlReq("/only", addr), want: 200}, reply: broken, calls: -1},
				{exchange: exchange{name: "no such cluster in allow mode", req: rlReq("/only", addr), want: 200},
					reply: replyWith(host.GRPCResponse{}, fmt.Errorf("refused")), calls: -1},
			})
			if n := len(e.LogsContaining("apiguard: rate limit service:")); n != 2 {
				t.Errorf("%d failure lines, want 2 (one per worker in the minute)\n%s", n, logText(e))
			}
			e.Advance(61 * time.Second)
			runGlobal(t, e, f, []globalCase{{exchange: exchange{name: "a minute later", req: rlReq("/only", addr), want: 200}, reply: broken, calls: -1}})
			lines := e.LogsContaining("apiguard: rate limit service:")
			if len(lines) != 3 || !strings.Contains(lines[2].Msg, "failure_mode allow; 2 failed calls on this worker since its previous such line") {
				t.Errorf("failure lines %v", lines)
			}
			// A timeout in allow mode lets the request go once it fires.
			f.set(silent)
			s := openGlobal(e.Worker(0), "/only", addr)
			e.Advance(200 * time.Millisecond)
			if d := finish(s); d.Status != 200 {
				t.Fatalf("timeout in allow mode: %d %q", d.Status, d.LocalReply)
			}
			for name, want := range map[string]int64{
				"apiguard.ratelimit_service.failed":              6,
				"apiguard.ratelimit_service.failed_open":         6,
				"apiguard.denied.rate_limit_service_unavailable": 0,
				"apiguard.allowed":                               6,
			} {
				if got := metricWant(t, e, name, want); got != want {
					t.Errorf("%s = %d, want %d", name, got, want)
				}
			}
		})
	})
}

// TestGlobal_reportOnly: on an enforce:false route an OVER_LIMIT, and a
// failing service, are counted as reported and the request goes on
// untouched.
func TestGlobal_reportOnly(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		f := &fakeRLS{t: t}
		e := start(t, g, globalCfg("deny"), withRLS(f))
		runGlobal(t, e, f, []globalCase{
			{exchange: exchange{name: "over", req: rlReq("/report", "203.0.113.7:1"), want: 200,
				headers: map[string]string{"ratelimit": "", "ratelimit-policy": "", "retry-after": ""}},
				reply: replyWith(answer(&rlsResp{OverallCode: codeOver}), nil), calls: -1},
			{exchange: exchange{name: "failing", req: rlReq("/report", "203.0.113.7:1"), want: 200},
				reply: replyWith(host.GRPCResponse{Status: 14}, nil), calls: -1},
		})
		for name, want := range map[string]int64{
			"apiguard.reported.global_rate_limited":            1,
			"apiguard.reported.rate_limit_service_unavailable": 1,
			"apiguard.denied.global_rate_limited":              0,
		} {
			if got := metricWant(t, e, name, want); got != want {
				t.Errorf("%s = %d, want %d", name, got, want)
			}
		}
	})
}

// TestGlobal_streamGone: an answer for a stream the client already closed
// is dropped (the stream is not touched), and the VM carries on.
func TestGlobal_streamGone(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		for _, reply := range []func(*rlsv3.RateLimitRequest) (host.GRPCResponse, error){
			nil, replyWith(answer(&rlsResp{OverallCode: codeOver}), nil), replyWith(host.GRPCResponse{Status: 14}, nil),
		} {
			f := &fakeRLS{t: t, reply: reply}
			e := start(t, g, globalCfg("deny"), withRLS(f), manual())
			vm := e.Worker(0)
			s := openGlobal(vm, "/only", "203.0.113.7:1")
			s.Complete() // client gone
			if n := vm.DeliverCallouts(); n != 1 {
				t.Fatalf("delivered %d answers", n)
			}
			if d := s.Downstream(); d.Status != 0 || s.Upstream().Headers != nil {
				t.Errorf("a gone stream was touched: %+v", d)
			}
			for _, l := range e.Logs() {
				if strings.Contains(l.Msg, "panic") || l.Envoy {
					t.Errorf("log: %s", l)
				}
			}
			f.set(nil)
			s = openGlobal(vm, "/only", "203.0.113.7:1")
			vm.DeliverCallouts()
			if d := finish(s); d.Status != 200 {
				t.Errorf("the next request: %d %q", d.Status, d.LocalReply)
			}
		}
	})
}

// TestGlobal_allowWithoutCluster: failure_mode allow with a cluster Envoy
// does not know (the call cannot even start) lets requests through,
// counts every failure and logs once a minute per worker at most.
func TestGlobal_allowWithoutCluster(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, globalCfg("allow"), workers(2)) // no "ratelimit" cluster
		for i := 0; i < 6; i++ {
			x := exchange{name: fmt.Sprint(i), req: rlReq("/only", "203.0.113.7:1"), want: 200,
				headers: map[string]string{"ratelimit-policy": `"only-route";q=5;w=1`, "retry-after": ""}}
			check(t, e, x, roundTrip(e.Worker(i%2), x))
		}
		if n := len(e.LogsContaining("apiguard: rate limit service:")); n != 2 {
			t.Errorf("%d failure lines, want 2 (one per worker in the minute)\n%s", n, logText(e))
		}
		e.Advance(61 * time.Second)
		x := exchange{req: rlReq("/only", "203.0.113.7:1"), want: 200}
		check(t, e, x, roundTrip(e.Worker(0), x))
		if n := len(e.LogsContaining("apiguard: rate limit service:")); n != 3 {
			t.Errorf("%d failure lines after a minute, want 3\n%s", n, logText(e))
		}
		for name, want := range map[string]int64{
			"apiguard.ratelimit_service.failed":              7,
			"apiguard.ratelimit_service.failed_open":         7,
			"apiguard.denied.rate_limit_service_unavailable": 0,
		} {
			if got := metricWant(t, e, name, want); got != want {
				t.Errorf("%s = %d, want %d", name, got, want)
			}
		}
	})
}

// TestGlobal_upstreamRateLimitReplaced: on a route with limits the client
// sees apiguard's RateLimit fields only. When no limit reports a remaining
// count (a global-only route whose service answered without statuses, or
// failed open), upstream's own RateLimit must not stay beside apiguard's
// RateLimit-Policy: it would name a limit the policy does not list.
func TestGlobal_upstreamRateLimitReplaced(t *testing.T) {
	upstream := jsonResp(200, `{}`, "ratelimit", `"up";r=9;t=9`, "ratelimit-policy", `"up";q=10;w=10`)
	each(t, func(t *testing.T, g guest) {
		f := &fakeRLS{t: t}
		e := start(t, g, globalCfg("allow"), withRLS(f))
		runGlobal(t, e, f, []globalCase{
			{exchange: exchange{name: "ok without statuses", req: rlReq("/only", "203.0.113.7:1"), resp: upstream, want: 200,
				headers: map[string]string{"ratelimit-policy": `"only-route";q=5;w=1`, "ratelimit": ""}},
				reply: replyWith(okAnswer(), nil), calls: -1},
			{exchange: exchange{name: "failed open", req: rlReq("/only", "203.0.113.7:1"), resp: upstream, want: 200,
				headers: map[string]string{"ratelimit-policy": `"only-route";q=5;w=1`, "ratelimit": ""}},
				reply: replyWith(host.GRPCResponse{Status: 14}, nil), calls: -1},
			{exchange: exchange{name: "local limit reports", req: rlReq("/fleet", "203.0.113.7:1"), resp: upstream, want: 200,
				headers: map[string]string{"ratelimit-policy": fleetPolicy, "ratelimit": `"fleet-local";r=2;t=20`}},
				reply: replyWith(okAnswer(), nil), calls: -1},
			{exchange: exchange{name: "route without limits keeps upstream's", req: rlReq("/open", "203.0.113.7:1"), resp: upstream, want: 200,
				headers: map[string]string{"ratelimit-policy": `"up";q=10;w=10`, "ratelimit": `"up";r=9;t=9`}}, calls: 0},
		})
	})
}
