package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/apiguard/apiguard/e2e/localproxy"
	"github.com/apiguard/apiguard/envoy/image"
	"github.com/apiguard/apiguard/envoy/rlsconfig"
	"github.com/apiguard/apiguard/envoy/validate"
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/version"
)

// Exit statuses.
const (
	exitOK      = 0
	exitInvalid = 1
	exitUsage   = 2
)

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error
}

var commands = []command{
	{"validate", "check policies, Envoy bootstraps and listeners, Istio WasmPlugins", runValidate},
	{"proxy", "run a policy locally in front of an upstream (the module on wazero, no Envoy)", func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer, _ func(string) string) error {
		return localproxy.Command(ctx, false, args, stdout, stderr)
	}},
	{"demo", "the local proxy with a demo upstream: example requests and what apiguard did", func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer, _ func(string) string) error {
		return localproxy.Command(ctx, true, args, stdout, stderr)
	}},
	{"image", "package the module as an OCI Wasm image (layout; push)", func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
		return image.Run(ctx, args, stdout, stderr, getenv)
	}},
	{"rlsconfig", "envoyproxy/ratelimit's configuration for the policy's global limits", func(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, _ func(string) string) error {
		return rlsconfig.Run(args, stdin, stdout, stderr)
	}},
	{"openapi", "a policy from an OpenAPI document and an overlay", runOpenAPI},
	{"version", "print the version and source revision", runVersion},
}

// coming are subcommands listed in the help that are not built yet.
var coming = []struct{ name, summary string }{}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: apiguard <command> [arguments]  (apiguard <command> -help for its own)")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	for _, c := range coming {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nexit status: 0 success, 1 invalid input or failure, 2 usage")
}

// run is the command: it returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return exitOK
	case "-version", "--version":
		args = []string{"version"}
	}
	for _, c := range coming {
		if args[0] == c.name {
			fmt.Fprintf(stderr, "apiguard %s: not built yet\n", c.name)
			return exitUsage
		}
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdin, stdout, stderr, getenv)
		var (
			u1  *localproxy.UsageError
			u2  *image.UsageError
			u3  *rlsconfig.UsageError
			u4  *usageError
			inv *invalidError
			ref *localproxy.RefusedError
		)
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.As(err, &u1), errors.As(err, &u2), errors.As(err, &u3), errors.As(err, &u4):
			return exitUsage
		case errors.As(err, &inv):
			return exitInvalid // already reported
		case errors.As(err, &ref):
			// The plugin's own lines, as Envoy would log them.
			for _, line := range ref.Lines {
				fmt.Fprintln(stderr, line)
			}
			return exitInvalid
		default:
			fmt.Fprintf(stderr, "apiguard %s: %v\n", c.name, err)
			return exitInvalid
		}
	}
	fmt.Fprintf(stderr, "apiguard: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }

// invalidError says a file was invalid and its errors are printed.
type invalidError struct{ n int }

func (e *invalidError) Error() string { return fmt.Sprintf("%d invalid", e.n) }

// revision is the build's revision: what the Makefile stamped, else what
// the Go toolchain recorded (a `go build` inside a git checkout).
func revision() string {
	if version.Revision != "unknown" {
		return version.Revision
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if len(rev) >= 7 {
			rev = rev[:7]
			if modified == "true" {
				rev += "-dirty"
			}
			return rev
		}
	}
	return version.Revision
}

func runVersion(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer, _ func(string) string) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: apiguard version\n\nPrints the version and the source revision this command (and the module it packages by default) was built from.")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{err}
	}
	if fs.NArg() > 0 {
		err := fmt.Errorf("unexpected arguments %q", fs.Args())
		fmt.Fprintln(stderr, "apiguard version:", err)
		fs.Usage()
		return &usageError{err}
	}
	fmt.Fprintf(stdout, "apiguard %s (%s)\n", version.Version, revision())
	return nil
}

func runValidate(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, _ func(string) string) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: apiguard validate FILE...   ("-" reads standard input)

