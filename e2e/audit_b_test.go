package e2e

// Audit B: behaviours of issues 4-7 that the feature suites covered only
// indirectly. Each test pins one sentence of DESIGN.md, natively and
// through the module.

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// actionLog records what the guest answered to every body callback.
type actionLog struct {
	mu        sync.Mutex
	req, resp []proxy.Action
}

func (l *actionLog) reset() {
	l.mu.Lock()
	l.req, l.resp = nil, nil
	l.mu.Unlock()
}

func (l *actionLog) snapshot() (req, resp []proxy.Action) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]proxy.Action(nil), l.req...), append([]proxy.Action(nil), l.resp...)
}

// recordingHandler passes every call to the guest and records the actions
// of its body callbacks.
type recordingHandler struct {
	proxy.Handler
	log *actionLog
}

func (h recordingHandler) OnRequestBody(id uint32, size int, eos bool) proxy.Action {
	a := h.Handler.OnRequestBody(id, size, eos)
	h.log.mu.Lock()
	h.log.req = append(h.log.req, a)
	h.log.mu.Unlock()
	return a
}

func (h recordingHandler) OnResponseBody(id uint32, size int, eos bool) proxy.Action {
	a := h.Handler.OnResponseBody(id, size, eos)
	h.log.mu.Lock()
	h.log.resp = append(h.log.resp, a)
	h.log.mu.Unlock()
	return a
}

// recorded wraps a guest (native, or the module through wazero) so that
// its body actions are recorded.
func recorded(g guest, l *actionLog) guest {
	f := g.factory
	g.factory = func(h proxy.Host) (proxy.Handler, error) {
		inner, err := f(h)
		if err != nil {
			return nil, err
		}
		return recordingHandler{Handler: inner, log: l}, nil
	}
	return g
}

// auditNoBufferConfig: routes whose request body is never read (no
// checks, response rules only, auth, local rate limit, cap only) and one
// that reads it.
const auditNoBufferConfig = `{
  "hold_headers": %v,
  "providers": {"keys": {"api_keys": {"from": [{"header": "x-api-key"}],
    "keys": [{"id": "k1", "sha256": "6f05445cd02d50952714c41e70450ceb77a4fd30cf93e13b914417c86e0d0ec4"}]}}},
  "routes": [
    {"name": "open", "match": {"prefix": "/open"}},
    {"name": "resp", "match": {"prefix": "/resp"}, "response": {"redact": {"keys": ["password"]}}},
    {"name": "auth", "match": {"prefix": "/auth"}, "auth": {"providers": ["keys"], "allow_missing": true}},
    {"name": "limited", "match": {"prefix": "/limited"},
     "rate_limits": [{"name": "lim", "key": "ip", "limit": 100, "window": "1m"}]},
    {"name": "capped", "match": {"prefix": "/capped"}, "request": {"max_body_bytes": 100,
     "forbid_query_params": ["access_token"]}},
    {"name": "json", "match": {"prefix": "/json"}, "request": {"json": {}}}
  ]
}`

