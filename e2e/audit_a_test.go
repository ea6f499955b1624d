package e2e

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Audit of issues 2, 3 and 8 against DESIGN.md: behaviours the suite did
// not pin down yet, each natively and through the .wasm.

// auditEdgeAuthConfig: a browser route that needs a token, with cors and
// deprecation, so one table shows preflights needing no credential, the
// actual request still authenticated, and the route's headers on every
// response, refusals included.
func auditEdgeAuthConfig(t testing.TB) string {
	return `{
  "providers": {
    "idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["EdDSA"],
            "jwks": ` + jwksOf(t, "ed") + `}
  },
  "routes": [
    {"name": "orders", "match": {"path": "/orders/{id}", "methods": ["GET", "POST"]},
     "cors": {"allow_origins": ["https://app.example.com"], "allow_methods": ["GET", "POST"],
              "allow_headers": ["authorization"], "allow_credentials": true},
     "deprecation": {"since": "2026-06-01T00:00:00Z", "sunset": "2027-06-01T00:00:00Z",
                     "link": "https://docs.example.com/migrate"},
     "auth": {"providers": ["idp"], "owner": [{"param": "id", "claim": "sub"}]}}
  ]
}`
}

// TestAuditA_PreflightNeedsNoCredential: issue 8, "preflights never need
// credentials, and everything else on the route still applies to the
// actual request"; DESIGN.md deprecation headers "on every response of the
// route" and Vary: Origin on every response of a cors route, refusals
// included.
func TestAuditA_PreflightNeedsNoCredential(t *testing.T) {
	now := host.DefaultStart
	tok := bearer(mint(t, "ed", "EdDSA", claimsAt(now, idpIssuer, nil)))
	const (
		dep    = "@1780272000"
		sunset = "Tue, 01 Jun 2027 00:00:00 GMT"
		link   = `<https://docs.example.com/migrate>; rel="deprecation"`
	)
	route := map[string]string{"deprecation": dep, "sunset": sunset, "link": link,
		"access-control-allow-origin": appOrig, "access-control-allow-credentials": "true"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range route {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	get := func(path string, h ...proxy.Pair) host.Request {
		return host.Request{Path: path, Headers: append(headers("origin", appOrig), h...)}
	}
	vary := map[string][]string{"vary": {"Origin"}}
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, auditEdgeAuthConfig(t))
		runEdgeTable(t, e, []edgeCase{
			{exchange: exchange{name: "preflight without a credential", req: opts("/orders/alice", appOrig, "POST", "authorization"), want: 204,
				headers: with(map[string]string{"access-control-allow-methods": "GET, POST", "www-authenticate": ""})}, all: vary},
			{exchange: exchange{name: "actual request without a credential", req: get("/orders/alice"), want: 401,
				reason: problem.ReasonCredentialMissing, headers: with(chMissing)}, all: vary},
			{exchange: exchange{name: "actual request with a bad token", req: get("/orders/alice", bearer("a.b.c")...), want: 401,
				reason: problem.ReasonTokenMalformed, headers: with(chInvalid)}, all: vary},
			{exchange: exchange{name: "actual request for another's object", req: get("/orders/bob", tok...), want: 403,
				reason: problem.ReasonOwnerMismatch, headers: with(chScope)}, all: vary},
			{exchange: exchange{name: "actual request allowed", req: get("/orders/alice", tok...), want: 200,
				headers: route}, upstream: true, all: vary},
		})
	})
}

