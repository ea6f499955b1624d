package wasmguest

import (
	"strings"
	"testing"
)

// BenchmarkGuest_roundTrip is one guest export call that makes three hostcalls
// (get a header, which also runs the guest allocator; replace a header;
// log).
func BenchmarkGuest_roundTrip(b *testing.B) {
	v, h := newVM(b, Options{})
	// The path measured: the three hostcalls made, once.
	h.resetLogs()
	v.OnRequestHeaders(1, scBench, true)
	if len(h.calls) != 1 || !strings.HasPrefix(h.calls[0], "replace ") || len(h.logs) != 1 {
		b.Fatalf("hostcalls %q, logs %v: want one replace and one log line", h.calls, h.logs)
	}
	b.ReportAllocs()
	for b.Loop() {
		v.OnRequestHeaders(1, scBench, true)
		h.logs = h.logs[:0]
		h.calls = h.calls[:0]
	}
}

// BenchmarkGuest_newVM is the cost of one VM: instantiation plus the Go
// runtime's _initialize (compilation is shared and excluded).
func BenchmarkGuest_newVM(b *testing.B) {
	for _, p := range []Profile{Envoy139, Envoy133} {
		b.Run(p.String(), func(b *testing.B) {
			f := guest(b, "hostcalls").Factory(Options{Profile: p})
			h := newFakeHost()
			// The path measured: a VM that starts and runs the guest.
			hd, err := f(h)
			if err != nil {
				b.Fatal(err)
			}
			if _, ok := hd.(*vm); !ok {
				b.Fatalf("the factory made a %T", hd)
			}
			_ = hd.(*vm).Close()
			b.ReportAllocs()
			for b.Loop() {
				hd, err := f(h)
				if err != nil {
					b.Fatal(err)
				}
				_ = hd.(*vm).Close()
				h.logs = h.logs[:0]
			}
		})
	}
}