// TestAuditBRequestBodyNeverBuffered: DESIGN.md "Routes without body
// checks never buffer", and a route that only caps streams: every request
// body callback answers Continue (never StopIterationAndBuffer), and each
// chunk reaches upstream before the next is sent, in both hold modes. A
// route without response rules never buffers a response either.
func TestAuditBRequestBodyNeverBuffered(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		for _, m := range holdModes {
			t.Run(m.name, func(t *testing.T) {
				var log actionLog
				e := start(t, recorded(g, &log), fmt.Sprintf(auditNoBufferConfig, m.hold), m.opts...)
				for _, path := range []string{"/open", "/resp", "/auth", "/limited", "/capped"} {
					t.Run(path, func(t *testing.T) {
						log.reset()
						s := e.Worker(0).NewStream(host.StreamProps{SourceAddress: "203.0.113.7:1"})
						s.RequestHeaders(headers(":method", "POST", ":scheme", "http", ":authority", "api", ":path", path,
							"content-type", "application/json"), false)
						for i, chunk := range []string{`{"a":`, `[1,2,`, `3]}`} {
							s.RequestBody([]byte(chunk), i == 2)
							want := strings.Join([]string{`{"a":`, `[1,2,`, `3]}`}[:i+1], "")
							if up := s.Upstream(); up.Headers == nil || string(up.Body) != want {
								t.Fatalf("after chunk %d upstream has headers=%v body %q, want %q (held)", i, up.Headers != nil, up.Body, want)
							}
						}
						s.ResponseHeaders(headers(":status", "200", "content-type", "text/plain"), false)
						s.ResponseBody([]byte("first"), false)
						if d := s.Downstream(); path != "/resp" && string(d.Body) != "first" {
							t.Errorf("the response was held on a route without response rules: %q", d.Body)
						}
						s.ResponseBody([]byte(" last"), true)
						s.Complete()
						req, resp := log.snapshot()
						if len(req) != 3 {
							t.Errorf("%d request body callbacks, want 3", len(req))
						}
						for i, a := range req {
							if a != proxy.Continue {
								t.Errorf("request body callback %d answered %v, want Continue", i, a)
							}
						}
						if path != "/resp" {
							for i, a := range resp {
								if a != proxy.Continue {
									t.Errorf("response body callback %d answered %v, want Continue", i, a)
								}
							}
						}
					})
				}
				// The control: a route that reads the body does buffer it, so
				// the recording above would have seen it.
				log.reset()
				roundTrip(e.Worker(0), exchange{req: host.Request{Method: "POST", Path: "/json", Body: []byte(`{"a":1}`), ChunkSize: 2}})
				if req, _ := log.snapshot(); len(req) == 0 || req[0] != proxy.StopIterationAndBuffer {
					t.Errorf("json route body actions %v: the recording does not see buffering", req)
				}
			})
		}
	})
}

// TestAuditBQueryValuesNeverLogged: forbid_query_params and the `_method`
// refusal never put a value (or the query) into a log line, the audit
// line included, on enforcing and report-only routes alike.
func TestAuditBQueryValuesNeverLogged(t *testing.T) {
	const cfg = `{"audit_log": true, "routes": [
	  {"name": "enf", "match": {"prefix": "/enf"}, "request": {"forbid_query_params": ["access_token"]}},
	  {"name": "rep", "match": {"prefix": "/rep"}, "enforce": false, "request": {"forbid_query_params": ["access_token"]}}]}`
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, cfg)
		runTable(t, e, []exchange{
			{name: "enforced", req: host.Request{Path: "/enf?Access.Token=SECRET-VALUE-1", Headers: headers("x-request-id", "r1")},
				want: 400, reason: problem.ReasonForbiddenQueryParam},
			{name: "reported", req: host.Request{Path: "/rep?x=1&access_token=SECRET-VALUE-2"}, want: 200},
			{name: "method override", req: host.Request{Path: "/enf?_method=SECRET-VALUE-3"}, want: 400, reason: problem.ReasonMethodOverride},
		})
		if n := len(e.LogsContaining(`"route":"enf"`)) + len(e.LogsContaining("route=enf")); n == 0 {
			t.Fatalf("no log line names the route: the check below would prove nothing\n%s", logText(e))
		}
		for _, l := range e.Logs() {
			if strings.Contains(l.Msg, "SECRET-VALUE") || strings.Contains(l.Msg, "access_token") || strings.Contains(l.Msg, "Access.Token") {
				t.Errorf("a query parameter reached the log: %s", l.Msg)
			}
		}
		for name := range e.Metrics() {
			if strings.Contains(name, "SECRET") {
				t.Errorf("a query value reached a metric name: %s", name)
			}
		}
	})
}

