package jwt

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host/verifysig"
	"github.com/apiguard/apiguard/filter/proxy"
	"google.golang.org/protobuf/encoding/protowire"
)

// The edges of the host's wire format (docs/internals/proxy-wasm.md §4
// (k)), each against google.golang.org/protobuf's protowire: a varint of
// exactly 0x80 (the first two-byte one), the ten-byte varints at and past
// 64 bits, the largest field number and the first one past it, and fixed
// fields that end exactly at the end of the result.

// TestAppendVarint_protowire: the module's varints are protowire's, at
// every width edge (127/128 is where the second byte starts).
func TestAppendVarint_protowire(t *testing.T) {
	for _, v := range []uint64{0, 1, 0x7f, 0x80, 0x81, 0xff, 0x3fff, 0x4000, 1<<63 - 1, 1 << 63, math.MaxUint64} {
		got, want := appendVarint(nil, v), protowire.AppendVarint(nil, v)
		if !bytes.Equal(got, want) {
			t.Errorf("%#x: %x, want %x", v, got, want)
		}
	}
	// A length of exactly 128 in the arguments: the host reads the whole text.
	text := bytes.Repeat([]byte{'t'}, 0x80)
	a, ok := verifysig.ParseArgs(appendHostArgs(nil, "sha256", []byte{1}, []byte{2}, text))
	if !ok || !bytes.Equal(a.Text, text) {
		t.Fatalf("a 128-byte text does not round-trip: %v %q", ok, a.Text)
	}
}

// TestReadVarint_protowire: the module reads a varint where protowire does
// and refuses one where it does (n = 0 for protowire's error).
func TestReadVarint_protowire(t *testing.T) {
	ten := func(last byte) []byte { return append(bytes.Repeat([]byte{0xff}, 9), last) }
	for _, b := range [][]byte{
		{0x00}, {0x7f}, {0x80, 0x01}, {0xff, 0x7f}, {0x80, 0x80, 0x01},
		ten(0x00), ten(0x01), // 2^63-1 written in ten bytes, and MaxUint64
		ten(0x02), ten(0x7f), // over 64 bits
		{0x80}, {0xff, 0xff}, // truncated
		append(bytes.Repeat([]byte{0x80}, 10), 0x00), // eleven bytes
	} {
		v, n := readVarint(b)
		want, wn := protowire.ConsumeVarint(b)
		if wn < 0 {
			want, wn = 0, 0
		}
		if v != want || n != wn {
			t.Errorf("%x: %#x (%d bytes), want %#x (%d bytes)", b, v, n, want, wn)
		}
	}
}

