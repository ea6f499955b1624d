// Command wasmbench runs a test binary built for wasip1 (`GOOS=wasip1
// GOARCH=wasm go test -c`) under wazero's compiler, as `make bench-wasm`
// does, with one difference from the wazero CLI: on Linux the guest's
// monotonic clock reads the CPU time of the thread that runs it, so the
// benchmarks inside measure the work done, not the time other processes
// held the core (docs/performance.md "Measuring"). Elsewhere it is the wall
// clock. The current directory is mounted as the guest's root.
//
//	wasmbench pkg.wasm -test.run '^$' -test.bench . -test.count 3
package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"runtime"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: wasmbench test.wasm [test flags]")
		os.Exit(2)
	}
	// The guest runs on this goroutine: keep it on one thread, whose CPU
	// time the clock reads.
	runtime.LockOSThread()
	wasm, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	cfg := wazero.NewModuleConfig().
		WithArgs(append([]string{"test.wasm"}, os.Args[2:]...)...).
		WithStdout(os.Stdout).WithStderr(os.Stderr).
		WithFSConfig(wazero.NewFSConfig().WithDirMount(".", "/")).
		WithEnv("PWD", "/").
		WithSysWalltime().
		WithRandSource(rand.Reader)
	if clock := cpuClock(); clock != nil {
		cfg = cfg.WithNanotime(clock, 1)
	} else {
		cfg = cfg.WithSysNanotime()
	}
	_, err = r.InstantiateWithConfig(ctx, wasm, cfg)
	if exit, ok := err.(*sys.ExitError); ok {
		os.Exit(int(exit.ExitCode()))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
