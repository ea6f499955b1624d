package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	rlsv3 "github.com/envoyproxy/go-control-plane/envoy/service/ratelimit/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
)

// Global rate limits (step 11, rate_limit_service) against a fake service
// (fakeRLS): what the service receives, hash secrets, verdicts, local
// limits first, claim keys. global_failure_test.go, global_wait_test.go and
// global_real_test.go hold the rest of the chapter.

// globalConfig exercises global limits: beside a local limit, alone, on a
// report-only route, keyed on a verified claim. %s is the failure_mode.
const globalConfig = `{
  "rate_limit_slots": 1024,
  "rate_limit_service": {"cluster": "ratelimit", "domain": "apiguard-test", "timeout_ms": 200, "failure_mode": %q},
  "providers": {"keys": {"api_keys": {"from": [{"header": "x-api-key"}], "keys": [
    {"id": "alice-1", "sha256": "%s", "claims": {"sub": "alice"}},
    {"id": "alice-2", "sha256": "%s", "claims": {"sub": "alice"}},
    {"id": "bob", "sha256": "%s", "claims": {"sub": "bob"}}]}}},
  "routes": [
    {"name": "fleet", "match": {"prefix": "/fleet"},
     "rate_limits": [{"name": "fleet-local", "key": "ip", "limit": 3, "window": "1m"},
                     {"name": "fleet-ip", "key": "ip", "limit": 10, "window": "1m", "global": true},
                     {"name": "fleet-client", "key": "header:x-client-id", "limit": 100, "window": "1h", "global": true}]},
    {"name": "only", "match": {"prefix": "/only"},
     "rate_limits": [{"name": "only-route", "key": "route", "limit": 5, "window": "1s", "global": true}]},
    {"name": "report", "match": {"prefix": "/report"}, "enforce": false,
     "rate_limits": [{"name": "report-global", "key": "ip", "limit": 1, "window": "1d", "global": true}]},
    {"name": "users", "match": {"prefix": "/users"}, "auth": {"providers": ["keys"]},
     "rate_limits": [{"name": "fleet-user", "key": "claim:sub", "limit": 3, "window": "1m", "global": true}]},
    {"name": "open", "match": {"prefix": "/open"}}
  ]
}`

const fleetPolicy = `"fleet-local";q=3;w=60, "fleet-ip";q=10;w=60, "fleet-client";q=100;w=3600`

func globalCfg(mode string) string {
	h := func(k string) string { s := sha256.Sum256([]byte(k)); return hex.EncodeToString(s[:]) }
	return fmt.Sprintf(globalConfig, mode, h("alice-key-1"), h("alice-key-2"), h("bob-key"))
}

// fakeRLS is an in-process rate limit service for the emulated cases: it
// decodes every call with go-control-plane's generated type (so the
// filter's hand-written encoding is checked on every call) and answers
// with reply.
type fakeRLS struct {
	t     testing.TB
	mu    sync.Mutex
	calls []host.GRPCRequest
	reqs  []*rlsv3.RateLimitRequest
	reply func(*rlsv3.RateLimitRequest) (host.GRPCResponse, error)
}

func (f *fakeRLS) serve(r host.GRPCRequest) (host.GRPCResponse, error) {
	var req rlsv3.RateLimitRequest
	if err := proto.Unmarshal(r.Message, &req); err != nil {
		f.t.Errorf("the filter sent an undecodable RateLimitRequest %x: %v", r.Message, err)
	}
	f.mu.Lock()
	f.calls = append(f.calls, r)
	f.reqs = append(f.reqs, &req)
	reply := f.reply
	f.mu.Unlock()
	if reply == nil {
		return okAnswer(), nil
	}
	return reply(&req)
}

func (f *fakeRLS) count() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.calls) }

func (f *fakeRLS) last() (host.GRPCRequest, *rlsv3.RateLimitRequest) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		f.t.Fatal("the service was not called")
	}
	return f.calls[len(f.calls)-1], f.reqs[len(f.reqs)-1]
}

func (f *fakeRLS) set(reply func(*rlsv3.RateLimitRequest) (host.GRPCResponse, error)) {
	f.mu.Lock()
	f.reply = reply
	f.mu.Unlock()
}

