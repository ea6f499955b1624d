// Command buildstamp writes or checks the build stamp of the module (see
// package e2e/buildstamp): `make build` runs `buildstamp -write` after it
// built build/apiguard.wasm, and `buildstamp -check` to decide whether a
// module its file times call fresh must be rebuilt. Run from the module
// root.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/apiguard/apiguard/e2e/buildstamp"
)

func main() {
	wasm := flag.String("wasm", "build/apiguard.wasm", "the module")
	write := flag.Bool("write", false, "record that the module was just built from the current sources")
	check := flag.Bool("check", false, "exit 1 unless the module is built from the current sources")
	flag.Parse()
	var err error
	switch {
	case *write:
		err = buildstamp.Write(".", *wasm)
	case *check:
		err = buildstamp.Check(".", *wasm)
	default:
		err = fmt.Errorf("give -write or -check")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "buildstamp:", err)
		os.Exit(1)
	}
}
