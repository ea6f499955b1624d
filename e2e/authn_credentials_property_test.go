package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// TestAuthnCredentials_property: over generated requests (Authorization in
// many schemes, API-key headers, cookies and query parameters of every
// provider's sources in spellings that match, on routes with various
// providers, forward and pass_credentials), on every enforcing route no
// Authorization and no header, cookie or query parameter that is a
// credential source of any provider reaches upstream, unless it is the one
// verified credential of a forward: true provider or the route passes it;
// what is no credential reaches upstream unchanged; more than one
// credential in the route's sources is 401; report-only routes change
// nothing. The oracle has its own name normaliser, written from docs/configuration.md.
//
// APIGUARD_PROPERTY_N sets the number of requests per header mode natively
// (default 3000; the .wasm runs a tenth of it).
func TestAuthnCredentials_property(t *testing.T) {
	tk := mintCredTokens(t)
	n := 3000
	if v, err := strconv.Atoi(os.Getenv("APIGUARD_PROPERTY_N")); err == nil && v > 0 {
		n = v
	}
	if testing.Short() {
		n /= 10
	}
	eachCredMode(t, func(t *testing.T, g guest, e *host.Envoy) {
		iters := n
		if g.wasm {
			iters = max(n/10, 50)
		}
		rng := rand.New(rand.NewPCG(13, uint64(len(t.Name()))))
		gen := propGen{rng: rng, tk: tk}
		stats := map[int]int{}
		for i := 0; i < iters; i++ {
			rt, req, items := gen.request()
			r := roundTrip(e.Worker(0), exchange{req: req})
			stats[r.Downstream.Status]++
			if msg := propCheck(rt, req, items, r, tk); msg != "" {
				t.Fatalf("request %d on %s (%s): %s\nrequest: %s %q\nupstream: %q\ndownstream: %d %s",
					i, rt.path, map[bool]string{true: "enforcing", false: "report-only"}[rt.enforce], msg,
					req.Path, req.Headers, r.Upstream.Headers, r.Downstream.Status, r.Downstream.Details)
			}
		}
		// The generator must reach every outcome, or the property is
		// vacuous.
		for _, status := range []int{200, 400, 401} {
			if stats[status] < iters/50 {
				t.Errorf("only %d of %d generated requests got %d: %v", stats[status], iters, status, stats)
			}
		}
	})
}

// propSrc is one credential location of a provider, for the oracle.
type propSrc struct {
	kind   byte // 'h', 'c', 'q'
	name   string
	prefix string
}

var propProviders = map[string][]propSrc{
	"idp":      {{'h', "authorization", "Bearer "}},
	"web":      {{'c', "session", ""}, {'h', "x-token", ""}},
	"q":        {{'q', "access_token", ""}},
	"fwd":      {{'h', "x-fwd", "Token "}, {'c', "fwd_session", ""}, {'q', "fwd_token", ""}},
	"partners": {{'h', "x-api-key", ""}, {'q', "api_key", ""}},
}

// propRoute mirrors a route of credsConfig.
type propRoute struct {
	path      string
	enforce   bool
	providers []string
	pass      []propSrc
}

var propRoutes = []propRoute{
	{path: "/keys", enforce: true, providers: []string{"partners"}},
	{path: "/tok", enforce: true, providers: []string{"idp"}},
	{path: "/anon", enforce: true, providers: []string{"idp", "partners"}},
	{path: "/web", enforce: true, providers: []string{"web", "q"}},
	{path: "/fwd", enforce: true, providers: []string{"fwd"}},
	{path: "/mixfwd", enforce: true, providers: []string{"fwd", "partners"}, pass: []propSrc{{'c', "session", ""}}},
	{path: "/body", enforce: true, providers: []string{"partners"}},
	{path: "/oauth/token", enforce: true, pass: []propSrc{{'h', "authorization", ""}}},
	{path: "/pass", enforce: true, providers: []string{"idp"}, pass: []propSrc{{'q', "api_key", ""}, {'c', "session", ""}, {'h', "x-api-key", ""}}},
	{path: "/open", enforce: true},
	{path: "/elsewhere", enforce: true},
	{path: "/report", enforce: false, providers: []string{"idp"}},
}

