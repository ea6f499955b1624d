// Command apiguard-proxy runs apiguard without Envoy: a local HTTP proxy on
// loopback that loads the built module into apiguard's proxy-wasm host
// (wazero, with Envoy's behaviour) and forwards what the filter allows to an
// upstream.
//
//	apiguard-proxy -wasm build/apiguard.wasm -config policy.json -upstream 127.0.0.1:8080
//
// With -demo it starts a small upstream of its own, sends a handful of
// requests through the proxy, prints what happened and exits.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"

	"github.com/apiguard/apiguard/e2e/localproxy"
	"github.com/apiguard/apiguard/e2e/wasmguest"
)

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

func main() {
	clusters := clusterFlag{}
	var (
		wasmPath   = flag.String("wasm", "build/apiguard.wasm", "the apiguard module")
		configPath = flag.String("config", "", "apiguard JSON configuration (required)")
		upstream   = flag.String("upstream", "", "upstream host:port (required unless -demo)")
		listen     = flag.String("listen", "127.0.0.1:10000", "address to serve on (keep it on loopback)")
		workers    = flag.Int("workers", 2, "worker VMs, like Envoy's --concurrency")
		profile    = flag.String("profile", "envoy139", "WASI profile: envoy139 (1.39+) or envoy133 (1.33-1.38)")
		noHold     = flag.Bool("no-hold", false, "emulate a host without allow_on_headers_stop_iteration (Istio)")
		demo       = flag.Bool("demo", false, "start a demo upstream, send example requests, print the outcome, exit")
	)
	flag.Var(clusters, "cluster", "name=host:port target of the plugin's callouts (repeatable)")
	flag.Parse()
	if *configPath == "" || (*upstream == "" && !*demo) {
		flag.Usage()
		os.Exit(2)
	}
	prof := wasmguest.Envoy139
	switch *profile {
	case "envoy139":
	case "envoy133":
		prof = wasmguest.Envoy133
	default:
		fatal(fmt.Errorf("unknown -profile %q", *profile))
	}
	config, err := os.ReadFile(*configPath)
	if err != nil {
		fatal(err)
	}
	mod, err := wasmguest.CompileFile(*wasmPath)
	if err != nil {
		fatal(fmt.Errorf("%v (build it with `make build`)", err))
	}
	cfg := localproxy.Config{
		Guest:        mod.Factory(wasmguest.Options{Profile: prof}),
		PluginConfig: config,
		Upstream:     *upstream,
		Workers:      *workers,
		NoHold:       *noHold,
		Clusters:     clusters,
	}
	if *demo {
		if err := runDemo(cfg, os.Stdout); err != nil {
			fatal(err)
		}
		return
	}
	// The plugin's log lines (deny, audit, JWKS failures) go to stderr, as
	// Envoy's log would carry them.
	cfg.Log = os.Stderr
	p, err := localproxy.New(cfg)
	if err != nil {
		fatal(fmt.Errorf("the plugin refused to start: %v", err))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err = p.Listen(ctx, *listen, func(a net.Addr) {
		fmt.Printf("apiguard-proxy: http://%s -> %s (%d workers, %s)\n", a, *upstream, *workers, *profile)
	})
	if err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "apiguard-proxy:", err)
	os.Exit(1)
}
