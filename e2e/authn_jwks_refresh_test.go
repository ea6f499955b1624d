package e2e

// Refreshing remote key sets under attack: a shared fetch state from the
// future, failing refreshes, storms of unknown kids, rotation at an issuer
// that two providers share. Each runs natively and on the .wasm module.

import (
	"encoding/binary"
	"encoding/hex"
	"hash/fnv"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
)

// remoteStateKey is the shared-data key of remoteConfig's fetch state
// (the plugin's layout: a hash of cluster, authority and path).
func remoteStateKey() string {
	h := fnv.New64a()
	h.Write([]byte("idp\x00idp.example.com\x00/.well-known/jwks.json"))
	return "apiguard/jwks2/remote/" + hex.EncodeToString(h.Sum(nil)) + "/state"
}

// jwksStateBytes encodes a fetch state as the plugin lays it out:
// version, next fetch, lock expiry, lock owner, last early refetch (all
// little-endian 64-bit), failures (32-bit), early flag.
func jwksStateBytes(version uint64, nextFetch, lockUntil int64, owner uint64, earlyAt int64, early bool) []byte {
	b := make([]byte, 48)
	binary.LittleEndian.PutUint64(b[0:], version)
	binary.LittleEndian.PutUint64(b[8:], uint64(nextFetch))
	binary.LittleEndian.PutUint64(b[16:], uint64(lockUntil))
	binary.LittleEndian.PutUint64(b[24:], owner)
	binary.LittleEndian.PutUint64(b[32:], uint64(earlyAt))
	if early {
		b[44] = 1
	}
	return b
}

// TestAuthnJWKS_stateFromTheFuture: a fetch state whose times lie far
// ahead of now, as a wall clock that stepped back leaves it (or another
// writer in the vm_id namespace), must not postpone fetching beyond what
// the plugin itself would schedule: a held lock expires within
// timeout_ms plus slack, the next fetch is at most refresh_seconds away,
// and an unknown kid still gets its early refetch.
func TestAuthnJWKS_stateFromTheFuture(t *testing.T) {
	const ahead = 10 * time.Hour
	each(t, func(t *testing.T, g guest) {
		t.Run("before the first fetch", func(t *testing.T) {
			srv := &jwksServer{}
			srv.set(200, jwksOf(t, "rsa-a"), false)
			e := startRemote(t, g, srv)
			now := e.Clock().Now().UnixNano()
			future := now + int64(ahead)
			e.PutSharedData(remoteStateKey(), jwksStateBytes(0, future, future, 7, future, false))
			s := openReq(e.Worker(0), "/r", remoteToken(t, "rsa-a"))
			e.Advance(2 * time.Second) // past the lock's longest legitimate life
			if d := finish(s); d.Status != 200 {
				t.Fatalf("status %d (%s), %d fetches: a state from the future blocks fetching\n%s",
					d.Status, d.LocalReply, srv.count(), logText(e))
			}
		})
		t.Run("rotation", func(t *testing.T) {
			srv := &jwksServer{}
			srv.set(200, jwksOf(t, "rsa-a"), false)
			e := startRemote(t, g, srv)
			e.Advance(100 * time.Millisecond)
			if d := finish(openReq(e.Worker(0), "/r", remoteToken(t, "rsa-a"))); d.Status != 200 {
				t.Fatalf("status %d", d.Status)
			}
			v, _, ok := e.SharedData(remoteStateKey())
			if !ok || len(v) != 48 {
				t.Fatalf("state %x", v)
			}
			version := binary.LittleEndian.Uint64(v)
			now := e.Clock().Now().UnixNano()
			future := now + int64(ahead)
			e.PutSharedData(remoteStateKey(), jwksStateBytes(version, future, future, 7, future, false))
			srv.set(200, jwksOf(t, "rsa-a", "rsa-b"), false)
			// The early refetch is due at once; the stale lock expires
			// well within the wait for the rotated key... or at the
			// latest within a refresh period.
			s := openReq(e.Worker(1), "/r", remoteToken(t, "rsa-b"))
			e.Advance(100 * time.Millisecond)
			if d := finish(s); d.Status == 200 {
				return
			}
			e.Advance(600 * time.Second)
			if d := finish(openReq(e.Worker(0), "/r", remoteToken(t, "rsa-b"))); d.Status != 200 || srv.count() < 2 {
				t.Fatalf("after refresh_seconds: status %d (%s), %d fetches: a state from the future blocks refreshing",
					d.Status, d.LocalReply, srv.count())
			}
		})
	})
}