func withRLS(f *fakeRLS) envoyOpt {
	return func(c *host.Config) { c.Clusters = map[string]host.Cluster{"ratelimit": {GRPC: f.serve}} }
}

type (
	rlsResp   = rlsv3.RateLimitResponse
	rlsStatus = rlsv3.RateLimitResponse_DescriptorStatus
)

const (
	codeOK   = rlsv3.RateLimitResponse_OK
	codeOver = rlsv3.RateLimitResponse_OVER_LIMIT
)

func answer(m *rlsResp) host.GRPCResponse {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err)
	}
	return host.GRPCResponse{Message: b}
}

func okAnswer() host.GRPCResponse { return answer(&rlsResp{OverallCode: codeOK}) }

func status(code rlsv3.RateLimitResponse_Code, n uint32, unit rlsv3.RateLimitResponse_RateLimit_Unit, remaining uint32, reset time.Duration) *rlsStatus {
	s := &rlsStatus{Code: code, LimitRemaining: remaining}
	if n > 0 {
		s.CurrentLimit = &rlsv3.RateLimitResponse_RateLimit{RequestsPerUnit: n, Unit: unit}
	}
	if reset >= 0 {
		s.DurationUntilReset = durationpb.New(reset)
	}
	return s
}

func replyWith(r host.GRPCResponse, err error) func(*rlsv3.RateLimitRequest) (host.GRPCResponse, error) {
	return func(*rlsv3.RateLimitRequest) (host.GRPCResponse, error) { return r, err }
}

var hex16 = regexp.MustCompile(`^[0-9a-f]{16}$`)

// descriptorValues checks the request's shape (domain, hits_addend, one
// descriptor of one entry per global limit, in order, with a hashed
// value) and returns the values.
func descriptorValues(t *testing.T, req *rlsv3.RateLimitRequest, names ...string) []string {
	t.Helper()
	if req.Domain != "apiguard-test" || req.HitsAddend != 1 || len(req.Descriptors) != len(names) {
		t.Fatalf("request %v: want domain apiguard-test, hits_addend 1, descriptors %v", req, names)
	}
	var vals []string
	for i, d := range req.Descriptors {
		if len(d.Entries) != 1 || d.Entries[0].Key != names[i] || !hex16.MatchString(d.Entries[0].Value) ||
			d.Limit != nil || d.HitsAddend != nil {
			t.Fatalf("descriptor %d = %v, want one entry %s=<16 hex digits>", i, d, names[i])
		}
		vals = append(vals, d.Entries[0].Value)
	}
	return vals
}

