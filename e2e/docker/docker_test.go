// Package docker holds the end-to-end tests that run apiguard inside a real
// Envoy with docker compose. They need a Docker engine that can pull the
// Envoy image; elsewhere they skip with one line saying so.
package docker

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const envoyURL = "http://127.0.0.1:10000"

// dockerUsable reports why docker compose cannot run here, or "".
func dockerUsable() string {
	if _, err := exec.LookPath("docker"); err != nil {
		return "no docker client on PATH"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		return "no Docker engine reachable (" + firstLine(string(out)) + ")"
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

func compose(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command("docker", append([]string{"compose", "-f", "docker-compose.yaml"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docker compose %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestDockerEnvoy starts Envoy with the module, waits for readiness, and
// checks the basic contract over real HTTP.
func TestDockerEnvoy(t *testing.T) {
	if why := dockerUsable(); why != "" {
		t.Skip("Envoy docker tests skipped: " + why)
	}
	wasm, _ := filepath.Abs("../../build/apiguard.wasm")
	if _, err := os.Stat(wasm); err != nil {
		t.Fatalf("%s missing: run make build", wasm)
	}
	compose(t, "up", "-d")
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := exec.Command("docker", "compose", "-f", "docker-compose.yaml", "logs", "envoy").CombinedOutput()
			t.Logf("envoy logs:\n%s", out)
		}
		exec.Command("docker", "compose", "-f", "docker-compose.yaml", "down", "-v").Run()
	})
	waitReady(t)

	cases := []struct {
		method, path string
		want         int
	}{
		{"GET", "/healthz", 200},
		{"GET", "/anything", 200},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, envoyURL+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", c.method, c.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s %s: status %d, want %d; body %s", c.method, c.path, resp.StatusCode, c.want, body)
		}
	}
}

func waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://127.0.0.1:9901/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatal(fmt.Errorf("envoy not ready after 60s"))
}
