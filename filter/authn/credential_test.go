package authn

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/jwt"
	"github.com/apiguard/apiguard/filter/route"
)

// The credential search and removal, driven natively: a configuration is
// parsed and compiled, each row's request becomes the view the plugin
// hands over (httpx.Request), and Extract, Found, Verify and Remove decide
// as they do for the filter (the e2e suite runs the same behaviours
// against the .wasm).

// hexKey is the sha256 a configuration holds for an API key.
func hexKey(k string) string {
	s := sha256.Sum256([]byte(k))
	return hex.EncodeToString(s[:])
}

// outcome is what a table row expects: the status and, for a refusal, the
// reason.
type outcome struct {
	status int
	reason string
}

// keysEnv is an Env for API keys and inline sets: a fixed clock, no cache.
type keysEnv struct{}

func (keysEnv) Now() int64                                        { return 1_800_000_000e9 }
func (keysEnv) KeySet(p *Provider, _ int64) *jwt.KeySet           { return p.Verifier.Keys() }
func (keysEnv) Cached(*Provider, string, time.Time) *jwt.Token    { return nil }
func (keysEnv) Verified(*Provider, string, *jwt.Token, time.Time) {}
func (keysEnv) RequestEarly(*Provider) bool                       { return false }
func (keysEnv) EarlyPending(*Provider) bool                       { return false }
func (keysEnv) NextFetch(*Provider) int64                         { return 0 }

// compiled parses and compiles a configuration's auth; route i of the
// configuration is Routes[i].
func compiled(t *testing.T, doc string) *Auth {
	t.Helper()
	cfg, err := config.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	au, err := Compile(cfg, len(cfg.Routes), func(i int) *config.RoutePolicy { return &cfg.Routes[i].Policy })
	if err != nil {
		t.Fatal(err)
	}
	return au
}

// request is the view of a GET of target (path and query) with headers
// given as name, value pairs.
func request(target string, kv ...string) *httpx.Request {
	req := &httpx.Request{Method: "GET", HeadersRead: true}
	req.Path, req.Query = route.SplitPath(target)
	for i := 0; i+1 < len(kv); i += 2 {
		req.Headers = append(req.Headers, httpx.Pair{Key: kv[i], Value: kv[i+1]})
	}
	return req
}

// credRoute is the route index of a credConfig path: /h, /c, /q, /a.
func credRoute(path string) int { return strings.IndexByte("hcqa", path[1]) }

// authenticate runs step 9 on req under route rt: its outcome and state.
func authenticate(rt *Route, req *httpx.Request) (outcome, *State) {
	a := &State{}
	a.Extract(rt, req)
	v, anonymous := a.Found(rt)
	if anonymous {
		return outcome{200, ""}, a
	}
	if !v.Pass() {
		return outcome{v.Status, string(v.Reason)}, a
	}
	o := a.Verify(rt, keysEnv{})
	if !o.Pass() {
		return outcome{o.Status, string(o.Reason)}, a
	}
	return outcome{200, ""}, a
}

func expect(t *testing.T, name string, got, want outcome) {
	t.Helper()
	if got != want {
		t.Errorf("%s: %d %q, want %d %q", name, got.status, got.reason, want.status, want.reason)
	}
}

// credConfig: API keys read from a prefixed header, a cookie and a query
// parameter, on one route each and on a route of all three.
// withKey puts the key of path's route in place of "good-key" in path and
// the header values.
func withKey(path string, h []string) (string, []string) {
	k := path[1:2] + "-key"
	out := make([]string, len(h))
	for i, v := range h {
		out[i] = strings.ReplaceAll(v, "good-key", k)
	}
	return strings.ReplaceAll(path, "good-key", k), out
}

func credConfig() string {
	// Key ids and hashes are unique across providers: each provider's
	// key is "<route>-key", which withKey puts in place of "good-key".
	keys := func(id string) string {
		return `"keys": [{"id": "` + id + `", "sha256": "` + hexKey(id+"-key") + `", "claims": {"sub": "` + id + `"}}]`
	}
	return `{
  "providers": {
    "hdr": {"api_keys": {"from": [{"header": "authorization", "prefix": "ApiKey "}], ` + keys("h") + `}},
    "cookie": {"api_keys": {"from": [{"cookie": "api_token"}], ` + keys("c") + `}},
    "query": {"api_keys": {"from": [{"query": "api_key"}], ` + keys("q") + `}},
    "all": {"api_keys": {"from": [{"header": "x-api-key"}, {"cookie": "api_token"}, {"query": "api_key"}], ` + keys("a") + `}}
  },
  "routes": [
    {"name": "h", "match": {"prefix": "/h"}, "auth": {"providers": ["hdr"]}},
    {"name": "c", "match": {"prefix": "/c"}, "auth": {"providers": ["cookie"]}},
    {"name": "q", "match": {"prefix": "/q"}, "auth": {"providers": ["query"]}},
    {"name": "a", "match": {"prefix": "/a"}, "auth": {"providers": ["all"]}}
  ]
}`
}

