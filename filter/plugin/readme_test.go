package plugin

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/filter/reqcheck"
)

// goFiles parses the non-test Go files of dir (build tags ignored, so
// filter/abi's wasip1 files are read too).
func goFiles(t *testing.T, dir string) map[string]*ast.File {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	out := map[string]*ast.File{}
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		out[p] = f
	}
	if len(out) == 0 {
		t.Fatalf("no Go files in %s", dir)
	}
	return out
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// refusalReasons collects every reason a refusal can carry, from the code:
// the problem.Reason constants (filter/problem), the names of the JSON body
// failures the plugin turns into reasons (reqcheck.Failures), reasons the
// plugin spells as problem.Reason("...") literals, and the response code
// details "apiguard_<reason>" filter/abi sends on its own (its last-resort
// answer to a panic). The value is where the name comes from.
func refusalReasons(t *testing.T) map[string]string {
	t.Helper()
	reasons := map[string]string{}
	for path, f := range goFiles(t, filepath.Join("..", "problem")) {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Reason" {
					continue
				}
				for i, v := range vs.Values {
					s, ok := stringLit(v)
					if !ok {
						t.Fatalf("%s: reason %s is not a string literal", path, vs.Names[i].Name)
					}
					reasons[s] = path + " " + vs.Names[i].Name
				}
			}
		}
	}
	for _, fl := range reqcheck.Failures() {
		reasons[fl.String()] = "reqcheck.Failure " + fl.String()
	}
	for path, f := range goFiles(t, ".") {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 1 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Reason" {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "problem" {
				if s, ok := stringLit(call.Args[0]); ok {
					reasons[s] = path + " problem.Reason literal"
				}
			}
			return true
		})
	}
	for path, f := range goFiles(t, filepath.Join("..", "abi")) {
		ast.Inspect(f, func(n ast.Node) bool {
			if e, ok := n.(ast.Expr); ok {
				if s, ok := stringLit(e); ok && strings.HasPrefix(s, "apiguard_") {
					reasons[strings.TrimPrefix(s, "apiguard_")] = path + " response code details " + s
				}
			}
			return true
		})
	}
	return reasons
}

// TestReadme_reasonNames: DESIGN.md "Observability": "the reason names are
// listed in the README". Every reason a refusal can carry (in the deny log
// line, apiguard.denied.<reason>, apiguard.reported.<reason>, the audit
// line and the response code details apiguard_<reason>) appears in
// README.md in backticks, as `<reason>` or `apiguard_<reason>`, so the
// documented names cannot drift from the code.
func TestReadme_reasonNames(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	reasons := refusalReasons(t)
	if len(reasons) < 60 {
		t.Fatalf("found only %d reasons: %v", len(reasons), reasons)
	}
	for name, from := range reasons {
		if name == "" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			t.Errorf("reason %q (%s) is not lower-case ASCII with underscores", name, from)
			continue
		}
		if !strings.Contains(string(readme), "`"+name+"`") && !strings.Contains(string(readme), "`apiguard_"+name+"`") {
			t.Errorf("reason %q (%s) is not listed in README.md as `%s`", name, from, name)
		}
	}
}
