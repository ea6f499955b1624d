package validate

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFile_kinds: File tells the kinds apart by content and checks each
// with its own rules.
func TestFile_kinds(t *testing.T) {
	t.Setenv("APIGUARD_RLS_HASH_SECRET", "a-shipped-example-secret-0123")
	bootstrap, err := os.ReadFile(filepath.Join("..", "envoy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, data string
		kind       Kind
		want       string // in an error; "" means valid
	}{
		{"policy", `{"default": {}}`, KindPolicy, ""},
		{"policy refused by the parser", `{"routez": []}`, KindPolicy, `unknown field "routez"`},
		{"policy refused only by configure", `{"providers": {"p": {"issuer": "i", "audiences": ["a"], "algorithms": ["RS256"],
			"jwks": {"keys": [{"kty": "RSA", "kid": "k", "n": "AQAB", "e": "AQAB"}]}}},
			"default": {"auth": {"providers": ["p"]}}}`, KindPolicy, "providers.p.jwks"},
		{"bootstrap", string(bootstrap), KindBootstrap, ""},
		{"bootstrap as JSON is not a policy", `{"static_resources": {}, "admn": {}}`, KindBootstrap, `unknown field "admn"`},
		{"listener without apiguard", "name: l\naddress: {socket_address: {address: 127.0.0.1, port_value: 1}}\nfilter_chains: []\n", KindListener, "no Wasm HTTP filter"},
		{"Kubernetes object without a WasmPlugin", "apiVersion: v1\nkind: ConfigMap\n", KindIstio, "0 WasmPlugins"},
		{"empty", "  \n", KindUnknown, "empty file"},
		{"two documents that are not Kubernetes", "a: 1\n---\nb: 2\n", KindUnknown, "2 YAML documents"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kind, errs := File("f", []byte(tc.data))
			_, errs = Warnings(errs)
			msg := ""
			for _, e := range errs {
				msg += e.Error() + "\n"
			}
			if kind != tc.kind {
				t.Errorf("kind %q, want %q", kind, tc.kind)
			}
			if tc.want == "" && len(errs) > 0 || tc.want != "" && !strings.Contains(msg, tc.want) {
				t.Errorf("errors %q, want %q", msg, tc.want)
			}
		})
	}
}

