package ratelimit

import (
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/problem"
)

// globalPlan is a route with two global limits: "a", 10 a minute, and
// "b", 5 a minute.
func globalPlan() *RoutePlan {
	c := NewCompiler(nil)
	return c.Route([]config.RateLimit{
		{Name: "a", Key: config.Key{Kind: config.KeyRoute}, Limit: 10, Window: time.Minute, Global: true},
		{Name: "b", Key: config.Key{Kind: config.KeyRoute}, Limit: 5, Window: time.Minute, Global: true},
	})
}

// TestNewGlobal_timeout: the call's timeout in whole milliseconds, a
// positive timeout under a millisecond rounded up to one, none left at
// none, and a timeout past int32 milliseconds capped.
func TestNewGlobal_timeout(t *testing.T) {
	for _, c := range []struct {
		timeout time.Duration
		want    uint32
	}{
		{0, 0},
		{time.Nanosecond, 1},
		{500 * time.Microsecond, 1},
		{time.Millisecond, 1},
		{1500 * time.Microsecond, 1},
		{20 * time.Millisecond, 20},
		{time.Duration(1<<31-1) * time.Millisecond, 1<<31 - 1},
		{time.Duration(1<<31) * time.Millisecond, 1<<31 - 1},
	} {
		g := NewGlobal(&config.RateLimitService{Cluster: "rls", Domain: "d", Timeout: c.timeout})
		if g.TimeoutMs != c.want {
			t.Errorf("timeout %v: %d ms, want %d", c.timeout, g.TimeoutMs, c.want)
		}
	}
}

// TestGlobalSeed_derivation: the fleet-wide seed is SHA-256(label ||
// domain) without a secret (the derivation of the releases before
// hash_secret, so a fleet that sets none keeps its counters), and with one
// SHA-256(label' || len(domain) || domain || len(secret) || secret), for
// short and long domains and secrets.
func TestGlobalSeed_derivation(t *testing.T) {
	long := strings.Repeat("x", 200)
	for _, c := range []struct{ domain, secret string }{
		{"example", ""}, {long, ""}, {"", ""},
		{"example", "s3cret"}, {long, "s"}, {"d", long}, {"", "s"},
	} {
		var want [sha256.Size]byte
		if c.secret == "" {
			want = sha256.Sum256([]byte("apiguard/global-rate-limit/v1\x00" + c.domain))
		} else {
			var enc []byte
			enc = append(enc, "apiguard/global-rate-limit-secret/v1\x00"...)
			enc = binary.BigEndian.AppendUint64(enc, uint64(len(c.domain)))
			enc = append(enc, c.domain...)
			enc = binary.BigEndian.AppendUint64(enc, uint64(len(c.secret)))
			enc = append(enc, c.secret...)
			want = sha256.Sum256(enc)
		}
		if got := GlobalSeed(c.domain, c.secret); string(got) != string(want[:SeedBytes]) {
			t.Errorf("domain of %d bytes, secret of %d: %x, want %x", len(c.domain), len(c.secret), got, want[:SeedBytes])
		}
	}
}

// TestGlobal_overLimitRetry: Retry-After of an OVER_LIMIT without
// duration_until_reset runs to the end of the window the service reports
// (windows aligned on the Unix epoch), or of the configured one when the
// service sends no limit or one of an unknown unit; a status past the
// route's global limits names none of them.
func TestGlobal_overLimitRetry(t *testing.T) {
	plan := globalPlan()
	g := NewGlobal(&config.RateLimitService{Cluster: "rls", Domain: "d"})
	now := int64(1_800_000_010e9) // 10 s into a minute and into an hour
	for _, c := range []struct {
		name     string
		answer   []byte
		limit    string
		retry    string
		policyIn string // in the report's RateLimit-Policy
	}{
		{"the service's hour", rlsAnswer(2, [5]uint8{2, 10, 3, 0, 0}), "a", "3590", `"a";q=10;w=3600`},
		{"an unknown unit: the configured minute", rlsAnswer(2, [5]uint8{2, 10, 0, 0, 0}), "a", "50", `"a";q=10;w=60`},
		{"no limit: the configured minute", rlsAnswer(2, [5]uint8{1, 0, 0, 0, 0}, [5]uint8{2, 0, 0, 0, 0}), "b", "50", `"b";q=5;w=60`},
		{"a status past the route's limits", rlsAnswer(2, [5]uint8{1, 0, 0, 0, 0}, [5]uint8{1, 0, 0, 0, 0}, [5]uint8{2, 0, 0, 0, 7}), "a", "50", `"a";q=10;w=60`},
	} {
		var st GlobalState
		rep := Report{Policy: plan.Policy}
		_, failure := g.Answer(&st, plan, c.answer, true, now, &rep)
		d, _ := g.Apply(&st, plan, rep.Policy)
		if failure != "" || d.Reason != problem.ReasonGlobalRateLimited {
			t.Errorf("%s: %q %+v", c.name, failure, d)
			continue
		}
		if got := headerValue(d.Headers, "retry-after"); got != c.retry {
			t.Errorf("%s: Retry-After %s, want %s", c.name, got, c.retry)
		}
		if got := headerValue(d.Headers, "ratelimit"); !strings.HasPrefix(got, `"`+c.limit+`";`) {
			t.Errorf("%s: RateLimit %q, want limit %q", c.name, got, c.limit)
		}
		if !strings.Contains(rep.Policy, c.policyIn) {
			t.Errorf("%s: policy %q lacks %q", c.name, rep.Policy, c.policyIn)
		}
	}
}

