// Package envoy holds the shipped Envoy and Istio configuration. Its tests
// check every file with envoy/validate, as `apiguard validate` does: against
// Envoy's own API definitions (go-control-plane), apiguard's configuration
// parser, and the Envoy settings docs/operating.md "Where it runs" requires, and
// start the plugin on every policy in the Envoy emulator, so that a typo
// fails `make test` instead of an Envoy start.
package envoy

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	upstreamhttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	"sigs.k8s.io/yaml"

	"github.com/apiguard/apiguard/envoy/validate"
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/version"
)

// yamlDocs reads every *.yaml / *.yml under root, split into documents;
// testdata directories hold test inputs (OpenAPI documents), not shipped
// configuration.
func yamlDocs(t *testing.T, root string) []validate.Doc {
	t.Helper()
	var docs []validate.Doc
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() || (filepath.Ext(path) != ".yaml" && filepath.Ext(path) != ".yml") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		split, err := validate.SplitDocs(path, data)
		docs = append(docs, split...)
		return err
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return docs
}

// TestShipped_bootstraps validates every Envoy bootstrap shipped: everything
// under envoy/ that is neither a Kubernetes object nor a compose file (so a
// bootstrap with a mistyped top-level key is still checked). The bootstrap
// of the docker compose stack (compose/) publishes its admin listener to the
// host's loopback, so it binds every address inside its container; every
// other check applies to it too.
func TestShipped_bootstraps(t *testing.T) {
	deployedEnv(t)
	var checked []string
	for _, d := range yamlDocs(t, ".") {
		if d.IsKubernetes() || d.IsCompose() {
			continue
		}
		checked = append(checked, d.Path)
		inCompose := strings.HasPrefix(filepath.ToSlash(d.Path), "compose/")
		for _, err := range shippedFindings(validate.Bootstrap(d.Raw, !inCompose)) {
			t.Errorf("%s: %v", d.Path, err)
		}
	}
	for _, want := range []string{"envoy.yaml#0", "compose/envoy.yaml#0"} {
		if !slices.Contains(checked, want) {
			t.Errorf("%s was not checked (checked %v)", want, checked)
		}
	}
	t.Logf("checked %v", checked)
}

// TestShipped_brokenBootstrapsFail edits a copy of envoy.yaml and expects each
// check to notice: the validation must be able to fail, at each layer.
func TestShipped_brokenBootstrapsFail(t *testing.T) {
	deployedEnv(t)
	orig, err := os.ReadFile("envoy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if errs := shippedFindings(validate.Bootstrap(orig, true)); len(errs) > 0 {
		t.Fatalf("envoy.yaml itself fails: %v", errs)
	}
	for _, tc := range []struct {
		name, re, repl string
		want           string // in the error
	}{
		{"unknown top-level field", `(?m)^admin:`, "admn:", `unknown field "admn"`},
		{"unknown field in typed_config", `(?m)^([ \t]*)normalize_path:`, "${1}normalise_path:", `unknown field "normalise_path"`},
		{"wrong enum in Wasm plugin", `(?m)^([ \t]*)failure_policy: FAIL_CLOSED`, "${1}failure_policy: FAIL_CLOSE", `FAIL_CLOSE`},
		{"wrong enum in HCM", `(?m)^([ \t]*)path_with_escaped_slashes_action: \w+`, "${1}path_with_escaped_slashes_action: REJECT", `REJECT`},
		{"wrong JSON type", `(?m)^([ \t]*)per_connection_buffer_limit_bytes: \d+`, "${1}per_connection_buffer_limit_bytes: lots", `invalid value for uint32`},
		{"unregistered type", `envoy\.extensions\.filters\.http\.router\.v3\.Router\b`, "envoy.extensions.filters.http.router.v3.Routr", `unable to resolve`},
		{"validation rule", `port_value: \d+`, "port_value: 70000", `socket_address.port_value: value must be less than or equal to 65535`},
		{"validation rule inside Any", `(?m)^([ \t]*)stat_prefix: \S+`, `${1}stat_prefix: ""`, `typed_config.stat_prefix: value length must be at least 1 runes`},
		{"fail open", `(?m)^([ \t]*)failure_policy: FAIL_CLOSED`, "${1}failure_policy: FAIL_OPEN", `want FAIL_CLOSED`},
		{"headers not held", `(?m)^([ \t]*)allow_on_headers_stop_iteration: true`, "${1}allow_on_headers_stop_iteration: false", `allow_on_headers_stop_iteration`},
		{"implicit vm_id", `(?m)^([ \t]*)vm_id: \S+`, `${1}vm_id: ""`, `vm_id`},
		{"small buffer limit", `(?m)^([ \t]*)per_connection_buffer_limit_bytes: \d+`, "${1}per_connection_buffer_limit_bytes: 1024", `per_connection_buffer_limit_bytes is 1024`},
		{"server header rewritten", `(?m)^([ \t]*)server_header_transformation: PASS_THROUGH`, "${1}server_header_transformation: OVERWRITE", `PASS_THROUGH`},
		{"admin exposed", `(?s)(admin:.*?address: )[0-9.]+`, "${1}0.0.0.0", `loopback`},
		{"bad apiguard configuration", `"routes"`, `"routez"`, `apiguard configuration`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			re := regexp.MustCompile(tc.re)
			loc := re.FindIndex(orig)
			if loc == nil {
				t.Fatalf("%s no longer matches envoy.yaml: update this case", tc.re)
			}
			// Only the first match: each case breaks one thing.
			broken := slices.Concat(orig[:loc[0]], re.Expand(nil, []byte(tc.repl), orig, re.FindSubmatchIndex(orig)), orig[loc[1]:])
			errs := validate.Bootstrap(broken, true)
			if len(errs) == 0 {
				t.Fatal("accepted")
			}
			msg := fmt.Sprint(errs)
			t.Log(msg)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not mention %q", msg, tc.want)
			}
		})
	}
}

