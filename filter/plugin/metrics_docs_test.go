package plugin

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// metricLiteral is a metric name or name prefix as the source spells it: "apiguard.requests", "apiguard.denied.", "apiguard.apikey.".
var metricLiteral = regexp.MustCompile(`^apiguard\.[a-z0-9_.]*$`)

// metricSources are the packages whose code spells metric names: the
// plugin, which counts, problem, which names the refusal counters, and the
// features that name the counters of what they decide.
var metricSources = []string{".", "../authn", "../edge", "../jwks", "../problem", "../ratelimit", "../respcheck"}

// TestMetrics_namesInDocs: every metric name (or prefix of a name built
// from configuration, such as apiguard.apikey.<id>.used) that the code of
// metricSources spells appears in docs/operating.md as the Envoy stat
// `wasmcustom.<name>`, so the documented names cannot drift from the code
// (docs/operating.md "Observability"; issue 2: "wasmcustom. names documented").
func TestMetrics_namesInDocs(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "docs", "operating.md"))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, dir := range metricSources {
		fs, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(fs) == 0 {
			t.Fatalf("no Go files in %s (%v)", dir, err)
		}
		files = append(files, fs...)
	}
	fset := token.NewFileSet()
	names := map[string]string{} // literal -> file
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err == nil && metricLiteral.MatchString(s) {
				names[s] = f
			}
			return true
		})
	}
	if len(names) < 10 {
		t.Fatalf("found only %d metric literals: %v", len(names), names)
	}
	for name, file := range names {
		if !strings.Contains(string(readme), "`wasmcustom."+name) {
			t.Errorf("metric %q (%s) is not documented in docs/operating.md as `wasmcustom.%s...`", name, file, name)
		}
	}
}
