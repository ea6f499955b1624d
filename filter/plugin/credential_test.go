package plugin

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
)

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
	e := emulated(t, credConfig())
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
		{"header, another scheme", "/h", []string{"authorization", "Bearer good-key"}, missing},
		{"header, the scheme alone", "/h", []string{"authorization", "ApiKey "}, missing},
		{"header, the scheme without its space", "/h", []string{"authorization", "ApiKey"}, missing},
		{"header, a shorter value", "/h", []string{"authorization", "ApiKe"}, missing},
		{"header, a tab for the space", "/h", []string{"authorization", "ApiKey\tgood-key"}, missing},
		{"header, the scheme's letters shifted", "/h", []string{"authorization", "ApiKez good-key"}, missing},
		{"header, a wrong key", "/h", []string{"authorization", "ApiKey bad-key"}, unknown},
		{"header twice", "/h", []string{"authorization", "ApiKey good-key", "authorization", "ApiKey good-key"}, multiple},
		{"header twice, one without the scheme", "/h", []string{"authorization", "ApiKey good-key", "authorization", "Basic x"}, multiple},
		{"header twice, both without the scheme", "/h", []string{"authorization", "Basic x", "authorization", "Basic y"}, missing},
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
		{"all: empty header and query", "/a?api_key=good-key", []string{"x-api-key", ""}, ok},
	} {
		path, h := withKey(c.path, c.h)
		expect(t, c.name, send(e, host.Request{Path: path, Headers: pairs(h...)}), c.want)
	}
}

// TestCredential_removed: the verified credential does not reach upstream
// (forward is false by default): the header, the one cookie (the others
// stay), or the query parameter (the other parameters and separators stay).
func TestCredential_removed(t *testing.T) {
	e := emulated(t, credConfig())
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
		r := send(e, host.Request{Path: path, Headers: pairs(h...)})
		if r.Downstream.Status != 200 || !r.UpstreamCalled {
			t.Errorf("%s: status %d (%q)", c.name, r.Downstream.Status, r.Downstream.LocalReply)
			continue
		}
		if c.header != "" {
			got, present := "", false
			for _, p := range r.Upstream.Headers {
				if p.Key == c.header {
					got, present = p.Value, true
				}
			}
			if present != (c.value != "") || got != c.value {
				t.Errorf("%s: upstream %s = %q (present %v), want %q", c.name, c.header, got, present, c.value)
			}
		}
		if got := r.Upstream.Header(":path"); got != c.upPath {
			t.Errorf("%s: upstream :path %q, want %q", c.name, got, c.upPath)
		}
	}
}
