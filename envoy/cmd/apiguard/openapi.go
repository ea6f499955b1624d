package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/apiguard/apiguard/envoy/openapi"
)

// runOpenAPI is `apiguard openapi [-overlay OVERLAY.json] [-base-path P]
// SPEC`: a configuration from an OpenAPI document on standard output,
// findings by OpenAPI JSON path on standard error (docs/command.md).
func runOpenAPI(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, _ func(string) string) error {
	fs := flag.NewFlagSet("openapi", flag.ContinueOnError)
	fs.SetOutput(stderr)
	overlayPath := fs.String("overlay", "", "an overlay (JSON): config, security, scope_claim, public, operations")
	basePath := fs.String("base-path", "", "the path prefix of every route (default: the path of servers[0])")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: apiguard openapi [-overlay OVERLAY.json] [-base-path PATH] SPEC   ("-" reads standard input)

Turns an OpenAPI 3.0 or 3.1 document (JSON or YAML) into an apiguard
configuration on standard output: one route per operation, schemas from
components.schemas and the operations' JSON bodies, auth from security.
Warnings and errors go to standard error by OpenAPI JSON path, the
overlay's mistakes as "OVERLAY:LINE:COLUMN: PATH: MESSAGE". Exit status
0 (warnings alone included), 1 when an error was reported (nothing is
printed then), 2 on a usage error.`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{err}
	}
	if fs.NArg() != 1 {
		err := errors.New("needs exactly one SPEC")
		fmt.Fprintln(stderr, "apiguard openapi:", err)
		fs.Usage()
		return &usageError{err}
	}
	opt := openapi.Options{BasePath: *basePath}
	fs.Visit(func(f *flag.Flag) { opt.BasePathSet = opt.BasePathSet || f.Name == "base-path" })
	var ov *openapi.Overlay
	if *overlayPath != "" {
		data, err := os.ReadFile(*overlayPath)
		if err != nil {
			return err
		}
		if ov, err = openapi.ParseOverlay(data); err != nil {
			var oe *openapi.OverlayError
			if errors.As(err, &oe) {
				fmt.Fprintln(stderr, findingLine(*overlayPath, oe.Finding))
				return &invalidError{1}
			}
			return err
		}
	}
	var spec []byte
	var err error
	if p := fs.Arg(0); p == "-" {
		spec, err = io.ReadAll(stdin)
	} else {
		spec, err = os.ReadFile(p)
	}
	if err != nil {
		return err
	}
	out, findings, err := openapi.Generate(spec, ov, opt)
	if err != nil {
		return err
	}
	errs := 0
	for _, f := range findings {
		fmt.Fprintln(stderr, findingLine(*overlayPath, f))
		if f.Error {
			errs++
		}
	}
	if out == nil {
		return &invalidError{errs}
	}
	_, err = stdout.Write(out)
	return err
}

// findingLine is "OVERLAY:LINE:COLUMN: PATH: MESSAGE" for a finding placed
// in the overlay (as validate writes a policy's errors; "warning: " before
// the path of a warning), else "apiguard openapi: error: PATH: MESSAGE".
func findingLine(overlay string, f openapi.Finding) string {
	if f.Line == 0 {
		return "apiguard openapi: " + f.String()
	}
	level := ""
	if !f.Error {
		level = "warning: "
	}
	return fmt.Sprintf("%s:%d:%d: %s%s: %s", overlay, f.Line, f.Column, level, f.Path, f.Msg)
}
