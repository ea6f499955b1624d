package localproxy

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/filter/plugin"
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/version"
)

func nativeGuest(h proxy.Host) (proxy.Handler, error) { return plugin.New(h), nil }

// An operator trying a policy must see why a request was refused: the
// plugin's deny and audit lines reach Config.Log, each once, in order.
func TestLocalProxy_logLinesReachConfigLog(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("content-type", "application/json")
		w.Write([]byte(`{"ok":true}`))
	}))
	defer up.Close()
	config := `{"audit_log": true, "routes": [{"name": "health", "match": {"path": "/healthz", "methods": ["GET"]}}]}`
	tests := []struct {
		name string
		log  bool
		want []string
	}{
		{name: "with a writer", log: true, want: []string{
			"vm-1 plugin info: apiguard " + version.String() + ": configured 1 routes",
			"vm0 plugin info: apiguard " + version.String() + ": configured 1 routes",
			"vm1 plugin info: apiguard " + version.String() + ": configured 1 routes",
			`"route":"health","method":"GET","path_template":"/healthz","decision":"allow"`,
			"apiguard: deny route=- status=404 reason=route_not_found",
			`"route":"-","method":"GET","path_template":"-","decision":"deny","reason":"route_not_found"`,
		}},
		{name: "without a writer", log: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			cfg := Config{Guest: nativeGuest, PluginConfig: []byte(config), Upstream: strings.TrimPrefix(up.URL, "http://")}
			if tt.log {
				cfg.Log = &buf
			}
			p, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(p)
			defer srv.Close()
			for _, path := range []string{"/healthz", "/admin"} {
				resp, err := http.Get(srv.URL + path)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
			got := buf.String()
			if !tt.log {
				if got != "" {
					t.Fatalf("nothing should be written without Log, got %q", got)
				}
				return
			}
			lines := strings.Split(strings.TrimSpace(got), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(tt.want), got)
			}
			for i, w := range tt.want {
				if !strings.Contains(lines[i], w) {
					t.Errorf("line %d = %q, want it to contain %q", i, lines[i], w)
				}
			}
		})
	}
}

// A stream the filter holds without answering (hold_headers on a host
// without allow_on_headers_stop_iteration) is closed, and Config.Log says
// why instead of leaving the operator with a bare dropped connection.
func TestLocalProxy_noAnswerExplained(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("content-type", "application/json")
		w.Write([]byte(`{"ok":true}`))
	}))
	defer up.Close()
	route := `{"name": "r", "match": {"prefix": "/"}, "response": {"redact": {"keys": ["ok"]}}}`
	tests := []struct {
		name       string
		hold       string
		wantStatus int
		wantNote   bool
	}{
		{name: "hold_headers true without the Envoy flag", hold: `true`, wantNote: true},
		{name: "hold_headers false", hold: `false`, wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			p, err := New(Config{Guest: nativeGuest, NoHold: true, Log: &buf,
				PluginConfig: []byte(`{"hold_headers": ` + tt.hold + `, "routes": [` + route + `]}`),
				Upstream:     strings.TrimPrefix(up.URL, "http://")})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(p)
			defer srv.Close()
			resp, err := http.Get(srv.URL + "/x")
			status := 0
			if err == nil {
				status = resp.StatusCode
				resp.Body.Close()
			}
			if status != tt.wantStatus {
				t.Errorf("status %d (err %v), want %d", status, err, tt.wantStatus)
			}
			srv.Close() // waits for the handler, the log's writer
			if got := strings.Contains(buf.String(), noAnswer); got != tt.wantNote {
				t.Errorf("note logged = %v, want %v; log:\n%s", got, tt.wantNote, buf.String())
			}
		})
	}
}
