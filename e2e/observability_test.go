package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/version"
)

// Observability: refusal (deny) log lines, their budget per worker and
// the count of lines dropped; audit lines; the levels lines are written
// at; metrics across workers; no query value and no body in any log line.

func TestDenyLog_linesPerSecond(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, routesConfig)
		vm := e.Worker(0)
		for i := 0; i < 150; i++ {
			vm.RoundTrip(host.Request{Path: "/nope", Headers: headers("x-request-id", fmt.Sprint("r", i))}, nil)
		}
		lines := e.LogsContaining("apiguard: deny route=")
		if len(lines) != 100 {
			t.Fatalf("%d deny lines in one second, want 100", len(lines))
		}
		if got, want := lines[0].Msg, `apiguard: deny route=- status=404 reason=route_not_found request_id="r0"`; got != want {
			t.Errorf("line %q, want %q", got, want)
		}
		e.Advance(time.Second)
		vm.RoundTrip(host.Request{Path: "/nope"}, nil)
		if d := e.LogsContaining("dropped 50 lines"); len(d) != 1 {
			t.Errorf("want one line counting 50 dropped lines, got %v", d)
		}
		if got := len(e.LogsContaining("apiguard: deny route=")); got != 101 {
			t.Errorf("%d deny lines after the second passed, want 101", got)
		}
	})
}

// TestAuditLog_lines: one JSON line per request, with the request id,
// route, method and the route's path template, never the request's path or
// query (docs/operating.md "Logs").
func TestAuditLog_lines(t *testing.T) {
	const cfg = `{"audit_log": true, "default": {"enforce": true},
	  "routes": [{"name": "user", "match": {"path": "/users/{id}", "methods": ["GET"]}},
	             {"name": "static", "match": {"prefix": "/static/"}}]}`
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, cfg)
		up := func(host.UpstreamRequest) host.Response { return defaultResponse }
		vm := e.Worker(0)
		vm.RoundTrip(host.Request{Path: "/users/alice%40example.com?token=s3cr3t", Headers: headers("x-request-id", "r1")}, up)
		vm.RoundTrip(host.Request{Method: "DELETE", Path: "/users/42", Headers: headers("x-request-id", `r2","route":"forged`)}, nil)
		vm.RoundTrip(host.Request{Path: "/static/app.js?v=1"}, up)
		vm.RoundTrip(host.Request{Method: "POST", Path: "/elsewhere/bob?key=k"}, up)
		want := []string{
			`apiguard: audit {"request_id":"r1","route":"user","method":"GET","path_template":"/users/{id}","decision":"allow","status":200}`,
			`apiguard: audit {"request_id":"r2\",\"route\":\"forged","route":"user","method":"DELETE","path_template":"/users/{id}","decision":"deny","reason":"method_not_allowed","status":405}`,
			`apiguard: audit {"request_id":"","route":"static","method":"GET","path_template":"/static/","decision":"allow","status":200}`,
			`apiguard: audit {"request_id":"","route":"default","method":"POST","path_template":"(default)","decision":"allow","status":200}`,
		}
		lines := e.LogsContaining("apiguard: audit ")
		if len(lines) != len(want) {
			t.Fatalf("audit lines %v, want %d", lines, len(want))
		}
		for i := range want {
			if lines[i].Msg != want[i] {
				t.Errorf("audit line\n got %s\nwant %s", lines[i].Msg, want[i])
			}
		}
		for _, leak := range []string{"alice", "s3cr3t", "app.js", "v=1", "bob", "key=k", "/users/42"} {
			if n := len(e.LogsContaining(leak)); n != 0 {
				t.Errorf("%q (the request's path or query) in %d log lines", leak, n)
			}
		}
	})
}

// TestAuditLog_noRoute: a request refused before any policy is chosen
// has "-" as its route and template.
func TestAuditLog_noRoute(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, `{"audit_log": true, "routes": [{"name": "health", "match": {"path": "/healthz"}}]}`)
		e.Worker(0).RoundTrip(host.Request{Path: "/nope?secret=1", Headers: headers("x-request-id", "r9")}, nil)
		lines := e.LogsContaining("apiguard: audit ")
		want := `apiguard: audit {"request_id":"r9","route":"-","method":"GET","path_template":"-","decision":"deny","reason":"route_not_found","status":404}`
		if len(lines) != 1 || lines[0].Msg != want {
			t.Errorf("audit lines %v, want %s", lines, want)
		}
	})
}

