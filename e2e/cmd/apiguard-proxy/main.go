// Command apiguard-proxy is `apiguard proxy` (envoy/cmd/apiguard) under its
// former name, kept so that existing scripts work: a local HTTP proxy on
// loopback that loads the built module into apiguard's proxy-wasm host
// (wazero, with Envoy's behaviour) and forwards what the filter allows to an
// upstream.
//
//	apiguard-proxy -wasm build/apiguard.wasm -config policy.json -upstream 127.0.0.1:8080
//
// With -demo it is `apiguard demo`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"

	"github.com/apiguard/apiguard/e2e/localproxy"
)

func main() {
	args := os.Args[1:]
	demo := slices.Contains(args, "-demo") || slices.Contains(args, "--demo")
	args = slices.DeleteFunc(args, func(a string) bool { return a == "-demo" || a == "--demo" })
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := localproxy.Command(ctx, demo, args, os.Stdout, os.Stderr)
	var usage *localproxy.UsageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.As(err, &usage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "apiguard-proxy:", err)
		os.Exit(1)
	}
}
