package localproxy

import (
	"bytes"
	"path/filepath"
	"regexp"
	"testing"
)

// The proxy and the demo say what they do while the module compiles (the
// first run can take minutes), and where the compiled code is kept.
func TestProgress_compileSaysWhatHappens(t *testing.T) {
	var out bytes.Buffer
	if _, err := compileWithProgress(filepath.Join("..", "..", "build", "apiguard.wasm"), "demo", &out); err != nil {
		t.Fatalf("%v (run make build)", err)
	}
	want := regexp.MustCompile(`^apiguard demo: loading \S+apiguard.wasm \(the first run compiles it to machine code, which can take a minute or more\)\n` +
		`(apiguard demo: still compiling \(\d+s\)\.\.\.\n)*` +
		`apiguard demo: (module ready in \S+ \(from the compilation cache in .+/apiguard/wazero\)|compiled in \S+; kept in .+/apiguard/wazero, so the next start takes about a second)\n$`)
	if !want.Match(out.Bytes()) {
		t.Errorf("progress:\n%s", out.String())
	}
	out.Reset()
	if _, err := compileWithProgress("no-such.wasm", "proxy", &out); err == nil {
		t.Error("a missing module compiled")
	}
}