// propItem is one generated location of a request.
type propItem struct {
	kind        byte
	name, value string // as sent (query: raw)
}

type propGen struct {
	rng *rand.Rand
	tk  credTokens
}

func (g *propGen) pick(list ...string) string { return list[g.rng.IntN(len(list))] }

// spell writes a name in a spelling that matches it under docs/configuration.md's
// comparison (or, rarely, with a control character that step 1 refuses).
func (g *propGen) spell(name string, query bool) string {
	switch g.rng.IntN(12) {
	case 0:
		return strings.ToUpper(name)
	case 1:
		return "+" + name
	case 2:
		return "%20" + name
	case 3:
		return name + "[]"
	case 4:
		return name + "[x]"
	case 5:
		return fmt.Sprintf("%%%02X", name[0]) + name[1:]
	case 6:
		return strings.Replace(name, "_", ".", 1)
	case 7:
		return strings.Replace(name, "_", "+", 1)
	case 8:
		if g.rng.IntN(2) == 0 {
			return name + g.pick("%00", "%0A", "%7F", "%1b")
		}
	}
	return name
}

func (g *propGen) credValue() string {
	return g.pick(g.tk.idp, g.tk.web, g.tk.q, g.tk.fwd, g.tk.forged, credAPIKey, "nope", "")
}

func (g *propGen) request() (propRoute, host.Request, []propItem) {
	rt := propRoutes[g.rng.IntN(len(propRoutes))]
	var items []propItem
	for k := g.rng.IntN(5); k > 0; k-- {
		switch g.rng.IntN(9) {
		case 0, 1:
			scheme := g.pick("Bearer ", "bearer ", "Basic ", "Token ", "Bearer\t", "Bearer  ", "Bearer \t", "")
			items = append(items, propItem{'h', "authorization", scheme + g.credValue()})
		case 2:
			items = append(items, propItem{'h', g.pick("x-api-key", "x_api_key"), g.pick(credAPIKey, "nope", "")})
		case 3:
			items = append(items, propItem{'h', g.pick("x-token", "x_token"), g.pick(g.tk.web, g.tk.forged)})
		case 4:
			items = append(items, propItem{'h', g.pick("x-fwd", "x_fwd"), g.pick("Token ", "token ", "Bearer ", "") + g.pick(g.tk.fwd, g.tk.forged)})
		case 5, 6:
			name := g.spell(g.pick("session", "fwd_session"), false)
			items = append(items, propItem{'c', name, g.credValue()})
		default:
			name := g.spell(g.pick("access_token", "fwd_token", "api_key"), true)
			items = append(items, propItem{'q', name, g.credValue()})
		}
	}
	// What is no credential, which must reach upstream as it was.
	items = append(items, propItem{'h', "x-other", "1"}, propItem{'c', "theme", "dark"}, propItem{'q', "page", "2"})
	g.rng.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
	path := rt.path
	if rt.path == "/elsewhere" || rt.path == "/open" {
		path += "/x"
	}
	var query []string
	var cookies []string
	var hs []proxy.Pair
	for _, it := range items {
		switch it.kind {
		case 'h':
			hs = append(hs, proxy.Pair{Key: it.name, Value: it.value})
		case 'c':
			cookies = append(cookies, it.name+"="+it.value)
		case 'q':
			query = append(query, it.name+"="+it.value)
		}
	}
	if len(query) > 0 {
		path += "?" + strings.Join(query, g.pick("&", ";"))
	}
	if len(cookies) > 0 {
		if g.rng.IntN(3) == 0 && len(cookies) > 1 {
			hs = append(hs, proxy.Pair{Key: "cookie", Value: strings.Join(cookies[:1], "; ")},
				proxy.Pair{Key: "cookie", Value: strings.Join(cookies[1:], "; ")})
		} else {
			hs = append(hs, proxy.Pair{Key: "cookie", Value: strings.Join(cookies, "; ")})
		}
	}
	return rt, host.Request{Path: path, Headers: hs}, items
}

