package policy

import (
	"testing"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/route"
)

func TestPolicy_matchRouteOrDefault(t *testing.T) {
	cfg, err := config.Parse([]byte(`{
	  "default": {"enforce": false},
	  "routes": [
	    {"name": "one", "match": {"path": "/users/{id}", "methods": ["GET"]}},
	    {"name": "two", "match": {"prefix": "/users"}}
	  ]}`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, path string
		want         string
		index        int
		param        string
	}{
		{"GET", "/users/7", "one", 0, "7"},
		{"HEAD", "/users/7", "one", 0, "7"},
		{"POST", "/users/7", "two", 1, ""},
		{"GET", "/elsewhere", DefaultRouteName, 2, ""},
	}
	for _, tt := range tests {
		r, params, ok := p.Match(tt.method, tt.path)
		if !ok || r.Name != tt.want || r.Index != tt.index {
			t.Fatalf("Match(%s %s) = %v %v, want %s", tt.method, tt.path, r, ok, tt.want)
		}
		if got, _ := params.Get("id"); got != tt.param {
			t.Errorf("Match(%s %s) id = %q, want %q", tt.method, tt.path, got, tt.param)
		}
		if p.Route(r.Index) != r {
			t.Errorf("Route(%d) is not the matched route", r.Index)
		}
	}
	if d := p.Route(2); d == nil || d.Enforce {
		t.Errorf("default route: %+v, want report-only", d)
	}
	if p.NumRoutes() != 3 {
		t.Errorf("NumRoutes = %d", p.NumRoutes())
	}
}

func TestPolicy_noDefaultMatchesNothingElse(t *testing.T) {
	cfg, err := config.Parse([]byte(`{"routes": [{"name": "one", "match": {"path": "/a"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := Compile(cfg)
	if _, _, ok := p.Match("GET", "/b"); ok {
		t.Fatal("a request matching no route and no default must not match")
	}
	if p.Route(1) != nil {
		t.Fatal("Route(1) must be nil without default")
	}
}

func compile(t *testing.T, doc string) *Policy {
	t.Helper()
	cfg, err := config.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLookup_refusals: 405 and the case-mismatch 404 never fall through
// to the default; report-only only when every route concerned is.
func TestLookup_refusals(t *testing.T) {
	p := compile(t, `{
	  "default": {},
	  "routes": [
	    {"name": "orders", "match": {"path": "/users/{user_id}/orders", "methods": ["GET", "POST"]}},
	    {"name": "orders-put", "match": {"path": "/users/{uid}/orders", "methods": ["PUT"]}, "enforce": false,
	     "cors": {"allow_origins": ["https://a.example"]}},
	    {"name": "shadow", "match": {"prefix": "/shadow", "methods": ["GET"]}, "enforce": false},
	    {"name": "shadow-post", "match": {"path": "/shadow/x", "methods": ["POST"]}, "enforce": false},
	    {"name": "mixed", "match": {"prefix": "/mixed", "methods": ["GET"]}, "enforce": false},
	    {"name": "mixed-enforced", "match": {"prefix": "/mixed/x", "methods": ["POST"]}},
	    {"name": "dav", "match": {"path": "/dav", "methods": ["PROPFIND", "DELETE"]}}
	  ]}`)
	tests := []struct {
		method, path string
		out          route.Outcome
		route        string
		param        string
		report       bool
		allow        string
	}{
		{"GET", "/users/bob/orders", route.Matched, "orders", "bob", false, ""},
		{"DELETE", "/users/bob/orders", route.WrongMethod, "orders", "bob", false, "GET, HEAD, OPTIONS, POST, PUT"},
		{"DELETE", "/users/bob/orders/", route.WrongMethod, "orders", "bob", false, "GET, HEAD, OPTIONS, POST, PUT"},
		{"GET", "/Users/bob/orders", route.WrongCase, "orders", "bob", false, ""},
		{"PUT", "/users/bob/ORDERS", route.WrongCase, "orders-put", "", false, ""},
		{"DELETE", "/shadow/x", route.WrongMethod, "shadow", "", true, "GET, HEAD, POST"},
		{"GET", "/SHADOW/x", route.WrongCase, "shadow", "", true, ""},
		{"DELETE", "/mixed/x", route.WrongMethod, "mixed", "", false, "GET, HEAD, POST"},
		{"DELETE", "/mixed/y", route.WrongMethod, "mixed", "", true, "GET, HEAD"},
		{"GET", "/MIXED/x", route.WrongCase, "mixed", "", false, ""},
		{"GET", "/dav", route.WrongMethod, "dav", "", false, "DELETE, PROPFIND"},
		{"GET", "/elsewhere", route.Matched, DefaultRouteName, "", false, ""},
	}
	for _, tt := range tests {
		m := p.Lookup(tt.method, tt.path)
		if m.Outcome != tt.out || m.Route == nil || m.Route.Name != tt.route || m.ReportOnly != tt.report {
			t.Errorf("Lookup(%s %s) = %v %+v report=%v; want %v %s report=%v", tt.method, tt.path, m.Outcome, m.Route, m.ReportOnly, tt.out, tt.route, tt.report)
			continue
		}
		if got, _ := m.Params.Get("user_id"); got != tt.param {
			t.Errorf("Lookup(%s %s) user_id = %q, want %q", tt.method, tt.path, got, tt.param)
		}
		if tt.out == route.WrongMethod {
			if got := p.Allow(tt.path); got != tt.allow {
				t.Errorf("Allow(%s) = %q, want %q", tt.path, got, tt.allow)
			}
		}
		if _, _, ok := p.Match(tt.method, tt.path); ok != (tt.out == route.Matched) {
			t.Errorf("Match(%s %s) ok = %v", tt.method, tt.path, ok)
		}
	}
	r, params, ok := p.CORSRoute("/users/al/orders")
	if !ok || r.Name != "orders-put" {
		t.Fatalf("CORSRoute = %+v, %v; want orders-put", r, ok)
	}
	if got, _ := params.Get("uid"); got != "al" {
		t.Errorf("CORSRoute uid = %q", got)
	}
	if _, _, ok := p.CORSRoute("/dav"); ok {
		t.Error("CORSRoute found a route without cors")
	}
}

// TestLookup_noDefault: without a default, a path matching nothing is
// 404, report-only only when every route is.
func TestLookup_noDefault(t *testing.T) {
	p := compile(t, `{"routes": [{"name": "a", "match": {"path": "/a"}, "enforce": false},
	  {"name": "b", "match": {"path": "/b"}}]}`)
	if m := p.Lookup("GET", "/c"); m.Outcome != route.NoMatch || m.Route != nil || m.ReportOnly {
		t.Errorf("Lookup(/c) = %+v, want an enforced 404", m)
	}
	p = compile(t, `{"routes": [{"name": "a", "match": {"path": "/a"}, "enforce": false},
	  {"name": "b", "match": {"path": "/b", "methods": ["GET"]}, "enforce": false}]}`)
	m := p.Lookup("GET", "/c")
	if m.Outcome != route.NoMatch || m.Route == nil || !m.ReportOnly {
		t.Fatalf("Lookup(/c) = %+v, want a report-only 404", m)
	}
	if r := m.Route; r.Name != NoRouteName || r.Enforce || r.Index != 2 || r.Config.CORS != nil || r.Config.Auth != nil {
		t.Errorf("no-route policy = %+v", r)
	}
	if p.Route(2) != nil {
		t.Error("Route(2) must stay nil: the no-route policy is no default")
	}
	if m := p.Lookup("POST", "/b"); m.Outcome != route.WrongMethod || m.Route.Name != "b" || !m.ReportOnly {
		t.Errorf("Lookup(POST /b) = %+v", m)
	}
}

func TestLookup_caseInsensitive(t *testing.T) {
	p := compile(t, `{"case_insensitive_paths": true, "routes": [
	  {"name": "orders", "match": {"path": "/users/{user_id}/orders", "methods": ["GET"]}}]}`)
	for _, path := range []string{"/Users/BoB/orders", "/USERS/BoB/ORDERS/", "/u\u017fers/BoB/orders"} {
		m := p.Lookup("GET", path)
		if m.Outcome != route.Matched || m.Route.Name != "orders" {
			t.Errorf("Lookup(%s) = %+v", path, m)
		}
		if got, _ := m.Params.Get("user_id"); got != "BoB" {
			t.Errorf("Lookup(%s) user_id = %q, want the request's spelling", path, got)
		}
	}
	if m := p.Lookup("DELETE", "/USERS/bob/orders"); m.Outcome != route.WrongMethod {
		t.Errorf("DELETE = %v, want wrong-method", m.Outcome)
	} else if got := p.Allow("/USERS/bob/orders"); got != "GET, HEAD" {
		t.Errorf("Allow = %q", got)
	}
}

// TestAudit_compiled: audit_log compiles its key and raw_path once, and
// every route its path template (match.path or match.prefix as written;
// "(default)" for the default policy, "-" for none).
func TestAudit_compiled(t *testing.T) {
	p := compile(t, `{"audit_log": {"raw_path": true, "hash_secret": "0123456789abcdef"},
	  "default": {},
	  "routes": [
	    {"name": "one", "match": {"path": "/users/{id}"}},
	    {"name": "two", "match": {"prefix": "/static/"}}
	  ]}`)
	if !p.AuditLog || !p.AuditRawPath || p.AuditKey == nil {
		t.Errorf("audit: on %v, raw_path %v, key %v", p.AuditLog, p.AuditRawPath, p.AuditKey)
	}
	for path, want := range map[string]string{"/users/7": "/users/{id}", "/static/a.css": "/static/", "/other": DefaultTemplate} {
		if got := p.Lookup("GET", path).Route.AuditTemplate(); got != want {
			t.Errorf("%s: template %q, want %q", path, got, want)
		}
	}
	var none *Route
	if got := none.AuditTemplate(); got != NoRouteName {
		t.Errorf("no route: template %q", got)
	}
	off := compile(t, `{"default": {}}`)
	if off.AuditLog || off.AuditKey != nil {
		t.Errorf("audit_log absent: on %v, key %v", off.AuditLog, off.AuditKey)
	}
	reportOnly := compile(t, `{"audit_log": true, "routes": [{"name": "a", "enforce": false, "match": {"path": "/a"}}]}`)
	if got := reportOnly.Lookup("GET", "/b").Route.AuditTemplate(); got != NoRouteName {
		t.Errorf("report-only, no match: template %q", got)
	}
}

// TestPolicy_routeTables: the per-route tables the plugin's features are
// set up from, by route index with the default last: each route's parsed
// policy, its rate-limit plan (nil without rate_limits), and the
// redaction counters of routes with `response`, in route order.
func TestPolicy_routeTables(t *testing.T) {
	p := compile(t, `{
	  "hold_headers": true,
	  "default": {"response": {"redact": {"keys": ["secret"]}}},
	  "routes": [
	    {"name": "limited", "match": {"prefix": "/a"}, "rate_limits": [{"name": "l", "key": "ip", "limit": 7, "window": "1m"}]},
	    {"name": "redacted", "match": {"prefix": "/b"}, "response": {"redact": {"keys": ["secret"]}}},
	    {"name": "plain", "match": {"prefix": "/c"}}
	  ]}`)
	cfg := p.Config
	plans := p.LimitPlans()
	if len(plans) != 4 || plans[0] == nil || plans[0] != p.Route(0).Limits || plans[1] != nil || plans[2] != nil || plans[3] != nil {
		t.Errorf("LimitPlans = %v", plans)
	}
	for i, want := range []*config.RoutePolicy{&cfg.Routes[0].Policy, &cfg.Routes[1].Policy, &cfg.Routes[2].Policy, cfg.Default} {
		if got := p.RouteConfig(i); got != want || got != p.Route(i).Config {
			t.Errorf("RouteConfig(%d) = %p, want %p", i, got, want)
		}
	}
	for _, i := range []int{-1, 4} {
		if p.RouteConfig(i) != nil {
			t.Errorf("RouteConfig(%d) is not nil", i)
		}
	}
	if got := p.RedactionMetrics(); len(got) != 2 || got[0] != "apiguard.route.redacted.redactions" || got[1] != "apiguard.route.default.redactions" {
		t.Errorf("RedactionMetrics = %q", got)
	}
}