// TestAuditLog_rawPath: with raw_path the line carries the request's path
// and query as received (escaped as JSON), instead of the template.
func TestAuditLog_rawPath(t *testing.T) {
	const cfg = `{"audit_log": {"raw_path": true}, "routes": [{"name": "user", "match": {"path": "/users/{id}"}}]}`
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, cfg)
		up := func(host.UpstreamRequest) host.Response { return defaultResponse }
		e.Worker(0).RoundTrip(host.Request{Path: `/users/a%22b?q="x"&token=t1`, Headers: headers("x-request-id", "r1")}, up)
		e.Worker(0).RoundTrip(host.Request{Path: "/users/42"}, up)
		want := []string{
			`apiguard: audit {"request_id":"r1","route":"user","method":"GET","path":"/users/a%22b?q=\"x\"&token=t1","decision":"allow","status":200}`,
			`apiguard: audit {"request_id":"","route":"user","method":"GET","path":"/users/42","decision":"allow","status":200}`,
		}
		lines := e.LogsContaining("apiguard: audit ")
		if len(lines) != len(want) {
			t.Fatalf("audit lines %v, want %d", lines, len(want))
		}
		for i := range want {
			if lines[i].Msg != want[i] {
				t.Errorf("audit line\n got %s\nwant %s", lines[i].Msg, want[i])
			}
		}
	})
}

// Several workers each run their own VM of the same module.
func TestMetrics_acrossWorkers(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, routesConfig, workers(3))
		for i := 0; i < 3; i++ {
			r := e.Worker(i).RoundTrip(host.Request{Path: "/healthz"}, func(host.UpstreamRequest) host.Response { return defaultResponse })
			if r.Downstream.Status != 200 {
				t.Fatalf("worker %d: status %d", i, r.Downstream.Status)
			}
		}
		if got := metric(t, e, "apiguard.allowed"); got != 3 {
			t.Errorf("allowed across workers = %d, want 3", got)
		}
	})
}

// auditKeysConfig is an API-key provider whose key k1 has the subject
// alice@example.com, on one route, with audit_log as given.
func auditKeysConfig(audit string) string {
	return `{"audit_log": ` + audit + `,
	  "providers": {"keys": {"api_keys": {"from": [{"header": "x-api-key"}],
	    "keys": [{"id": "k1", "sha256": "6ab9f1eb8f7d3388f4f9d586f66e99fd54080df2c446f0e58668b09c08a16dd0",
	              "claims": {"sub": "alice@example.com"}}]}}},
	  "routes": [{"name": "api", "match": {"prefix": "/"}, "auth": {"providers": ["keys"]}}]}`
}

// auditSubject sends k1's request and an anonymous one on worker w and
// returns the subject of k1's audit line; the anonymous line has none.
func auditSubject(t *testing.T, e *host.Envoy, w int) string {
	t.Helper()
	before := len(e.LogsContaining("apiguard: audit "))
	up := func(host.UpstreamRequest) host.Response { return defaultResponse }
	e.Worker(w).RoundTrip(host.Request{Path: "/x", Headers: headers("x-api-key", "k1")}, up)
	e.Worker(w).RoundTrip(host.Request{Path: "/x"}, up)
	lines := e.LogsContaining("apiguard: audit ")[before:]
	if len(lines) != 2 {
		t.Fatalf("audit lines %v, want 2", lines)
	}
	if strings.Contains(lines[1].Msg, "subject") {
		t.Errorf("anonymous request has a subject: %q", lines[1].Msg)
	}
	if len(e.LogsContaining("alice")) != 0 {
		t.Error("the subject appears in clear in the log")
	}
	const prefix = `apiguard: audit {"request_id":"","route":"api","method":"GET","path_template":"/","decision":"allow","status":200,"subject":"`
	msg := lines[0].Msg
	if !strings.HasPrefix(msg, prefix) || !strings.HasSuffix(msg, `"}`) {
		t.Fatalf("audit line %q", msg)
	}
	return strings.TrimSuffix(strings.TrimPrefix(msg, prefix), `"}`)
}

