// Command apiguard is the operator's tool for the apiguard Envoy filter:
//
//	go install github.com/apiguard/apiguard/envoy/cmd/apiguard@latest
//
//	apiguard validate FILE...     check policies, Envoy bootstraps/listeners, Istio WasmPlugins
//	apiguard proxy ...            run a policy locally in front of an upstream (no Envoy needed)
//	apiguard demo ...             the local proxy with a demo upstream and example requests
//	apiguard image ...            package the module as an OCI Wasm image (layout, push)
//	apiguard rlsconfig ...        envoyproxy/ratelimit configuration for global limits
//	apiguard openapi SPEC         a configuration from an OpenAPI document (and an overlay)
//	apiguard version              version and source revision
//
// Exit status: 0 success (every file valid), 1 failure (a file invalid, an
// error), 2 usage. docs/command.md describes each subcommand.
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
