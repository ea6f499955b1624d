package proxy

import "encoding/binary"

// Limits cpp-host applies when it parses a serialized map from the guest
// (docs/internals/proxy-wasm.md §1.4, HOST limits.h).
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
// is an empty map. The keys and values are substrings of one copy of buf,
// so buf may be reused afterwards; a caller that owns a buffer nobody will
// write again can skip that copy with DecodePairsString.
func DecodePairs(buf []byte) ([]Pair, bool) {
	return DecodePairsString(string(buf))
}

// DecodePairsString is DecodePairs over a string: every key and value is a
// substring of s (one allocation, the slice of pairs, whatever the number
// of headers), so they keep all of s alive for as long as any is held.
func DecodePairsString(s string) ([]Pair, bool) {
	if len(s) == 0 || (len(s) == 1 && s[0] == 0) {
		return nil, true
	}
	if len(s) < 4 {
		return nil, false
	}
	n := u32(s)
	if uint64(n)*8 > uint64(len(s)-4) {
		return nil, false
	}
	pairs := make([]Pair, n)
	sizes := s[4:]
	data := s[4+8*int(n):]
	for i := range pairs {
		kl := int(u32(sizes[8*i:]))
		vl := int(u32(sizes[8*i+4:]))
		if kl < 0 || vl < 0 || kl+vl+2 > len(data) || kl+1+vl+1 < kl {
			return nil, false
		}
		if data[kl] != 0 {
			return nil, false
		}
		pairs[i].Key = data[:kl]
		data = data[kl+1:]
		if data[vl] != 0 {
			return nil, false
		}
		pairs[i].Value = data[:vl]
		data = data[vl+1:]
	}
	return pairs, true
}

// u32 reads a little-endian u32 from the start of s (len(s) >= 4).
func u32(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
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
