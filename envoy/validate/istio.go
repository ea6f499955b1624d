package validate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"sigs.k8s.io/yaml"

	"github.com/apiguard/apiguard/filter/config"
)

// Istio manifests: a WasmPlugin with its ServiceEntries, DestinationRules
// and the stats ConfigMap, checked as a sidecar would load them.

var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// Doc is one document of a YAML file, decoded generically to classify it.
type Doc struct {
	Path string
	Raw  []byte
	Top  map[string]any
	// Line is how many lines of the file come before Raw's first.
	Line int
}

func (d Doc) IsKubernetes() bool { return d.Top["apiVersion"] != nil && d.Top["kind"] != nil }
func (d Doc) IsCompose() bool    { return d.Top["services"] != nil }

// SplitDocs splits a YAML file into its non-empty documents.
func SplitDocs(path string, data []byte) ([]Doc, error) {
	var docs []Doc
	s := string(data)
	seps := append(docSeparator.FindAllStringIndex(s, -1), []int{len(s), len(s)})
	start := 0
	for i, sep := range seps {
		raw, first := s[start:sep[0]], strings.Count(s[:start], "\n")
		start = sep[1]
		if strings.TrimSpace(raw) == "" {
			continue
		}
		var top map[string]any
		if err := yaml.Unmarshal([]byte(raw), &top); err != nil {
			return nil, fmt.Errorf("%s document %d: %w", path, i, err)
		}
		if top == nil {
			continue // comments only
		}
		docs = append(docs, Doc{Path: fmt.Sprintf("%s#%d", path, i), Raw: []byte(raw), Top: top, Line: first})
	}
	return docs, nil
}

// WasmPlugin is the part of Istio's extensions.istio.io/v1alpha1 WasmPlugin
// we ship (istio/api extensions/v1alpha1/wasm.proto); decoding refuses
// fields the API does not have.
type WasmPlugin struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec struct {
		Selector        json.RawMessage   `json:"selector"`
		TargetRefs      []json.RawMessage `json:"targetRefs"`
		URL             string            `json:"url"`
		SHA256          string            `json:"sha256"`
		ImagePullPolicy string            `json:"imagePullPolicy"`
		ImagePullSecret string            `json:"imagePullSecret"`
		PluginConfig    json.RawMessage   `json:"pluginConfig"`
		PluginName      string            `json:"pluginName"`
		Phase           string            `json:"phase"`
		Priority        *int32            `json:"priority"`
		FailStrategy    string            `json:"failStrategy"`
		VMConfig        json.RawMessage   `json:"vmConfig"`
		Match           []struct {
			Mode  string `json:"mode"`
			Ports []struct {
				Number int `json:"number"`
			} `json:"ports"`
		} `json:"match"`
		Type string `json:"type"`
	} `json:"spec"`
}

// IstioPluginConfig turns pluginConfig into the string Envoy hands the
// plugin under Istio: Istio holds it as a google.protobuf.Struct (numbers
// become doubles) and writes it back out as JSON.
func IstioPluginConfig(raw json.RawMessage) ([]byte, error) {
	s := &structpb.Struct{}
	if err := protojson.Unmarshal(raw, s); err != nil {
		return nil, err
	}
	return protojson.Marshal(s)
}

var OutboundCluster = regexp.MustCompile(`^outbound\|(\d+)\|[^|]*\|(.+)$`)

// Istio checks a WasmPlugin manifest file (with the ServiceEntries it
// relies on): the fields apiguard needs, and its pluginConfig parsed by
// apiguard's own parser as Envoy will hand it over under Istio.
//
// shipped adds what the repository's own examples promise beyond a valid
// deployment: only the kinds in istioKinds, exactly one WasmPlugin, a
// ServiceEntry for every JWKS host, and a policy that routes and
// authenticates something. A user's manifest is checked without them.
func Istio(path string, data []byte, shipped bool) []error {
	docs, err := SplitDocs(path, data)
	if err != nil {
		return []error{err}
	}
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	var plugins []WasmPlugin
	var pluginDocs []*yamlDoc
	external := map[string]bool{} // host:port of the ServiceEntries
	for _, d := range docs {
		js, err := yaml.YAMLToJSON(d.Raw)
		if err != nil {
			return []error{err}
		}
		if k, _ := d.Top["kind"].(string); shipped && !istioKinds[k] {
			// A RequestAuthentication or AuthorizationPolicy beside
			// apiguard would check every request twice.
			fail("%s: kind %q: a manifest here holds only %v", d.Path, k, slices.Sorted(maps.Keys(istioKinds)))
			continue
		}
		switch d.Top["kind"] {
		case "WasmPlugin":
			var p WasmPlugin
			doc := parseYAMLDoc(d.Raw, d.Line)
			ferrs, err := checkFields(js, reflect.TypeOf(p), "WasmPlugin")
			if err != nil {
				return []error{fmt.Errorf("%s: %w", d.Path, err)}
			}
			if len(ferrs) > 0 {
				return doc.placeFields(d.Path, ferrs)
			}
			dec := json.NewDecoder(bytes.NewReader(js))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&p); err != nil {
				return []error{fmt.Errorf("%s: %w", d.Path, err)}
			}
			plugins = append(plugins, p)
			pluginDocs = append(pluginDocs, doc)
		case "ConfigMap":
			if _, err := BootstrapOverride(js); err != nil {
				fail("%s: %v", d.Path, err)
			}
		case "ServiceEntry":
			var se struct {
				Spec struct {
					Hosts []string `json:"hosts"`
					Ports []struct {
						Number int `json:"number"`
					} `json:"ports"`
				} `json:"spec"`
			}
			if err := json.Unmarshal(js, &se); err != nil {
				return []error{fmt.Errorf("%s: %w", d.Path, err)}
			}
			for _, h := range se.Spec.Hosts {
				for _, p := range se.Spec.Ports {
					external[h+":"+strconv.Itoa(p.Number)] = true
				}
			}
		}
	}
	if len(plugins) == 0 || shipped && len(plugins) != 1 {
		return []error{fmt.Errorf("%d WasmPlugins, want 1", len(plugins))}
	}
	for i, p := range plugins {
		errs = append(errs, istioPlugin(p, pluginDocs[i], external, shipped)...)
	}
	return errs
}