// TestAuditBFailedAuthKeysPrefixed: the failed-auth counters live under
// the plugin's name like the rate-limit buckets (Istio shares one
// shared-data namespace between plugins).
func TestAuditBFailedAuthKeysPrefixed(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, rlAuthFlowConfig(), workers(2), func(c *host.Config) { c.PluginName = "edge-guard" })
		for i := 0; i < 4; i++ {
			roundTrip(e.Worker(i%2), exchange{req: rlReq("/key", "203.0.113.7:1", "x-api-key", "wrong-secret-key")})
			roundTrip(e.Worker(i%2), exchange{req: rlReq("/jwt", "198.51.100.1:1")})
		}
		if got := metric(t, e, "apiguard.failed_auth.counted"); got == 0 {
			t.Fatalf("no failure was counted: the keys below prove nothing")
		}
		keys := e.SharedDataKeys()
		if len(keys) == 0 {
			t.Fatal("no shared data written")
		}
		for _, k := range keys {
			if !strings.HasPrefix(k, "edge-guard/") {
				t.Errorf("shared-data key %q is not under the plugin's name", k)
			}
			v, _, _ := e.SharedData(k)
			if strings.Contains(k+string(v), "wrong-secret-key") || strings.Contains(k+string(v), "203.0.113.7") {
				t.Errorf("a key value is stored in clear under %q", k)
			}
		}
	})
}

// TestAuditBGlobalAllowNoCluster: failure_mode allow with a cluster Envoy
// does not know (the call cannot even start) lets requests through,
// counts every failure and logs once a minute per worker at most.
func TestAuditBGlobalAllowNoCluster(t *testing.T) {
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

// TestAuditBResponseEveryStatus: "Responses of every status are
// inspected": 2xx, 3xx and 4xx bodies are redacted or refused like a 200.
func TestAuditBResponseEveryStatus(t *testing.T) {
	for _, hold := range []bool{true, false} {
		t.Run(map[bool]string{true: "hold", false: "no-hold"}[hold], func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				e := respEnvoy(t, g, hold, "")
				var cases []respCase
				for _, st := range []int{200, 201, 203, 301, 302, 304, 400, 401, 403, 404, 409, 422, 429} {
					cases = append(cases,
						respCase{name: fmt.Sprint(st, " redacted"), path: "/masked", resp: jsonResp(st, `{"token":"tok-SECRET","ok":1}`),
							want: st, body: `{"token":"[redacted]","ok":1}`},
						respCase{name: fmt.Sprint(st, " not JSON refused"), path: "/masked", resp: &host.Response{Status: st,
							Headers: headers("content-type", "text/html"), Body: []byte("<p>tok-SECRET</p>")}, want: 502, reason: problem.ReasonResponseNotJSON},
					)
				}
				runResp(t, e, hold, cases)
				for _, l := range e.Logs() {
					if strings.Contains(l.String(), "tok-SECRET") {
						t.Errorf("a redacted value reached the log: %s", l)
					}
				}
				for name := range e.Metrics() {
					if strings.Contains(name, "SECRET") {
						t.Errorf("a redacted value reached a metric name: %s", name)
					}
				}
			})
		})
	}
}

