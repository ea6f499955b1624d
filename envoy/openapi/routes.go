package openapi

import (
	"net/url"
	"slices"
	"strings"
)

// basePath is the path of servers[0] (its variables at their defaults),
// unless the command line gives one; different paths across servers, or
// none, are reported.
func (g *gen) basePath() string {
	if g.opt.BasePathSet {
		return strings.TrimSuffix(g.opt.BasePath, "/")
	}
	servers, _ := g.root["servers"].([]any)
	if len(servers) == 0 {
		g.warnf("servers", "no servers: the paths are used as they are (-base-path sets a prefix)")
		return ""
	}
	var first string
	for i, s := range servers {
		p := serverPath(s)
		if i == 0 {
			first = p
		} else if p != first {
			g.warnf("servers", "servers have different base paths (%q, %q): routes use servers[0]'s (-base-path overrides)", first, p)
			break
		}
	}
	return first
}

func serverPath(s any) string {
	m, _ := s.(map[string]any)
	u, _ := m["url"].(string)
	vars, _ := m["variables"].(map[string]any)
	for name, v := range vars {
		vm, _ := v.(map[string]any)
		if d, ok := vm["default"].(string); ok {
			u = strings.ReplaceAll(u, "{"+name+"}", d)
		}
	}
	if pu, err := url.Parse(u); err == nil && (pu.Scheme != "" || pu.Host != "") {
		u = pu.Path
	}
	return strings.TrimSuffix(u, "/")
}

// routeName is the operation's route name: its operationId, or METHOD_path,
// reduced to the characters route names allow and made unique.
func (g *gen) routeName(opID, method, p string) string {
	src := opID
	if src == "" {
		src = strings.ToUpper(method) + p
	}
	var b strings.Builder
	for _, c := range []byte(src) {
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-':
			b.WriteByte(c)
		case c == '/' && b.Len() > 0:
			b.WriteByte('.')
		case c == '/', c == '{', c == '}':
		default:
			b.WriteByte('_')
		}
	}
	name := strings.Trim(b.String(), ".")
	if len(name) > 60 {
		name = name[:60]
	}
	if name == "" {
		name = method
	}
	base := name
	for i := 2; g.names[name]; i++ {
		name = base + "-" + itoa(i)
	}
	g.names[name] = true
	return name
}

