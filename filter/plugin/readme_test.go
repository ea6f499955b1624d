package plugin

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/filter/config"
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

// docsPage reads a page of the repository's docs/ folder.
func docsPage(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// docsSection returns the part of page from the line "## title" up to the
// next second-level heading.
func docsSection(t *testing.T, page, title string) string {
	t.Helper()
	i := strings.Index(page, "\n## "+title+"\n")
	if i < 0 {
		t.Fatalf("no section %q", title)
	}
	rest := page[i+1:]
	if j := strings.Index(rest[3:], "\n## "); j >= 0 {
		rest = rest[:j+3]
	}
	return rest
}

// TestDocs_reasonNames: the contract says the reason names are documented.
// Every reason a refusal can carry (in the deny log line,
// apiguard.denied.<reason>, apiguard.reported.<reason>, the audit line and
// the response code details apiguard_<reason>) appears in the "Reasons"
// section of docs/responses.md in backticks, as `<reason>` or
// `apiguard_<reason>`; and every name the first column of that section's
// tables lists is a reason the code has. So the documented names cannot
// drift from the code either way.
func TestDocs_reasonNames(t *testing.T) {
	section := docsSection(t, docsPage(t, "responses.md"), "Reasons")
	reasons := refusalReasons(t)
	if len(reasons) < 60 {
		t.Fatalf("found only %d reasons: %v", len(reasons), reasons)
	}
	for name, from := range reasons {
		if name == "" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			t.Errorf("reason %q (%s) is not lower-case ASCII with underscores", name, from)
			continue
		}
		if !strings.Contains(section, "`"+name+"`") && !strings.Contains(section, "`apiguard_"+name+"`") {
			t.Errorf("reason %q (%s) is not listed in docs/responses.md \"Reasons\" as `%s`", name, from, name)
		}
	}
	listed := 0
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first := strings.Split(line, "|")[1]
		for _, part := range strings.Split(first, "`") {
			part = strings.TrimSpace(part)
			if part == "" || part == "," {
				continue
			}
			listed++
			if _, ok := reasons[part]; !ok {
				t.Errorf("docs/responses.md \"Reasons\" lists %q, which no refusal carries", part)
			}
		}
	}
	if listed < 60 {
		t.Errorf("docs/responses.md \"Reasons\" tables list only %d reasons", listed)
	}
}

// TestDocs_configExamplesParse: every complete configuration the docs and
// the README show (a ```json block holding an object with "routes" or
// "default") is one the plugin starts on, so an example cannot teach a
// field or a value the parser refuses.
func TestDocs_configExamplesParse(t *testing.T) {
	pages, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	pages = append(pages, filepath.Join("..", "..", "README.md"))
	found := 0
	for _, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		blocks := strings.Split(string(b), "```json\n")
		for i, block := range blocks[1:] {
			end := strings.Index(block, "```")
			if end < 0 {
				t.Fatalf("%s: unterminated json block %d", p, i+1)
			}
			doc := []byte(block[:end])
			var top map[string]json.RawMessage
			if json.Unmarshal(doc, &top) != nil {
				continue // a fragment, not a whole document
			}
			if _, ok := top["routes"]; !ok {
				if _, ok := top["default"]; !ok {
					continue
				}
			}
			found++
			if _, err := config.Parse(doc); err != nil {
				t.Errorf("%s, json block %d: the plugin refuses it: %v", p, i+1, err)
			}
		}
	}
	if found < 2 {
		t.Errorf("found only %d complete configurations in the docs and the README", found)
	}
}
