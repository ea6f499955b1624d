// Package validate checks apiguard deployments the way Envoy and Istio will
// read them, before they do: a policy with apiguard's own parser (and the
// plugin started on it), an Envoy bootstrap or listener against Envoy's API
// definitions (go-control-plane) and the Envoy settings docs/operating.md "Where it
// runs" requires, and an Istio WasmPlugin. The repository's tests
// (envoy/envoy_test.go) and the `apiguard validate` command both use it, so
// they check the same thing.
package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	wasmfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	upstreamhttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	wasmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/wasm/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	"sigs.k8s.io/yaml"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/plugin"
	"github.com/apiguard/apiguard/filter/proxy"

	// Extension types a YAML may name in a typed_config "@type". protojson
	// resolves them from the global registry, so a type not imported here
	// fails with "unable to resolve": the common ones are registered below
	// (one blank import each).
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/stream/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/compressor/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/health_check/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/lua/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// ParseBootstrap reads one Envoy bootstrap the way Envoy does, strictly:
// YAML to JSON, then protojson into the v3 Bootstrap with unknown fields
// refused (wrong enum names and wrong JSON types fail here too), then the
// protoc-gen-validate rules of every message, including those packed in Any
// fields (typed_config), which ValidateAll does not look into.
func ParseBootstrap(data []byte) (*bootstrapv3.Bootstrap, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("YAML: %w", err)
	}
	b := &bootstrapv3.Bootstrap{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: false}).Unmarshal(js, b); err != nil {
		if strings.Contains(err.Error(), "unable to resolve") {
			err = fmt.Errorf("%w (register the type: blank-import its go-control-plane package in envoy/validate)", err)
		}
		return nil, err
	}
	if err := b.ValidateAll(); err != nil {
		return nil, err
	}
	if err := validateAnys(b.ProtoReflect(), "bootstrap"); err != nil {
		return nil, err
	}
	return b, nil
}

// validateAnys walks m's set fields and validates every Any it meets.
func validateAnys(m protoreflect.Message, path string) error {
	var err error
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		p := path + "." + string(fd.Name())
		switch {
		case fd.IsMap():
			if fd.MapValue().Message() == nil {
				return true
			}
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				err = validateMessage(mv.Message(), fmt.Sprintf("%s[%s]", p, k.String()))
				return err == nil
			})
		case fd.IsList():
			if fd.Message() == nil {
				return true
			}
			l := v.List()
			for i := 0; i < l.Len() && err == nil; i++ {
				err = validateMessage(l.Get(i).Message(), fmt.Sprintf("%s[%d]", p, i))
			}
		case fd.Message() != nil:
			err = validateMessage(v.Message(), p)
		}
		return err == nil
	})
	return err
}

func validateMessage(m protoreflect.Message, path string) error {
	a, ok := m.Interface().(*anypb.Any)
	if !ok {
		return validateAnys(m, path)
	}
	inner, err := a.UnmarshalNew()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if v, ok := inner.(interface{ ValidateAll() error }); ok {
		if err := v.ValidateAll(); err != nil {
			return fmt.Errorf("%s (%s): %w", path, a.GetTypeUrl(), err)
		}
	}
	return validateAnys(inner.ProtoReflect(), path)
}

// Filter is one Wasm HTTP filter of a bootstrap with its context.
type Filter struct {
	Where    string
	Listener *listenerv3.Listener
	HCM      *hcmv3.HttpConnectionManager
	Index    int // in HCM.HttpFilters
	Plugin   *wasmv3.PluginConfig
}

