// Package docker holds the end-to-end tests that run apiguard inside a real
// Envoy (docker-compose.yaml: Envoy 1.39 with --concurrency 2, the
// testserver as upstream and JWKS server). They need a Docker engine that
// can pull the images; elsewhere TestDocker_envoySuite skips with one line saying
// why, unless APIGUARD_E2E_DOCKER=1 (`make e2e`) demands it.
//
// The same suite also runs against the local proxy (TestLocalProxy_envoySuite: the
// module on wazero in the Envoy emulator), which needs no Docker, so the
// suite itself is exercised on every `make test`.
package docker

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/buildstamp"
	"github.com/apiguard/apiguard/envoy/rlsconfig/rlsgen"
)

// dockerUsable reports why docker compose cannot run here, or "".
func dockerUsable() string {
	if _, err := exec.LookPath("docker"); err != nil {
		return "no docker client on PATH"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		return "no Docker engine reachable (" + firstLine(string(out)) + ")"
	}
	if out, err := exec.CommandContext(ctx, "docker", "compose", "version").CombinedOutput(); err != nil {
		return "no docker compose plugin (" + firstLine(string(out)) + ")"
	}
	return ""
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

// The stack: e2e/docker-compose.yaml, which mounts the Envoy bootstrap
// kept with the rest of the Envoy configuration (envoy/compose/envoy.yaml)
// and builds the small servers in ./testserver.
const (
	composeFile   = "../docker-compose.yaml"
	bootstrapFile = "../../envoy/compose/envoy.yaml"
	// bootstrapMount is bootstrapFile as the compose file names it.
	bootstrapMount = "../envoy/compose/envoy.yaml"
)

// stack is one docker compose project of e2e/docker-compose.yaml.
type stack struct {
	project string
	env     []string
}

func (s *stack) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "docker", append([]string{"compose", "-p", s.project, "-f", composeFile}, args...)...)
	cmd.Env = append(os.Environ(), s.env...)
	return cmd
}

