// Package openapi turns an OpenAPI 3.0 or 3.1 document and an overlay into
// an apiguard configuration: `apiguard openapi [-overlay OVERLAY.json]
// SPEC` (docs/command.md "openapi", docs/configuration.md "The OpenAPI
// generator").
//
// github.com/getkin/kin-openapi loads and validates the document (JSON or
// YAML, 3.0 and 3.1). The mapping itself reads the document's own tree, so
// that every schema keyword reaches apiguard's schema compiler as written:
// a keyword the module cannot enforce is then a reported error, never one
// dropped by a typed model on the way. The result is checked with
// config.Parse before it is printed.
package openapi

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"sigs.k8s.io/yaml"

	"github.com/apiguard/apiguard/filter/config"
)

// Finding is one thing the generator reports: where in the OpenAPI
// document (or the overlay), and what.
type Finding struct {
	Path  string
	Msg   string
	Error bool
	// Line and Column place a finding about the overlay in it (0: no
	// place).
	Line, Column int
}

func (f Finding) String() string {
	level := "warning"
	if f.Error {
		level = "error"
	}
	return level + ": " + f.Path + ": " + f.Msg
}

// Options are the command line's settings.
type Options struct {
	// BasePath, when BasePathSet, replaces the path of servers[0].
	BasePath    string
	BasePathSet bool
}