// TestCredential_extraction: exactly one credential among every source of
// the route; the header's prefix is compared without regard to ASCII case
// and must be followed by a value; a header twice, a cookie or parameter
// in two spellings, or two sources are several credentials.
func TestCredential_extraction(t *testing.T) {
	au := compiled(t, credConfig())
	ok := outcome{200, ""}
	missing, multiple, unknown := outcome{401, "credential_missing"}, outcome{401, "credential_multiple"}, outcome{401, "apikey_unknown"}
	for _, c := range []struct {
		name, path string
		h          []string
		want       outcome
	}{
		{"header", "/h", []string{"authorization", "ApiKey good-key"}, ok},
		{"header, scheme in lower case", "/h", []string{"authorization", "apikey good-key"}, ok},
		{"header, scheme in upper case", "/h", []string{"authorization", "APIKEY good-key"}, ok},
		{"header, scheme mixed case", "/h", []string{"authorization", "aPiKeY good-key"}, ok},
		{"header, another scheme", "/h", []string{"authorization", "Bearer good-key"}, outcome{401, "credential_scheme"}},               // issue 13: a header a source reads, in no accepted form
		{"header, the scheme alone", "/h", []string{"authorization", "ApiKey "}, outcome{401, "credential_scheme"}},                     // issue 13: a header a source reads, in no accepted form
		{"header, the scheme without its space", "/h", []string{"authorization", "ApiKey"}, outcome{401, "credential_scheme"}},          // issue 13: a header a source reads, in no accepted form
		{"header, a shorter value", "/h", []string{"authorization", "ApiKe"}, outcome{401, "credential_scheme"}},                        // issue 13: a header a source reads, in no accepted form
		{"header, a tab for the space", "/h", []string{"authorization", "ApiKey\tgood-key"}, outcome{401, "credential_scheme"}},         // issue 13: a header a source reads, in no accepted form
		{"header, the scheme's letters shifted", "/h", []string{"authorization", "ApiKez good-key"}, outcome{401, "credential_scheme"}}, // issue 13: a header a source reads, in no accepted form
		{"header, a wrong key", "/h", []string{"authorization", "ApiKey bad-key"}, unknown},
		{"header twice", "/h", []string{"authorization", "ApiKey good-key", "authorization", "ApiKey good-key"}, multiple},
		{"header twice, one without the scheme", "/h", []string{"authorization", "ApiKey good-key", "authorization", "Basic x"}, multiple},
		{"header twice, both without the scheme", "/h", []string{"authorization", "Basic x", "authorization", "Basic y"}, outcome{401, "credential_multiple"}}, // two header instances are two credentials
		{"no header", "/h", nil, missing},
		{"cookie", "/c", []string{"cookie", "a=1; api_token=good-key; b=2"}, ok},
		{"cookie quoted", "/c", []string{"cookie", `api_token="good-key"`}, ok},
		{"cookie with spaces", "/c", []string{"cookie", "  api_token=good-key ;b=2"}, ok},
		{"cookie empty", "/c", []string{"cookie", "api_token="}, missing},
		{"cookie in another header", "/c", []string{"cookie", "a=1", "cookie", "api_token=good-key"}, ok},
		{"cookie twice", "/c", []string{"cookie", "api_token=good-key; api_token=good-key"}, multiple},
		{"cookie twice across headers", "/c", []string{"cookie", "api_token=good-key", "cookie", "api_token=x"}, multiple},
		{"cookie in upper case too", "/c", []string{"cookie", "api_token=good-key; API_TOKEN=x"}, multiple},
		{"cookie with a dot too", "/c", []string{"cookie", "api_token=good-key; api.token=x"}, multiple},
		{"cookie escaped too", "/c", []string{"cookie", "api_token=good-key; api%5Ftoken=x"}, multiple},
		{"cookie as an array too", "/c", []string{"cookie", "api_token=good-key; api_token[a]=x"}, multiple},
		{"cookie with a longer name", "/c", []string{"cookie", "api_tokens=good-key"}, missing},
		{"cookie with a shorter name", "/c", []string{"cookie", "api_toke=good-key"}, missing},
		{"query", "/q?api_key=good-key", nil, ok},
		{"query escaped value", "/q?api_key=q%2Dk%65y", nil, ok},
		{"query among others", "/q?a=1&api_key=good-key&b=2", nil, ok},
		{"query empty", "/q?api_key=", nil, missing},
		{"query twice", "/q?api_key=good-key&api_key=good-key", nil, multiple},
		{"query in upper case too", "/q?api_key=good-key&API_KEY=x", nil, multiple},
		{"query escaped name too", "/q?api_key=good-key&api%5Fkey=x", nil, multiple},
		{"query with a dot too", "/q?api_key=good-key&api.key=x", nil, multiple},
		{"query as an array too", "/q?api_key=good-key&api_key[]=x", nil, multiple},
		{"query with a longer name", "/q?api_keys=good-key", nil, missing},
		{"all: header", "/a", []string{"x-api-key", "good-key"}, ok},
		{"all: cookie", "/a", []string{"cookie", "api_token=good-key"}, ok},
		{"all: query", "/a?api_key=good-key", nil, ok},
		{"all: header and cookie", "/a", []string{"x-api-key", "good-key", "cookie", "api_token=good-key"}, multiple},
		{"all: header and query", "/a?api_key=good-key", []string{"x-api-key", "good-key"}, multiple},
		{"all: cookie and query", "/a?api_key=good-key", []string{"cookie", "api_token=good-key"}, multiple},
		{"all: empty header and query", "/a?api_key=good-key", []string{"x-api-key", ""}, outcome{401, "credential_multiple"}}, // an empty x-api-key is a credential location too
	} {
		path, h := withKey(c.path, c.h)
		got, _ := authenticate(au.Routes[credRoute(path)], request(path, h...))
		expect(t, c.name, got, c.want)
	}
}

