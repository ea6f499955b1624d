package plugin

import (
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/config"
)

// Edges of credential extraction and removal that mutation testing showed
// unpinned: the last letter of the alphabet in a case-insensitive prefix,
// a value that is the prefix alone, a leading '+' in a query value, a
// removed last parameter followed by one separator, ';' separators.

func TestCutPrefixFold_edges(t *testing.T) {
	for _, c := range []struct {
		v, prefix, rest string
		ok              bool
	}{
		{"Bearer ", "Bearer ", "", true},
		{"zed x", "ZED ", "x", true},
		{"ZED x", "zed ", "x", true},
		{"Zed x", "zED ", "x", true},
		{"AZ x", "az ", "x", true},
		{"[ x", "{ ", "", false}, // '[' and '{' are not a letter pair
		{"@ x", "` ", "", false},
	} {
		rest, ok := cutPrefixFold(c.v, c.prefix)
		if rest != c.rest || ok != c.ok {
			t.Errorf("cutPrefixFold(%q, %q) = %q, %v; want %q, %v", c.v, c.prefix, rest, ok, c.rest, c.ok)
		}
	}
}

func TestDecodeQueryValue_leadingPlus(t *testing.T) {
	for in, want := range map[string]string{"+a": " a", "%41b": "Ab", "a+": "a ", "+": " ", "%": "%"} {
		if got := decodeQueryValue(in); got != want {
			t.Errorf("decodeQueryValue(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWithoutQueryParam_lastSeparators(t *testing.T) {
	q := config.NormalizeQueryName("access_token")
	for _, c := range []struct{ in, want string }{
		{"a=1&access_token=x&", "a=1"},
		{"a=1;access_token=x;", "a=1"},
		{"a=1;access_token=x", "a=1"},
		{"a=1&b=2;access_token=x", "a=1&b=2"},
		{"access_token=x;", ""},
		{"a=1&access_token=x&&", "a=1&&"},
	} {
		if got, cut := withoutQueryParams(c.in, dropNamed(q)); got != c.want || !cut {
			t.Errorf("withoutQueryParams(%q) = %q, %v; want %q, true", c.in, got, cut, c.want)
		}
	}
}

// TestCredential_cookieEdges: a cookie value of two double quotes is an
// empty value (no credential), and a Cookie header ending in "; " is read
// to its end without fault.
func TestCredential_cookieEdges(t *testing.T) {
	e := emulated(t, credConfig())
	for _, c := range []struct {
		name, cookie string
		want         outcome
	}{
		{"quoted empty value", `api_token=""`, outcome{401, "credential_missing"}},
		{"one quote", `api_token="`, outcome{401, "apikey_unknown"}},
		{"trailing separator and space", "api_token=c-key; ", outcome{200, ""}},
		{"trailing spaces", "a=1; api_token=c-key;  \t", outcome{200, ""}},
		{"only separators", ";; ;", outcome{401, "credential_missing"}},
	} {
		expect(t, c.name, send(e, host.Request{Path: "/c", Headers: pairs("cookie", c.cookie)}), c.want)
	}
}
