package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
)

// Global rate limits while a request waits for the service: bodies and
// trailers that arrive meanwhile, and the request edits and body checks
// that follow the answer, in both header modes.

// TestGlobal_bodyWhileWaiting: a request body that arrives while the
// service is being asked goes upstream whole once it admits the request,
// with headers held by StopIteration or (Istio, hold_headers: false) by
// Envoy's StopAllIteration.
func TestGlobal_bodyWhileWaiting(t *testing.T) {
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

// TestGlobal_requestEditsAfterWait: a request that waited for the rate
// limit service still gets its request edits (Range, If-Range removed,
// Accept-Encoding: identity on a route with response rules) before the
// stream continues, and its response is inspected.
func TestGlobal_requestEditsAfterWait(t *testing.T) {
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

// TestGlobal_bodyChecksAfterWait: body chunks (and trailers) that arrive while
// a header step waits on a callout are judged once the headers pass, in
// the order of checks: a 429 from the service wins over a body refusal,
// the cap and the JSON checks apply to what came early and what comes
// after, and nothing of a refused body reaches upstream.
func TestGlobal_bodyChecksAfterWait(t *testing.T) {
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