// run runs one compose command, failing the test with its output.
func (s *stack) run(t *testing.T, timeout time.Duration, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if out, err := s.command(ctx, args...).CombinedOutput(); err != nil {
		t.Fatalf("docker compose %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// logs returns the services' logs (all of them when none is named).
func (s *stack) logs(services ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := s.command(ctx, append([]string{"logs", "--no-color"}, services...)...).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("docker compose logs: %v\n%s", err, out)
	}
	return string(out)
}

// freePort returns a loopback port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// wasmFile is the module the proxies load: $APIGUARD_WASM or the one
// `make build` writes.
func wasmFile(t *testing.T) string {
	t.Helper()
	p := os.Getenv("APIGUARD_WASM")
	if p == "" {
		p = filepath.Join("..", "..", "build", "apiguard.wasm")
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(abs); err != nil {
		t.Fatalf("%s missing: run make build", abs)
	}
	if os.Getenv("APIGUARD_WASM") == "" {
		// Never the module of older sources (e2e/buildstamp).
		if err := buildstamp.Check(filepath.Join("..", ".."), abs); err != nil {
			t.Fatal(err)
		}
	}
	return abs
}

// TestDocker_envoySuite starts docker-compose.yaml, waits for Envoy's readiness,
// runs the suite over real HTTP, dumps every service's log when anything
// failed, and always tears the stack down.
func TestDocker_envoySuite(t *testing.T) {
	required := os.Getenv("APIGUARD_E2E_DOCKER") == "1"
	if why := dockerUsable(); why != "" {
		if required {
			t.Fatalf("APIGUARD_E2E_DOCKER=1 but Docker cannot run: %s", why)
		}
		t.Skip("Envoy docker tests skipped: " + why)
	}
	if testing.Short() && !required {
		t.Skip("Envoy docker tests skipped: -short")
	}
	wasm := wasmFile(t)
	data := t.TempDir()
	// The JWKS server reads it as whatever user the engine maps root to.
	if err := os.Chmod(data, 0o755); err != nil {
		t.Fatal(err)
	}
	writeRateLimitConfig(t, data)
	httpPort, adminPort := freePort(t), freePort(t)
	s := &stack{
		project: fmt.Sprintf("apiguard-e2e-%d", os.Getpid()),
		env: []string{
			"APIGUARD_WASM=" + wasm,
			"APIGUARD_E2E_DATA=" + data,
			"APIGUARD_E2E_HTTP_PORT=" + strconv.Itoa(httpPort),
			"APIGUARD_E2E_ADMIN_PORT=" + strconv.Itoa(adminPort),
		},
	}
	tg := &target{
		base:  fmt.Sprintf("http://127.0.0.1:%d", httpPort),
		envoy: true,
		idp:   newIDP(t, data), // the JWKS exists before the JWKS server starts
	}
	admin := fmt.Sprintf("http://127.0.0.1:%d", adminPort)
	tg.metric = func(name string) (int64, bool) {
		stats, err := adminStats(admin, "^"+regexp.QuoteMeta(name)+"$")
		if err != nil {
			t.Logf("admin stats: %v", err)
			return 0, false
		}
		v, ok := stats[name]
		return v, ok
	}
	tg.logs = func() string { return s.logs("envoy") }
	tg.workers = func() (map[string]int64, error) { return workerConnections(admin) }
	tg.prometheus = func() (string, error) { return adminGet(admin + "/stats/prometheus") }

	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("docker compose logs:\n%s", s.logs())
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if out, err := s.command(ctx, "down", "-v", "--remove-orphans", "--timeout", "5").CombinedOutput(); err != nil {
			t.Logf("docker compose down: %v\n%s", err, out)
		}
	})
	// Pulls the images the first time; waits for the upstream and the JWKS
	// server to be healthy (go run compiles them) before Envoy starts.
	s.run(t, 8*time.Minute, "up", "-d")

	waitFor(t, "Envoy's /ready", 2*time.Minute, func() bool {
		body, err := adminGet(admin + "/ready")
		return err == nil && strings.TrimSpace(body) == "LIVE"
	})
	waitFor(t, "the upstream through Envoy", time.Minute, func() bool {
		resp, err := client.Get(tg.base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	runSuite(t, tg)
}

// adminGet returns the body of a 200 from Envoy's admin interface.
func adminGet(u string) (string, error) {
	resp, err := client.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("GET %s: %d %s", u, resp.StatusCode, firstLine(string(b)))
	}
	return string(b), nil
}

// adminStats reads the counters and gauges whose names match filter.
func adminStats(admin, filter string) (map[string]int64, error) {
	body, err := adminGet(admin + "/stats?format=json&filter=" + url.QueryEscape(filter))
	if err != nil {
		return nil, err
	}
	var doc struct {
		Stats []struct {
			Name  string          `json:"name"`
			Value json.RawMessage `json:"value"`
		} `json:"stats"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		return nil, fmt.Errorf("admin /stats: %w", err)
	}
	out := map[string]int64{}
	for _, st := range doc.Stats {
		if st.Name == "" {
			continue // the histograms entry
		}
		n, err := strconv.ParseInt(string(st.Value), 10, 64)
		if err != nil {
			continue // a text readout
		}
		out[st.Name] = n
	}
	return out, nil
}

var workerStat = regexp.MustCompile(`\.(worker_\d+)\.downstream_cx_total$`)

// workerConnections returns the connections each worker thread accepted on
// the ingress listener (Envoy's per-worker listener stats).
func workerConnections(admin string) (map[string]int64, error) {
	stats, err := adminStats(admin, `^listener\..*\.worker_\d+\.downstream_cx_total$`)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for name, v := range stats {
		if m := workerStat.FindStringSubmatch(name); m != nil && !strings.HasPrefix(name, "listener.admin.") {
			out[m[1]] += v
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no per-worker listener stats")
	}
	return out, nil
}

// The suite's HTTP client must never follow redirects or reuse the
// environment's proxy settings toward loopback.
func init() {
	client.Transport = &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
}

// writeRateLimitConfig generates envoyproxy/ratelimit's configuration from
// envoy.yaml's apiguard policy, as an operator would with envoy/rlsconfig,
// into the directory the compose file mounts for the service.
func writeRateLimitConfig(t *testing.T, data string) {
	t.Helper()
	bootstrap, err := os.ReadFile(bootstrapFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := rlsgen.Extract(bootstrap)
	if err != nil {
		t.Fatalf("envoy.yaml: %v", err)
	}
	out, err := rlsgen.Generate(cfg)
	if err != nil {
		t.Fatalf("generating the rate limit service config: %v", err)
	}
	dir := filepath.Join(data, "ratelimit", "config")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "apiguard.yaml"), out, 0o644); err != nil {
		t.Fatal(err)
	}
}
