package policy

import (
	"testing"

	"github.com/apiguard/apiguard/filter/config"
)

func TestMatch(t *testing.T) {
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

func TestNoDefault(t *testing.T) {
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
