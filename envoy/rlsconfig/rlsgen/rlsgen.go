// Package rlsgen turns an apiguard configuration into the configuration
// file of envoyproxy/ratelimit (Envoy's reference rate limit service), so
// that the apiguard document stays the one source of truth for global
// limits: for each `"global": true` limit, a descriptor whose key is the
// limit's name and whose rate_limit is the limit's `limit` per `window`.
//
// The filter sends one descriptor [{key: <limit name>, value: <hashed key
// value>}] per global limit; a descriptor rule with a key and no value
// matches every value of that key and counts each value separately, which
// is exactly a per-client limit.
package rlsgen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/apiguard/apiguard/filter/config"
)

// Limit is one global limit as the service sees it.
type Limit struct {
	// Name is the descriptor key (the limit's name).
	Name string
	// Unit is second, minute, hour or day.
	Unit string
	// RequestsPerUnit is the limit's `limit`.
	RequestsPerUnit int64
	// Where says where the limit is declared ("route orders", "default")
	// and its key, for the generated comment.
	Where, Key string
}

// Limits lists the global limits of cfg in document order (default
// first, then the routes).
func Limits(cfg *config.Config) ([]Limit, error) {
	var out []Limit
	add := func(where string, p *config.RoutePolicy) error {
		if p == nil {
			return nil
		}
		for i := range p.RateLimits {
			rl := &p.RateLimits[i]
			if !rl.Global {
				continue
			}
			unit, ok := units[rl.Window]
			if !ok {
				// config.Parse refuses these already.
				return fmt.Errorf("rlsgen: limit %q: window %s is not 1s, 1m, 1h or 1d", rl.Name, config.FormatDuration(rl.Window))
			}
			out = append(out, Limit{Name: rl.Name, Unit: unit, RequestsPerUnit: rl.Limit, Where: where, Key: rl.Key.Raw})
		}
		return nil
	}
	if err := add("default", cfg.Default); err != nil {
		return nil, err
	}
	for i := range cfg.Routes {
		r := &cfg.Routes[i]
		if err := add("route "+r.Name, &r.Policy); err != nil {
			return nil, err
		}
	}
	return out, nil
}

var units = map[time.Duration]string{
	time.Second:    "second",
	time.Minute:    "minute",
	time.Hour:      "hour",
	24 * time.Hour: "day",
}

// ErrNoService is returned for a configuration without
// rate_limit_service (and so without global limits).
var ErrNoService = errors.New(`rlsgen: the configuration has no "rate_limit_service", so no global limit`)

// Generate writes the service's YAML for cfg: its domain and one
// descriptor per global limit. A configuration with rate_limit_service
// but no global limit yields a domain without descriptors.
func Generate(cfg *config.Config) ([]byte, error) {
	if cfg.RateLimitService == nil {
		return nil, ErrNoService
	}
	limits, err := Limits(cfg)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("# envoyproxy/ratelimit configuration generated from the apiguard configuration\n")
	b.WriteString("# by envoy/rlsconfig: edit the apiguard document and regenerate, not this file.\n")
	fmt.Fprintf(&b, "# apiguard sends cluster %s, domain %s, one descriptor [{key: <limit name>,\n", quote(cfg.RateLimitService.Cluster), quote(cfg.RateLimitService.Domain))
	b.WriteString("# value: <hashed key value>}] per global limit; no value here = one counter per value.\n")
	b.WriteString("domain: " + quote(cfg.RateLimitService.Domain) + "\n")
	if len(limits) == 0 {
		b.WriteString("descriptors: []\n")
		return b.Bytes(), nil
	}
	b.WriteString("descriptors:\n")
	for _, l := range limits {
		fmt.Fprintf(&b, "  # %s, key %s\n", oneLine(l.Where), oneLine(l.Key))
		b.WriteString("  - key: " + quote(l.Name) + "\n")
		b.WriteString("    rate_limit:\n")
		b.WriteString("      unit: " + l.Unit + "\n")
		b.WriteString("      requests_per_unit: " + strconv.FormatInt(l.RequestsPerUnit, 10) + "\n")
	}
	return b.Bytes(), nil
}

