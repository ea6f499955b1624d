package localproxy

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/e2e/wasmguest"
	"github.com/apiguard/apiguard/filter/config"
)

// UsageError is a mistake in the command line (exit status 2).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

type clusterFlag map[string]string

func (c clusterFlag) String() string { return fmt.Sprint(map[string]string(c)) }
func (c clusterFlag) Set(v string) error {
	name, addr, ok := strings.Cut(v, "=")
	if !ok || name == "" || addr == "" {
		return fmt.Errorf("want name=host:port, got %q", v)
	}
	c[name] = addr
	return nil
}

// Command is `apiguard proxy` (demo false) and `apiguard demo` (demo
// true): args are its flags. The proxy serves until ctx ends; the demo
// sends its requests, prints what happened and returns. A usage error is a
// *UsageError (the flag set printed the usage to stderr); -help returns
// flag.ErrHelp.
func Command(ctx context.Context, demo bool, args []string, stdout, stderr io.Writer) error {
	name := "proxy"
	if demo {
		name = "demo"
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	clusters := clusterFlag{}
	var (
		wasmPath   = fs.String("wasm", "build/apiguard.wasm", "the apiguard module")
		configPath = fs.String("config", "", "apiguard JSON configuration (required)")
		workers    = fs.Int("workers", 2, "worker VMs, like Envoy's --concurrency")
		profile    = fs.String("profile", "envoy139", "WASI profile: envoy139 (1.39+) or envoy133 (1.33-1.38)")
		noHold     = fs.Bool("no-hold", false, "emulate a host without allow_on_headers_stop_iteration (Istio)")
		upstream   = new(string)
		listen     = new(string)
		metrics    = new(string)
	)
	if demo {
		fs.Usage = func() {
			fmt.Fprintln(stderr, "usage: apiguard demo -config envoy/apiguard.demo.json [-wasm build/apiguard.wasm]")
			fmt.Fprintln(stderr, "\nStarts a demo upstream and the local proxy, sends example requests through it, prints each outcome and the metrics, and exits.")
			fs.PrintDefaults()
		}
	} else {
		fs.StringVar(upstream, "upstream", "", "upstream host:port the allowed requests go to (required)")
		fs.StringVar(listen, "listen", "127.0.0.1:10000", "address to serve on (keep it on loopback)")
		fs.StringVar(metrics, "metrics", "", "also serve the plugin's metrics in Prometheus text format on this address (GET /metrics)")
		fs.Var(clusters, "cluster", "name=host:port target of the plugin's callouts (repeatable)")
		fs.Usage = func() {
			fmt.Fprintln(stderr, "usage: apiguard proxy -config policy.json -upstream host:port [-listen 127.0.0.1:10000] [-metrics 127.0.0.1:9102]")
			fmt.Fprintln(stderr, "\nRuns apiguard without Envoy: a local HTTP proxy that loads the module into an Envoy emulator (wazero)\nand forwards what the policy allows to the upstream. One line per request and the plugin's own log lines go to stderr.")
			fs.PrintDefaults()
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &UsageError{err}
	}
	usage := func(format string, a ...any) error {
		err := fmt.Errorf(format, a...)
		fmt.Fprintln(stderr, "apiguard "+name+":", err)
		fs.Usage()
		return &UsageError{err}
	}
	switch {
	case fs.NArg() > 0:
		return usage("unexpected arguments %q", fs.Args())
	case *configPath == "":
		return usage("-config is required: the apiguard policy (JSON) to run")
	case !demo && *upstream == "":
		return usage("-upstream is required: the host:port of the service apiguard protects (or try `apiguard demo`, which brings its own)")
	}
	prof := wasmguest.Envoy139
	switch *profile {
	case "envoy139":
	case "envoy133":
		prof = wasmguest.Envoy133
	default:
		return usage("unknown -profile %q (envoy139 or envoy133)", *profile)
	}
	config, err := os.ReadFile(*configPath)
	if err != nil {
		return err
	}
	mod, err := compileWithProgress(*wasmPath, name, stderr)
	if err != nil {
		return fmt.Errorf("%v: give -wasm the path of an apiguard.wasm (`make build` in a clone of the repository writes build/apiguard.wasm; `make release` also writes its SHA-256; or copy the module out of the released OCI image)", err)
	}
	cfg := Config{
		Guest:        mod.Factory(wasmguest.Options{Profile: prof}),
		PluginConfig: config,
		Upstream:     *upstream,
		Workers:      *workers,
		NoHold:       *noHold,
		Clusters:     clusters,
		Env:          passEnv(config),
	}
	if demo {
		return RunDemo(cfg, stdout)
	}
	// The plugin's log lines (deny, audit, JWKS failures), the access
	// lines and upstream failures go to stderr, as Envoy's logs would.
	cfg.Log = stderr
	cfg.AccessLog = func(a Access) { fmt.Fprintln(stderr, "apiguard-proxy: "+a.String()) }
	p, err := New(cfg)
	if err != nil {
		return refusal(err)
	}
	if *metrics != "" {
		ln, err := net.Listen("tcp", *metrics)
		if err != nil {
			return fmt.Errorf("-metrics: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", p.MetricsHandler())
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
		fmt.Fprintf(stdout, "apiguard proxy: metrics on http://%s/metrics\n", ln.Addr())
	}
	return p.Listen(ctx, *listen, func(a net.Addr) {
		fmt.Fprintf(stdout, "apiguard proxy: http://%s -> %s (%d workers, %s)\n", a, *upstream, *workers, *profile)
	})
}

// RefusedError says the plugin refused its configuration. Lines are the
// plugin's own log lines (`apiguard: config: ...`, one per error), which
// the command prints as they are, once.
type RefusedError struct{ Lines []string }

func (e *RefusedError) Error() string { return strings.Join(e.Lines, "\n") }

// refusal turns New's error into a RefusedError carrying the plugin's
// lines when the emulated Envoy refused the plugin.
func refusal(err error) error {
	var refused *host.RefusedError
	if errors.As(err, &refused) {
		return &RefusedError{Lines: refused.PluginLines()}
	}
	return fmt.Errorf("the plugin refused to start: %v", err)
}

// passEnv passes the variables the policy reads with {"env": NAME} from
// the command's environment to the VMs, as Envoy's host_env_keys would.
// One that is not set stays unset: the plugin then refuses the policy and
// names it.
func passEnv(policy []byte) map[string]string {
	env := map[string]string{}
	for _, name := range config.EnvRefs(policy) {
		if v, ok := os.LookupEnv(name); ok {
			env[name] = v
		}
	}
	return env
}

// compileWithProgress compiles the module, saying what happens: the first
// compile of a module takes from seconds to minutes (wazero turns it into
// machine code), and is kept in wasmguest.CacheDir so the next start takes
// about a second.
func compileWithProgress(path, name string, w io.Writer) (*wasmguest.Module, error) {
	start := time.Now()
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(w, "apiguard %s: still compiling (%ds)...\n", name, int(time.Since(start).Seconds()))
			}
		}
	}()
	fmt.Fprintf(w, "apiguard %s: loading %s (the first run compiles it to machine code, which can take a minute or more)\n", name, path)
	mod, err := wasmguest.CompileFile(path)
	close(done)
	if err != nil {
		return nil, err
	}
	took := time.Since(start).Round(100 * time.Millisecond)
	if took < 3*time.Second {
		fmt.Fprintf(w, "apiguard %s: module ready in %s (from the compilation cache in %s)\n", name, took, wasmguest.CacheDir())
	} else {
		fmt.Fprintf(w, "apiguard %s: compiled in %s; kept in %s, so the next start takes about a second\n", name, took, wasmguest.CacheDir())
	}
	return mod, nil
}