// Generate maps spec (JSON or YAML) and the overlay (nil: none) to a
// configuration. out is nil when a finding is an error; err is set only
// when spec is not an OpenAPI document at all.
func Generate(spec []byte, ov *Overlay, opt Options) (out []byte, findings []Finding, err error) {
	if ov == nil {
		ov = &Overlay{}
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, lerr := loader.LoadFromData(spec)
	if lerr != nil {
		return nil, nil, fmt.Errorf("not a valid OpenAPI document: %v", lerr)
	}
	g := &gen{ov: ov, opt: opt, schemas: map[string]any{}, schemaSrc: map[string]string{}, names: map[string]bool{}}
	g.findings = append(g.findings, ov.findings...)
	if verr := doc.Validate(context.Background()); verr != nil {
		g.errorf("$", "the document is not valid OpenAPI: %v", verr)
	}
	js, jerr := yaml.YAMLToJSON(spec)
	if jerr != nil {
		return nil, nil, fmt.Errorf("reading the document: %v", jerr)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil || root == nil {
		return nil, nil, fmt.Errorf("the document is not an object")
	}
	g.root = root
	version, _ := root["openapi"].(string)
	switch {
	case strings.HasPrefix(version, "3.0."):
		g.v30 = true
	case strings.HasPrefix(version, "3.1."):
	default:
		return nil, nil, fmt.Errorf("openapi %q: only 3.0 and 3.1 are supported", version)
	}
	result := g.run()
	failed := g.failed()
	out, merr := json.MarshalIndent(result, "", "  ")
	if merr != nil {
		return nil, nil, merr
	}
	out = append(out, '\n')
	var list *config.ErrorList
	if _, perr := config.Parse(out); errors.As(perr, &list) {
		// What the overlay wrote is reported at its place in the overlay,
		// even beside other errors; the rest only when nothing else failed
		// (a half-generated configuration would give false ones).
		if rest := g.overlayErrors(list, g.ownRoutes); len(rest) > 0 && !failed {
			msgs := make([]string, len(rest))
			for i, e := range rest {
				msgs[i] = e.Error()
			}
			msg := strings.Join(msgs, "\n")
			if strings.Contains(msg, "hold_headers") {
				// Schemas read bodies, so the configuration must say whether
				// Envoy holds headers: only the operator knows where it runs.
				msg += ` (write it in the overlay: {"config": {"hold_headers": true}} for Envoy 1.35+ with allow_on_headers_stop_iteration, false for Istio)`
			}
			g.errorf(g.sourceOf(rest[0].Error()), "the generated configuration does not load: %s", msg)
		}
	} else if perr != nil {
		g.errorf("(generated configuration)", "the generated configuration does not load: %v", perr)
	}
	// The overlay's own findings first, in its order, then the others as
	// they came.
	slices.SortStableFunc(g.findings, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(min(a.Line, 1), min(b.Line, 1))*-1, cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	if g.failed() {
		return nil, g.findings, nil
	}
	return out, g.findings, nil
}

type gen struct {
	ov        *Overlay
	opt       Options
	root      map[string]any
	v30       bool
	findings  []Finding
	schemas   map[string]any
	schemaSrc map[string]string // schema name -> where in the document it came from
	names     map[string]bool   // route names taken
	ownRoutes int               // the routes of the overlay's config, first in the result
	routeKeys [][]string        // the overlay operations entries merged into each generated route
}

func (g *gen) errorf(path, format string, args ...any) {
	g.findings = append(g.findings, Finding{Path: path, Msg: fmt.Sprintf(format, args...), Error: true})
}

func (g *gen) warnf(path, format string, args ...any) {
	g.findings = append(g.findings, Finding{Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (g *gen) failed() bool {
	for _, f := range g.findings {
		if f.Error {
			return true
		}
	}
	return false
}

// sourceOf names the OpenAPI location of a config error about a schema
// ("schemas.Pet.properties.id: ..."), or the configuration itself.
func (g *gen) sourceOf(msg string) string {
	if rest, ok := strings.CutPrefix(msg, "schemas."); ok {
		for name, src := range g.schemaSrc {
			if strings.HasPrefix(rest, name+".") || strings.HasPrefix(rest, name+":") {
				return src
			}
		}
	}
	return "(generated configuration)"
}

func (g *gen) run() map[string]any {
	base := g.basePath()
	if comps, ok := g.root["components"].(map[string]any); ok {
		if s, ok := comps["schemas"].(map[string]any); ok {
			for _, name := range sortedKeys(s) {
				p := "components.schemas" + pathKey(name)
				g.schemas[name] = g.convert(s[name], p)
				g.schemaSrc[name] = p
			}
		}
	}
	var routes []any
	paths, _ := g.root["paths"].(map[string]any)
	for _, p := range orderPaths(sortedKeys(paths)) {
		item, ok := paths[p].(map[string]any)
		if !ok {
			g.errorf("paths"+pathKey(p), "not a Path Item object")
			continue
		}
		if _, ok := item["$ref"]; ok {
			g.errorf("paths"+pathKey(p)+".$ref", "a Path Item $ref is not supported: write the operations under the path")
			continue
		}
		for _, m := range methods {
			op, ok := item[m].(map[string]any)
			if !ok {
				continue
			}
			if r := g.route(base, p, m, item, op); r != nil {
				routes = append(routes, r)
			}
		}
	}
	if wh, ok := g.root["webhooks"].(map[string]any); ok && len(wh) > 0 {
		g.warnf("webhooks", "webhooks are requests the API sends, not ones it receives: no route is generated for them")
	}
	result := map[string]any{}
	if len(g.schemas) > 0 {
		result["schemas"] = g.schemas
	}
	cfg := g.ov.Config
	var own []any
	if cfg != nil {
		if r, ok := cfg["routes"]; ok {
			own, _ = r.([]any)
			if _, isList := r.([]any); !isList {
				g.overlayFinding(true, []any{"config", "routes"}, "must be a list")
			}
		}
		if _, ok := cfg["default"]; ok {
			g.overlayFinding(false, []any{"config", "default"}, "kept: a default policy turns undocumented endpoints back on (without it they get 404 or 405)")
		}
		patch := map[string]any{}
		for k, v := range cfg {
			if k != "routes" {
				patch[k] = v
			}
		}
		result = mergePatch(result, patch).(map[string]any)
	}
	result["routes"] = append(append([]any{}, own...), routes...)
	g.ownRoutes = len(own)
	if len(routes) == 0 {
		if len(own) == 0 && (cfg == nil || cfg["default"] == nil) {
			g.errorf("paths", "no operation: the configuration would refuse every request with 404")
		} else {
			g.warnf("paths", "no operation: no route is generated")
		}
	}
	var ops []string
	for n := range g.names {
		if op, ok := strings.CutPrefix(n, "op:"); ok {
			ops = append(ops, op)
		}
	}
	sort.Strings(ops)
	unknown := func(at []any, key, quoted string) {
		hint := config.DidYouMean(key, ops)
		if hint == "" {
			hint = ` (an operationId or "METHOD /path")`
		}
		g.overlayFinding(true, at, "no such operation"+quoted+hint)
	}
	for _, key := range g.overlayOrder("operations", sortedKeys(g.ov.Operations)) {
		if !g.names["op:"+key] {
			unknown([]any{"operations", key}, key, "")
		}
	}
	for i, key := range g.ov.Public {
		if !g.names["op:"+key] {
			unknown([]any{"public", i}, key, " "+strconv.Quote(key))
		}
	}
	return result
}

// methods are the operations of a Path Item, in the order routes are
// generated.
var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// orderPaths puts literal segments before templates at the first
// position where two paths differ (/pets/mine before /pets/{id}), then
// sorts by bytes, so the first matching route is the most specific.
func orderPaths(paths []string) []string {
	sort.SliceStable(paths, func(i, j int) bool {
		a, b := strings.Split(paths[i], "/"), strings.Split(paths[j], "/")
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] == b[k] {
				continue
			}
			ta, tb := strings.HasPrefix(a[k], "{"), strings.HasPrefix(b[k], "{")
			if ta != tb {
				return tb
			}
			return a[k] < b[k]
		}
		return len(a) < len(b)
	})
	return paths
}

// pathKey renders one step of a JSON path as config errors do.
func pathKey(k string) string {
	simple := k != ""
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			simple = false
		}
	}
	if simple {
		return "." + k
	}
	b, _ := json.Marshal(k)
	return "[" + string(b) + "]"
}

// mergePatch applies an RFC 7396 JSON Merge Patch.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = mergePatch(t[k], v)
	}
	return t
}
