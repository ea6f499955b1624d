package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/apiguard/apiguard/filter/version"
)

// Names fixed by the Wasm image specifications (solo-io/wasm spec.md and
// spec-compat.md) and by Istio's fetcher, which is what reads these images.
const (
	// VariantAnnotation marks an OCI-media-type image as the compat variant;
	// spec-compat.md requires it whenever the layer is an OCI tar+gzip.
	VariantAnnotation = "module.wasm.image/variant"
	// WasmConfigMediaType is the runtime configuration of the artifact
	// variant.
	WasmConfigMediaType types.MediaType = "application/vnd.module.wasm.config.v1+json"
	// WasmLayerMediaType is the raw module of the artifact variant.
	WasmLayerMediaType types.MediaType = "application/vnd.module.wasm.content.layer.v1+wasm"
	// PluginFile is the module's name inside the compat layer; Istio looks
	// for this base name and nothing else.
	PluginFile = "plugin.wasm"
	// RuntimeConfigFile is the optional runtime configuration file the compat
	// spec allows next to plugin.wasm, and the title of the artifact
	// variant's config layer.
	RuntimeConfigFile = "runtime-config.json"

	titleAnnotation = "org.opencontainers.image.title"
	// RootID is the root context the module registers; Envoy's and Istio's
	// root_id must name it.
	RootID = "apiguard"
	// ABIVersion is the proxy-wasm ABI the module exports
	// (proxy_abi_version_0_2_1).
	ABIVersion = "v0.2.1"
)

// wasmMagic opens every WebAssembly binary; Istio refuses fetched bytes that
// do not start with it, so packaging anything else is refused early.
var wasmMagic = []byte("\x00asm")

// RuntimeConfig is the `application/vnd.module.wasm.config.v1+json`
// document. The spec's property table names the ABI field `abiVersions` (a
// list) while its Envoy example writes `abi_version` (a string); both are
// written so that a reader of either spelling finds it. No runtime we target
// reads the document: it is metadata for people and registries.
type RuntimeConfig struct {
	Type        string   `json:"type"`
	ABIVersion  string   `json:"abi_version"`
	ABIVersions []string `json:"abiVersions"`
	Config      struct {
		RootIDs []string `json:"root_ids"`
	} `json:"config"`
}

// Images are the two variants built from one module.
type Images struct {
	// Compat is the Istio "compat" variant: OCI media types, one tar+gzip
	// layer holding plugin.wasm (and runtime-config.json), annotated
	// module.wasm.image/variant=compat. Every OCI tool understands it.
	Compat v1.Image
	// Artifact is the "oci" variant: the runtime config (as both the
	// manifest's config and the first layer) and the raw module as the
	// second layer. Istio recognises it only when it has exactly these two
	// layers, which is why the config appears as a layer too (as in the
	// spec's own example descriptors).
	Artifact v1.Image
}

// Meta is what the images say about their source, as OCI annotations on
// both manifests.
type Meta struct {
	Version  string // org.opencontainers.image.version
	Revision string // org.opencontainers.image.revision
}

// The OCI annotations (image-spec annotations.md) both manifests carry.
const (
	VersionAnnotation  = "org.opencontainers.image.version"
	RevisionAnnotation = "org.opencontainers.image.revision"
	SourceAnnotation   = "org.opencontainers.image.source"
	LicensesAnnotation = "org.opencontainers.image.licenses"
	// Source is the repository the images are built from; Licenses its
	// SPDX licence expression (LICENSE at the top of the repository).
	Source   = "https://github.com/apiguard/apiguard"
	Licenses = "Apache-2.0"
)

func (m Meta) annotations(into map[string]string) map[string]string {
	into[SourceAnnotation] = Source
	into[LicensesAnnotation] = Licenses
	if m.Version != "" {
		into[VersionAnnotation] = m.Version
	}
	if m.Revision != "" {
		into[RevisionAnnotation] = m.Revision
	}
	return into
}

// Build is BuildMeta with the version and revision compiled into this
// program (filter/version).
func Build(module []byte, created time.Time) (*Images, error) {
	return BuildMeta(module, created, Meta{Version: version.Version, Revision: version.Revision})
}

// BuildMeta packages module as both image variants. created is the only
// timestamp written anywhere (image config, history, tar entries), so the
// same module, created time and meta give byte-identical images and digests.
func BuildMeta(module []byte, created time.Time, meta Meta) (*Images, error) {
	if !bytes.HasPrefix(module, wasmMagic) {
		return nil, errors.New("not a WebAssembly module (it does not start with \\0asm)")
	}
	created = created.UTC()
	rc, err := json.Marshal(newRuntimeConfig())
	if err != nil {
		return nil, err
	}
	compat, err := buildCompat(module, rc, created, meta)
	if err != nil {
		return nil, fmt.Errorf("compat variant: %w", err)
	}
	artifact, err := buildArtifact(module, rc, meta)
	if err != nil {
		return nil, fmt.Errorf("oci variant: %w", err)
	}
	return &Images{Compat: compat, Artifact: artifact}, nil
}