const istioManifest = "istio/wasmplugin.yaml"

// istioManifests are the shipped Istio examples; each is checked.
var istioManifests = []string{istioManifest, "istio/instead-of-requestauthentication.yaml"}

func TestShipped_istioWasmPlugin(t *testing.T) {
	deployedEnv(t)
	found, err := filepath.Glob(filepath.Join("istio", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range found {
		found[i] = filepath.ToSlash(found[i])
	}
	slices.Sort(found)
	want := slices.Sorted(slices.Values(istioManifests))
	if !slices.Equal(found, want) {
		t.Errorf("istio/ holds %v, the test checks %v: add new manifests to istioManifests", found, want)
	}
	for _, path := range istioManifests {
		data, err := os.ReadFile(filepath.FromSlash(path))
		if err != nil {
			t.Fatal(err)
		}
		for _, err := range shippedFindings(validate.Istio(path, data, true)) {
			t.Errorf("%s: %v", path, err)
		}
	}
}

// TestShipped_brokenWasmPluginFails edits a copy of the manifest: each check must be
// able to fail.
func TestShipped_brokenWasmPluginFails(t *testing.T) {
	deployedEnv(t)
	orig, err := os.ReadFile(filepath.FromSlash(istioManifest))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, re, repl, want string }{
		{"unknown spec field", `(?m)^  pluginConfig:`, "  pluginConfg:", `unknown field "pluginConfg"`},
		{"phase", `phase: AUTHN`, "phase: AUTHZ", `phase = "AUTHZ"`},
		{"fail open", `failStrategy: FAIL_CLOSE`, "failStrategy: FAIL_OPEN", `failStrategy`},
		{"not an image", `(?m)^  url: oci://`, "  url: https://", `not an oci://`},
		{"headers held", `(?m)^    hold_headers: false`, "    hold_headers: true", `hold_headers must be false`},
		{"bad policy", `window: 1m`, "window: 1x", `is not a duration`},
		{"body over the sidecar's buffer limit", `max_body_bytes: 983040`, "max_body_bytes: 983041", `over the 983040 that fit`},
		{"JWKS port without ServiceEntry", `outbound\|443\|`, "outbound|8443|", `no ServiceEntry`},
		{"JWKS authority defaulted", `(?m)^ *authority: idp\.example\.com\n`, "", `set remote_jwks.authority`},
		{"Istio authentication beside apiguard", `kind: ServiceEntry`, "kind: RequestAuthentication", `kind "RequestAuthentication"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			re := regexp.MustCompile(tc.re)
			if !re.Match(orig) {
				t.Fatalf("%s no longer matches %s: update this case", tc.re, istioManifest)
			}
			loc := re.FindIndex(orig)
			broken := slices.Concat(orig[:loc[0]], []byte(tc.repl), orig[loc[1]:])
			errs := validate.Istio(istioManifest, broken, true)
			msg := fmt.Sprint(errs)
			if len(errs) == 0 || !strings.Contains(msg, tc.want) {
				t.Errorf("errors %q, want one mentioning %q", msg, tc.want)
			}
		})
	}
}

// TestShipped_istioPluginConfigBroken: a pluginConfig apiguard refuses fails the
// same path the shipped one passes.
func TestShipped_istioPluginConfigBroken(t *testing.T) {
	for _, raw := range []string{
		`{"hold_headers": false, "routez": []}`,
		`{"hold_headers": "no", "routes": [{"name": "a", "match": {"prefix": "/"}}]}`,
		`{}`,
	} {
		js, err := validate.IstioPluginConfig(json.RawMessage(raw))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := config.Parse(js); err == nil {
			t.Errorf("config.Parse accepted %s", js)
		}
	}
}

// shippedFilters reads and validates envoy.yaml and returns it with its
// apiguard filters (at least one).
func shippedFilters(t *testing.T) (*bootstrapv3.Bootstrap, []validate.Filter) {
	t.Helper()
	data, err := os.ReadFile("envoy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := validate.ParseBootstrap(data)
	if err != nil {
		t.Fatal(err)
	}
	filters, err := validate.Filters(b)
	if err != nil || len(filters) == 0 {
		t.Fatalf("no apiguard filter in envoy.yaml (%v)", err)
	}
	return b, filters
}

// TestShipped_clusterReferences checks the cross-references between apiguard's
// configuration and the bootstrap on a copy of envoy.yaml with clusters of
// known shape, whatever policy envoy.yaml carries today.
func TestShipped_clusterReferences(t *testing.T) {
	b, filters := shippedFilters(t)
	h2, err := anypb.New(&upstreamhttpv3.HttpProtocolOptions{
		UpstreamProtocolOptions: &upstreamhttpv3.HttpProtocolOptions_ExplicitHttpConfig_{
			ExplicitHttpConfig: &upstreamhttpv3.HttpProtocolOptions_ExplicitHttpConfig{
				ProtocolConfig: &upstreamhttpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{
					Http2ProtocolOptions: &corev3.Http2ProtocolOptions{},
				},
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	b.StaticResources.Clusters = append(b.StaticResources.Clusters,
		&clusterv3.Cluster{Name: "test-h1"},
		&clusterv3.Cluster{Name: "test-h2", TypedExtensionProtocolOptions: map[string]*anypb.Any{validate.UpstreamHTTPOptions: h2}})
	provider := func(cluster string) string {
		return `"providers": {"idp": {"issuer": "https://idp.example.com/", "audiences": ["a"],
			"algorithms": ["RS256"], "remote_jwks": {"cluster": "` + cluster + `", "path": "/jwks"}}}`
	}
	for _, tc := range []struct {
		name, config, want string // want "" means no error
	}{
		{"all defined", `{` + provider("test-h1") + `, "rate_limit_service": {"cluster": "test-h2", "domain": "d"}, "default": {}}`, ""},
		{"JWKS cluster missing", `{` + provider("no-such") + `, "default": {}}`, `cluster "no-such", which is not defined`},
		{"rate limit cluster missing", `{"rate_limit_service": {"cluster": "no-such", "domain": "d"}, "default": {}}`, `rate_limit_service.cluster "no-such" is not defined`},
		{"rate limit cluster HTTP/1", `{"rate_limit_service": {"cluster": "test-h1", "domain": "d"}, "default": {}}`, `must speak HTTP/2`},
		{"body over the buffer limit", `{"hold_headers": true, "default": {"response": {"max_body_bytes": 67108864}}}`, `per_connection_buffer_limit_bytes is`},
		{"hold_headers false needs no flag", `{"hold_headers": false, "default": {}}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte(tc.config))
			if err != nil {
				t.Fatal(err)
			}
			f := filters[0]
			if !cfg.HoldHeaders {
				f.Plugin = proto.CloneOf(f.Plugin)
				f.Plugin.AllowOnHeadersStopIteration = nil
			}
			msg := fmt.Sprint(validate.CheckDeployment(b, f, cfg, true))
			if tc.want == "" && msg != "[]" || !strings.Contains(msg, tc.want) {
				t.Errorf("errors %s, want %q", msg, tc.want)
			}
		})
	}
}

