package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/grpcupstream"
	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/envoy/rlsconfig/rlsgen"
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/rlsproto"
)

// The real parts: envoyproxy/ratelimit, built from the Go module proxy,
// over a real Redis, reached through a real gRPC call.

// ratelimitVersion is the envoyproxy/ratelimit module version the
// integration test builds (its main package is src/service_cmd).
const ratelimitVersion = "v1.4.1-0.20260122083618-3fb702589d36"

const ratelimitModule = "github.com/envoyproxy/ratelimit"

// ratelimitBinary builds the service once per machine into the user cache
// directory, keyed by version, and returns its path.
func ratelimitBinary(t *testing.T) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "apiguard", "ratelimit-"+ratelimitVersion)
	bin := filepath.Join(dir, "ratelimit")
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() {
		return bin
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("global: cannot create the build cache %s: %v", dir, err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("global: the rate limit service is built with the go command, which is not on PATH: %v", err)
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	env := append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOBIN="+tmp)
	run := func(dir string, args ...string) ([]byte, error) {
		cmd := exec.Command(goTool, args...)
		cmd.Dir, cmd.Env = dir, env
		return cmd.CombinedOutput()
	}
	t.Logf("global: building %s@%s from the Go module proxy (once per machine, into %s)", ratelimitModule, ratelimitVersion, dir)
	out, err := run(tmp, "install", ratelimitModule+"/src/service_cmd@"+ratelimitVersion)
	built := filepath.Join(tmp, "service_cmd")
	if err != nil {
		// `go install pkg@version` refuses modules with replace
		// directives: build inside a throwaway module instead.
		mod := filepath.Join(tmp, "mod")
		steps := [][]string{{"mod", "init", "tmp"}, {"get", ratelimitModule + "@" + ratelimitVersion},
			{"build", "-o", built, ratelimitModule + "/src/service_cmd"}}
		if err2 := os.Mkdir(mod, 0o755); err2 != nil {
			t.Fatal(err2)
		}
		for _, s := range steps {
			o, err2 := run(mod, s...)
			out = append(out, o...)
			if err2 != nil {
				t.Fatalf("global: cannot build envoyproxy/ratelimit %s (go install, then go %s): %v\n%s",
					ratelimitVersion, strings.Join(s, " "), err2, out)
			}
		}
	}
	if err := os.Rename(built, bin); err != nil {
		t.Fatalf("global: %v", err)
	}
	return bin
}

// freePort finds a free loopback TCP port.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// process is a server the test started; Stop ends it (also at cleanup).
type process struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	once sync.Once
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() < 1<<20 {
		s.b.Write(p)
	}
	return len(p), nil
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func startProcess(t *testing.T, name string, env []string, path string, args ...string) *process {
	t.Helper()
	p := &process{name: name, cmd: exec.Command(path, args...), out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("global: cannot start %s: %v", name, err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(p.Stop)
	return p
}

// Stop ends the process: SIGTERM, then SIGKILL if it lingers.
func (p *process) Stop() {
	p.once.Do(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
	})
}

// waitFor polls ready until it succeeds, the process exits, or 30 s pass.
func (p *process) waitFor(t *testing.T, what string, ready func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := ready()
		if err == nil {
			return
		}
		select {
		case <-p.done:
			t.Fatalf("global: %s exited before %s: %v\n%s", p.name, what, p.cmd.ProcessState, p.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("global: %s: no %s after 30s: %v\n%s", p.name, what, err, p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func dialable(addr string) func() error {
	return func() error {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err
	}
}

// withinOneHour runs a fleet-wide check against the real service, whose
// windows are wall-clock hours. A window that resets in the middle of the
// run lets more through, so run is repeated once (it must use a fresh
// client) when it failed across an hour boundary; any other failure, or a
// second one, fails the test with msg.
func withinOneHour(t *testing.T, msg string, run func() bool) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		hour := time.Now().Unix() / 3600
		if run() {
			return
		}
		if attempt > 0 || time.Now().Unix()/3600 == hour {
			t.Fatal(msg)
		}
		t.Logf("an hour boundary passed during the run; repeating it")
	}
}

// startRedis runs redis-server on a free loopback port, without
// persistence; it is stopped at cleanup.
func startRedis(t *testing.T) (*process, string) {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("global: redis-server is not on PATH; `make test` installs it (e2e/test-deps.sh), or run `apt-get install redis-server`; `go test -short` skips this test")
	}
	port := strconv.Itoa(freePort(t))
	p := startProcess(t, "redis-server", []string{"PATH=" + os.Getenv("PATH")}, path,
		"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", t.TempDir(), "--daemonize", "no", "--logfile", "")
	addr := "127.0.0.1:" + port
	p.waitFor(t, "its port", dialable(addr))
	return p, addr
}

// startRateLimit runs the service with serviceYAML as its only
// configuration file, against Redis at redisAddr, and waits until it
// answers a ShouldRateLimit call.
func startRateLimit(t *testing.T, bin, redisAddr, domain string, serviceYAML []byte) (*process, string) {
	t.Helper()
	root := t.TempDir()
	cfgDir := filepath.Join(root, "ratelimit", "config")
	if err := os.MkdirAll(cfgDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfgDir, "apiguard.yaml"), serviceYAML, 0o644); err != nil {
		t.Fatal(err)
	}
	grpcPort, httpPort, debugPort := freePort(t), freePort(t), freePort(t)
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + root,
		"REDIS_SOCKET_TYPE=tcp", "REDIS_URL=" + redisAddr, "REDIS_TIMEOUT=1s",
		"USE_STATSD=false", "LOG_LEVEL=warn",
		"RUNTIME_ROOT=" + root, "RUNTIME_SUBDIRECTORY=ratelimit", "RUNTIME_WATCH_ROOT=false",
		"HOST=127.0.0.1", "GRPC_HOST=127.0.0.1", "DEBUG_HOST=127.0.0.1",
		"GRPC_PORT=" + strconv.Itoa(grpcPort), "PORT=" + strconv.Itoa(httpPort), "DEBUG_PORT=" + strconv.Itoa(debugPort),
	}
	p := startProcess(t, "envoyproxy/ratelimit", env, bin)
	addr := "127.0.0.1:" + strconv.Itoa(grpcPort)
	up, err := grpcupstream.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	// A descriptor no rule matches: answered OK without counting.
	probe := rlsproto.AppendHitsAddend(rlsproto.AppendDescriptor(rlsproto.AppendDomain(nil, domain),
		rlsproto.Entry{Key: "apiguard-probe", Value: "x"}), 1)
	p.waitFor(t, "a ShouldRateLimit answer", func() error {
		r, err := up.Call(host.GRPCRequest{Service: "envoy.service.ratelimit.v3.RateLimitService", Method: "ShouldRateLimit",
			Message: probe, Timeout: 2 * time.Second})
		if err == nil && r.Status != 0 {
			err = fmt.Errorf("grpc status %d %q", r.Status, r.StatusMessage)
		}
		return err
	})
	return p, addr
}

// realConfig is the apiguard configuration of the integration test; the
// service's configuration is generated from it.
func realConfig(mode string, timeoutMs int) string {
	return fmt.Sprintf(`{
  "rate_limit_service": {"cluster": "ratelimit", "domain": "apiguard-e2e", "timeout_ms": %d, "failure_mode": %q},
  "routes": [
    {"name": "fleet", "match": {"prefix": "/fleet"},
     "rate_limits": [{"name": "fleet-per-client", "key": "header:x-client-id", "limit": 5, "window": "1h", "global": true}]},
    {"name": "both", "match": {"prefix": "/both"},
     "rate_limits": [{"name": "both-local", "key": "header:x-client-id", "limit": 2, "window": "1h"},
                     {"name": "both-global", "key": "header:x-client-id", "limit": 100, "window": "1h", "global": true}]}
  ]
}`, timeoutMs, mode)
}

// countingUpstream counts the calls that reach the real service.
type countingUpstream struct {
	up *grpcupstream.Upstream
	mu sync.Mutex
	n  int
}

func (c *countingUpstream) call(r host.GRPCRequest) (host.GRPCResponse, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return c.up.Call(r)
}

func (c *countingUpstream) count() int { c.mu.Lock(); defer c.mu.Unlock(); return c.n }

// rlsEnvoy is an emulated Envoy whose "ratelimit" cluster is the real
// service, with the calls counted.
type rlsEnvoy struct {
	e *host.Envoy
	c *countingUpstream
}

// TestGlobal_realService runs the whole chain for real: two Envoys (each
// with its own shared data and two workers) whose plugin calls
// envoyproxy/ratelimit over gRPC, configured from the same apiguard
// document by envoy/rlsconfig, counting in one Redis. Across both Envoys
// no more than `limit` requests pass per window; a request the local
// limits refuse never reaches the service; with Redis or the service down,
// failure_mode decides.
func TestGlobal_realService(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the real Redis and rate limit service are not started")
	}
	bin := ratelimitBinary(t)
	redis, redisAddr := startRedis(t)
	cfg, err := config.Parse([]byte(realConfig("deny", 2000)))
	if err != nil {
		t.Fatal(err)
	}
	serviceYAML, err := rlsgen.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// hash_secret changes the descriptor values only: the service's
	// configuration, generated with or without it, is the same, and
	// never shows it.
	const secret = "real-service-secret-0123456789"
	secretCfg, err := config.Parse([]byte(withHashSecret(realConfig("deny", 2000), secret)))
	if err != nil {
		t.Fatal(err)
	}
	if y, err := rlsgen.Generate(secretCfg); err != nil || string(y) != string(serviceYAML) {
		t.Fatalf("with hash_secret rlsgen generates (%v)\n%s\nwithout\n%s", err, y, serviceYAML)
	}
	svc, addr := startRateLimit(t, bin, redisAddr, "apiguard-e2e", serviceYAML)
	up, err := grpcupstream.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()

	boot := func(t *testing.T, g guest, mode string, timeoutMs int) rlsEnvoy {
		c := &countingUpstream{up: up}
		e := start(t, g, realConfig(mode, timeoutMs), workers(2), func(cfg *host.Config) {
			cfg.Clusters = map[string]host.Cluster{"ratelimit": {GRPC: c.call}}
		})
		return rlsEnvoy{e, c}
	}
	bootSecret := func(t *testing.T, g guest, secret string) rlsEnvoy {
		c := &countingUpstream{up: up}
		e := start(t, g, withHashSecret(realConfig("deny", 2000), secret), workers(2), func(cfg *host.Config) {
			cfg.Clusters = map[string]host.Cluster{"ratelimit": {GRPC: c.call}}
		})
		return rlsEnvoy{e, c}
	}
	clientID := func(g guest) string {
		var b [6]byte
		rand.Read(b[:])
		return g.name + "-" + hex.EncodeToString(b[:])
	}

	each(t, func(t *testing.T, g guest) {
		t.Run("one fleet-wide limit", func(t *testing.T) {
			withinOneHour(t, "the fleet-wide limit did not hold", func() bool {
				return fleetOnce(t, boot(t, g, "deny", 2000), boot(t, g, "deny", 2000), clientID(g))
			})
		})
		t.Run("one fleet-wide limit with a hash secret", func(t *testing.T) {
			// Two Envoys sharing hash_secret share the counter.
			withinOneHour(t, "the fleet-wide limit did not hold with a hash secret", func() bool {
				return fleetOnce(t, bootSecret(t, g, secret), bootSecret(t, g, secret), clientID(g))
			})
		})
		t.Run("a hash secret is another counter", func(t *testing.T) {
			// One client exhausts its limit through Envoys without a
			// secret; an Envoy with a secret sends another value, which the
			// service counts afresh.
			withinOneHour(t, "the client was not limited without a secret", func() bool {
				client := clientID(g)
				r := rlReq("/fleet", "203.0.113.7:1", "x-client-id", client)
				plain, keyed := boot(t, g, "deny", 2000), bootSecret(t, g, secret)
				for i := 0; i < 6; i++ {
					roundTrip(plain.e.Worker(i%2), exchange{req: r})
				}
				if d := roundTrip(plain.e.Worker(0), exchange{req: r}).Downstream; d.Status != 429 {
					return false
				}
				if d := roundTrip(keyed.e.Worker(0), exchange{req: r}).Downstream; d.Status != 200 ||
					!strings.HasPrefix(d.Header("ratelimit"), `"fleet-per-client";r=4;t=`) {
					t.Errorf("with a secret: %d, RateLimit %q, want 200 and a fresh counter (r=4)", d.Status, d.Header("ratelimit"))
				}
				return true
			})
		})
		t.Run("local limits first", func(t *testing.T) {
			ew := boot(t, g, "deny", 2000)
			r := rlReq("/both", "203.0.113.7:1", "x-client-id", clientID(g))
			for i, want := range []int{200, 200, 429} {
				res := roundTrip(ew.e.Worker(i%2), exchange{req: r})
				if res.Downstream.Status != want {
					t.Fatalf("request %d: %d, want %d (%s)\n%s", i+1, res.Downstream.Status, want, res.Downstream.LocalReply, logText(ew.e))
				}
			}
			if d := ew.c.count(); d != 2 {
				t.Errorf("the service saw %d calls, want 2 (the locally refused request must not reach it)", d)
			}
			if got := metric(t, ew.e, "apiguard.denied.rate_limited"); got != 1 {
				t.Errorf("denied.rate_limited = %d", got)
			}
		})
	})

	// Service down, both modes: first Redis (the service answers errors),
	// then the service itself (unreachable).
	t.Run("down", func(t *testing.T) {
		g := guests(t)[1] // the .wasm
		deny, allow := boot(t, g, "deny", 2000), boot(t, g, "allow", 2000)
		r := rlReq("/fleet", "203.0.113.7:1", "x-client-id", clientID(g))
		expect := func(stage string, ew rlsEnvoy, want int, reason problem.Reason) {
			t.Helper()
			before := ew.c.count()
			res := roundTrip(ew.e.Worker(0), exchange{req: r})
			d := res.Downstream
			if d.Status != want || (reason != "" && d.LocalReply != "apiguard_"+string(reason)) {
				t.Fatalf("%s: %d %q, want %d %s\n%s", stage, d.Status, d.LocalReply, want, reason, logText(ew.e))
			}
			if reason == problem.ReasonRateLimitServiceUnavailable &&
				(d.Header("retry-after") != "1" || d.Header("ratelimit") != "" || d.Header("ratelimit-policy") != "") {
				t.Errorf("%s: headers %v, want only Retry-After", stage, d.Headers)
			}
			if ew.c.count() != before+1 {
				t.Errorf("%s: the service was not asked", stage)
			}
		}
		expect("up, deny", deny, 200, "")
		expect("up, allow", allow, 200, "")
		redis.Stop()
		expect("redis down, deny", deny, 429, problem.ReasonRateLimitServiceUnavailable)
		expect("redis down, allow", allow, 200, "")
		svc.Stop()
		expect("service down, deny", deny, 429, problem.ReasonRateLimitServiceUnavailable)
		expect("service down, allow", allow, 200, "")
		if got := metric(t, allow.e, "apiguard.ratelimit_service.failed_open"); got != 2 {
			t.Errorf("failed_open = %d, want 2", got)
		}
		if got := metric(t, deny.e, "apiguard.denied.rate_limit_service_unavailable"); got != 2 {
			t.Errorf("denied.rate_limit_service_unavailable = %d, want 2", got)
		}
	})
}

