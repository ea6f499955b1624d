package proxy

import (
	"bytes"
	"reflect"
	"testing"
)

func TestPairsRoundTrip(t *testing.T) {
	tests := [][]Pair{
		nil,
		{{":path", "/"}},
		{{"a", ""}, {"", "b"}, {"a", "second"}, {"k\x00", "v\xff"}},
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

func TestPairsWireFormat(t *testing.T) {
	// u32 count, (u32 keyLen, u32 valLen)*, then key\0value\0 ...
	want := []byte{1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 'k', '1', 0, 'v', 0}
	if got := EncodePairs([]Pair{{"k1", "v"}}); !bytes.Equal(got, want) {
		t.Fatalf("EncodePairs = %v, want %v", got, want)
	}
	if p, ok := DecodePairs([]byte{0}); !ok || len(p) != 0 {
		t.Errorf("a lone NUL is the empty map, got %v %v", p, ok)
	}
}

func TestDecodePairsRejectsBadInput(t *testing.T) {
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

func TestPath(t *testing.T) {
	p := []string{"request", "headers", "x-a"}
	enc := EncodePath(p)
	if string(enc) != "request\x00headers\x00x-a" {
		t.Fatalf("EncodePath = %q", enc)
	}
	if got := DecodePath(enc); !reflect.DeepEqual(got, p) {
		t.Fatalf("DecodePath = %q", got)
	}
}

func FuzzDecodePairs(f *testing.F) {
	f.Add(EncodePairs([]Pair{{"a", "b"}, {"c", ""}}))
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
	})
}