// TestIstio_userManifest: a user's manifest is checked for a valid
// deployment only; the shipped examples' extra promises (a ServiceEntry
// for every JWKS host, only apiguard's kinds) apply with shipped.
func TestIstio_userManifest(t *testing.T) {
	t.Setenv("APIGUARD_RLS_HASH_SECRET", "a-shipped-example-secret-0123")
	orig, err := os.ReadFile(filepath.Join("..", "istio", "wasmplugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	noEntry := bytes.Replace(orig, []byte("kind: ServiceEntry"), []byte("kind: Secret"), 1)
	if bytes.Equal(noEntry, orig) {
		t.Fatal("wasmplugin.yaml has no ServiceEntry: update this test")
	}
	if _, errs := Warnings(Istio("m", noEntry, false)); len(errs) != 0 {
		t.Errorf("user manifest without the ServiceEntry: %v", errs)
	}
	msg := ""
	for _, e := range Istio("m", noEntry, true) {
		msg += e.Error()
	}
	if !strings.Contains(msg, `kind "Secret"`) || !strings.Contains(msg, "no ServiceEntry") {
		t.Errorf("shipped checks: %q", msg)
	}
	failOpen := bytes.Replace(orig, []byte("failStrategy: FAIL_CLOSE"), []byte("failStrategy: FAIL_OPEN"), 1)
	if _, errs := Warnings(Istio("m", failOpen, false)); len(errs) == 0 {
		t.Error("a fail-open WasmPlugin passed the user checks")
	}
}

// TestPolicy_warnings: validate warns, and still passes the policy, where
// routes listing methods send a path's other methods to 405 instead of
// default, and where a global limit has no hash_secret; neither warning
// appears when its condition does not hold.
func TestPolicy_warnings(t *testing.T) {
	const global = `"rate_limits": [{"name": "g", "key": "ip", "limit": 5, "window": "1m", "global": true}]`
	const service = `"rate_limit_service": {"cluster": "rls", "domain": "d"%s},`
	for _, tc := range []struct {
		name, policy string
		want         []string // substrings, one warning each
	}{
		{"methods with default", `{"routes": [{"name": "a", "match": {"path": "/a", "methods": ["GET"]}},
			{"name": "b", "match": {"prefix": "/b", "methods": ["POST", "PUT"]}}], "default": {}}`,
			[]string{"other methods of /a (GET), prefix /b (POST, PUT) get 405"}},
		{"methods without default", `{"routes": [{"name": "a", "match": {"path": "/a", "methods": ["GET"]}}]}`, nil},
		{"another route takes every method", `{"routes": [{"name": "a", "match": {"path": "/a", "methods": ["GET"]}},
			{"name": "a2", "match": {"path": "/a"}}], "default": {}}`, nil},
		{"global limit without hash_secret", `{` + strings.Replace(service, "%s", "", 1) + `"routes": [{"name": "a", "match": {"path": "/a"}, ` + global + `}]}`,
			[]string{"routes[0].rate_limits[0] is global but rate_limit_service.hash_secret is not set"}},
		{"global limit in default", `{` + strings.Replace(service, "%s", "", 1) + `"default": {` + global + `}}`,
			[]string{"default.rate_limits[0] is global"}},
		{"global limit keyed by route", `{` + strings.Replace(service, "%s", "", 1) + `"default": {` + strings.Replace(global, `"ip"`, `"route"`, 1) + `}}`, nil},
		{"a method that is a typo", `{"routes": [{"name": "a", "match": {"path": "/a", "methods": ["GET", "PSOT"]}},
			{"name": "b", "match": {"path": "/b", "methods": ["GTE", "PURGE", "PROPFIND"]}}]}`,
			[]string{`routes[0].match.methods[1]: "PSOT" is no standard method: the route takes only requests with that very method (did you mean "POST"?)`,
				`routes[1].match.methods[0]: "GTE" is no standard method`}},
		{"global limit with hash_secret", `{` + strings.Replace(service, "%s", `, "hash_secret": "0123456789abcdef0123"`, 1) + `"default": {` + global + `}}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			warnings, errs := Warnings(Policy([]byte(tc.policy)))
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			if len(warnings) != len(tc.want) {
				t.Fatalf("warnings %v, want %d", warnings, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(warnings[i].Error(), w) {
					t.Errorf("warning %q, want it to say %q", warnings[i], w)
				}
			}
		})
	}
}

// TestIstio_fieldNamesCaseSensitive: Kubernetes field names are
// case-sensitive, so a WasmPlugin field spelt in another case is refused
// with the right spelling, though encoding/json would have read it.
func TestIstio_fieldNamesCaseSensitive(t *testing.T) {
	t.Setenv("APIGUARD_RLS_HASH_SECRET", "a-shipped-example-secret-0123")
	orig, err := os.ReadFile(filepath.Join("..", "istio", "wasmplugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ old, new, want string }{
		{"failStrategy:", "FAILSTRATEGY:", `spec: unknown field "FAILSTRATEGY" (Kubernetes field names are case-sensitive: did you mean "failStrategy"?)`},
		{"pluginName:", "pluginname:", `did you mean "pluginName"?`},
		{"selector:", "Selector:", `did you mean "selector"?`},
		{"kind: WasmPlugin\nmetadata:", "kind: WasmPlugin\nMetadata:", `WasmPlugin: unknown field "Metadata"`},
	} {
		m := bytes.Replace(orig, []byte(c.old), []byte(c.new), 1)
		if bytes.Equal(m, orig) {
			t.Fatalf("%q not in wasmplugin.yaml", c.old)
		}
		_, errs := Warnings(Istio("m", m, false))
		msg := ""
		for _, e := range errs {
			msg += e.Error() + "\n"
		}
		if !strings.Contains(msg, c.want) {
			t.Errorf("%s -> %s: %q, want %q", c.old, c.new, msg, c.want)
		}
	}
	if _, errs := Warnings(Istio("m", orig, false)); len(errs) > 0 {
		t.Errorf("the shipped manifest: %v", errs)
	}
}

// TestIstio_bodyLimitNamesTheField: a body cap over what a sidecar's
// default buffer limit holds is refused naming the field that sets it (or
// would, when the 1 MiB default applies) and the most it may be.
func TestIstio_bodyLimitNamesTheField(t *testing.T) {
	t.Setenv("APIGUARD_RLS_HASH_SECRET", "a-shipped-example-secret-0123")
	orig, err := os.ReadFile(filepath.Join("..", "istio", "wasmplugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ old, new, want string }{
		{"        max_body_bytes: 65536\n", "        max_body_bytes: 2000000\n", ".request.max_body_bytes is 2000000 bytes, over the 983040"},
		{"        max_body_bytes: 65536\n", "", ".request.max_body_bytes is by default 1048576 bytes, over the 983040"},
		{"        max_body_bytes: 983040\n", "        max_body_bytes: 983041\n", ".response.max_body_bytes is 983041 bytes"},
	} {
		m := bytes.Replace(orig, []byte(c.old), []byte(c.new), 1)
		if bytes.Equal(m, orig) {
			t.Fatalf("%q not in wasmplugin.yaml", c.old)
		}
		_, errs := Warnings(Istio("m", m, false))
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), c.want) || !strings.Contains(errs[0].Error(), "set it to 983040 or less") {
			t.Errorf("%q -> %q: %v, want one error containing %q", c.old, c.new, errs, c.want)
		}
	}
}

// TestIstio_unpinnedImageWarns: a WasmPlugin pulling a moving tag (none,
// or latest) without a digest is valid but warned about; a version tag, a
// sha256 or an @sha256: URL is not.
func TestIstio_unpinnedImageWarns(t *testing.T) {
	t.Setenv("APIGUARD_RLS_HASH_SECRET", "a-shipped-example-secret-0123")
	orig, err := os.ReadFile(filepath.Join("..", "istio", "wasmplugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const url = "url: oci://registry.example.com/apiguard/apiguard:" + "0.3.0"
	digest := "@sha256:" + strings.Repeat("ab", 32)
	for _, c := range []struct {
		url  string
		warn bool
	}{
		{"url: oci://registry.example.com/apiguard/apiguard:latest", true},
		{"url: oci://registry.example.com:5000/apiguard/apiguard", true},
		{"url: oci://registry.example.com/apiguard/apiguard:0.3.0", false},
		{"url: oci://registry.example.com/apiguard/apiguard" + digest, false},
		{"url: oci://registry.example.com/apiguard/apiguard:latest\n  sha256: " + strings.Repeat("ab", 32), false},
	} {
		m := bytes.Replace(orig, []byte(url), []byte(c.url), 1)
		if !bytes.Contains(orig, []byte(url)) {
			t.Fatalf("%q not in wasmplugin.yaml", url)
		}
		warnings, errs := Warnings(Istio("m", m, false))
		warned := false
		for _, w := range warnings {
			warned = warned || strings.Contains(w.Error(), "is not pinned")
		}
		if len(errs) > 0 || warned != c.warn {
			t.Errorf("%s: warnings %v, errors %v; want a pin warning: %v", c.url, warnings, errs, c.warn)
		}
	}
}
