package wasmguest

import "github.com/apiguard/apiguard/filter/proxy"

// hostcall is one invocation of an env import whose result is a
// proxy.Status: it decodes the wasm arguments and writes results back to
// the guest.
// Arguments are addressed by their position in the wasm signature; a guest
// range or an out-pointer pair (pointer, size) starts at position i.
//
// The first failure sticks: BadArgument for an enum out of range,
// InvalidMemoryAccess for a guest range or result pointer out of bounds.
// After it, decoders return zero values without reading and writers do
// nothing (no guest malloc either), so a hostcall checks failed() once
// before it calls the Host, and the order of its decode and write calls is
// the order in which cpp-host checks.
type hostcall struct {
	v  *vm
	s  []uint64
	st proxy.Status
}

func (c *hostcall) arg(i int) uint32 { return uint32(c.s[i]) }

func (c *hostcall) failed() bool { return c.st != proxy.StatusOK }

// fail records st unless an earlier failure is already recorded.
func (c *hostcall) fail(st proxy.Status) {
	if c.st == proxy.StatusOK {
		c.st = st
	}
}

// orElse answers st for a hostcall the emulator only validates.
func (c *hostcall) orElse(st proxy.Status) proxy.Status {
	if c.failed() {
		return c.st
	}
	return st
}

// enum returns argument i; above limit it records BadArgument (HOST
// exports.cc range-checks enum arguments before it touches memory).
func (c *hostcall) enum(i int, limit uint32) uint32 {
	x := c.arg(i)
	if x > limit {
		c.fail(proxy.StatusBadArgument)
	}
	return x
}

// view returns the guest range at i as a view of guest memory, valid only
// until the guest runs again (an allocation may move it).
func (c *hostcall) view(i int) []byte {
	if c.failed() {
		return nil
	}
	b, ok := c.v.mem.Read(c.arg(i), c.arg(i+1))
	if !ok {
		c.fail(proxy.StatusInvalidMemoryAccess)
		return nil
	}
	return b
}

// bytes returns a copy of the guest range at i that the Host may keep.
func (c *hostcall) bytes(i int) []byte {
	b := c.view(i)
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

func (c *hostcall) str(i int) string { return string(c.view(i)) }

// pairs decodes the serialized map at i; see guestPairs.
func (c *hostcall) pairs(i int) []proxy.Pair { return guestPairs(c.view(i)) }

// putU32 writes val to the result pointer at i.
func (c *hostcall) putU32(i int, val uint32) proxy.Status {
	if !c.failed() && !c.v.mem.WriteUint32Le(c.arg(i), val) {
		c.fail(proxy.StatusInvalidMemoryAccess)
	}
	return c.st
}

// putU64 writes val to the result pointer at i.
func (c *hostcall) putU64(i int, val uint64) proxy.Status {
	if !c.failed() && !c.v.mem.WriteUint64Le(c.arg(i), val) {
		c.fail(proxy.StatusInvalidMemoryAccess)
	}
	return c.st
}

// outBytes copies data into a guest allocation whose (pointer, size) go to
// the out-pointer pair at i; see copyOut.
func (c *hostcall) outBytes(i int, data []byte) proxy.Status {
	if !c.failed() {
		c.fail(copyOut(c.v, data, c.arg(i), c.arg(i+1)))
	}
	return c.st
}

// outString is outBytes for a string, without converting it.
func (c *hostcall) outString(i int, s string) proxy.Status {
	if !c.failed() {
		c.fail(copyOut(c.v, s, c.arg(i), c.arg(i+1)))
	}
	return c.st
}

// copyOut is cpp-host's copyToPointerSize: one guest allocation per
// result, (ptr,len) written as 4-byte words; empty results write (0,0)
// without calling malloc.
func copyOut[T []byte | string](v *vm, data T, ptrPtr, sizePtr uint32) proxy.Status {
	var ptr uint32
	if len(data) > 0 {
		var ok bool
		if ptr, ok = v.alloc(uint32(len(data))); !ok {
			return proxy.StatusInvalidMemoryAccess
		}
		// alloc checked that the whole range is in bounds.
		dst, _ := v.mem.Read(ptr, uint32(len(data)))
		copy(dst, data)
	}
	if !v.mem.WriteUint32Le(ptrPtr, ptr) || !v.mem.WriteUint32Le(sizePtr, uint32(len(data))) {
		return proxy.StatusInvalidMemoryAccess
	}
	return proxy.StatusOK
}

// guestPairs decodes a serialized map like cpp-host's PairsUtil::toPairs:
// anything malformed, over 1 MiB or over 1024 pairs becomes an empty map
// rather than an error (only a bad pointer fails, in view).
func guestPairs(b []byte) []proxy.Pair {
	if len(b) > proxy.MaxPairsBytes {
		return nil
	}
	pairs, ok := proxy.DecodePairs(b)
	if !ok || len(pairs) > proxy.MaxPairsCount || len(pairs) == 0 {
		return nil
	}
	want := 4
	for _, p := range pairs {
		want += 8 + len(p.Key) + len(p.Value) + 2
	}
	if want != len(b) { // trailing bytes: toPairs requires pos == end
		return nil
	}
	return pairs
}