// TestParseHostResult_wireEdges: the result reader skips what protobuf
// skips and refuses what it refuses, at the edges of field numbers and of
// fixed-size fields (protoGood: protowire parses it).
func TestParseHostResult_wireEdges(t *testing.T) {
	tag := func(num uint64, typ protowire.Type) []byte { return protowire.AppendVarint(nil, num<<3|uint64(typ)) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	isTrue := []byte{0x08, 0x01}
	for _, c := range []struct {
		name              string
		in                []byte
		result, unusable  bool
		parsed, protoGood bool
	}{
		{"largest field number skipped", cat(tag(1<<29-1, protowire.VarintType), []byte{5}, isTrue), true, false, true, true},
		// protowire's reader takes numbers up to 2^31-1; the protobuf
		// encoding's limit, which the module keeps, is 2^29-1.
		{"field number 2^29 refused", cat(isTrue, tag(1<<29, protowire.VarintType), []byte{5}), false, false, false, true},
		{"field number 2^29+1 refused", cat(isTrue, tag(1<<29+1, protowire.VarintType), []byte{5}), false, false, false, true},
		{"field number 0 refused", cat(isTrue, tag(0, protowire.VarintType), []byte{5}), false, false, false, false},
		{"fixed64 ending the result", cat(isTrue, tag(3, protowire.Fixed64Type), make([]byte, 8)), true, false, true, true},
		{"fixed64 one byte short", cat(isTrue, tag(3, protowire.Fixed64Type), make([]byte, 7)), false, false, false, false},
		{"fixed32 ending the result", cat(isTrue, tag(3, protowire.Fixed32Type), make([]byte, 4)), true, false, true, true},
		{"fixed32 one byte short", cat(isTrue, tag(3, protowire.Fixed32Type), make([]byte, 3)), false, false, false, false},
		{"string ending the result", cat(isTrue, tag(3, protowire.BytesType), []byte{2, 'a', 'b'}), true, false, true, true},
		{"string one byte short", cat(isTrue, tag(3, protowire.BytesType), []byte{3, 'a', 'b'}), false, false, false, false},
		{"hash not supported", verifysig.Result{Error: "sha224 is not supported."}.Marshal(), false, true, true, true},
	} {
		r, unusable, parsed := parseHostResult(c.in)
		if r != c.result || unusable != c.unusable || parsed != c.parsed {
			t.Errorf("%s: result %v unusable %v parsed %v, want %v %v %v", c.name, r, unusable, parsed, c.result, c.unusable, c.parsed)
		}
		// The oracle: protobuf itself parses the same results.
		if _, ok := verifysig.ParseResult(c.in); ok != c.protoGood {
			t.Errorf("%s: protobuf parses it: %v (the case is wrong)", c.name, ok)
		}
	}
}

// TestHostSelfTest_laterQuestionFails: a host that answers the valid
// signature and then fails one of the three later questions (BadArgument
// for the changed text) is not trusted for that algorithm, and the report
// says which question it failed.
func TestHostSelfTest_laterQuestionFails(t *testing.T) {
	changed := []byte(selfTestText)
	changed[len(changed)/2] ^= 0x01
	call := func(args []byte) ([]byte, proxy.Status) {
		if a, _ := verifysig.ParseArgs(args); a.HashFunction == "sha384" && bytes.Equal(a.Text, changed) {
			return nil, proxy.StatusBadArgument
		}
		return verifysig.Call(args)
	}
	h, report, warn := NewHostVerifier(hostCallOf(call), SupportedAlgorithms())
	if got := strings.Join(h.Trusted(), ","); got != "RS256,RS512,ES256,ES512" || !warn {
		t.Fatalf("trusted %q (warn %v), want the SHA-384 algorithms left out", got, warn)
	}
	if want := "RS384 did not answer Ok with a verdict for one bit of the text changed"; !strings.Contains(report, want) {
		t.Errorf("report %q, want %q", report, want)
	}
}

// TestHostBinding_usableIndex: a key index past the binding's keys is not
// for the host (and does not read past the end).
func TestHostBinding_usableIndex(t *testing.T) {
	b := &hostBinding{h: testHost(t), keys: []hostKey{{field: []byte{0x12, 0}}}}
	rs256 := lookupAlg("RS256")
	for _, c := range []struct {
		i    int
		want bool
	}{{0, true}, {1, false}, {2, false}} {
		if got := b.usable(rs256, c.i); got != c.want {
			t.Errorf("usable(RS256, %d) = %v, want %v", c.i, got, c.want)
		}
	}
	if b.usable(lookupAlg("PS256"), 0) {
		t.Error("PS256 went to the host")
	}
}

// TestHostBinding_argsBuffer: the arguments buffer is kept between calls
// up to 16 KiB of capacity and dropped above it (an unusually long token
// does not pin its buffer).
func TestHostBinding_argsBuffer(t *testing.T) {
	v := publicVerifier(t).WithHost(testHost(t))
	b := v.bound
	rs256 := lookupAlg("RS256")
	i := -1
	for j, k := range v.keys.keys {
		if b.usable(rs256, j) && k.fits(rs256) {
			i = j
			break
		}
	}
	if i < 0 {
		t.Fatal("no RS256 key for the host")
	}
	k := v.keys.keys[i]
	sig := make([]byte, k.rsa.Size())
	// The capacity appendHostArgsField asks for a text of n bytes.
	fixed := 2 + len("sha256") + len(b.keys[i].field) + 2*10 + len(sig)
	for _, c := range []struct {
		text int
		kept bool
	}{
		{10, true},
		{16<<10 - fixed, true},
		{16<<10 - fixed + 1, false},
		{10, true},
	} {
		if ans := b.verify(rs256, i, k, make([]byte, c.text), sig); ans != hostFalse {
			t.Fatalf("a zero signature: answer %v", ans)
		}
		if kept := b.args != nil; kept != c.kept {
			t.Errorf("text of %d bytes: buffer of capacity %d kept %v, want %v", c.text, cap(b.args), kept, c.kept)
		}
	}
}
