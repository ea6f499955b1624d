package problem

import (
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
	if got := AuditLine("r", "deny", "owner_mismatch", 403, "0123456789abcdef"); got != `apiguard: audit {"route":"r","decision":"deny","reason":"owner_mismatch","status":403,"subject":"0123456789abcdef"}` {
		t.Errorf("audit line %q", got)
	}
	for _, c := range []struct {
		denied, reported bool
		want             string
	}{{true, true, "deny"}, {true, false, "deny"}, {false, true, "report"}, {false, false, "allow"}} {
		if got := AuditDecision(c.denied, c.reported); got != c.want {
			t.Errorf("AuditDecision(%v, %v) = %q, want %q", c.denied, c.reported, got, c.want)
		}
	}
	if got := AuditLine("r", "allow", "", 200, ""); got != `apiguard: audit {"route":"r","decision":"allow","status":200}` {
		t.Errorf("audit line %q", got)
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