func itoa(i int) string {
	var b []byte
	for ; i > 0 || len(b) == 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

// route maps one operation.
func (g *gen) route(base, p, method string, item, op map[string]any) map[string]any {
	at := "paths" + pathKey(p) + "." + method
	for _, seg := range strings.Split(strings.Trim(p, "/"), "/") {
		if strings.ContainsAny(seg, "{}") && !(strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") && strings.Count(seg, "{") == 1) {
			g.errorf("paths"+pathKey(p), "a template that is only part of a segment (%q) cannot be matched: apiguard's {name} is a whole segment", seg)
			return nil
		}
	}
	if _, ok := op["callbacks"]; ok {
		g.warnf(at+".callbacks", "callbacks are requests the API sends, not ones it receives: no route is generated for them")
	}
	opID, _ := op["operationId"].(string)
	key := strings.ToUpper(method) + " " + p
	g.names["op:"+key] = true
	if opID != "" {
		g.names["op:"+opID] = true
	}
	name := g.routeName(opID, method, p)
	full := base + p
	if full == "" {
		full = "/"
	}
	r := map[string]any{"name": name, "match": map[string]any{"path": full, "methods": []any{strings.ToUpper(method)}}}
	if req := g.requestRule(at, name, op); req != nil {
		r["request"] = req
	}
	if resp := g.responseRule(at, name, op); resp != nil {
		r["response"] = resp
	}
	public := slices.Contains(g.ov.Public, key) || opID != "" && slices.Contains(g.ov.Public, opID)
	overlayAuth := false // the overlay's operations entry writes the route's auth
	for _, k := range []string{key, opID} {
		if patch, ok := g.ov.Operations[k]; ok && k != "" && patch["auth"] != nil {
			overlayAuth = true
		}
	}
	if auth := g.authRule(at, op, public, overlayAuth); auth != nil {
		r["auth"] = auth
	}
	var applied []string
	for _, k := range []string{key, opID} {
		if patch, ok := g.ov.Operations[k]; ok && k != "" {
			r = mergePatch(r, patch).(map[string]any)
			applied = append(applied, k)
		}
	}
	g.routeKeys = append(g.routeKeys, applied)
	return r
}

// resolve follows a local $ref (#/components/...) of a Request Body or
// Response object.
func (g *gen) resolve(v any, at string) (map[string]any, string) {
	m, _ := v.(map[string]any)
	for i := 0; i < 8; i++ {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m, at
		}
		target, ok := g.pointer(ref)
		if !ok {
			g.errorf(at+".$ref", "cannot resolve %q (only references inside the document)", ref)
			return nil, at
		}
		m, _ = target.(map[string]any)
		at = strings.ReplaceAll(strings.TrimPrefix(ref, "#/"), "/", ".")
	}
	return m, at
}

func (g *gen) pointer(ref string) (any, bool) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, false
	}
	var cur any = g.root
	for _, tok := range strings.Split(rest, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[tok]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// jsonMedia reports whether a media type (parameters ignored) is JSON:
// application/json or a +json type.
func jsonMedia(mt string) bool {
	mt = strings.ToLower(strings.TrimSpace(strings.SplitN(mt, ";", 2)[0]))
	t, sub, ok := strings.Cut(mt, "/")
	return ok && t != "" && (mt == "application/json" || strings.HasSuffix(sub, "+json") && len(sub) > len("+json"))
}

// bodySchema returns the schema of content's JSON media type: the name of
// a components schema it refers to, or a new schema named name. ok is
// false when content has no JSON type; mixed is true when it also has
// others.
func (g *gen) bodySchema(content map[string]any, at, name string) (schemaName string, ok, mixed bool) {
	var jsonType string
	for _, mt := range sortedKeys(content) {
		if jsonMedia(mt) {
			if jsonType == "" {
				jsonType = mt
			}
		} else {
			mixed = true
		}
	}
	if jsonType == "" {
		return "", false, mixed
	}
	media, _ := content[jsonType].(map[string]any)
	s, has := media["schema"]
	if !has {
		return "", false, mixed
	}
	sat := at + ".content" + pathKey(jsonType) + ".schema"
	if m, isMap := s.(map[string]any); isMap && len(m) == 1 {
		if ref, isRef := m["$ref"].(string); isRef {
			if comp, isComp := strings.CutPrefix(ref, "#/components/schemas/"); isComp && !strings.Contains(comp, "/") {
				comp = strings.ReplaceAll(strings.ReplaceAll(comp, "~1", "/"), "~0", "~")
				if _, found := g.schemas[comp]; found {
					return comp, true, mixed
				}
			}
		}
	}
	g.schemas[name] = g.convert(s, sat)
	g.schemaSrc[name] = sat
	return name, true, mixed
}

func (g *gen) requestRule(at, name string, op map[string]any) map[string]any {
	rb, ok := op["requestBody"]
	if !ok {
		return nil
	}
	body, bat := g.resolve(rb, at+".requestBody")
	content, _ := body["content"].(map[string]any)
	sn, isJSON, mixed := g.bodySchema(content, bat, name+".request")
	switch {
	case isJSON && mixed:
		g.warnf(bat+".content", "the operation also accepts media types other than JSON: no json rule (a body of another type would bypass it)")
		delete(g.schemas, name+".request")
		return nil
	case !isJSON:
		if len(content) > 0 {
			g.warnf(bat+".content", "no JSON media type with a schema: the body is not checked")
		}
		return nil
	}
	j := map[string]any{"schema": sn}
	if req, _ := body["required"].(bool); req {
		j["required"] = true
	}
	return map[string]any{"json": j}
}

func (g *gen) responseRule(at, name string, op map[string]any) map[string]any {
	resps, _ := op["responses"].(map[string]any)
	schemas := map[string]any{}
	for _, status := range sortedKeys(resps) {
		key := strings.ToUpper(status)
		if key == "DEFAULT" {
			key = "default"
		}
		resp, rat := g.resolve(resps[status], at+".responses"+pathKey(status))
		content, _ := resp["content"].(map[string]any)
		sn, isJSON, mixed := g.bodySchema(content, rat, name+"."+key)
		if !isJSON {
			if mixed {
				g.warnf(rat+".content", "no JSON schema: on a route that inspects responses, a body of another type is refused with 502 (list its type in the overlay's operations.<op>.response.pass_types to let it through)")
			}
			continue
		}
		if mixed {
			g.warnf(rat+".content", "other media types besides JSON are refused with 502 on this route unless listed in response.pass_types")
		}
		if key != status && status != "default" {
			g.warnf(at+".responses"+pathKey(status), "status written %q, read as %q", status, key)
		}
		schemas[key] = sn
	}
	if len(schemas) == 0 {
		return nil
	}
	return map[string]any{"schemas": schemas}
}
