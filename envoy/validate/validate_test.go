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
	if errs := Istio("m", noEntry, false); len(errs) != 0 {
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
	if errs := Istio("m", failOpen, false); len(errs) == 0 {
		t.Error("a fail-open WasmPlugin passed the user checks")
	}
}