// TestAuditA_EarlyRefetchOncePerMinute: issue 3, "early refetch on an
// unknown kid at most once a minute": within the minute an unknown kid is
// refused at once without a fetch; once the minute passed, the next
// unknown kid triggers a refetch again (and is refused when the set still
// lacks it).
func TestAuditA_EarlyRefetchOncePerMinute(t *testing.T) {
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

// TestAuditA_BodyOwnerWithinCap: issue 3, body_owner "needs the body:
// hold the request until the body is complete, within the route's cap".
// A body in many chunks is judged whole, and reaches upstream whole; a
// body over the route's cap is refused with 413 whether it declares its
// length or not.
func TestAuditA_BodyOwnerWithinCap(t *testing.T) {
	now := host.DefaultStart
	tok := bearer(mint(t, "ed", "EdDSA", claimsAt(now, idpIssuer, nil)))
	conf := `{
  "providers": {"idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["EdDSA"],
                        "jwks": ` + jwksOf(t, "ed") + `}},
  "routes": [{"name": "orders", "match": {"path": "/orders", "methods": ["POST"]},
              "request": {"max_body_bytes": 64},
              "auth": {"providers": ["idp"], "body_owner": [{"field": "customer_id", "claim": "sub"}]}}]
}`
	own := `{"customer_id":"alice","note":"` + strings.Repeat("x", 20) + `"}`
	other := `{"note":"` + strings.Repeat("x", 20) + `","customer_id":"bob"}`
	big := `{"customer_id":"alice","note":"` + strings.Repeat("x", 60) + `"}`
	post := func(body string, chunk int, h ...proxy.Pair) host.Request {
		return host.Request{Method: "POST", Path: "/orders", Headers: append(append([]proxy.Pair{}, tok...), h...),
			Body: []byte(body), ChunkSize: chunk}
	}
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, conf)
		for _, c := range []struct {
			name string
			req  host.Request
			want int
		}{
			{"own id in 3-byte chunks", post(own, 3), 200},
			{"another id in 3-byte chunks, the field last", post(other, 3), 403},
			{"over the cap in chunks", post(big, 7), 413},
			{"over the cap, declared", post(big, 0, proxy.Pair{Key: "content-length", Value: itoa(int64(len(big)))}), 413},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := roundTrip(e.Worker(0), exchange{req: c.req})
				if r.Downstream.Status != c.want {
					t.Fatalf("status %d (%s), want %d", r.Downstream.Status, r.Downstream.LocalReply, c.want)
				}
				if c.want == 200 && string(r.Upstream.Body) != own {
					t.Errorf("upstream body %q, want the whole body", r.Upstream.Body)
				}
				if c.want != 200 && r.UpstreamCalled {
					t.Errorf("a refused request reached upstream")
				}
			})
		}
	})
}

// TestAuditA_CacheKeyedByProvider: DESIGN.md Guarantees, "the
// verified-token cache is keyed by provider": a token verified (and
// cached) by one provider gains nothing from the cache at another provider
// of the same issuer and keys but other audiences.
func TestAuditA_CacheKeyedByProvider(t *testing.T) {
	now := host.DefaultStart
	conf := `{
  "providers": {
    "a": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["ES256"], "jwks": ` + jwksOf(t, "ec256") + `},
    "b": {"issuer": "` + idpIssuer + `", "audiences": ["billing-api"], "algorithms": ["ES256"], "jwks": ` + jwksOf(t, "ec256") + `}
  },
  "routes": [{"name": "a", "match": {"prefix": "/a"}, "auth": {"providers": ["a"]}},
             {"name": "b", "match": {"prefix": "/b"}, "auth": {"providers": ["b"]}}]
}`
	tok := bearer(mint(t, "ec256", "ES256", claimsAt(now, idpIssuer, nil)))
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, conf)
		runTable(t, e, []exchange{
			{name: "provider a verifies and caches", req: getWith("/a", tok), want: 200},
			{name: "provider a from the cache", req: getWith("/a", tok), want: 200},
			invalid("provider b is not served a's cache entry", getWith("/b", tok), problem.ReasonTokenWrongAudience),
			invalid("nor the second time", getWith("/b", tok), problem.ReasonTokenWrongAudience),
		})
		if got := metric(t, e, "apiguard.auth.cache_hit"); got != 1 {
			t.Errorf("cache_hit = %d, want 1", got)
		}
	})
}