// TestGlobal_admittedReport: an OK reports the global limit with the
// least remaining only when it has fewer than the local limit reported
// (a tie keeps the local one), with the time to the end of its window;
// a status past the route's global limits is not read.
func TestGlobal_admittedReport(t *testing.T) {
	plan := globalPlan()
	g := NewGlobal(&config.RateLimitService{Cluster: "rls", Domain: "d"})
	now := int64(1_800_000_010e9)
	local := `"local";r=2;t=1`
	for _, c := range []struct {
		name    string
		answer  []byte
		current string // with a local limit reporting 2 left
	}{
		{"a tie keeps the local limit", rlsAnswer(1, [5]uint8{1, 10, 2, 2, 0}, [5]uint8{1, 5, 2, 3, 0}), local},
		{"fewer left than the local limit", rlsAnswer(1, [5]uint8{1, 10, 2, 2, 0}, [5]uint8{1, 5, 2, 1, 0}), `"b";r=1;t=50`},
		{"the first of two with as few left", rlsAnswer(1, [5]uint8{1, 10, 2, 1, 0}, [5]uint8{1, 5, 2, 1, 0}), `"a";r=1;t=50`},
		{"the service's reset", rlsAnswer(1, [5]uint8{1, 10, 2, 0, 7}), `"a";r=0;t=7`},
		{"the service's hour", rlsAnswer(1, [5]uint8{1, 10, 3, 1, 0}), `"a";r=1;t=3590`},
		{"an unknown unit: one second", rlsAnswer(1, [5]uint8{1, 10, 0, 1, 0}), `"a";r=1;t=1`},
		{"a status past the route's limits", rlsAnswer(1, [5]uint8{1, 0, 0, 0, 0}, [5]uint8{1, 0, 0, 0, 0}, [5]uint8{1, 10, 2, 0, 0}), local},
	} {
		var st GlobalState
		rep := Report{Policy: plan.Policy, Current: local, Remaining: 2}
		if _, failure := g.Answer(&st, plan, c.answer, true, now, &rep); failure != "" {
			t.Errorf("%s: %s", c.name, failure)
			continue
		}
		if rep.Current != c.current {
			t.Errorf("%s: RateLimit %q, want %q", c.name, rep.Current, c.current)
		}
	}
}

// TestGlobal_failureLogSpacing: a failing service is logged at most once a
// minute per worker: a failure a minute to the nanosecond after the last
// line is logged again, with the failures since; one a nanosecond sooner
// is not.
func TestGlobal_failureLogSpacing(t *testing.T) {
	g := NewGlobal(&config.RateLimitService{Cluster: "rls", Domain: "d"})
	var st GlobalState
	t0 := int64(1_800_000_000e9)
	for _, c := range []struct {
		at   int64
		want string // "" for no line
	}{
		{t0, "; 1 failed calls"},
		{t0 + failureLogPeriod - 1, ""},
		{t0 + failureLogPeriod, "; 2 failed calls"},
		{t0 + 2*failureLogPeriod - 1, ""},
		{t0 + 2*failureLogPeriod, "; 2 failed calls"},
	} {
		line := g.Failure(&st, "x", c.at)
		if (c.want == "") != (line == "") || !strings.Contains(line, c.want) {
			t.Errorf("failure at t0+%dns: %q, want %q", c.at-t0, line, c.want)
		}
	}
}

// TestGlobal_failureLine: the log line names what failed, the cluster
// (quoted, cut to 128 bytes) and the failure mode; without a
// rate_limit_service it says deny and an empty cluster. Closed quotes a
// gRPC status's message, cut to 128 bytes.
func TestGlobal_failureLine(t *testing.T) {
	long := strings.Repeat("c", 200)
	for _, c := range []struct {
		name string
		svc  *config.RateLimitService
		want []string
	}{
		{"deny", &config.RateLimitService{Cluster: "rls", Domain: "d"}, []string{`: x (cluster "rls"); failure_mode deny; 1 failed calls`}},
		{"allow", &config.RateLimitService{Cluster: "rls", Domain: "d", FailureMode: config.FailureAllow}, []string{`(cluster "rls"); failure_mode allow;`}},
		{"no service", nil, []string{`(cluster ""); failure_mode deny;`}},
		{"long cluster", &config.RateLimitService{Cluster: long, Domain: "d"}, []string{`(cluster "` + long[:128] + `");`}},
	} {
		var st GlobalState
		line := NewGlobal(c.svc).Failure(&st, "x", 1_800_000_000e9)
		for _, w := range c.want {
			if !strings.Contains(line, w) {
				t.Errorf("%s: %q lacks %q", c.name, line, w)
			}
		}
	}
	if got := Closed(14, "no healthy upstream"); got != `grpc status 14 "no healthy upstream"` {
		t.Errorf("Closed: %q", got)
	}
	if got, want := Closed(8, long), `grpc status 8 "`+long[:128]+`"`; got != want {
		t.Errorf("Closed of a long message: %q, want %q", got, want)
	}
}