// TestGlobal_request: what the service receives. One call per admitted
// request, to ShouldRateLimit on the configured cluster with the
// configured timeout; the descriptor values are hashes that every Envoy
// of the fleet (and both builds of the filter) compute alike, so one
// client is one counter across the fleet, and no address or header value
// is sent as is.
func TestGlobal_request(t *testing.T) {
	const ipA, ipB = "203.0.113.7:40000", "198.51.100.1:1"
	var first map[string][]string // by request, from the first guest
	each(t, func(t *testing.T, g guest) {
		f1, f2 := &fakeRLS{t: t}, &fakeRLS{t: t}
		e1 := start(t, g, globalCfg("deny"), withRLS(f1), workers(2))
		e2 := start(t, g, globalCfg("deny"), withRLS(f2))
		got := map[string][]string{}
		send := func(name string, e *host.Envoy, f *fakeRLS, vm int, r host.Request) {
			t.Helper()
			res := roundTrip(e.Worker(vm), exchange{req: r})
			if res.Downstream.Status != 200 {
				t.Fatalf("%s: status %d\n%s", name, res.Downstream.Status, logText(e))
			}
			call, req := f.last()
			if call.Cluster != "ratelimit" || call.Service != "envoy.service.ratelimit.v3.RateLimitService" ||
				call.Method != "ShouldRateLimit" || call.Timeout != 200*time.Millisecond || len(call.InitialMetadata) != 0 {
				t.Fatalf("%s: call %+v", name, call)
			}
			got[name] = descriptorValues(t, req, "fleet-ip", "fleet-client")
		}
		send("A a envoy1", e1, f1, 0, rlReq("/fleet", ipA, "x-client-id", "a"))
		send("A a envoy1 other worker", e1, f1, 1, rlReq("/fleet", "203.0.113.7:1", "x-client-id", "a"))
		send("A a envoy2", e2, f2, 0, rlReq("/fleet", ipA, "x-client-id", "a"))
		send("B b envoy2", e2, f2, 0, rlReq("/fleet", ipB, "x-client-id", "b"))
		send("A absent envoy1", e1, f1, 1, rlReq("/fleet", ipA))
		send("B empty envoy2", e2, f2, 0, rlReq("/fleet", ipB, "x-client-id", ""))
		same := func(a, b string, i int) {
			t.Helper()
			if got[a][i] != got[b][i] {
				t.Errorf("descriptor %d differs between %q and %q: %s vs %s", i, a, b, got[a][i], got[b][i])
			}
		}
		differ := func(a, b string, i int) {
			t.Helper()
			if got[a][i] == got[b][i] {
				t.Errorf("descriptor %d is the same for %q and %q", i, a, b)
			}
		}
		for i := 0; i < 2; i++ {
			same("A a envoy1", "A a envoy1 other worker", i)
			same("A a envoy1", "A a envoy2", i)
			differ("A a envoy1", "B b envoy2", i)
		}
		same("A absent envoy1", "B empty envoy2", 1) // one absent value
		differ("A absent envoy1", "A a envoy1", 1)
		if first == nil {
			first = got
		} else {
			for k, v := range got {
				if fmt.Sprint(first[k]) != fmt.Sprint(v) {
					t.Errorf("%s: %s sends %v, the first guest %v", k, g.name, v, first[k])
				}
			}
		}
		// A route without global limits never calls.
		n := f1.count()
		check(t, e1, exchange{req: rlReq("/open", ipA), want: 200}, roundTrip(e1.Worker(0), exchange{req: rlReq("/open", ipA)}))
		if f1.count() != n {
			t.Errorf("a route without global limits called the service")
		}
	})
}

// withHashSecret adds rate_limit_service.hash_secret to a configuration
// made by globalCfg or realConfig.
func withHashSecret(cfg, secret string) string {
	out := regexp.MustCompile(`"failure_mode": "(deny|allow)"}`).ReplaceAllString(cfg, `"failure_mode": "$1", "hash_secret": `+strconv.Quote(secret)+`}`)
	if out == cfg {
		panic("withHashSecret: no rate_limit_service to extend")
	}
	return out
}

