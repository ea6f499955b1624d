package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// builtModule is the module `make build` wrote (or $APIGUARD_WASM). The
// image must carry the real module, so its absence is a failure.
func builtModule(t *testing.T) (string, []byte) {
	t.Helper()
	path := os.Getenv("APIGUARD_WASM")
	if path == "" {
		path = filepath.Join("..", "..", "build", "apiguard.wasm")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the built module is needed (run `make build` or set APIGUARD_WASM): %v", err)
	}
	return path, data
}

// Kinds of image the fetcher tells apart, in the order it tries them.
const (
	kindDockerCompat = "docker-compat"
	kindOCICompat    = "oci-compat"
	kindOCIArtifact  = "oci-artifact"
)

// fetchLikeIstio extracts the module the way Istio's ImageFetcher does
// (docs/internals/proxy-wasm.md §5.3): a Docker schema 2 manifest is the compat variant with
// a Docker tar.gz last layer; otherwise the OCI compat variant (last layer an
// OCI tar+gzip holding plugin.wasm) is tried, then the artifact variant
// (exactly two layers, one of them the raw module, read as stored). Like
// Istio's cache, it refuses bytes that do not start with \0asm.
func fetchLikeIstio(img v1.Image) (kind string, module []byte, err error) {
	m, err := img.Manifest()
	if err != nil {
		return "", nil, err
	}
	layers, err := img.Layers()
	if err != nil {
		return "", nil, err
	}
	if m.MediaType == types.DockerManifestSchema2 {
		kind = kindDockerCompat
		module, err = compatModule(layers, types.DockerLayer)
	} else {
		var errCompat, errOCI error
		if module, errCompat = compatModule(layers, types.OCILayer); errCompat == nil {
			kind = kindOCICompat
		} else if module, errOCI = artifactModule(layers); errOCI == nil {
			kind = kindOCIArtifact
		} else {
			err = fmt.Errorf("not a Wasm image: compat: %v; oci: %v", errCompat, errOCI)
		}
	}
	if err != nil {
		return "", nil, err
	}
	if !bytes.HasPrefix(module, []byte("\x00asm")) {
		return "", nil, fmt.Errorf("%s image holds something that is not a Wasm module", kind)
	}
	return kind, module, nil
}

func compatModule(layers []v1.Layer, want types.MediaType) ([]byte, error) {
	if len(layers) == 0 {
		return nil, errors.New("no layers")
	}
	last := layers[len(layers)-1]
	mt, err := last.MediaType()
	if err != nil {
		return nil, err
	}
	if mt != want {
		return nil, fmt.Errorf("last layer is %s, not %s", mt, want)
	}
	rc, err := last.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	zr, err := gzip.NewReader(rc)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, errors.New("no plugin.wasm in the layer")
		}
		if err != nil {
			return nil, err
		}
		if filepath.Base(h.Name) == PluginFile {
			return io.ReadAll(tr)
		}
	}
}

