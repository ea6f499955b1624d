package rlsgen

import (
	"errors"
	"os"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/apiguard/apiguard/filter/config"
)

// serviceConfig mirrors the YAML schema envoyproxy/ratelimit loads
// (src/config/config_impl.go: yamlRoot, yamlDescriptor, yamlRateLimit);
// strict decoding fails on anything it would not know.
type serviceConfig struct {
	Domain      string              `json:"domain"`
	Descriptors []serviceDescriptor `json:"descriptors"`
}

type serviceDescriptor struct {
	Key         string              `json:"key"`
	Value       string              `json:"value,omitempty"`
	RateLimit   *serviceRateLimit   `json:"rate_limit,omitempty"`
	Descriptors []serviceDescriptor `json:"descriptors,omitempty"`
}

type serviceRateLimit struct {
	Unit            string `json:"unit"`
	RequestsPerUnit uint32 `json:"requests_per_unit"`
}

func parseService(t *testing.T, y []byte) serviceConfig {
	t.Helper()
	var sc serviceConfig
	if err := yaml.UnmarshalStrict(y, &sc); err != nil {
		t.Fatalf("generated YAML does not load: %v\n%s", err, y)
	}
	return sc
}

// The shipped example (envoy/envoy.yaml) generates exactly this file.
func TestRLSGen_exampleConfig(t *testing.T) {
	doc, err := os.ReadFile("../../envoy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Extract(doc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const want = `# envoyproxy/ratelimit configuration generated from the apiguard configuration
# by envoy/rlsconfig: edit the apiguard document and regenerate, not this file.
# apiguard sends cluster "ratelimit", domain "apiguard", one descriptor [{key: <limit name>,
# value: <hashed key value>}] per global limit; no value here = one counter per value.
domain: "apiguard"
descriptors:
  # route user-orders, key claim:sub
  - key: "fleet-per-user"
    rate_limit:
      unit: hour
      requests_per_unit: 5000
`
	if string(got) != want {
		t.Errorf("generated\n%s\nwant\n%s", got, want)
	}
	// And it says the same as the configuration, limit by limit.
	sc := parseService(t, got)
	if sc.Domain != cfg.RateLimitService.Domain {
		t.Errorf("domain %q, want %q", sc.Domain, cfg.RateLimitService.Domain)
	}
	checkAgainst(t, cfg, sc)
}

// checkAgainst compares every global limit of cfg with the service's
// descriptors, in order, and checks nothing else is there.
func checkAgainst(t *testing.T, cfg *config.Config, sc serviceConfig) {
	t.Helper()
	seconds := map[string]int64{"second": 1, "minute": 60, "hour": 3600, "day": 86400}
	var globals []config.RateLimit
	for _, p := range append([]*config.RoutePolicy{cfg.Default}, policies(cfg)...) {
		if p == nil {
			continue
		}
		for _, rl := range p.RateLimits {
			if rl.Global {
				globals = append(globals, rl)
			}
		}
	}
	if len(sc.Descriptors) != len(globals) {
		t.Fatalf("%d descriptors, want %d", len(sc.Descriptors), len(globals))
	}
	for i, rl := range globals {
		d := sc.Descriptors[i]
		if d.Key != rl.Name || d.Value != "" || d.RateLimit == nil || len(d.Descriptors) != 0 {
			t.Errorf("descriptor %d = %+v, want key %q with a rate_limit and no value", i, d, rl.Name)
			continue
		}
		if int64(d.RateLimit.RequestsPerUnit) != rl.Limit || seconds[d.RateLimit.Unit]*1e9 != int64(rl.Window) {
			t.Errorf("%s: %d per %s, want %d per %s", rl.Name, d.RateLimit.RequestsPerUnit, d.RateLimit.Unit, rl.Limit, rl.Window)
		}
	}
}

func policies(cfg *config.Config) []*config.RoutePolicy {
	var out []*config.RoutePolicy
	for i := range cfg.Routes {
		out = append(out, &cfg.Routes[i].Policy)
	}
	return out
}

func TestRLSGen_generate(t *testing.T) {
	cases := []struct {
		name   string
		config string
		want   []string // lines that must appear, in order
		err    error
	}{
		{"every unit, default first",
			`{"rate_limit_service": {"cluster": "rls", "domain": "shop"},
			  "default": {"rate_limits": [{"name": "d-day", "key": "ip", "limit": 7, "window": "1d", "global": true}]},
			  "routes": [
			    {"name": "a", "match": {"prefix": "/a"}, "rate_limits": [
			      {"name": "local", "key": "ip", "limit": 1, "window": "1m"},
			      {"name": "a-sec", "key": "route", "limit": 10, "window": "1s", "global": true},
			      {"name": "a-min", "key": "header:x-k", "limit": 20, "window": "60s", "global": true}]},
			    {"name": "b", "match": {"prefix": "/b"}, "rate_limits": [
			      {"name": "b-hour", "key": "claim:sub", "limit": 30, "window": "1h", "global": true}]}]}`,
			[]string{`domain: "shop"`, `  # default, key ip`, `  - key: "d-day"`, `      unit: day`, `      requests_per_unit: 7`,
				`  # route a, key route`, `  - key: "a-sec"`, `      unit: second`, `  - key: "a-min"`, `      unit: minute`,
				`  # route b, key claim:sub`, `  - key: "b-hour"`, `      unit: hour`, `      requests_per_unit: 30`}, nil},
		{"service without global limits",
			`{"rate_limit_service": {"cluster": "rls", "domain": "d"}, "routes": [{"name": "a", "match": {"prefix": "/"}}]}`,
			[]string{`domain: "d"`, `descriptors: []`}, nil},
		{"domain needing quotes",
			`{"rate_limit_service": {"cluster": "rls", "domain": "a: b # \"c\" 'd' ü"}, "routes": [{"name": "r", "match": {"prefix": "/"},
			  "rate_limits": [{"name": "g", "key": "ip", "limit": 1, "window": "1s", "global": true}]}]}`,
			[]string{`domain: "a: b # \"c\" 'd' ü"`}, nil},
		{"no service", `{"routes": [{"name": "a", "match": {"prefix": "/"}}]}`, nil, ErrNoService},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte(c.config))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Generate(cfg)
			if !errors.Is(err, c.err) {
				t.Fatalf("error %v, want %v", err, c.err)
			}
			if c.err != nil {
				return
			}
			rest := string(got)
			for _, line := range c.want {
				i := strings.Index(rest, line+"\n")
				if i < 0 {
					t.Fatalf("line %q missing (or out of order) in\n%s", line, got)
				}
				rest = rest[i+len(line):]
			}
			sc := parseService(t, got)
			if sc.Domain != cfg.RateLimitService.Domain {
				t.Errorf("domain %q, want %q", sc.Domain, cfg.RateLimitService.Domain)
			}
			checkAgainst(t, cfg, sc)
		})
	}
}