// Filters finds the Wasm HTTP filters of every static listener (the
// repository ships no other Wasm module, so each of them is apiguard).
func Filters(b *bootstrapv3.Bootstrap) ([]Filter, error) {
	var out []Filter
	for _, l := range b.GetStaticResources().GetListeners() {
		chains := l.GetFilterChains()
		if l.GetDefaultFilterChain() != nil {
			chains = append(slices.Clip(chains), l.GetDefaultFilterChain())
		}
		for ci, fc := range chains {
			for _, nf := range fc.GetFilters() {
				hcm := &hcmv3.HttpConnectionManager{}
				if tc := nf.GetTypedConfig(); tc == nil || !tc.MessageIs(hcm) {
					continue
				} else if err := tc.UnmarshalTo(hcm); err != nil {
					return nil, err
				}
				for hi, hf := range hcm.GetHttpFilters() {
					w := &wasmfilterv3.Wasm{}
					if tc := hf.GetTypedConfig(); tc == nil || !tc.MessageIs(w) {
						continue
					} else if err := tc.UnmarshalTo(w); err != nil {
						return nil, err
					}
					out = append(out, Filter{
						Where:    fmt.Sprintf("listener %q chain %d filter %q", l.GetName(), ci, hf.GetName()),
						Listener: l, HCM: hcm, Index: hi, Plugin: w.GetConfig(),
					})
				}
			}
		}
	}
	return out, nil
}

// PluginConfiguration parses a Wasm filter's `configuration` with apiguard's
// own parser, as proxy_on_configure will.
func PluginConfiguration(pc *wasmv3.PluginConfig) (*config.Config, error) {
	sv := &wrapperspb.StringValue{}
	if c := pc.GetConfiguration(); c == nil || !c.MessageIs(sv) {
		return nil, errors.New("configuration must be a google.protobuf.StringValue holding apiguard's JSON")
	} else if err := c.UnmarshalTo(sv); err != nil {
		return nil, err
	}
	cfg, _, errs := ParsePolicy([]byte(sv.GetValue()), EnvoyEnv(pc))
	if _, errs = Warnings(errs); len(errs) > 0 {
		return nil, fmt.Errorf("apiguard configuration: %w", errs[0])
	}
	return cfg, nil
}

// LargestBody is the most any policy of cfg buffers (request or response).
func LargestBody(cfg *config.Config) int64 {
	policies := []*config.RoutePolicy{cfg.Default}
	for i := range cfg.Routes {
		policies = append(policies, &cfg.Routes[i].Policy)
	}
	var largest int64
	for _, p := range policies {
		if p == nil {
			continue
		}
		if n, ok := p.RequestBodyLimit(); ok {
			largest = max(largest, n)
		}
		if p.Response != nil {
			largest = max(largest, p.Response.MaxBodyBytes)
		}
	}
	return largest
}

const UpstreamHTTPOptions = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"

// isHTTP2 reports whether Envoy speaks HTTP/2 (as gRPC needs) to c.
func isHTTP2(c *clusterv3.Cluster) bool {
	a, ok := c.GetTypedExtensionProtocolOptions()[UpstreamHTTPOptions]
	if !ok {
		return false
	}
	o := &upstreamhttpv3.HttpProtocolOptions{}
	return a.UnmarshalTo(o) == nil && o.GetExplicitHttpConfig().GetHttp2ProtocolOptions() != nil
}

