package main

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The house rules (docs/testing.md "House rules"): sizes that keep every
// file readable and the glue thin, tests named by what they pin, a
// repository that stands alone, code under filter/, envoy/ and e2e/. Each
// test reads the tracked tree (git ls-files, plus new files git does not
// ignore) from the repository root and names every breach: the file, what
// it measured and the limit.
const (
	maxGoLines = 600 // any .go file under filter/, envoy/, e2e/, tests included
	// maxPluginLines bounds filter/plugin's non-test .go files together. The
	// goal (issue 14) is 2,000, met: the glue stands at 1,982 lines (about
	// 1,350 of code, the rest comments and blank lines), and the bound is a
	// ratchet: lower it whenever code leaves the plugin, never raise it.
	maxPluginLines    = 1982
	maxPluginFile     = 400 // any one of them
	maxReadmeLines    = 500 // README.md, the front door
	pluginDir         = "filter/plugin/"
	testNamePattern   = `^(Test|Fuzz|Benchmark)[A-Z][A-Za-z0-9]*_[A-Za-z0-9_]+$`
	codeRootsAsString = "filter, envoy, e2e"
)

// topLevelDirs are the directories the repository may hold at its root:
// code under filter/, envoy/ and e2e/, the documentation under docs/, and
// the CI entry point. Build output (build/) is git-ignored and not seen.
var topLevelDirs = []string{".ci", "docs", "e2e", "envoy", "filter"}

// testNameExceptions are test functions that cannot be named
// Test<Feature>_<behaviour>, each with the reason. TestMain is Go's own
// name and always allowed.
var testNameExceptions = map[string]string{}

// outsideDocs are the documents outside the repository that nothing in it
// may cite: the repository stands alone, and docs/ holds the contract in
// its own words. Spelled in parts so that this file does not cite them.
var outsideDocs = []string{
	"../" + "shared",
	"DESIGN" + ".md",
	"PROXY-WASM" + ".md",
	"SECURITY" + ".md",
	"STYLE" + ".md",
}

// trackedFiles lists the repository's files relative to its root (the
// parent of filter/), as git sees them: tracked and still present, or new
// and not ignored. Without git, or outside a work tree (a source archive),
// it walks the tree instead, leaving out what .gitignore names.
func trackedFiles(t *testing.T) []string {
	t.Helper()
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		return walkedFiles(t)
	}
	seen := map[string]bool{}
	var files []string
	for _, f := range strings.Split(string(out), "\x00") {
		if f == "" || seen[f] {
			continue
		}
		seen[f] = true
		if _, err := os.Stat(filepath.Join("..", filepath.FromSlash(f))); err != nil {
			continue // deleted in the work tree, not yet in the index
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		t.Fatal("git ls-files listed no file")
	}
	return files
}

// walkedFiles lists the files below the repository's root when git cannot:
// everything but .git and what .gitignore names (build output, test
// binaries, profiles, the fuzz cache, notes).
func walkedFiles(t *testing.T) []string {
	t.Helper()
	ignoredDirs := []string{".git", "build", "e2e/testdata/fuzz/cache", ".notes"}
	var files []string
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("..", path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if slices.Contains(ignoredDirs, rel) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(rel, ".test") || strings.HasSuffix(rel, ".prof") {
			return nil
		}
		files = append(files, rel)
		return nil
	})
	if err != nil || len(files) == 0 {
		t.Fatalf("walking the repository: %v (%d files)", err, len(files))
	}
	return files
}