func auditHMAC(secret, sub string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(sub))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// TestAuditLog_subjectHashed: an authenticated request's subject is
// HMAC-SHA-256(hash_secret, sub) cut to 16 bytes, in hex, never in clear;
// the secret may come from the environment.
func TestAuditLog_subjectHashed(t *testing.T) {
	const secret = "an-audit-secret-0123456789"
	want := auditHMAC(secret, "alice@example.com")
	each(t, func(t *testing.T, g guest) {
		t.Run("inline", func(t *testing.T) {
			e := start(t, g, auditKeysConfig(`{"hash_secret": "`+secret+`"}`))
			if got := auditSubject(t, e, 0); got != want {
				t.Errorf("subject %q, want %q", got, want)
			}
		})
		t.Run("env", func(t *testing.T) {
			e := start(t, g, auditKeysConfig(`{"hash_secret": {"env": "APIGUARD_AUDIT_SECRET"}}`), workers(2),
				withEnv(map[string]string{"APIGUARD_AUDIT_SECRET": secret}))
			if got := auditSubject(t, e, 0); got != want {
				t.Errorf("subject %q, want %q", got, want)
			}
			if got := auditSubject(t, e, 1); got != want {
				t.Errorf("second VM: subject %q, want %q", got, want)
			}
			if strings.Contains(logText(e), secret) {
				t.Error("the secret reached the log")
			}
		})
	})
}

// TestAuditLog_randomKeyPerVM: without hash_secret each VM hashes with
// its own random key: the same subject differs across VMs, is stable
// within one, and is not the HMAC under an empty key.
func TestAuditLog_randomKeyPerVM(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, auditKeysConfig(`true`), workers(2))
		a, b := auditSubject(t, e, 0), auditSubject(t, e, 1)
		if len(a) != 32 || len(b) != 32 || a == b || a == auditHMAC("", "alice@example.com") {
			t.Errorf("subjects of two VMs: %q and %q", a, b)
		}
		if again := auditSubject(t, e, 0); again != a {
			t.Errorf("one VM hashes alice as %q then %q", a, again)
		}
	})
}

// floodDenies sends n refusals on worker 0 at the current instant.
func floodDenies(vm *host.VM, n int) {
	for i := 0; i < n; i++ {
		vm.RoundTrip(host.Request{Path: "/nope"}, nil)
	}
}

func droppedLine(n int, second time.Time) string {
	lines := "lines"
	if n == 1 {
		lines = "line"
	}
	return fmt.Sprintf("apiguard: deny log: dropped %d %s in the second from %s (over 100 a second)",
		n, lines, second.UTC().Format(time.RFC3339))
}

