package authn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"testing"
	"time"

	"github.com/apiguard/apiguard/filter/jwt"
	"github.com/apiguard/apiguard/filter/problem"
)

// The provider choice of Verify, the wait for a remote key set and the
// wait for a rotation, driven natively with HS256 tokens signed here and
// an Env whose clock, key sets and refetch state each row sets.

var b64 = base64.RawURLEncoding

// hsToken signs an HS256 token for issuer iss and audience aud with the
// key of testJWKS.
func hsToken(t *testing.T, iss, aud string) string {
	t.Helper()
	key, err := b64.DecodeString("c2VjcmV0LWhtYWMta2V5LXRoaXJ0eS10d28tYnl0ZXMh")
	if err != nil {
		t.Fatal(err)
	}
	now := strconv.Itoa(1_800_000_000)
	msg := b64.EncodeToString([]byte(`{"alg":"HS256","kid":"k","typ":"JWT"}`)) + "." +
		b64.EncodeToString([]byte(`{"iss":"`+iss+`","aud":"`+aud+`","sub":"s","iat":`+now+`,"exp":`+now+`0}`))
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return msg + "." + b64.EncodeToString(m.Sum(nil))
}

// verifyEnv is an Env with a settable clock, remote key sets and refetch
// state; a remote set, once given, is installed in the provider's verifier.
type verifyEnv struct {
	now      int64
	remote   *jwt.KeySet // nil: not arrived
	early    bool        // RequestEarly's answer
	pending  bool        // EarlyPending's answer
	next     int64       // NextFetch
	cache    map[string]*jwt.Token
	requests int // RequestEarly calls
}

func (e *verifyEnv) Now() int64 { return e.now }
func (e *verifyEnv) KeySet(p *Provider, _ int64) *jwt.KeySet {
	if p.RemoteCfg == nil {
		return p.Verifier.Keys()
	}
	if e.remote != nil && p.Verifier.Keys() != e.remote {
		p.Verifier = p.Verifier.WithKeys(e.remote)
	}
	return e.remote
}
func (e *verifyEnv) Cached(p *Provider, tok string, _ time.Time) *jwt.Token {
	return e.cache[p.Name+" "+tok]
}
func (e *verifyEnv) Verified(p *Provider, tok string, v *jwt.Token, _ time.Time) {
	if e.cache == nil {
		e.cache = map[string]*jwt.Token{}
	}
	e.cache[p.Name+" "+tok] = v
}
func (e *verifyEnv) RequestEarly(*Provider) bool { e.requests++; return e.early }
func (e *verifyEnv) EarlyPending(*Provider) bool { return e.pending }
func (e *verifyEnv) NextFetch(*Provider) int64   { return e.next }

func dispatchConfig() string {
	hs := func(iss, aud string) string {
		return `{"issuer": "` + iss + `", "audiences": ["` + aud + `"], "algorithms": ["HS256"], "jwks": ` + testJWKS + `}`
	}
	return `{
  "providers": {
    "ja": ` + hs("ia", "a") + `,
    "ja2": ` + hs("ia", "a2") + `,
    "jb": ` + hs("ib", "b") + `,
    "keys": {"api_keys": {"from": [{"header": "authorization", "prefix": "Bearer "}], "keys": [{"id": "k", "sha256": "` + hexKey("d-key") + `"}]}}
  },
  "routes": [
    {"name": "mixed", "match": {"prefix": "/m"}, "auth": {"providers": ["ja", "jb", "keys"]}},
    {"name": "jwts", "match": {"prefix": "/j"}, "auth": {"providers": ["ja", "jb"]}},
    {"name": "same-issuer", "match": {"prefix": "/s"}, "auth": {"providers": ["ja", "ja2", "keys"]}},
    {"name": "sole", "match": {"prefix": "/o"}, "auth": {"providers": ["jb", "keys"]}}
  ]
}`
}