func artifactModule(layers []v1.Layer) ([]byte, error) {
	if len(layers) != 2 {
		return nil, fmt.Errorf("%d layers, want 2", len(layers))
	}
	for _, l := range layers {
		mt, err := l.MediaType()
		if err != nil {
			return nil, err
		}
		if mt != WasmLayerMediaType {
			continue
		}
		// Stored uncompressed: Istio reads Compressed() as the raw module.
		rc, err := l.Compressed()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	return nil, fmt.Errorf("no %s layer", WasmLayerMediaType)
}

func noEnv(string) string { return "" }

// TestImage_pushPullRoundTrip runs the command as `make image` does, pushing both
// variants to an in-process registry, then pulls them back the way Istio
// does and checks that the module comes out unchanged, and that the layout
// on disk holds the very same manifests.
func TestImage_pushPullRoundTrip(t *testing.T) {
	wasmPath, module := builtModule(t)
	wantSum := sha256.Sum256(module)

	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	out := filepath.Join(t.TempDir(), "image")
	var stdout bytes.Buffer
	args := []string{"-wasm", wasmPath, "-out", out,
		"-push", host + "/apiguard:compat", "-push-oci", host + "/apiguard-oci:v1", "-insecure"}
	if err := Run(context.Background(), args, &stdout, io.Discard, noEnv); err != nil {
		t.Fatalf("run: %v\n%s", err, stdout.String())
	}
	t.Logf("\n%s", stdout.String())

	lp, err := layout.FromPath(out)
	if err != nil {
		t.Fatal(err)
	}
	index, err := lp.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := index.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 2 {
		t.Fatalf("layout index has %d manifests, want 2", len(im.Manifests))
	}
	layoutDigest := map[string]v1.Hash{}
	for _, d := range im.Manifests {
		layoutDigest[d.Annotations["org.opencontainers.image.ref.name"]] = d.Digest
	}

	for _, tc := range []struct {
		ref, layoutRef, kind string
		variant              string // module.wasm.image/variant annotation
	}{
		{host + "/apiguard:compat", RefCompat, kindOCICompat, "compat"},
		{host + "/apiguard-oci:v1", RefOCI, kindOCIArtifact, ""},
	} {
		t.Run(tc.layoutRef, func(t *testing.T) {
			// No name.Insecure: like Istio, rely on loopback registries
			// being spoken to over plain HTTP.
			ref, err := name.ParseReference(tc.ref)
			if err != nil {
				t.Fatal(err)
			}
			desc, err := remote.Get(ref)
			if err != nil {
				t.Fatal(err)
			}
			img, err := desc.Image()
			if err != nil {
				t.Fatal(err)
			}
			kind, got, err := fetchLikeIstio(img)
			if err != nil {
				t.Fatal(err)
			}
			if kind != tc.kind {
				t.Errorf("classified as %s, want %s", kind, tc.kind)
			}
			if !bytes.Equal(got, module) {
				t.Fatalf("pulled module: %d bytes, sha256 %x; want %d bytes, sha256 %x",
					len(got), sha256.Sum256(got), len(module), wantSum)
			}
			if sha256.Sum256(got) != wantSum {
				t.Fatal("sha256 differs")
			}
			m, err := img.Manifest()
			if err != nil {
				t.Fatal(err)
			}
			if m.MediaType != types.OCIManifestSchema1 {
				t.Errorf("manifest media type %s", m.MediaType)
			}
			if v := m.Annotations[VariantAnnotation]; v != tc.variant {
				t.Errorf("%s annotation = %q, want %q", VariantAnnotation, v, tc.variant)
			}
			// Istio pins oci:// images by manifest digest: the registry's
			// must be the one the layout (and the command) reported.
			if desc.Digest != layoutDigest[tc.layoutRef] {
				t.Errorf("registry digest %s, layout digest %s", desc.Digest, layoutDigest[tc.layoutRef])
			}
			if pinned := ref.Context().Digest(desc.Digest.String()).String(); !strings.Contains(stdout.String(), "pushed  "+pinned+"\n") {
				t.Errorf("output does not report %s", pinned)
			}

			// The layout copy of the same variant reads the same.
			limg, err := lp.Image(layoutDigest[tc.layoutRef])
			if err != nil {
				t.Fatal(err)
			}
			lkind, lgot, err := fetchLikeIstio(limg)
			if err != nil || lkind != tc.kind || !bytes.Equal(lgot, module) {
				t.Errorf("layout image: kind %s, %d bytes, err %v", lkind, len(lgot), err)
			}
		})
	}
}

// TestImage_variantShapes pins what the specs require of each variant beyond what
// the fetcher checks: the compat layer holds plugin.wasm (and the optional
// runtime-config.json), the artifact's config is the Envoy runtime config.
func TestImage_variantShapes(t *testing.T) {
	module := append([]byte("\x00asm\x01\x00\x00\x00"), bytes.Repeat([]byte{7}, 100)...)
	imgs, err := Build(module, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}

	layers, err := imgs.Compat.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 {
		t.Fatalf("compat: %d layers, want exactly 1", len(layers))
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Typeflag != tar.TypeReg || h.Mode != 0o644 || h.Uid != 0 || h.Gid != 0 || !h.ModTime.Equal(time.Unix(0, 0)) {
			t.Errorf("%s: type %c mode %o uid %d gid %d mtime %v", h.Name, h.Typeflag, h.Mode, h.Uid, h.Gid, h.ModTime)
		}
	}
	if strings.Join(names, ",") != PluginFile+","+RuntimeConfigFile {
		t.Errorf("compat layer files %v", names)
	}
	cf, err := imgs.Compat.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	diffID, err := layers[0].DiffID()
	if err != nil {
		t.Fatal(err)
	}
	if len(cf.RootFS.DiffIDs) != 1 || cf.RootFS.DiffIDs[0] != diffID {
		t.Errorf("compat config diff_ids %v, layer diff id %s", cf.RootFS.DiffIDs, diffID)
	}

	m, err := imgs.Artifact.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.MediaType != WasmConfigMediaType {
		t.Errorf("artifact config media type %s", m.Config.MediaType)
	}
	raw, err := imgs.Artifact.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var rcfg map[string]any
	if err := json.Unmarshal(raw, &rcfg); err != nil {
		t.Fatal(err)
	}
	want := `{"abiVersions":["v0.2.1"],"abi_version":"v0.2.1","config":{"root_ids":["apiguard"]},"type":"envoy_proxy"}`
	if got, _ := json.Marshal(rcfg); string(got) != want {
		t.Errorf("runtime config %s, want %s", got, want)
	}
	var mts []types.MediaType
	for _, l := range m.Layers {
		mts = append(mts, l.MediaType)
	}
	if len(mts) != 2 || mts[0] != WasmConfigMediaType || mts[1] != WasmLayerMediaType || m.Layers[0].Digest != m.Config.Digest {
		t.Errorf("artifact layers %v", m.Layers)
	}
}

// TestImage_fetcherRejects checks that the classifier the round trip relies on
// can fail: images that are neither variant, or whose bytes are not Wasm.
func TestImage_fetcherRejects(t *testing.T) {
	wasm := []byte("\x00asm\x01\x00\x00\x00")
	rc := []byte(`{"type":"envoy_proxy"}`)
	tarball, err := tarFiles(time.Unix(0, 0), []file{{"other.wasm", wasm}})
	if err != nil {
		t.Fatal(err)
	}
	gz, err := gzipBytes(tarball)
	if err != nil {
		t.Fatal(err)
	}
	notWasm, err := tarFiles(time.Unix(0, 0), []file{{PluginFile, []byte("MZ")}})
	if err != nil {
		t.Fatal(err)
	}
	notWasmGz, err := gzipBytes(notWasm)
	if err != nil {
		t.Fatal(err)
	}
	cfg := newBlob(types.OCIConfigJSON, []byte("{}"), nil)
	for _, tc := range []struct {
		name   string
		config *blob
		layers []*blob
	}{
		// What `oras push --manifest-config` produces: Istio wants 2 layers.
		{"artifact with one layer", newBlob(WasmConfigMediaType, rc, nil), []*blob{newBlob(WasmLayerMediaType, wasm, nil)}},
		{"artifact without wasm layer", newBlob(WasmConfigMediaType, rc, nil), []*blob{newBlob(WasmConfigMediaType, rc, nil), newBlob(WasmConfigMediaType, rc, nil)}},
		{"compat without plugin.wasm", cfg, []*blob{newBlob(types.OCILayer, gz, nil)}},
		{"compat with docker layer in oci manifest", cfg, []*blob{newBlob(types.DockerLayer, gz, nil)}},
		{"compat holding no wasm", cfg, []*blob{newBlob(types.OCILayer, notWasmGz, nil)}},
		{"no layers", cfg, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := assemble(tc.config, tc.layers, nil)
			if err != nil {
				t.Fatal(err)
			}
			if kind, _, err := fetchLikeIstio(img); err == nil {
				t.Errorf("accepted as %s", kind)
			}
		})
	}
}

