package authn

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/httpx"
)

// What Compile builds from a configuration, pinned where mutation testing
// found it unpinned: the remote key sets, the JWKS error's path, header
// sources sharing a header, the one JWT provider of a source, the
// normalised cookie names to remove and claims_to_headers.

const testJWKS = `{"keys": [{"kty": "oct", "kid": "k", "k": "c2VjcmV0LWhtYWMta2V5LXRoaXJ0eS10d28tYnl0ZXMh"}]}`

func jwtProvider(extra string) string {
	return `{"issuer": "i", "audiences": ["a"], "algorithms": ["HS256"]` + extra + `}`
}

// TestCompile_remotes: only a provider with remote_jwks is in Remotes, at
// the index its Remote names; the others have Remote -1.
func TestCompile_remotes(t *testing.T) {
	au := compiled(t, `{
  "providers": {
    "inline": `+jwtProvider(`, "jwks": `+testJWKS)+`,
    "remote": {"issuer": "i", "audiences": ["a"], "algorithms": ["RS256"], "from": [{"header": "x-token"}], "remote_jwks": {"cluster": "idp", "path": "/jwks"}},
    "keys": {"api_keys": {"from": [{"header": "x-api-key"}], "keys": []}}
  },
  "default": {}
}`)
	if len(au.Remotes) != 1 || au.Remotes[0] != au.Providers["remote"] {
		t.Fatalf("Remotes = %v, want the remote provider alone", au.Remotes)
	}
	for name, want := range map[string]int{"inline": -1, "remote": 0, "keys": -1} {
		if got := au.Providers[name].Remote; got != want {
			t.Errorf("%s: Remote = %d, want %d", name, got, want)
		}
	}
}

// TestCompile_jwksError: a JWKS the configuration accepts but the key
// parser refuses is a config error at the key's path.
func TestCompile_jwksError(t *testing.T) {
	for _, c := range []struct{ name, jwks, path string }{
		{"key without k", `{"keys": [{"kty": "oct", "kid": "k"}]}`, "providers.p.jwks.keys[0]"},
		{"dotted provider name", `{"keys": [{"kty": "oct", "kid": "k"}]}`, `providers["p.x"].jwks.keys[0]`},
	} {
		name := "p"
		if strings.Contains(c.name, "dotted") {
			name = "p.x"
		}
		doc := `{"providers": {"` + name + `": ` + jwtProvider(`, "jwks": `+c.jwks) + `}, "default": {}}`
		_, err := compileErr(t, doc)
		if err == nil || !strings.HasPrefix(err.Error(), c.path) {
			t.Errorf("%s: error %v, want one at %s", c.name, err, c.path)
		}
	}
}

// TestCompile_sharedHeader: a JWT provider reading Authorization with
// "Bearer " and an API-key provider reading it with "ApiKey " make one
// header group: one Authorization header is one credential, for whichever
// prefix it carries.
func TestCompile_sharedHeader(t *testing.T) {
	au := compiled(t, `{
  "providers": {
    "jwt": `+jwtProvider(`, "jwks": `+testJWKS)+`,
    "keys": {"api_keys": {"from": [{"header": "authorization", "prefix": "ApiKey "}], "keys": [{"id": "k", "sha256": "`+hexKey("s-key")+`"}]}}
  },
  "routes": [{"name": "s", "match": {"prefix": "/s"}, "auth": {"providers": ["jwt", "keys"]}}]
}`)
	for _, c := range []struct {
		name, value string
		want        outcome
	}{
		{"the key's prefix", "ApiKey s-key", outcome{200, ""}},
		{"the key's prefix, a wrong key", "ApiKey x", outcome{401, "apikey_unknown"}},
		{"neither prefix", "Basic x", outcome{401, "credential_scheme"}},
	} {
		got, _ := authenticate(au.Routes[0], request("/s", "authorization", c.value))
		expect(t, c.name, got, c.want)
	}
	if n := len(au.Routes[0].headers); n != 1 {
		t.Errorf("%d header groups for one header, want 1", n)
	}
}

// TestCompile_soleJWT: a source read by exactly one JWT provider names it
// (a token goes to it without a peek), and a route whose every source is
// read by one JWT provider alone is JWT-only; two JWT providers on one
// source, or an API-key provider beside, are neither.
func TestCompile_soleJWT(t *testing.T) {
	au := compiled(t, `{
  "providers": {
    "j1": `+jwtProvider(`, "jwks": `+testJWKS)+`,
    "j2": `+jwtProvider(`, "jwks": `+testJWKS)+`,
    "j3": `+jwtProvider(`, "from": [{"header": "x-token"}], "jwks": `+testJWKS)+`,
    "keys": {"api_keys": {"from": [{"header": "x-token"}], "keys": []}}
  },
  "routes": [
    {"name": "one", "match": {"prefix": "/1"}, "auth": {"providers": ["j1"]}},
    {"name": "two", "match": {"prefix": "/2"}, "auth": {"providers": ["j1", "j2"]}},
    {"name": "mixed", "match": {"prefix": "/3"}, "auth": {"providers": ["j3", "keys"]}},
    {"name": "apart", "match": {"prefix": "/4"}, "auth": {"providers": ["j1", "j3"]}}
  ]
}`)
	for _, c := range []struct {
		route   int
		jwtOnly bool
		count   []int
		sole    []string
	}{
		{0, true, []int{1}, []string{"j1"}},
		{1, false, []int{2}, []string{""}},
		{2, false, []int{1}, []string{"j3"}},
		{3, true, []int{1, 1}, []string{"j1", "j3"}},
	} {
		rt := au.Routes[c.route]
		if rt.jwtOnly != c.jwtOnly {
			t.Errorf("route %d: jwtOnly %v, want %v", c.route, rt.jwtOnly, c.jwtOnly)
		}
		if len(rt.sources) != len(c.count) {
			t.Fatalf("route %d: %d sources, want %d", c.route, len(rt.sources), len(c.count))
		}
		for i, rs := range rt.sources {
			sole := ""
			if rs.soleJWT != nil {
				sole = rs.soleJWT.Name
			}
			if rs.jwtCount != c.count[i] || sole != c.sole[i] {
				t.Errorf("route %d source %d: jwtCount %d, soleJWT %q; want %d, %q", c.route, i, rs.jwtCount, sole, c.count[i], c.sole[i])
			}
		}
	}
}