// TestGlobal_hashSecret: rate_limit_service.hash_secret keys the
// descriptor hash. Without it the values are exactly those sent before
// the field existed (pinned: a fleet that does not set it keeps its
// counters); Envoys sharing a secret send the same values, and another
// secret, or none, gives other values. The values with a secret are
// pinned too: changing the seed's encoding would reset every fleet's
// counters. The secret shows in no log line, metric or shared data.
func TestGlobal_hashSecret(t *testing.T) {
	const (
		secretA = "fleet-secret-A: 0123456789abcdef"
		secretB = "fleet-secret-B: 0123456789abcdef"
	)
	// Values for client 203.0.113.7 with x-client-id "a" in domain
	// apiguard-test: [fleet-ip, fleet-client].
	pinned := map[string]string{
		"":      "[f2afe893f5850328 8e46bcc5675c272c]", // as sent before hash_secret existed
		secretA: "[925aa9296cc5872e 6ea3e56d52b87579]",
	}
	each(t, func(t *testing.T, g guest) {
		type envoy struct {
			name, secret string
			e            *host.Envoy
			f            *fakeRLS
		}
		var envoys []envoy
		for _, c := range []struct{ name, secret string }{
			{"no secret", ""}, {"secret A, envoy 1", secretA}, {"secret A, envoy 2", secretA}, {"secret B", secretB},
		} {
			cfg := globalCfg("deny")
			if c.secret != "" {
				cfg = withHashSecret(cfg, c.secret)
			}
			f := &fakeRLS{t: t}
			envoys = append(envoys, envoy{c.name, c.secret, start(t, g, cfg, withRLS(f), workers(2)), f})
		}
		// values[envoy][client] are the two descriptor values sent.
		clients := []host.Request{
			rlReq("/fleet", "203.0.113.7:40000", "x-client-id", "a"),
			rlReq("/fleet", "198.51.100.1:1", "x-client-id", "b"),
			rlReq("/fleet", "198.51.100.1:1"), // x-client-id absent
		}
		values := make([][]string, len(envoys))
		for i, ev := range envoys {
			for j, r := range clients {
				res := roundTrip(ev.e.Worker(j%2), exchange{req: r})
				if res.Downstream.Status != 200 {
					t.Fatalf("%s, client %d: status %d\n%s", ev.name, j, res.Downstream.Status, logText(ev.e))
				}
				_, req := ev.f.last()
				values[i] = append(values[i], fmt.Sprint(descriptorValues(t, req, "fleet-ip", "fleet-client")))
			}
		}
		for secret, want := range pinned {
			for i, ev := range envoys {
				if ev.secret == secret && values[i][0] != want {
					t.Errorf("%s: values %s, want %s", ev.name, values[i][0], want)
				}
			}
		}
		for j := range clients {
			if values[1][j] != values[2][j] {
				t.Errorf("client %d: two Envoys with the same secret send %s and %s", j, values[1][j], values[2][j])
			}
			for _, pair := range [][2]int{{0, 1}, {0, 3}, {1, 3}} {
				a, b := pair[0], pair[1]
				va := strings.Fields(strings.Trim(values[a][j], "[]"))
				vb := strings.Fields(strings.Trim(values[b][j], "[]"))
				for k := range va {
					if va[k] == vb[k] {
						t.Errorf("client %d, descriptor %d: %q and %q both send %s", j, k, envoys[a].name, envoys[b].name, va[k])
					}
				}
			}
		}
		// Within one secret, clients still differ.
		if values[1][0] == values[1][1] {
			t.Errorf("secret A: clients a and b send the same values %s", values[1][0])
		}
		for _, ev := range envoys[1:] {
			where := logText(ev.e) + fmt.Sprint(ev.e.Metrics())
			for _, k := range ev.e.SharedDataKeys() {
				v, _, _ := ev.e.SharedData(k)
				where += k + string(v)
			}
			if strings.Contains(where, ev.secret) || strings.Contains(where, ev.secret[:14]) {
				t.Errorf("%s: the secret shows in the logs, metrics or shared data", ev.name)
			}
			if len(ev.e.LogsContaining("): configured ")) == 0 {
				t.Errorf("%s: no configured line\n%s", ev.name, logText(ev.e))
			}
		}
	})
}

// globalCase is one request with the service's answer to it.
type globalCase struct {
	exchange
	reply func(*rlsv3.RateLimitRequest) (host.GRPCResponse, error)
	// calls is how many calls the service must have seen after it (-1:
	// one more than before).
	calls int
}

func runGlobal(t *testing.T, e *host.Envoy, f *fakeRLS, cases []globalCase) {
	t.Helper()
	for i, c := range cases {
		ok := t.Run(fmt.Sprintf("%02d %s", i, c.name), func(t *testing.T) {
			before := f.count()
			f.set(c.reply)
			check(t, e, c.exchange, roundTrip(e.Worker(i%len(e.Workers())), c.exchange))
			want := before + 1
			if c.calls >= 0 {
				want = before + c.calls
			}
			if got := f.count(); got != want {
				t.Errorf("the service saw %d calls, want %d", got-before, want-before)
			}
		})
		if !ok {
			t.FailNow()
		}
	}
}

// failed is a refusal because the service could not decide: 429 with
// only Retry-After (docs/responses.md "Responses").
func failed(name string, r host.Request, reply func(*rlsv3.RateLimitRequest) (host.GRPCResponse, error)) globalCase {
	return globalCase{exchange: exchange{name: name, req: r, want: 429, reason: problem.ReasonRateLimitServiceUnavailable,
		headers: map[string]string{"retry-after": "1", "ratelimit-policy": "", "ratelimit": ""}}, reply: reply, calls: -1}
}

