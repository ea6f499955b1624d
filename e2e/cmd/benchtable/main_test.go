package main

import (
	"strings"
	"testing"
)

func TestBenchTable_mediansAndRatios(t *testing.T) {
	native := parse(strings.NewReader(`goos: linux
BenchmarkValidate_64K-2   	   17151	     100 ns/op	 935.38 MB/s	       0 B/op	       0 allocs/op
BenchmarkValidate_64K-2   	   17151	     300 ns/op
BenchmarkValidate_64K-2   	   17151	     200 ns/op
BenchmarkOnlyNative-2   	   1	     50 ns/op
PASS`))
	v8 := parse(strings.NewReader(`BenchmarkValidate_64K 	    4744	    800 ns/op	 268.01 MB/s
BenchmarkValidate_64K 	    4744	    600 ns/op
ok`))
	if got := native["BenchmarkValidate_64K"]; len(got) != 3 {
		t.Fatalf("native runs: %v (the -2 suffix must go)", got)
	}
	var b strings.Builder
	write(&b, []string{"native", "v8"}, []map[string][]float64{native, v8})
	out := b.String()
	for _, want := range []string{
		"BenchmarkValidate_64K", " 200 ", "700 (3.50)", // medians 200 and 700
		"BenchmarkOnlyNative", " 50 ", " -\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}
