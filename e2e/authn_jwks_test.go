package e2e

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
)

// Remote key sets (remote_jwks): the fetch on the first tick, one fetch
// shared by the workers, failures that fail closed, the last good set on
// error, rotation and the early refetch on an unknown kid, and bodies held
// while the keys arrive.

// jwksServer is the identity provider's JWKS endpoint behind cluster "idp".
type jwksServer struct {
	mu     sync.Mutex
	body   string
	status int
	reset  bool // answer with a connection reset
	calls  int
	last   host.HTTPRequest
}

func (j *jwksServer) set(status int, body string, reset bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.status, j.body, j.reset = status, body, reset
}

func (j *jwksServer) count() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.calls
}

func (j *jwksServer) serve(r host.HTTPRequest) (host.HTTPResponse, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.calls++
	j.last = r
	if j.reset {
		return host.HTTPResponse{}, os.ErrClosed
	}
	return host.HTTPResponse{
		Headers: headers(":status", itoa(int64(j.status)), "content-type", "application/json"),
		Body:    []byte(j.body),
	}, nil
}

const remoteTimeout = 400 * time.Millisecond

func remoteConfig() string {
	return `{
  "providers": {
    "remote": {"issuer": "` + remoteIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["RS256"],
               "remote_jwks": {"cluster": "idp", "authority": "idp.example.com", "path": "/.well-known/jwks.json",
                               "timeout_ms": 400, "refresh_seconds": 600}}
  },
  "routes": [{"name": "rb", "match": {"path": "/rb", "methods": ["POST"]}, "auth": {"providers": ["remote"],
               "body_owner": [{"field": "customer_id", "claim": "sub"}]}},
             {"name": "r", "match": {"prefix": "/r"}, "auth": {"providers": ["remote"]}}]
}`
}

// startRemote starts an Envoy with two workers whose cluster "idp" is srv.
func startRemote(t *testing.T, g guest, srv *jwksServer, opts ...envoyOpt) *host.Envoy {
	t.Helper()
	opts = append(opts, workers(2), func(c *host.Config) {
		c.Clusters = map[string]host.Cluster{"idp": {HTTP: srv.serve}}
	})
	return start(t, g, remoteConfig(), opts...)
}

// openReq sends bodyless request headers and leaves the stream open, so a
// test can watch it wait for keys.
func openReq(vm *host.VM, path, tok string) *host.Stream {
	s := vm.NewStream(host.StreamProps{})
	s.RequestHeaders(headers(":method", "GET", ":scheme", "https", ":authority", "api.example.com", ":path", path,
		"authorization", "Bearer "+tok), true)
	return s
}

func remoteToken(t testing.TB, kid string) string {
	return mint(t, kid, "RS256", claimsAt(host.DefaultStart, remoteIssuer, map[string]any{"exp": host.DefaultStart.Unix() + 7200}))
}

// TestAuthnJWKS_firstRequestWaits: no fetch in configure; the first
// requests (on two workers) wait for the first tick's fetch, which one
// worker makes for both.
func TestAuthnJWKS_firstRequestWaits(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		// A published set may hold keys for other uses; an oct key in a
		// fetched set is never used.
		set := strings.TrimSuffix(jwksOf(t, "rsa-a"), "]}") +
			`,{"kty":"oct","kid":"hs","k":"` + strings.Repeat("A", 43) + `"},` +
			strings.TrimPrefix(strings.Replace(jwksOf(t, "ec256"), `"use":"sig"`, `"use":"enc"`, 1), `{"keys":[`)
		srv := &jwksServer{}
		srv.set(200, set, false)
		e := startRemote(t, g, srv)
		if n := srv.count(); n != 0 {
			t.Fatalf("%d fetches before the first tick", n)
		}
		tok := remoteToken(t, "rsa-a")
		s0, s1 := openReq(e.Worker(0), "/r", tok), openReq(e.Worker(1), "/r", tok)
		if !waiting(s0) || !waiting(s1) {
			t.Fatalf("requests did not wait for keys: %+v / %+v", s0.Downstream(), s1.Downstream())
		}
		e.Advance(100 * time.Millisecond)
		for i, s := range []*host.Stream{s0, s1} {
			if d := finish(s); d.Status != 200 {
				t.Fatalf("worker %d: status %d (%s)\n%s", i, d.Status, d.LocalReply, logText(e))
			}
		}
		if n := srv.count(); n != 1 {
			t.Errorf("%d fetches, want 1 shared by both workers", n)
		}
		if r := srv.last; r.Header(":method") != "GET" || r.Header(":path") != "/.well-known/jwks.json" || r.Header(":authority") != "idp.example.com" {
			t.Errorf("fetch request %+v", r.Headers)
		}
		if got := metric(t, e, "apiguard.jwks.remote.fetch_ok"); got != 1 {
			t.Errorf("fetch_ok = %d", got)
		}
		if len(e.LogsContaining("jwks remote: loaded 1 keys (2 skipped: ")) != 1 {
			t.Errorf("load not logged as 1 key, 2 skipped:\n%s", logText(e))
		}
		hsTok := craft(`{"alg":"HS256","kid":"hs"}`, mustJSON(t, claimsAt(host.DefaultStart, remoteIssuer, nil)), hs256(make([]byte, 32)))
		if d := finish(openReq(e.Worker(0), "/r", hsTok)); d.Status != 401 {
			t.Errorf("token keyed with a fetched oct key: status %d", d.Status)
		}
		for _, k := range e.SharedDataKeys() {
			if strings.Contains(k, "jwks") && !strings.HasPrefix(k, "apiguard/jwks2/remote/") {
				t.Errorf("shared-data key %q not under the plugin's prefix", k)
			}
		}
		// Later requests on either worker pass at once.
		for i := range 2 {
			if d := finish(openReq(e.Worker(i), "/r", tok)); d.Status != 200 {
				t.Errorf("worker %d later request: %d", i, d.Status)
			}
		}
	})
}

// TestAuthnJWKS_sharedFetch: while one worker's fetch is in flight the
// other does not fetch; it picks the keys up from shared data on its tick.
func TestAuthnJWKS_sharedFetch(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		srv := &jwksServer{}
		srv.set(200, jwksOf(t, "rsa-a"), false)
		e := startRemote(t, g, srv, manual())
		s1 := openReq(e.Worker(1), "/r", remoteToken(t, "rsa-a"))
		e.Advance(100 * time.Millisecond)
		// Both workers ticked at the same instant, worker 0 first: it took
		// the fetch lock, so worker 1 made no call of its own.
		p0, p1 := e.Worker(0).PendingCallouts(), e.Worker(1).PendingCallouts()
		if len(p0) != 1 || len(p1) != 0 {
			t.Fatalf("callouts in flight: %d and %d, want 1 and 0", len(p0), len(p1))
		}
		e.DeliverCallouts()
		if !waiting(s1) {
			t.Fatalf("worker 1 resumed before its tick")
		}
		e.Advance(100 * time.Millisecond)
		if d := finish(s1); d.Status != 200 {
			t.Fatalf("status %d (%s)", d.Status, d.LocalReply)
		}
		if n := srv.count(); n != 1 {
			t.Errorf("%d fetches, want 1", n)
		}
	})
}

// TestAuthnJWKS_failureFailsClosed: a failing endpoint makes waiting requests
// fail closed with 503 and Retry-After after timeout_ms; fetches retry
// with backoff and the first good answer serves.
func TestAuthnJWKS_failureFailsClosed(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		srv := &jwksServer{}
		srv.set(0, "", true)
		e := startRemote(t, g, srv)
		tok := remoteToken(t, "rsa-a")
		s := openReq(e.Worker(1), "/r", tok)
		e.Advance(100 * time.Millisecond)
		if !waiting(s) || srv.count() != 1 {
			t.Fatalf("after a failed fetch: waiting %v, fetches %d", waiting(s), srv.count())
		}
		e.Advance(remoteTimeout)
		d := finish(s)
		if d.Status != 503 || d.LocalReply != "apiguard_"+string(problem.ReasonKeysUnavailable) {
			t.Fatalf("status %d (%s), want 503", d.Status, d.LocalReply)
		}
		if ra := d.Header("retry-after"); ra == "" || ra == "0" {
			t.Errorf("Retry-After %q", ra)
		}
		if d.Header("www-authenticate") != "" {
			t.Errorf("503 carries WWW-Authenticate")
		}
		if got := metric(t, e, "apiguard.jwks.remote.fetch_failed"); got < 1 {
			t.Errorf("fetch_failed = %d", got)
		}
		if len(e.LogsContaining("apiguard: jwks remote: fetch failed")) == 0 {
			t.Errorf("no log line for the failed fetch")
		}
		// Bad answers are failures too; none is ever loaded. (A JWKS with
		// no usable key is no failure: see TestAuthnJWKS_emptySetReplaces.)
		for _, bad := range []struct {
			status int
			body   string
		}{
			{500, jwksOf(t, "rsa-a")},
			{200, `{"keys":{}}`},
			{200, `{"kids":[]}`},
			{200, `not json`},
		} {
			srv.set(bad.status, bad.body, false)
			before := srv.count()
			e.Advance(70 * time.Second) // past any backoff
			if srv.count() == before {
				t.Fatalf("no retry after a failure")
			}
			if s := openReq(e.Worker(0), "/r", tok); !waiting(s) {
				t.Fatalf("bad answer %d %q loaded keys: status %d", bad.status, bad.body, s.Downstream().Status)
			} else {
				s.Complete()
			}
		}
		if got := metric(t, e, "apiguard.jwks.remote.fetch_failed"); got < 5 {
			t.Errorf("fetch_failed = %d, want at least 5", got)
		}
		srv.set(200, jwksOf(t, "rsa-a"), false)
		e.Advance(70 * time.Second)
		for i := range 2 {
			if d := finish(openReq(e.Worker(i), "/r", tok)); d.Status != 200 {
				t.Fatalf("worker %d after recovery: status %d (%s)", i, d.Status, d.LocalReply)
			}
		}
	})
}

// TestAuthnJWKS_staleOnError: the last good set keeps serving when a
// refresh fails; refreshes happen every refresh_seconds.
func TestAuthnJWKS_staleOnError(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		srv := &jwksServer{}
		srv.set(200, jwksOf(t, "rsa-a"), false)
		e := startRemote(t, g, srv)
		e.Advance(100 * time.Millisecond)
		tok := remoteToken(t, "rsa-a")
		if d := finish(openReq(e.Worker(0), "/r", tok)); d.Status != 200 {
			t.Fatalf("status %d", d.Status)
		}
		srv.set(500, "", false)
		e.Advance(599 * time.Second)
		if n := srv.count(); n != 1 {
			t.Fatalf("%d fetches before refresh_seconds", n)
		}
		e.Advance(time.Second)
		if n := srv.count(); n != 2 {
			t.Fatalf("%d fetches after refresh_seconds, want 2", n)
		}
		if got := metric(t, e, "apiguard.jwks.remote.fetch_failed"); got != 1 {
			t.Errorf("fetch_failed = %d", got)
		}
		fresh := mint(t, "rsa-a", "RS256", claimsAt(e.Clock().Now(), remoteIssuer, nil))
		for i, tk := range []string{tok, fresh} {
			if d := finish(openReq(e.Worker(i), "/r", tk)); d.Status != 200 {
				t.Fatalf("stale set on worker %d: status %d (%s)", i, d.Status, d.LocalReply)
			}
		}
	})
}

// TestAuthnJWKS_rotation: a token naming a new kid triggers an early
// refetch (at most once a minute) and waits for it; a key removed from the
// set revokes its cached tokens.
func TestAuthnJWKS_rotation(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		srv := &jwksServer{}
		srv.set(200, jwksOf(t, "rsa-a"), false)
		e := startRemote(t, g, srv)
		e.Advance(100 * time.Millisecond)
		tokA := remoteToken(t, "rsa-a")
		if d := finish(openReq(e.Worker(0), "/r", tokA)); d.Status != 200 {
			t.Fatalf("status %d", d.Status)
		}
		// The IdP rotates: rsa-b appears.
		srv.set(200, jwksOf(t, "rsa-a", "rsa-b"), false)
		s := openReq(e.Worker(1), "/r", remoteToken(t, "rsa-b"))
		if !waiting(s) {
			t.Fatalf("new kid did not wait for a refetch: %d %s", s.Downstream().Status, s.Downstream().LocalReply)
		}
		e.Advance(100 * time.Millisecond)
		if d := finish(s); d.Status != 200 {
			t.Fatalf("rotated key: status %d (%s)\n%s", d.Status, d.LocalReply, logText(e))
		}
		if n := srv.count(); n != 2 {
			t.Fatalf("%d fetches, want 2", n)
		}
		// The other worker picked the new set up from shared data.
		if d := finish(openReq(e.Worker(0), "/r", remoteToken(t, "rsa-b"))); d.Status != 200 {
			t.Fatalf("rotated key on the other worker: status %d (%s)", d.Status, d.LocalReply)
		}
		// Another unknown kid within the minute: refused at once, no fetch.
		evil := craft(`{"alg":"RS256","kid":"rsa-evil"}`, mustJSON(t, claimsAt(host.DefaultStart, remoteIssuer, nil)), rs256(t, "rsa-evil"))
		d := finish(openReq(e.Worker(1), "/r", evil))
		if d.Status != 401 || d.LocalReply != "apiguard_"+string(problem.ReasonTokenUnknownKey) || srv.count() != 2 {
			t.Fatalf("unknown kid within a minute: %d %s, fetches %d", d.Status, d.LocalReply, srv.count())
		}
		// rsa-a is retired: its cached tokens stop working once the new
		// set is loaded (the refetch its kid triggers brings no rsa-a).
		srv.set(200, jwksOf(t, "rsa-b"), false)
		e.Advance(600 * time.Second)
		s = openReq(e.Worker(0), "/r", tokA)
		e.Advance(100 * time.Millisecond)
		if d := finish(s); d.Status != 401 || d.LocalReply != "apiguard_"+string(problem.ReasonTokenUnknownKey) {
			t.Fatalf("retired key: status %d (%s)", d.Status, d.LocalReply)
		}
	})
}

// TestAuthnJWKS_earlyRefetchOncePerMinute: issue 3, "early refetch on an
// unknown kid at most once a minute": within the minute an unknown kid is
// refused at once without a fetch; once the minute passed, the next
// unknown kid triggers a refetch again (and is refused when the set still
// lacks it).
func TestAuthnJWKS_earlyRefetchOncePerMinute(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		srv := &jwksServer{}
		srv.set(200, jwksOf(t, "rsa-a"), false)
		e := startRemote(t, g, srv)
		e.Advance(100 * time.Millisecond)
		if n := srv.count(); n != 1 {
			t.Fatalf("%d fetches after the first tick", n)
		}
		unknown := func() host.Downstream {
			s := openReq(e.Worker(0), "/r", remoteToken(t, "rsa-b"))
			e.Advance(100 * time.Millisecond)
			return finish(s)
		}
		refused := func(d host.Downstream) bool {
			return d.Status == 401 && d.LocalReply == "apiguard_"+string(problem.ReasonTokenUnknownKey)
		}
		if d := unknown(); !refused(d) || srv.count() != 2 {
			t.Fatalf("first unknown kid: %d %s, fetches %d (want 401 after one refetch)", d.Status, d.LocalReply, srv.count())
		}
		e.Advance(30 * time.Second)
		if d := unknown(); !refused(d) || srv.count() != 2 {
			t.Fatalf("unknown kid within the minute: %d %s, fetches %d (want 401, no fetch)", d.Status, d.LocalReply, srv.count())
		}
		e.Advance(31 * time.Second)
		srv.set(200, jwksOf(t, "rsa-a", "rsa-b"), false)
		if d := unknown(); d.Status != 200 || srv.count() != 3 {
			t.Fatalf("unknown kid after the minute: %d %s, fetches %d (want 200 after a refetch)", d.Status, d.LocalReply, srv.count())
		}
	})
}

// TestAuthnJWKS_bodyWhileWaiting: a body that arrives while the
// request waits for keys is held, then checked (body_owner) once the keys
// came; nothing reaches upstream before.
func TestAuthnJWKS_bodyWhileWaiting(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		srv := &jwksServer{}
		srv.set(200, jwksOf(t, "rsa-a"), false)
		e := startRemote(t, g, srv)
		tok := remoteToken(t, "rsa-a")
		cases := []struct {
			body string
			want int
		}{{`{"customer_id":"alice"}`, 200}, {`{"customer_id":"bob"}`, 403}}
		streams := make([]*host.Stream, len(cases))
		for i, c := range cases {
			s := e.Worker(0).NewStream(host.StreamProps{})
			s.RequestHeaders(headers(":method", "POST", ":scheme", "https", ":authority", "api.example.com", ":path", "/rb",
				"authorization", "Bearer "+tok, "content-type", "application/json"), false)
			s.RequestBody([]byte(c.body), true)
			if !waiting(s) {
				t.Fatalf("%s: did not wait (status %d)", c.body, s.Downstream().Status)
			}
			streams[i] = s
		}
		e.Advance(100 * time.Millisecond)
		for i, c := range cases {
			s := streams[i]
			if c.want == 200 && string(s.Upstream().Body) != c.body {
				t.Errorf("%s: upstream body %q", c.body, s.Upstream().Body)
			}
			if d := finish(s); d.Status != c.want {
				t.Errorf("%s: status %d (%s), want %d", c.body, d.Status, d.LocalReply, c.want)
			}
			if c.want != 200 && s.Upstream().Headers != nil && !s.Upstream().Reset {
				t.Errorf("%s: refused request reached upstream", c.body)
			}
		}
	})
}
