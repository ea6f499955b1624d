package localproxy

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// TestAccess_oneLinePerRequest: every request gets one access record with
// its method, path without the query, status, apiguard's reason and
// latency; a request without x-request-id gets a UUID, as Envoy gives it.
func TestAccess_oneLinePerRequest(t *testing.T) {
	var sawID string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawID = r.Header.Get("x-request-id")
		w.Header().Set("content-type", "application/json")
		w.Write([]byte(`{"ok":true}`))
	}))
	defer up.Close()
	var (
		mu      sync.Mutex
		records []Access
	)
	p, err := New(Config{Guest: nativeGuest, Upstream: strings.TrimPrefix(up.URL, "http://"),
		PluginConfig: []byte(`{"routes": [{"name": "health", "match": {"path": "/healthz", "methods": ["GET"]}}]}`),
		AccessLog:    func(a Access) { mu.Lock(); records = append(records, a); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()
	for _, c := range []struct{ method, path, id string }{
		{"GET", "/healthz?secret=1", ""},
		{"POST", "/healthz", "mine-1"},
		{"GET", "/nope?token=x", "mine-2"},
	} {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
		if c.id != "" {
			req.Header.Set("x-request-id", c.id)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	mu.Lock()
	defer mu.Unlock()
	if len(records) != 3 {
		t.Fatalf("%d access records, want 3: %v", len(records), records)
	}
	if !uuid.MatchString(records[0].RequestID) || sawID != records[0].RequestID {
		t.Errorf("generated request id %q, upstream saw %q", records[0].RequestID, sawID)
	}
	for i, want := range []struct {
		method, path string
		status       int
		reason, id   string
	}{
		{"GET", "/healthz", 200, "", records[0].RequestID},
		{"POST", "/healthz", 405, "method_not_allowed", "mine-1"},
		{"GET", "/nope", 404, "route_not_found", "mine-2"},
	} {
		r := records[i]
		if r.Method != want.method || r.Path != want.path || r.Status != want.status || r.Reason != want.reason || r.RequestID != want.id || r.Latency <= 0 {
			t.Errorf("record %d = %+v, want %+v", i, r, want)
		}
	}
	line := records[2].String()
	if !regexp.MustCompile(`^GET /nope 404 route_not_found [0-9.]+[µm]?s request_id="mine-2"$`).MatchString(line) {
		t.Errorf("access line %q", line)
	}
	if l := records[0].String(); !strings.Contains(l, "GET /healthz 200 - ") || strings.Contains(l, "secret") {
		t.Errorf("allowed request's line %q", l)
	}
}

// TestAccess_upstreamDown: an unreachable upstream answers 503 as Envoy
// does, and the failure is logged and in the access record.
func TestAccess_upstreamDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	var log bytes.Buffer
	var rec Access
	p, err := New(Config{Guest: nativeGuest, Upstream: dead, Log: &log,
		PluginConfig: []byte(`{"default": {}}`),
		AccessLog:    func(a Access) { rec = a }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	resp, err := http.Get(srv.URL + "/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	srv.Close()
	if resp.StatusCode != 503 || rec.Status != 503 || rec.UpstreamError == nil {
		t.Errorf("status %d, record %+v", resp.StatusCode, rec)
	}
	if !strings.Contains(log.String(), "apiguard-proxy: upstream "+dead+": ") || !strings.Contains(rec.String(), "upstream_error=") {
		t.Errorf("log %q, line %q", log.String(), rec.String())
	}
}

// TestMetrics_prometheus: the plugin's counters in Prometheus text, named
// and labelled as Envoy's /stats/prometheus names them with envoy.yaml's
// stats_tags.
func TestMetrics_prometheus(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer up.Close()
	p, err := New(Config{Guest: nativeGuest, Upstream: strings.TrimPrefix(up.URL, "http://"),
		PluginConfig: []byte(`{"routes": [{"name": "health", "match": {"path": "/healthz"}}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()
	for _, path := range []string{"/healthz", "/nope", "/nope"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	ms := httptest.NewServer(p.MetricsHandler())
	defer ms.Close()
	resp, err := http.Get(ms.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	if ct := resp.Header.Get("content-type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("content-type %q", ct)
	}
	for _, want := range []string{
		"envoy_wasmcustom_apiguard_requests 3\n",
		`envoy_wasmcustom_apiguard_denied{reason="route_not_found"} 2` + "\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q:\n%s", want, text)
		}
	}
	sample := regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-z_]+="[^"]*"\})? -?[0-9]+$`)
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		if !sample.MatchString(l) {
			t.Errorf("not a Prometheus sample line: %q", l)
		}
	}
}
