package e2e

// Fetched key sets that hold keys apiguard cannot use (issue 13, class
// 7): one bad key published by an identity provider is skipped, counted
// and logged, never taking authentication down; a set with no usable key
// still replaces the last good one; a last good set stops serving after
// max_stale_seconds of failing fetches; a kid naming several keys is tried
// against each, at most four. Every case runs natively and on the .wasm.

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
)

// fetchedConfig is a remote provider (cluster "idp", timeout 400 ms,
// refresh 600 s) with extra members in remote_jwks, on route /r.
func fetchedConfig(extra string) string {
	return `{
  "providers": {
    "remote": {"issuer": "` + remoteIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["RS256"],
               "remote_jwks": {"cluster": "idp", "authority": "idp.example.com", "path": "/.well-known/jwks.json",
                               "timeout_ms": 400, "refresh_seconds": 600` + extra + `}}
  },
  "routes": [{"name": "r", "match": {"prefix": "/r"}, "auth": {"providers": ["remote"]}}]
}`
}

// startFetched starts two workers whose cluster "idp" is srv.
func startFetched(t *testing.T, g guest, srv *jwksServer, extra string, opts ...envoyOpt) *host.Envoy {
	t.Helper()
	opts = append(opts, workers(2), func(c *host.Config) {
		c.Clusters = map[string]host.Cluster{"idp": {HTTP: srv.serve}}
	})
	return start(t, g, fetchedConfig(extra), opts...)
}

// pubJWK is the public JWK of a test key under another kid ("" for none),
// with raw members replaced or added ("name": raw JSON).
func pubJWK(t testing.TB, key, kid string, raw map[string]string) string {
	t.Helper()
	k := authKey(t, key)
	pub := k.Public()
	pub.KeyID, pub.Use = kid, "sig"
	b, err := pub.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSuffix(string(b), "}")
	for name, v := range raw {
		if i := strings.Index(s, `"`+name+`":`); i >= 0 {
			end := i + len(name) + 3
			if s[end] == '"' {
				end += strings.IndexByte(s[end+1:], '"') + 2
			}
			s = s[:i] + `"` + name + `":` + v + s[end:]
		} else {
			s += `,"` + name + `":` + v
		}
	}
	return s + "}"
}

func keySet(jwks ...string) string { return `{"keys":[` + strings.Join(jwks, ",") + `]}` }

// oddModulus is an odd RSA modulus of exactly bits bits (not a real key:
// only its size matters to the checks under test).
func oddModulus(bits int) string {
	n := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
	n.SetBit(n, 0, 1)
	n.SetBit(n, bits/2, 1)
	return `"` + b64(string(n.Bytes())) + `"`
}

// kidToken is a valid remote token signed by test key key under header
// kid kid.
func kidToken(t testing.TB, key, kid string) string {
	return craft(`{"alg":"RS256","kid":"`+kid+`","typ":"JWT"}`,
		mustJSON(t, claimsAt(host.DefaultStart, remoteIssuer, map[string]any{"exp": host.DefaultStart.Unix() + 7200})),
		rs256(t, key))
}

// TestJWKSFetched_skipsUnusableKeys: the set (a good RSA-2048 key
// beside a 1024-bit one) serves the good key's tokens; every kind of key
// apiguard cannot use safely is skipped, counted per fetch and logged with
// its kid, never its material; a token naming a skipped key is unknown.
func TestJWKSFetched_skipsUnusableKeys(t *testing.T) {
	weakN := `"` + b64(string(new(big.Int).Rsh(mustModulus(t, "rsa-b"), 1024).Bytes())) + `"`
	ecKey := authKey(t, "ec256").Key.(*ecdsa.PrivateKey)
	offY := new(big.Int).Add(ecKey.Y, big.NewInt(1)).FillBytes(make([]byte, 32))
	offCurve := pubJWK(t, "ec256", "offcurve", map[string]string{"y": `"` + b64(string(offY)) + `"`})
	skipped := []struct{ jwk, logged string }{
		{pubJWK(t, "rsa-b", "weak", map[string]string{"n": weakN}), `keys[1].n kid "weak": RSA modulus under 2048 bits`},
		{pubJWK(t, "rsa-b", "huge", map[string]string{"n": oddModulus(16385)}), `keys[2].n kid "huge": RSA modulus over 16384 bits`},
		{pubJWK(t, "rsa-b", "e3", map[string]string{"e": `"Aw"`}), `keys[3].e kid "e3": RSA exponent must be odd`},
		{pubJWK(t, "rsa-b", "even-e", map[string]string{"e": `"AQAC"`}), `keys[4].e kid "even-e": RSA exponent must be odd`},
		{pubJWK(t, "rsa-b", "big-e", map[string]string{"e": `"AQAAAAE"`}), `keys[5].e kid "big-e": RSA exponent too large`},
		{offCurve, `keys[6] kid "offcurve": EC point is not on the curve P-256`},
		{pubJWK(t, "rsa-b", "enc", map[string]string{"use": `"enc"`}), `keys[7].use kid "enc": use is not sig`},
		{pubJWK(t, "rsa-b", "leaked", map[string]string{"d": `"AQAB"`}), `keys[8].d kid "leaked": private key material`},
		{`{"kty":"oct","kid":"hs","k":"` + strings.Repeat("A", 43) + `"}`, `keys[9] kid "hs": symmetric key`},
		{`{"kty":"EC","kid":"k1","crv":"secp256k1","x":"AA","y":"AA"}`, `keys[10].crv kid "k1": unsupported curve`},
	}
	parts := []string{pubJWK(t, "rsa-a", "rsa-a", nil)}
	for _, s := range skipped {
		parts = append(parts, s.jwk)
	}
	set := keySet(parts...)
	each(t, func(t *testing.T, g guest) {
		srv := &jwksServer{}
		srv.set(200, set, false)
		e := startFetched(t, g, srv, "")
		tok := kidToken(t, "rsa-a", "rsa-a")
		s := openReq(e.Worker(0), "/r", tok)
		e.Advance(100 * time.Millisecond)
		if d := finish(s); d.Status != 200 {
			t.Fatalf("good key beside unusable ones: status %d (%s)\n%s", d.Status, d.LocalReply, logText(e))
		}
		if d := finish(openReq(e.Worker(1), "/r", tok)); d.Status != 200 {
			t.Fatalf("other worker: status %d (%s)", d.Status, d.LocalReply)
		}
		if got := metric(t, e, "apiguard.jwks.remote.keys_skipped"); got != int64(len(skipped)) {
			t.Errorf("keys_skipped = %d, want %d", got, len(skipped))
		}
		if got := metric(t, e, "apiguard.jwks.remote.fetch_ok"); got != 1 {
			t.Errorf("fetch_ok = %d", got)
		}
		lines := e.LogsContaining("jwks remote: loaded 1 keys (10 skipped: ")
		if len(lines) != 1 {
			t.Fatalf("want one load line naming 10 skipped keys:\n%s", logText(e))
		}
		for _, s := range skipped[:8] {
			if !strings.Contains(lines[0].Msg, s.logged) {
				t.Errorf("load line lacks %q:\n%s", s.logged, lines[0].Msg)
			}
		}
		if !strings.Contains(lines[0].Msg, "; and 2 more)") {
			t.Errorf("load line does not cap its details: %s", lines[0].Msg)
		}
		for _, l := range e.Logs() {
			for _, secret := range []string{weakN[1:20], "AQAB\"", strings.Repeat("A", 43)} {
				if strings.Contains(l.Msg, secret) {
					t.Errorf("a log line holds key material %q: %s", secret, l.Msg)
				}
			}
		}
		// A token naming a skipped key: unknown, after the early refetch
		// it triggers (which counts the same skipped keys again).
		for _, kid := range []string{"weak", "leaked", "enc"} {
			s := openReq(e.Worker(1), "/r", kidToken(t, "rsa-b", kid))
			e.Advance(100 * time.Millisecond)
			if d := finish(s); d.Status != 401 || d.LocalReply != "apiguard_"+string(problem.ReasonTokenUnknownKey) {
				t.Errorf("token of skipped key %s: status %d (%s)", kid, d.Status, d.LocalReply)
			}
		}
		if got := metric(t, e, "apiguard.jwks.remote.keys_skipped"); got != 2*int64(len(skipped)) || srv.count() != 2 {
			t.Errorf("after the early refetch: keys_skipped = %d, fetches %d", got, srv.count())
		}
	})
}

// mustModulus is the modulus of a test RSA key.
func mustModulus(t testing.TB, kid string) *big.Int {
	return authKey(t, kid).Key.(*rsa.PrivateKey).N
}

// TestJWKSFetched_keyLimits: a fetched RSA key may have 2048 to 16384
// bits, an odd exponent up to 2^31-1, as inline keys: one below or above
// is skipped (fetched) or refused (inline) alike.
func TestJWKSFetched_keyLimits(t *testing.T) {
	good := pubJWK(t, "rsa-a", "rsa-a", nil)
	edge := []string{
		pubJWK(t, "rsa-b", "largest", map[string]string{"n": oddModulus(16384)}),
		pubJWK(t, "rsa-b", "e-max", map[string]string{"e": `"f____w"`}),
	}
	each(t, func(t *testing.T, g guest) {
		srv := &jwksServer{}
		srv.set(200, keySet(append([]string{good}, edge...)...), false)
		e := startFetched(t, g, srv, "")
		s := openReq(e.Worker(0), "/r", kidToken(t, "rsa-a", "rsa-a"))
		e.Advance(100 * time.Millisecond)
		if d := finish(s); d.Status != 200 {
			t.Fatalf("status %d (%s)", d.Status, d.LocalReply)
		}
		if got := metric(t, e, "apiguard.jwks.remote.keys_skipped"); got != 0 {
			t.Errorf("keys at the limits skipped: %d\n%s", got, logText(e))
		}
		if len(e.LogsContaining("jwks remote: loaded 3 keys")) != 1 {
			t.Errorf("keys at the limits not loaded:\n%s", logText(e))
		}
		// Inline: the same keys load, one step past the limits is an error
		// naming the key.
		inline := func(jwks string) string {
			return `{"providers": {"idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"],
			  "algorithms": ["RS256"], "jwks": ` + jwks + `}},
			  "default": {"auth": {"providers": ["idp"]}}}`
		}
		if _, err := newEnvoy(g, inline(keySet(append([]string{good}, edge...)...))); err != nil {
			t.Errorf("inline keys at the limits: %v", err)
		}
		for _, c := range []struct{ jwk, want string }{
			{pubJWK(t, "rsa-b", "k", map[string]string{"n": oddModulus(2047)}), "providers.idp.jwks.keys[1].n: RSA modulus under 2048 bits"},
			{pubJWK(t, "rsa-b", "k", map[string]string{"n": oddModulus(16385)}), "providers.idp.jwks.keys[1].n: RSA modulus over 16384 bits"},
			{pubJWK(t, "rsa-b", "k", map[string]string{"e": `"gAAAAQ"`}), "providers.idp.jwks.keys[1].e: RSA exponent must be odd"},
			{pubJWK(t, "rsa-b", "k", map[string]string{"e": `"AQAA"`}), "providers.idp.jwks.keys[1].e: RSA exponent must be odd"},
			{pubJWK(t, "rsa-b", "k", map[string]string{"use": `"enc"`}), "providers.idp.jwks.keys[1].use: use is not sig"},
		} {
			_, err := newEnvoy(g, inline(keySet(good, c.jwk)))
			if err == nil || !strings.Contains(err.Error(), "apiguard: config: "+c.want) {
				t.Errorf("inline %s: err = %v, want %q", c.jwk[:40], err, c.want)
			}
		}
	})
}

// TestJWKSFetched_emptySet: a set that parses but holds no usable key
// replaces the last good one: the withdrawn key's tokens, cached ones
// included, get 401 on every worker (not 503), until keys come back.
func TestJWKSFetched_emptySet(t *testing.T) {
	enc := keySet(pubJWK(t, "rsa-a", "rsa-a", map[string]string{"use": `"enc"`}))
	for _, withdrawn := range []struct{ name, body string }{
		{"empty", `{"keys":[]}`},
		{"only unusable keys", enc},
	} {
		t.Run(withdrawn.name, func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				srv := &jwksServer{}
				srv.set(200, jwksOf(t, "rsa-a"), false)
				e := startFetched(t, g, srv, "")
				tok := remoteToken(t, "rsa-a")
				s := openReq(e.Worker(0), "/r", tok)
				e.Advance(100 * time.Millisecond)
				if d := finish(s); d.Status != 200 {
					t.Fatalf("status %d (%s)", d.Status, d.LocalReply)
				}
				for i := range 2 { // verified and cached on both workers
					if d := finish(openReq(e.Worker(i), "/r", tok)); d.Status != 200 {
						t.Fatalf("worker %d: status %d", i, d.Status)
					}
				}
				srv.set(200, withdrawn.body, false)
				e.Advance(600 * time.Second)
				if n := srv.count(); n != 2 {
					t.Fatalf("%d fetches, want the refresh", n)
				}
				if got := metric(t, e, "apiguard.jwks.remote.fetch_ok"); got != 2 {
					t.Errorf("fetch_ok = %d: a set without usable keys is an answer", got)
				}
				if len(e.LogsContaining("jwks remote: loaded 0 keys")) != 1 ||
					len(e.LogsContaining("no usable key: every token of this provider is refused (401)")) != 1 {
					t.Errorf("withdrawal not logged:\n%s", logText(e))
				}
				for i := range 2 {
					s := openReq(e.Worker(i), "/r", tok)
					e.Advance(100 * time.Millisecond) // the early refetch its kid asks for
					if d := finish(s); d.Status != 401 || d.LocalReply != "apiguard_"+string(problem.ReasonTokenUnknownKey) {
						t.Errorf("worker %d, withdrawn key: status %d (%s)", i, d.Status, d.LocalReply)
					}
				}
				// The key comes back: its tokens pass again.
				srv.set(200, jwksOf(t, "rsa-a"), false)
				e.Advance(600 * time.Second)
				for i := range 2 {
					if d := finish(openReq(e.Worker(i), "/r", tok)); d.Status != 200 {
						t.Errorf("worker %d, key back: status %d (%s)", i, d.Status, d.LocalReply)
					}
				}
			})
		})
	}
	// The first set has no usable key: requests are refused with 401 (after
	// the early refetch their kid asks for), not answered 503.
	each(t, func(t *testing.T, g guest) {
		srv := &jwksServer{}
		srv.set(200, enc, false)
		e := startFetched(t, g, srv, "")
		s := openReq(e.Worker(1), "/r", remoteToken(t, "rsa-a"))
		e.Advance(remoteTimeout)
		if d := finish(s); d.Status != 401 || d.LocalReply != "apiguard_"+string(problem.ReasonTokenUnknownKey) {
			t.Fatalf("first set without usable key: status %d (%s)\n%s", d.Status, d.LocalReply, logText(e))
		}
	})
}

// TestJWKSFetched_maxStale: while fetches fail, the last good set serves
// up to max_stale_seconds after it was fetched, cached tokens included,
// then requests wait timeout_ms and get 503 (keys_unavailable, with
// Retry-After) on every worker until a fetch succeeds. Both header modes.
func TestJWKSFetched_maxStale(t *testing.T) {
	for _, mode := range []struct {
		name string
		opts []envoyOpt
	}{{"hold", nil}, {"nohold", []envoyOpt{noHold()}}} {
		t.Run(mode.name, func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				srv := &jwksServer{}
				srv.set(200, jwksOf(t, "rsa-a"), false)
				e := startFetched(t, g, srv, `, "max_stale_seconds": 1200`, mode.opts...)
				start := e.Clock().Now()
				tok := remoteToken(t, "rsa-a")
				s := openReq(e.Worker(0), "/r", tok)
				e.Advance(100 * time.Millisecond)
				if d := finish(s); d.Status != 200 {
					t.Fatalf("status %d (%s)", d.Status, d.LocalReply)
				}
				srv.set(500, "", false)
				e.Advance(start.Add(1199 * time.Second).Sub(e.Clock().Now()))
				if got := metric(t, e, "apiguard.jwks.remote.fetch_failed"); got < 2 {
					t.Fatalf("fetch_failed = %d: the refreshes did not fail", got)
				}
				for i := range 2 {
					if d := finish(openReq(e.Worker(i), "/r", tok)); d.Status != 200 {
						t.Fatalf("worker %d within max_stale_seconds: status %d (%s)", i, d.Status, d.LocalReply)
					}
				}
				e.Advance(2 * time.Second)
				for i := range 2 {
					s := openReq(e.Worker(i), "/r", tok)
					if !waiting(s) {
						t.Fatalf("worker %d past max_stale_seconds: not waiting (status %d)", i, s.Downstream().Status)
					}
					e.Advance(remoteTimeout)
					d := finish(s)
					if d.Status != 503 || d.LocalReply != "apiguard_"+string(problem.ReasonKeysUnavailable) || d.Header("retry-after") == "" {
						t.Fatalf("worker %d past max_stale_seconds: status %d (%s), Retry-After %q", i, d.Status, d.LocalReply, d.Header("retry-after"))
					}
					if s.Upstream().Headers != nil && !s.Upstream().Reset {
						t.Fatalf("worker %d: a request refused for stale keys reached upstream", i)
					}
				}
				if n := len(e.LogsContaining("is older than max_stale_seconds (1200)")); n != 2 {
					t.Errorf("%d stale lines, want one per worker:\n%s", n, logText(e))
				}
				// A fetch succeeds: the set serves again.
				srv.set(200, jwksOf(t, "rsa-a"), false)
				e.Advance(61 * time.Second)
				for i := range 2 {
					if d := finish(openReq(e.Worker(i), "/r", tok)); d.Status != 200 {
						t.Fatalf("worker %d after recovery: status %d (%s)", i, d.Status, d.LocalReply)
					}
				}
			})
		})
	}
}

// TestJWKSFetched_kidNamesSeveralKeys: an identity provider may publish
// several keys under one kid; a token naming it is tried against each in
// set order, at most four: the key that signed it in fifth place is never
// tried.
func TestJWKSFetched_kidNamesSeveralKeys(t *testing.T) {
	a, b := pubJWK(t, "rsa-a", "k", nil), pubJWK(t, "rsa-b", "k", nil)
	evil := pubJWK(t, "rsa-evil", "k", nil)
	cases := []struct {
		name   string
		set    []string
		signer string
		want   int
		reason problem.Reason
	}{
		{"first fails, second verifies", []string{b, a}, "rsa-a", 200, ""},
		{"first verifies", []string{b, a}, "rsa-b", 200, ""},
		{"neither verifies", []string{b, a}, "rsa-evil", 401, problem.ReasonTokenBadSignature},
		{"fourth of five verifies", []string{b, evil, b, a, evil}, "rsa-a", 200, ""},
		{"fifth of five is never tried", []string{b, evil, b, evil, a}, "rsa-a", 401, problem.ReasonTokenBadSignature},
		{"kid first, then keys without kid", []string{pubJWK(t, "rsa-b", "", nil), pubJWK(t, "rsa-evil", "", nil),
			pubJWK(t, "rsa-b", "", nil), pubJWK(t, "rsa-evil", "", nil), a}, "rsa-a", 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				srv := &jwksServer{}
				srv.set(200, keySet(c.set...), false)
				e := startFetched(t, g, srv, "")
				s := openReq(e.Worker(0), "/r", kidToken(t, c.signer, "k"))
				e.Advance(100 * time.Millisecond)
				d := finish(s)
				if d.Status != c.want || (c.reason != "" && d.LocalReply != "apiguard_"+string(c.reason)) {
					t.Fatalf("status %d (%s), want %d %s\n%s", d.Status, d.LocalReply, c.want, c.reason, logText(e))
				}
				if n := srv.count(); n != 1 {
					t.Errorf("%d fetches: a bad signature must not refetch", n)
				}
			})
		})
	}
}

// idpSite answers fetches by path and records them, for the clusters of
// an identity provider's discovery document and keys.
type idpSite struct {
	mu    sync.Mutex
	pages map[string]string // path -> body (200)
	seen  []host.HTTPRequest
}

func (s *idpSite) serve(r host.HTTPRequest) (host.HTTPResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, r)
	body, ok := s.pages[r.Header(":path")]
	if !ok {
		return host.HTTPResponse{Headers: headers(":status", "404")}, nil
	}
	return host.HTTPResponse{Headers: headers(":status", "200", "content-type", "application/json"), Body: []byte(body)}, nil
}

func (s *idpSite) requests() []host.HTTPRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]host.HTTPRequest(nil), s.seen...)
}

// discoveryDoc is an OpenID discovery document.
func discoveryDoc(issuer, jwksURI string) string {
	return `{"issuer":"` + issuer + `","authorization_endpoint":"https://login.example.com/authorize",` +
		`"jwks_uri":"` + jwksURI + `","response_types_supported":["code"],"id_token_signing_alg_values_supported":["RS256"]}`
}

// TestJWKSDiscovery: with "discovery": true the provider's keys are found
// through the identity provider's OpenID discovery document, whose issuer
// must be the provider's; its jwks_uri is fetched through cluster on the
// same authority, or through the cluster remote_jwks.clusters names for
// another one. Anything else is a failed fetch (503 after timeout_ms) whose
// log line says what to configure. url stands for authority and path.
func TestJWKSDiscovery(t *testing.T) {
	const disc = "/.well-known/openid-configuration"
	keys := jwksOf(t, "rsa-a")
	cases := []struct {
		name     string
		remote   string
		idp      map[string]string
		keysSite map[string]string
		want     int
		idpSeen  []string // authority path, in order
		keysSeen []string
		log      string
	}{
		{
			name:   "jwks_uri on the authority",
			remote: `"cluster": "idp", "authority": "login.example.com", "discovery": true`,
			idp: map[string]string{disc: discoveryDoc(remoteIssuer, "https://login.example.com/discovery/keys"),
				"/discovery/keys": keys},
			want:    200,
			idpSeen: []string{"login.example.com " + disc, "login.example.com /discovery/keys"},
		},
		{
			name:   "url and discovery",
			remote: `"cluster": "idp", "url": "https://login.example.com/tenant/.well-known/openid-configuration", "discovery": true`,
			idp: map[string]string{"/tenant" + disc: discoveryDoc(remoteIssuer, "https://LOGIN.example.com:443/keys"),
				"/keys": keys},
			want:    200,
			idpSeen: []string{"login.example.com /tenant" + disc, "LOGIN.example.com:443 /keys"},
		},
		{
			name: "jwks_uri on a mapped authority",
			remote: `"cluster": "idp", "url": "https://login.example.com", "discovery": true,
			         "clusters": {"keys.example.com": "keys"}`,
			idp:      map[string]string{disc: discoveryDoc(remoteIssuer, "https://keys.example.com/jwks?tenant=a")},
			keysSite: map[string]string{"/jwks?tenant=a": keys},
			want:     200,
			idpSeen:  []string{"login.example.com " + disc},
			keysSeen: []string{"keys.example.com /jwks?tenant=a"},
		},
		{
			name:     "jwks_uri on an unmapped authority",
			remote:   `"cluster": "idp", "authority": "login.example.com", "discovery": true, "clusters": {"keys.example.com": "keys"}`,
			idp:      map[string]string{disc: discoveryDoc(remoteIssuer, "https://cdn.example.net/jwks")},
			keysSite: map[string]string{"/jwks": keys},
			want:     503,
			idpSeen:  []string{"login.example.com " + disc},
			log: `jwks remote: fetch failed: discovery document: jwks_uri "https://cdn.example.net/jwks" is on "cdn.example.net", ` +
				`not on authority "login.example.com": add "clusters": {"cdn.example.net": "<cluster>"} to remote_jwks`,
		},
		{
			name:    "another issuer",
			remote:  `"cluster": "idp", "authority": "login.example.com", "discovery": true`,
			idp:     map[string]string{disc: discoveryDoc("https://evil.example.com/", "https://login.example.com/keys"), "/keys": keys},
			want:    503,
			idpSeen: []string{"login.example.com " + disc},
			log:     `jwks remote: fetch failed: discovery document: issuer "https://evil.example.com/" is not the provider's issuer "` + remoteIssuer + `"`,
		},
		{
			name:    "no discovery document",
			remote:  `"cluster": "idp", "authority": "login.example.com", "discovery": true`,
			idp:     map[string]string{},
			want:    503,
			idpSeen: []string{"login.example.com " + disc},
			log:     `jwks remote: fetch failed: discovery document: status 404`,
		},
		{
			name:    "jwks_uri answers 404",
			remote:  `"cluster": "idp", "authority": "login.example.com", "discovery": true`,
			idp:     map[string]string{disc: discoveryDoc(remoteIssuer, "https://login.example.com/gone")},
			want:    503,
			idpSeen: []string{"login.example.com " + disc, "login.example.com /gone"},
			log:     `jwks remote: fetch failed: jwks_uri "https://login.example.com/gone": status 404`,
		},
		{
			name:    "url without discovery",
			remote:  `"cluster": "idp", "url": "https://login.example.com/keys/jwks.json"`,
			idp:     map[string]string{"/keys/jwks.json": keys},
			want:    200,
			idpSeen: []string{"login.example.com /keys/jwks.json"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				idp, ks := &idpSite{pages: c.idp}, &idpSite{pages: c.keysSite}
				conf := `{
  "providers": {"remote": {"issuer": "` + remoteIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["RS256"],
                           "remote_jwks": {` + c.remote + `, "timeout_ms": 400}}},
  "routes": [{"name": "r", "match": {"prefix": "/r"}, "auth": {"providers": ["remote"]}}]
}`
				e := start(t, g, conf, workers(2), func(hc *host.Config) {
					hc.Clusters = map[string]host.Cluster{"idp": {HTTP: idp.serve}, "keys": {HTTP: ks.serve}}
				})
				s := openReq(e.Worker(1), "/r", remoteToken(t, "rsa-a"))
				e.Advance(remoteTimeout + 100*time.Millisecond)
				d := finish(s)
				if d.Status != c.want {
					t.Fatalf("status %d (%s), want %d\n%s", d.Status, d.LocalReply, c.want, logText(e))
				}
				for _, site := range []struct {
					name string
					s    *idpSite
					want []string
				}{{"idp", idp, c.idpSeen}, {"keys", ks, c.keysSeen}} {
					var got []string
					for _, r := range site.s.requests() {
						if r.Header(":method") != "GET" {
							t.Errorf("%s: method %q", site.name, r.Header(":method"))
						}
						got = append(got, r.Header(":authority")+" "+r.Header(":path"))
					}
					if len(got) < len(site.want) || strings.Join(got[:len(site.want)], "|") != strings.Join(site.want, "|") ||
						(c.want == 200 && len(got) != len(site.want)) {
						t.Errorf("cluster %s saw %q, want %q", site.name, got, site.want)
					}
				}
				if c.log != "" && len(e.LogsContaining(c.log)) == 0 {
					t.Errorf("no log line %q:\n%s", c.log, logText(e))
				}
				if c.want == 200 {
					if got := metric(t, e, "apiguard.jwks.remote.fetch_ok"); got != 1 {
						t.Errorf("fetch_ok = %d", got)
					}
					if d := finish(openReq(e.Worker(0), "/r", remoteToken(t, "rsa-a"))); d.Status != 200 {
						t.Errorf("other worker: status %d", d.Status)
					}
				} else if got := metric(t, e, "apiguard.jwks.remote.fetch_failed"); got < 1 {
					t.Errorf("fetch_failed = %d", got)
				}
			})
		})
	}
}
