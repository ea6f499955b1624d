// Command image packages build/apiguard.wasm as an OCI Wasm image without a
// Docker daemon (`make image`), in the two variants Istio's fetcher accepts
// (PROXY-WASM.md §5.3), and writes them as one OCI image layout:
//
//	go run ./envoy/image [-wasm build/apiguard.wasm] [-out build/image]
//	    [-push REGISTRY/REPO:TAG] [-push-oci REGISTRY/REPO:TAG] [-insecure]
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
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
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
)

// Reference names of the two variants in the OCI layout's index.
const (
	RefCompat = "compat"
	RefOCI    = "oci"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	wasmPath := fs.String("wasm", "build/apiguard.wasm", "the module to package")
	out := fs.String("out", "build/image", "OCI image layout directory to (re)write")
	push := fs.String("push", "", "also push the compat variant to this reference (registry/repo:tag)")
	pushOCI := fs.String("push-oci", "", "also push the OCI artifact variant to this reference")
	insecure := fs.Bool("insecure", false, "talk plain HTTP to the registry (local test registries)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	created, err := sourceDateEpoch(getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		return err
	}
	module, err := os.ReadFile(*wasmPath)
	if err != nil {
		return err
	}
	imgs, err := Build(module, created)
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
	return p.AppendImage(imgs.Artifact, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": RefOCI,
	}))
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