// CheckDeployment checks what docs/operating.md "Where it runs" asks of Envoy and
// what apiguard's configuration asks of the bootstrap (clusters it calls).
// loopbackAdmin is false for bootstraps whose admin port a container must
// expose (the end-to-end compose stack's readiness probe). b may be nil (a
// listener file on its own): the checks that need the bootstrap's clusters
// and admin are then skipped.
func CheckDeployment(b *bootstrapv3.Bootstrap, f Filter, cfg *config.Config, loopbackAdmin bool) []error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{f.Where}, args...)...))
	}
	pc := f.Plugin
	if pc.GetVmConfig().GetVmId() == "" {
		fail("vm_config.vm_id must be set explicitly: it is the namespace of shared data (rate limits, keys)")
	}
	if pc.GetFailurePolicy() != wasmv3.FailurePolicy_FAIL_CLOSED {
		fail("failure_policy is %v, want FAIL_CLOSED (a dead VM must refuse traffic, not bypass apiguard)", pc.GetFailurePolicy())
	}
	if cfg.HoldHeaders && !pc.GetAllowOnHeadersStopIteration().GetValue() {
		fail("hold_headers is true (the default) but allow_on_headers_stop_iteration is not true")
	}
	hcm := f.HCM
	if !hcm.GetNormalizePath().GetValue() {
		fail("normalize_path must be true")
	}
	if !hcm.GetMergeSlashes() {
		fail("merge_slashes must be true")
	}
	if hcm.GetPathWithEscapedSlashesAction() != hcmv3.HttpConnectionManager_REJECT_REQUEST {
		fail("path_with_escaped_slashes_action is %v, want REJECT_REQUEST", hcm.GetPathWithEscapedSlashesAction())
	}
	if a := hcm.GetCommonHttpProtocolOptions().GetHeadersWithUnderscoresAction(); a != corev3.HttpProtocolOptions_REJECT_REQUEST {
		fail("common_http_protocol_options.headers_with_underscores_action is %v, want REJECT_REQUEST", a)
	}
	if hcm.GetServerHeaderTransformation() != hcmv3.HttpConnectionManager_PASS_THROUGH {
		fail("server_header_transformation is %v, want PASS_THROUGH (apiguard removes Server itself)", hcm.GetServerHeaderTransformation())
	}
	if !hcm.GetUseRemoteAddress().GetValue() {
		fail("use_remote_address must be true (apiguard keys on source.address)")
	}
	filters := hcm.GetHttpFilters()
	if last := filters[len(filters)-1]; last.GetName() != "envoy.filters.http.router" || f.Index == len(filters)-1 {
		fail("the router must be the last HTTP filter, after apiguard (last is %q)", last.GetName())
	}
	need := LargestBody(cfg) + 64<<10
	if lim := f.Listener.GetPerConnectionBufferLimitBytes(); lim == nil {
		fail("per_connection_buffer_limit_bytes must be set (at least %d)", need)
	} else if int64(lim.GetValue()) < need {
		fail("per_connection_buffer_limit_bytes is %d, want at least the largest max_body_bytes plus 64 KiB = %d", lim.GetValue(), need)
	}

	if b == nil {
		return errs
	}
	clusters := map[string]*clusterv3.Cluster{}
	for _, c := range b.GetStaticResources().GetClusters() {
		clusters[c.GetName()] = c
	}
	for _, vh := range hcm.GetRouteConfig().GetVirtualHosts() {
		for _, r := range vh.GetRoutes() {
			if c := r.GetRoute().GetCluster(); c != "" && clusters[c] == nil {
				fail("route %q sends to unknown cluster %q", r.GetName(), c)
			}
		}
	}
	for _, p := range cfg.Providers {
		if p.JWT == nil || p.JWT.RemoteJWKS == nil {
			continue
		}
		if clusters[p.JWT.RemoteJWKS.Cluster] == nil {
			fail("provider %q fetches its JWKS through cluster %q, which is not defined", p.Name, p.JWT.RemoteJWKS.Cluster)
		}
		for authority, c := range p.JWT.RemoteJWKS.Clusters {
			if clusters[c] == nil {
				fail("provider %q fetches keys on %q through cluster %q, which is not defined", p.Name, authority, c)
			}
		}
	}
	if rls := cfg.RateLimitService; rls != nil {
		if c := clusters[rls.Cluster]; c == nil {
			fail("rate_limit_service.cluster %q is not defined", rls.Cluster)
		} else if !isHTTP2(c) {
			fail("rate limit service cluster %q must speak HTTP/2 (gRPC): set typed_extension_protocol_options[%s].explicit_http_config.http2_protocol_options", rls.Cluster, UpstreamHTTPOptions)
		}
	}
	if sa := b.GetAdmin().GetAddress().GetSocketAddress(); loopbackAdmin && sa != nil && sa.GetAddress() != "127.0.0.1" && sa.GetAddress() != "::1" {
		errs = append(errs, fmt.Errorf("admin listens on %q: keep it on loopback", sa.GetAddress()))
	}
	return errs
}

