package e2e

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	rlsv3 "github.com/envoyproxy/go-control-plane/envoy/service/ratelimit/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/envoy/rlsconfig/rlsgen"
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/rlsproto"
)

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

// TestGlobalRequest: what the service receives. One call per admitted
// request, to ShouldRateLimit on the configured cluster with the
// configured timeout; the descriptor values are hashes that every Envoy
// of the fleet (and both builds of the filter) compute alike, so one
// client is one counter across the fleet, and no address or header value
// is sent as is.
func TestGlobalRequest(t *testing.T) {
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

// TestGlobalHashSecret: rate_limit_service.hash_secret keys the
// descriptor hash. Without it the values are exactly those sent before
// the field existed (pinned: a fleet that does not set it keeps its
// counters); Envoys sharing a secret send the same values, and another
// secret, or none, gives other values. The values with a secret are
// pinned too: changing the seed's encoding would reset every fleet's
// counters. The secret shows in no log line, metric or shared data.
func TestGlobalHashSecret(t *testing.T) {
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

// TestGlobalHashSecretRefused: a malformed hash_secret stops the plugin
// with a configuration error that names the field and never the value.
func TestGlobalHashSecretRefused(t *testing.T) {
	for name, secret := range map[string]string{
		"too short": "Sh0rt-S3cr3t",
		"control":   `Ctl-S3cr3t-Value\nwith-a-newline`, // a JSON escape
		"too long":  strings.Repeat("L0ng-S3cr3t", 100),
	} {
		// The secret goes in as written, JSON escapes included.
		cfg := strings.Replace(withHashSecret(globalCfg("deny"), "PLACEHOLDER"), `"PLACEHOLDER"`, `"`+secret+`"`, 1)
		t.Run(name, func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				_, err := newEnvoy(g, cfg)
				if err == nil {
					t.Fatalf("plugin started with hash_secret %.20q...", secret)
				}
				const want = "apiguard: config: rate_limit_service.hash_secret: must be 16 to 1024 printable ASCII characters"
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
				if strings.Contains(err.Error(), secret[:8]) {
					t.Errorf("error %q shows the secret", err)
				}
			})
		})
	}
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
// only Retry-After (DESIGN.md "Responses").
func failed(name string, r host.Request, reply func(*rlsv3.RateLimitRequest) (host.GRPCResponse, error)) globalCase {
	return globalCase{exchange: exchange{name: name, req: r, want: 429, reason: problem.ReasonRateLimitServiceUnavailable,
		headers: map[string]string{"retry-after": "1", "ratelimit-policy": "", "ratelimit": ""}}, reply: reply, calls: -1}
}

