package validate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInFile_placesEmbeddedErrors: the errors of a policy inside an Envoy
// bootstrap (a block scalar, literal or folded, with or without indicators,
// after other documents) or an Istio WasmPlugin (pluginConfig as YAML) are
// placed at the file's line and column: the text there is the offending key
// or value, every error of the policy in document order.
func TestInFile_placesEmbeddedErrors(t *testing.T) {
	t.Setenv("APIGUARD_RLS_HASH_SECRET", "a-shipped-example-secret-0123")
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("..", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	envoy, istio := read("envoy.yaml"), read(filepath.Join("istio", "wasmplugin.yaml"))
	envoyTypos := [][2]string{{`"methods"`, `"methodz"`}, {`"window": "1m"`, `"window": "1 minute"`}}
	istioTypos := [][2]string{{`methods: [GET]}`, `methodz: [GET]}`}, {`window: 1m`, `window: 1 minute`}}
	const serviceEntry = "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: x}\nspec: {hosts: [a.example.com], ports: [{number: 443}]}\n---\n"
	for _, tc := range []struct {
		name, base, prefix string
		edits              [][2]string
		want               []string // the text at each error's place, in order
	}{
		{"literal block", envoy, "", envoyTypos, []string{`"methodz"`, `"1 minute"`}},
		{"literal block with indentation and chomping indicators", envoy, "",
			append([][2]string{{"value: |\n", "value: |2-\n"}}, envoyTypos...), []string{`"methodz"`, `"1 minute"`}},
		{"folded block", envoy, "", append([][2]string{{"value: |\n", "value: >+\n"}}, envoyTypos...), []string{`"methodz"`, `"1 minute"`}},
		{"after a comment and a document marker", envoy, "# the bootstrap\n---\n", envoyTypos, []string{`"methodz"`, `"1 minute"`}},
		{"an error on the policy's first line", envoy, "", [][2]string{{"value: |\n                    {\n", "value: |\n                    {\"x\": 1,\n"}},
			[]string{`"x"`}},
		{"pluginConfig", istio, "", istioTypos, []string{`methodz`, `1 minute`}},
		{"pluginConfig after another document", istio, serviceEntry, istioTypos, []string{`methodz`, `1 minute`}},
		{"pluginConfig: a wrong type in a flow mapping", istio, "", [][2]string{{"enforce: true", `enforce: "yes"`}}, []string{`"yes"`}},
		{"pluginConfig: a missing field at its object's key", istio, "", [][2]string{{"- name: health\n      match:", "- match:"}},
			[]string{`match: {path: /healthz`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.base
			for _, e := range tc.edits {
				if !strings.Contains(data, e[0]) {
					t.Fatalf("%q is no longer in the file: update this case", e[0])
				}
				data = strings.Replace(data, e[0], e[1], 1)
			}
			data = tc.prefix + data
			_, errs := File("f", []byte(data))
			_, errs = Warnings(errs)
			var in *InFile
			if len(errs) != 1 || !errors.As(errs[0], &in) {
				t.Fatalf("errors %v, want one *InFile", errs)
			}
			lines := strings.Split(data, "\n")
			if len(in.List.Errors) != len(tc.want) {
				t.Fatalf("%d errors, want %d:\n%v", len(in.List.Errors), len(tc.want), in)
			}
			for i, e := range in.List.Errors {
				if e.Line < 1 || e.Line > len(lines) || e.Column < 1 || e.Column > len(lines[e.Line-1]) {
					t.Fatalf("%v: no such place", e.Located())
				}
				if at := lines[e.Line-1][e.Column-1:]; !strings.HasPrefix(at, tc.want[i]) {
					t.Errorf("%s: the file there reads %q, want %q", e.Located(), at, tc.want[i])
				}
			}
		})
	}
}

// TestInFile_capped: an embedded policy with more than 20 errors keeps the
// first 20, placed, and counts the others.
func TestInFile_capped(t *testing.T) {
	t.Setenv("APIGUARD_RLS_HASH_SECRET", "a-shipped-example-secret-0123")
	b, err := os.ReadFile(filepath.Join("..", "envoy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var extra strings.Builder
	for i := range 22 {
		fmt.Fprintf(&extra, `"x%d": 1, `, i)
	}
	const at = `"hold_headers": true,`
	data := strings.Replace(string(b), at, extra.String()+at, 1)
	if data == string(b) {
		t.Fatalf("%s is no longer in envoy.yaml", at)
	}
	_, errs := File("f", []byte(data))
	_, errs = Warnings(errs)
	var in *InFile
	if len(errs) != 1 || !errors.As(errs[0], &in) {
		t.Fatalf("errors %v, want one *InFile", errs)
	}
	lines := strings.Split(data, "\n")
	first := in.List.Errors[0]
	if len(in.List.Errors) != 20 || in.List.Omitted != 2 || !strings.HasPrefix(lines[first.Line-1][first.Column-1:], `"x0"`) ||
		!strings.HasSuffix(in.Error(), "(and 2 more errors)") {
		t.Errorf("%d errors, %d omitted, first %s:\n%s", len(in.List.Errors), in.List.Omitted, first.Located(), in)
	}
}

// TestBootstrap_everyUndeclaredVariable: each variable the policy reads
// that vm_config.environment_variables does not declare is its own error.
func TestBootstrap_everyUndeclaredVariable(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "envoy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	data := strings.Replace(string(b), `"audit_log": true`, `"audit_log": {"hash_secret": {"env": "AUDIT_SECRET"}}`, 1)
	data = strings.Replace(data, "host_env_keys: [APIGUARD_RLS_HASH_SECRET]", "host_env_keys: [OTHER]", 1)
	_, errs := Warnings(Bootstrap([]byte(data), true))
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	if len(errs) != 2 || !strings.Contains(msgs[0], "APIGUARD_RLS_HASH_SECRET") || !strings.Contains(msgs[1], "AUDIT_SECRET") {
		t.Errorf("errors %q, want one per undeclared variable", msgs)
	}
}

// TestPlaced_envoyErrors: an error Envoy's API finds in the YAML (protojson
// places it in the JSON validate made of the YAML, which the operator never
// sees) is placed at the YAML's line and column: an unknown field at its
// key, a wrong enum name at its value.
func TestPlaced_envoyErrors(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "envoy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, prefix, old, new, at, msg string
	}{
		{"unknown field", "", "normalize_path:", "normalise_path:", "normalise_path:", `unknown field "normalise_path"`},
		{"wrong enum name", "", "failure_policy: FAIL_CLOSED", "failure_policy: FAIL_CLOSE", "FAIL_CLOSE", `invalid value for enum field failurePolicy: "FAIL_CLOSE"`},
		{"inside a list, after a document marker", "# the bootstrap\n---\n", "tag_name: limit", "tag_nam: limit", "tag_nam:", `unknown field "tag_nam"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(string(b), tc.old) {
				t.Fatalf("%q is no longer in envoy.yaml", tc.old)
			}
			data := tc.prefix + strings.Replace(string(b), tc.old, tc.new, 1)
			_, errs := File("f", []byte(data))
			var p *Placed
			if len(errs) != 1 || !errors.As(errs[0], &p) {
				t.Fatalf("errors %v, want one *Placed", errs)
			}
			lines := strings.Split(data, "\n")
			if p.Line < 1 || p.Line > len(lines) || p.Column < 1 || p.Column > len(lines[p.Line-1]) {
				t.Fatalf("%v: no such place", p)
			}
			if at := lines[p.Line-1][p.Column-1:]; !strings.HasPrefix(at, tc.at) || p.Msg != tc.msg {
				t.Errorf("%v: the file there reads %q, want %q and the message %q", p, at, tc.at, tc.msg)
			}
		})
	}
}

// TestPlaced_wasmPluginFields: every field a WasmPlugin does not have is
// reported at its key, in the file's order, with the right spelling of a
// name in another case and a suggestion for a typo.
func TestPlaced_wasmPluginFields(t *testing.T) {
	t.Setenv("APIGUARD_RLS_HASH_SECRET", "a-shipped-example-secret-0123")
	b, err := os.ReadFile(filepath.Join("..", "istio", "wasmplugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	data := string(b)
	for _, e := range [][2]string{{"  pluginConfig:", "  pluginConfg:"}, {"failStrategy:", "FAILSTRATEGY:"}, {"    matchLabels:", "    matchLabel:"}} {
		if !strings.Contains(data, e[0]) {
			t.Fatalf("%q is no longer in wasmplugin.yaml", e[0])
		}
		data = strings.Replace(data, e[0], e[1], 1)
	}
	data = "# a comment\n---\n" + data
	_, errs := File("f", []byte(data))
	want := []struct{ at, msg string }{
		{"FAILSTRATEGY:", `WasmPlugin.spec: unknown field "FAILSTRATEGY" (Kubernetes field names are case-sensitive: did you mean "failStrategy"?)`},
		{"pluginConfg:", `WasmPlugin.spec: unknown field "pluginConfg" (did you mean "pluginConfig"?)`},
	}
	if len(errs) != len(want) {
		t.Fatalf("errors %v, want %d", errs, len(want))
	}
	lines := strings.Split(data, "\n")
	for i, w := range want {
		var p *Placed
		if !errors.As(errs[i], &p) {
			t.Fatalf("%v: not placed", errs[i])
		}
		if at := lines[p.Line-1][p.Column-1:]; !strings.HasPrefix(at, w.at) || p.Msg != w.msg {
			t.Errorf("%v: the file there reads %q, want %q and the message %q", p, at, w.at, w.msg)
		}
	}
}

// TestPlaced_deploymentSettings: a setting apiguard requires of Envoy is
// reported at its place in the file, or, missing, at the key of what should
// hold it, in the file's order.
func TestPlaced_deploymentSettings(t *testing.T) {
	t.Setenv("APIGUARD_RLS_HASH_SECRET", "a-shipped-example-secret-0123")
	b, err := os.ReadFile(filepath.Join("..", "envoy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	data := string(b)
	for _, e := range [][2]string{{"failure_policy: FAIL_CLOSED", "failure_policy: FAIL_OPEN"},
		{"normalize_path: true", "normalize_path: false"}, {"          merge_slashes: true\n", ""},
		{"{address: 127.0.0.1, port_value: 9901}", "{address: 0.0.0.0, port_value: 9901}"}} {
		if !strings.Contains(data, e[0]) {
			t.Fatalf("%q is no longer in envoy.yaml", e[0])
		}
		data = strings.Replace(data, e[0], e[1], 1)
	}
	_, errs := Warnings(Bootstrap([]byte(data), true))
	want := []struct{ at, msg string }{
		{"address: 0.0.0.0", "admin listens on"},
		{"typed_config:\n", "merge_slashes must be true"}, // the connection manager's
		{"normalize_path: false", "normalize_path must be true"},
		{"failure_policy: FAIL_OPEN", "failure_policy is FAIL_OPEN"},
	}
	if len(errs) != len(want) {
		t.Fatalf("errors %v, want %d", errs, len(want))
	}
	lines := strings.Split(data, "\n")
	for i, w := range want {
		var p *Placed
		if !errors.As(errs[i], &p) {
			t.Fatalf("%v: not placed", errs[i])
		}
		if at := lines[p.Line-1][p.Column-1:] + "\n"; !strings.HasPrefix(at, w.at) || !strings.Contains(p.Msg, w.msg) {
			t.Errorf("%v: the file there reads %q, want %q and a message with %q", p, at, w.at, w.msg)
		}
	}
}

// TestPlaced_envoyRules: every violation of Envoy's validation rules, in
// the bootstrap's own messages and inside typed_config, is reported at its
// field with its YAML path, in the file's order.
func TestPlaced_envoyRules(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "envoy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	data := string(b)
	for _, e := range [][2]string{{"stat_prefix: ingress", `stat_prefix: ""`}, {"port_value: 10000", "port_value: 100000"}, {"port_value: 9901", "port_value: 99010"}} {
		if !strings.Contains(data, e[0]) {
			t.Fatalf("%q is no longer in envoy.yaml", e[0])
		}
		data = strings.Replace(data, e[0], e[1], 1)
	}
	_, errs := File("f", []byte(data))
	want := []struct{ at, msg string }{
		{"port_value: 99010", "admin.address.socket_address.port_value: value must be less than or equal to 65535"},
		{"port_value: 100000", "static_resources.listeners[0].address.socket_address.port_value: value must be less than or equal to 65535"},
		{`stat_prefix: ""`, "static_resources.listeners[0].filter_chains[0].filters[0].typed_config.stat_prefix: value length must be at least 1 runes"},
	}
	if len(errs) != len(want) {
		t.Fatalf("errors %v, want %d", errs, len(want))
	}
	lines := strings.Split(data, "\n")
	for i, w := range want {
		var p *Placed
		if !errors.As(errs[i], &p) {
			t.Fatalf("%v: not placed", errs[i])
		}
		if at := lines[p.Line-1][p.Column-1:]; !strings.HasPrefix(at, w.at) || p.Msg != w.msg {
			t.Errorf("%v: the file there reads %q, want %q and the message %q", p, at, w.at, w.msg)
		}
	}
}

// TestFieldSteps: protoc-gen-validate's Go field names become the YAML's.
func TestFieldSteps(t *testing.T) {
	for _, tc := range []struct {
		field string
		want  string
	}{
		{"StaticResources", "[static_resources]"},
		{"Listeners[0]", "[listeners 0]"},
		{"Http2ProtocolOptions", "[http2_protocol_options]"},
		{"TypedExtensionProtocolOptions[envoy.x.y]", "[typed_extension_protocol_options envoy.x.y]"},
	} {
		if got := fmt.Sprint(fieldSteps(tc.field)); got != tc.want {
			t.Errorf("fieldSteps(%q) = %s, want %s", tc.field, got, tc.want)
		}
	}
}