// TestGlobal_verdicts: OK admits (RateLimit then reports whichever limit,
// local or global, has the least remaining); OVER_LIMIT refuses with the
// local limits' 429, its Retry-After and RateLimit taken from the answer;
// anything else is a failure, which failure_mode deny refuses with a bare
// Retry-After.
func TestGlobal_verdicts(t *testing.T) {
	min, hour, sec := rlsv3.RateLimitResponse_RateLimit_MINUTE, rlsv3.RateLimitResponse_RateLimit_HOUR, rlsv3.RateLimitResponse_RateLimit_SECOND
	// The emulator's clock starts on a whole minute: a window aligned on
	// the epoch resets in a full window.
	req := func(n int) host.Request {
		return rlReq("/fleet", fmt.Sprintf("192.0.2.%d:1", n), "x-client-id", "c")
	}
	ok := func(statuses ...*rlsStatus) func(*rlsv3.RateLimitRequest) (host.GRPCResponse, error) {
		return replyWith(answer(&rlsResp{OverallCode: codeOK, Statuses: statuses}), nil)
	}
	over := func(statuses ...*rlsStatus) func(*rlsv3.RateLimitRequest) (host.GRPCResponse, error) {
		return replyWith(answer(&rlsResp{OverallCode: codeOver, Statuses: statuses}), nil)
	}
	admitted := func(name string, r host.Request, rateLimit, policy string, reply func(*rlsv3.RateLimitRequest) (host.GRPCResponse, error)) globalCase {
		return globalCase{exchange: exchange{name: name, req: r, want: 200,
			headers: map[string]string{"ratelimit-policy": policy, "ratelimit": rateLimit, "retry-after": ""}}, reply: reply, calls: -1}
	}
	refused := func(name string, r host.Request, rateLimit, retry string, reply func(*rlsv3.RateLimitRequest) (host.GRPCResponse, error)) globalCase {
		return globalCase{exchange: exchange{name: name, req: r, want: 429, reason: problem.ReasonGlobalRateLimited,
			headers: map[string]string{"ratelimit-policy": fleetPolicy, "ratelimit": rateLimit, "retry-after": retry}}, reply: reply, calls: -1}
	}
	big := answer(&rlsResp{OverallCode: codeOK, RawBody: make([]byte, 70<<10)})
	each(t, func(t *testing.T, g guest) {
		f := &fakeRLS{t: t}
		e := start(t, g, globalCfg("deny"), withRLS(f), workers(2))
		runGlobal(t, e, f, []globalCase{
			admitted("ok, a global limit has the least remaining", req(1), `"fleet-ip";r=1;t=30`, fleetPolicy,
				ok(status(codeOK, 10, min, 1, 30*time.Second), status(codeOK, 100, hour, 99, 1000*time.Second))),
			admitted("ok, the local limit has the least remaining", req(2), `"fleet-local";r=2;t=20`, fleetPolicy,
				ok(status(codeOK, 10, min, 9, 30*time.Second), status(codeOK, 100, hour, 99, 1000*time.Second))),
			admitted("ok without statuses", req(3), `"fleet-local";r=2;t=20`, fleetPolicy, ok()),
			admitted("ok, a descriptor the service does not know is ignored", req(4), `"fleet-local";r=2;t=20`, fleetPolicy,
				ok(status(codeOK, 0, 0, 0, -1), status(codeOK, 0, 0, 0, -1))),
			admitted("ok, remaining without a reset: until the window's end", req(5), `"fleet-ip";r=0;t=60`, fleetPolicy,
				ok(status(codeOK, 10, min, 0, -1))),
			admitted("ok, the service's quota is the one shown", req(6), `"fleet-ip";r=1;t=10`,
				`"fleet-local";q=3;w=60, "fleet-ip";q=20;w=60, "fleet-client";q=100;w=7200`,
				ok(status(codeOK, 20, min, 1, 10*time.Second), &rlsStatus{Code: codeOK, LimitRemaining: 50,
					CurrentLimit: &rlsv3.RateLimitResponse_RateLimit{RequestsPerUnit: 100, Unit: hour, UnitMultiplier: wrapU32(2)}})),

			refused("over, the second descriptor", req(7), `"fleet-client";r=0;t=1235`, "1235",
				over(status(codeOK, 10, min, 3, 30*time.Second), status(codeOver, 100, hour, 0, 1234*time.Second+200*time.Millisecond))),
			refused("over, the first of two", req(8), `"fleet-ip";r=0;t=7`, "7",
				over(status(codeOver, 10, min, 0, 7*time.Second), status(codeOver, 100, hour, 0, 99*time.Second))),
			refused("over, a reset under a second", req(9), `"fleet-ip";r=0;t=1`, "1",
				over(status(codeOver, 10, min, 0, time.Millisecond))),
			refused("over, no reset: until the window's end", req(10), `"fleet-client";r=0;t=3600`, "3600",
				over(status(codeOK, 10, min, 3, -1), status(codeOver, 100, hour, 0, -1))),
			refused("over without statuses: the first global limit", req(11), `"fleet-ip";r=0;t=60`, "60", over()),
			{exchange: exchange{name: "over with another quota", req: req(12), want: 429, reason: problem.ReasonGlobalRateLimited,
				headers: map[string]string{"ratelimit-policy": `"fleet-local";q=3;w=60, "fleet-ip";q=5;w=1, "fleet-client";q=100;w=3600`,
					"ratelimit": `"fleet-ip";r=0;t=1`, "retry-after": "1"}},
				reply: over(status(codeOver, 5, sec, 0, 0)), calls: -1},

			failed("grpc unavailable", req(13), replyWith(host.GRPCResponse{Status: 14, StatusMessage: "no healthy upstream"}, nil)),
			failed("grpc internal", req(14), replyWith(host.GRPCResponse{Status: 13, StatusMessage: "redis down"}, nil)),
			failed("cluster error", req(15), replyWith(host.GRPCResponse{}, fmt.Errorf("connection refused"))),
			failed("malformed answer", req(16), replyWith(host.GRPCResponse{Message: []byte{0x12, 0x05, 0x08}}, nil)),
			failed("overall code UNKNOWN", req(17), replyWith(answer(&rlsResp{Statuses: []*rlsStatus{status(codeOK, 10, min, 3, time.Second)}}), nil)),
			failed("overall code out of range", req(18), replyWith(host.GRPCResponse{Message: []byte{0x08, 0x07}}, nil)),
			failed("answer over 64 KiB", req(19), replyWith(big, nil)),
		})
		for name, want := range map[string]int64{
			"apiguard.denied.global_rate_limited":            6,
			"apiguard.rate_limited.fleet-client":             2,
			"apiguard.rate_limited.fleet-ip":                 4,
			"apiguard.denied.rate_limit_service_unavailable": 7,
			"apiguard.ratelimit_service.failed":              7,
			"apiguard.ratelimit_service.failed_open":         0,
			"apiguard.allowed":                               6,
		} {
			if got := metricWant(t, e, name, want); got != want {
				t.Errorf("%s = %d, want %d", name, got, want)
			}
		}
		// One line per failure, at most one a minute per worker.
		if n := len(e.LogsContaining("apiguard: rate limit service:")); n != 2 {
			t.Errorf("%d service failure lines, want 2 (one per worker)\n%s", n, logText(e))
		}
		for _, l := range e.LogsContaining("grpc status 14") {
			if !strings.Contains(l.Msg, `"no healthy upstream"`) || !strings.Contains(l.Msg, "failure_mode deny") {
				t.Errorf("failure line %q", l.Msg)
			}
		}
	})
}

