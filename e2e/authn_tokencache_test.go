package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
)

// The verified-token cache (issue 15 §2): keyed by provider, the token
// itself and the generation of the key that verified it, bounded per
// worker by token_cache.

func cacheConfig(t testing.TB, tokenCache string) string {
	tc := ""
	if tokenCache != "" {
		tc = `"token_cache": ` + tokenCache + `,`
	}
	return `{` + tc + `
  "providers": {"idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["ES256", "RS256"],
                        "jwks": ` + jwksOf(t, "ec256", "rsa-a") + `}},
  "routes": [{"name": "a", "match": {"prefix": "/a"}, "auth": {"providers": ["idp"]}}]
}`
}

// cacheTok mints a distinct valid ES256 token (n tells them apart; pad
// lengthens it).
func cacheTok(t testing.TB, n int, pad int) string {
	extra := map[string]any{"jti": "t" + strconv.Itoa(n)}
	if pad > 0 {
		extra["pad"] = strings.Repeat("p", pad)
	}
	return mint(t, "ec256", "ES256", claimsAt(host.DefaultStart, idpIssuer, extra))
}

// counts are the cache hits and fresh verifications so far.
func counts(t testing.TB, e *host.Envoy) (hits, fresh int64) {
	return metricOrZero(t, e, "apiguard.auth.cache_hit"),
		metricOrZero(t, e, "apiguard.auth.verified_by_host") + metricOrZero(t, e, "apiguard.auth.verified_by_module")
}

func send(t *testing.T, e *host.Envoy, tok string) {
	t.Helper()
	r := roundTrip(e.Worker(0), exchange{req: getWith("/a", bearer(tok))})
	if r.Downstream.Status != 200 {
		t.Fatalf("status %d (%s)", r.Downstream.Status, r.Downstream.LocalReply)
	}
}

// TestAuthnTokenCache_bounds: max_entries and max_bytes bound the cache (CLOCK
// evicts the entry not used since the hand passed), tokens over 4 KiB are
// never cached, and 0 turns the cache off.
func TestAuthnTokenCache_bounds(t *testing.T) {
	a, b, c := cacheTok(t, 1, 0), cacheTok(t, 2, 0), cacheTok(t, 3, 0)
	big := cacheTok(t, 4, 4000)
	near := cacheTok(t, 5, 2700)
	if len(big) <= 4096 || len(near) > 4096 {
		t.Fatalf("token lengths %d and %d", len(big), len(near))
	}
	oneEntry := strconv.Itoa(2*len(a) + 1024 + len(a)) // one entry fits, two do not
	steps := []struct {
		name, cache string
		toks        []string
		hits, fresh int64
	}{
		// a, b cached; a hit; c evicts b (a was used); b again is fresh.
		{"max_entries", `{"max_entries": 2}`, []string{a, b, a, c, b}, 1, 4},
		{"max_bytes", `{"max_entries": 100, "max_bytes": ` + oneEntry + `}`, []string{a, b, a, b}, 0, 4},
		{"tokens over 4 KiB", "", []string{big, big, near, near}, 1, 3},
		{"max_entries 0", `{"max_entries": 0}`, []string{a, a, a}, 0, 3},
		{"max_bytes 0", `{"max_bytes": 0}`, []string{a, a}, 0, 2},
		{"defaults", "", []string{a, b, c, a, b, c}, 3, 3},
	}
	each(t, func(t *testing.T, g guest) {
		for _, s := range steps {
			t.Run(s.name, func(t *testing.T) {
				e := start(t, g, cacheConfig(t, s.cache))
				for _, tok := range s.toks {
					send(t, e, tok)
				}
				if hits, fresh := counts(t, e); hits != s.hits || fresh != s.fresh {
					t.Errorf("cache hits %d, fresh verifications %d; want %d, %d", hits, fresh, s.hits, s.fresh)
				}
			})
		}
	})
}

// TestAuthnTokenCache_flood: a flood of distinct tokens past max_entries only
// evicts: a token in use keeps being served from the cache throughout, and
// every request is answered.
func TestAuthnTokenCache_flood(t *testing.T) {
	hot := cacheTok(t, 0, 0)
	flood := make([]string, 400)
	for i := range flood {
		flood[i] = cacheTok(t, 1000+i, 0)
	}
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, cacheConfig(t, `{"max_entries": 32}`))
		send(t, e, hot)
		repeats := int64(0)
		for i, tok := range flood {
			send(t, e, tok)
			if i%4 == 0 {
				send(t, e, hot)
				repeats++
			}
		}
		hits, fresh := counts(t, e)
		if hits < repeats-1 || fresh > int64(len(flood))+2 {
			t.Errorf("%d hits of %d repeats of the token in use, %d fresh verifications", hits, repeats, fresh)
		}
	})
}

