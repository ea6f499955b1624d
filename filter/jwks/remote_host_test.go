package jwks

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/filter/config"
)

// fakeHost is a Host over memStore: a settable clock, the fetches asked
// for (answered by the test), the log and the counters.
type fakeHost struct {
	*memStore
	now     int64
	refuse  string // Fetch's notSent
	fetches []fetchCall
	logs    []string
	counts  map[string]int64
	settled int
}

type fetchCall struct {
	cluster, authority, path, accept string
	then                             func(Answer)
}

func newFakeHost(store *memStore) *fakeHost {
	return &fakeHost{memStore: store, now: 1_800_000_000e9, counts: map[string]int64{}}
}

func (h *fakeHost) Now() int64 { return h.now }
func (h *fakeHost) Fetch(cluster, authority, path, accept string, _ time.Duration, then func(Answer)) string {
	if h.refuse != "" {
		return h.refuse
	}
	h.fetches = append(h.fetches, fetchCall{cluster, authority, path, accept, then})
	return ""
}
func (h *fakeHost) Log(_ bool, line string)      { h.logs = append(h.logs, line) }
func (h *fakeHost) Count(metric string, n int64) { h.counts[metric] += n }
func (h *fakeHost) Settled()                     { h.settled++ }

// answer answers the last fetch with body, or with why it failed.
func (h *fakeHost) answer(body, why string) {
	f := h.fetches[len(h.fetches)-1]
	f.then(func(int) ([]byte, string) { return []byte(body), why })
}

func ecJWKS(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b := func(n []byte) string { return base64.RawURLEncoding.EncodeToString(n) }
	x, y := make([]byte, 32), make([]byte, 32)
	k.X.FillBytes(x)
	k.Y.FillBytes(y)
	return `{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","use":"sig","alg":"ES256","x":"` + b(x) + `","y":"` + b(y) + `"}]}`
}

// TestRemote_fetchShareFail: the first tick fetches (one worker: the
// lock), a good answer is published, installed, counted and logged, and
// settles the waiters; another worker loads it from shared data without
// fetching. A failed fetch backs off, counts, logs what still serves and
// settles too; a call the host refuses is a failed fetch.
func TestRemote_fetchShareFail(t *testing.T) {
	cfg := &config.RemoteJWKS{Cluster: "idp", Authority: "idp.example", Path: "/jwks", Timeout: time.Second, Refresh: time.Hour, MaxStale: time.Hour}
	store := newMemStore()
	h1, h2 := newFakeHost(store), newFakeHost(store)
	ns := Namespace("", "apiguard")
	vm1, vm2 := NewRemote(ns, "idp", "https://idp.example", 1, cfg), NewRemote(ns, "idp", "https://idp.example", 2, cfg)

	vm1.Tick(h1, h1.now)
	vm2.Tick(h2, h2.now)
	if len(h1.fetches) != 1 || len(h2.fetches) != 0 {
		t.Fatalf("fetches: %d and %d, want one worker fetching", len(h1.fetches), len(h2.fetches))
	}
	if f := h1.fetches[0]; f.cluster != "idp" || f.authority != "idp.example" || f.path != "/jwks" || !strings.Contains(f.accept, "jwk-set+json") {
		t.Errorf("fetch %+v", f)
	}
	vm1.Tick(h1, h1.now) // in flight: no second fetch
	h1.answer(ecJWKS(t), "")
	if vm1.Keys() == nil || vm1.Keys().Len() != 1 || h1.counts["apiguard.jwks.idp.fetch_ok"] != 1 || h1.settled != 1 ||
		!strings.Contains(h1.logs[len(h1.logs)-1], "jwks idp: loaded 1 keys") || vm1.NextFetch() != h1.now+int64(time.Hour) {
		t.Fatalf("after the answer: keys %v, counts %v, settled %d, logs %q", vm1.Keys(), h1.counts, h1.settled, h1.logs)
	}
	vm2.Tick(h2, h2.now)
	if vm2.Keys() == nil || len(h2.fetches) != 0 {
		t.Fatal("the other worker did not load the shared set")
	}
	if vm2.Stale(h2.now+int64(time.Hour)) || !vm2.Stale(h2.now+int64(time.Hour)+1) {
		t.Error("max_stale_seconds")
	}

	// Due again: a failure keeps the set and backs off.
	h1.now += int64(time.Hour)
	vm1.Tick(h1, h1.now)
	h1.answer("", "status 500")
	if h1.counts["apiguard.jwks.idp.fetch_failed"] != 1 || h1.settled != 2 || vm1.Keys() == nil ||
		!strings.Contains(h1.logs[len(h1.logs)-1], "fetch failed: status 500; keeping the last good set") {
		t.Fatalf("after a failure: %v %d %q", h1.counts, h1.settled, h1.logs)
	}
	if vm1.NextFetch() != h1.now+int64(time.Second) {
		t.Errorf("backoff: next fetch %d, want a second later", vm1.NextFetch()-h1.now)
	}
	h1.now += int64(time.Second)
	h1.refuse = "BadArgument"
	vm1.Tick(h1, h1.now)
	if !strings.Contains(strings.Join(h1.logs, "\n"), `http call to cluster "idp" not sent: BadArgument; the last good set is older`) || h1.counts["apiguard.jwks.idp.fetch_failed"] != 2 {
		t.Errorf("refused call: %q", h1.logs)
	}
	// The last good set went stale past max_stale_seconds: logged once.
	h1.now += int64(time.Second)
	vm1.Tick(h1, h1.now)
	stale := 0
	for _, l := range h1.logs {
		if strings.Contains(l, "is older than max_stale_seconds (3600)") {
			stale++
		}
	}
	if stale != 1 {
		t.Errorf("stale logged %d times: %q", stale, h1.logs)
	}
}

// TestRemote_discovery: a discovery document leads to its jwks_uri on the
// configured authority; one elsewhere is a failed fetch saying what to
// configure.
func TestRemote_discovery(t *testing.T) {
	cfg := &config.RemoteJWKS{Cluster: "idp", Authority: "idp.example", Path: "/.well-known/openid-configuration",
		Timeout: time.Second, Refresh: time.Hour, MaxStale: time.Hour, Discovery: true}
	h := newFakeHost(newMemStore())
	rk := NewRemote(Namespace("", "apiguard"), "idp", "https://idp.example", 1, cfg)
	rk.Tick(h, h.now)
	h.answer(`{"issuer":"https://idp.example","jwks_uri":"https://idp.example/keys"}`, "")
	if len(h.fetches) != 2 || h.fetches[1].path != "/keys" || h.fetches[1].cluster != "idp" {
		t.Fatalf("fetches %+v, logs %q", h.fetches, h.logs)
	}
	h.answer("", "no response (reset or timeout)")
	if !strings.Contains(h.logs[len(h.logs)-1], `jwks_uri "https://idp.example/keys": no response`) {
		t.Errorf("log %q", h.logs)
	}
	h.now += int64(time.Hour)
	rk.Tick(h, h.now)
	h.answer(`{"issuer":"https://idp.example","jwks_uri":"https://other.example/keys"}`, "")
	if len(h.fetches) != 3 || !strings.Contains(h.logs[len(h.logs)-1], "not on authority") {
		t.Errorf("foreign jwks_uri: %d fetches, log %q", len(h.fetches), h.logs)
	}
}
