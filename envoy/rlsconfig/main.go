// Package rlsconfig is `apiguard rlsconfig`: it generates
// envoyproxy/ratelimit's configuration file from an apiguard configuration,
// so the apiguard document stays the one source of truth for
// `"global": true` limits:
//
//	apiguard rlsconfig envoy/envoy.yaml > ratelimit/config/apiguard.yaml
//
// The input is the apiguard JSON itself, an Envoy bootstrap whose Wasm
// filter carries it as a StringValue `configuration`, or an Istio
// WasmPlugin with `pluginConfig`; "-" or no argument reads standard input.
// The output is one YAML file for the service's RUNTIME_ROOT/
// RUNTIME_SUBDIRECTORY/config directory.
package rlsconfig

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/apiguard/apiguard/envoy/rlsconfig/rlsgen"
)

// UsageError is a mistake in the command line (exit status 2).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Run is `apiguard rlsconfig`: args are its flags and arguments. A usage
// error is a *UsageError; with -help, Run returns flag.ErrHelp.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rlsconfig", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "write the YAML to this file instead of standard output")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: apiguard rlsconfig [-o file.yaml] [apiguard.json | envoy.yaml | wasmplugin.yaml | -]")
		fmt.Fprintln(stderr, "\nWrites envoyproxy/ratelimit's configuration for the policy's \"global\": true limits.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &UsageError{err}
	}
	if fs.NArg() > 1 {
		fs.Usage()
		return &UsageError{fmt.Errorf("one input at most, got %d", fs.NArg())}
	}
	return run(fs.Args(), *out, stdin, stdout)
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
