package ratelimit

import (
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/problem"
)

func headerValue(hs []httpx.Pair, name string) string {
	for _, h := range hs {
		if h.Key == name {
			return h.Value
		}
	}
	return ""
}

// TestRuntime_localDecisions: a local limit admits its quota, reporting
// the remaining count, then refuses with a 429's headers and the limit's
// counter; a store that fails refuses as unavailable.
func TestRuntime_localDecisions(t *testing.T) {
	c := NewCompiler(nil)
	plan := c.Route([]config.RateLimit{{Name: "per-ip", Key: config.Key{Kind: config.KeyRoute}, Limit: 2, Burst: 2, Window: time.Minute}})
	rt := NewRuntime(NewMemStore(), "", 64, c.Slots(), []*RoutePlan{plan, nil}, nil, nil)
	if !rt.EnsureSeed() {
		t.Fatal("no seed")
	}
	if !rt.EnsureSeed() { // seeded: no second agreement
		t.Fatal("no seed")
	}
	now := int64(1_800_000_000e9)
	take := func() (Decision, Report) {
		var rep Report
		reqs := rt.Requests(plan)
		reqs[0].Hash = 7
		return rt.TakeLocal(now, plan, reqs, &rep), rep
	}
	for i, want := range []int64{1, 0} {
		d, rep := take()
		if d.Reason != "" || rep.Remaining != want || !strings.HasPrefix(rep.Current, `"per-ip";r=`) {
			t.Fatalf("request %d: %+v %+v", i, d, rep)
		}
	}
	d, _ := take()
	if d.Reason != problem.ReasonRateLimited || d.Metric == "" || headerValue(d.Headers, "retry-after") == "" ||
		headerValue(d.Headers, "ratelimit-policy") != plan.Policy || !strings.HasSuffix(headerValue(d.Headers, "ratelimit"), ";r=0;t="+headerValue(d.Headers, "retry-after")) {
		t.Errorf("third request: %+v", d)
	}
	if h := RefusalHeaders("", "x", 3); len(h) != 2 || h[0].Value != "3" || h[1].Value != `"x";r=0;t=3` {
		t.Errorf("RefusalHeaders without a policy: %v", h)
	}
}

// TestClient_keySum: each key kind reads its value; an absent value (no
// header, an anonymous request, no address) counts in the one absent
// bucket.
func TestClient_keySum(t *testing.T) {
	h := NewHasher(make([]byte, SeedBytes))
	req := &httpx.Request{Headers: []httpx.Pair{{Key: "X-Tenant", Value: "acme"}}}
	id, _ := jsonx.Parse([]byte(`{"sub":"acme"}`), jsonx.Limits{})
	hdr := &config.Key{Kind: config.KeyHeader, Header: "x-tenant"}
	claim := &config.Key{Kind: config.KeyClaim, Claim: []string{"sub"}}
	ip := &config.Key{Kind: config.KeyIP}
	var c Client
	absent := h.KeySum(ValueAbsent, 1, "")
	if got := c.KeySum(&h, hdr, 1, req, nil); got != h.KeySum(ValueHeader, 1, "acme") {
		t.Error("header key")
	}
	if got := c.KeySum(&h, claim, 1, req, &id); got != h.KeySum(ValueClaim, 1, "acme") {
		t.Error("claim key")
	}
	if c.KeySum(&h, claim, 1, req, nil) != absent || c.KeySum(&h, hdr, 1, &httpx.Request{}, nil) != absent {
		t.Error("absent values must share the absent bucket")
	}
	if !c.NeedsAddr(ip) || c.NeedsAddr(hdr) {
		t.Error("NeedsAddr")
	}
	c.SetAddr("")
	if c.NeedsAddr(ip) || c.KeySum(&h, ip, 1, req, nil) != absent {
		t.Error("no address: absent bucket, read once")
	}
	var v4, text Client
	v4.SetAddr("192.0.2.7:4711")
	text.SetAddr("not an address")
	if v4.KeySum(&h, ip, 1, req, nil) == absent || text.KeySum(&h, ip, 1, req, nil) != h.KeySum(ValueAddrText, 1, "not an address") {
		t.Error("address keys")
	}
}

// rlsAnswer encodes a RateLimitResponse (tags field<<3|wire type, varint
// fields with wire type 0): overall code, then per
// descriptor its code, a limit (requests per unit, unit) when perUnit > 0,
// its remaining count and, when reset > 0, duration_until_reset seconds.
func rlsAnswer(overall uint8, statuses ...[5]uint8) []byte {
	b := []byte{1 << 3, overall}
	for _, s := range statuses {
		st := []byte{1 << 3, s[0]}
		if s[1] > 0 {
			st = append(st, 2<<3|2, 4, 1<<3, s[1], 2<<3, s[2])
		}
		st = append(st, 3<<3, s[3])
		if s[4] > 0 {
			st = append(st, 4<<3|2, 2, 1<<3, s[4])
		}
		b = append(b, 2<<3|2, byte(len(st)))
		b = append(b, st...)
	}
	return b
}

