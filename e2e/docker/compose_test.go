package docker

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestCompose_fileShape checks docker-compose.yaml where Docker cannot run
// it, so `make test` catches a change that would break `make e2e`: Envoy
// pinned to 1.39 or later, --concurrency 2, the bootstrap and the module
// mounted where the command and the bootstrap expect them, the JWKS server,
// the upstream and the rate limit service present, and ports published on
// loopback only.
func TestCompose_fileShape(t *testing.T) {
	data, err := os.ReadFile(composeFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]struct {
			Image   string   `json:"image"`
			Command []string `json:"command"`
			Volumes []string `json:"volumes"`
			Ports   []string `json:"ports"`
		} `json:"services"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("docker-compose.yaml: %v", err)
	}
	for _, name := range []string{"envoy", "upstream", "jwks", "ratelimit", "redis"} {
		if _, ok := doc.Services[name]; !ok {
			t.Errorf("no %q service", name)
		}
	}
	envoy := doc.Services["envoy"]
	m := regexp.MustCompile(`^envoyproxy/envoy:v(\d+)\.(\d+)\.(\d+)$`).FindStringSubmatch(envoy.Image)
	if m == nil {
		t.Fatalf("envoy image %q is not a pinned envoyproxy/envoy:vX.Y.Z", envoy.Image)
	}
	if major, _ := strconv.Atoi(m[1]); major != 1 {
		t.Errorf("envoy image %q: major version %d", envoy.Image, major)
	} else if minor, _ := strconv.Atoi(m[2]); minor < 39 {
		t.Errorf("envoy image %q: want 1.39 or later", envoy.Image)
	}
	cmd := strings.Join(envoy.Command, " ")
	if !strings.Contains(cmd, "--concurrency 2") {
		t.Errorf("envoy command %q lacks --concurrency 2", cmd)
	}
	mounts := map[string]string{} // container path -> host path
	for _, v := range envoy.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) < 2 {
			t.Errorf("volume %q", v)
			continue
		}
		// The host side may be ${VAR:-default}, which holds a colon.
		container := parts[len(parts)-1]
		if container == "ro" || container == "rw" {
			container = parts[len(parts)-2]
		}
		mounts[container] = v
	}
	cfgArg := regexp.MustCompile(`-c (\S+)`).FindStringSubmatch(cmd)
	if cfgArg == nil || !strings.HasPrefix(mounts[cfgArg[1]], bootstrapMount+":") {
		t.Errorf("envoy command %q does not load the mounted %s (mounts %v)", cmd, bootstrapMount, mounts)
	}
	bootstrap, err := os.ReadFile(bootstrapFile)
	if err != nil {
		t.Fatal(err)
	}
	wasm := regexp.MustCompile(`filename:\s*"?([^"\s]+\.wasm)`).FindSubmatch(bootstrap)
	if wasm == nil {
		t.Fatal("envoy.yaml loads no .wasm file from disk")
	}
	if v := mounts[string(wasm[1])]; !strings.Contains(v, "apiguard.wasm") {
		t.Errorf("envoy.yaml loads %s, which no volume mounts the module at (mounts %v)", wasm[1], mounts)
	}
	// Every host path a volume names (other than ${VAR:-default} ones,
	// which the tests set) exists, relative to the compose file as
	// docker compose reads it.
	for name, s := range doc.Services {
		for _, v := range s.Volumes {
			src := strings.Split(v, ":")[0]
			if strings.HasPrefix(src, "${") || !strings.HasPrefix(src, ".") {
				continue
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(composeFile), src)); err != nil {
				t.Errorf("service %s mounts %s, which does not exist: %v", name, src, err)
			}
		}
	}
	for name, s := range doc.Services {
		for _, p := range s.Ports {
			if !strings.HasPrefix(p, "127.0.0.1:") {
				t.Errorf("service %s publishes %q beyond loopback", name, p)
			}
		}
	}
}
