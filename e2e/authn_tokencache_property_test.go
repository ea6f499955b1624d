package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/proxy"
)

// TestAuthnTokenCache_hitsAnswerAsFresh: over a generated configuration
// (claim routes on both sides of the 64 a cached token remembers, routes
// without claims, report-only, allow_missing, owner and owner-unless
// routes, two providers trusting one issuer with their own
// claims_to_headers, an API-key provider) and a random sequence of
// requests with a few tokens of random claims (some unsafe to forward),
// an Envoy with the verified-token cache answers every request exactly as
// one without it: the same status, refusal reason and headers upstream.
func TestAuthnTokenCache_hitsAnswerAsFresh(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 12))
	cfg, routes := memoPropConfig(t, rng)
	toks, claims := memoPropTokens(t, rng)
	// Half the requests go to a dozen hot routes, from both ends of the
	// list (past the 64th claim route too), so that a token meets a route
	// again after its memo has the route's bit.
	hot := append(slices.Clone(routes[:6]), routes[len(routes)-6:]...)
	reqs := make([]memoReq, 600)
	for i := range reqs {
		if i%2 == 0 {
			reqs[i] = memoPropRequest(rng, hot, toks)
		} else {
			reqs[i] = memoPropRequest(rng, routes, toks)
		}
	}
	each(t, func(t *testing.T, g guest) {
		cached := start(t, g, cfg)
		fresh := start(t, g, strings.Replace(cfg, `{`, `{"token_cache": {"max_entries": 0},`, 1))
		reasons := map[string]int{}
		for i, r := range reqs {
			c := roundTrip(cached.Worker(0), exchange{req: r.req})
			f := roundTrip(fresh.Worker(0), exchange{req: r.req})
			msg := memoPropDiff(c, f)
			if msg == "" {
				msg = memoPropUpstream(r, c)
			}
			if msg != "" {
				what := "no credential"
				if r.tok >= 0 {
					what = "token " + strconv.Itoa(r.tok) + " " + claims[r.tok]
				}
				t.Fatalf("request %d: %s (claim route %d, -1: none) with %s, x-api-key %q: %s",
					i, r.req.Path, r.claimRoute, what, r.apiKey, msg)
			}
			reason := f.Downstream.LocalReply
			if reason == "" {
				reason = strconv.Itoa(f.Downstream.Status)
			}
			if r.claimRoute >= 64 {
				reason += " past 64"
			}
			reasons[reason]++
		}
		hits, _ := counts(t, cached)
		if freshHits, _ := counts(t, fresh); hits < int64(len(reqs))/3 || freshHits != 0 {
			t.Errorf("cache hits: %d with the cache, %d without", hits, freshHits)
		}
		// Every outcome must be reached, or the comparison is vacuous.
		for _, r := range []string{"200", "200 past 64", "apiguard_claims_not_satisfied", "apiguard_claims_not_satisfied past 64",
			"apiguard_claim_header_unsafe", "apiguard_owner_mismatch", "apiguard_token_wrong_audience", "apiguard_credential_missing"} {
			if reasons[r] < 5 {
				t.Errorf("only %d of %d requests answered %s: %v", reasons[r], len(reqs), r, reasons)
			}
		}
	})
}

// memoPropDiff compares what the client and upstream saw for one request.
func memoPropDiff(c, f host.Result) string {
	cd, fd := c.Downstream, f.Downstream
	switch {
	case cd.Status != fd.Status:
		return fmt.Sprintf("status %d with the cache, %d without (%s / %s)", cd.Status, fd.Status, cd.LocalReply, fd.LocalReply)
	case cd.LocalReply != fd.LocalReply:
		return fmt.Sprintf("refusal %q with the cache, %q without", cd.LocalReply, fd.LocalReply)
	case c.UpstreamCalled != f.UpstreamCalled:
		return fmt.Sprintf("upstream called %v with the cache, %v without", c.UpstreamCalled, f.UpstreamCalled)
	case !slices.Equal(c.Upstream.Headers, f.Upstream.Headers):
		return fmt.Sprintf("upstream headers\n  with the cache %q\n  without        %q", c.Upstream.Headers, f.Upstream.Headers)
	}
	return ""
}

