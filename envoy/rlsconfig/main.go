// Command rlsconfig generates envoyproxy/ratelimit's configuration file
// from an apiguard configuration, so the apiguard document stays the one
// source of truth for `"global": true` limits:
//
//	go run ./envoy/rlsconfig envoy/envoy.yaml > ratelimit/config/apiguard.yaml
//
// The input is the apiguard JSON itself, an Envoy bootstrap whose Wasm
// filter carries it as a StringValue `configuration`, or an Istio
// WasmPlugin with `pluginConfig`; "-" or no argument reads standard input.
// The output is one YAML file for the service's RUNTIME_ROOT/
// RUNTIME_SUBDIRECTORY/config directory.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/apiguard/apiguard/envoy/rlsconfig/rlsgen"
)

func main() {
	out := flag.String("o", "", "write the YAML to this file instead of standard output")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: rlsconfig [-o file.yaml] [apiguard.json | envoy.yaml | wasmplugin.yaml | -]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(flag.Args(), *out, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "rlsconfig:", err)
		os.Exit(1)
	}
}

func run(args []string, out string, stdin io.Reader, stdout io.Writer) error {
	if len(args) > 1 {
		return fmt.Errorf("one input at most, got %d", len(args))
	}
	var (
		doc []byte
		err error
	)
	if len(args) == 0 || args[0] == "-" {
		doc, err = io.ReadAll(stdin)
	} else {
		doc, err = os.ReadFile(args[0])
	}
	if err != nil {
		return err
	}
	cfg, err := rlsgen.Extract(doc)
	if err != nil {
		return err
	}
	y, err := rlsgen.Generate(cfg)
	if err != nil {
		return err
	}
	if out == "" {
		_, err = stdout.Write(y)
		return err
	}
	return os.WriteFile(out, y, 0o644)
}