// fleetOnce sends twelve requests of one client, alternating over the
// workers of two Envoys; it reports whether exactly the first five passed
// (with RateLimit counting down) and the rest got the global 429. Other
// mismatches fail the test at once.
func fleetOnce(t *testing.T, a, b rlsEnvoy, client string) bool {
	t.Helper()
	vms := []*host.VM{a.e.Worker(0), b.e.Worker(0), a.e.Worker(1), b.e.Worker(1)}
	r := rlReq("/fleet", "203.0.113.7:1", "x-client-id", client)
	passed := 0
	for i := 0; i < 12; i++ {
		res := roundTrip(vms[i%len(vms)], exchange{req: r})
		d := res.Downstream
		switch d.Status {
		case 200:
			passed++
			want := fmt.Sprintf(`"fleet-per-client";r=%d;t=`, 5-passed)
			if !strings.HasPrefix(d.Header("ratelimit"), want) {
				t.Errorf("request %d: RateLimit %q, want %s...", i+1, d.Header("ratelimit"), want)
			}
		case 429:
			if d.LocalReply != "apiguard_"+string(problem.ReasonGlobalRateLimited) {
				t.Fatalf("request %d: refused as %q", i+1, d.LocalReply)
			}
			retry, err := strconv.Atoi(d.Header("retry-after"))
			if err != nil || retry < 1 || retry > 3600 || d.Header("ratelimit") != fmt.Sprintf(`"fleet-per-client";r=0;t=%d`, retry) ||
				d.Header("ratelimit-policy") != `"fleet-per-client";q=5;w=3600` {
				t.Errorf("request %d: 429 headers %v", i+1, d.Headers)
			}
			if res.UpstreamCalled {
				t.Errorf("request %d: refused but reached upstream", i+1)
			}
		default:
			t.Fatalf("request %d: status %d %q\n%s", i+1, d.Status, d.LocalReply, logText(a.e)+logText(b.e))
		}
		if i < 5 && d.Status != 200 {
			return false
		}
	}
	if n := a.c.count() + b.c.count(); n != 12 {
		t.Errorf("the service saw %d calls, want 12", n)
	}
	if passed == 5 {
		if got := metricOrZero(t, a.e, "apiguard.denied.global_rate_limited") + metricOrZero(t, b.e, "apiguard.denied.global_rate_limited"); got != 7 {
			t.Errorf("denied.global_rate_limited = %d over both Envoys, want 7", got)
		}
	}
	return passed == 5
}