func readRepoFile(t *testing.T, f string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(f)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// lineCount counts lines as wc -l does, plus an unterminated last line.
func lineCount(b []byte) int {
	n := bytes.Count(b, []byte("\n"))
	if len(b) > 0 && b[len(b)-1] != '\n' {
		n++
	}
	return n
}

func isGoSource(f string) bool {
	return strings.HasSuffix(f, ".go") && !strings.HasSuffix(f, "_test.go")
}

func under(f string, roots ...string) bool {
	for _, r := range roots {
		if strings.HasPrefix(f, r+"/") {
			return true
		}
	}
	return false
}

func TestHouse_goFilesAtMost600Lines(t *testing.T) {
	for _, f := range trackedFiles(t) {
		if !strings.HasSuffix(f, ".go") || !under(f, "filter", "envoy", "e2e") {
			continue
		}
		if n := lineCount(readRepoFile(t, f)); n > maxGoLines {
			t.Errorf("%s: %d lines, limit %d for a .go file (split a test file by the chapters its tests pin)", f, n, maxGoLines)
		}
	}
}

func TestHouse_pluginIsThinGlue(t *testing.T) {
	total, files := 0, 0
	for _, f := range trackedFiles(t) {
		if !isGoSource(f) || !strings.HasPrefix(f, pluginDir) {
			continue
		}
		n := lineCount(readRepoFile(t, f))
		total += n
		files++
		if n > maxPluginFile {
			t.Errorf("%s: %d lines, limit %d for a file of the glue", f, n, maxPluginFile)
		}
	}
	if files == 0 {
		t.Fatalf("no non-test .go file under %s", pluginDir)
	}
	if total > maxPluginLines {
		t.Errorf("%s: %d lines in %d non-test .go files, limit %d in total", pluginDir, total, files, maxPluginLines)
	}
}

func TestHouse_testNamesSayFeatureAndBehaviour(t *testing.T) {
	re := regexp.MustCompile(testNamePattern)
	fset := token.NewFileSet()
	seen := 0
	for _, f := range trackedFiles(t) {
		if !strings.HasSuffix(f, "_test.go") || strings.Contains("/"+f, "/testdata/") {
			continue
		}
		af, err := parser.ParseFile(fset, filepath.Join("..", filepath.FromSlash(f)), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || !isTestFunc(fd.Name.Name) {
				continue
			}
			seen++
			name := fd.Name.Name
			if name == "TestMain" || re.MatchString(name) {
				continue
			}
			if _, ok := testNameExceptions[name]; ok {
				continue
			}
			t.Errorf("%s:%d: %s is not named Test<Feature>_<behaviour>", f, fset.Position(fd.Pos()).Line, name)
		}
	}
	if seen == 0 {
		t.Fatal("found no test function: the walk is broken")
	}
	if t.Failed() {
		t.Logf("test, fuzz and benchmark names must match %s", testNamePattern)
	}
}

// isTestFunc reports whether go test runs a function of that name: Test,
// Fuzz or Benchmark, then nothing or a character that is not a lower-case
// letter.
func isTestFunc(name string) bool {
	for _, p := range []string{"Test", "Fuzz", "Benchmark"} {
		if rest, ok := strings.CutPrefix(name, p); ok {
			return rest == "" || !(rest[0] >= 'a' && rest[0] <= 'z')
		}
	}
	return false
}

func TestHouse_testNamePatternAndExceptions(t *testing.T) {
	re := regexp.MustCompile(testNamePattern)
	for name, ok := range map[string]bool{
		"TestRoute_longestPrefixWins": true,
		"FuzzRedact_neverPanics":      true,
		"BenchmarkVerify_RS256":       true,
		"TestRoute":                   false,
		"Test_route":                  false,
		"TestAuditA":                  false,
		"Testroute_x":                 false,
		"BenchmarkRoundTrip":          false,
	} {
		if re.MatchString(name) != ok {
			t.Errorf("%s: pattern match %v, want %v", name, !ok, ok)
		}
	}
	for name, why := range testNameExceptions {
		if re.MatchString(name) || strings.TrimSpace(why) == "" {
			t.Errorf("exception %s: an exception must need one (name breaks the pattern) and say why", name)
		}
	}
	if !isTestFunc("TestX") || !isTestFunc("Test") || isTestFunc("Testify") || isTestFunc("testX") {
		t.Error("isTestFunc does not follow go test's rule")
	}
}

// citesChecked reports whether f, with content b, is a kind of file whose
// citations the house checks: Go, Markdown, YAML, shell (by name or by its
// #! line, as .ci/run) and Makefiles, outside testdata.
func citesChecked(f string, b []byte) bool {
	if strings.Contains("/"+f, "/testdata/") {
		return false
	}
	switch path.Ext(f) {
	case ".go", ".md", ".yaml", ".yml", ".sh":
		return true
	}
	base := path.Base(f)
	if base == "Makefile" || strings.HasSuffix(base, ".mk") {
		return true
	}
	first, _, _ := bytes.Cut(b, []byte("\n"))
	return bytes.HasPrefix(first, []byte("#!")) && bytes.Contains(first, []byte("sh"))
}

func TestHouse_citationCheckCoversEveryKind(t *testing.T) {
	for _, c := range []struct {
		f, content string
		want       bool
	}{
		{"filter/plugin/doc.go", "package plugin", true},
		{"docs/design.md", "# Design", true},
		{"envoy/istio/wasmplugin.yaml", "kind: WasmPlugin", true},
		{"e2e/fresh-clone.sh", "set -e", true},
		{"Makefile", "all: build", true},
		{".ci/run", "#!/usr/bin/env bash\nmake check", true},
		{"e2e/wasmguest/testdata/hostcalls/main.go", "package main", false},
		{"envoy/apiguard.demo.json", "{}", false},
		{"LICENSE", "Apache License", false},
	} {
		if got := citesChecked(c.f, []byte(c.content)); got != c.want {
			t.Errorf("citesChecked(%s) = %v, want %v", c.f, got, c.want)
		}
	}
}

func TestHouse_noCitationOutsideTheRepository(t *testing.T) {
	checked := 0
	for _, f := range trackedFiles(t) {
		b := readRepoFile(t, f)
		if !citesChecked(f, b) {
			continue
		}
		checked++
		for i, line := range strings.Split(string(b), "\n") {
			for _, doc := range outsideDocs {
				if strings.Contains(line, doc) {
					t.Errorf("%s:%d cites %s, which is not in the repository (cite docs/)", f, i+1, doc)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("checked no file")
	}
}

func TestHouse_readmeIsTheFrontDoor(t *testing.T) {
	if n := lineCount(readRepoFile(t, "README.md")); n > maxReadmeLines {
		t.Errorf("README.md: %d lines, limit %d (the rest belongs in docs/)", n, maxReadmeLines)
	}
}

func TestHouse_topLevelDirectories(t *testing.T) {
	var found []string
	for _, f := range trackedFiles(t) {
		dir, _, ok := strings.Cut(f, "/")
		if !ok || slices.Contains(found, dir) {
			continue
		}
		found = append(found, dir)
		if !slices.Contains(topLevelDirs, dir) {
			t.Errorf("%s/: a top-level directory outside %v (code stays under %s; docs under docs/)", dir, topLevelDirs, codeRootsAsString)
		}
	}
	for _, want := range []string{"filter", "envoy", "e2e", "docs"} {
		if !slices.Contains(found, want) {
			t.Errorf("%s/: missing from the tracked tree", want)
		}
	}
}

// testFuncNames returns the test, fuzz and benchmark functions of the
// repository by name, with the package directory of each.
func testFuncNames(t *testing.T) map[string]string {
	t.Helper()
	names := map[string]string{}
	fset := token.NewFileSet()
	for _, f := range trackedFiles(t) {
		if !strings.HasSuffix(f, "_test.go") || strings.Contains("/"+f, "/testdata/") {
			continue
		}
		af, err := parser.ParseFile(fset, filepath.Join("..", filepath.FromSlash(f)), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && isTestFunc(fd.Name.Name) {
				names[fd.Name.Name] = path.Dir(f)
			}
		}
	}
	return names
}

// citedTestName is a test, fuzz or benchmark name in a document's code
// span (`TestX_y`), or a -run/-bench pattern's leading name.
var citedTestName = regexp.MustCompile(`\b((?:Test|Fuzz|Benchmark)[A-Z][A-Za-z0-9]*_[A-Za-z0-9_]*[A-Za-z0-9])\b`)

// TestHouse_docsCiteTestsThatExist: every Test<Feature>_<behaviour> name
// docs/, the README and the Makefile cite is a test of the repository (a
// rename that forgets the docs fails here), and every fuzz target is in
// docs/internals/security.md's table of fuzz targets.
func TestHouse_docsCiteTestsThatExist(t *testing.T) {
	names := testFuncNames(t)
	if len(names) < 100 {
		t.Fatalf("found %d test functions: the walk is broken", len(names))
	}
	for _, f := range trackedFiles(t) {
		if !(strings.HasPrefix(f, "docs/") && strings.HasSuffix(f, ".md")) && f != "README.md" && f != "Makefile" {
			continue
		}
		for _, m := range citedTestName.FindAllStringSubmatch(string(readRepoFile(t, f)), -1) {
			if _, ok := names[m[1]]; !ok && !strings.HasSuffix(m[1], "_") && !prefixOfSome(names, m[1]) {
				t.Errorf("%s cites %s, which no test file defines", f, m[1])
			}
		}
	}
	security := string(readRepoFile(t, "docs/internals/security.md"))
	for name, dir := range names {
		if strings.HasPrefix(name, "Fuzz") && !strings.Contains(security, "`"+name+"`") {
			t.Errorf("fuzz target %s (%s) is not in docs/internals/security.md's table of fuzz targets", name, dir)
		}
	}
}

// prefixOfSome reports whether p begins the name of some test: docs cite
// families such as BenchmarkResponse_plain for BenchmarkResponse_plain4K.
func prefixOfSome(names map[string]string, p string) bool {
	for n := range names {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}

// citedPath is a repository path in a document's code span.
var citedPath = regexp.MustCompile("`((?:filter|envoy|e2e|docs)/[A-Za-z0-9_./{}-]*[A-Za-z0-9_]\\.(?:go|md|yaml|json|sh|golden|tsv))`")

// TestHouse_docsCiteFilesThatExist: every repository file docs/ and the
// README name in a code span exists (a move that forgets the docs fails
// here).
func TestHouse_docsCiteFilesThatExist(t *testing.T) {
	files := map[string]bool{}
	for _, f := range trackedFiles(t) {
		files[f] = true
	}
	for _, f := range trackedFiles(t) {
		if !(strings.HasPrefix(f, "docs/") && strings.HasSuffix(f, ".md")) && f != "README.md" {
			continue
		}
		for _, m := range citedPath.FindAllStringSubmatch(string(readRepoFile(t, f)), -1) {
			if p := m[1]; !files[p] && !strings.ContainsAny(p, "{}") && !strings.Contains(p, "/testdata/") {
				t.Errorf("%s names %s, which the repository does not hold", f, p)
			}
		}
	}
}