// TestAuditA_OversizeTokenRefused: DESIGN.md Guarantees, "tokens over
// 8 KiB are refused unread": a correctly signed token of 9 KiB is refused
// on a token-only route and on a route where the same header may also
// carry an API key.
func TestAuditA_OversizeTokenRefused(t *testing.T) {
	now := host.DefaultStart
	big := mint(t, "ed", "EdDSA", claimsAt(now, idpIssuer, map[string]any{"pad": strings.Repeat("p", 9<<10)}))
	if len(big) <= 8<<10 {
		t.Fatalf("token of %d bytes", len(big))
	}
	small := mint(t, "ed", "EdDSA", claimsAt(now, idpIssuer, nil))
	sum := sha256.Sum256([]byte("a-key"))
	conf := `{
  "providers": {
    "idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["EdDSA"], "jwks": ` + jwksOf(t, "ed") + `},
    "keys": {"api_keys": {"keys": [{"id": "k", "sha256": "` + hex.EncodeToString(sum[:]) + `"}]}}
  },
  "routes": [{"name": "t", "match": {"prefix": "/t"}, "auth": {"providers": ["idp"]}},
             {"name": "mixed", "match": {"prefix": "/mixed"}, "auth": {"providers": ["idp", "keys"]}}]
}`
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, conf)
		runTable(t, e, []exchange{
			{name: "control: small token", req: getWith("/t", bearer(small)), want: 200},
			{name: "control: small token on the mixed route", req: getWith("/mixed", bearer(small)), want: 200},
			invalid("9 KiB signed token", getWith("/t", bearer(big)), problem.ReasonTokenTooLarge),
			{name: "9 KiB signed token on the mixed route", req: getWith("/mixed", bearer(big)), want: 401, headers: chInvalid},
		})
	})
}

// TestAuditA_APIKeyUsageBounded: issue 8, "a per-key-id usage counter
// (bounded by the number of configured keys)": unknown keys define no
// counter of their own.
func TestAuditA_APIKeyUsageBounded(t *testing.T) {
	sum := sha256.Sum256([]byte("good-key"))
	conf := `{
  "providers": {"keys": {"api_keys": {"from": [{"header": "x-api-key"}],
    "keys": [{"id": "k1", "sha256": "` + hex.EncodeToString(sum[:]) + `"}]}}},
  "routes": [{"name": "api", "match": {"prefix": "/"}, "auth": {"providers": ["keys"]}}]
}`
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, conf)
		vm := e.Worker(0)
		for i := range 20 {
			roundTrip(vm, exchange{req: getWith("/x", headers("x-api-key", "guess-"+itoa(int64(i))))})
		}
		roundTrip(vm, exchange{req: getWith("/x", headers("x-api-key", "good-key"))})
		var keyMetrics []string
		for name := range e.Metrics() {
			if strings.Contains(name, "apiguard.apikey.") {
				keyMetrics = append(keyMetrics, name)
			}
		}
		if len(keyMetrics) != 1 || keyMetrics[0] != "wasmcustom.apiguard.apikey.k1.used" {
			t.Errorf("API key metrics %v, want only wasmcustom.apiguard.apikey.k1.used", keyMetrics)
		}
		if got := metric(t, e, "apiguard.denied."+string(problem.ReasonAPIKeyUnknown)); got != 20 {
			t.Errorf("denied.%s = %d, want 20", problem.ReasonAPIKeyUnknown, got)
		}
	})
}