// TestVerify_dispatch: a token goes to the provider of its issuer (several
// providers of one issuer may each accept it), anything else to the API
// keys; a token of an issuer nobody trusts, a bad signature, or a value
// neither a key nor a token is refused with its reason.
func TestVerify_dispatch(t *testing.T) {
	au := compiled(t, dispatchConfig())
	for _, c := range []struct {
		name     string
		route    int
		value    string
		want     outcome
		provider string
	}{
		{"issuer ia", 0, hsToken(t, "ia", "a"), outcome{200, ""}, "ja"},
		{"issuer ib", 0, hsToken(t, "ib", "b"), outcome{200, ""}, "jb"},
		{"an API key", 0, "d-key", outcome{200, ""}, "keys"},
		{"another issuer", 0, hsToken(t, "ic", "a"), outcome{401, "token_wrong_issuer"}, ""},
		{"ia's token with ib's audience", 0, hsToken(t, "ia", "b"), outcome{401, "token_wrong_audience"}, ""},
		{"a bad signature", 0, hsToken(t, "ia", "a") + "A", outcome{401, "token_bad_signature"}, ""},
		{"neither key nor token", 0, "x-key", outcome{401, "apikey_unknown"}, ""},
		{"JWT-only route, not a token", 1, "x-key", outcome{401, "token_malformed"}, ""},
		{"JWT-only route, another issuer", 1, hsToken(t, "ic", "a"), outcome{401, "token_wrong_issuer"}, ""},
		{"JWT-only route, issuer ib", 1, hsToken(t, "ib", "b"), outcome{200, ""}, "jb"},
		{"one issuer, the first provider's audience", 2, hsToken(t, "ia", "a"), outcome{200, ""}, "ja"},
		{"one issuer, the second provider's audience", 2, hsToken(t, "ia", "a2"), outcome{200, ""}, "ja2"},
		{"one issuer, neither audience", 2, hsToken(t, "ia", "b"), outcome{401, "token_wrong_audience"}, ""},
	} {
		rt := au.Routes[c.route]
		a := &State{}
		a.Extract(rt, request("/", "authorization", "Bearer "+c.value))
		if v, _ := a.Found(rt); !v.Pass() {
			t.Fatalf("%s: %v", c.name, v)
		}
		o := a.Verify(rt, &verifyEnv{now: 1_800_000_000e9})
		got := outcome{200, ""}
		if !o.Pass() {
			got = outcome{o.Status, string(o.Reason)}
		}
		expect(t, c.name, got, c.want)
		name := ""
		if a.Provider != nil {
			name = a.Provider.Name
		}
		if o.Pass() && name != c.provider {
			t.Errorf("%s: provider %q, want %q", c.name, name, c.provider)
		}
	}
}

// TestVerify_cachedToken: a token in the verified-token cache is accepted
// without verifying (by the cache entry's provider), and Cached reports it
// for the one JWT provider of a source, or for the provider of its issuer
// when several read the source; an API key never counts.
func TestVerify_cachedToken(t *testing.T) {
	au := compiled(t, dispatchConfig())
	tok := hsToken(t, "ib", "b")
	env := &verifyEnv{now: 1_800_000_000e9}
	for _, c := range []struct {
		name   string
		route  int
		value  string
		cached bool
	}{
		{"not yet", 1, tok, false},
		{"verified once", 1, tok, true},
		{"verified once, the source's one JWT provider", 3, tok, true},
		{"an API key", 0, "d-key", false},
		{"an API key, beside one JWT provider", 3, "d-key", false},
		{"not a token", 1, "x", false},
	} {
		rt := au.Routes[c.route]
		a := &State{}
		a.Extract(rt, request("/", "authorization", "Bearer "+c.value))
		if got := a.Cached(env); got != c.cached {
			t.Errorf("%s: Cached %v, want %v", c.name, got, c.cached)
		}
		a.Verify(rt, env)
	}
	// A cached entry decides even though the token no longer verifies (the
	// cache is trusted for what it holds).
	forged := hsToken(t, "ib", "b") + "A"
	env.cache["jb "+forged] = env.cache["jb "+tok]
	a := &State{}
	a.Extract(au.Routes[1], request("/", "authorization", "Bearer "+forged))
	if !a.Cached(env) {
		t.Errorf("a cache entry is not seen")
	}
	if o := a.Verify(au.Routes[1], env); !o.Pass() || a.Provider != au.Providers["jb"] {
		t.Errorf("a cache entry: %+v", o)
	}
	// The same through a source of one JWT provider beside API keys.
	a = &State{}
	a.Extract(au.Routes[3], request("/", "authorization", "Bearer "+forged))
	if o := a.Verify(au.Routes[3], env); !o.Pass() || a.Provider != au.Providers["jb"] {
		t.Errorf("a cache entry, one JWT provider: %+v", o)
	}
}