func TestRLSGen_extract(t *testing.T) {
	const apiguard = `{"rate_limit_service": {"cluster": "rls", "domain": "x"}, "routes": [{"name": "a", "match": {"prefix": "/"},
	  "rate_limits": [{"name": "g", "key": "ip", "limit": 1, "window": "1s", "global": true}]}]}`
	envoy := func(filters ...string) string {
		var b strings.Builder
		b.WriteString("static_resources:\n  listeners:\n  - filter_chains:\n    - filters:\n      - typed_config:\n          http_filters:\n")
		for _, f := range filters {
			b.WriteString(`          - name: envoy.filters.http.wasm
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                configuration:
                  "@type": type.googleapis.com/google.protobuf.StringValue
                  value: '` + strings.ReplaceAll(f, "\n", " ") + "'\n")
		}
		return b.String()
	}
	cases := []struct {
		name, doc string
		domain    string
		err       string
	}{
		{"apiguard JSON", apiguard, "x", ""},
		{"envoy YAML", envoy(apiguard), "x", ""},
		{"istio WasmPlugin after another document", "apiVersion: v1\nkind: Namespace\n---\napiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nspec:\n  pluginConfig:\n    rate_limit_service: {cluster: rls, domain: istio}\n    routes: []\n", "istio", ""},
		{"invalid apiguard JSON says why", `{"routes": [{"name": 1}]}`, "", "routes[0].name"},
		{"invalid embedded config says why", envoy(`{"routes": 5}`), "", "the apiguard configuration"},
		{"two filters", envoy(apiguard, apiguard), "", "2 Wasm configurations"},
		{"nothing", "static_resources: {}\n", "", "no apiguard configuration"},
		{"StringValue outside a Wasm filter", "x:\n  configuration:\n    \"@type\": type.googleapis.com/google.protobuf.StringValue\n    value: '{}'\n", "", "no apiguard configuration"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Extract([]byte(c.doc))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.RateLimitService == nil || cfg.RateLimitService.Domain != c.domain {
				t.Fatalf("rate_limit_service %+v, want domain %q", cfg.RateLimitService, c.domain)
			}
		})
	}
}

// TestRLSGen_hashSecretIgnored: rate_limit_service.hash_secret changes the
// descriptor values only, which the service's configuration does not
// list: the generated file is the same with or without it, and never
// shows it; a refused secret is not echoed either.
func TestRLSGen_hashSecretIgnored(t *testing.T) {
	const secret = "rlsgen-hash-secret-0123456789"
	doc := func(rls string) string {
		return `{"rate_limit_service": {` + rls + `},
		  "routes": [{"name": "r", "match": {"prefix": "/"},
		    "rate_limits": [{"name": "g", "key": "ip", "limit": 9, "window": "1m", "global": true}]}]}`
	}
	generate := func(d string) string {
		t.Helper()
		cfg, err := Extract([]byte(d))
		if err != nil {
			t.Fatal(err)
		}
		y, err := Generate(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return string(y)
	}
	plain := generate(doc(`"cluster": "rls", "domain": "d"`))
	istio := "apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nspec:\n  pluginConfig:\n" +
		"    rate_limit_service: {cluster: rls, domain: d, hash_secret: \"" + secret + "\"}\n" +
		"    routes: [{name: r, match: {prefix: /}, rate_limits: [{name: g, key: ip, limit: 9, window: 1m, global: true}]}]\n"
	for name, d := range map[string]string{
		"json":  doc(`"cluster": "rls", "domain": "d", "hash_secret": "` + secret + `"`),
		"istio": istio,
	} {
		if got := generate(d); got != plain {
			t.Errorf("%s: with hash_secret\n%s\nwithout\n%s", name, got, plain)
		} else if strings.Contains(got, secret) {
			t.Errorf("%s: the secret shows in\n%s", name, got)
		}
	}
	bad := "rlsgen-bad-secret\\u0007-0123456789"
	_, err := Extract([]byte(doc(`"cluster": "rls", "domain": "d", "hash_secret": "` + bad + `"`)))
	if err == nil || !strings.Contains(err.Error(), "rate_limit_service.hash_secret: must be 16 to 1024 printable ASCII characters") ||
		strings.Contains(err.Error(), "rlsgen-bad") {
		t.Errorf("bad hash_secret: error %v", err)
	}
}
