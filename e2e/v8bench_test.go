package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestV8Runner_runsGoTestBinary keeps make bench-v8's runner honest: a Go test
// binary built for wasip1 runs in Node's V8 through e2e/v8bench/run.mjs,
// reports its tests, and its exit status comes through (0 for PASS, 2 for
// a bad flag), so a broken runner cannot print an empty table.
func TestV8Runner_runsGoTestBinary(t *testing.T) {
	node := needNode(t)
	// go test puts the go command on PATH: its absence is a broken
	// environment, not a reason to skip.
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "httpx.wasm")
	build := exec.Command(goTool, "test", "-c", "-o", bin, "../filter/httpx")
	build.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the wasip1 test binary: %v\n%s", err, out)
	}
	run := func(args ...string) (string, error) {
		out, err := onceMoreOnSignal(t, func() ([]byte, error) {
			return exec.Command(node, append([]string{"--no-warnings", "v8bench/run.mjs", bin}, args...)...).CombinedOutput()
		})
		return string(out), err
	}
	out, err := run("-test.run", "^TestFold", "-test.v")
	if err != nil || !strings.Contains(out, "--- PASS: TestFold") || !strings.HasSuffix(strings.TrimSpace(out), "PASS") {
		t.Fatalf("the tests in V8: %v\n%s", err, out)
	}
	out, err = run("-test.nosuchflag")
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Fatalf("a bad flag: exit %v, want status 2, the test binary's own\n%s", err, out)
	}
}

// needNode returns node's path for the V8 tests and benchmarks. Under
// -short they do not start node (the one skip); without node they fail,
// saying how to install it: `make test` installs it (e2e/test-deps.sh).
func needNode(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: node is not started")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not on PATH; `make test` installs it (e2e/test-deps.sh), or run `apt-get install nodejs`; `go test -short` skips this")
	}
	return node
}

// onceMoreOnSignal runs a node command and, when node died by a signal
// (Node 20 now and then does at exit, e2e/v8bench/bench.sh), once more.
func onceMoreOnSignal(t testing.TB, run func() ([]byte, error)) ([]byte, error) {
	out, err := run()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == -1 {
		t.Logf("node died by a signal (%v); once more", err)
		out, err = run()
	}
	return out, err
}
