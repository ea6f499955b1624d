package abi

import "unsafe"

// EqualStrings reports whether a and b are equal, as a == b does, reading
// eight-byte words, four to a loop turn. Go's wasm runtime compares memory
// one byte per loop turn (docs/performance.md "Whole requests"), which
// made the whole token comparison of a verified-token cache hit a visible
// part of a cached request; the module gives this to filter/jwt
// (jwt.SetTokenEqual).
// It builds on every platform so that it is tested natively.
func EqualStrings(a, b string) bool {
	n := len(a)
	if n != len(b) {
		return false
	}
	pa, pb := unsafe.Pointer(unsafe.StringData(a)), unsafe.Pointer(unsafe.StringData(b))
	if pa == pb {
		return true
	}
	word := func(p unsafe.Pointer, i int) uint64 { return *(*uint64)(unsafe.Add(p, i)) }
	i := 0
	// 32 bytes a turn: one branch for four words (a token of 800 bytes
	// takes 25 turns instead of 100).
	for ; i+32 <= n; i += 32 {
		if (word(pa, i)^word(pb, i))|(word(pa, i+8)^word(pb, i+8))|
			(word(pa, i+16)^word(pb, i+16))|(word(pa, i+24)^word(pb, i+24)) != 0 {
			return false
		}
	}
	for ; i+8 <= n; i += 8 {
		if word(pa, i) != word(pb, i) {
			return false
		}
	}
	if i < n && n >= 8 {
		// The last word again, overlapping what was compared.
		return word(pa, n-8) == word(pb, n-8)
	}
	for ; i < n; i++ {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
