package main

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/apiguard/apiguard/filter/"

// The rooms of the house (see each package's doc). Leaves are syntax and
// maths: they import no other filter package but the syntax leaves jsonx
// and httpx. config is the model, over leaves only. Features decide one
// chapter of the order of checks over the model and the leaves; policy
// compiles them; plugin is the glue; abi is the shim to the host.
var (
	leaves   = []string{"apikey", "claims", "httpx", "jsonx", "jwt", "problem", "proxy", "rlsproto", "route", "schema"}
	syntax   = []string{"httpx", "jsonx"}
	features = []string{"authn", "edge", "jwks", "ratelimit", "redact", "reqcheck", "respcheck"}
)

// imports lists, per filter package (by its directory name; "" is the
// main package), the packages its non-test files import, whatever their
// build constraints (the wasip1 files of abi included).
func imports(t *testing.T) map[string][]string {
	t.Helper()
	dirs, err := filepath.Glob("*")
	if err != nil {
		t.Fatal(err)
	}
	dirs = append(dirs, ".")
	out := map[string][]string{}
	fset := token.NewFileSet()
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		pkg := strings.TrimPrefix(dir, ".")
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, im := range af.Imports {
				p, _ := strconv.Unquote(im.Path.Value)
				if !slices.Contains(out[pkg], p) {
					out[pkg] = append(out[pkg], p)
				}
			}
		}
	}
	if len(out) < 10 {
		t.Fatalf("found only %d packages under filter/", len(out))
	}
	return out
}

// TestDeps_importRules pins the import rules the package docs state.
func TestDeps_importRules(t *testing.T) {
	for pkg, list := range imports(t) {
		for _, p := range list {
			inner, isFilter := strings.CutPrefix(p, module)
			switch {
			case p == "unsafe" && pkg != "abi":
				t.Errorf("%s imports unsafe: only abi touches memory and the host", pkg)
			case p == "net" || strings.HasPrefix(p, "net/") && p != "net/netip":
				t.Errorf("%s imports %s: the filter does no network I/O (net/netip, address parsing, is the one exception)", pkg, p)
			case !isFilter:
			case inner == "abi" && pkg != "":
				t.Errorf("%s imports abi: only the main package wires the shim", pkg)
			case inner == "plugin" && pkg != "":
				t.Errorf("%s imports plugin: nothing builds on the glue", pkg)
			case inner == "proxy" && pkg != "abi" && pkg != "plugin" && pkg != "":
				t.Errorf("%s imports proxy: only plugin and abi speak to the host", pkg)
			case slices.Contains(leaves, pkg) && !slices.Contains(syntax, inner):
				t.Errorf("leaf %s imports %s: leaves import only %v", pkg, inner, syntax)
			case pkg == "config" && !slices.Contains(leaves, inner):
				t.Errorf("config imports %s: the model builds on leaves only", inner)
			case slices.Contains(features, pkg) && slices.Contains(features, inner) && !(pkg == "respcheck" && inner == "redact"):
				t.Errorf("feature %s imports feature %s: features decide apart (they share data through the request view, not calls); only respcheck drives redact", pkg, inner)
			case slices.Contains(features, pkg) && (inner == "policy" || inner == "plugin"):
				t.Errorf("feature %s imports %s: features are compiled by policy, not the reverse", pkg, inner)
			}
		}
	}
}

// TestDeps_rulesCoverEveryPackage makes a new package take a room.
func TestDeps_rulesCoverEveryPackage(t *testing.T) {
	known := append(append(append([]string{"", "abi", "config", "policy", "plugin"}, leaves...), features...), syntax...)
	for pkg := range imports(t) {
		if !slices.Contains(known, pkg) {
			t.Errorf("package %q has no room in deps_test.go: add it to leaves or features (and give it a doc.go)", pkg)
		}
	}
}