// TestAuditA_ConfigRefused: configuration errors of issues 3 and 8, in
// both runs, each naming its JSON path in the one log line.
func TestAuditA_ConfigRefused(t *testing.T) {
	jwt := func(fields string) string {
		return `{"providers": {"idp": {"issuer": "https://i/", "algorithms": ["RS256"]` + fields + `}}, "default": {}}`
	}
	keys := func(sha string) string {
		return `{"providers": {"k": {"api_keys": {"keys": [{"id": "a", "sha256": "` + sha + `"}]}}}, "default": {}}`
	}
	rsa := func(t testing.TB) string { return jwksOf(t, "rsa-a") }
	cases := []struct{ name, config, want string }{
		{"sha256 too short", keys(strings.Repeat("a", 63)), `providers.k.api_keys.keys[0].sha256: `},
		{"sha256 not hex", keys(strings.Repeat("g", 64)), `providers.k.api_keys.keys[0].sha256: `},
		{"sha256 holds a key in clear", keys("my-secret-api-key"), `providers.k.api_keys.keys[0].sha256: `},
		{"audiences empty", jwt(`, "audiences": [], "jwks": ` + rsa(t)), `providers.idp.audiences: must not be empty`},
		{"audiences missing", jwt(`, "jwks": ` + rsa(t)), `providers.idp: missing required field "audiences"`},
		{"jwks and remote_jwks", jwt(`, "audiences": ["a"], "jwks": ` + rsa(t) + `, "remote_jwks": {"cluster": "c", "path": "/j"}`), `providers.idp.remote_jwks: `},
		{"neither jwks nor remote_jwks", jwt(`, "audiences": ["a"]`), `providers.idp: `},
		{"algorithm none", `{"providers": {"idp": {"issuer": "https://i/", "algorithms": ["none"], "audiences": ["a"], "jwks": ` + rsa(t) + `}}, "default": {}}`,
			`providers.idp.algorithms[0]: `},
		{"weak RSA key inline", jwt(`, "audiences": ["a"], "jwks": {"keys": [{"kty": "RSA", "n": "` + strings.Repeat("A", 171) + `", "e": "AQAB"}]}`), `providers.idp.jwks.keys[0].n: RSA modulus under 2048 bits`},
		{"short HMAC key inline", `{"providers": {"h": {"issuer": "https://h/", "audiences": ["a"], "algorithms": ["HS256"],
			"jwks": {"keys": [{"kty": "oct", "k": "` + strings.Repeat("A", 20) + `"}]}}}, "default": {}}`, `providers.h.jwks.keys[0].k: HMAC key shorter than 32 bytes`},
		{"inline JWKS without keys", jwt(`, "audiences": ["a"], "jwks": {"kys": []}`), `providers.idp.jwks: missing required field "keys"`},
		{"query source forbidden on its route", `{"providers": {"q": {"issuer": "https://q/", "audiences": ["a"], "algorithms": ["RS256"],
			"jwks": ` + rsa(t) + `, "from": [{"query": "access_token"}]}},
			"routes": [{"name": "r", "match": {"prefix": "/"}, "auth": {"providers": ["q"]},
			            "request": {"forbid_query_params": ["access_token"]}}]}`, `routes[0].request.forbid_query_params[0]: `},
		{"unknown provider on a route", `{"routes": [{"name": "r", "match": {"prefix": "/"}, "auth": {"providers": ["nope"]}}]}`, `routes[0].auth.providers[0]: `},
		{"claims any_of not strings", `{"providers": {"q": {"issuer": "https://q/", "audiences": ["a"], "algorithms": ["RS256"], "jwks": ` + rsa(t) + `}},
			"routes": [{"name": "r", "match": {"prefix": "/"}, "auth": {"providers": ["q"], "claims": [{"claim": "x", "any_of": [1]}]}}]}`,
			`routes[0].auth.claims[0].any_of[0]: `},
		{"owner param not in the template", `{"providers": {"q": {"issuer": "https://q/", "audiences": ["a"], "algorithms": ["RS256"], "jwks": ` + rsa(t) + `}},
			"routes": [{"name": "r", "match": {"path": "/u/{id}"}, "auth": {"providers": ["q"], "owner": [{"param": "uid", "claim": "sub"}]}}]}`,
			`routes[0].auth.owner[0].param: `},
		{"api key expires not a time", `{"providers": {"k": {"api_keys": {"keys": [{"id": "a", "sha256": "` + strings.Repeat("a", 64) + `", "expires": "tomorrow"}]}}}, "default": {}}`,
			`providers.k.api_keys.keys[0].expires: `},
	}
	each(t, func(t *testing.T, g guest) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := newEnvoy(g, c.config)
				if err == nil {
					t.Fatalf("plugin started with %s", c.config)
				}
				if !strings.Contains(err.Error(), "apiguard: config: "+c.want) {
					t.Errorf("error %q does not name %q", err, c.want)
				}
				if strings.Contains(err.Error(), "my-secret-api-key") {
					t.Errorf("error echoes the configured value: %q", err)
				}
			})
		}
	})
}