// TestGlobal_localFirst: local limits decide first, and a request they
// refuse never reaches the service; one that they admit is asked once,
// even though the pipeline resumes at the same step.
func TestGlobal_localFirst(t *testing.T) {
	r := rlReq("/fleet", "203.0.113.9:1", "x-client-id", "c")
	each(t, func(t *testing.T, g guest) {
		f := &fakeRLS{t: t}
		e := start(t, g, globalCfg("deny"), withRLS(f), workers(2))
		runGlobal(t, e, f, []globalCase{
			{exchange: exchange{name: "1", req: r, want: 200, headers: map[string]string{"ratelimit": `"fleet-local";r=2;t=20`}}, calls: 1},
			{exchange: exchange{name: "2", req: r, want: 200, headers: map[string]string{"ratelimit": `"fleet-local";r=1;t=40`}}, calls: 1},
			{exchange: exchange{name: "3", req: r, want: 200, headers: map[string]string{"ratelimit": `"fleet-local";r=0;t=60`}}, calls: 1},
			{exchange: exchange{name: "4: refused locally", req: r, want: 429, reason: problem.ReasonRateLimited,
				headers: map[string]string{"ratelimit": `"fleet-local";r=0;t=20`, "ratelimit-policy": fleetPolicy}}, calls: 0},
			// Refused by the service: the local token was taken (local
			// limits admitted it), as for several local limits.
			{exchange: exchange{name: "other client, refused by the service", req: rlReq("/fleet", "203.0.113.10:1"), want: 429,
				reason: problem.ReasonGlobalRateLimited}, reply: replyWith(answer(&rlsResp{OverallCode: codeOver}), nil), calls: 1},
			{exchange: exchange{name: "its next request", req: rlReq("/fleet", "203.0.113.10:1"), want: 200,
				headers: map[string]string{"ratelimit": `"fleet-local";r=1;t=40`}}, calls: 1},
		})
		if got := metric(t, e, "apiguard.denied.rate_limited"); got != 1 {
			t.Errorf("denied.rate_limited = %d, want 1", got)
		}
	})
}

