package authn

import (
	"sync"
	"testing"

	"github.com/apiguard/apiguard/filter/route"
)

// memoTestConfig: two routes whose claims rules a token of hsToken (sub
// "s") satisfies and does not, one without rules, and a claims header.
func memoTestConfig() string {
	return `{
  "providers": {"ja": {"issuer": "ia", "audiences": ["a"], "algorithms": ["HS256"], "jwks": ` + testJWKS + `,
                       "claims_to_headers": {"sub": "x-user-id"}}},
  "routes": [
    {"name": "s", "match": {"prefix": "/s"}, "auth": {"providers": ["ja"], "claims": [{"claim": "sub", "any_of": ["s"]}]}},
    {"name": "x", "match": {"prefix": "/x"}, "auth": {"providers": ["ja"], "claims": [{"claim": "sub", "any_of": ["x"]}]}},
    {"name": "n", "match": {"prefix": "/n"}, "auth": {"providers": ["ja"]}}
  ]
}`
}

// TestTokenMemo_hitsAnswerAsFresh: verified fresh, then served by the
// cache again and again, a token gets the same verdicts on every route
// (claims that hold, claims that do not, no claims) and the same claims
// header; the memo is built on the first hit, not on the verification.
func TestTokenMemo_hitsAnswerAsFresh(t *testing.T) {
	au := compiled(t, memoTestConfig())
	tok := hsToken(t, "ia", "a")
	env := &verifyEnv{now: 1_800_000_000e9}
	for i, c := range []struct {
		route int
		want  int
	}{{0, 200}, {1, 403}, {2, 200}, {1, 403}, {0, 200}, {2, 200}, {0, 200}, {1, 403}} {
		rt := au.Routes[c.route]
		a := &State{}
		a.Extract(rt, request("/", "authorization", "Bearer "+tok))
		o := a.Verify(rt, env)
		if !o.Pass() {
			t.Fatalf("request %d: %v", i, o.Verdict)
		}
		got := 200
		if v := a.Authorize(rt, o.Claims, "", route.Params{}); !v.Pass() {
			got = v.Status
		}
		if got != c.want {
			t.Errorf("request %d, route %d: %d, want %d", i, c.route, got, c.want)
		}
		if len(a.Headers) != 1 || a.Headers[0].Key != "x-user-id" || a.Headers[0].Value != "s" {
			t.Errorf("request %d: claims headers %v", i, a.Headers)
		}
		if hit := a.memo != nil; hit != (i > 0) {
			t.Errorf("request %d: memo used %v", i, hit)
		}
	}
	// The memo decided routes 0 and 1 (their bits known, 0's passing);
	// route 2 has no rules and no bit.
	m := memoOf(au.Providers["ja"], env.cache["ja "+tok])
	b0, b1 := au.Routes[0].ruleBit, au.Routes[1].ruleBit
	if b0 == 0 || b1 == 0 || b0 == b1 || au.Routes[2].ruleBit != 0 {
		t.Fatalf("rule bits %#x, %#x, %#x", b0, b1, au.Routes[2].ruleBit)
	}
	if m.known.Load() != b0|b1 || m.pass.Load() != b0 {
		t.Errorf("memo known %#x, pass %#x; want %#x, %#x", m.known.Load(), m.pass.Load(), b0|b1, b0)
	}
}

// TestTokenMemo_concurrentHits: many streams serving one cached token at
// once (natively, workers share nothing, but a Cache is safe for
// concurrent use and so is what it holds) build one memo and agree; run
// with -race (make race).
func TestTokenMemo_concurrentHits(t *testing.T) {
	au := compiled(t, memoTestConfig())
	tok := hsToken(t, "ia", "a")
	env := &verifyEnv{now: 1_800_000_000e9}
	first := &State{}
	first.Extract(au.Routes[0], request("/", "authorization", "Bearer "+tok))
	if o := first.Verify(au.Routes[0], env); !o.Pass() {
		t.Fatal(o.Verdict)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 16 {
		wg.Go(func() {
			for i := range 20 {
				r := (g + i) % 2
				a := &State{}
				a.Extract(au.Routes[r], request("/", "authorization", "Bearer "+tok))
				o := a.Verify(au.Routes[r], env)
				if v := a.Authorize(au.Routes[r], o.Claims, "", route.Params{}); v.Pass() != (r == 0) || a.memo == nil {
					errs <- "route " + string(rune('0'+r)) + " decided wrongly"
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
