package wasmguest

import "testing"

// BenchmarkRoundTrip is one guest export call that makes three hostcalls
// (get a header, which also runs the guest allocator; replace a header;
// log).
func BenchmarkRoundTrip(b *testing.B) {
	v, h := newVM(b, Options{})
	b.ReportAllocs()
	for b.Loop() {
		v.OnRequestHeaders(1, scBench, true)
		h.logs = h.logs[:0]
		h.calls = h.calls[:0]
	}
}

// BenchmarkNewVM is the cost of one VM: instantiation plus the Go
// runtime's _initialize (compilation is shared and excluded).
func BenchmarkNewVM(b *testing.B) {
	for _, p := range []Profile{Envoy139, Envoy133} {
		b.Run(p.String(), func(b *testing.B) {
			f := guest(b, "hostcalls").Factory(Options{Profile: p})
			h := newFakeHost()
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
