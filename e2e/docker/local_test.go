package docker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/apiguard/apiguard/e2e/localproxy"
	"github.com/apiguard/apiguard/e2e/wasmguest"
)

// TestLocalProxy_envoySuite runs the Envoy suite against the local proxy: the built
// module on wazero inside the Envoy emulator, with two worker VMs sharing
// one shared-data store, in front of the same testserver (built natively).
// It checks the suite itself wherever Go runs; what only a real Envoy can
// show (its admin interface, its own request checks, HTTP/1 framing of a
// rewritten body) is left to TestDocker_envoySuite.
func TestLocalProxy_envoySuite(t *testing.T) {
	if testing.Short() {
		t.Skip("local proxy suite skipped: -short")
	}
	// go test itself puts the go command on PATH; its absence is a broken
	// environment, never a reason to skip the .wasm run.
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command on PATH to build the testserver: %v", err)
	}
	mod, err := wasmguest.CompileFile(wasmFile(t))
	if err != nil {
		t.Fatal(err)
	}
	config, err := pluginConfig(bootstrapFile)
	if err != nil {
		t.Fatal(err)
	}

	data := t.TempDir()
	tg := &target{idp: newIDP(t, data)}
	addrs := startTestserver(t, goTool, data)

	p, err := localproxy.New(localproxy.Config{
		Guest:        mod.Factory(wasmguest.Options{}),
		PluginConfig: config,
		Upstream:     addrs["upstream"],
		Workers:      2,
		Clusters:     map[string]string{"jwks": addrs["jwks"]},
		BufferLimit:  1114112, // envoy.yaml's per_connection_buffer_limit_bytes
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	ready := make(chan net.Addr, 1)
	go func() { served <- p.Listen(ctx, "127.0.0.1:0", func(a net.Addr) { ready <- a }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("local proxy: %v", err)
		}
	})
	select {
	case a := <-ready:
		tg.base = "http://" + a.String()
	case err := <-served:
		t.Fatalf("local proxy: %v", err)
	}
	tg.metric = p.Envoy().Metric
	tg.logs = func() string {
		var b strings.Builder
		for _, l := range p.Envoy().Logs() {
			b.WriteString(l.Msg)
			b.WriteByte('\n')
		}
		return b.String()
	}
	runSuite(t, tg)
}

// startTestserver builds and starts ./testserver on loopback ports and
// returns its addresses by role.
func startTestserver(t *testing.T, goTool, dataDir string) map[string]string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "testserver")
	if out, err := exec.Command(goTool, "build", "-o", bin, "./testserver").CombinedOutput(); err != nil {
		t.Fatalf("building the testserver: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-upstream", "127.0.0.1:0", "-jwks", "127.0.0.1:0", "-dir", dataDir)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addrs := map[string]string{}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(30 * time.Second)
	for len(addrs) < 2 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("testserver exited before listening (got %v)", addrs)
			}
			if f := strings.Fields(l); len(f) == 3 && f[0] == "listening" {
				addrs[f[1]] = f[2]
			}
		case <-timeout:
			t.Fatalf("testserver did not listen within 30s (got %v)", addrs)
		}
	}
	// Drain the rest so the server never blocks on a full pipe.
	go func() {
		for range lines {
		}
	}()
	return addrs
}

// pluginConfig returns the apiguard configuration of a bootstrap's first
// Wasm HTTP filter.
func pluginConfig(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		StaticResources struct {
			Listeners []struct {
				FilterChains []struct {
					Filters []struct {
						TypedConfig struct {
							HTTPFilters []struct {
								Name        string `json:"name"`
								TypedConfig struct {
									Config struct {
										Configuration struct {
											Value string `json:"value"`
										} `json:"configuration"`
									} `json:"config"`
								} `json:"typed_config"`
							} `json:"http_filters"`
						} `json:"typed_config"`
					} `json:"filters"`
				} `json:"filter_chains"`
			} `json:"listeners"`
		} `json:"static_resources"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, l := range doc.StaticResources.Listeners {
		for _, fc := range l.FilterChains {
			for _, f := range fc.Filters {
				for _, hf := range f.TypedConfig.HTTPFilters {
					if hf.Name == "envoy.filters.http.wasm" {
						return []byte(hf.TypedConfig.Config.Configuration.Value), nil
					}
				}
			}
		}
	}
	return nil, errors.New(path + ": no envoy.filters.http.wasm filter")
}
