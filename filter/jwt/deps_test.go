package jwt

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDeps_noNetworkPath proves the verifier cannot fetch anything: the package
// (for the wasm target and natively) links no networking, no x509 (which
// pulls in net) and no process execution. jku and x5u therefore have
// nowhere to go; TestVerify_neverFetches checks the behaviour too.
func TestDeps_noNetworkPath(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed to list dependencies: %v", err)
	}
	for _, env := range [][]string{nil, {"GOOS=wasip1", "GOARCH=wasm"}} {
		cmd := exec.Command(goBin, "list", "-deps", ".")
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %v: %v", env, err)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 10 {
			t.Fatalf("go list returned %d packages", len(deps))
		}
		for _, d := range deps {
			if d == "net" || strings.HasPrefix(d, "net/") || d == "crypto/x509" || d == "os/exec" || d == "crypto/tls" {
				t.Errorf("%v: the package depends on %s", env, d)
			}
		}
	}
}

// TestDeps_noClockOrTimers keeps the package free of the wall clock and of
// runtime timers (docs/operating.md "Where it runs"): time is always passed in.
func TestDeps_noClockOrTimers(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	banned := regexp.MustCompile(`time\.(Now|Since|Until|Sleep|After|AfterFunc|Tick|NewTimer|NewTicker)\b|context\.With(Timeout|Deadline)`)
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		if m := banned.Find(src); m != nil {
			t.Errorf("%s uses %s", f, m)
		}
	}
	if checked == 0 {
		t.Fatal("no source files checked")
	}
}