// TestCredential_removed: the verified credential does not reach upstream
// (forward is false by default): the header, the one cookie (the others
// stay), or the query parameter (the other parameters and separators stay).
func TestCredential_removed(t *testing.T) {
	au := compiled(t, credConfig())
	for _, c := range []struct {
		name, path string
		h          []string
		header     string // the header upstream must see ("" for absent)
		value      string
		upPath     string
	}{
		{"header", "/h/x", []string{"authorization", "ApiKey good-key", "x-other", "1"}, "authorization", "", "/h/x"},
		{"the only cookie", "/c", []string{"cookie", "api_token=good-key"}, "cookie", "", "/c"},
		{"one cookie of three", "/c", []string{"cookie", "a=1; api_token=good-key; b=2"}, "cookie", "a=1; b=2", "/c"},
		{"the last cookie", "/c", []string{"cookie", "a=1; api_token=good-key"}, "cookie", "a=1", "/c"},
		{"the first cookie", "/c", []string{"cookie", "api_token=good-key;b=2"}, "cookie", "b=2", "/c"},
		{"the only parameter", "/q?api_key=good-key", nil, "", "", "/q"},
		{"the first parameter", "/q?api_key=good-key&b=2", nil, "", "", "/q?b=2"},
		{"a middle parameter", "/q?a=1&api_key=good-key&b=2", nil, "", "", "/q?a=1&b=2"},
		{"the last parameter", "/q?a=1&api_key=good-key", nil, "", "", "/q?a=1"},
		{"other separators kept", "/q?a=1;api_key=good-key;b=%20", nil, "", "", "/q?a=1;b=%20"},
	} {
		path, h := withKey(c.path, c.h)
		req := request(path, h...)
		i := credRoute(path)
		if got, a := authenticate(au.Routes[i], req); got.status != 200 {
			t.Errorf("%s: %+v", c.name, got)
			continue
		} else {
			up := upstream(au.Remove(i, a, req), req)
			if c.header != "" {
				got, present := up.Header(c.header)
				if present != (c.value != "") || got != c.value {
					t.Errorf("%s: upstream %s = %q (present %v), want %q", c.name, c.header, got, present, c.value)
				}
			}
			if up.Path != c.upPath {
				t.Errorf("%s: upstream :path %q, want %q", c.name, up.Path, c.upPath)
			}
		}
	}
}

// upstream applies a Removing to req as the host would: what upstream sees
// (Path is the whole :path).
func upstream(rm Removing, req *httpx.Request) *httpx.Request {
	up := &httpx.Request{Path: req.Path}
	if req.Query != "" {
		up.Path += "?" + req.Query
	}
	up.Headers = append(up.Headers, req.Headers...)
	// The edits as the host applies them (Remove: every value of the name,
	// whatever its case).
	for _, e := range rm.Edits(nil, nil) {
		switch {
		case e.Op == httpx.Remove:
			kept := up.Headers[:0]
			for _, p := range up.Headers {
				if !httpx.HeaderIs(p.Key, e.Key) {
					kept = append(kept, p)
				}
			}
			up.Headers = kept
		case e.Op == httpx.Add:
			up.Headers = append(up.Headers, httpx.Pair{Key: e.Key, Value: e.Value})
		case e.Key == ":path":
			up.Path = e.Value
		}
	}
	return up
}