// memoPropUpstream checks what upstream saw on its own: no claims header
// the client sent, and no Authorization where an enforcing route verified
// a token.
func memoPropUpstream(r memoReq, c host.Result) string {
	for _, h := range c.Upstream.Headers {
		switch {
		case h.Key == "x-user-id" && h.Value == "mallory":
			return "the client's x-user-id reached upstream"
		case h.Key == "authorization" && r.enforce && r.tok >= 0:
			return "the verified token reached upstream"
		}
	}
	return ""
}

// memoAud2 is the audience of idp2, which trusts idpIssuer too.
const memoAud2 = "orders-api-2"

// memoPropRules are the claim rules a route draws from.
var memoPropRules = []string{
	`{"claim": "scope", "contains": ["a"]}`,
	`{"claim": "scope", "contains": ["a", "b"]}`,
	`{"claim": "scope", "any_of": ["c", "d"]}`,
	`{"claim": "roles", "any_of": ["admin"]}`,
	`{"claim": "roles", "any_of": ["r,x", "user"]}`,
	`{"claim": "roles", "contains": ["user"]}`,
	`{"claim": "email_verified", "equals": true}`,
	`{"claim": "email_verified", "equals": "true"}`,
	`{"claim": "tenant", "equals": "t1"}`,
	`{"claim": "tenant", "any_of": ["t1", "t2"]}`,
	`{"claim": "org.id", "equals": 7}`,
}

var memoPropProviderSets = []string{`"idp"`, `"idp2"`, `"idp", "idp2"`, `"idp2", "idp"`, `"keys", "idp"`, `"idp", "keys"`}

// memoRoute is a generated route: a request path (an owner route's ends
// in "/" and takes a user), its place among the routes with claims rules
// (-1 without; from 64 on, a cached token does not remember its result)
// and whether it enforces.
type memoRoute struct {
	path       string
	claimRoute int
	enforce    bool
}

// memoReq is a generated request to a route: the index of the token it
// carries (-1 for none), or the API key it sends.
type memoReq struct {
	memoRoute
	req    host.Request
	tok    int
	apiKey string
}

// memoPropConfig generates the configuration and its routes.
func memoPropConfig(t testing.TB, rng *rand.Rand) (string, []memoRoute) {
	keyHash := sha256.Sum256([]byte("memo-key"))
	var routes []string
	var paths []memoRoute
	claimRoutes := 0
	for i := 0; claimRoutes < 80 || i < 100; i++ {
		name := "r" + strconv.Itoa(i)
		var auth []string
		auth = append(auth, `"providers": [`+memoPropProviderSets[rng.IntN(len(memoPropProviderSets))]+`]`)
		claimRoute := -1
		if rng.IntN(5) > 0 {
			claimRoute = claimRoutes
			var rules []string
			for k := 1 + rng.IntN(2); k > 0; k-- {
				rules = append(rules, memoPropRules[rng.IntN(len(memoPropRules))])
			}
			auth = append(auth, `"claims": [`+strings.Join(rules, ", ")+`]`)
			claimRoutes++
		}
		if rng.IntN(8) == 0 {
			auth = append(auth, `"allow_missing": true`)
		}
		match, path := `{"prefix": "/`+name+`"}`, "/"+name
		switch rng.IntN(8) {
		case 0:
			match, path = `{"path": "/`+name+`/{u}"}`, "/"+name+"/"
			auth = append(auth, `"owner": [{"param": "u", "claim": "sub"}]`)
		case 1:
			match, path = `{"path": "/`+name+`/{u}"}`, "/"+name+"/"
			auth = append(auth, `"owner": [{"param": "u", "claim": "sub", "unless": {"claim": "roles", "any_of": ["admin"]}}]`)
		}
		enforce := ""
		if rng.IntN(8) == 0 {
			enforce = `"enforce": false, `
		}
		rt := memoRoute{path, claimRoute, enforce == ""}
		if claimRoute < 0 && rng.IntN(3) == 0 {
			routes = append(routes, `{"name": "`+name+`", "match": `+match+`}`)
		} else {
			routes = append(routes, `{"name": "`+name+`", "match": `+match+`, `+enforce+`"auth": {`+strings.Join(auth, ", ")+`}}`)
		}
		paths = append(paths, rt)
	}
	jwks := jwksOf(t, "ec256", "ed")
	return `{
  "providers": {
    "idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["ES256", "EdDSA"], "jwks": ` + jwks + `,
            "claims_to_headers": {"sub": "x-user-id", "tenant": "x-tenant-id", "roles": "x-roles"}},
    "idp2": {"issuer": "` + idpIssuer + `", "audiences": ["` + memoAud2 + `"], "algorithms": ["ES256", "EdDSA"], "jwks": ` + jwks + `,
            "claims_to_headers": {"sub": "x-subject", "scope": "x-scope", "email_verified": "x-email-verified"}},
    "keys": {"api_keys": {"from": [{"header": "x-api-key"}], "keys": [
        {"id": "k1", "sha256": "` + hex.EncodeToString(keyHash[:]) + `", "claims": {"sub": "alice", "scope": "a b", "roles": ["user"], "tenant": "t1"}}]},
      "claims_to_headers": {"sub": "x-partner-id"}}
  },
  "routes": [
    ` + strings.Join(routes, ",\n    ") + `
  ]
}`, paths
}

