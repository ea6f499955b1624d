// Package image packages build/apiguard.wasm as an OCI Wasm image without a
// Docker daemon (`apiguard image`, `make image`), in the two variants Istio's
// fetcher accepts (docs/internals/proxy-wasm.md §5.3), and writes them as one OCI image
// layout:
//
//	apiguard image [-wasm build/apiguard.wasm] [-out build/image]
//	    [-push REGISTRY/REPO:TAG] [-push-oci REGISTRY/REPO:TAG] [-insecure]
//	    [-version 0.3.0] [-revision abc1234]
//
// The layout's index names the variants `compat` and `oci`
// (org.opencontainers.image.ref.name), so `skopeo copy oci:build/image:compat
// docker://...` or `crane push` work as well as -push. -push uploads the
// compat variant (the one every tool and Istio release understands), -push-oci
// the artifact variant. Credentials come from the Docker config
// (~/.docker/config.json, $DOCKER_CONFIG) as for `docker push`.
//
// The images are reproducible: every timestamp is SOURCE_DATE_EPOCH (default
// 0, the Unix epoch), so the same module gives the same digests. For
// WasmPlugin.spec.sha256 use the manifest digest printed for the variant you
// push: Istio compares it with the image manifest's digest, not the module's.
//
// Both manifests carry the OCI annotations org.opencontainers.image.version,
// revision, source and licenses; every file of the layout is readable by
// anyone (0644, directories 0755), so a CI user other than the builder can
// copy it.
package image

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/apiguard/apiguard/filter/version"
)

// Reference names of the two variants in the OCI layout's index.
const (
	RefCompat = "compat"
	RefOCI    = "oci"
)

// Run is `apiguard image`: args are its flags. A usage error is a
// *UsageError (after the flag set printed its message to stderr); with
// -help, Run returns flag.ErrHelp.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: apiguard image [-wasm build/apiguard.wasm] [-out build/image] [-push REF] [-push-oci REF] [-insecure]")
		fmt.Fprintln(stderr, "\nPackages the module as an OCI Wasm image (Istio compat and OCI artifact variants) in an OCI image layout, and optionally pushes it.")
		fs.PrintDefaults()
	}
	wasmPath := fs.String("wasm", "build/apiguard.wasm", "the module to package")
	out := fs.String("out", "build/image", "OCI image layout directory to (re)write")
	push := fs.String("push", "", "also push the compat variant to this reference (registry/repo:tag)")
	pushOCI := fs.String("push-oci", "", "also push the OCI artifact variant to this reference")
	insecure := fs.Bool("insecure", false, "talk plain HTTP to the registry (local test registries)")
	ver := fs.String("version", version.Version, "org.opencontainers.image.version annotation")
	rev := fs.String("revision", version.Revision, "org.opencontainers.image.revision annotation (source commit)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &UsageError{err}
	}
	if fs.NArg() > 0 {
		err := fmt.Errorf("unexpected arguments %q", fs.Args())
		fmt.Fprintln(stderr, "apiguard image:", err)
		fs.Usage()
		return &UsageError{err}
	}
	created, err := sourceDateEpoch(getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		return err
	}
	module, err := os.ReadFile(*wasmPath)
	if err != nil {
		return err
	}
	imgs, err := BuildMeta(module, created, Meta{Version: *ver, Revision: *rev})
	if err != nil {
		return fmt.Errorf("%s: %w", *wasmPath, err)
	}
	if err := WriteLayout(*out, imgs); err != nil {
		return fmt.Errorf("writing %s: %w", *out, err)
	}
	fmt.Fprintf(stdout, "module  %s  %d bytes  (%s)\n", sha256Hash(module), len(module), *wasmPath)
	for _, v := range []struct {
		ref string
		img v1.Image
	}{{RefCompat, imgs.Compat}, {RefOCI, imgs.Artifact}} {
		d, err := v.img.Digest()
		if err != nil {
			return err
		}
		size, err := imageSize(v.img)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%-7s %s  %d bytes  oci:%s:%s\n", v.ref, d, size, *out, v.ref)
	}
	for _, p := range []struct {
		ref string
		img v1.Image
	}{{*push, imgs.Compat}, {*pushOCI, imgs.Artifact}} {
		if p.ref == "" {
			continue
		}
		pushed, err := Push(ctx, p.ref, p.img, *insecure)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "pushed  %s\n", pushed)
	}
	return nil
}

// UsageError is a mistake in the command line (exit status 2).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// sourceDateEpoch follows the reproducible-builds convention: the variable,
// when set, is the Unix time to stamp; otherwise the epoch itself.
func sourceDateEpoch(v string) (time.Time, error) {
	if v == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil || sec < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a Unix time", v)
	}
	return time.Unix(sec, 0).UTC(), nil
}

// imageSize is what a pull transfers: manifest, config and layers (a blob
// used twice, like the artifact variant's config, counted once).
func imageSize(img v1.Image) (int64, error) {
	m, err := img.Manifest()
	if err != nil {
		return 0, err
	}
	raw, err := img.RawManifest()
	if err != nil {
		return 0, err
	}
	total := int64(len(raw)) + m.Config.Size
	seen := map[v1.Hash]bool{m.Config.Digest: true}
	for _, l := range m.Layers {
		if !seen[l.Digest] {
			seen[l.Digest] = true
			total += l.Size
		}
	}
	return total, nil
}

// WriteLayout replaces the OCI image layout in dir with the two variants.
// It refuses a non-empty directory that is not an OCI layout, so a mistyped
// -out never deletes anything else.
func WriteLayout(dir string, imgs *Images) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return err
	case len(entries) > 0:
		if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
			return fmt.Errorf("%s is not empty and not an OCI image layout; refusing to overwrite it", dir)
		}
		for _, name := range []string{"index.json", "oci-layout", "blobs"} {
			if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
				return err
			}
		}
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	if err := p.AppendImage(imgs.Compat, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": RefCompat,
	})); err != nil {
		return err
	}
	if err := p.AppendImage(imgs.Artifact, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": RefOCI,
	})); err != nil {
		return err
	}
	return readableModes(dir)
}

// readableModes makes the layout readable by anyone: go-containerregistry
// writes index.json 0755 and blobs 0600 (its temporary files' mode), which
// a CI user other than the builder cannot copy. Content is not secret.
func readableModes(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if d.IsDir() {
			mode = 0o755
		}
		return os.Chmod(path, mode)
	})
}

// Push uploads img to ref and returns ref pinned to the manifest digest
// (the form to put in a WasmPlugin url, or its sha256 field).
func Push(ctx context.Context, ref string, img v1.Image, insecure bool) (name.Digest, error) {
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	r, err := name.ParseReference(ref, opts...)
	if err != nil {
		return name.Digest{}, err
	}
	if err := remote.Write(r, img, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return name.Digest{}, fmt.Errorf("pushing %s: %w", r, err)
	}
	d, err := img.Digest()
	if err != nil {
		return name.Digest{}, err
	}
	return r.Context().Digest(d.String()), nil
}
