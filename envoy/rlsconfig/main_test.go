package rlsconfig

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRLSConfig_run(t *testing.T) {
	const cfg = `{"rate_limit_service": {"cluster": "rls", "domain": "d"}, "routes": [{"name": "a", "match": {"prefix": "/"},
	  "rate_limits": [{"name": "g", "key": "ip", "limit": 3, "window": "1m", "global": true}]}]}`
	dir := t.TempDir()
	in := filepath.Join(dir, "apiguard.json")
	if err := os.WriteFile(in, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	if err := run(nil, "", strings.NewReader(cfg), &stdout); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "  - key: \"g\"\n") {
		t.Errorf("stdin to stdout:\n%s", stdout.String())
	}
	out := filepath.Join(dir, "out.yaml")
	if err := run([]string{in}, out, nil, nil); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(out); err != nil || !bytes.Equal(b, stdout.Bytes()) {
		t.Errorf("file output %q (%v), want what stdout had", b, err)
	}
	for _, args := range [][]string{{in, in}, {filepath.Join(dir, "missing.json")}} {
		if err := run(args, "", nil, &stdout); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
	if err := run(nil, "", strings.NewReader(`{"routes": []}`), &stdout); err == nil || !strings.Contains(err.Error(), "rate_limit_service") {
		t.Errorf("a configuration without the service: %v", err)
	}
}