// memoPropTokens mints tokens of random claims: audiences of one or both
// providers, scopes, roles (an element with a comma is unsafe in a
// header), email_verified of either type, tenants (one with a control
// character), and one with another issuer; and their claims, to show.
func memoPropTokens(t testing.TB, rng *rand.Rand) (toks, shown []string) {
	pick := func(list ...any) any { return list[rng.IntN(len(list))] }
	for i := range 10 {
		c := map[string]any{
			"jti": "m" + strconv.Itoa(i),
			"sub": pick("alice", "bob", "alice", nil),
			"aud": pick(audience, memoAud2, []string{audience, memoAud2}, []string{memoAud2, audience}),
		}
		var scope []string
		for _, s := range []string{"a", "b", "c", "d"} {
			if rng.IntN(2) == 0 {
				scope = append(scope, s)
			}
		}
		if len(scope) > 0 || rng.IntN(2) == 0 {
			c["scope"] = strings.Join(scope, " ")
		}
		var roles []string
		for _, r := range []string{"admin", "user", "r,x"} {
			if rng.IntN(4) == 0 {
				roles = append(roles, r)
			}
		}
		if len(roles) > 0 || rng.IntN(2) == 0 {
			c["roles"] = roles
		}
		if v := pick(true, false, "true", nil); v != nil {
			c["email_verified"] = v
		}
		if v := pick("t1", "t2", "t3", "t1", "t2", "t\u0001x", nil); v != nil {
			c["tenant"] = v
		}
		if rng.IntN(3) == 0 {
			c["org"] = map[string]any{"id": pick(7, 8, "7")}
		}
		if i == 9 {
			c["iss"] = "https://elsewhere.example.com/"
		}
		claims := claimsAt(host.DefaultStart, idpIssuer, c)
		b, err := json.Marshal(claims)
		if err != nil {
			t.Fatal(err)
		}
		shown = append(shown, string(b))
		kid, alg := "ec256", "ES256"
		if rng.IntN(2) == 0 {
			kid, alg = "ed", "EdDSA"
		}
		toks = append(toks, mint(t, kid, alg, claims))
	}
	return toks, shown
}

// memoPropRequest picks a route and a credential: mostly one of the
// tokens (so most are used again and again), sometimes the API key or
// nothing.
func memoPropRequest(rng *rand.Rand, routes []memoRoute, toks []string) memoReq {
	r := memoReq{memoRoute: routes[rng.IntN(len(routes))], tok: -1}
	path := r.path
	if strings.HasSuffix(path, "/") {
		path += []string{"alice", "bob"}[rng.IntN(2)]
	}
	var hs []proxy.Pair
	switch n := rng.IntN(12); {
	case n < 10:
		r.tok = rng.IntN(len(toks))
		hs = bearer(toks[r.tok])
	case n == 10:
		r.apiKey = []string{"memo-key", "wrong-key"}[rng.IntN(2)]
		hs = headers("x-api-key", r.apiKey)
	}
	// A client's own copy of a claims header, which never reaches upstream.
	if rng.IntN(4) == 0 {
		hs = append(hs, proxy.Pair{Key: "x-user-id", Value: "mallory"})
	}
	r.req = getWith(path, hs)
	return r
}
