package proxy

import (
	"bytes"
	"reflect"
	"runtime"
	"testing"
)

func TestPairs_roundTrip(t *testing.T) {
	tests := [][]Pair{
		nil,
		{{Key: ":path", Value: "/"}},
		{{Key: "a", Value: ""}, {Key: "", Value: "b"}, {Key: "a", Value: "second"}, {Key: "k\x00", Value: "v\xff"}},
	}
	for _, pairs := range tests {
		got, ok := DecodePairs(EncodePairs(pairs))
		if !ok {
			t.Fatalf("DecodePairs(EncodePairs(%q)) failed", pairs)
		}
		if len(got) != len(pairs) || (len(pairs) > 0 && !reflect.DeepEqual(got, pairs)) {
			t.Errorf("round trip %q -> %q", pairs, got)
		}
	}
}

func TestPairs_wireFormat(t *testing.T) {
	// u32 count, (u32 keyLen, u32 valLen)*, then key\0value\0 ...
	want := []byte{1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 'k', '1', 0, 'v', 0}
	if got := EncodePairs([]Pair{{Key: "k1", Value: "v"}}); !bytes.Equal(got, want) {
		t.Fatalf("EncodePairs = %v, want %v", got, want)
	}
	if p, ok := DecodePairs([]byte{0}); !ok || len(p) != 0 {
		t.Errorf("a lone NUL is the empty map, got %v %v", p, ok)
	}
}

func TestPairs_decodeRejectsBadInput(t *testing.T) {
	bad := [][]byte{
		{1, 0, 0},
		{1, 0, 0, 0},
		{1, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 'a', 0, 0},
		{1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 'k', 'x', 'v', 0},
		{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0},
	}
	for _, b := range bad {
		if p, ok := DecodePairs(b); ok {
			t.Errorf("DecodePairs(%v) = %v, want failure", b, p)
		}
	}
}

// DecodePairs copies its input once and slices keys and values out of the
// copy: they must not change when the caller reuses the buffer.
func TestPairs_decodeOutlivesBuffer(t *testing.T) {
	want := []Pair{{Key: ":path", Value: "/users/7"}, {Key: "x-request-id", Value: "abc"}, {Key: "", Value: ""}, {Key: "cookie", Value: "a=b; c=d"}}
	buf := EncodePairs(want)
	got, ok := DecodePairs(buf)
	if !ok {
		t.Fatal("DecodePairs failed")
	}
	for i := range buf {
		buf[i] = 'X'
	}
	buf = nil
	runtime.GC()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after the buffer was overwritten and dropped: %q, want %q", got, want)
	}
}

// DecodePairsString takes substrings of its input without copying them:
// one allocation (the pairs) whatever the number of headers, and
// DecodePairs one more (its copy of the buffer).
func TestPairs_decodeAllocations(t *testing.T) {
	pairs := []Pair{{Key: ":method", Value: "GET"}, {Key: ":path", Value: "/"}, {Key: "accept", Value: "*/*"}, {Key: "user-agent", Value: "t"}}
	buf := EncodePairs(pairs)
	enc := string(buf)
	if got, ok := DecodePairsString(enc); !ok || !reflect.DeepEqual(got, pairs) {
		t.Fatalf("DecodePairsString = %q, %v", got, ok)
	}
	if n := testing.AllocsPerRun(100, func() { DecodePairsString(enc) }); n != 1 {
		t.Errorf("DecodePairsString allocates %v times, want 1", n)
	}
	if n := testing.AllocsPerRun(100, func() { DecodePairs(buf) }); n != 2 {
		t.Errorf("DecodePairs allocates %v times, want 2", n)
	}
}

func TestPath_encodeDecode(t *testing.T) {
	p := []string{"request", "headers", "x-a"}
	enc := EncodePath(p)
	if string(enc) != "request\x00headers\x00x-a" {
		t.Fatalf("EncodePath = %q", enc)
	}
	if got := DecodePath(enc); !reflect.DeepEqual(got, p) {
		t.Fatalf("DecodePath = %q", got)
	}
}

func FuzzPairs_decode(f *testing.F) {
	f.Add(EncodePairs([]Pair{{Key: "a", Value: "b"}, {Key: "c", Value: ""}}))
	f.Add([]byte{2, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		pairs, ok := DecodePairs(b)
		if !ok {
			return
		}
		again, ok := DecodePairs(EncodePairs(pairs))
		if !ok || len(again) != len(pairs) {
			t.Fatalf("re-encoding %q failed", pairs)
		}
		if fromString, ok := DecodePairsString(string(b)); !ok || !reflect.DeepEqual(fromString, pairs) {
			t.Fatalf("DecodePairsString(%q) = %q, %v; DecodePairs gave %q", b, fromString, ok, pairs)
		}
	})
}