func manifestDigests(t *testing.T, imgs *Images) [2]v1.Hash {
	t.Helper()
	var out [2]v1.Hash
	for i, img := range []v1.Image{imgs.Compat, imgs.Artifact} {
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		out[i] = d
	}
	return out
}

// TestImage_reproducible: the same module and time give the same digests; the
// digests do follow the module (and, for the compat variant, the time).
func TestImage_reproducible(t *testing.T) {
	_, module := builtModule(t)
	epoch := time.Unix(0, 0)
	build := func(mod []byte, created time.Time) [2]v1.Hash {
		imgs, err := Build(mod, created)
		if err != nil {
			t.Fatal(err)
		}
		return manifestDigests(t, imgs)
	}
	a := build(module, epoch)
	if b := build(bytes.Clone(module), epoch.In(time.FixedZone("x", 3600))); a != b {
		t.Errorf("two builds differ: %v vs %v", a, b)
	}
	small := []byte("\x00asm\x01\x00\x00\x00")
	s1 := build(small, epoch)
	s2 := build(append(bytes.Clone(small), 0), epoch)
	if s1[0] == s2[0] || s1[1] == s2[1] {
		t.Errorf("different modules, same digests: %v %v", s1, s2)
	}
	s3 := build(small, time.Unix(1700000000, 0))
	if s3[0] == s1[0] {
		t.Error("compat digest ignores the creation time")
	}
	if s3[1] != s1[1] {
		t.Error("artifact digest depends on the creation time (it has no timestamp)")
	}
}