// istioPlugin checks one WasmPlugin; external holds the host:port of the
// manifest's ServiceEntries.
func istioPlugin(p WasmPlugin, doc *yamlDoc, external map[string]bool, shipped bool) []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	s := p.Spec
	for _, c := range []struct{ what, got, want string }{
		{"apiVersion", p.APIVersion, "extensions.istio.io/v1alpha1"},
		{"phase", s.Phase, "AUTHN"},
		{"failStrategy", s.FailStrategy, "FAIL_CLOSE"},
		{"pluginName (the root_id)", s.PluginName, "apiguard"},
		{"type", s.Type, "HTTP"},
	} {
		if c.got != c.want {
			fail("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if !strings.HasPrefix(s.URL, "oci://") {
		fail("url %q is not an oci:// image", s.URL)
	}
	if s.SHA256 != "" && !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(s.SHA256) {
		fail("sha256 %q is not 64 lower-case hex digits", s.SHA256)
	}
	if s.SHA256 == "" && !strings.Contains(s.URL, "@sha256:") {
		repo := s.URL[strings.LastIndex(s.URL, "/")+1:]
		if _, tag, tagged := strings.Cut(repo, ":"); !tagged || tag == "latest" {
			errs = append(errs, &Warning{Msg: fmt.Sprintf("url %q is not pinned: with a moving tag each proxy may run another module (and IfNotPresent keeps an old one); give a version tag, and sha256 (the manifest digest) or @sha256: in the URL", s.URL)})
		}
	}
	if (s.Selector == nil) == (s.TargetRefs == nil) {
		fail("set exactly one of selector and targetRefs")
	}

	js, err := IstioPluginConfig(s.PluginConfig)
	if err != nil {
		return append(errs, fmt.Errorf("pluginConfig: %w", err))
	}
	ienv, err := IstioEnv(s.VMConfig)
	if err != nil {
		return append(errs, err)
	}
	cfg, vmEnv, perrs := ParsePolicy(js, ienv)
	warnings, perrs := Warnings(perrs)
	if len(perrs) > 0 {
		for _, e := range perrs {
			if list, ok := e.(*config.ErrorList); ok {
				// Placed in the manifest: the JSON Istio hands over is
				// not what the operator wrote.
				e = doc.placeNodes([]any{"spec", "pluginConfig"}, list, "pluginConfig")
				errs = append(errs, e)
				continue
			}
			errs = append(errs, fmt.Errorf("pluginConfig: %w", e))
		}
		return errs
	}
	if cfg.HoldHeaders {
		fail("hold_headers must be false: Istio cannot set allow_on_headers_stop_iteration")
	}
	if shipped && (len(cfg.Routes) == 0 || len(cfg.Providers) == 0) {
		fail("the example policy should route and authenticate something")
	}
	// A sidecar's inbound listener keeps Envoy's default buffer limit, which
	// a WasmPlugin cannot raise (docs/operating.md, "Istio").
	fits := int64(IstioBufferLimit - 64<<10)
	for _, b := range BodyLimits(cfg) {
		if b.Bytes <= fits {
			continue
		}
		how := "is"
		if b.Default {
			how = "is by default"
		}
		fail("pluginConfig: %s %s %d bytes, over the %d that fit under a sidecar's default %d-byte buffer limit (which a WasmPlugin cannot raise): set it to %d or less",
			b.Where, how, b.Bytes, fits, IstioBufferLimit, fits)
	}
	// Under Istio a JWKS cluster is the outbound cluster of a ServiceEntry.
	for _, pr := range cfg.Providers {
		if pr.JWT == nil || pr.JWT.RemoteJWKS == nil {
			continue
		}
		rj := pr.JWT.RemoteJWKS
		m := OutboundCluster.FindStringSubmatch(rj.Cluster)
		switch {
		case m == nil:
			fail("provider %q: JWKS cluster %q is not an Istio outbound cluster name", pr.Name, rj.Cluster)
		case shipped && !external[m[2]+":"+m[1]] && !strings.HasSuffix(m[2], meshServiceSuffix):
			fail("provider %q: no ServiceEntry for %s port %s", pr.Name, m[2], m[1])
		}
		if rj.Authority == rj.Cluster {
			fail("provider %q: set remote_jwks.authority: it defaults to the cluster name %q, which is no host name", pr.Name, rj.Cluster)
		}
	}
	if len(errs) == 0 {
		if err := PluginStarts(js, false, vmEnv); err != nil {
			fail("pluginConfig: %v", err)
		}
	}
	return append(errs, warnings...)
}

// istioKinds are the Kubernetes objects an apiguard manifest may hold.
var istioKinds = map[string]bool{"WasmPlugin": true, "ServiceEntry": true, "DestinationRule": true, "ConfigMap": true}

// meshServiceSuffix marks a Kubernetes service of the mesh: the sidecar has
// its outbound cluster without a ServiceEntry.
const meshServiceSuffix = ".svc.cluster.local"

// IstioBufferLimit is Envoy's default per_connection_buffer_limit_bytes,
// which a sidecar's inbound listener keeps.
const IstioBufferLimit = 1 << 20