func remoteConfig() string {
	return `{
  "providers": {
    "r": {"issuer": "ir", "audiences": ["a"], "algorithms": ["ES256"],
      "remote_jwks": {"cluster": "idp", "path": "/jwks", "timeout_ms": 2000}}
  },
  "routes": [{"name": "r", "match": {"prefix": "/r"}, "auth": {"providers": ["r"]}}]
}`
}

// esJWKS is a one-key ES256 set with kid k1.
func esJWKS(t *testing.T) *jwt.KeySet {
	t.Helper()
	ks, err := jwt.ParseJWKS([]byte(esJWKSDoc(t)), jwt.JWKSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// esJWKSDoc is the JSON of a one-key ES256 set with kid k1 (a new key each
// call).
func esJWKSDoc(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := k.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		t.Fatal(err)
	}
	return `{"keys": [{"kty": "EC", "crv": "P-256", "kid": "k1", "alg": "ES256", "x": "` +
		b64.EncodeToString(pub[1:33]) + `", "y": "` + b64.EncodeToString(pub[33:]) + `"}]}`
}

// esToken is an ES256 token naming kid (its signature is not valid: the
// tests stop before it is checked).
func esToken(kid string) string {
	return b64.EncodeToString([]byte(`{"alg":"ES256","kid":"`+kid+`"}`)) + "." +
		b64.EncodeToString([]byte(`{"iss":"ir","aud":"a","exp":1800000100}`)) + "." +
		b64.EncodeToString(make([]byte, 64))
}

// TestVerify_awaitKeys: while a remote set has not arrived the request
// waits until timeout_ms (2 s) from its first try, then, at exactly the
// deadline, gets 503 with Retry-After rounded up to whole seconds until
// the next fetch, between 1 and 60.
func TestVerify_awaitKeys(t *testing.T) {
	const t0 = int64(1_800_000_000e9)
	sec := int64(time.Second)
	for _, c := range []struct {
		name  string
		next  int64 // NextFetch - the deadline
		retry int64
	}{
		{"two seconds", 2 * sec, 2},
		{"a nanosecond over two seconds", 2*sec + 1, 3},
		{"half a second", sec / 2, 1},
		{"already due", 0, 1},
		{"overdue", -5 * sec, 1},
		{"an hour", 3600 * sec, 60},
	} {
		au := compiled(t, remoteConfig())
		rt := au.Routes[0]
		a := &State{}
		a.Extract(rt, request("/", "authorization", "Bearer "+esToken("k1")))
		env := &verifyEnv{now: t0}
		for _, now := range []int64{t0, t0 + 1, t0 + 2*sec - 1} {
			env.now = now
			if o := a.Verify(rt, env); !o.Wait || !o.Pass() {
				t.Fatalf("%s: at %d ns: %+v, want a wait", c.name, now-t0, o)
			}
		}
		env.now = t0 + 2*sec
		env.next = env.now + c.next
		o := a.Verify(rt, env)
		if o.Wait || o.Status != 503 || o.Reason != "keys_unavailable" || o.RetryAfter != c.retry {
			t.Errorf("%s: at the deadline %+v, want 503 keys_unavailable, Retry-After %d", c.name, o, c.retry)
		}
		// A later try starts a new wait.
		if o := a.Verify(rt, env); !o.Wait {
			t.Errorf("%s: after the refusal %+v, want a new wait", c.name, o)
		}
	}
}

// TestVerify_awaitRotation: a token naming a kid the remote set lacks
// waits for an early refetch while one is pending, the set unchanged and
// timeout_ms not passed; otherwise it is refused as token_unknown_key.
func TestVerify_awaitRotation(t *testing.T) {
	const t0 = int64(1_800_000_000e9)
	sec := int64(time.Second)
	ks := esJWKS(t)
	for _, c := range []struct {
		name    string
		early   bool  // a refetch is allowed
		pending bool  // it is still pending at the second try
		second  int64 // the second try, after the first
		newSet  bool  // a new set arrived before the second try
		wait    bool  // the second try waits on
	}{
		{"pending, in time", true, true, 2*sec - 1, false, true},
		{"pending, at the deadline", true, true, 2 * sec, false, false},
		{"no longer pending", true, false, sec, false, false},
		{"a new set", true, true, sec, true, false},
	} {
		au := compiled(t, remoteConfig())
		rt := au.Routes[0]
		a := &State{}
		a.Extract(rt, request("/", "authorization", "Bearer "+esToken("k2")))
		env := &verifyEnv{now: t0, remote: ks, early: c.early, pending: c.pending}
		if o := a.Verify(rt, env); !o.Wait {
			t.Fatalf("%s: first try %+v, want a wait", c.name, o)
		}
		env.now = t0 + c.second
		if c.newSet {
			env.remote = esJWKS(t)
		}
		o := a.Verify(rt, env)
		if o.Wait != c.wait || (!c.wait && o.Reason != "token_unknown_key") {
			t.Errorf("%s: second try %+v, want wait %v", c.name, o, c.wait)
		}
	}
	// No early refetch allowed: refused at once.
	au := compiled(t, remoteConfig())
	a := &State{}
	a.Extract(au.Routes[0], request("/", "authorization", "Bearer "+esToken("k2")))
	env := &verifyEnv{now: t0, remote: ks}
	if o := a.Verify(au.Routes[0], env); o.Wait || o.Reason != "token_unknown_key" || env.requests != 1 {
		t.Errorf("no refetch: %+v (%d requests)", o, env.requests)
	}
	// A known kid goes on to the signature.
	a = &State{}
	a.Extract(au.Routes[0], request("/", "authorization", "Bearer "+esToken("k1")))
	if o := a.Verify(au.Routes[0], &verifyEnv{now: t0, remote: ks, early: true}); o.Wait || o.Reason != "token_bad_signature" {
		t.Errorf("known kid: %+v", o)
	}
}

// TestVerify_cacheHitRemembered: a cache hit found by Cached (step 8) is
// the one Verify (step 9) uses, even if the cache dropped the entry in
// between, and it stays the hit of its own provider: a token another
// provider of the same issuer verified is not credited to the first.
func TestVerify_cacheHitRemembered(t *testing.T) {
	au := compiled(t, dispatchConfig())
	rt := au.Routes[2] // ja (audience a), ja2 (audience a2), both issuer ia, and keys
	tok := hsToken(t, "ia", "a2")
	env := &verifyEnv{now: 1_800_000_000e9}
	a := &State{}
	a.Extract(rt, request("/", "authorization", "Bearer "+tok))
	if o := a.Verify(rt, env); !o.Pass() || a.Provider != au.Providers["ja2"] {
		t.Fatalf("first request: %+v by %v", o, a.Provider)
	}
	// The next request: step 8 finds the entry, which then leaves the cache.
	a = &State{}
	a.Extract(rt, request("/", "authorization", "Bearer "+tok))
	if !a.Cached(env) {
		t.Fatalf("the verified token is not cached")
	}
	entry := env.cache["ja2 "+tok]
	delete(env.cache, "ja2 "+tok)
	if o := a.Verify(rt, env); !o.Pass() || a.Provider != au.Providers["ja2"] {
		t.Errorf("after Cached: %+v by %v, want ja2", o, a.Provider)
	}
	// A forged copy whose only cache entry is ja2's: accepted from the
	// remembered hit, by ja2 alone.
	forged := tok + "A"
	env.cache["ja2 "+forged] = entry
	a = &State{}
	a.Extract(rt, request("/", "authorization", "Bearer "+forged))
	if !a.Cached(env) {
		t.Fatalf("the forged copy's entry is not seen")
	}
	delete(env.cache, "ja2 "+forged)
	if o := a.Verify(rt, env); !o.Pass() || a.Provider != au.Providers["ja2"] {
		t.Errorf("forged copy after Cached: %+v by %v, want ja2", o, a.Provider)
	}
}

// TestVerify_staleRemote: when a remote provider and a later inline
// provider trust the same issuer and the remote set lacks the token's kid
// (or has not arrived), the request waits for that set instead of being
// refused by the inline provider; when the set has the kid, the inline
// provider's refusal stands.
func TestVerify_staleRemote(t *testing.T) {
	const t0 = int64(1_800_000_000e9)
	doc := `{
  "providers": {
    "r": {"issuer": "ir", "audiences": ["a"], "algorithms": ["ES256"],
      "remote_jwks": {"cluster": "idp", "path": "/jwks", "timeout_ms": 2000}},
    "i": {"issuer": "ir", "audiences": ["a"], "algorithms": ["ES256"], "jwks": ` + esJWKSDoc(t) + `},
    "keys": {"api_keys": {"from": [{"header": "authorization", "prefix": "Bearer "}], "keys": []}}
  },
  "routes": [{"name": "r", "match": {"prefix": "/r"}, "auth": {"providers": ["r", "i", "keys"]}}]
}`
	for _, c := range []struct {
		name    string
		kid     string
		arrived bool // the remote set is there
		early   bool // an early refetch is allowed
		wait    bool
		reason  string
	}{
		{"the remote set lacks the kid", "k2", true, true, true, ""},
		{"the remote set lacks the kid, no refetch allowed", "k2", true, false, false, "token_unknown_key"},
		{"the remote set has not arrived", "k2", false, false, true, ""},
		{"the remote set has the kid", "k1", true, true, false, "token_bad_signature"},
	} {
		au := compiled(t, doc)
		rt := au.Routes[0]
		a := &State{}
		a.Extract(rt, request("/", "authorization", "Bearer "+esToken(c.kid)))
		env := &verifyEnv{now: t0, early: c.early, pending: true}
		if c.arrived {
			env.remote = esJWKS(t)
		}
		o := a.Verify(rt, env)
		if o.Wait != c.wait || (!c.wait && o.Reason != problem.Reason(c.reason)) {
			t.Errorf("%s: %+v, want wait %v, reason %q", c.name, o, c.wait, c.reason)
		}
	}
}

// clockEnv counts the clock reads of a verifyEnv.
type clockEnv struct {
	*verifyEnv
	reads int
}

func (e *clockEnv) Now() int64 { e.reads++; return e.verifyEnv.Now() }

// TestVerify_clockReadOnce: one Verify or Cached call reads the host's
// clock at most once (each read is a hostcall through the .wasm) however
// many checks judge the time.
func TestVerify_clockReadOnce(t *testing.T) {
	au := compiled(t, dispatchConfig())
	env := &clockEnv{verifyEnv: &verifyEnv{now: 1_800_000_000e9}}
	for _, c := range []struct {
		name  string
		route int
		value string
		call  func(a *State, rt *Route) bool
	}{
		{"fresh token, JWT-only route", 1, hsToken(t, "ib", "b"), func(a *State, rt *Route) bool { return a.Verify(rt, env).Pass() }},
		{"cached token, JWT-only route", 1, hsToken(t, "ib", "b"), func(a *State, rt *Route) bool { return a.Verify(rt, env).Pass() }},
		{"fresh token, mixed route", 0, hsToken(t, "ia", "a"), func(a *State, rt *Route) bool { return a.Verify(rt, env).Pass() }},
		{"cached token, mixed route", 0, hsToken(t, "ia", "a"), func(a *State, rt *Route) bool { return a.Verify(rt, env).Pass() }},
		{"Cached", 0, hsToken(t, "ia", "a"), func(a *State, _ *Route) bool { return a.Cached(env) }},
		{"an API key", 0, "d-key", func(a *State, rt *Route) bool { return a.Verify(rt, env).Pass() }},
	} {
		rt := au.Routes[c.route]
		a := &State{}
		a.Extract(rt, request("/", "authorization", "Bearer "+c.value))
		for call := 1; call <= 2; call++ {
			env.reads = 0
			if !c.call(a, rt) {
				t.Fatalf("%s: refused", c.name)
			}
			if env.reads > 1 || call == 1 && env.reads != 1 {
				t.Errorf("%s, call %d: %d clock reads, want 1 (0 for a remembered hit)", c.name, call, env.reads)
			}
		}
	}
}