// TestDenyLog_dropCount: docs/operating.md "Observability": at most 100
// refusal lines a second per worker, "then one line counting what was
// dropped". The count is written even when the flood stops (a tick the
// filter asks for only while a count is pending), names the second it
// counts, and is written once. The tick is Envoy's (proxy_on_tick), no
// runtime timer, so it holds on the 1.33 profile too.
func TestDenyLog_dropCount(t *testing.T) {
	eachProfile(t, func(t *testing.T, g guest) {
		t.Run("flood stops", func(t *testing.T) {
			f := &hostFault{}
			e := start(t, withPanics(g, f), routesConfig)
			flood := e.Clock().Now()
			floodDenies(e.Worker(0), 130)
			if d := e.LogsContaining("dropped"); len(d) != 0 {
				t.Fatalf("count written within its second: %v", d)
			}
			e.Advance(5 * time.Second)
			d := e.LogsContaining("apiguard: deny log:")
			if len(d) != 1 || d[0].Msg != droppedLine(30, flood) || d[0].Level != proxy.LogWarn {
				t.Fatalf("drop lines %v, want one %q", d, droppedLine(30, flood))
			}
			// The tick was asked for once and stopped once the count was
			// written: nothing else ticks on this configuration.
			if fmt.Sprint(f.ticks) != "[1000 0]" {
				t.Errorf("tick periods asked for %v, want [1000 0]", f.ticks)
			}
			// A second flood, later, is counted on its own.
			flood2 := e.Clock().Now()
			floodDenies(e.Worker(0), 110)
			e.Advance(2 * time.Second)
			if d := e.LogsContaining("apiguard: deny log:"); len(d) != 2 || d[1].Msg != droppedLine(10, flood2) {
				t.Errorf("drop lines %v, want a second %q", d, droppedLine(10, flood2))
			}
		})

		t.Run("written by the next request", func(t *testing.T) {
			// Without the tick (the host refuses it), the next request on
			// the worker writes the count, allowed or refused.
			f := &hostFault{tickStatus: proxy.StatusBadArgument}
			e := start(t, withPanics(g, f), routesConfig)
			flood := e.Clock().Now()
			floodDenies(e.Worker(0), 120)
			e.Advance(90 * time.Second)
			if d := e.LogsContaining("dropped"); len(d) != 0 {
				t.Fatalf("count written without a tick or a request: %v", d)
			}
			e.Worker(0).RoundTrip(host.Request{Path: "/healthz"}, func(host.UpstreamRequest) host.Response { return defaultResponse })
			d := e.LogsContaining("apiguard: deny log:")
			if len(d) != 1 || d[0].Msg != droppedLine(20, flood) {
				t.Fatalf("drop lines %v, want one %q", d, droppedLine(20, flood))
			}
			e.Worker(0).RoundTrip(host.Request{Path: "/nope"}, nil)
			if d := e.LogsContaining("apiguard: deny log:"); len(d) != 1 {
				t.Errorf("count written twice: %v", d)
			}
		})

		t.Run("flood goes on", func(t *testing.T) {
			f := &hostFault{}
			e := start(t, withPanics(g, f), routesConfig)
			first := e.Clock().Now()
			floodDenies(e.Worker(0), 105)
			e.Clock().Advance(time.Second) // no tick fires
			floodDenies(e.Worker(0), 107)
			d := e.LogsContaining("apiguard: deny log:")
			if len(d) != 1 || d[0].Msg != droppedLine(5, first) {
				t.Fatalf("drop lines %v, want one %q", d, droppedLine(5, first))
			}
			e.Advance(3 * time.Second)
			d = e.LogsContaining("apiguard: deny log:")
			if len(d) != 2 || d[1].Msg != droppedLine(7, first.Add(time.Second)) {
				t.Fatalf("drop lines %v, want then %q", d, droppedLine(7, first.Add(time.Second)))
			}
			if n := len(e.LogsContaining("apiguard: deny route=")); n != 200 {
				t.Errorf("%d deny lines over two seconds, want 200", n)
			}
		})

		t.Run("root ticks already", func(t *testing.T) {
			// A configuration that ticks for its own work (remote keys)
			// gets no extra tick: its ticks write the count, and keep
			// running afterwards.
			f := &hostFault{}
			srv := &jwksServer{}
			srv.set(200, jwksOf(t, "rsa-a"), false)
			e := startRemote(t, withPanics(g, f), srv)
			flood := e.Clock().Now()
			floodDenies(e.Worker(0), 101)
			e.Advance(1100 * time.Millisecond)
			if d := e.LogsContaining("apiguard: deny log:"); len(d) != 1 || d[0].Msg != droppedLine(1, flood) {
				t.Fatalf("drop lines %v, want one %q", d, droppedLine(1, flood))
			}
			for _, ms := range f.ticks {
				if ms == 0 || ms == 1000 {
					t.Errorf("tick periods asked for %v: the limiter changed the root's ticks", f.ticks)
					break
				}
			}
			if d := finish(openReq(e.Worker(0), "/r", remoteToken(t, "rsa-a"))); d.Status != 200 {
				t.Errorf("remote keys after the flood: status %d (%s)", d.Status, d.LocalReply)
			}
		})
	})
}

// TestDenyLog_tickAfterRootDeleted: the limiter's "ticking" flag is
// per VM but its tick belongs to the root whose stream asked for it. When
// that root is deleted before its tick turned the flag off, no later drop
// count on another root of the VM ever asks for a tick again: a flood that
// stops is never counted until the next request.
func TestDenyLog_tickAfterRootDeleted(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		start := host.DefaultStart.Truncate(time.Second).Add(100 * time.Millisecond)
		e, err := newEnvoy(g, routesConfig, func(c *host.Config) { c.Clock = host.NewClock(start) })
		if err != nil {
			t.Fatal(err)
		}
		vm := e.Worker(0)
		a := vm.RootID()
		b, err := vm.AddRoot([]byte(routesConfig))
		if err != nil {
			t.Fatalf("second root did not configure: %v\n%s", err, logText(e))
		}
		// refuse sends n requests that no route matches on root.
		refuse := func(root uint32, n int) {
			for i := 0; i < n; i++ {
				vm.RoundTrip(host.Request{Path: "/nope", Props: host.StreamProps{Root: root}}, nil)
			}
		}

		refuse(a, 110) // 10 dropped: root a asks for a 1 s tick
		if p := vm.TickPeriod(a); p != time.Second {
			t.Fatalf("root %d: tick period %v after a flood, want 1s (root %d: %v)", a, p, b, vm.TickPeriod(b))
		}
		vm.DeleteRoot(a) // its listener goes away before the tick
		e.Advance(5 * time.Second)

		flood2 := e.Clock().Now()
		refuse(b, 110) // the first request writes the old count; 10 more dropped
		e.Advance(5 * time.Second)
		var lines []string
		for _, l := range e.LogsContaining("apiguard: deny log: dropped") {
			lines = append(lines, l.Msg)
		}
		want := droppedLine(10, flood2)
		found := false
		for _, l := range lines {
			found = found || l == want
		}
		if !found {
			t.Errorf("flood on root %d that stopped was never counted: drop lines %q, want %q; root %d tick period %v",
				b, lines, want, b, vm.TickPeriod(b))
		}
	})
}