// Bootstrap is everything checked of one Envoy bootstrap: Envoy's own API
// (strictly), the Envoy settings docs/operating.md requires around every apiguard
// filter, each filter's policy, and that the plugin starts on it.
func Bootstrap(data []byte, loopbackAdmin bool) []error {
	b, err := ParseBootstrap(data)
	if err != nil {
		return []error{err}
	}
	filters, err := Filters(b)
	if err != nil {
		return []error{err}
	}
	if len(filters) == 0 {
		return []error{errors.New("no Wasm HTTP filter (apiguard) in any static listener")}
	}
	var errs []error
	for _, f := range filters {
		errs = append(errs, filterErrors(b, f, loopbackAdmin)...)
	}
	return errs
}

// PluginStarts runs apiguard's proxy_on_configure on the configuration, the
// plugin compiled natively into the Envoy emulator (e2e/host) with two
// workers: beyond config.Parse, it compiles the policy and configures every
// feature, as Envoy's canary VM does before it accepts a configuration.
func PluginStarts(configJSON []byte, allowOnHeadersStopIteration bool, env map[string]string) error {
	_, err := host.New(host.Config{
		Env:        env,
		PluginName: "apiguard", RootID: "apiguard", VMID: "apiguard",
		PluginConfig:                configJSON,
		Workers:                     2,
		AllowOnHeadersStopIteration: allowOnHeadersStopIteration,
		BufferLimit:                 host.DefaultBufferLimit + 64<<10,
	}, func(h proxy.Host) (proxy.Handler, error) { return plugin.New(h), nil })
	if err != nil {
		var refused *host.RefusedError
		if errors.As(err, &refused) {
			// The plugin's own lines, as Envoy would log them.
			return fmt.Errorf("the plugin refuses to start: %s", strings.Join(refused.PluginLines(), "\n"))
		}
		return fmt.Errorf("the plugin refuses to start: %w", err)
	}
	return nil
}

var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// Doc is one document of a YAML file, decoded generically to classify it.
type Doc struct {
	Path string
	Raw  []byte
	Top  map[string]any
}

func (d Doc) IsKubernetes() bool { return d.Top["apiVersion"] != nil && d.Top["kind"] != nil }
func (d Doc) IsCompose() bool    { return d.Top["services"] != nil }

// SplitDocs splits a YAML file into its non-empty documents.
func SplitDocs(path string, data []byte) ([]Doc, error) {
	var docs []Doc
	for i, raw := range docSeparator.Split(string(data), -1) {
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
		docs = append(docs, Doc{Path: fmt.Sprintf("%s#%d", path, i), Raw: []byte(raw), Top: top})
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
			dec := json.NewDecoder(bytes.NewReader(js))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&p); err != nil {
				return []error{fmt.Errorf("%s: %w", d.Path, err)}
			}
			plugins = append(plugins, p)
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
	for _, p := range plugins {
		errs = append(errs, istioPlugin(p, external, shipped)...)
	}
	return errs
}

// istioPlugin checks one WasmPlugin; external holds the host:port of the
// manifest's ServiceEntries.
func istioPlugin(p WasmPlugin, external map[string]bool, shipped bool) []error {
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
	if largest, fits := LargestBody(cfg), int64(IstioBufferLimit-64<<10); largest > fits {
		fail("a policy reads bodies up to %d bytes, over the %d that fit under a sidecar's default %d-byte buffer limit", largest, fits, IstioBufferLimit)
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

// ParseListener reads one Envoy listener (as in an LDS resource or a
// bootstrap's static_resources.listeners entry) as strictly as
// ParseBootstrap.
func ParseListener(data []byte) (*listenerv3.Listener, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("YAML: %w", err)
	}
	l := &listenerv3.Listener{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: false}).Unmarshal(js, l); err != nil {
		return nil, err
	}
	if err := l.ValidateAll(); err != nil {
		return nil, err
	}
	if err := validateAnys(l.ProtoReflect(), "listener"); err != nil {
		return nil, err
	}
	return l, nil
}