// TestGlobal_answers: the service's answer decides (OVER_LIMIT names the
// limit and its reset, OK reports the least remaining and the service's
// own quota in the policy); anything else is a failure, which
// failure_mode decides and the log line spaces out.
func TestGlobal_answers(t *testing.T) {
	c := NewCompiler(nil)
	plan := c.Route([]config.RateLimit{
		{Name: "a", Key: config.Key{Kind: config.KeyRoute}, Limit: 10, Window: time.Minute, Global: true},
		{Name: "b", Key: config.Key{Kind: config.KeyRoute}, Limit: 5, Window: time.Minute, Global: true},
	})
	svc := &config.RateLimitService{Cluster: "rls", Domain: "d", Timeout: 20 * time.Millisecond}
	g := NewGlobal(svc)
	if g.TimeoutMs != 20 || g.Service != "rls" {
		t.Errorf("call: %+v", g)
	}
	if msg := g.Message(plan, func(*GlobalLimit) uint64 { return 0xab }); !strings.Contains(string(msg), "00000000000000ab") {
		t.Errorf("message %q lacks the hashed value", msg)
	}
	now := int64(1_800_000_010e9)
	var st GlobalState
	rep := Report{Policy: plan.Policy}
	metric, failure := g.Answer(&st, plan, rlsAnswer(2, [5]uint8{1, 10, 2, 4, 0}, [5]uint8{2, 7, 2, 0, 9}), true, now, &rep)
	d, open := g.Apply(&st, plan, rep.Policy)
	if failure != "" || metric != plan.Global[1].Metric || open || d.Reason != problem.ReasonGlobalRateLimited ||
		headerValue(d.Headers, "retry-after") != "9" || !strings.Contains(rep.Policy, `"b";q=7;w=60`) {
		t.Errorf("over limit: %q %q %+v %+v", metric, failure, d, rep)
	}
	st, rep = GlobalState{}, Report{Policy: plan.Policy, Current: `"local";r=3;t=1`, Remaining: 3}
	if _, failure := g.Answer(&st, plan, rlsAnswer(1, [5]uint8{1, 10, 2, 2, 0}, [5]uint8{1, 5, 2, 4, 0}), true, now, &rep); failure != "" {
		t.Fatal(failure)
	}
	if d, _ := g.Apply(&st, plan, rep.Policy); d.Reason != "" || rep.Current != `"a";r=2;t=50` || rep.Remaining != 2 {
		t.Errorf("ok: %+v %+v", d, rep)
	}
	for _, bad := range [][]byte{nil, {0xff}, rlsAnswer(0)} {
		st = GlobalState{}
		if _, failure := g.Answer(&st, plan, bad, bad != nil, now, &rep); failure == "" {
			t.Errorf("answer %x: no failure", bad)
		}
	}
	if line := g.Failure(&st, "x", now); !strings.Contains(line, `failure_mode deny; 1 failed calls`) {
		t.Errorf("first failure line %q", line)
	}
	if line := g.Failure(&st, "x", now+1e9); line != "" {
		t.Errorf("failure within a minute logged: %q", line)
	}
	if d, open := g.Apply(&st, plan, ""); open || d.Reason != problem.ReasonRateLimitServiceUnavailable || len(d.Headers) != 1 {
		t.Errorf("failure, deny: %+v", d)
	}
	svc.FailureMode = config.FailureAllow
	if d, open := g.Apply(&st, plan, ""); !open || d.Reason != "" {
		t.Errorf("failure, allow: %+v", d)
	}
	if NewGlobal(nil).Svc != nil || string(GlobalSeed("d", "")) == string(GlobalSeed("d", "s")) {
		t.Error("seeds")
	}
}

// TestRuntime_lockout: failures of a key lock it out once they reach the
// limit; CheckLockout then says locked with failed_auth's 429, other keys
// pass, and an unreadable lockout refuses as unavailable.
func TestRuntime_lockout(t *testing.T) {
	c := NewCompiler(&config.FailedAuthLimit{Key: config.Key{Kind: config.KeyIP}, Limit: 2, Window: time.Minute})
	store := NewMemStore()
	rt := NewRuntime(store, "", 64, c.Slots(), nil, c.Failed, nil)
	now := int64(1_800_000_000e9)
	if d, locked := rt.CheckLockout(now, 1, c.Failed.Policy); locked || d.Reason != "" {
		t.Fatalf("fresh key: %+v %v", d, locked)
	}
	for i := 0; i < 2; i++ {
		rt.Lockout.Fail(rt.Store, now, 1)
	}
	d, locked := rt.CheckLockout(now, 1, c.Failed.Policy)
	if !locked || d.Reason != problem.ReasonFailedAuthLocked || headerValue(d.Headers, "ratelimit-policy") != c.Failed.Policy ||
		!strings.HasPrefix(headerValue(d.Headers, "ratelimit"), `"failed_auth";r=0;t=`) {
		t.Errorf("locked key: %+v %v", d, locked)
	}
	if _, locked := rt.CheckLockout(now, 2, c.Failed.Policy); locked {
		t.Error("another key locked")
	}
	rt.Store = brokenStore{}
	if d, locked := rt.CheckLockout(now, 1, ""); locked || d.Reason != problem.ReasonRateLimitUnavailable {
		t.Errorf("unreadable: %+v", d)
	}
}

// brokenStore is shared data that fails every call.
type brokenStore struct{}

func (brokenStore) Get(string) ([]byte, uint32, Status) { return nil, 0, Failed }
func (brokenStore) Set(string, []byte, uint32) Status   { return Failed }