// TestAuthnJWKS_badRefreshKeepsGoodSet: no failing answer to a refresh
// replaces the set being served, and each is counted as a failure: 500,
// reset, timeout (an endpoint that never answers), a body over the size
// cap, more keys than the cap, invalid JSON, duplicate JSON members, no
// "keys" array. (A JWKS whose keys are all unusable, empty, oct only or
// private, is an answer, not a failure: it replaces the set, see
// TestAuthnJWKS_emptySetReplaces; several keys under one kid are tried each.)
func TestAuthnJWKS_badRefreshKeepsGoodSet(t *testing.T) {
	good := jwksOf(t, "rsa-a")
	rsaB := strings.TrimSuffix(strings.TrimPrefix(jwksOf(t, "rsa-b"), `{"keys":[`), `]}`)
	many := `{"keys":[` + strings.TrimSuffix(strings.Repeat(rsaB+",", 257), ",") + `]}`
	huge := `{"keys":[` + rsaB + `],"pad":"` + strings.Repeat("x", 1<<20) + `"}`
	bad := []struct {
		name   string
		status int
		body   string
		reset  bool
		hang   bool
	}{
		{"500", 500, jwksOf(t, "rsa-b"), false, false},
		{"reset", 0, "", true, false},
		{"never answers", 200, jwksOf(t, "rsa-b"), false, true},
		{"over 1 MiB", 200, huge, false, false},
		{"257 keys", 200, many, false, false},
		{"not json", 200, `{"keys":[`, false, false},
		{"duplicate member", 200, `{"keys":[` + rsaB + `],"keys":[]}`, false, false},
		{"keys not an array", 200, `{"keys":{"0":` + rsaB + `}}`, false, false},
		{"keys missing", 200, `{"key":[` + rsaB + `]}`, false, false},
	}
	each(t, func(t *testing.T, g guest) {
		srv := &jwksServer{}
		srv.set(200, good, false)
		e := startRemote(t, g, srv, manual())
		e.Advance(100 * time.Millisecond)
		e.DeliverCallouts()
		e.Advance(100 * time.Millisecond)
		tok := remoteToken(t, "rsa-a")
		for i := range 2 {
			if d := finish(openReq(e.Worker(i), "/r", tok)); d.Status != 200 {
				t.Fatalf("worker %d: status %d (%s)", i, d.Status, d.LocalReply)
			}
		}
		for n, c := range bad {
			srv.set(c.status, c.body, c.reset)
			// Step to the refresh (the callout stays pending: delivery is
			// manual), then answer it, or let it time out.
			e.Advance(590 * time.Second)
			stepToFetch(t, e, c.name)
			if c.hang {
				e.Advance(remoteTimeout) // the callout times out
			} else {
				e.DeliverCallouts()
			}
			e.Advance(100 * time.Millisecond)
			if got := metric(t, e, "apiguard.jwks.remote.fetch_failed"); got != int64(n+1) {
				t.Errorf("%s: fetch_failed = %d, want %d\n%s", c.name, got, n+1, logText(e))
			}
			for i := range 2 {
				if d := finish(openReq(e.Worker(i), "/r", tok)); d.Status != 200 {
					t.Fatalf("%s: worker %d lost the good set: status %d (%s)", c.name, i, d.Status, d.LocalReply)
				}
			}
			// rsa-b, named by several bad answers, never became usable:
			// its token waits for (or is refused without) a refetch.
			s := openReq(e.Worker(0), "/r", remoteToken(t, "rsa-b"))
			if !waiting(s) {
				if d := s.Downstream(); d.Status != 401 {
					t.Fatalf("%s: rsa-b token: status %d", c.name, d.Status)
				}
			}
			s.Complete()
			// The retry (a second later) brings the good set back.
			srv.set(200, good, false)
			stepToFetch(t, e, c.name+" retry")
			e.DeliverCallouts()
			e.Advance(100 * time.Millisecond)
		}
		if got := metric(t, e, "apiguard.jwks.remote.fetch_ok"); got != int64(len(bad)+1) {
			t.Errorf("fetch_ok = %d, want %d", got, len(bad)+1)
		}
	})
}

// stepToFetch advances in ticks until a worker has a fetch in flight.
func stepToFetch(t *testing.T, e *host.Envoy, what string) {
	t.Helper()
	for range 300 {
		if pendingJWKS(e) {
			return
		}
		e.Advance(100 * time.Millisecond)
	}
	t.Fatalf("%s: no fetch was made", what)
}

