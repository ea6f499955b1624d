package jwks

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jwt"
)

func TestJWKS_loadedLine(t *testing.T) {
	many := make([]jwt.SkippedKey, 10)
	for i := range many {
		many[i] = jwt.SkippedKey{Path: "keys[" + string(rune('0'+i)) + "].use", Reason: "use is not sig"}
	}
	for _, c := range []struct {
		name    string
		n       int
		skipped []jwt.SkippedKey
		want    string
	}{
		{"all used", 2, nil, "apiguard: jwks idp: loaded 2 keys"},
		{"one skipped", 1, []jwt.SkippedKey{{Path: "keys[1].n", Kid: "old", Reason: "RSA modulus under 2048 bits"}},
			`apiguard: jwks idp: loaded 1 keys (1 skipped: keys[1].n kid "old": RSA modulus under 2048 bits)`},
		{"no kid", 1, []jwt.SkippedKey{{Path: "keys[0]", Reason: "EC point is not on the curve P-256"}},
			`apiguard: jwks idp: loaded 1 keys (1 skipped: keys[0]: EC point is not on the curve P-256)`},
		{"kid quoted and cut", 1, []jwt.SkippedKey{{Path: "keys[0].use", Kid: "a\nb\x00" + strings.Repeat("k", 200), Reason: "use is not sig"}},
			`apiguard: jwks idp: loaded 1 keys (1 skipped: keys[0].use kid "a\nb\x00` + strings.Repeat("k", 124) + `": use is not sig)`},
		{"none usable", 0, many[:1], `apiguard: jwks idp: loaded 0 keys (1 skipped: keys[0].use: use is not sig); no usable key: every token of this provider is refused (401)`},
		{"empty", 0, nil, `apiguard: jwks idp: loaded 0 keys; no usable key: every token of this provider is refused (401)`},
	} {
		if got := LoadedLine("idp", c.n, c.skipped); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
	got := LoadedLine("idp", 1, many)
	if !strings.HasSuffix(got, "keys[7].use: use is not sig; and 2 more)") || strings.Contains(got, "keys[8]") {
		t.Errorf("ten skipped keys: %s", got)
	}
	if strings.ContainsAny(LoadedLine("idp", 1, []jwt.SkippedKey{{Path: "keys[0]", Kid: "x\r\ny", Reason: "r"}}), "\r\n") {
		t.Error("a kid broke the log line")
	}
}

func TestJWKSDiscovery_parse(t *testing.T) {
	cfg := &config.RemoteJWKS{Cluster: "idp", Authority: "login.example.com", Path: "/.well-known/openid-configuration",
		Discovery: true, Clusters: map[string]string{"keys.example.com": "keys"}}
	const iss = "https://login.example.com/tenant/v2.0"
	doc := func(members string) []byte { return []byte(`{"issuer":"` + iss + `",` + members + `}`) }
	for _, c := range []struct {
		name string
		doc  []byte
		want Location
		why  string
	}{
		{"same authority", doc(`"jwks_uri":"https://login.example.com/tenant/discovery/v2.0/keys"`),
			Location{"https://login.example.com/tenant/discovery/v2.0/keys", "idp", "login.example.com", "/tenant/discovery/v2.0/keys"}, ""},
		{"same authority, other case and default port", doc(`"jwks_uri":"https://LOGIN.example.com:443/keys"`),
			Location{"https://LOGIN.example.com:443/keys", "idp", "LOGIN.example.com:443", "/keys"}, ""},
		{"mapped authority", doc(`"jwks_uri":"https://keys.example.com/jwks?tenant=a","token_endpoint":"x"`),
			Location{"https://keys.example.com/jwks?tenant=a", "keys", "keys.example.com", "/jwks?tenant=a"}, ""},
		{"no path", doc(`"jwks_uri":"https://keys.example.com"`),
			Location{"https://keys.example.com", "keys", "keys.example.com", "/"}, ""},
		{"unmapped authority", doc(`"jwks_uri":"https://cdn.example.net/jwks"`), Location{},
			`jwks_uri "https://cdn.example.net/jwks" is on "cdn.example.net", not on authority "login.example.com": add "clusters": {"cdn.example.net": "<cluster>"} to remote_jwks, naming an Envoy cluster for that host`},
		{"lookalike authority", doc(`"jwks_uri":"https://login.example.com.evil.net/jwks"`), Location{},
			`jwks_uri "https://login.example.com.evil.net/jwks" is on "login.example.com.evil.net", not on authority "login.example.com": add "clusters": {"login.example.com.evil.net": "<cluster>"} to remote_jwks, naming an Envoy cluster for that host`},
		{"userinfo trick", doc(`"jwks_uri":"https://login.example.com@evil.net/jwks"`), Location{},
			`jwks_uri "https://login.example.com@evil.net/jwks" has no host[:port] (or user information in it)`},
		{"not a URL", doc(`"jwks_uri":"/keys"`), Location{}, `jwks_uri "/keys" is not an https (or http) URL`},
		{"fragment", doc(`"jwks_uri":"https://login.example.com/keys#a"`), Location{}, `jwks_uri "https://login.example.com/keys#a" has a fragment (#)`},
		{"other issuer", []byte(`{"issuer":"https://evil.example.com/","jwks_uri":"https://login.example.com/keys"}`), Location{},
			`issuer "https://evil.example.com/" is not the provider's issuer "https://login.example.com/tenant/v2.0": check the provider's issuer and remote_jwks (authority, path or url)`},
		{"issuer with trailing slash", []byte(`{"issuer":"` + iss + `/","jwks_uri":"https://login.example.com/keys"}`), Location{},
			`issuer "https://login.example.com/tenant/v2.0/" is not the provider's issuer "https://login.example.com/tenant/v2.0": check the provider's issuer and remote_jwks (authority, path or url)`},
		{"no issuer", []byte(`{"jwks_uri":"https://login.example.com/keys"}`), Location{}, `no "issuer" string`},
		{"issuer not a string", []byte(`{"issuer":1,"jwks_uri":"https://login.example.com/keys"}`), Location{}, `no "issuer" string`},
		{"no jwks_uri", doc(`"jwks":"x"`), Location{}, `no "jwks_uri" string`},
		{"jwks_uri array", doc(`"jwks_uri":["https://login.example.com/keys"]`), Location{}, `no "jwks_uri" string`},
		{"duplicate jwks_uri", doc(`"jwks_uri":"https://login.example.com/keys","jwks_uri":"https://cdn.example.net/k"`), Location{}, "not strict JSON: "},
		{"array", []byte(`[]`), Location{}, "not a JSON object"},
		{"empty", nil, Location{}, "not strict JSON: "},
	} {
		got, why := Discover(c.doc, iss, cfg)
		if got != c.want || !strings.HasPrefix(why, c.why) || (c.why == "") != (why == "") {
			t.Errorf("%s:\n got %+v %q\nwant %+v %q", c.name, got, why, c.want, c.why)
		}
	}
}

// FuzzJWKSDiscovery_parse: a discovery document, which the identity provider (or
// whoever answers on its cluster) writes, never panics the reader, and a
// jwks_uri it accepts is always fetched through a configured cluster for
// that authority, on a path.
func FuzzJWKSDiscovery_parse(f *testing.F) {
	const iss = "https://login.example.com/"
	for _, s := range []string{
		`{"issuer":"` + iss + `","jwks_uri":"https://login.example.com/keys"}`,
		`{"issuer":"` + iss + `","jwks_uri":"https://keys.example.com:8443?x=1"}`,
		`{"issuer":"` + iss + `","jwks_uri":"https://login.example.com@evil/keys"}`,
		`{"issuer":"` + iss + `","jwks_uri":"HTTP://LOGIN.EXAMPLE.COM:443"}`,
		`{"issuer":"x"}`, `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	cfg := &config.RemoteJWKS{Cluster: "idp", Authority: "login.example.com", Discovery: true,
		Clusters: map[string]string{"keys.example.com:8443": "keys"}}
	f.Fuzz(func(t *testing.T, doc []byte) {
		d, why := Discover(doc, iss, cfg)
		if why != "" {
			if d != (Location{}) {
				t.Fatalf("refused with a result: %+v", d)
			}
			return
		}
		switch {
		case d.Cluster == "idp" && config.SameAuthority(d.Authority, "login.example.com"):
		case d.Cluster == "keys" && config.SameAuthority(d.Authority, "keys.example.com:8443"):
		default:
			t.Fatalf("jwks_uri %q fetched from %q through %q", d.URI, d.Authority, d.Cluster)
		}
		if d.Path == "" || d.Path[0] != '/' || strings.ContainsAny(d.Path+d.Authority, "# \\\x00\r\n") || strings.Contains(d.Authority, "@") {
			t.Fatalf("accepted %+v", d)
		}
	})
}
