// Command benchtable prints one table of the same Go benchmarks run by
// several engines (natively, on wazero, on V8: `make bench-v8`), with each
// engine's median ns/op and its ratio to the first engine's:
//
//	benchtable native=native.txt wazero=wazero.txt v8=v8.txt
//
// Each file is `go test -bench` output; a benchmark's name loses its
// -GOMAXPROCS suffix, so the native and the wasm runs line up. A benchmark
// missing from an engine's file shows "-".
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchtable name=file ...")
		os.Exit(2)
	}
	var names []string
	var runs []map[string][]float64
	for _, arg := range os.Args[1:] {
		name, file, ok := strings.Cut(arg, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "benchtable: %q is not name=file\n", arg)
			os.Exit(2)
		}
		f, err := os.Open(file)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchtable:", err)
			os.Exit(1)
		}
		runs = append(runs, parse(f))
		f.Close()
		names = append(names, name)
	}
	write(os.Stdout, names, runs)
}

// parse reads `go test -bench` output: every ns/op per benchmark name.
func parse(r io.Reader) map[string][]float64 {
	out := map[string][]float64{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		for i := 2; i+1 < len(f); i++ {
			if f[i+1] != "ns/op" {
				continue
			}
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				name := f[0]
				if j := strings.LastIndexByte(name, '-'); j > 0 {
					if _, err := strconv.Atoi(name[j+1:]); err == nil {
						name = name[:j]
					}
				}
				out[name] = append(out[name], v)
			}
		}
	}
	return out
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// write prints the table: the benchmarks of the first engine in name order.
func write(w io.Writer, names []string, runs []map[string][]float64) {
	var benches []string
	for b := range runs[0] {
		benches = append(benches, b)
	}
	slices.Sort(benches)
	width := len("benchmark")
	for _, b := range benches {
		width = max(width, len(b))
	}
	fmt.Fprintf(w, "%-*s", width, "benchmark")
	for i, n := range names {
		if i == 0 {
			fmt.Fprintf(w, "  %14s", n+" ns/op")
		} else {
			fmt.Fprintf(w, "  %22s", n+" ns/op (x "+names[0]+")")
		}
	}
	fmt.Fprintln(w)
	for _, b := range benches {
		base := median(runs[0][b])
		fmt.Fprintf(w, "%-*s  %14.0f", width, b, base)
		for _, r := range runs[1:] {
			if v, ok := r[b]; ok {
				m := median(v)
				fmt.Fprintf(w, "  %22s", fmt.Sprintf("%.0f (%.2f)", m, m/base))
			} else {
				fmt.Fprintf(w, "  %22s", "-")
			}
		}
		fmt.Fprintln(w)
	}
}
