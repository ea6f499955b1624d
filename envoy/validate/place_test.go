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
			in := oneInFile(t, data)
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

// oneInFile checks data as File does and wants one *InFile among the
// errors.
func oneInFile(t *testing.T, data string) *InFile {
	t.Helper()
	_, errs := File("f", []byte(data))
	_, errs = Warnings(errs)
	var in *InFile
	if len(errs) != 1 || !errors.As(errs[0], &in) {
		t.Fatalf("errors %v, want one *InFile", errs)
	}
	return in
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
	in := oneInFile(t, data)
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

// TestPlaced_fileErrors: what Envoy's API refuses in the YAML (protojson
// places it in the JSON validate made of the YAML, which the operator never
// sees; the validation rules name Go fields), the Envoy settings apiguard
// requires, and the fields a WasmPlugin does not have are each reported at
// the file's line and column, in the file's order: an unknown field at its
// key, a value at its value or key, a missing setting at the key of what
// should hold it.
func TestPlaced_fileErrors(t *testing.T) {
	t.Setenv("APIGUARD_RLS_HASH_SECRET", "a-shipped-example-secret-0123")
	type placed struct{ at, msg string } // the text at the place; in the message (\x00: its end)
	for _, tc := range []struct {
		name, file, prefix string
		edits              [][2]string
		want               []placed
	}{
		{"unknown field", "envoy.yaml", "", [][2]string{{"normalize_path:", "normalise_path:"}},
			[]placed{{"normalise_path:", `unknown field "normalise_path" (did you mean "normalize_path"?)`}}},
		{"wrong enum name", "envoy.yaml", "", [][2]string{{"failure_policy: FAIL_CLOSED", "failure_policy: FAIL_CLOSE"}},
			[]placed{{"FAIL_CLOSE", `invalid value for enum field failurePolicy: "FAIL_CLOSE" (did you mean "FAIL_CLOSED"?)`}}},
		{"inside a list, after a document marker", "envoy.yaml", "# the bootstrap\n---\n", [][2]string{{"tag_name: limit", "tag_nam: limit"}},
			[]placed{{"tag_nam:", `unknown field "tag_nam" (did you mean "tag_name"?)`}}},
		{"unknown field inside a typed_config", "envoy.yaml", "", [][2]string{{"inline_string:", "inline_strng:"}},
			[]placed{{"inline_strng:", `unknown field "inline_strng" (did you mean "inline_string"?)`}}},
		{"an unknown field far from any", "envoy.yaml", "", [][2]string{{"normalize_path:", "zzzzzz:"}},
			[]placed{{"zzzzzz:", `unknown field "zzzzzz"` + "\x00"}}},
		{"validation rules", "envoy.yaml", "", [][2]string{{"stat_prefix: ingress", `stat_prefix: ""`}, {"port_value: 10000", "port_value: 100000"}, {"port_value: 9901", "port_value: 99010"}},
			[]placed{
				{"port_value: 99010", "admin.address.socket_address.port_value: value must be less than or equal to 65535"},
				{"port_value: 100000", "static_resources.listeners[0].address.socket_address.port_value: value must be less than or equal to 65535"},
				{`stat_prefix: ""`, "static_resources.listeners[0].filter_chains[0].filters[0].typed_config.stat_prefix: value length must be at least 1 runes"}}},
		{"deployment settings", "envoy.yaml", "", [][2]string{{"failure_policy: FAIL_CLOSED", "failure_policy: FAIL_OPEN"},
			{"normalize_path: true", "normalize_path: false"}, {"          merge_slashes: true\n", ""},
			{"{address: 127.0.0.1, port_value: 9901}", "{address: 0.0.0.0, port_value: 9901}"}},
			[]placed{
				{"address: 0.0.0.0", "admin listens on"},
				{"typed_config:\n", "merge_slashes must be true"}, // the connection manager's
				{"normalize_path: false", "normalize_path must be true"},
				{"failure_policy: FAIL_OPEN", "failure_policy is FAIL_OPEN"}}},
		{"WasmPlugin fields", filepath.Join("istio", "wasmplugin.yaml"), "# a comment\n---\n",
			[][2]string{{"  pluginConfig:", "  pluginConfg:"}, {"failStrategy:", "FAILSTRATEGY:"}, {"    matchLabels:", "    matchLabel:"}},
			[]placed{
				{"FAILSTRATEGY:", `WasmPlugin.spec: unknown field "FAILSTRATEGY" (Kubernetes field names are case-sensitive: did you mean "failStrategy"?)`},
				{"pluginConfg:", `WasmPlugin.spec: unknown field "pluginConfg" (did you mean "pluginConfig"?)`}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("..", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			data := string(b)
			for _, e := range tc.edits {
				if !strings.Contains(data, e[0]) {
					t.Fatalf("%q is no longer in %s: update this case", e[0], tc.file)
				}
				data = strings.Replace(data, e[0], e[1], 1)
			}
			data = tc.prefix + data
			_, errs := File("f", []byte(data))
			_, errs = Warnings(errs)
			if len(errs) != len(tc.want) {
				t.Fatalf("errors %v, want %d", errs, len(tc.want))
			}
			lines := strings.Split(data, "\n")
			for i, w := range tc.want {
				var p *Placed
				if !errors.As(errs[i], &p) {
					t.Fatalf("%v: not placed", errs[i])
				}
				if p.Line < 1 || p.Line > len(lines) || p.Column < 1 || p.Column > len(lines[p.Line-1]) {
					t.Fatalf("%v: no such place", p)
				}
				if at := lines[p.Line-1][p.Column-1:] + "\n"; !strings.HasPrefix(at, w.at) || !strings.Contains(p.Msg+"\x00", w.msg) {
					t.Errorf("%v: the file there reads %q, want %q and a message with %q", p, at, w.at, w.msg)
				}
			}
		})
	}
}

// TestFieldSteps_yamlNames: protoc-gen-validate's Go field names become the YAML's.
func TestFieldSteps_yamlNames(t *testing.T) {
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