// TestShipped_pluginStarts: pluginStarts catches what only proxy_on_configure sees
// (a config that parses but cannot be compiled), not just parse errors.
func TestShipped_pluginStarts(t *testing.T) {
	for _, tc := range []struct{ name, config, want string }{
		{"starts", `{"default": {}}`, ""},
		{"parse error", `{"routez": []}`, `unknown field "routez"`},
		{"bad inline key", `{"providers": {"p": {"issuer": "i", "audiences": ["a"], "algorithms": ["RS256"],
			"jwks": {"keys": [{"kty": "RSA", "kid": "k", "n": "AQAB", "e": "AQAB"}]}}},
			"default": {"auth": {"providers": ["p"]}}}`, `providers.p.jwks`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := config.Parse([]byte(tc.config)); tc.name == "bad inline key" && err != nil {
				t.Fatalf("config.Parse refuses it already (%v): pick a config only configure refuses", err)
			}
			err := validate.PluginStarts([]byte(tc.config), true, nil)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// TestShipped_istioPolicyMatchesEnvoy: issue 9 asks the WasmPlugin to carry the
// same policy as envoy.yaml. Both documents are read as JSON values (the
// WasmPlugin's after Istio's Struct round trip; key order and number
// spelling do not count), the Istio one gets back what Istio makes
// different (hold_headers, Istio's outbound cluster names, response caps
// under a sidecar's buffer limit), and the two must then be equal. Both
// also parse: TestShipped_bootstraps and TestShipped_istioWasmPlugin check that.
func TestShipped_istioPolicyMatchesEnvoy(t *testing.T) {
	_, filters := shippedFilters(t)
	if len(filters) != 1 {
		t.Fatalf("envoy.yaml: %d apiguard filters, want 1", len(filters))
	}
	sv := &wrapperspb.StringValue{}
	if err := filters[0].Plugin.GetConfiguration().UnmarshalTo(sv); err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := json.Unmarshal([]byte(sv.GetValue()), &want); err != nil {
		t.Fatal(err)
	}

	manifest, err := os.ReadFile(filepath.FromSlash(istioManifest))
	if err != nil {
		t.Fatal(err)
	}
	docs, err := validate.SplitDocs(istioManifest, manifest)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	for _, d := range docs {
		if d.Top["kind"] != "WasmPlugin" {
			continue
		}
		js, err := yaml.YAMLToJSON(d.Raw)
		if err != nil {
			t.Fatal(err)
		}
		var p validate.WasmPlugin
		if err := json.Unmarshal(js, &p); err != nil {
			t.Fatal(err)
		}
		cfg, err := validate.IstioPluginConfig(p.Spec.PluginConfig)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(cfg, &got); err != nil {
			t.Fatal(err)
		}
	}
	if got == nil {
		t.Fatalf("%s holds no WasmPlugin", istioManifest)
	}

	// What Istio makes different, put back.
	obj := func(v any, path ...string) map[string]any {
		for _, k := range path {
			m, _ := v.(map[string]any)
			v = m[k]
		}
		m, _ := v.(map[string]any)
		return m
	}
	if got["hold_headers"] != false {
		t.Error("the WasmPlugin's policy must say hold_headers: false")
	}
	got["hold_headers"] = want["hold_headers"]
	outbound := func(where string, m, w map[string]any) {
		if m == nil || w == nil {
			return
		}
		if c, _ := m["cluster"].(string); validate.OutboundCluster.FindStringSubmatch(c) == nil {
			t.Errorf("%s: cluster %q is not an Istio outbound cluster name", where, c)
		}
		m["cluster"] = w["cluster"]
	}
	for name := range obj(got, "providers") {
		outbound("providers."+name+".remote_jwks", obj(got, "providers", name, "remote_jwks"), obj(want, "providers", name, "remote_jwks"))
	}
	outbound("rate_limit_service", obj(got, "rate_limit_service"), obj(want, "rate_limit_service"))
	capped := func(g, w map[string]any) {
		if g == nil || w == nil || g["max_body_bytes"] != float64(validate.IstioBufferLimit-64<<10) {
			return
		}
		if v, ok := w["max_body_bytes"]; ok {
			g["max_body_bytes"] = v
		} else {
			delete(g, "max_body_bytes") // envoy.yaml keeps the default
		}
	}
	capped(obj(got, "default", "response"), obj(want, "default", "response"))
	gr, _ := got["routes"].([]any)
	wr, _ := want["routes"].([]any)
	for i := range min(len(gr), len(wr)) {
		capped(obj(gr[i], "response"), obj(wr[i], "response"))
	}
	if !reflect.DeepEqual(got, want) {
		gj, _ := json.MarshalIndent(got, "", " ")
		wj, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("the WasmPlugin's policy differs from envoy.yaml's beyond what Istio needs:\n%s", lineDiff(string(wj), string(gj)))
	}
}

// lineDiff lists the first lines of a and b that differ, position by
// position.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for i := 0; i < max(len(al), len(bl)) && len(out) < 10; i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			out = append(out, fmt.Sprintf("line %d: envoy.yaml %q, WasmPlugin %q", i+1, x, y))
		}
	}
	return strings.Join(out, "\n")
}

