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
	"slices"
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
	// Every violation: the rules of the bootstrap's own messages, and of
	// each typed_config.
	if err := errors.Join(b.ValidateAll(), validateAnys(b.ProtoReflect(), "bootstrap", nil)); err != nil {
		return nil, err
	}
	return b, nil
}

// validateAnys walks m's set fields and validates every Any it meets;
// steps lead to m from the document's top.
func validateAnys(m protoreflect.Message, path string, steps []any) error {
	var err error
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		p, ps := path+"."+string(fd.Name()), append(slices.Clip(steps), string(fd.Name()))
		switch {
		case fd.IsMap():
			if fd.MapValue().Message() == nil {
				return true
			}
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				err = validateMessage(mv.Message(), fmt.Sprintf("%s[%s]", p, k.String()), append(slices.Clip(ps), k.String()))
				return err == nil
			})
		case fd.IsList():
			if fd.Message() == nil {
				return true
			}
			l := v.List()
			for i := 0; i < l.Len() && err == nil; i++ {
				err = validateMessage(l.Get(i).Message(), fmt.Sprintf("%s[%d]", p, i), append(slices.Clip(ps), i))
			}
		case fd.Message() != nil:
			err = validateMessage(v.Message(), p, ps)
		}
		return err == nil
	})
	return err
}

func validateMessage(m protoreflect.Message, path string, steps []any) error {
	a, ok := m.Interface().(*anypb.Any)
	if !ok {
		return validateAnys(m, path, steps)
	}
	inner, err := a.UnmarshalNew()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if v, ok := inner.(interface{ ValidateAll() error }); ok {
		if err := v.ValidateAll(); err != nil {
			return &ruleError{path, steps, a.GetTypeUrl(), err}
		}
	}
	return validateAnys(inner.ProtoReflect(), path, steps)
}

// Filter is one Wasm HTTP filter of a bootstrap with its context.
type Filter struct {
	Where    string
	Listener *listenerv3.Listener
	HCM      *hcmv3.HttpConnectionManager
	Index    int // in HCM.HttpFilters
	Plugin   *wasmv3.PluginConfig
	// Steps lead from the document's top to the policy string
	// (configuration.value), ListenerSteps to the listener, to place
	// findings in the file.
	Steps, ListenerSteps []any
}

// Filters finds the Wasm HTTP filters of every static listener (the
// repository ships no other Wasm module, so each of them is apiguard).
func Filters(b *bootstrapv3.Bootstrap) ([]Filter, error) {
	var out []Filter
	for li, l := range b.GetStaticResources().GetListeners() {
		chains := l.GetFilterChains()
		if l.GetDefaultFilterChain() != nil {
			chains = append(slices.Clip(chains), l.GetDefaultFilterChain())
		}
		for ci, fc := range chains {
			chain := []any{"static_resources", "listeners", li, "filter_chains", ci}
			if ci == len(l.GetFilterChains()) {
				chain = []any{"static_resources", "listeners", li, "default_filter_chain"}
			}
			for ni, nf := range fc.GetFilters() {
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
						Steps: append(slices.Clip(chain), "filters", ni, "typed_config", "http_filters", hi,
							"typed_config", "config", "configuration", "value"),
						ListenerSteps: []any{"static_resources", "listeners", li},
					})
				}
			}
		}
	}
	return out, nil
}

// PluginConfiguration parses a Wasm filter's `configuration` with apiguard's
// own parser, as proxy_on_configure will. It returns every error, each
// after "apiguard configuration: " (one *config.ErrorList holds all of the
// parser's; each variable the VM's environment lacks is one more).
func PluginConfiguration(pc *wasmv3.PluginConfig) (*config.Config, []error) {
	sv := &wrapperspb.StringValue{}
	if c := pc.GetConfiguration(); c == nil || !c.MessageIs(sv) {
		return nil, []error{errors.New("configuration must be a google.protobuf.StringValue holding apiguard's JSON")}
	} else if err := c.UnmarshalTo(sv); err != nil {
		return nil, []error{err}
	}
	cfg, _, errs := ParsePolicy([]byte(sv.GetValue()), EnvoyEnv(pc))
	if _, errs = Warnings(errs); len(errs) > 0 {
		for i, e := range errs {
			errs[i] = fmt.Errorf("apiguard configuration: %w", e)
		}
		return nil, errs
	}
	return cfg, nil
}

// LargestBody is the most any policy of cfg buffers (request or response).
func LargestBody(cfg *config.Config) int64 {
	var largest int64
	for _, b := range BodyLimits(cfg) {
		largest = max(largest, b.Bytes)
	}
	return largest
}

