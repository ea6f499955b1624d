// Package buildstamp ties build/apiguard.wasm to the sources it was built
// from, so the wasm half of the behaviour suite never runs stale code.
//
// `make build` writes a stamp beside the module (apiguard.wasm.sources)
// holding a content hash of the module's sources (go.mod, go.sum and every
// non-test .go file under filter/, the files the Makefile's rule lists)
// and the SHA-256 of the module it built. Check recomputes both: a source
// edited since the build, or a module not built by `make build`, fails.
// Content hashes, not file times: a fresh clone (every file as old as the
// checkout), a `touch` or a copy that keeps times never decides.
package buildstamp

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Path is the stamp of the module at wasm.
func Path(wasm string) string { return wasm + ".sources" }

// SourceFiles lists the files the module is built from, relative to the
// module root, in byte order: go.mod, go.sum and the .go files under
// filter/ that are not tests.
func SourceFiles(root string) ([]string, error) {
	files := []string{"go.mod", "go.sum"}
	err := filepath.WalkDir(filepath.Join(root, "filter"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	sort.Strings(files)
	return files, err
}

// Sources is the content hash of the module's sources: the SHA-256 of one
// line per file, in SourceFiles' order, "<sha256 of the file>  <path>".
func Sources(root string) (string, error) {
	files, err := SourceFiles(root)
	if err != nil {
		return "", err
	}
	all := sha256.New()
	for _, f := range files {
		sum, err := fileSum(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(all, "%s  %s\n", sum, f)
	}
	return hex.EncodeToString(all.Sum(nil)), nil
}

func fileSum(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Write records that the module at wasm was just built from the sources
// under root.
func Write(root, wasm string) error {
	src, err := Sources(root)
	if err != nil {
		return err
	}
	mod, err := fileSum(wasm)
	if err != nil {
		return err
	}
	return os.WriteFile(Path(wasm), []byte("sources "+src+"\nwasm "+mod+"\n"), 0o644)
}

// ErrStale is wrapped by Check's errors.
var ErrStale = errors.New("build/apiguard.wasm is not built from the current sources: run `make build`")

// Check reports an error wrapping ErrStale unless the module at wasm is
// the one `make build` last built and no source under root has changed
// since.
func Check(root, wasm string) error {
	data, err := os.ReadFile(Path(wasm))
	if err != nil {
		return fmt.Errorf("%w (no build stamp: %v)", ErrStale, err)
	}
	var recSrc, recMod string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), " ")
		switch k {
		case "sources":
			recSrc = v
		case "wasm":
			recMod = v
		}
	}
	if recSrc == "" || recMod == "" {
		return fmt.Errorf("%w (unreadable build stamp %s)", ErrStale, Path(wasm))
	}
	mod, err := fileSum(wasm)
	if err != nil {
		return err
	}
	if mod != recMod {
		return fmt.Errorf("%w (the module is not the one the stamp records: built another way?)", ErrStale)
	}
	src, err := Sources(root)
	if err != nil {
		return err
	}
	if src != recSrc {
		return fmt.Errorf("%w (a file under filter/, go.mod or go.sum changed since the build)", ErrStale)
	}
	return nil
}