// TestAuthnTokenCache_keyGenerations: a JWKS refresh that keeps a key keeps the
// tokens it verified in the cache; one that removes the key revokes its
// cached tokens at once.
func TestAuthnTokenCache_keyGenerations(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		srv := &jwksServer{}
		srv.set(200, jwksOf(t, "rsa-a", "rsa-b"), false)
		e := startRemote(t, g, srv)
		e.Advance(100 * time.Millisecond)
		tokA, tokB := remoteToken(t, "rsa-a"), remoteToken(t, "rsa-b")
		vm := e.Worker(0)
		for _, tok := range []string{tokA, tokB, tokA, tokB} {
			if d := finish(openReq(vm, "/r", tok)); d.Status != 200 {
				t.Fatalf("status %d (%s)", d.Status, d.LocalReply)
			}
		}
		if hits, _ := counts(t, e); hits != 2 {
			t.Fatalf("cache hits %d, want 2", hits)
		}
		// The refresh drops rsa-a and keeps rsa-b.
		srv.set(200, jwksOf(t, "rsa-b", "ec256"), false)
		e.Advance(600 * time.Second)
		if n := srv.count(); n != 2 {
			t.Fatalf("%d fetches, want 2", n)
		}
		if d := finish(openReq(vm, "/r", tokB)); d.Status != 200 {
			t.Fatalf("kept key: status %d (%s)", d.Status, d.LocalReply)
		}
		if hits, _ := counts(t, e); hits != 3 {
			t.Errorf("the kept key's token missed the cache (hits %d, want 3)", hits)
		}
		s := openReq(vm, "/r", tokA)
		e.Advance(100 * time.Millisecond)
		if d := finish(s); d.Status != 401 || d.LocalReply != "apiguard_"+string(problem.ReasonTokenUnknownKey) {
			t.Fatalf("removed key: status %d (%s)", d.Status, d.LocalReply)
		}
		if hits, _ := counts(t, e); hits != 3 {
			t.Errorf("the removed key's token was served from the cache (hits %d)", hits)
		}
	})
}

// TestAuthnTokenCache_timesOnHit: a hit re-checks exp with the clock skew: the
// cached token passes until exp plus the skew, then is refused as expired.
func TestAuthnTokenCache_timesOnHit(t *testing.T) {
	now := host.DefaultStart
	tok := mint(t, "ec256", "ES256", claimsAt(now, idpIssuer, map[string]any{"exp": now.Unix() + 120}))
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, cacheConfig(t, "")) // clock_skew_seconds 60
		send(t, e, tok)
		e.Advance(179 * time.Second)
		send(t, e, tok)
		if hits, fresh := counts(t, e); hits != 1 || fresh != 1 {
			t.Fatalf("hits %d, fresh %d", hits, fresh)
		}
		e.Advance(time.Second)
		check(t, e, invalid("expired while cached", getWith("/a", bearer(tok)), problem.ReasonTokenExpired),
			roundTrip(e.Worker(0), exchange{req: getWith("/a", bearer(tok))}))
	})
}

// memoConfig has claims rules on routes on both sides of the 64 routes a
// cached token remembers its claim-rule results for (/a and /d have bits,
// /b and /e are past them) and two claims headers.
func memoConfig(t testing.TB) string {
	rule := func(name, prefix, scope string) string {
		return `{"name": "` + name + `", "match": {"prefix": "` + prefix + `"}, "auth": {"providers": ["idp"], "claims": [{"claim": "scope", "contains": ["` + scope + `"]}]}},`
	}
	routes := rule("a", "/a", "orders:read") + rule("d", "/d", "admin")
	for i := range 62 {
		routes += rule("f"+strconv.Itoa(i), "/f"+strconv.Itoa(i), "admin")
	}
	routes += rule("b", "/b", "admin") + rule("e", "/e", "orders:read")
	return `{"providers": {"idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["ES256"],
                        "jwks": ` + jwksOf(t, "ec256") + `, "claims_to_headers": {"sub": "x-user-id", "tenant": "x-tenant-id"}}},
  "routes": [` + routes + `
    {"name": "c", "match": {"prefix": "/c"}, "auth": {"providers": ["idp"]}}]
}`
}

// TestAuthnTokenCache_memoPerRoute: a cached token keeps its claims_to_headers
// values and which routes' claim rules it satisfies, and every hit answers
// as a fresh verification would: each route its own rules (in any order,
// within and past the 64 remembered routes), the same headers upstream,
// and a claims header unsafe to forward refused on every hit.
func TestAuthnTokenCache_memoPerRoute(t *testing.T) {
	now := host.DefaultStart
	tok := mint(t, "ec256", "ES256", claimsAt(now, idpIssuer, map[string]any{"scope": "orders:read", "tenant": "t1"}))
	unsafe := mint(t, "ec256", "ES256", claimsAt(now, idpIssuer, map[string]any{"tenant": "t\u0001x"}))
	up := map[string]string{"x-user-id": "alice", "x-tenant-id": "t1", "authorization": ""}
	ok := func(path string) exchange {
		return exchange{name: path + " allowed", req: getWith(path, bearer(tok)), want: 200, upHeaders: up}
	}
	no := func(path string) exchange {
		return exchange{name: path + " refused", req: getWith(path, bearer(tok)), want: 403, reason: problem.ReasonClaimsNotSatisfied}
	}
	bad := exchange{name: "unsafe claims header", req: getWith("/c", bearer(unsafe)), want: 401, reason: problem.ReasonClaimHeaderUnsafe}
	cases := []exchange{ok("/a"), no("/d"), ok("/a"), no("/d"), no("/b"), ok("/e"), no("/b"), ok("/e"), no("/f7"), ok("/c"), ok("/a"), bad, bad, bad}
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, memoConfig(t))
		runTable(t, e, cases)
		if hits, fresh := counts(t, e); hits != 12 || fresh != 2 {
			t.Errorf("cache hits %d, fresh verifications %d; want 12 and 2", hits, fresh)
		}
	})
}
