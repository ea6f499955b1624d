package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParse_remoteJWKSMaxStale(t *testing.T) {
	for _, c := range []struct {
		remote string
		want   time.Duration
	}{
		{`{"cluster":"idp","path":"/jwks","max_stale_seconds":3600}`, time.Hour},
		{`{"cluster":"idp","path":"/jwks","refresh_seconds":60,"timeout_ms":999,"max_stale_seconds":61}`, 61 * time.Second},
		{`{"cluster":"idp","path":"/jwks","refresh_seconds":604800,"max_stale_seconds":2592000}`, 30 * 24 * time.Hour},
	} {
		doc := strings.Replace(defaultsDoc, `{"cluster": "idp", "path": "/jwks"}`, c.remote, 1)
		if got := mustParse(t, doc).Provider("j").JWT.RemoteJWKS.MaxStale; got != c.want {
			t.Errorf("%s: max_stale = %v, want %v", c.remote, got, c.want)
		}
	}
}

func TestParse_remoteJWKSLocation(t *testing.T) {
	for _, c := range []struct {
		remote          string
		authority, path string
		discovery       bool
		clusters        map[string]string
	}{
		{`{"cluster":"idp","url":"https://login.example.com/keys/jwks.json"}`, "login.example.com", "/keys/jwks.json", false, nil},
		{`{"cluster":"idp","url":"HTTPS://login.example.com:8443/jwks"}`, "login.example.com:8443", "/jwks", false, nil},
		{`{"cluster":"idp","url":"http://idp.internal/jwks"}`, "idp.internal", "/jwks", false, nil},
		{`{"cluster":"idp","url":"https://[2001:db8::1]:8443/jwks"}`, "[2001:db8::1]:8443", "/jwks", false, nil},
		{`{"cluster":"idp","discovery":true}`, "idp", "/.well-known/openid-configuration", true, nil},
		{`{"cluster":"idp","url":"https://login.example.com","discovery":true}`, "login.example.com", "/.well-known/openid-configuration", true, nil},
		{`{"cluster":"idp","url":"https://login.example.com/tenant/v2.0/.well-known/openid-configuration","discovery":true}`,
			"login.example.com", "/tenant/v2.0/.well-known/openid-configuration", true, nil},
		{`{"cluster":"idp","authority":"login.example.com","discovery":true,"clusters":{"keys.example.com":"keys"}}`,
			"login.example.com", "/.well-known/openid-configuration", true, map[string]string{"keys.example.com": "keys"}},
		{`{"cluster":"idp","path":"/jwks","discovery":false}`, "idp", "/jwks", false, nil},
	} {
		doc := strings.Replace(defaultsDoc, `{"cluster": "idp", "path": "/jwks"}`, c.remote, 1)
		r := mustParse(t, doc).Provider("j").JWT.RemoteJWKS
		if r.Authority != c.authority || r.Path != c.path || r.Discovery != c.discovery || !reflect.DeepEqual(r.Clusters, c.clusters) {
			t.Errorf("%s: got %q %q %v %v", c.remote, r.Authority, r.Path, r.Discovery, r.Clusters)
		}
	}
}

func TestConfigJWKS_splitFetchURL(t *testing.T) {
	for _, c := range []struct {
		url, authority, path, msg string
	}{
		{"https://keys.example.com/jwks?tenant=a", "keys.example.com", "/jwks?tenant=a", ""},
		{"https://keys.example.com?tenant=a", "keys.example.com", "/?tenant=a", ""},
		{"https://keys.example.com", "keys.example.com", "", ""},
		{"https://keys.example.com/jwks#x", "", "", "has a fragment (#)"},
		{"https://user@keys.example.com/jwks", "", "", "has no host[:port] (or user information in it)"},
		{"//keys.example.com/jwks", "", "", "is not an https (or http) URL"},
		{"https:/keys.example.com/jwks", "", "", "is not an https (or http) URL"},
		{"https://keys.example.com/a\x00b", "", "", "holds a space, a backslash or a control character"},
	} {
		a, p, msg := SplitFetchURL(c.url, true)
		if a != c.authority || p != c.path || msg != c.msg {
			t.Errorf("%q: got %q %q %q", c.url, a, p, msg)
		}
	}
	if !SameAuthority("Keys.Example.com:443", "keys.example.com") || SameAuthority("keys.example.com:8443", "keys.example.com") ||
		SameAuthority("keys.example.com.evil", "keys.example.com") {
		t.Error("SameAuthority")
	}
}