// TestDenyLog_budgetPerWorker: docs/operating.md Observability, "at most 100 such
// lines a second per worker": each worker has its own budget.
func TestDenyLog_budgetPerWorker(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, routesConfig, workers(2))
		for i := range 2 {
			for range 120 {
				e.Worker(i).RoundTrip(host.Request{Path: "/nope"}, nil)
			}
		}
		per := map[int]int{}
		for _, l := range e.LogsContaining("apiguard: deny route=") {
			per[l.VM]++
		}
		if per[0] != 100 || per[1] != 100 {
			t.Errorf("deny lines per worker %v, want 100 each", per)
		}
	})
}

// TestLogs_queryValuesNeverLogged: forbid_query_params and the `_method`
// refusal never put a value (or the query) into a log line, the audit
// line included, on enforcing and report-only routes alike.
func TestLogs_queryValuesNeverLogged(t *testing.T) {
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

// Nothing of a body reaches the log: refusal lines carry the reason only.
func TestLogs_bodyNeverLogged(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, requestConfig(true))
		vm := e.Worker(0)
		vm.RoundTrip(post("/json", `{"items":[],"password":"hunter2-SECRET","password":"x"}`, "x-request-id", "r1"), nil)
		lines := e.LogsContaining("apiguard: deny route=json")
		if len(lines) != 1 || lines[0].Msg != `apiguard: deny route=json status=400 reason=json_duplicate_key request_id="r1"` {
			t.Fatalf("deny lines %v", lines)
		}
		for _, l := range e.Logs() {
			if strings.Contains(l.Msg, "SECRET") {
				t.Errorf("body content in the log: %s", l.Msg)
			}
		}
	})
}

// TestLogLevel_denyAndAuditAtWarning: Istio runs Wasm plugins at Envoy's
// "warning" log level unless told otherwise, so the deny and audit lines are
// written at warning; the configured line (once per VM) stays at info and
// names the version.
func TestLogLevel_denyAndAuditAtWarning(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, `{"audit_log": true, "routes": [{"name": "health", "match": {"path": "/healthz", "methods": ["GET"]}}]}`)
		vm := e.Worker(0)
		vm.RoundTrip(host.Request{Path: "/nope", Headers: headers("x-request-id", "r1")}, nil)
		vm.RoundTrip(host.Request{Method: "GET", Path: "/healthz"}, func(host.UpstreamRequest) host.Response { return defaultResponse })
		for _, c := range []struct {
			line  string
			n     int
			level proxy.LogLevel
		}{
			{`apiguard: deny route=- status=404 reason=route_not_found request_id="r1"`, 1, proxy.LogWarn},
			{`apiguard: audit {"request_id":"r1","route":"-","method":"GET","path_template":"-","decision":"deny"`, 1, proxy.LogWarn},
			{`apiguard: audit {"request_id":"","route":"health","method":"GET","path_template":"/healthz","decision":"allow"`, 1, proxy.LogWarn},
			// canary and worker; the revision is whatever the build stamped.
			{"apiguard " + version.Version + " (", 2, proxy.LogInfo},
		} {
			lines := e.LogsContaining(c.line)
			if len(lines) != c.n {
				t.Errorf("%d lines with %q, want %d\n%s", len(lines), c.line, c.n, logText(e))
				continue
			}
			for _, l := range lines {
				if l.Level != c.level {
					t.Errorf("%q at level %v, want %v", l.Msg, l.Level, c.level)
				}
			}
		}
	})
}