// BodyLimit is how much one policy buffers, and where the configuration
// sets it.
type BodyLimit struct {
	// Where is the JSON path of the max_body_bytes that sets it (or would,
	// when the default applies).
	Where string
	// Bytes is the limit.
	Bytes int64
	// Default says the policy does not write it: the default applies.
	Default bool
}

// BodyLimits lists the body limits of cfg's policies that buffer, default
// first, then the routes in order.
func BodyLimits(cfg *config.Config) []BodyLimit {
	var out []BodyLimit
	add := func(where string, p *config.RoutePolicy) {
		if p == nil {
			return
		}
		if n, ok := p.RequestBodyLimit(); ok {
			out = append(out, BodyLimit{where + ".request.max_body_bytes", n, p.Request == nil || !p.Request.MaxBodyBytesSet})
		}
		if p.Response != nil && p.Response.MaxBodyBytes > 0 {
			out = append(out, BodyLimit{Where: where + ".response.max_body_bytes", Bytes: p.Response.MaxBodyBytes})
		}
	}
	add("default", cfg.Default)
	for i := range cfg.Routes {
		add(fmt.Sprintf("routes[%d]", i), &cfg.Routes[i].Policy)
	}
	return out
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
	// at names the setting in the YAML, from the plugin's config (pc), the
	// HTTP connection manager (hcm) or the listener (l), to place the
	// finding in the file.
	var at []any
	onPC := func(steps ...any) { at = f.steps(2, steps) }
	onHCM := func(steps ...any) { at = f.steps(6, steps) }
	onListener := func(steps ...any) { at = append(slices.Clip(f.ListenerSteps), steps...) }
	fail := func(format string, args ...any) {
		errs = append(errs, &deployError{fmt.Sprintf("%s: "+format, append([]any{f.Where}, args...)...), at})
		at = nil
	}
	pc := f.Plugin
	if pc.GetVmConfig().GetVmId() == "" {
		onPC("vm_config", "vm_id")
		fail("vm_config.vm_id must be set explicitly: it is the namespace of shared data (rate limits, keys)")
	}
	if pc.GetFailurePolicy() != wasmv3.FailurePolicy_FAIL_CLOSED {
		onPC("failure_policy")
		fail("failure_policy is %v, want FAIL_CLOSED (a dead VM must refuse traffic, not bypass apiguard)", pc.GetFailurePolicy())
	}
	if cfg.HoldHeaders && !pc.GetAllowOnHeadersStopIteration().GetValue() {
		onPC("allow_on_headers_stop_iteration")
		fail("hold_headers is true (the default) but allow_on_headers_stop_iteration is not true")
	}
	hcm := f.HCM
	if !hcm.GetNormalizePath().GetValue() {
		onHCM("normalize_path")
		fail("normalize_path must be true")
	}
	if !hcm.GetMergeSlashes() {
		onHCM("merge_slashes")
		fail("merge_slashes must be true")
	}
	if hcm.GetPathWithEscapedSlashesAction() != hcmv3.HttpConnectionManager_REJECT_REQUEST {
		onHCM("path_with_escaped_slashes_action")
		fail("path_with_escaped_slashes_action is %v, want REJECT_REQUEST", hcm.GetPathWithEscapedSlashesAction())
	}
	if a := hcm.GetCommonHttpProtocolOptions().GetHeadersWithUnderscoresAction(); a != corev3.HttpProtocolOptions_REJECT_REQUEST {
		onHCM("common_http_protocol_options", "headers_with_underscores_action")
		fail("common_http_protocol_options.headers_with_underscores_action is %v, want REJECT_REQUEST", a)
	}
	if hcm.GetServerHeaderTransformation() != hcmv3.HttpConnectionManager_PASS_THROUGH {
		onHCM("server_header_transformation")
		fail("server_header_transformation is %v, want PASS_THROUGH (apiguard removes Server itself)", hcm.GetServerHeaderTransformation())
	}
	if !hcm.GetUseRemoteAddress().GetValue() {
		onHCM("use_remote_address")
		fail("use_remote_address must be true (apiguard keys on source.address)")
	}
	filters := hcm.GetHttpFilters()
	if last := filters[len(filters)-1]; last.GetName() != "envoy.filters.http.router" || f.Index == len(filters)-1 {
		onHCM("http_filters")
		fail("the router must be the last HTTP filter, after apiguard (last is %q)", last.GetName())
	}
	need := LargestBody(cfg) + 64<<10
	if lim := f.Listener.GetPerConnectionBufferLimitBytes(); lim == nil {
		onListener("per_connection_buffer_limit_bytes")
		fail("per_connection_buffer_limit_bytes must be set (at least %d)", need)
	} else if int64(lim.GetValue()) < need {
		onListener("per_connection_buffer_limit_bytes")
		fail("per_connection_buffer_limit_bytes is %d, want at least the largest max_body_bytes plus 64 KiB = %d", lim.GetValue(), need)
	}

	if b == nil {
		return errs
	}
	clusters := map[string]*clusterv3.Cluster{}
	for _, c := range b.GetStaticResources().GetClusters() {
		clusters[c.GetName()] = c
	}
	for vi, vh := range hcm.GetRouteConfig().GetVirtualHosts() {
		for ri, r := range vh.GetRoutes() {
			if c := r.GetRoute().GetCluster(); c != "" && clusters[c] == nil {
				onHCM("route_config", "virtual_hosts", vi, "routes", ri, "route", "cluster")
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
		errs = append(errs, &deployError{fmt.Sprintf("admin listens on %q: keep it on loopback", sa.GetAddress()), []any{"admin", "address", "socket_address", "address"}})
	}
	return errs
}

// Bootstrap is everything checked of one Envoy bootstrap: Envoy's own API
// (strictly), the Envoy settings docs/operating.md requires around every apiguard
// filter, each filter's policy, and that the plugin starts on it.
func Bootstrap(data []byte, loopbackAdmin bool) []error {
	return bootstrap(data, 0, loopbackAdmin)
}

// bootstrap is Bootstrap of a document that starts after line first of
// its file.
func bootstrap(data []byte, first int, loopbackAdmin bool) []error {
	b, err := ParseBootstrap(data)
	if err != nil {
		return envoyErrors(err, data, first, (&bootstrapv3.Bootstrap{}).ProtoReflect().Descriptor())
	}
	filters, err := Filters(b)
	if err != nil {
		return []error{err}
	}
	if len(filters) == 0 {
		return []error{errors.New("no Wasm HTTP filter (apiguard) in any static listener")}
	}
	doc := parseYAMLDoc(data, first)
	var errs []error
	for _, f := range filters {
		errs = append(errs, filterErrors(b, f, loopbackAdmin, doc)...)
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
	if err := errors.Join(l.ValidateAll(), validateAnys(l.ProtoReflect(), "listener", nil)); err != nil {
		return nil, err
	}
	return l, nil
}

// Listener checks one listener on its own: what Bootstrap checks, except
// what needs the rest of the bootstrap (clusters, admin).
func Listener(data []byte) []error { return listener(data, 0) }

func listener(data []byte, first int) []error {
	l, err := ParseListener(data)
	if err != nil {
		return envoyErrors(err, data, first, (&listenerv3.Listener{}).ProtoReflect().Descriptor())
	}
	b := &bootstrapv3.Bootstrap{StaticResources: &bootstrapv3.Bootstrap_StaticResources{Listeners: []*listenerv3.Listener{l}}}
	filters, err := Filters(b)
	if err != nil {
		return []error{err}
	}
	if len(filters) == 0 {
		return []error{errors.New("no Wasm HTTP filter (apiguard) in the listener")}
	}
	doc := parseYAMLDoc(data, first)
	var errs []error
	for _, f := range filters {
		f.Steps, f.ListenerSteps = f.Steps[3:], nil // the listener is the document
		errs = append(errs, filterErrors(nil, f, true, doc)...)
	}
	return errs
}

// filterErrors checks one filter's policy, its deployment, and that the
// plugin starts on the policy.
func filterErrors(b *bootstrapv3.Bootstrap, f Filter, loopbackAdmin bool, doc *yamlDoc) []error {
	cfg, perrs := PluginConfiguration(f.Plugin)
	if len(perrs) > 0 {
		var errs []error
		for _, err := range perrs {
			var list *config.ErrorList
			sv := &wrapperspb.StringValue{}
			if errors.As(err, &list) && f.Plugin.GetConfiguration().UnmarshalTo(sv) == nil {
				if placed := doc.placeString(f.Steps, sv.GetValue(), list, f.Where+": apiguard configuration"); placed != nil {
					errs = append(errs, placed)
					continue
				}
			}
			errs = append(errs, fmt.Errorf("%s: %w", f.Where, err))
		}
		return errs
	}
	errs := CheckDeployment(b, f, cfg, loopbackAdmin)
	for i, e := range errs {
		errs[i] = doc.placeSetting(e)
	}
	sortPlaced(errs)
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
		return KindListener, listener(docs[0].Raw, docs[0].Line)
	}
	return KindBootstrap, bootstrap(docs[0].Raw, docs[0].Line, true)
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
