package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/apiguard/apiguard/filter/version"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

type result struct {
	code           int
	stdout, stderr string
}

func runArgs(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr, func(string) string { return "" })
	return result{code, stdout.String(), stderr.String()}
}

// golden compares got with testdata/name.golden (go test -update rewrites it).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestCommand_messages runs each subcommand as an operator would and
// compares its exit status and output with golden files.
func TestCommand_messages(t *testing.T) {
	// The shipped examples read it from the host: unset here, validate
	// warns (validate-shipped.golden) and checks the rest.
	t.Setenv("APIGUARD_RLS_HASH_SECRET", "")
	for _, tc := range []struct {
		name  string
		args  []string
		code  int
		stdin string
	}{
		{name: "no-arguments", code: 2},
		{name: "help", args: []string{"--help"}, code: 0},
		{name: "unknown-command", args: []string{"valdate"}, code: 2},
		{name: "openapi-no-spec", args: []string{"openapi"}, code: 2},
		{name: "openapi-petstore", args: []string{"openapi", "-overlay", "testdata/openapi-overlay.json", "../../openapi/testdata/v3.0/petstore.yaml"}, code: 0},
		{name: "openapi-overlay-typos", args: []string{"openapi", "-overlay", "testdata/openapi-overlay-typos.json", "../../openapi/testdata/v3.0/petstore.yaml"}, code: 1},
		{name: "openapi-overlay-syntax", args: []string{"openapi", "-overlay", "testdata/openapi-overlay-syntax.json", "../../openapi/testdata/v3.0/petstore.yaml"}, code: 1},
		{name: "openapi-webhooks-only", args: []string{"openapi", "../../openapi/testdata/v3.1/webhook-example.yaml"}, code: 1},
		{name: "validate-no-file", args: []string{"validate"}, code: 2},
		{name: "validate-help", args: []string{"validate", "--help"}, code: 0},
		{name: "validate-policy-ok", args: []string{"validate", "testdata/policy-ok.json"}, code: 0},
		{name: "validate-policy-bad", args: []string{"validate", "testdata/policy-ok.json", "testdata/policy-bad.json"}, code: 1},
		{name: "validate-policy-typos", args: []string{"validate", "testdata/policy-typos.json", "testdata/policy-syntax.json", "-"}, code: 1,
			stdin: `{"default": {}, "routes": [{"name": "a", "match": {"path": "/a/:id"}, "enforce": "yes"}], "rate_limits": []}`},
		{name: "validate-embedded-typos", args: []string{"validate", "testdata/envoy-typos.yaml", "testdata/listener-quoted.yaml", "testdata/wasmplugin-typos.yaml", "testdata/listener-typo.yaml", "testdata/wasmplugin-fields.yaml"}, code: 1},
		{name: "validate-env-unset", args: []string{"validate", "testdata/policy-env.json"}, code: 0},
		{name: "validate-missing-file", args: []string{"validate", "testdata/no-such.json"}, code: 1},
		{name: "validate-stdin", args: []string{"validate", "-"}, stdin: `{"default": {}, "hold_headers": "yes"}`, code: 1},
		{name: "validate-shipped", args: []string{"validate", "../../envoy.yaml", "../../istio/wasmplugin.yaml", "../../apiguard.demo.json"}, code: 0},
		{name: "proxy-no-upstream", args: []string{"proxy", "-config", "testdata/policy-ok.json"}, code: 2},
		{name: "proxy-bad-flag", args: []string{"proxy", "-upstrem", "x"}, code: 2},
		{name: "demo-no-config", args: []string{"demo"}, code: 2},
		{name: "image-stray-argument", args: []string{"image", "stray"}, code: 2},
		{name: "image-no-module", args: []string{"image", "-wasm", "testdata/no-such.wasm", "-out", "testdata/no-such-dir"}, code: 1},
		{name: "rlsconfig-no-service", args: []string{"rlsconfig", "testdata/policy-ok.json"}, code: 1},
		{name: "version-stray-argument", args: []string{"version", "x"}, code: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runArgs(t, tc.stdin, tc.args...)
			if r.code != tc.code {
				t.Errorf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			golden(t, tc.name, "exit "+string(rune('0'+r.code))+"\n--- stdout\n"+r.stdout+"--- stderr\n"+r.stderr)
		})
	}
}