// quote writes s as a double-quoted scalar: JSON's string syntax is valid
// YAML, whatever s holds.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// oneLine keeps a comment on its line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029' || r == '\u0085' {
			return ' '
		}
		return r
	}, s)
}

// Extract finds the apiguard configuration in a document: the JSON
// configuration itself; an Envoy bootstrap (YAML or JSON) with one Wasm
// filter whose `configuration` is a google.protobuf.StringValue holding
// it; or an Istio WasmPlugin with its `pluginConfig`. It parses it with
// apiguard's own strict parser, as proxy_on_configure does.
func Extract(doc []byte) (*config.Config, error) {
	trimmed := bytes.TrimSpace(doc)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		if cfg, _, err := config.ParseWithPlaceholders(trimmed, os.LookupEnv); err == nil {
			return cfg, nil
		} else if !looksLikeEnvoy(trimmed) {
			return nil, err
		}
	}
	var candidates [][]byte
	for _, part := range splitYAML(doc) {
		js, err := yaml.YAMLToJSON(part)
		if err != nil {
			return nil, fmt.Errorf("rlsgen: not JSON or YAML: %w", err)
		}
		var v any
		if err := json.Unmarshal(js, &v); err != nil {
			return nil, fmt.Errorf("rlsgen: %w", err)
		}
		candidates = append(candidates, find(v)...)
	}
	switch len(candidates) {
	case 0:
		return nil, errors.New("rlsgen: no apiguard configuration found (a JSON configuration, an Envoy Wasm filter's StringValue configuration, or an Istio WasmPlugin's pluginConfig)")
	case 1:
		cfg, _, err := config.ParseWithPlaceholders(candidates[0], os.LookupEnv)
		if err != nil {
			return nil, fmt.Errorf("rlsgen: the apiguard configuration: %w", err)
		}
		return cfg, nil
	}
	return nil, fmt.Errorf("rlsgen: %d Wasm configurations found; pass the apiguard JSON itself", len(candidates))
}

// looksLikeEnvoy tells an Envoy bootstrap written in JSON from an
// apiguard configuration that failed to parse (whose error must show).
func looksLikeEnvoy(doc []byte) bool {
	var top map[string]json.RawMessage
	if json.Unmarshal(doc, &top) != nil {
		return false
	}
	_, ok1 := top["static_resources"]
	_, ok2 := top["spec"]
	return ok1 || ok2
}

// splitYAML splits a multi-document YAML stream on "---" lines.
func splitYAML(doc []byte) [][]byte {
	var parts [][]byte
	var cur []byte
	for _, line := range bytes.SplitAfter(doc, []byte("\n")) {
		if t := bytes.TrimRight(line, " \t\r\n"); bytes.Equal(t, []byte("---")) {
			parts = append(parts, cur)
			cur = nil
			continue
		}
		cur = append(cur, line...)
	}
	return append(parts, cur)
}

const (
	stringValueType = "type.googleapis.com/google.protobuf.StringValue"
	wasmFilterType  = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm"
)

// find collects apiguard configurations: the StringValue `configuration`
// of Wasm HTTP filters, and `spec.pluginConfig` of WasmPlugin resources.
func find(v any) [][]byte {
	var out [][]byte
	var walk func(v any, inWasm bool)
	walk = func(v any, inWasm bool) {
		switch x := v.(type) {
		case map[string]any:
			if x["kind"] == "WasmPlugin" {
				if spec, ok := x["spec"].(map[string]any); ok {
					if pc, ok := spec["pluginConfig"]; ok {
						if js, err := json.Marshal(pc); err == nil {
							out = append(out, js)
						}
					}
				}
				return
			}
			if x["@type"] == wasmFilterType {
				inWasm = true
			}
			if c, ok := x["configuration"].(map[string]any); ok && inWasm && c["@type"] == stringValueType {
				if s, ok := c["value"].(string); ok {
					out = append(out, []byte(s))
				}
			}
			for _, e := range x {
				walk(e, inWasm)
			}
		case []any:
			for _, e := range x {
				walk(e, inWasm)
			}
		}
	}
	walk(v, false)
	return out
}
