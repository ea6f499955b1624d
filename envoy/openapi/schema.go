package openapi

import (
	"slices"
	"strings"
)

// Schema keywords whose value is a schema, a map of schemas or a list of
// schemas: the positions convert descends into.
var (
	schemaValued = []string{"items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else",
		"unevaluatedItems", "unevaluatedProperties", "additionalItems"}
	schemaMaps  = []string{"properties", "$defs", "patternProperties", "dependentSchemas", "definitions"}
	schemaLists = []string{"allOf", "anyOf", "oneOf", "prefixItems"}
)

// convert copies an OpenAPI schema into apiguard's dialect: $refs to
// #/components/schemas/NAME become #/schemas/NAME, and an OpenAPI 3.0
// schema becomes 2020-12 (boolean exclusiveMinimum/exclusiveMaximum, the
// keywords beside a $ref that 3.0 ignores), each conversion reported.
// Every other keyword is kept as written, for the schema compiler to
// enforce or refuse.
func (g *gen) convert(v any, at string) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := map[string]any{}
	if ref, isRef := m["$ref"].(string); isRef {
		out["$ref"] = g.rewriteRef(ref, at+".$ref")
		if g.v30 && len(m) > 1 {
			var dropped []string
			for _, k := range sortedKeys(m) {
				if k != "$ref" {
					dropped = append(dropped, k)
				}
			}
			g.warnf(at, "OpenAPI 3.0 ignores the keywords beside a $ref; dropped: %s", strings.Join(dropped, ", "))
			return out
		}
	}
	for _, k := range sortedKeys(m) {
		val := m[k]
		kat := at + pathKey(k)
		switch {
		case k == "$ref":
		case slices.Contains(schemaValued, k):
			out[k] = g.convert(val, kat)
		case slices.Contains(schemaMaps, k):
			sm, isMap := val.(map[string]any)
			if !isMap {
				out[k] = val
				continue
			}
			cm := map[string]any{}
			for _, name := range sortedKeys(sm) {
				cm[name] = g.convert(sm[name], kat+pathKey(name))
			}
			out[k] = cm
		case slices.Contains(schemaLists, k):
			l, isList := val.([]any)
			if !isList {
				out[k] = val
				continue
			}
			cl := make([]any, len(l))
			for i, s := range l {
				cl[i] = g.convert(s, kat+"["+itoa(i)+"]")
			}
			out[k] = cl
		case k == "discriminator":
			out[k] = g.convertDiscriminator(val, kat)
		case k == "exclusiveMinimum" || k == "exclusiveMaximum":
			b, isBool := val.(bool)
			if !isBool {
				out[k] = val
				continue
			}
			bound := "minimum"
			if k == "exclusiveMaximum" {
				bound = "maximum"
			}
			if !b {
				g.warnf(kat, "OpenAPI 3.0's %s: false dropped (2020-12 writes the bound itself)", k)
				continue
			}
			n, has := m[bound]
			if !has {
				g.errorf(kat, "%s: true without %s", k, bound)
				continue
			}
			out[k] = n
			g.warnf(kat, "converted OpenAPI 3.0's %s: true with %s to 2020-12's %s: %v", k, bound, k, n)
		case (k == "minimum" || k == "maximum") && m["exclusiveM"+k[1:]] == true:
			// Moved into exclusiveMinimum/exclusiveMaximum above.
		case k == "xml" || k == "externalDocs":
			g.warnf(kat, "an OpenAPI annotation apiguard does not use: dropped")
		default:
			out[k] = val
		}
	}
	return out
}

// rewriteRef maps an OpenAPI reference to a schema of the configuration.
func (g *gen) rewriteRef(ref, at string) string {
	if rest, ok := strings.CutPrefix(ref, "#/components/schemas/"); ok {
		return "#/schemas/" + rest
	}
	g.errorf(at, "a $ref to %q: only #/components/schemas/NAME is supported", ref)
	return ref
}

func (g *gen) convertDiscriminator(v any, at string) any {
	d, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := map[string]any{}
	for k, val := range d {
		out[k] = val
	}
	if mp, ok := d["mapping"].(map[string]any); ok {
		cm := map[string]any{}
		for k, val := range mp {
			s, isStr := val.(string)
			if isStr && strings.HasPrefix(s, "#/") {
				cm[k] = g.rewriteRef(s, at+".mapping"+pathKey(k))
			} else {
				cm[k] = val
			}
		}
		out["mapping"] = cm
	}
	return out
}

// authRule maps the operation's effective security (its own, else the
// document's) to `auth`: the schemes of each alternative map to providers
// through the overlay, scopes become a `contains` rule on the providers'
// scope claim, and `{}` among the alternatives sets allow_missing.
func (g *gen) authRule(at string, op map[string]any, public, overlayAuth bool) map[string]any {
	src := at + ".security"
	sec, has := op["security"]
	if !has {
		sec, has = g.root["security"]
		src = "security"
	}
	list, _ := sec.([]any)
	if !has || len(list) == 0 {
		if !public && !overlayAuth {
			g.warnf(at, "no security: the route has no auth (list the operation in the overlay's public to say that is intended)")
		}
		return nil
	}
	if public {
		g.warnf(at, "listed in the overlay's public, yet the document requires security: auth kept")
	}
	var providers, scopes []string
	scopesSet, allowMissing, ok := false, false, true
	for i, alt := range list {
		aat := src + "[" + itoa(i) + "]"
		m, _ := alt.(map[string]any)
		if len(m) == 0 {
			allowMissing = true
			continue
		}
		if len(m) > 1 {
			g.errorf(aat, "an alternative needing several schemes at once (%s) cannot be expressed: apiguard verifies one credential", strings.Join(sortedKeys(m), ", "))
			ok = false
			continue
		}
		for scheme, sc := range m {
			provs := g.ov.Security[scheme]
			if len(provs) == 0 {
				g.errorf(aat, "security scheme %q has no providers: map it in the overlay's security", scheme)
				ok = false
				continue
			}
			for _, p := range provs {
				if !slices.Contains(providers, p) {
					providers = append(providers, p)
				}
			}
			var ss []string
			l, _ := sc.([]any)
			for _, s := range l {
				if str, isStr := s.(string); isStr {
					ss = append(ss, str)
				}
			}
			slices.Sort(ss)
			if !scopesSet {
				scopes, scopesSet = ss, true
			} else if !slices.Equal(scopes, ss) {
				g.errorf(aat, "alternatives with different scopes cannot be expressed as one claims rule")
				ok = false
			}
		}
	}
	if !ok || len(providers) == 0 {
		return nil
	}
	auth := map[string]any{"providers": toAny(providers)}
	if allowMissing {
		auth["allow_missing"] = true
	}
	if len(scopes) > 0 {
		claim := ""
		for i, p := range providers {
			c := g.ov.ScopeClaim[p]
			if c == "" {
				c = "scope"
			}
			if i == 0 {
				claim = c
			} else if c != claim {
				g.errorf(src, "providers %s check scopes in different claims (%q, %q): one rule cannot express it", strings.Join(providers, ", "), claim, c)
				return nil
			}
		}
		auth["claims"] = []any{map[string]any{"claim": claim, "contains": toAny(scopes)}}
	}
	return auth
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