// Listener checks one listener on its own: what Bootstrap checks, except
// what needs the rest of the bootstrap (clusters, admin).
func Listener(data []byte) []error {
	l, err := ParseListener(data)
	if err != nil {
		return []error{err}
	}
	b := &bootstrapv3.Bootstrap{StaticResources: &bootstrapv3.Bootstrap_StaticResources{Listeners: []*listenerv3.Listener{l}}}
	filters, err := Filters(b)
	if err != nil {
		return []error{err}
	}
	if len(filters) == 0 {
		return []error{errors.New("no Wasm HTTP filter (apiguard) in the listener")}
	}
	var errs []error
	for _, f := range filters {
		errs = append(errs, filterErrors(nil, f, true)...)
	}
	return errs
}

// filterErrors checks one filter's policy, its deployment, and that the
// plugin starts on the policy.
func filterErrors(b *bootstrapv3.Bootstrap, f Filter, loopbackAdmin bool) []error {
	cfg, err := PluginConfiguration(f.Plugin)
	if err != nil {
		return []error{fmt.Errorf("%s: %w", f.Where, err)}
	}
	errs := CheckDeployment(b, f, cfg, loopbackAdmin)
	sv := &wrapperspb.StringValue{}
	if err := f.Plugin.GetConfiguration().UnmarshalTo(sv); err == nil {
		_, vmEnv, warnings := ParsePolicy([]byte(sv.GetValue()), EnvoyEnv(f.Plugin))
		for _, w := range warnings {
			errs = append(errs, &Warning{Msg: f.Where + ": " + w.(*Warning).Msg})
		}
		if err := PluginStarts([]byte(sv.GetValue()), f.Plugin.GetAllowOnHeadersStopIteration().GetValue(), vmEnv); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.Where, err))
		}
	}
	return errs
}

// Policy checks an apiguard JSON policy: apiguard's parser, then the plugin
// started on it (which compiles what the parser only reads, inline keys
// for one).
func Policy(data []byte) []error {
	cfg, vmEnv, errs := ParsePolicy(data, ProcessEnv)
	if cfg == nil {
		return errs
	}
	if err := PluginStarts(data, cfg.HoldHeaders, vmEnv); err != nil {
		return append(errs, err)
	}
	return errs
}

// Kind names what File recognised a document as.
type Kind string

// The kinds of file File checks.
const (
	KindPolicy    Kind = "apiguard policy"
	KindBootstrap Kind = "Envoy bootstrap"
	KindListener  Kind = "Envoy listener"
	KindIstio     Kind = "Istio manifest"
	KindUnknown   Kind = "unknown"
)

// File checks one file of any kind it recognises: JSON that is an apiguard
// policy, YAML (or JSON) that is an Istio manifest (it has apiVersion and
// kind), an Envoy listener (it has filter_chains or default_filter_chain at
// the top) or an Envoy bootstrap (anything else, so that a mistyped
// top-level key is reported by Envoy's own schema).
func File(path string, data []byte) (Kind, []error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return KindUnknown, []error{errors.New("empty file")}
	}
	if trimmed[0] == '{' && !looksLikeEnvoy(trimmed) {
		return KindPolicy, Policy(data)
	}
	docs, err := SplitDocs(path, data)
	if err != nil {
		return KindUnknown, []error{err}
	}
	if len(docs) == 0 {
		return KindUnknown, []error{errors.New("no YAML document")}
	}
	if docs[0].IsKubernetes() {
		return KindIstio, Istio(path, data, false)
	}
	if len(docs) > 1 {
		return KindUnknown, []error{fmt.Errorf("%d YAML documents: an Envoy bootstrap or listener is one", len(docs))}
	}
	top := docs[0].Top
	if top["filter_chains"] != nil || top["default_filter_chain"] != nil {
		return KindListener, Listener(docs[0].Raw)
	}
	return KindBootstrap, Bootstrap(docs[0].Raw, true)
}

// looksLikeEnvoy reports whether a JSON document is an Envoy bootstrap or
// listener (or a Kubernetes object) rather than an apiguard policy, by its
// top-level keys.
func looksLikeEnvoy(js []byte) bool {
	var top map[string]json.RawMessage
	if json.Unmarshal(js, &top) != nil {
		return false
	}
	for _, k := range []string{"static_resources", "admin", "filter_chains", "default_filter_chain", "apiVersion"} {
		if top[k] != nil {
			return true
		}
	}
	return false
}
