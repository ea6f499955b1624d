package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jsonx"
)

var update = flag.Bool("update", false, "rewrite the golden .out.json files")

// responseConfig parses a `response` object the way the plugin gets it: as
// part of a whole configuration, with every default applied.
func responseConfig(t testing.TB, response []byte) *config.Response {
	t.Helper()
	doc := `{"hold_headers":true,"routes":[{"name":"golden","match":{"prefix":"/"},"response":` + string(response) + `}]}`
	cfg, err := config.Parse([]byte(doc))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg.Routes[0].Policy.Response
}

// TestRedact_golden runs every testdata/NAME.config.json (a `response` object)
// over NAME.in.json and compares with NAME.out.json, or, for a refused
// input, with the jsonx reason in NAME.err. Run with -update to rewrite the
// .out.json files after checking the differences by hand.
func TestRedact_golden(t *testing.T) {
	configs, err := filepath.Glob("testdata/*.config.json")
	if err != nil || len(configs) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	var w Rewriter
	for _, cf := range configs {
		name := strings.TrimSuffix(filepath.Base(cf), ".config.json")
		t.Run(name, func(t *testing.T) {
			base := filepath.Join("testdata", name)
			cfgText := read(t, cf)
			in := read(t, base+".in.json")
			cfg := responseConfig(t, cfgText)
			rules := Compile(cfg)
			out, st, err := w.Rewrite(rules, nil, in)
			if wantErr, rerr := os.ReadFile(base + ".err"); rerr == nil {
				var je *jsonx.Error
				if !errors.As(err, &je) || je.Reason != strings.TrimSpace(string(wantErr)) {
					t.Fatalf("error %v, want reason %s", err, wantErr)
				}
				if out != nil {
					t.Fatalf("refused input produced output %s", out)
				}
				return
			}
			if err != nil {
				t.Fatalf("rewrite: %v", err)
			}
			if !json.Valid(out) || jsonx.Validate(out, jsonx.Limits{}) != nil {
				t.Fatalf("output is not valid JSON: %s", out)
			}
			if *update {
				if err := os.WriteFile(base+".out.json", out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want := read(t, base+".out.json")
			if !bytes.Equal(out, want) {
				t.Fatalf("output\n%s\nwant\n%s", out, want)
			}
			if st.Changed != !bytes.Equal(in, out) {
				t.Errorf("Changed = %v for an output that is %s the input", st.Changed, map[bool]string{true: "not", false: "exactly"}[st.Changed])
			}
			// Redacting is idempotent: nothing is left to change.
			again, _, err := w.Rewrite(rules, nil, out)
			if err != nil || !bytes.Equal(again, out) {
				t.Errorf("second pass: %v\n%s", err, again)
			}
			checkNoLeak(t, cfg, out)
		})
	}
}

func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.TrimRight(b, "\n")
}