// propNorm is the oracle's name comparison, written from docs/configuration.md "Query
// and cookie names" without the filter's code: percent-decode ('+' is a
// space), drop leading spaces, fold case, `.`, space and `[` as `_`; a
// name also matches by the part before its first `[`.
func propMatches(raw, name string) bool {
	var b []byte
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '+':
			c = ' '
		case c == '%' && i+2 < len(raw):
			if v, err := strconv.ParseUint(raw[i+1:i+3], 16, 8); err == nil {
				c = byte(v)
				i += 2
			}
		}
		b = append(b, c)
	}
	dec := strings.ToLower(strings.TrimLeft(string(b), " "))
	under := strings.NewReplacer(".", "_", " ", "_", "[", "_")
	if under.Replace(dec) == name {
		return true
	}
	if i := strings.IndexByte(dec, '['); i >= 0 && under.Replace(dec[:i]) == name {
		return true
	}
	return false
}

func propHasControl(raw string, nameOnly bool) bool {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '%' && i+2 < len(raw) {
			if v, err := strconv.ParseUint(raw[i+1:i+3], 16, 8); err == nil {
				c = byte(v)
				i += 2
			}
		}
		if nameOnly && (c < 0x20 || c == 0x7f) || !nameOnly && c == 0 {
			return true
		}
	}
	return false
}

// propCredNames are every name some provider reads, and Authorization.
func propIsCred(kind byte, name string) bool {
	if kind == 'h' && propSameHeader(name, "authorization") {
		return true
	}
	for _, srcs := range propProviders {
		for _, s := range srcs {
			if s.kind != kind {
				continue
			}
			if kind == 'h' && propSameHeader(name, s.name) || kind != 'h' && propMatches(name, s.name) {
				return true
			}
		}
	}
	return false
}

// propSameHeader: header names as CGI-style upstreams read them.
func propSameHeader(a, b string) bool {
	norm := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "_", "-") }
	return norm(a) == norm(b)
}

func (rt propRoute) passes(kind byte, name string) bool {
	for _, p := range rt.pass {
		if p.kind == kind && (kind == 'h' && propSameHeader(name, p.name) || kind != 'h' && propMatches(name, p.name)) {
			return true
		}
	}
	return false
}

func (rt propRoute) reads(kind byte, name string) bool {
	for _, pn := range rt.providers {
		for _, s := range propProviders[pn] {
			if s.kind != kind {
				continue
			}
			if kind == 'h' && strings.EqualFold(name, s.name) || kind != 'h' && propMatches(name, s.name) {
				return true
			}
		}
	}
	return false
}

// accepts reports whether a header value starts with one of the route's
// prefixes for that header (ASCII case ignored), followed by something
// that starts with neither a space nor a tab.
func (rt propRoute) accepts(name, value string) bool {
	for _, pn := range rt.providers {
		for _, s := range propProviders[pn] {
			if s.kind != 'h' || !strings.EqualFold(name, s.name) || len(value) <= len(s.prefix) {
				continue
			}
			if rest := value[len(s.prefix):]; strings.EqualFold(value[:len(s.prefix)], s.prefix) && rest[0] != ' ' && rest[0] != '\t' {
				return true
			}
		}
	}
	return false
}

// fwdVerified reports whether a location that reached upstream may be the
// verified credential of the forwarding provider: a route listing it, and
// the valid token in one of its sources.
func (rt propRoute) fwdVerified(kind byte, name, value string, tk credTokens) bool {
	listed := false
	for _, pn := range rt.providers {
		listed = listed || pn == "fwd"
	}
	if !listed {
		return false
	}
	switch kind {
	case 'h':
		return strings.EqualFold(name, "x-fwd") && len(value) > 6 && strings.EqualFold(value[:6], "Token ") && value[6:] == tk.fwd
	case 'c':
		return propMatches(name, "fwd_session") && value == tk.fwd
	default:
		return propMatches(name, "fwd_token") && value == tk.fwd
	}
}

// propLocations lists the header, cookie and query locations of a header
// list (request or upstream): headers other than pseudo-headers and
// Cookie, each cookie pair, each query parameter of :path (or of path).
func propLocations(hs []proxy.Pair, path string) []propItem {
	var out []propItem
	for _, p := range hs {
		switch k := strings.ToLower(p.Key); {
		case k == ":path":
			path = p.Value
		case strings.HasPrefix(k, ":"):
		case k == "cookie":
			for _, c := range strings.Split(p.Value, ";") {
				c = strings.Trim(c, " \t")
				if c == "" {
					continue
				}
				name, value, _ := strings.Cut(c, "=")
				out = append(out, propItem{'c', strings.TrimRight(name, " \t"), value})
			}
		default:
			out = append(out, propItem{'h', p.Key, p.Value})
		}
	}
	if _, q, ok := strings.Cut(path, "?"); ok {
		for _, p := range strings.FieldsFunc(q, func(r rune) bool { return r == '&' || r == ';' }) {
			name, value, _ := strings.Cut(p, "=")
			out = append(out, propItem{'q', name, value})
		}
	}
	return out
}