// TestAuthnJWKS_unknownKidStorm: tokens with ever new unknown kids, on
// four workers, make at most one early refetch a minute in all; each
// waits at most timeout_ms and is then refused with 401.
func TestAuthnJWKS_unknownKidStorm(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		srv := &jwksServer{}
		srv.set(200, jwksOf(t, "rsa-a"), false)
		e := start(t, g, remoteConfig(), workers(4), func(c *host.Config) {
			c.Clusters = map[string]host.Cluster{"idp": {HTTP: srv.serve}}
		})
		e.Advance(100 * time.Millisecond)
		base := srv.count()
		var open []*host.Stream
		for i := range 200 {
			kid := "attacker-" + itoa(int64(i))
			tok := craft(`{"alg":"RS256","kid":"`+kid+`"}`, mustJSON(t, claimsAt(host.DefaultStart, remoteIssuer, nil)), rs256(t, "rsa-evil"))
			open = append(open, openReq(e.Worker(i%4), "/r", tok))
			if i%20 == 19 {
				e.Advance(3 * time.Second) // 30 s of storm in all
			}
		}
		e.Advance(remoteTimeout + 100*time.Millisecond)
		for i, s := range open {
			if d := finish(s); d.Status != 401 || d.LocalReply != "apiguard_"+string(problem.ReasonTokenUnknownKey) {
				t.Fatalf("token %d: status %d (%s)", i, d.Status, d.LocalReply)
			}
		}
		if n := srv.count() - base; n > 1 {
			t.Errorf("%d refetches within 30 s of unknown kids, want at most 1", n)
		}
	})
}

// pendingJWKS reports a fetch in flight on any worker.
func pendingJWKS(e *host.Envoy) bool {
	for _, vm := range e.Workers() {
		if len(vm.PendingCallouts()) > 0 {
			return true
		}
	}
	return false
}

// sharedIssuerConfig has two remote providers trusting one issuer with
// different audiences (docs/configuration.md, "auth.providers": several providers with one
// issuer are each tried),
// both reading the bearer token of one route.
func sharedIssuerConfig() string {
	provider := func(aud string) string {
		return `{"issuer": "` + remoteIssuer + `", "audiences": ["` + aud + `"], "algorithms": ["RS256"],
               "remote_jwks": {"cluster": "idp", "authority": "idp.example.com", "path": "/.well-known/jwks.json",
                               "timeout_ms": 400, "refresh_seconds": 600}}`
	}
	return `{
  "providers": {"first": ` + provider(audience) + `, "second": ` + provider("billing-api") + `},
  "routes": [{"name": "r", "match": {"prefix": "/r"}, "auth": {"providers": ["first", "second"]}}]
}`
}

// TestAuthnJWKS_sharedIssuerRotation: when two providers share an
// issuer, a token for either one signed with a newly rotated key is
// accepted after the early refetch, whichever provider it belongs to: an
// unknown kid must trigger the refetch of every provider that may accept
// the token, not only of the last one tried.
func TestAuthnJWKS_sharedIssuerRotation(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		srv := &jwksServer{}
		srv.set(200, jwksOf(t, "rsa-a"), false)
		e := start(t, g, sharedIssuerConfig(), workers(2), func(c *host.Config) {
			c.Clusters = map[string]host.Cluster{"idp": {HTTP: srv.serve}}
		})
		e.Advance(100 * time.Millisecond)
		tokFor := func(kid, aud string) string {
			return mint(t, kid, "RS256", claimsAt(host.DefaultStart, remoteIssuer,
				map[string]any{"aud": aud, "exp": host.DefaultStart.Unix() + 7200}))
		}
		for _, aud := range []string{audience, "billing-api"} {
			if d := finish(openReq(e.Worker(0), "/r", tokFor("rsa-a", aud))); d.Status != 200 {
				t.Fatalf("%s before rotation: status %d (%s)", aud, d.Status, d.LocalReply)
			}
		}
		srv.set(200, jwksOf(t, "rsa-a", "rsa-b"), false)
		for _, aud := range []string{audience, "billing-api"} {
			s := openReq(e.Worker(1), "/r", tokFor("rsa-b", aud))
			e.Advance(300 * time.Millisecond)
			if d := finish(s); d.Status != 200 {
				t.Fatalf("%s with the rotated key: status %d (%s)\n%s", aud, d.Status, d.LocalReply, logText(e))
			}
		}
		// Unknown kids still refuse, and never refetch more than once a
		// minute per provider.
		before := srv.count()
		for i := range 5 {
			s := openReq(e.Worker(i%2), "/r", craft(`{"alg":"RS256","kid":"nope-`+itoa(int64(i))+`"}`,
				mustJSON(t, claimsAt(host.DefaultStart, remoteIssuer, nil)), rs256(t, "rsa-evil")))
			e.Advance(remoteTimeout + 100*time.Millisecond)
			if d := finish(s); d.Status != 401 {
				t.Fatalf("unknown kid %d: status %d (%s)", i, d.Status, d.LocalReply)
			}
		}
		if n := srv.count() - before; n > 2 {
			t.Errorf("%d refetches for unknown kids within a minute, want at most one per provider", n)
		}
	})
}