// TestCommand_helpOnEverySubcommand: -help on each prints its usage and
// exits 0.
func TestCommand_helpOnEverySubcommand(t *testing.T) {
	for _, c := range commands {
		for _, h := range []string{"-help", "--help", "-h"} {
			r := runArgs(t, "", c.name, h)
			if r.code != 0 || !strings.Contains(r.stderr, "usage: apiguard "+c.name) {
				t.Errorf("apiguard %s %s: exit %d, stderr %q", c.name, h, r.code, r.stderr)
			}
		}
	}
}

func TestVersion_printsVersionAndRevision(t *testing.T) {
	r := runArgs(t, "", "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "apiguard "+version.Version+" (") || !strings.HasSuffix(r.stdout, ")\n") {
		t.Errorf("exit %d, stdout %q", r.code, r.stdout)
	}
}

// TestValidate_listener: a listener file on its own (here the shipped
// bootstrap's listener) is checked as one, and a setting docs/operating.md requires
// that it lacks is reported.
func TestValidate_listener(t *testing.T) {
	t.Setenv("APIGUARD_RLS_HASH_SECRET", "a-shipped-example-secret-0123")
	raw, err := os.ReadFile(filepath.Join("..", "..", "envoy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		StaticResources struct {
			Listeners []any `json:"listeners"`
		} `json:"static_resources"`
	}
	if err := yaml.Unmarshal(raw, &b); err != nil || len(b.StaticResources.Listeners) == 0 {
		t.Fatalf("envoy.yaml: %v", err)
	}
	listener, err := yaml.Marshal(b.StaticResources.Listeners[0])
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "listener.yaml")
	bad := filepath.Join(dir, "fail-open.yaml")
	os.WriteFile(good, listener, 0o644)
	os.WriteFile(bad, bytes.Replace(listener, []byte("FAIL_CLOSED"), []byte("FAIL_OPEN"), 1), 0o644)
	if r := runArgs(t, "", "validate", good); r.code != 0 || !strings.HasSuffix(r.stdout, "\n"+good+": ok (Envoy listener)\n") || strings.Count(r.stdout, ": warning: ") != 1 {
		t.Errorf("good listener: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runArgs(t, "", "validate", bad); r.code != 1 || !strings.Contains(r.stdout, "failure_policy is FAIL_OPEN, want FAIL_CLOSED") {
		t.Errorf("fail-open listener: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestValidate_brokenBootstrap: an Envoy file with a typo fails with
// Envoy's own words, exit status 1.
func TestValidate_brokenBootstrap(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "envoy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "envoy.yaml")
	os.WriteFile(path, bytes.Replace(raw, []byte("normalize_path:"), []byte("normalise_path:"), 1), 0o644)
	if r := runArgs(t, "", "validate", path); r.code != 1 || !strings.Contains(r.stdout, `unknown field "normalise_path"`) {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestBinary_exitStatus builds the command as `go install` would and runs
// it: the exit statuses reach the shell.
func TestBinary_exitStatus(t *testing.T) {
	if testing.Short() {
		t.Skip("-short leaves out the go build of the command (tens of seconds); make test runs it")
	}
	bin := filepath.Join(t.TempDir(), "apiguard")
	build := exec.Command("go", "build", "-ldflags", "-X github.com/apiguard/apiguard/filter/version.Revision=abc1234", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"version"}, 0, "apiguard " + version.Version + " (abc1234)\n"},
		{[]string{"validate", "testdata/policy-ok.json"}, 0, "testdata/policy-ok.json: ok (apiguard policy)\n"},
		{[]string{"validate", "testdata/policy-bad.json"}, 1, ""},
		{[]string{"proxy"}, 2, ""},
	} {
		cmd := exec.Command(bin, tc.args...)
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code || tc.out != "" && stdout.String() != tc.out {
			t.Errorf("apiguard %q: exit %d, stdout %q; want %d, %q", tc.args, code, stdout.String(), tc.code, tc.out)
		}
	}
}