func newRuntimeConfig() RuntimeConfig {
	rc := RuntimeConfig{Type: "envoy_proxy", ABIVersion: ABIVersion, ABIVersions: []string{ABIVersion}}
	rc.Config.RootIDs = []string{RootID}
	return rc
}

func buildCompat(module, runtimeConfig []byte, created time.Time, meta Meta) (v1.Image, error) {
	tarball, err := tarFiles(created, []file{{PluginFile, module}, {RuntimeConfigFile, runtimeConfig}})
	if err != nil {
		return nil, err
	}
	gz, err := gzipBytes(tarball)
	if err != nil {
		return nil, err
	}
	layer := newBlob(types.OCILayer, gz, nil)
	cfg := v1.ConfigFile{
		// The platform Go compiles the module for.
		Architecture: "wasm",
		OS:           "wasip1",
		Created:      v1.Time{Time: created},
		History: []v1.History{{
			Created:   v1.Time{Time: created},
			CreatedBy: "apiguard make image",
			Comment:   "COPY " + PluginFile + " " + RuntimeConfigFile + " ./",
		}},
		RootFS: v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{sha256Hash(tarball)}},
	}
	rawCfg, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	return assemble(newBlob(types.OCIConfigJSON, rawCfg, nil), []*blob{layer}, meta.annotations(map[string]string{
		VariantAnnotation: "compat",
		titleAnnotation:   "apiguard",
	}))
}

func buildArtifact(module, runtimeConfig []byte, meta Meta) (v1.Image, error) {
	cfgLayer := newBlob(WasmConfigMediaType, runtimeConfig, map[string]string{titleAnnotation: RuntimeConfigFile})
	wasm := newBlob(WasmLayerMediaType, module, map[string]string{titleAnnotation: PluginFile})
	return assemble(newBlob(WasmConfigMediaType, runtimeConfig, nil), []*blob{cfgLayer, wasm}, meta.annotations(map[string]string{
		titleAnnotation: "apiguard",
	}))
}

type file struct {
	name string
	data []byte
}

// tarFiles writes regular files owned by root with mode 0644 and the given
// modification time: nothing of the build machine ends up in the layer.
func tarFiles(mtime time.Time, files []file) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		hdr := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     f.name,
			Mode:     0o644,
			Size:     int64(len(f.data)),
			ModTime:  mtime,
			Format:   tar.FormatPAX,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// gzipBytes compresses with an empty gzip header (no name, no mtime), so the
// output depends only on the input and the Go release's compress/flate.
func gzipBytes(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func sha256Hash(data []byte) v1.Hash {
	sum := sha256.Sum256(data)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
}

// blob is a content-addressed byte string with its media type: the layers
// and configs here are small enough to hold in memory, which keeps their
// digests exact and lets us write the manifest ourselves (go-containerregistry's
// mutate package can only write image-config configs, not the artifact
// variant's runtime config).
type blob struct {
	mediaType   types.MediaType
	data        []byte
	digest      v1.Hash
	annotations map[string]string
}

func newBlob(mt types.MediaType, data []byte, annotations map[string]string) *blob {
	return &blob{mediaType: mt, data: data, digest: sha256Hash(data), annotations: annotations}
}

func (b *blob) Digest() (v1.Hash, error)            { return b.digest, nil }
func (b *blob) Compressed() (io.ReadCloser, error)  { return io.NopCloser(bytes.NewReader(b.data)), nil }
func (b *blob) Size() (int64, error)                { return int64(len(b.data)), nil }
func (b *blob) MediaType() (types.MediaType, error) { return b.mediaType, nil }
func (b *blob) descriptor() v1.Descriptor {
	return v1.Descriptor{MediaType: b.mediaType, Size: int64(len(b.data)), Digest: b.digest, Annotations: b.annotations}
}

// image is a partial.CompressedImageCore over in-memory blobs.
type image struct {
	manifest []byte
	config   *blob
	layers   []*blob
}

func (img *image) RawConfigFile() ([]byte, error)      { return img.config.data, nil }
func (img *image) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
func (img *image) RawManifest() ([]byte, error)        { return img.manifest, nil }

func (img *image) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	for _, l := range img.layers {
		if l.digest == h {
			return l, nil
		}
	}
	if img.config.digest == h {
		return img.config, nil
	}
	return nil, fmt.Errorf("no blob %s in the image", h)
}

func assemble(config *blob, layers []*blob, annotations map[string]string) (v1.Image, error) {
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config:        config.descriptor(),
		Annotations:   annotations,
	}
	for _, l := range layers {
		m.Layers = append(m.Layers, l.descriptor())
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return partial.CompressedToImage(&image{manifest: raw, config: config, layers: layers})
}