// TestGlobalVerdicts: OK admits (RateLimit then reports whichever limit,
// local or global, has the least remaining); OVER_LIMIT refuses with the
// local limits' 429, its Retry-After and RateLimit taken from the answer;
// anything else is a failure, which failure_mode deny refuses with a bare
// Retry-After.
func TestGlobalVerdicts(t *testing.T) {
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

// TestGlobalLocalFirst: local limits decide first, and a request they
// refuse never reaches the service; one that they admit is asked once,
// even though the pipeline resumes at the same step.
func TestGlobalLocalFirst(t *testing.T) {
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

// openGlobal sends bodyless request headers and leaves the stream open.
func openGlobal(vm *host.VM, path, addr string) *host.Stream {
	s := vm.NewStream(host.StreamProps{SourceAddress: addr})
	s.RequestHeaders(headers(":method", "GET", ":scheme", "https", ":authority", "api.example.com", ":path", path), true)
	return s
}

// TestGlobalFailureModes: an unknown cluster, a call that times out (the
// call's own timeout: the filter sets no timer) and errors are failures;
// deny refuses them with a bare Retry-After, allow lets the request
// through, and both count them and log at most once a minute per worker.
func TestGlobalFailureModes(t *testing.T) {
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

// TestGlobalReportOnly: on an enforce:false route an OVER_LIMIT, and a
// failing service, are counted as reported and the request goes on
// untouched.
func TestGlobalReportOnly(t *testing.T) {
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

// TestGlobalStreamGone: an answer for a stream the client already closed
// is dropped (the stream is not touched), and the VM carries on.
func TestGlobalStreamGone(t *testing.T) {
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

// TestGlobalBodyWhileWaiting: a request body that arrives while the
// service is being asked goes upstream whole once it admits the request,
// with headers held by StopIteration or (Istio, hold_headers: false) by
// Envoy's StopAllIteration.
func TestGlobalBodyWhileWaiting(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		for _, hold := range []bool{true, false} {
			t.Run(fmt.Sprintf("allow_on_headers_stop_iteration=%v", hold), func(t *testing.T) {
				opts := []envoyOpt{withRLS(&fakeRLS{t: t}), manual()}
				if !hold {
					opts = append(opts, noHold())
				}
				bodyWhileWaiting(t, start(t, g, globalCfg("deny"), opts...))
			})
		}
	})
}

func bodyWhileWaiting(t *testing.T, e *host.Envoy) {
	vm := e.Worker(0)
	s := vm.NewStream(host.StreamProps{SourceAddress: "203.0.113.7:1"})
	s.RequestHeaders(headers(":method", "POST", ":scheme", "https", ":authority", "api.example.com", ":path", "/only",
		"content-type", "application/json"), false)
	s.RequestBody([]byte(`{"a":`), false)
	s.RequestBody([]byte(`1}`), true)
	if !waiting(s) {
		t.Fatalf("did not wait: %+v", s.Downstream())
	}
	vm.DeliverCallouts()
	u := s.Upstream()
	if string(u.Body) != `{"a":1}` || !u.EndOfStream {
		t.Fatalf("upstream got %q (end %v)", u.Body, u.EndOfStream)
	}
	if d := finish(s); d.Status != 200 {
		t.Fatalf("status %d", d.Status)
	}
}

// TestGlobalClaimKey: a `claim:` key hashes the verified claim: two API
// keys of one subject are one counter for the service, another subject
// another; a request without a credential is refused (401) before any
// limit, so the service is not asked.
func TestGlobalClaimKey(t *testing.T) {
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

// The real parts: envoyproxy/ratelimit, built from the Go module proxy,
// over a real Redis, reached through a real gRPC call.

// ratelimitVersion is the envoyproxy/ratelimit module version the
// integration test builds (its main package is src/service_cmd).
const ratelimitVersion = "v1.4.1-0.20260122083618-3fb702589d36"

const ratelimitModule = "github.com/envoyproxy/ratelimit"

// ratelimitBinary builds the service once per machine into the user cache
// directory, keyed by version, and returns its path.
func ratelimitBinary(t *testing.T) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "apiguard", "ratelimit-"+ratelimitVersion)
	bin := filepath.Join(dir, "ratelimit")
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() {
		return bin
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("global: cannot create the build cache %s: %v", dir, err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("global: the rate limit service is built with the go command, which is not on PATH: %v", err)
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	env := append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOBIN="+tmp)
	run := func(dir string, args ...string) ([]byte, error) {
		cmd := exec.Command(goTool, args...)
		cmd.Dir, cmd.Env = dir, env
		return cmd.CombinedOutput()
	}
	t.Logf("global: building %s@%s from the Go module proxy (once per machine, into %s)", ratelimitModule, ratelimitVersion, dir)
	out, err := run(tmp, "install", ratelimitModule+"/src/service_cmd@"+ratelimitVersion)
	built := filepath.Join(tmp, "service_cmd")
	if err != nil {
		// `go install pkg@version` refuses modules with replace
		// directives: build inside a throwaway module instead.
		mod := filepath.Join(tmp, "mod")
		steps := [][]string{{"mod", "init", "tmp"}, {"get", ratelimitModule + "@" + ratelimitVersion},
			{"build", "-o", built, ratelimitModule + "/src/service_cmd"}}
		if err2 := os.Mkdir(mod, 0o755); err2 != nil {
			t.Fatal(err2)
		}
		for _, s := range steps {
			o, err2 := run(mod, s...)
			out = append(out, o...)
			if err2 != nil {
				t.Fatalf("global: cannot build envoyproxy/ratelimit %s (go install, then go %s): %v\n%s",
					ratelimitVersion, strings.Join(s, " "), err2, out)
			}
		}
	}
	if err := os.Rename(built, bin); err != nil {
		t.Fatalf("global: %v", err)
	}
	return bin
}

// freePort finds a free loopback TCP port.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// process is a server the test started; Stop ends it (also at cleanup).
type process struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	once sync.Once
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() < 1<<20 {
		s.b.Write(p)
	}
	return len(p), nil
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func startProcess(t *testing.T, name string, env []string, path string, args ...string) *process {
	t.Helper()
	p := &process{name: name, cmd: exec.Command(path, args...), out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("global: cannot start %s: %v", name, err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(p.Stop)
	return p
}

// Stop ends the process: SIGTERM, then SIGKILL if it lingers.
func (p *process) Stop() {
	p.once.Do(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
	})
}

// waitFor polls ready until it succeeds, the process exits, or 30 s pass.
func (p *process) waitFor(t *testing.T, what string, ready func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := ready()
		if err == nil {
			return
		}
		select {
		case <-p.done:
			t.Fatalf("global: %s exited before %s: %v\n%s", p.name, what, p.cmd.ProcessState, p.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("global: %s: no %s after 30s: %v\n%s", p.name, what, err, p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func dialable(addr string) func() error {
	return func() error {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err
	}
}

// withinOneHour runs a fleet-wide check against the real service, whose
// windows are wall-clock hours. A window that resets in the middle of the
// run lets more through, so run is repeated once (it must use a fresh
// client) when it failed across an hour boundary; any other failure, or a
// second one, fails the test with msg.
func withinOneHour(t *testing.T, msg string, run func() bool) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		hour := time.Now().Unix() / 3600
		if run() {
			return
		}
		if attempt > 0 || time.Now().Unix()/3600 == hour {
			t.Fatal(msg)
		}
		t.Logf("an hour boundary passed during the run; repeating it")
	}
}

// startRedis runs redis-server on a free loopback port, without
// persistence; it is stopped at cleanup.
func startRedis(t *testing.T) (*process, string) {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("global: redis-server is not on PATH; `make test` installs it (e2e/test-deps.sh), or run `apt-get install redis-server`; `go test -short` skips this test")
	}
	port := strconv.Itoa(freePort(t))
	p := startProcess(t, "redis-server", []string{"PATH=" + os.Getenv("PATH")}, path,
		"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", t.TempDir(), "--daemonize", "no", "--logfile", "")
	addr := "127.0.0.1:" + port
	p.waitFor(t, "its port", dialable(addr))
	return p, addr
}

// startRateLimit runs the service with serviceYAML as its only
// configuration file, against Redis at redisAddr, and waits until it
// answers a ShouldRateLimit call.
func startRateLimit(t *testing.T, bin, redisAddr, domain string, serviceYAML []byte) (*process, string) {
	t.Helper()
	root := t.TempDir()
	cfgDir := filepath.Join(root, "ratelimit", "config")
	if err := os.MkdirAll(cfgDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfgDir, "apiguard.yaml"), serviceYAML, 0o644); err != nil {
		t.Fatal(err)
	}
	grpcPort, httpPort, debugPort := freePort(t), freePort(t), freePort(t)
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + root,
		"REDIS_SOCKET_TYPE=tcp", "REDIS_URL=" + redisAddr, "REDIS_TIMEOUT=1s",
		"USE_STATSD=false", "LOG_LEVEL=warn",
		"RUNTIME_ROOT=" + root, "RUNTIME_SUBDIRECTORY=ratelimit", "RUNTIME_WATCH_ROOT=false",
		"HOST=127.0.0.1", "GRPC_HOST=127.0.0.1", "DEBUG_HOST=127.0.0.1",
		"GRPC_PORT=" + strconv.Itoa(grpcPort), "PORT=" + strconv.Itoa(httpPort), "DEBUG_PORT=" + strconv.Itoa(debugPort),
	}
	p := startProcess(t, "envoyproxy/ratelimit", env, bin)
	addr := "127.0.0.1:" + strconv.Itoa(grpcPort)
	up, err := host.DialGRPC(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	// A descriptor no rule matches: answered OK without counting.
	probe := rlsproto.AppendHitsAddend(rlsproto.AppendDescriptor(rlsproto.AppendDomain(nil, domain),
		rlsproto.Entry{Key: "apiguard-probe", Value: "x"}), 1)
	p.waitFor(t, "a ShouldRateLimit answer", func() error {
		r, err := up.Call(host.GRPCRequest{Service: "envoy.service.ratelimit.v3.RateLimitService", Method: "ShouldRateLimit",
			Message: probe, Timeout: 2 * time.Second})
		if err == nil && r.Status != 0 {
			err = fmt.Errorf("grpc status %d %q", r.Status, r.StatusMessage)
		}
		return err
	})
	return p, addr
}

// realConfig is the apiguard configuration of the integration test; the
// service's configuration is generated from it.
func realConfig(mode string, timeoutMs int) string {
	return fmt.Sprintf(`{
  "rate_limit_service": {"cluster": "ratelimit", "domain": "apiguard-e2e", "timeout_ms": %d, "failure_mode": %q},
  "routes": [
    {"name": "fleet", "match": {"prefix": "/fleet"},
     "rate_limits": [{"name": "fleet-per-client", "key": "header:x-client-id", "limit": 5, "window": "1h", "global": true}]},
    {"name": "both", "match": {"prefix": "/both"},
     "rate_limits": [{"name": "both-local", "key": "header:x-client-id", "limit": 2, "window": "1h"},
                     {"name": "both-global", "key": "header:x-client-id", "limit": 100, "window": "1h", "global": true}]}
  ]
}`, timeoutMs, mode)
}

// countingUpstream counts the calls that reach the real service.
type countingUpstream struct {
	up *host.GRPCUpstream
	mu sync.Mutex
	n  int
}

func (c *countingUpstream) call(r host.GRPCRequest) (host.GRPCResponse, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return c.up.Call(r)
}

func (c *countingUpstream) count() int { c.mu.Lock(); defer c.mu.Unlock(); return c.n }

// rlsEnvoy is an emulated Envoy whose "ratelimit" cluster is the real
// service, with the calls counted.
type rlsEnvoy struct {
	e *host.Envoy
	c *countingUpstream
}

// TestGlobalRealService runs the whole chain for real: two Envoys (each
// with its own shared data and two workers) whose plugin calls
// envoyproxy/ratelimit over gRPC, configured from the same apiguard
// document by envoy/rlsconfig, counting in one Redis. Across both Envoys
// no more than `limit` requests pass per window; a request the local
// limits refuse never reaches the service; with Redis or the service down,
// failure_mode decides.
func TestGlobalRealService(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the real Redis and rate limit service are not started")
	}
	bin := ratelimitBinary(t)
	redis, redisAddr := startRedis(t)
	cfg, err := config.Parse([]byte(realConfig("deny", 2000)))
	if err != nil {
		t.Fatal(err)
	}
	serviceYAML, err := rlsgen.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// hash_secret changes the descriptor values only: the service's
	// configuration, generated with or without it, is the same, and
	// never shows it.
	const secret = "real-service-secret-0123456789"
	secretCfg, err := config.Parse([]byte(withHashSecret(realConfig("deny", 2000), secret)))
	if err != nil {
		t.Fatal(err)
	}
	if y, err := rlsgen.Generate(secretCfg); err != nil || string(y) != string(serviceYAML) {
		t.Fatalf("with hash_secret rlsgen generates (%v)\n%s\nwithout\n%s", err, y, serviceYAML)
	}
	svc, addr := startRateLimit(t, bin, redisAddr, "apiguard-e2e", serviceYAML)
	up, err := host.DialGRPC(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()

	boot := func(t *testing.T, g guest, mode string, timeoutMs int) rlsEnvoy {
		c := &countingUpstream{up: up}
		e := start(t, g, realConfig(mode, timeoutMs), workers(2), func(cfg *host.Config) {
			cfg.Clusters = map[string]host.Cluster{"ratelimit": {GRPC: c.call}}
		})
		return rlsEnvoy{e, c}
	}
	bootSecret := func(t *testing.T, g guest, secret string) rlsEnvoy {
		c := &countingUpstream{up: up}
		e := start(t, g, withHashSecret(realConfig("deny", 2000), secret), workers(2), func(cfg *host.Config) {
			cfg.Clusters = map[string]host.Cluster{"ratelimit": {GRPC: c.call}}
		})
		return rlsEnvoy{e, c}
	}
	clientID := func(g guest) string {
		var b [6]byte
		rand.Read(b[:])
		return g.name + "-" + hex.EncodeToString(b[:])
	}

	each(t, func(t *testing.T, g guest) {
		t.Run("one fleet-wide limit", func(t *testing.T) {
			withinOneHour(t, "the fleet-wide limit did not hold", func() bool {
				return fleetOnce(t, boot(t, g, "deny", 2000), boot(t, g, "deny", 2000), clientID(g))
			})
		})
		t.Run("one fleet-wide limit with a hash secret", func(t *testing.T) {
			// Two Envoys sharing hash_secret share the counter.
			withinOneHour(t, "the fleet-wide limit did not hold with a hash secret", func() bool {
				return fleetOnce(t, bootSecret(t, g, secret), bootSecret(t, g, secret), clientID(g))
			})
		})
		t.Run("a hash secret is another counter", func(t *testing.T) {
			// One client exhausts its limit through Envoys without a
			// secret; an Envoy with a secret sends another value, which the
			// service counts afresh.
			withinOneHour(t, "the client was not limited without a secret", func() bool {
				client := clientID(g)
				r := rlReq("/fleet", "203.0.113.7:1", "x-client-id", client)
				plain, keyed := boot(t, g, "deny", 2000), bootSecret(t, g, secret)
				for i := 0; i < 6; i++ {
					roundTrip(plain.e.Worker(i%2), exchange{req: r})
				}
				if d := roundTrip(plain.e.Worker(0), exchange{req: r}).Downstream; d.Status != 429 {
					return false
				}
				if d := roundTrip(keyed.e.Worker(0), exchange{req: r}).Downstream; d.Status != 200 ||
					!strings.HasPrefix(d.Header("ratelimit"), `"fleet-per-client";r=4;t=`) {
					t.Errorf("with a secret: %d, RateLimit %q, want 200 and a fresh counter (r=4)", d.Status, d.Header("ratelimit"))
				}
				return true
			})
		})
		t.Run("local limits first", func(t *testing.T) {
			ew := boot(t, g, "deny", 2000)
			r := rlReq("/both", "203.0.113.7:1", "x-client-id", clientID(g))
			for i, want := range []int{200, 200, 429} {
				res := roundTrip(ew.e.Worker(i%2), exchange{req: r})
				if res.Downstream.Status != want {
					t.Fatalf("request %d: %d, want %d (%s)\n%s", i+1, res.Downstream.Status, want, res.Downstream.LocalReply, logText(ew.e))
				}
			}
			if d := ew.c.count(); d != 2 {
				t.Errorf("the service saw %d calls, want 2 (the locally refused request must not reach it)", d)
			}
			if got := metric(t, ew.e, "apiguard.denied.rate_limited"); got != 1 {
				t.Errorf("denied.rate_limited = %d", got)
			}
		})
	})

	// Service down, both modes: first Redis (the service answers errors),
	// then the service itself (unreachable).
	t.Run("down", func(t *testing.T) {
		g := guests(t)[1] // the .wasm
		deny, allow := boot(t, g, "deny", 2000), boot(t, g, "allow", 2000)
		r := rlReq("/fleet", "203.0.113.7:1", "x-client-id", clientID(g))
		expect := func(stage string, ew rlsEnvoy, want int, reason problem.Reason) {
			t.Helper()
			before := ew.c.count()
			res := roundTrip(ew.e.Worker(0), exchange{req: r})
			d := res.Downstream
			if d.Status != want || (reason != "" && d.LocalReply != "apiguard_"+string(reason)) {
				t.Fatalf("%s: %d %q, want %d %s\n%s", stage, d.Status, d.LocalReply, want, reason, logText(ew.e))
			}
			if reason == problem.ReasonRateLimitServiceUnavailable &&
				(d.Header("retry-after") != "1" || d.Header("ratelimit") != "" || d.Header("ratelimit-policy") != "") {
				t.Errorf("%s: headers %v, want only Retry-After", stage, d.Headers)
			}
			if ew.c.count() != before+1 {
				t.Errorf("%s: the service was not asked", stage)
			}
		}
		expect("up, deny", deny, 200, "")
		expect("up, allow", allow, 200, "")
		redis.Stop()
		expect("redis down, deny", deny, 429, problem.ReasonRateLimitServiceUnavailable)
		expect("redis down, allow", allow, 200, "")
		svc.Stop()
		expect("service down, deny", deny, 429, problem.ReasonRateLimitServiceUnavailable)
		expect("service down, allow", allow, 200, "")
		if got := metric(t, allow.e, "apiguard.ratelimit_service.failed_open"); got != 2 {
			t.Errorf("failed_open = %d, want 2", got)
		}
		if got := metric(t, deny.e, "apiguard.denied.rate_limit_service_unavailable"); got != 2 {
			t.Errorf("denied.rate_limit_service_unavailable = %d, want 2", got)
		}
	})
}

// fleetOnce sends twelve requests of one client, alternating over the
// workers of two Envoys; it reports whether exactly the first five passed
// (with RateLimit counting down) and the rest got the global 429. Other
// mismatches fail the test at once.
func fleetOnce(t *testing.T, a, b rlsEnvoy, client string) bool {
	t.Helper()
	vms := []*host.VM{a.e.Worker(0), b.e.Worker(0), a.e.Worker(1), b.e.Worker(1)}
	r := rlReq("/fleet", "203.0.113.7:1", "x-client-id", client)
	passed := 0
	for i := 0; i < 12; i++ {
		res := roundTrip(vms[i%len(vms)], exchange{req: r})
		d := res.Downstream
		switch d.Status {
		case 200:
			passed++
			want := fmt.Sprintf(`"fleet-per-client";r=%d;t=`, 5-passed)
			if !strings.HasPrefix(d.Header("ratelimit"), want) {
				t.Errorf("request %d: RateLimit %q, want %s...", i+1, d.Header("ratelimit"), want)
			}
		case 429:
			if d.LocalReply != "apiguard_"+string(problem.ReasonGlobalRateLimited) {
				t.Fatalf("request %d: refused as %q", i+1, d.LocalReply)
			}
			retry, err := strconv.Atoi(d.Header("retry-after"))
			if err != nil || retry < 1 || retry > 3600 || d.Header("ratelimit") != fmt.Sprintf(`"fleet-per-client";r=0;t=%d`, retry) ||
				d.Header("ratelimit-policy") != `"fleet-per-client";q=5;w=3600` {
				t.Errorf("request %d: 429 headers %v", i+1, d.Headers)
			}
			if res.UpstreamCalled {
				t.Errorf("request %d: refused but reached upstream", i+1)
			}
		default:
			t.Fatalf("request %d: status %d %q\n%s", i+1, d.Status, d.LocalReply, logText(a.e)+logText(b.e))
		}
		if i < 5 && d.Status != 200 {
			return false
		}
	}
	if n := a.c.count() + b.c.count(); n != 12 {
		t.Errorf("the service saw %d calls, want 12", n)
	}
	if passed == 5 {
		if got := metricOrZero(t, a.e, "apiguard.denied.global_rate_limited") + metricOrZero(t, b.e, "apiguard.denied.global_rate_limited"); got != 7 {
			t.Errorf("denied.global_rate_limited = %d over both Envoys, want 7", got)
		}
	}
	return passed == 5
}
