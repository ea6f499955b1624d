package proxy

import "encoding/binary"

// Limits cpp-host applies when it parses a serialized map from the guest
// (shared/PROXY-WASM.md §1.4, HOST limits.h).
const (
	MaxPairsBytes = 1 << 20
	MaxPairsCount = 1024
)

// EncodePairs serializes a header map the way the ABI expects: a u32 LE
// count N, N×(u32 key length, u32 value length), then each key and value
// followed by a NUL byte. An empty list encodes as nil.
func EncodePairs(pairs []Pair) []byte {
	if len(pairs) == 0 {
		return nil
	}
	size := 4 + 8*len(pairs)
	for _, p := range pairs {
		size += len(p.Key) + len(p.Value) + 2
	}
	buf := make([]byte, size)
	binary.LittleEndian.PutUint32(buf, uint32(len(pairs)))
	off := 4
	for _, p := range pairs {
		binary.LittleEndian.PutUint32(buf[off:], uint32(len(p.Key)))
		binary.LittleEndian.PutUint32(buf[off+4:], uint32(len(p.Value)))
		off += 8
	}
	for _, p := range pairs {
		off += copy(buf[off:], p.Key)
		buf[off] = 0
		off++
		off += copy(buf[off:], p.Value)
		buf[off] = 0
		off++
	}
	return buf
}

// DecodePairs parses the serialization EncodePairs produces. It returns
// false for a truncated or inconsistent buffer. Empty input (or a lone NUL)
// is an empty map.
func DecodePairs(buf []byte) ([]Pair, bool) {
	if len(buf) == 0 || (len(buf) == 1 && buf[0] == 0) {
		return nil, true
	}
	if len(buf) < 4 {
		return nil, false
	}
	n := binary.LittleEndian.Uint32(buf)
	if uint64(n)*8 > uint64(len(buf)-4) {
		return nil, false
	}
	pairs := make([]Pair, n)
	sizes := buf[4:]
	data := buf[4+8*int(n):]
	for i := range pairs {
		kl := int(binary.LittleEndian.Uint32(sizes[8*i:]))
		vl := int(binary.LittleEndian.Uint32(sizes[8*i+4:]))
		if kl < 0 || vl < 0 || kl+vl+2 > len(data) || kl+1+vl+1 < kl {
			return nil, false
		}
		pairs[i].Key = string(data[:kl])
		if data[kl] != 0 {
			return nil, false
		}
		data = data[kl+1:]
		pairs[i].Value = string(data[:vl])
		if data[vl] != 0 {
			return nil, false
		}
		data = data[vl+1:]
	}
	return pairs, true
}

// EncodePath joins property path segments with NUL bytes (no trailing NUL).
func EncodePath(path []string) []byte {
	size := 0
	for i, s := range path {
		if i > 0 {
			size++
		}
		size += len(s)
	}
	buf := make([]byte, 0, size)
	for i, s := range path {
		if i > 0 {
			buf = append(buf, 0)
		}
		buf = append(buf, s...)
	}
	return buf
}

// DecodePath splits a NUL-separated property path.
func DecodePath(buf []byte) []string {
	var path []string
	start := 0
	for i, c := range buf {
		if c == 0 {
			path = append(path, string(buf[start:i]))
			start = i + 1
		}
	}
	return append(path, string(buf[start:]))
}
