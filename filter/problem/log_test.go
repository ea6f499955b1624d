package problem

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestLogLimiter_perSecond: DenyLinesPerSecond lines a second; the drops
// are reported once their second is over, naming it, once.
func TestLogLimiter_perSecond(t *testing.T) {
	var l LogLimiter
	now := int64(1_800_000_000e9)
	for i := 0; i < DenyLinesPerSecond; i++ {
		if !l.Admit(now) {
			t.Fatalf("line %d refused", i)
		}
	}
	if l.Admit(now) || l.Admit(now+1) || !l.Pending() {
		t.Fatal("over the cap admitted")
	}
	if line := l.Flush(now + 5e8); line != "" {
		t.Fatalf("flushed within the second: %q", line)
	}
	line := l.Flush(now + 1e9)
	if line != "apiguard: deny log: dropped 2 lines in the second from 2027-01-15T08:00:00Z (over 100 a second)" || l.Pending() || l.Flush(now+2e9) != "" {
		t.Errorf("flush: %q", line)
	}
	if !l.Admit(now + 1e9) {
		t.Error("a new second admits again")
	}
	for i := 0; i < DenyLinesPerSecond; i++ {
		l.Admit(now + 1e9)
	}
	if line := l.Flush(now + 2e9); !strings.Contains(line, "dropped 1 line in") {
		t.Errorf("one drop: %q", line)
	}
}

// TestLogLines_fields: the deny and audit lines quote what the client
// chose (the request id, cut to 128 bytes) and nothing else.
func TestLogLines_fields(t *testing.T) {
	if got := DenyLine("r", 401, "credential_missing", `a" b`, false); got != `apiguard: deny route=r status=401 reason=credential_missing request_id="a\" b"` {
		t.Errorf("deny line %q", got)
	}
	if got := DenyLine("r", 403, "x", strings.Repeat("i", 200), true); !strings.HasPrefix(got, "apiguard: report ") || !strings.HasSuffix(got, `"`+strings.Repeat("i", 128)+`"`) {
		t.Errorf("report line %q", got)
	}
}

// TestAuditLine_fields: the audit line's fields in order, the template
// unless raw_path, the path and query only with raw_path, every
// client-chosen string escaped and cut, and the result valid JSON.
func TestAuditLine_fields(t *testing.T) {
	long := strings.Repeat("p", 3000)
	tests := []struct {
		name string
		a    Audit
		want string
	}{
		{"allow, template", Audit{RequestID: "r1", Route: "users", Method: "GET", Template: "/users/{id}", Path: "/users/42", Query: "token=s3cr3t", Decision: "allow", Status: 200},
			`{"request_id":"r1","route":"users","method":"GET","path_template":"/users/{id}","decision":"allow","status":200}`},
		{"deny with reason and subject", Audit{RequestID: "r2", Route: "r", Method: "POST", Template: "/a", Decision: "deny", Reason: "owner_mismatch", Status: 403, Subject: "0123456789abcdef0123456789abcdef"},
			`{"request_id":"r2","route":"r","method":"POST","path_template":"/a","decision":"deny","reason":"owner_mismatch","status":403,"subject":"0123456789abcdef0123456789abcdef"}`},
		{"raw path with query", Audit{Route: "users", Method: "GET", Template: "/users/{id}", RawPath: true, Path: "/users/42", Query: "token=s3cr3t", Decision: "report", Status: 200},
			`{"request_id":"","route":"users","method":"GET","path":"/users/42?token=s3cr3t","decision":"report","status":200}`},
		{"raw path without query", Audit{Route: "-", Method: "GET", Template: "-", RawPath: true, Path: "/nope", Decision: "deny", Reason: "route_not_found", Status: 404},
			`{"request_id":"","route":"-","method":"GET","path":"/nope","decision":"deny","reason":"route_not_found","status":404}`},
		{"escaping", Audit{RequestID: "a\",\"x\":\"1\n", Route: "r", Method: "G\"T\x00", RawPath: true, Path: "/\"}\x7f\xff", Decision: "allow", Status: 200},
			`{"request_id":"a\",\"x\":\"1\u000a","route":"r","method":"G\"T\u0000","path":"/\"}\u007f\ufffd","decision":"allow","status":200}`},
		{"cut", Audit{RequestID: strings.Repeat("i", 200), Route: "r", Method: strings.Repeat("M", 100), RawPath: true, Path: long, Decision: "allow", Status: 200},
			`{"request_id":"` + strings.Repeat("i", AuditMaxRequestID) + `","route":"r","method":"` + strings.Repeat("M", AuditMaxMethod) + `","path":"` + long[:AuditMaxPath] + `","decision":"allow","status":200}`},
	}
	for _, tc := range tests {
		got := AuditLine(&tc.a)
		if want := "apiguard: audit " + tc.want; got != want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, want)
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(strings.TrimPrefix(got, "apiguard: audit ")), &v); err != nil {
			t.Errorf("%s: not JSON: %v", tc.name, err)
		}
		if !tc.a.RawPath && (strings.Contains(got, "s3cr3t") || strings.Contains(got, "/users/42")) {
			t.Errorf("%s: the request's path or query in %s", tc.name, got)
		}
	}
}

// TestLogLimiter_ticks: a dropped line asks for ticks once, and only when
// no root ticks; the ticks stop once the count is written, unless the
// root ticks for itself; a deleted root's ticks are forgotten.
func TestLogLimiter_ticks(t *testing.T) {
	var l LogLimiter
	if l.NeedsTicks(true) || !l.NeedsTicks(false) {
		t.Fatal("fresh limiter")
	}
	l.Ticking(7)
	if l.NeedsTicks(false) {
		t.Error("asks twice")
	}
	now := int64(1_800_000_000e9)
	for l.Admit(now) {
	}
	if l.StopTicks(false) {
		t.Error("stopped with a count pending")
	}
	l.Flush(now + 1e9)
	if l.StopTicks(true) {
		t.Error("stopped the ticks of a root that ticks for itself")
	}
	if !l.StopTicks(false) || l.StopTicks(false) || !l.NeedsTicks(false) {
		t.Error("ticks do not stop once the count is written")
	}
	l.Ticking(7)
	l.RootGone(8)
	if l.NeedsTicks(false) {
		t.Error("another root's deletion forgot the ticks")
	}
	l.RootGone(7)
	if !l.NeedsTicks(false) {
		t.Error("the deleted root's ticks are still counted")
	}
}

// TestAuditLine_decision: deny wins over report, allow when neither.
func TestAuditLine_decision(t *testing.T) {
	for _, c := range []struct {
		denied, reported bool
		want             string
	}{{true, true, "deny"}, {true, false, "deny"}, {false, true, "report"}, {false, false, "allow"}} {
		if got := AuditDecision(c.denied, c.reported); got != c.want {
			t.Errorf("AuditDecision(%v, %v) = %q, want %q", c.denied, c.reported, got, c.want)
		}
	}
}
