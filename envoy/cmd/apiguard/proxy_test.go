package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a strings.Builder safe for the proxy's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestProxy_servesWithMetrics runs `apiguard proxy` on the built module:
// a refused and an allowed request each get an access line on stderr, and
// -metrics serves the plugin's counters.
func TestProxy_servesWithMetrics(t *testing.T) {
	wasm := filepath.Join("..", "..", "..", "build", "apiguard.wasm")
	if _, err := os.Stat(wasm); err != nil {
		t.Fatalf("%v (run make build)", err)
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("content-type", "application/json")
		w.Write([]byte(`{"ok":true}`))
	}))
	defer up.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"proxy", "-wasm", wasm, "-config", "testdata/policy-ok.json",
			"-upstream", strings.TrimPrefix(up.URL, "http://"), "-listen", "127.0.0.1:0", "-metrics", "127.0.0.1:0"},
			nil, pw, &stderr, func(string) string { return "" })
		pw.Close()
	}()
	var proxyURL, metricsURL string
	sc := bufio.NewScanner(pr)
	addr := regexp.MustCompile(`http://[0-9.:]+`)
	for proxyURL == "" && sc.Scan() {
		switch line := sc.Text(); {
		case strings.Contains(line, "/metrics"):
			metricsURL = addr.FindString(line) + "/metrics"
		case strings.Contains(line, " -> "):
			proxyURL = addr.FindString(line)
		}
	}
	go io.Copy(io.Discard, pr)
	if proxyURL == "" || metricsURL == "" {
		t.Fatalf("no addresses printed; stderr:\n%s", stderr.String())
	}
	for _, path := range []string{"/healthz?x=1", "/admin"} {
		resp, err := http.Get(proxyURL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := http.Get(metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after the context ended", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the proxy did not stop")
	}
	log := stderr.String()
	for _, re := range []string{
		`(?m)^apiguard-proxy: GET /healthz 200 - \S+ request_id="[0-9a-f-]{36}"$`,
		`(?m)^apiguard-proxy: GET /admin 404 route_not_found \S+ request_id="[0-9a-f-]{36}"$`,
		`(?m)plugin warn: apiguard: deny route=- status=404 reason=route_not_found`,
	} {
		if !regexp.MustCompile(re).MatchString(log) {
			t.Errorf("stderr lacks %s:\n%s", re, log)
		}
	}
	for _, want := range []string{"envoy_wasmcustom_apiguard_requests 2\n", `envoy_wasmcustom_apiguard_denied{reason="route_not_found"} 1`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %q:\n%s", want, metrics)
		}
	}
}

// TestProxy_refusedPrintsPluginLines: a policy the plugin refuses stops
// `apiguard proxy` with exit status 1 and the plugin's own lines on stderr,
// each once and as Envoy would log them (testdata/proxy-refused.golden).
func TestProxy_refusedPrintsPluginLines(t *testing.T) {
	wasm := filepath.Join("..", "..", "..", "build", "apiguard.wasm")
	if _, err := os.Stat(wasm); err != nil {
		t.Fatalf("%v (run make build)", err)
	}
	var stdout, stderr strings.Builder
	code := run(context.Background(), []string{"proxy", "-wasm", wasm, "-config", "testdata/policy-typos.json",
		"-upstream", "127.0.0.1:9", "-listen", "127.0.0.1:0"}, nil, &stdout, &stderr, func(string) string { return "" })
	// The loading lines carry timings; the rest is golden.
	var kept []string
	for _, line := range strings.SplitAfter(stderr.String(), "\n") {
		if !strings.HasPrefix(line, "apiguard proxy: ") {
			kept = append(kept, line)
		}
	}
	golden(t, "proxy-refused", "exit "+strconv.Itoa(code)+"\n--- stdout\n"+stdout.String()+"--- stderr\n"+strings.Join(kept, ""))
}