Checks each file and prints "FILE: ok" or each error as "FILE: error"
(a policy's errors as "FILE:LINE:COLUMN: PATH: MESSAGE", also those of a
policy inside an Envoy or Istio file, at its place in that file). A variable a
policy reads with {"env": NAME} that is not set here is a warning
("FILE: warning: ..."), which leaves the file valid.
A file is recognised by its content:
  - JSON with apiguard's fields: a policy, parsed as the plugin will, and the plugin started on it
  - YAML with apiVersion/kind: an Istio manifest, every WasmPlugin's pluginConfig as Istio hands it over
  - YAML with filter_chains: an Envoy listener, every Wasm HTTP filter's policy and the settings apiguard needs
  - other YAML (or JSON with static_resources): an Envoy bootstrap, checked against Envoy's API, each
    apiguard filter as in a listener, and the clusters its policy calls
Exit status 0 when every file is valid, 1 when one is not, 2 on a usage error.`)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{err}
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "apiguard validate: no file given")
		fs.Usage()
		return &usageError{errors.New("no file")}
	}
	bad := 0
	for _, path := range fs.Args() {
		var (
			data []byte
			err  error
		)
		if path == "-" {
			data, err = io.ReadAll(stdin)
		} else {
			data, err = os.ReadFile(path)
		}
		if err != nil {
			fmt.Fprintf(stdout, "%s: %v\n", path, err)
			bad++
			continue
		}
		kind, errs := validate.File(path, data)
		warnings, errs := validate.Warnings(errs)
		for _, w := range warnings {
			fmt.Fprintf(stdout, "%s: %v\n", path, w)
		}
		if len(errs) == 0 {
			fmt.Fprintf(stdout, "%s: ok (%s)\n", path, kind)
			continue
		}
		bad++
		for _, e := range errs {
			for _, line := range errorLines(path, e) {
				fmt.Fprintln(stdout, line)
			}
		}
	}
	if bad > 0 {
		return &invalidError{bad}
	}
	return nil
}

// errorLines formats one error of a file. A policy's configuration errors
// read "FILE:LINE:COLUMN: PATH: MESSAGE", as compilers write them (editors
// jump to the place), those of a policy inside an Envoy or Istio file too,
// at the place in that file (validate.InFile); one validate could not place
// there keeps what locates the policy ("listener ... : apiguard
// configuration:"). Anything else is "FILE: LINE" for each line of its
// message.
func errorLines(file string, e error) []string {
	var out []string
	var list *config.ErrorList
	var inFile *validate.InFile
	var placed *validate.Placed
	if errors.As(e, &placed) {
		return []string{fmt.Sprintf("%s:%d:%d: %s", file, placed.Line, placed.Column, placed.Msg)}
	}
	if errors.As(e, &inFile) {
		for _, ce := range inFile.List.Errors {
			if ce.Line > 0 {
				out = append(out, fmt.Sprintf("%s:%d:%d: %s", file, ce.Line, ce.Column, ce.Error()))
			} else {
				out = append(out, file+": "+inFile.Where+": "+ce.Error())
			}
		}
		if l := inFile.List.Lines(); inFile.List.Omitted > 0 {
			out = append(out, file+": "+inFile.Where+": "+l[len(l)-1])
		}
		return out
	}
	if errors.As(e, &list) {
		prefix, direct := "", e == error(list)
		if !direct {
			prefix = strings.TrimSuffix(e.Error(), list.Error())
		}
		for _, ce := range list.Errors {
			switch {
			case direct && ce.Line > 0 && ce.Path == "":
				out = append(out, fmt.Sprintf("%s:%d:%d: %s", file, ce.Line, ce.Column, ce.Msg))
			case direct && ce.Line > 0:
				out = append(out, fmt.Sprintf("%s:%d:%d: %s", file, ce.Line, ce.Column, ce.Error()))
			default:
				out = append(out, file+": "+prefix+ce.Located())
			}
		}
		if l := list.Lines(); list.Omitted > 0 {
			out = append(out, file+": "+l[len(l)-1])
		}
		return out
	}
	for _, line := range strings.Split(strings.TrimRight(e.Error(), "\n"), "\n") {
		out = append(out, file+": "+line)
	}
	return out
}