// TestAuditBUpstreamRateLimitReplaced: on a route with limits the client
// sees apiguard's RateLimit fields only. When no limit reports a remaining
// count (a global-only route whose service answered without statuses, or
// failed open), upstream's own RateLimit must not stay beside apiguard's
// RateLimit-Policy: it would name a limit the policy does not list.
func TestAuditBUpstreamRateLimitReplaced(t *testing.T) {
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

// TestAuditBHeadersSetAfterGlobalWait: a request that waited for the rate
// limit service still gets its request edits (Range, If-Range removed,
// Accept-Encoding: identity on a route with response rules) before the
// stream continues, and its response is inspected.
func TestAuditBHeadersSetAfterGlobalWait(t *testing.T) {
	const cfg = `{"rate_limit_service": {"cluster": "ratelimit", "domain": "apiguard-test"},
	  "routes": [{"name": "g", "match": {"prefix": "/g"},
	    "response": {"redact": {"keys": ["password"]}},
	    "rate_limits": [{"name": "g-ip", "key": "ip", "limit": 5, "window": "1m", "global": true}]}]}`
	each(t, func(t *testing.T, g guest) {
		for _, m := range holdModes {
			t.Run(m.name, func(t *testing.T) {
				f := &fakeRLS{t: t}
				e := start(t, g, strings.Replace(cfg, "{", fmt.Sprintf(`{"hold_headers": %v, `, m.hold), 1), append(m.opts, withRLS(f))...)
				x := exchange{req: rlReq("/g", "203.0.113.7:1", "range", "bytes=0-9", "if-range", `"e"`, "accept-encoding", "gzip"),
					resp: jsonResp(200, `{"password":"pw-SECRET","a":1}`), want: 200, body: strp(`{"a":1}`),
					upHeaders: map[string]string{"range": "", "if-range": "", "accept-encoding": "identity"},
					headers:   map[string]string{"ratelimit-policy": `"g-ip";q=5;w=60`}}
				check(t, e, x, roundTrip(e.Worker(0), x))
				if f.count() != 1 {
					t.Errorf("the service saw %d calls, want 1", f.count())
				}
			})
		}
	})
}

// auditWaitConfig puts body checks behind a global limit, so the body
// arrives while step 11 waits for the rate limit service.
const auditWaitConfig = `{"hold_headers": %v,
  "rate_limit_service": {"cluster": "ratelimit", "domain": "apiguard-test"},
  "routes": [
    {"name": "wj", "match": {"prefix": "/wj"}, "request": {"max_body_bytes": 32, "json": {"max_depth": 3}},
     "rate_limits": [{"name": "wj-g", "key": "route", "limit": 9, "window": "1m", "global": true}]},
    {"name": "wc", "match": {"prefix": "/wc"}, "request": {"max_body_bytes": 32},
     "rate_limits": [{"name": "wc-g", "key": "route", "limit": 9, "window": "1m", "global": true}]},
    {"name": "wp", "match": {"prefix": "/wp"},
     "rate_limits": [{"name": "wp-g", "key": "route", "limit": 9, "window": "1m", "global": true}]},
    {"name": "wr", "match": {"prefix": "/wr"}, "enforce": false, "request": {"json": {}},
     "rate_limits": [{"name": "wr-g", "key": "route", "limit": 9, "window": "1m", "global": true}]}]}`

// TestAuditBBodyWhileWaiting: body chunks (and trailers) that arrive while
// a header step waits on a callout are judged once the headers pass, in
// the order of checks: a 429 from the service wins over a body refusal,
// the cap and the JSON checks apply to what came early and what comes
// after, and nothing of a refused body reaches upstream.
func TestAuditBBodyWhileWaiting(t *testing.T) {
	type tc struct {
		name         string
		path         string
		early, later []string // chunks before and after the service answers
		trailers     string   // "", "early" or "later"
		over         bool     // the service answers OVER_LIMIT
		want         int
		reason       problem.Reason
	}
	pad := strings.Repeat(" ", 40)
	cases := []tc{
		{"json whole early", "/wj", []string{`{"a":`, `[1]}`}, nil, "", false, 200, ""},
		{"json whole early with trailers", "/wj", []string{`{"a":[1]}`}, nil, "early", false, 200, ""},
		{"json invalid early", "/wj", []string{`{"a":`, `[1],}`}, nil, "", false, 400, problem.ReasonJSONSyntax},
		{"json too deep early, trailers", "/wj", []string{`[[[[1]]]]`}, nil, "early", false, 400, problem.ReasonJSONDepth},
		{"json over the cap early", "/wj", []string{`{"a":"`, pad, `"}`}, nil, "", false, 413, problem.ReasonBodyTooLarge},
		{"json part early, rest later", "/wj", []string{`{"a":`}, []string{`[1,`, `2]}`}, "", false, 200, ""},
		{"json part early, invalid rest", "/wj", []string{`{"a":`}, []string{`[1,`, `2,]}`}, "", false, 400, problem.ReasonJSONSyntax},
		{"json part early, over the cap later", "/wj", []string{`{"a":"`}, []string{pad, `"}`}, "", false, 413, problem.ReasonBodyTooLarge},
		{"json over the cap, but over the limit first", "/wj", []string{`{"a":"`, pad, `"}`}, nil, "", true, 429, problem.ReasonGlobalRateLimited},
		{"json invalid, but over the limit first", "/wj", []string{`nope`}, nil, "", true, 429, problem.ReasonGlobalRateLimited},
		{"capped whole early", "/wc", []string{"abc", "def"}, nil, "", false, 200, ""},
		{"capped over early", "/wc", []string{"abc", pad}, nil, "", false, 413, problem.ReasonBodyTooLarge},
		{"capped part early, over later", "/wc", []string{"abc"}, []string{pad}, "", false, 413, problem.ReasonBodyTooLarge},
		{"capped part early, rest later", "/wc", []string{"abc"}, []string{"def", "ghi"}, "", false, 200, ""},
		{"capped part early, last chunk later", "/wc", []string{"abc"}, []string{"def"}, "", false, 200, ""},
		{"capped part early, trailers later", "/wc", []string{"abc"}, nil, "later", false, 200, ""},
		{"unchecked part early, rest later", "/wp", []string{"abc"}, []string{"def", "ghi"}, "", false, 200, ""},
		{"unchecked part early, last chunk later", "/wp", []string{"abc"}, []string{"def"}, "", false, 200, ""},
		{"unchecked, much early", "/wp", []string{pad, pad}, []string{pad}, "", false, 200, ""},
		{"report-only json over the limit, part early, rest later", "/wr", []string{`{"a":`}, []string{`1,`, `}`}, "", true, 200, ""},
	}
	each(t, func(t *testing.T, g guest) {
		for _, m := range holdModes {
			t.Run(m.name, func(t *testing.T) {
				f := &fakeRLS{t: t}
				e := start(t, g, fmt.Sprintf(auditWaitConfig, m.hold), append(m.opts, withRLS(f), manual())...)
				vm := e.Worker(0)
				for _, c := range cases {
					t.Run(c.name, func(t *testing.T) {
						f.set(replyWith(okAnswer(), nil))
						if c.over {
							f.set(replyWith(answer(&rlsResp{OverallCode: codeOver}), nil))
						}
						s := vm.NewStream(host.StreamProps{SourceAddress: "203.0.113.7:1"})
						s.RequestHeaders(headers(":method", "POST", ":scheme", "https", ":authority", "api.example.com", ":path", c.path,
							"content-type", "application/json"), false)
						all := strings.Join(append(append([]string(nil), c.early...), c.later...), "")
						last := func(i, n int, later bool) bool {
							return c.trailers == "" && i == n-1 && (later || len(c.later) == 0)
						}
						for i, ch := range c.early {
							s.RequestBody([]byte(ch), last(i, len(c.early), false))
						}
						if c.trailers == "early" {
							s.RequestTrailers(headers("x-t", "1"))
						}
						if !waiting(s) {
							t.Fatalf("did not wait for the service: %+v", s.Downstream())
						}
						if n := vm.DeliverCallouts(); n != 1 {
							t.Fatalf("%d callouts delivered, want 1", n)
						}
						for i, ch := range c.later {
							if s.Downstream().Status != 0 {
								break
							}
							s.RequestBody([]byte(ch), last(i, len(c.later), true))
						}
						if c.trailers == "later" && s.Downstream().Status == 0 {
							s.RequestTrailers(headers("x-t", "1"))
						}
						up := s.Upstream()
						d := finish(s)
						if d.Status != c.want {
							t.Fatalf("status %d (%s), want %d\n%s", d.Status, d.LocalReply, c.want, logText(e))
						}
						if c.want == 200 {
							if string(up.Body) != all {
								t.Errorf("upstream body %q, want %q", up.Body, all)
							}
							return
						}
						if d.LocalReply != "apiguard_"+string(c.reason) {
							t.Errorf("details %q, want apiguard_%s", d.LocalReply, c.reason)
						}
						if len(up.Body) > 32 {
							t.Errorf("upstream got %d bytes, past the cap", len(up.Body))
						}
						if c.path == "/wj" && (len(up.Body) > 0 || up.Headers != nil && !up.Reset) {
							t.Errorf("a refused held request reached upstream: headers %v, body %q, reset %v", up.Headers != nil, up.Body, up.Reset)
						}
						if c.path == "/wc" && up.Headers != nil && !up.Reset {
							t.Errorf("a streamed refusal did not reset upstream")
						}
					})
				}
			})
		}
	})
}