// TestAuditA_SignatureStrictness: DESIGN.md Guarantees through the whole
// filter: a PS256 signature whose PSS salt is not the hash size, a
// signature whose base64url has non-canonical trailing bits, and an HMAC
// key shorter than the hash of the algorithm asked for are all refused,
// beside controls that pass.
func TestAuditA_SignatureStrictness(t *testing.T) {
	now := host.DefaultStart
	valid := mustJSON(t, claimsAt(now, idpIssuer, nil))
	pss := func(salt int) func([]byte) []byte {
		key := authKey(t, "rsa-a").Key.(*rsa.PrivateKey)
		return func(in []byte) []byte {
			d := sha256.Sum256(in)
			sig, err := rsa.SignPSS(rand.Reader, key, crypto.SHA256, d[:], &rsa.PSSOptions{SaltLength: salt})
			if err != nil {
				t.Fatal(err)
			}
			return sig
		}
	}
	// The EdDSA signature is 64 bytes: its 86 base64url characters carry
	// 4 bits that must be zero.
	ed := mint(t, "ed", "EdDSA", claimsAt(now, idpIssuer, nil))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, ed[len(ed)-1])
	if last&0xF != 0 {
		t.Fatalf("signature's last character %q has trailing bits set", ed[len(ed)-1])
	}
	nonCanonical := ed[:len(ed)-1] + string(alphabet[last|1])
	secret := make([]byte, 32)
	for i := range secret {
		secret[i] = byte(i + 1)
	}
	hmacWith := func(alg string) string {
		h := map[string]func() hash.Hash{"HS256": sha256.New, "HS512": sha512.New}[alg]
		return craft(`{"alg":"`+alg+`","typ":"JWT"}`, mustJSON(t, claimsAt(now, hmacIssuer, nil)), func(in []byte) []byte {
			m := hmac.New(h, secret)
			m.Write(in)
			return m.Sum(nil)
		})
	}
	conf := `{
  "providers": {
    "idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["PS256", "EdDSA"],
            "jwks": ` + jwksOf(t, "rsa-a", "ed") + `},
    "hs": {"issuer": "` + hmacIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["HS256", "HS512"],
           "jwks": {"keys": [{"kty": "oct", "k": "` + base64.RawURLEncoding.EncodeToString(secret) + `"}]}}
  },
  "routes": [{"name": "t", "match": {"prefix": "/t"}, "auth": {"providers": ["idp"]}},
             {"name": "h", "match": {"prefix": "/h"}, "auth": {"providers": ["hs"]}}]
}`
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, conf)
		runTable(t, e, []exchange{
			{name: "PS256 with the hash-size salt", req: getWith("/t", bearer(craft(`{"alg":"PS256","kid":"rsa-a"}`, valid, pss(32)))), want: 200},
			invalid("PS256 with salt 0", getWith("/t", bearer(craft(`{"alg":"PS256","kid":"rsa-a"}`, valid, pss(0)))), problem.ReasonTokenBadSignature),
			invalid("PS256 with salt 20", getWith("/t", bearer(craft(`{"alg":"PS256","kid":"rsa-a"}`, valid, pss(20)))), problem.ReasonTokenBadSignature),
			{name: "EdDSA canonical", req: getWith("/t", bearer(ed)), want: 200},
			invalid("EdDSA with non-canonical trailing bits", getWith("/t", bearer(nonCanonical)), problem.ReasonTokenMalformed),
			{name: "HS256 with a 32-byte key", req: getWith("/h", bearer(hmacWith("HS256"))), want: 200},
			{name: "HS512 with a 32-byte key is refused", req: getWith("/h", bearer(hmacWith("HS512"))), want: 401, headers: chInvalid},
		})
	})
}

// TestAuditA_APIKeyClaimsAndSources: issue 8, key claims drive body_owner
// exactly as a token's do, and a key read from a query parameter never
// reaches upstream.
func TestAuditA_APIKeyClaimsAndSources(t *testing.T) {
	h := func(k string) string { s := sha256.Sum256([]byte(k)); return hex.EncodeToString(s[:]) }
	conf := `{
  "providers": {
    "partners": {"api_keys": {"from": [{"header": "x-api-key"}], "keys": [
      {"id": "acme", "sha256": "` + h("acme-key") + `", "claims": {"sub": "acme"}}]}},
    "qkeys": {"api_keys": {"from": [{"query": "api_key"}], "keys": [
      {"id": "q", "sha256": "` + h("query-key") + `", "claims": {"sub": "q"}}]}}
  },
  "routes": [
    {"name": "orders", "match": {"path": "/orders", "methods": ["POST"]},
     "auth": {"providers": ["partners"], "body_owner": [{"field": "customer_id", "claim": "sub"}]}},
    {"name": "q", "match": {"prefix": "/q"}, "auth": {"providers": ["qkeys"]}}
  ]
}`
	post := func(body string) host.Request {
		return host.Request{Method: "POST", Path: "/orders", Headers: headers("x-api-key", "acme-key"), Body: []byte(body)}
	}
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, conf)
		runTable(t, e, []exchange{
			{name: "body_owner holds for the key's sub", req: post(`{"customer_id":"acme"}`), want: 200,
				upHeaders: map[string]string{"x-api-key": ""}},
			scope("body_owner fails for another customer", post(`{"customer_id":"globex"}`), problem.ReasonBodyOwnerMismatch),
			{name: "query key removed from the path", req: getWith("/q/x?a=1&api_key=query-key&b=2", nil), want: 200,
				upHeaders: map[string]string{":path": "/q/x?a=1&b=2"}},
			invalid("unknown query key", getWith("/q/x?api_key=nope", nil), problem.ReasonAPIKeyUnknown),
		})
	})
}

// TestAuditA_DenyLogPerWorker: DESIGN.md Observability, "at most 100 such
// lines a second per worker": each worker has its own budget.
func TestAuditA_DenyLogPerWorker(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, routesConfig, workers(2))
		for i := range 2 {
			for range 120 {
				e.Worker(i).RoundTrip(host.Request{Path: "/nope"}, nil)
			}
		}
		per := map[int]int{}
		for _, l := range e.LogsContaining("apiguard: deny route=") {
			per[l.VM]++
		}
		if per[0] != 100 || per[1] != 100 {
			t.Errorf("deny lines per worker %v, want 100 each", per)
		}
	})
}

// TestAuditA_RemoteSetValidated: issue 3, "key sets validated when
// loaded", as issue 13 refined it: an RSA key under 2048 bits in a fetched
// set is skipped, counted and logged, never used, while the rest of the
// set serves (before issue 13 the whole set was refused and every request
// got 503). Tokens signed by the weak key are refused, with or without its
// kid.
func TestAuditA_RemoteSetValidated(t *testing.T) {
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	weakJWK := `{"kty":"RSA","kid":"weak","use":"sig","n":"` + base64.RawURLEncoding.EncodeToString(weak.N.Bytes()) + `","e":"AQAB"}`
	set := strings.TrimSuffix(jwksOf(t, "rsa-a"), "]}") + "," + weakJWK + "]}"
	signWeak := func(in []byte) []byte {
		d := sha256.Sum256(in)
		sig, err := rsa.SignPKCS1v15(nil, weak, crypto.SHA256, d[:])
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	claims := mustJSON(t, claimsAt(host.DefaultStart, remoteIssuer, nil))
	each(t, func(t *testing.T, g guest) {
		srv := &jwksServer{}
		srv.set(200, set, false)
		e := startRemote(t, g, srv)
		s := openReq(e.Worker(0), "/r", remoteToken(t, "rsa-a"))
		e.Advance(100 * time.Millisecond)
		if d := finish(s); d.Status != 200 {
			t.Fatalf("the good key beside a weak one: status %d (%s)\n%s", d.Status, d.LocalReply, logText(e))
		}
		for _, c := range []struct {
			header string
			reason problem.Reason
		}{
			{`{"alg":"RS256","kid":"weak"}`, problem.ReasonTokenUnknownKey},
			{`{"alg":"RS256"}`, problem.ReasonTokenBadSignature},
		} {
			s := openReq(e.Worker(1), "/r", craft(c.header, claims, signWeak))
			e.Advance(remoteTimeout)
			if d := finish(s); d.Status != 401 || d.LocalReply != "apiguard_"+string(c.reason) {
				t.Errorf("token of the weak key, header %s: status %d (%s), want 401 %s", c.header, d.Status, d.LocalReply, c.reason)
			}
		}
		if got := metric(t, e, "apiguard.jwks.remote.keys_skipped"); got < 1 {
			t.Errorf("keys_skipped = %d", got)
		}
		if got := metric(t, e, "apiguard.jwks.remote.fetch_failed"); got != 0 {
			t.Errorf("fetch_failed = %d for a set with one weak key", got)
		}
		if len(e.LogsContaining(`keys[1].n kid "weak": RSA modulus under 2048 bits`)) == 0 {
			t.Errorf("the load line does not say which key was skipped and why:\n%s", logText(e))
		}
	})
}
