package abi

import "unsafe"

// EqualStrings reports whether a and b are equal, as a == b does, reading
// eight bytes at a time. Go's wasm runtime compares memory one byte per
// loop turn (docs/performance.md "Whole requests"), which made the whole
// token comparison of a verified-token cache hit a visible part of a
// cached request; the module gives this to filter/jwt (jwt.SetTokenEqual).
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
	i := 0
	for ; i+8 <= n; i += 8 {
		if *(*uint64)(unsafe.Add(pa, i)) != *(*uint64)(unsafe.Add(pb, i)) {
			return false
		}
	}
	for ; i < n; i++ {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
