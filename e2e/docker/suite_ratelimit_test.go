package docker

import (
	"regexp"
	"strconv"
	"testing"
)

var (
	rateLimitPolicy = regexp.MustCompile(`^"shared";q=5;w=3600$`)
	rateLimitState  = regexp.MustCompile(`^"shared";r=(\d+);t=(\d+)$`)
)

// testFleetLimit: /fleet allows 3 requests an hour across the fleet,
// decided by the rate limit service: the fourth and fifth get 429.
func testFleetLimit(t *testing.T, tg *target) {
	for i := 1; i <= 5; i++ {
		x := do(t, newRequest(t, "GET", tg.base+"/fleet", nil), true)
		want := 200
		if i > 3 {
			want = 429
		}
		if x.resp.StatusCode != want {
			t.Fatalf("request %d: status %d, want %d; body %s", i, x.resp.StatusCode, want, x.body)
		}
		if want == 429 {
			checkProblem(t, tg, x, 429)
			if x.resp.Header.Get("Retry-After") == "" {
				t.Errorf("request %d: 429 without Retry-After", i)
			}
		}
	}
	if n, _ := tg.metric("wasmcustom.apiguard.denied.global_rate_limited"); n != 2 {
		t.Errorf("denied.global_rate_limited = %d, want 2", n)
	}
}

// testSharedRateLimit: /limited allows 5 requests an hour for the whole
// route. Each request opens its own connection, so Envoy's two workers both
// take some; one bucket in shared data means exactly 5 are admitted in all
// (two per-worker buckets would admit up to 10).
func testSharedRateLimit(t *testing.T, tg *target) {
	var before map[string]int64
	if tg.workers != nil {
		var err error
		if before, err = tg.workers(); err != nil {
			t.Fatal(err)
		}
	}
	admitted, refused := 0, 0
	send := func() {
		x := do(t, newRequest(t, "GET", tg.base+"/limited", nil), true)
		policy := x.resp.Header.Get("RateLimit-Policy")
		if !rateLimitPolicy.MatchString(policy) {
			t.Errorf("RateLimit-Policy %q", policy)
		}
		state := rateLimitState.FindStringSubmatch(x.resp.Header.Get("RateLimit"))
		if state == nil {
			t.Fatalf("RateLimit %q", x.resp.Header.Get("RateLimit"))
		}
		switch x.resp.StatusCode {
		case 200:
			admitted++
		case 429:
			refused++
			checkProblem(t, tg, x, 429)
			ra, err := strconv.Atoi(x.resp.Header.Get("Retry-After"))
			if err != nil || ra < 1 || state[1] != "0" || state[2] != strconv.Itoa(ra) {
				t.Errorf("Retry-After %q with RateLimit %q", x.resp.Header.Get("Retry-After"), state[0])
			}
		default:
			t.Fatalf("status %d: %s", x.resp.StatusCode, x.body)
		}
	}
	for range 12 {
		send()
	}
	if tg.workers != nil {
		// Until both workers have served some of these connections (the
		// kernel spreads them; a handful more is nearly always enough).
		for range 60 {
			after, err := tg.workers()
			if err != nil {
				t.Fatal(err)
			}
			if spread(before, after) {
				break
			}
			send()
		}
		after, _ := tg.workers()
		if !spread(before, after) {
			t.Fatalf("every connection went to one worker (before %v, after %v): the sharing was not exercised", before, after)
		}
		t.Logf("connections per worker: before %v, after %v", before, after)
	}
	if admitted != 5 {
		t.Errorf("%d requests admitted, %d refused; want exactly 5 admitted across the workers", admitted, refused)
	}
	if n, _ := tg.metric("wasmcustom.apiguard.rate_limited.shared"); n != int64(refused) {
		t.Errorf("rate_limited.shared = %d, want %d", n, refused)
	}
}

// spread reports whether at least two workers accepted connections between
// the two samples.
func spread(before, after map[string]int64) bool {
	moved := 0
	for w, n := range after {
		if n > before[w] {
			moved++
		}
	}
	return moved >= 2
}