func wrapU32(v uint32) *wrapperspb.UInt32Value { return wrapperspb.UInt32(v) }

// TestGlobal_claimKey: a `claim:` key hashes the verified claim: two API
// keys of one subject are one counter for the service, another subject
// another; a request without a credential is refused (401) before any
// limit, so the service is not asked.
func TestGlobal_claimKey(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		f := &fakeRLS{t: t}
		e := start(t, g, globalCfg("deny"), withRLS(f))
		vals := map[string]string{}
		for _, k := range []string{"alice-key-1", "alice-key-2", "bob-key"} {
			runGlobal(t, e, f, []globalCase{{exchange: exchange{name: k, req: rlReq("/users", "203.0.113.7:1", "x-api-key", k), want: 200}, calls: -1}})
			_, req := f.last()
			vals[k] = descriptorValues(t, req, "fleet-user")[0]
		}
		if vals["alice-key-1"] != vals["alice-key-2"] || vals["alice-key-1"] == vals["bob-key"] {
			t.Errorf("claim values %v", vals)
		}
		runGlobal(t, e, f, []globalCase{{exchange: exchange{name: "no credential", req: rlReq("/users", "203.0.113.7:1"), want: 401,
			reason: problem.ReasonCredentialMissing}, calls: 0}})
	})
}

// TestGlobal_serviceQuotaFirstItem: the service's quota replaces exactly
// the item of a global limit that comes first in RateLimit-Policy (a
// route's only limit here), and a quota equal to the configuration leaves
// the item as configured.
func TestGlobal_serviceQuotaFirstItem(t *testing.T) {
	min, sec := rlsv3.RateLimitResponse_RateLimit_MINUTE, rlsv3.RateLimitResponse_RateLimit_SECOND
	ok := func(s *rlsStatus) func(*rlsv3.RateLimitRequest) (host.GRPCResponse, error) {
		return replyWith(answer(&rlsResp{OverallCode: codeOK, Statuses: []*rlsStatus{s}}), nil)
	}
	admitted := func(name, policy string, reply func(*rlsv3.RateLimitRequest) (host.GRPCResponse, error)) globalCase {
		return globalCase{exchange: exchange{name: name, req: rlReq("/only", "192.0.2.9:1"), want: 200,
			headers: map[string]string{"ratelimit-policy": policy}}, reply: reply, calls: -1}
	}
	each(t, func(t *testing.T, g guest) {
		f := &fakeRLS{t: t}
		e := start(t, g, globalCfg("deny"), withRLS(f))
		runGlobal(t, e, f, []globalCase{
			admitted("another quota", `"only-route";q=7;w=60`, ok(status(codeOK, 7, min, 3, 10*time.Second))),
			admitted("the configured quota", `"only-route";q=5;w=1`, ok(status(codeOK, 5, sec, 3, 0))),
		})
	})
}
