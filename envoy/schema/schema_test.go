// Package schema holds apiguard.schema.json, the JSON Schema of the
// configuration for editors and CI (docs/configuration.md "JSON Schema").
// filter/config's tests keep it as strict as the parser where JSON Schema
// can say it; this test checks that it accepts every shipped example.
package schema

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/apiguard/apiguard/envoy/validate"
)

func compile(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("apiguard.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("apiguard.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("apiguard.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// shippedPolicies returns every policy the repository ships, by where it
// is: JSON policies, the Wasm filters of the Envoy bootstraps, the
// pluginConfig of the Istio WasmPlugins (as Istio hands it over).
func shippedPolicies(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, glob := range []string{"../*.json", "../cmd/apiguard/testdata/policy-ok.json", "../cmd/apiguard/testdata/policy-env.json"} {
		files, _ := filepath.Glob(glob)
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out[f] = data
		}
	}
	for _, f := range []string{"../envoy.yaml", "../compose/envoy.yaml"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b, err := validate.ParseBootstrap(data)
		if err != nil {
			t.Fatal(err)
		}
		filters, err := validate.Filters(b)
		if err != nil || len(filters) == 0 {
			t.Fatalf("%s: no apiguard filter (%v)", f, err)
		}
		for _, fl := range filters {
			sv := &wrapperspb.StringValue{}
			if err := fl.Plugin.GetConfiguration().UnmarshalTo(sv); err != nil {
				t.Fatal(err)
			}
			out[f+": "+fl.Where] = []byte(sv.GetValue())
		}
	}
	manifests, _ := filepath.Glob("../istio/*.yaml")
	for _, f := range manifests {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs, err := validate.SplitDocs(f, data)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			if d.Top["kind"] != "WasmPlugin" {
				continue
			}
			spec, _ := json.Marshal(d.Top["spec"].(map[string]any)["pluginConfig"])
			js, err := validate.IstioPluginConfig(spec)
			if err != nil {
				t.Fatal(err)
			}
			out[d.Path] = js
		}
	}
	if len(out) < 7 {
		t.Fatalf("found only %d shipped policies", len(out))
	}
	return out
}

// TestSchema_acceptsShippedPolicies: every shipped policy is valid for the
// parser (with placeholders for its secrets) and for the schema.
func TestSchema_acceptsShippedPolicies(t *testing.T) {
	s := compile(t)
	for where, policy := range shippedPolicies(t) {
		if _, _, errs := validate.ParsePolicy(policy, validate.Env{Where: "test", Any: true}); len(errs) > 0 {
			if _, others := validate.Warnings(errs); len(others) > 0 {
				t.Errorf("%s: the parser refuses it: %v", where, others)
			}
		}
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(string(policy)))
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		if err := s.Validate(inst); err != nil {
			t.Errorf("%s: the schema refuses it:\n%v", where, err)
		}
	}
}

// TestSchema_refusesWhatEditorsShouldFlag: a few mistakes an editor using
// the schema shows as they are typed.
func TestSchema_refusesWhatEditorsShouldFlag(t *testing.T) {
	s := compile(t)
	for _, doc := range []string{
		`{"routes": [{"name": "a", "match": {"path": "/users/:id"}}]}`,
		`{"routes": [{"name": "a", "match": {"path": "/a"}, "rate_limit": []}]}`,
		`{"default": {"rate_limits": [{"name": "a", "key": "ip", "limit": 1, "window": "1 minute"}]}}`,
		`{"default": {}, "rate_limit_service": {"cluster": "c", "domain": "d", "hash_secret": {"env": "1X"}}}`,
		`{"providers": {}}`,
	} {
		inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		if s.Validate(inst) == nil {
			t.Errorf("the schema accepts %s", doc)
		}
	}
}