// TestCompile_credNames: the cookie and query names to remove are
// normalised (a provider's "Api.Tok" removes "api_tok"), header names are
// kept as written in lower case (a '.' in a header name is not a '_').
func TestCompile_credNames(t *testing.T) {
	au := compiled(t, `{
  "providers": {
    "keys": {"api_keys": {"from": [{"cookie": "Api.Tok"}, {"query": "Q.Key"}, {"header": "x.key"}], "keys": []}}
  },
  "default": {}
}`)
	if got := au.Creds.cookies; len(got) != 1 || got[0] != httpx.NormalizeQueryName("Api.Tok") {
		t.Errorf("cookies %q", got)
	}
	if got := au.Creds.queries; len(got) != 1 || got[0] != httpx.NormalizeQueryName("Q.Key") {
		t.Errorf("queries %q", got)
	}
	if got := au.Creds.headers; len(got) != 2 || got[0] != "authorization" || got[1] != "x.key" {
		t.Errorf("headers %q", got)
	}
	rm := au.Remove(-1, &State{}, request("/?q_key=1", "cookie", "api_tok=1; b=2"))
	if kept, changed := rm.Cookies(nil); !changed || len(kept) != 1 || kept[0] != "b=2" {
		t.Errorf("cookies kept %q (changed %v), want b=2", kept, changed)
	}
	if p, changed := rm.Query(); !changed || p != "/" {
		t.Errorf("query gives %q (changed %v), want /", p, changed)
	}
}

// TestVerify_claimsToHeaders: a verified key's claims named in
// claims_to_headers become the headers to set; a claim the key lacks sets
// none.
func TestVerify_claimsToHeaders(t *testing.T) {
	au := compiled(t, `{
  "providers": {
    "keys": {"api_keys": {"from": [{"header": "x-key"}], "keys": [{"id": "k", "sha256": "`+hexKey("v-key")+`", "claims": {"sub": "alice"}}]},
      "claims_to_headers": {"sub": "x-user-id", "org": "x-org"}}
  },
  "routes": [{"name": "v", "match": {"prefix": "/v"}, "auth": {"providers": ["keys"]}}]
}`)
	got, a := authenticate(au.Routes[0], request("/v", "x-key", "v-key"))
	expect(t, "valid key", got, outcome{200, ""})
	if len(a.Headers) != 1 || a.Headers[0] != (httpx.Pair{Key: "x-user-id", Value: "alice"}) {
		t.Errorf("headers %v, want x-user-id: alice", a.Headers)
	}
}

// compileErr parses doc and compiles its auth: the compiled auth or
// Compile's error (a parse error fails the test).
func compileErr(t *testing.T, doc string) (*Auth, error) {
	t.Helper()
	cfg, err := config.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return Compile(cfg, len(cfg.Routes), func(i int) *config.RoutePolicy { return &cfg.Routes[i].Policy })
}

// TestCompile_routeAt: RouteAt is the compiled auth of a route by index,
// nil for a route without auth and for an index out of range.
func TestCompile_routeAt(t *testing.T) {
	au := compiled(t, `{"providers": {"p": `+jwtProvider(`, "jwks": `+testJWKS)+`},
	  "routes": [{"name": "open", "match": {"prefix": "/o"}}, {"name": "closed", "match": {"prefix": "/c"}, "auth": {"providers": ["p"]}}]}`)
	tests := []struct {
		index int
		want  *Route
	}{
		{-1, nil}, {0, nil}, {1, au.Routes[1]}, {2, nil},
	}
	if au.Routes[1] == nil {
		t.Fatal("the route with auth compiled to nil")
	}
	for _, tc := range tests {
		if got := au.RouteAt(tc.index); got != tc.want {
			t.Errorf("RouteAt(%d) = %p, want %p", tc.index, got, tc.want)
		}
	}
	// The first route's auth, at index 0.
	first := compiled(t, `{"providers": {"p": `+jwtProvider(`, "jwks": `+testJWKS)+`},
	  "routes": [{"name": "closed", "match": {"prefix": "/c"}, "auth": {"providers": ["p"]}}]}`)
	if got := first.RouteAt(0); got == nil || got != first.Routes[0] {
		t.Errorf("RouteAt(0) = %p, want the first route's %p", got, first.Routes[0])
	}
}