// propCheck is the property for one exchange; "" when it holds.
func propCheck(rt propRoute, req host.Request, items []propItem, r host.Result, tk credTokens) string {
	status := r.Downstream.Status
	// Step 1 first: a control character in a name, NUL in a value.
	unsafe := false
	for _, it := range items {
		unsafe = unsafe || it.kind != 'h' && propHasControl(it.name, true)
	}
	if unsafe {
		if status != 400 {
			return fmt.Sprintf("a name with a control character got %d, want 400", status)
		}
		return ""
	}
	// Credentials by location in the route's sources; a header in a form
	// none of them accepts is one too, and invalid.
	creds, badForm := 0, 0
	for _, it := range items {
		switch {
		case it.kind == 'h':
			if rt.reads('h', it.name) {
				creds++
				if !rt.accepts(it.name, it.value) {
					badForm++
				}
			}
		case it.value != "" && rt.reads(it.kind, it.name):
			creds++
		}
	}
	if rt.enforce && creds == 1 && badForm == 1 && (status != 401 || r.Downstream.Details != "apiguard_"+string(problem.ReasonCredentialScheme)) {
		return fmt.Sprintf("a header in a form no source accepts got %d %s, want 401 credential_scheme", status, r.Downstream.Details)
	}
	if rt.enforce && creds > 1 && (status != 401 || r.Downstream.Details != "apiguard_"+string(problem.ReasonCredentialMultiple)) {
		return fmt.Sprintf("%d credentials in the route's sources got %d %s, want 401 credential_multiple", creds, status, r.Downstream.Details)
	}
	if rt.enforce && len(rt.providers) == 0 && status != 200 {
		return fmt.Sprintf("a route without auth answered %d", status)
	}
	if !r.UpstreamCalled {
		if status == 200 {
			return "200 without upstream"
		}
		return ""
	}
	up := propLocations(r.Upstream.Headers, "")
	sent := propLocations(req.Headers, req.Path)
	if !rt.enforce {
		// Report-only: the request goes on untouched.
		for _, s := range sent {
			if !containsItem(up, s) {
				return fmt.Sprintf("a report-only route removed %c %q=%q", s.kind, s.name, s.value)
			}
		}
		return ""
	}
	kept := 0
	for _, u := range up {
		if !propIsCred(u.kind, u.name) || rt.passes(u.kind, u.name) {
			continue
		}
		if rt.fwdVerified(u.kind, u.name, u.value, tk) {
			kept++
			continue
		}
		return fmt.Sprintf("unverified credential %c %q=%q reached upstream", u.kind, u.name, u.value)
	}
	if kept > 1 {
		return fmt.Sprintf("%d forwarded credentials reached upstream", kept)
	}
	// The one verified credential of the forwarding provider does reach
	// upstream, where it was.
	if creds == 1 {
		for _, s := range sent {
			if rt.reads(s.kind, s.name) && rt.fwdVerified(s.kind, s.name, s.value, tk) && !containsItem(up, s) {
				return fmt.Sprintf("the verified forwarded credential %c %q did not reach upstream", s.kind, s.name)
			}
		}
	}
	// What is no credential, or passed, reaches upstream unchanged.
	for _, s := range sent {
		if propIsCred(s.kind, s.name) && !rt.passes(s.kind, s.name) {
			continue
		}
		if !containsItem(up, s) {
			return fmt.Sprintf("%c %q=%q did not reach upstream", s.kind, s.name, s.value)
		}
	}
	return ""
}

func containsItem(list []propItem, it propItem) bool {
	for _, x := range list {
		if x.kind == it.kind && strings.EqualFold(x.name, it.name) && x.value == it.value {
			return true
		}
	}
	return false
}