// deployedEnv sets what the shipped examples read from the host's
// environment, as a deployment does (the secret a policy names with
// {"env": ...}; TestShipped_secretsByReference checks the declarations).
func deployedEnv(t *testing.T) {
	t.Setenv("APIGUARD_RLS_HASH_SECRET", "a-shipped-example-secret-0123")
}

// TestShipped_secretsByReference: the shipped Envoy and Istio examples read
// the rate limit service's hash secret from the host's environment
// (host_env_keys, valueFrom: HOST); validate warns, and still checks the
// rest, where it is not set, and refuses a variable the VM would never see.
func TestShipped_secretsByReference(t *testing.T) {
	t.Setenv("APIGUARD_RLS_HASH_SECRET", "")
	envoyYAML, err := os.ReadFile("envoy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	istio, err := os.ReadFile(filepath.FromSlash(istioManifest))
	if err != nil {
		t.Fatal(err)
	}
	const warning = "environment variable APIGUARD_RLS_HASH_SECRET is not set here"
	for _, c := range []struct {
		name string
		errs []error
	}{
		{"envoy.yaml", shippedFindings(validate.Bootstrap(envoyYAML, true))},
		{istioManifest, shippedFindings(validate.Istio(istioManifest, istio, true))},
	} {
		warnings, others := validate.Warnings(c.errs)
		if len(others) > 0 || len(warnings) != 1 || !strings.Contains(warnings[0].Error(), warning) {
			t.Errorf("%s: warnings %v, errors %v; want one warning about the unset variable", c.name, warnings, others)
		}
	}
	undeclared := strings.Replace(string(envoyYAML), "host_env_keys: [APIGUARD_RLS_HASH_SECRET]", "host_env_keys: [OTHER]", 1)
	errs := validate.Bootstrap([]byte(undeclared), true)
	if _, others := validate.Warnings(errs); len(others) != 1 || !strings.Contains(others[0].Error(),
		"the policy reads environment variable APIGUARD_RLS_HASH_SECRET, which vm_config.environment_variables does not declare") {
		t.Errorf("undeclared variable: %v", errs)
	}
	inline := strings.Replace(string(istio), "\n      valueFrom: HOST\n", "\n      value: short\n", 1)
	errs = validate.Istio(istioManifest, []byte(inline), true)
	if _, others := validate.Warnings(errs); len(others) != 1 || !strings.Contains(others[0].Error(),
		"rate_limit_service.hash_secret: environment variable APIGUARD_RLS_HASH_SECRET must hold 16 to 1024 printable ASCII characters") {
		t.Errorf("inline value too short: %v", errs)
	}
}

// TestIstio_prometheusLabels: the Istio manifest ships the stats_tags of
// envoy.yaml in a ConfigMap for sidecar.istio.io/bootstrapOverride, parsed
// as Envoy's bootstrap, and validate refuses a broken one.
func TestIstio_prometheusLabels(t *testing.T) {
	b, _ := shippedFilters(t)
	want := b.GetStatsConfig().GetStatsTags()
	if len(want) != 5 {
		t.Fatalf("envoy.yaml has %d stats_tags, want 5", len(want))
	}
	manifest, err := os.ReadFile(filepath.FromSlash(istioManifest))
	if err != nil {
		t.Fatal(err)
	}
	docs, err := validate.SplitDocs(istioManifest, manifest)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, d := range docs {
		if d.Top["kind"] != "ConfigMap" {
			continue
		}
		js, err := yaml.YAMLToJSON(d.Raw)
		if err != nil {
			t.Fatal(err)
		}
		over, err := validate.BootstrapOverride(js)
		if err != nil || over == nil {
			t.Fatalf("%s: %v", d.Path, err)
		}
		got := over.GetStatsConfig().GetStatsTags()
		if len(got) != len(want) {
			t.Fatalf("%s: %d stats_tags, envoy.yaml has %d", d.Path, len(got), len(want))
		}
		for i := range want {
			if !proto.Equal(got[i], want[i]) {
				t.Errorf("%s: stats_tags[%d] = %v, envoy.yaml has %v", d.Path, i, got[i], want[i])
			}
		}
		if name := d.Top["metadata"].(map[string]any)["name"]; !strings.Contains(string(d.Raw), "sidecar.istio.io/bootstrapOverride: "+name.(string)) {
			t.Errorf("%s: the comment does not show the annotation naming %v", d.Path, name)
		}
		found++
	}
	if found != 1 {
		t.Fatalf("%d ConfigMaps with the stats_tags, want 1", found)
	}
	deployedEnv(t)
	for _, broken := range []struct{ old, new, want string }{
		{`"tag_name": "reason", "regex": "^wasmcustom`, `"tag_name": "reason", "regex": "(^wasmcustom`, "missing closing )"},
		{`"stats_tags": [`, `"stats_tag": [`, "unknown field"},
		{`(?:denied|reported)(\\.(.+))$`, `(?:denied|reported)\\..+$`, "needs a group"},
	} {
		m := strings.Replace(string(manifest), broken.old, broken.new, 1)
		if m == string(manifest) {
			t.Fatalf("%q not found", broken.old)
		}
		errs := shippedFindings(validate.Istio(istioManifest, []byte(m), true))
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), broken.want) {
			t.Errorf("%s -> %s: %v, want one error containing %q", broken.old, broken.new, errs, broken.want)
		}
	}
}

// shippedFindings drops from errs the one warning every shipped example
// earns on purpose: its method-listing routes (GET /healthz, GET and POST
// of /users/{user_id}/orders) are meant to answer 405 to other methods
// while a default exists. Any other warning or error stays.
func shippedFindings(errs []error) []error {
	var out []error
	for _, e := range errs {
		if _, ok := e.(*validate.Warning); ok && strings.Contains(e.Error(), "get 405 method_not_allowed, not default") {
			continue
		}
		out = append(out, e)
	}
	return out
}

// TestShipped_imageTagIsTheVersion: the shipped WasmPlugins pull the image
// of this source tree's version, so a copied example deploys the release
// its docs describe.
func TestShipped_imageTagIsTheVersion(t *testing.T) {
	for _, path := range istioManifests {
		data, err := os.ReadFile(filepath.FromSlash(path))
		if err != nil {
			t.Fatal(err)
		}
		want := "url: oci://registry.example.com/apiguard/apiguard:" + version.Version + "\n"
		if !strings.Contains(string(data), want) {
			t.Errorf("%s: no %q", path, strings.TrimSpace(want))
		}
	}
}
