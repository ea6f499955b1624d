package buildstamp

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// tree lays out a small module: go.mod, go.sum, filter/ with a source, a
// test and a nested package, and a built module.
func tree(t *testing.T) (root, wasm string) {
	t.Helper()
	root = t.TempDir()
	for p, c := range map[string]string{
		"go.mod":              "module x\n",
		"go.sum":              "",
		"filter/main.go":      "package main\n",
		"filter/main_test.go": "package main\n",
		"filter/a/a.go":       "package a\n",
		"filter/a/README.md":  "notes\n",
		"e2e/e2e.go":          "package e2e\n",
		"build/apiguard.wasm": "\x00asm",
	} {
		write(t, filepath.Join(root, p), c)
	}
	return root, filepath.Join(root, "build", "apiguard.wasm")
}

func write(t *testing.T, p, c string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBuildstamp_sourceFiles(t *testing.T) {
	root, _ := tree(t)
	got, err := SourceFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"filter/a/a.go", "filter/main.go", "go.mod", "go.sum"}
	if len(got) != len(want) {
		t.Fatalf("%v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%v, want %v", got, want)
		}
	}
}

// TestBuildstamp_checkDetectsStale: a fresh stamp passes; every change that makes the module
// stale fails with ErrStale, and nothing else does (file times, tests,
// files outside the sources).
func TestBuildstamp_checkDetectsStale(t *testing.T) {
	for _, c := range []struct {
		name  string
		edit  func(t *testing.T, root, wasm string)
		stale bool
	}{
		{"fresh", func(*testing.T, string, string) {}, false},
		{"times only", func(t *testing.T, root, _ string) {
			old := time.Now().Add(-time.Hour)
			if err := os.Chtimes(filepath.Join(root, "filter/main.go"), old, old); err != nil {
				t.Fatal(err)
			}
			future := time.Now().Add(time.Hour)
			if err := os.Chtimes(filepath.Join(root, "filter/a/a.go"), future, future); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"a test edited", func(t *testing.T, root, _ string) {
			write(t, filepath.Join(root, "filter/main_test.go"), "package main // x\n")
		}, false},
		{"outside filter", func(t *testing.T, root, _ string) { write(t, filepath.Join(root, "e2e/e2e.go"), "package e2e // x\n") }, false},
		{"a source edited", func(t *testing.T, root, _ string) { write(t, filepath.Join(root, "filter/a/a.go"), "package a // x\n") }, true},
		{"a source added", func(t *testing.T, root, _ string) { write(t, filepath.Join(root, "filter/b/b.go"), "package b\n") }, true},
		{"a source removed", func(t *testing.T, root, _ string) { os.Remove(filepath.Join(root, "filter/a/a.go")) }, true},
		{"a source renamed", func(t *testing.T, root, _ string) {
			os.Rename(filepath.Join(root, "filter/a/a.go"), filepath.Join(root, "filter/a/b.go"))
		}, true},
		{"go.sum edited", func(t *testing.T, root, _ string) { write(t, filepath.Join(root, "go.sum"), "x v1.0.0 h1:\n") }, true},
		{"module rebuilt by hand", func(t *testing.T, _, wasm string) { write(t, wasm, "\x00asm2") }, true},
		{"no stamp", func(t *testing.T, _, wasm string) { os.Remove(Path(wasm)) }, true},
		{"stamp garbled", func(t *testing.T, _, wasm string) { write(t, Path(wasm), "garbage\n") }, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			root, wasm := tree(t)
			if err := Write(root, wasm); err != nil {
				t.Fatal(err)
			}
			c.edit(t, root, wasm)
			err := Check(root, wasm)
			if c.stale != errors.Is(err, ErrStale) {
				t.Fatalf("Check = %v, want stale %v", err, c.stale)
			}
			if !c.stale && err != nil {
				t.Fatalf("Check = %v", err)
			}
		})
	}
}