func TestImage_buildRefusesNonWasm(t *testing.T) {
	for _, in := range [][]byte{nil, []byte("\x00as"), []byte("MZ\x90\x00"), []byte("\x00ASM\x01\x00\x00\x00")} {
		if _, err := Build(in, time.Unix(0, 0)); err == nil {
			t.Errorf("Build(%q) succeeded", in)
		}
	}
}

func TestImage_sourceDateEpoch(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"", 0, true},
		{"1700000000", 1700000000, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"yesterday", 0, false},
	} {
		got, err := sourceDateEpoch(tc.in)
		if (err == nil) != tc.ok || tc.ok && got.Unix() != tc.want {
			t.Errorf("sourceDateEpoch(%q) = %v, %v", tc.in, got, err)
		}
	}
}

// TestImage_writeLayoutKeepsForeignDirectory: -out pointing at a directory that is
// not an image layout is refused and left alone; an old layout is replaced.
func TestImage_writeLayoutKeepsForeignDirectory(t *testing.T) {
	imgs, err := Build([]byte("\x00asm\x01\x00\x00\x00"), time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keep := filepath.Join(dir, "keep.txt")
	if err := os.WriteFile(keep, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteLayout(dir, imgs); err == nil {
		t.Error("wrote into a foreign directory")
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("foreign file gone: %v", err)
	}

	out := filepath.Join(t.TempDir(), "image")
	for i := 0; i < 2; i++ {
		if err := WriteLayout(out, imgs); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	blobs, err := os.ReadDir(filepath.Join(out, "blobs", "sha256"))
	if err != nil {
		t.Fatal(err)
	}
	// compat: manifest, config, layer; oci: manifest, config(=layer), module.
	if len(blobs) != 6 {
		t.Errorf("%d blobs after rewriting, want 6", len(blobs))
	}
	lp, err := layout.FromPath(out)
	if err != nil {
		t.Fatal(err)
	}
	ii, err := lp.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := ii.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 2 {
		t.Errorf("index has %d manifests after rewriting, want 2", len(im.Manifests))
	}
}

// TestLayout_annotationsAndModes: both manifests say which version,
// revision, source and licence they are, and every file of the layout is
// readable by a user other than the builder (go-containerregistry alone
// writes index.json 0755 and the blobs 0600).
func TestLayout_annotationsAndModes(t *testing.T) {
	dir := t.TempDir()
	wasm := filepath.Join(dir, "m.wasm")
	if err := os.WriteFile(wasm, []byte("\x00asm\x01\x00\x00\x00"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "image")
	var stdout bytes.Buffer
	if err := Run(context.Background(), []string{"-wasm", wasm, "-out", out, "-version", "9.8.7", "-revision", "deadbee"}, &stdout, io.Discard, noEnv); err != nil {
		t.Fatal(err)
	}
	lp, err := layout.FromPath(out)
	if err != nil {
		t.Fatal(err)
	}
	ii, err := lp.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := ii.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"org.opencontainers.image.version":  "9.8.7",
		"org.opencontainers.image.revision": "deadbee",
		"org.opencontainers.image.source":   "https://github.com/apiguard/apiguard",
		"org.opencontainers.image.licenses": "Apache-2.0",
	}
	for _, d := range im.Manifests {
		img, err := ii.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range want {
			if m.Annotations[k] != v {
				t.Errorf("%s: %s = %q, want %q", d.Annotations["org.opencontainers.image.ref.name"], k, m.Annotations[k], v)
			}
		}
	}
	if _, err := os.Stat(filepath.Join("..", "..", "LICENSE")); err != nil {
		t.Errorf("the images say Apache-2.0 but the repository has no LICENSE: %v", err)
	}
	n := 0
	err = filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o644)
		if d.IsDir() {
			want = fs.ModeDir | 0o755
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode(), want)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 9 { // image, blobs, sha256, index.json, oci-layout, 6 blobs
		t.Errorf("walked %d entries", n)
	}
}

// TestRun_usage: unknown flags and stray arguments are usage errors (exit
// status 2 in the command), -help is flag.ErrHelp.
func TestRun_usage(t *testing.T) {
	var ue *UsageError
	for _, args := range [][]string{{"-nope"}, {"stray"}} {
		if err := Run(context.Background(), args, io.Discard, io.Discard, noEnv); !errors.As(err, &ue) {
			t.Errorf("Run(%q) = %v, want a UsageError", args, err)
		}
	}
	if err := Run(context.Background(), []string{"-help"}, io.Discard, io.Discard, noEnv); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-help: %v", err)
	}
}
