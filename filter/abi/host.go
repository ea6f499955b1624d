//go:build wasip1

package abi

import (
	"os"
	"time"
	"unsafe"

	"github.com/apiguard/apiguard/filter/proxy"
)

// Host returns the proxy.Host backed by this module's hostcalls.
func Host() proxy.Host { return wasmHost{} }

type wasmHost struct{}

var _ proxy.Host = wasmHost{}

// hostBytes turns the (address, length) a hostcall wrote into a byte slice.
// The memory was allocated by our own allocation export for this one call,
// so the slice owns it: no copy is needed.
//
// hostString does the same as a string, and that is safe for the same
// reasons, which make the bytes immutable from then on, as a string's must
// be: proxyOnMemoryAllocate made a fresh Go []byte for this one hostcall
// and kept it only in pending; the host wrote into it before the hostcall
// returned and never touches it again (every later hostcall gets a block
// of its own); releaseAlloc drops pending, so the string is the only
// reference left and nothing in the module can write those bytes. The
// block is ordinary Go heap memory, so the garbage collector keeps it alive
// as long as the string, or any substring of it, is held.
func hostBytes(p *byte, n uint32) []byte {
	if p == nil || n == 0 {
		return nil
	}
	b := unsafe.Slice(p, n)
	releaseAlloc()
	return b
}

func hostString(p *byte, n uint32) string {
	if p == nil || n == 0 {
		return ""
	}
	s := unsafe.String(p, n)
	releaseAlloc()
	return s
}

func dataPtr(b []byte) *byte {
	if len(b) == 0 {
		return nil
	}
	return &b[0]
}

// out receives the out-parameters of the hostcall being made. A local
// variable whose address is passed to a //go:wasmimport function moves to
// the heap, two allocations per hostcall that returns bytes; a stack
// address would not do either, since the host calls the module's
// allocator during such a hostcall and that call may grow (move) the
// stack before the host writes the results. One hostcall runs at a time
// and the allocator makes none, so one package-level block serves them
// all. addr is reset before each call: the host writes only its low four
// bytes (docs/internals/proxy-wasm.md §1.1).
var out struct {
	addr       *byte
	size, word uint32
	wide       uint64
}

// resetOut clears out before a hostcall that returns bytes.
func resetOut() { out.addr, out.size, out.word = nil, 0, 0 }

// outBytes and outString take what the hostcall wrote to out (hostBytes,
// hostString), and drop out's reference to the block.
func outBytes() []byte {
	p, n := out.addr, out.size
	out.addr = nil
	return hostBytes(p, n)
}

func outString() string {
	p, n := out.addr, out.size
	out.addr = nil
	return hostString(p, n)
}

func (wasmHost) Log(level proxy.LogLevel, msg string) proxy.Status {
	return proxy.Status(proxyLog(uint32(level), msg))
}

func (wasmHost) GetLogLevel() (proxy.LogLevel, proxy.Status) {
	out.word = 0
	st := proxyGetLogLevel(&out.word)
	return proxy.LogLevel(out.word), proxy.Status(st)
}

// Now reads WASI clock_time_get(realtime); Envoy's
// proxy_get_current_time_nanoseconds is deprecated in its favour. It
// calls the clock itself, once: time.Now reads the monotonic clock too, a
// second hostcall whose answer Now would drop. The clock cannot reenter
// the module, so its out-parameter may stay on the stack.
func (wasmHost) Now() int64 {
	var t uint64
	if clockTimeGet(0, 0, &t) != 0 {
		return time.Now().UnixNano() // the runtime's read throws instead
	}
	return int64(t)
}

// Environ reads WASI environ (the VM's vm_config.environment_variables)
// through the Go runtime, which copied it at start.
func (wasmHost) Environ() []string { return os.Environ() }

func (wasmHost) SetTickPeriod(ms uint32) proxy.Status {
	return proxy.Status(proxySetTickPeriodMilliseconds(ms))
}

func (wasmHost) GetProperty(path []string) ([]byte, proxy.Status) {
	enc := proxy.EncodePath(path)
	resetOut()
	st := proxy.Status(proxyGetProperty(dataPtr(enc), uint32(len(enc)), unsafe.Pointer(&out.addr), &out.size))
	if st != proxy.StatusOK {
		out.addr = nil
		return nil, st
	}
	return outBytes(), st
}

func (wasmHost) SetProperty(path []string, value []byte) proxy.Status {
	enc := proxy.EncodePath(path)
	return proxy.Status(proxySetProperty(dataPtr(enc), uint32(len(enc)), dataPtr(value), uint32(len(value))))
}

func (wasmHost) SendLocalResponse(code uint32, details string, body []byte, headers []proxy.Pair, grpcStatus int32) proxy.Status {
	hdrs := proxy.EncodePairs(headers)
	return proxy.Status(proxySendLocalResponse(code, details, dataPtr(body), uint32(len(body)),
		dataPtr(hdrs), uint32(len(hdrs)), grpcStatus))
}

func (wasmHost) GetSharedData(key string) ([]byte, uint32, proxy.Status) {
	resetOut()
	st := proxy.Status(proxyGetSharedData(key, unsafe.Pointer(&out.addr), &out.size, &out.word))
	if st != proxy.StatusOK {
		out.addr = nil
		return nil, 0, st
	}
	cas := out.word
	return outBytes(), cas, st
}

func (wasmHost) SetSharedData(key string, value []byte, cas uint32) proxy.Status {
	return proxy.Status(proxySetSharedData(key, dataPtr(value), uint32(len(value)), cas))
}

func (wasmHost) GetHeaderMapValue(m proxy.MapType, key string) (string, proxy.Status) {
	resetOut()
	st := proxy.Status(proxyGetHeaderMapValue(uint32(m), key, unsafe.Pointer(&out.addr), &out.size))
	if st != proxy.StatusOK {
		out.addr = nil
		return "", st
	}
	return outString(), st
}

func (wasmHost) GetHeaderMapPairs(m proxy.MapType) ([]proxy.Pair, proxy.Status) {
	resetOut()
	st := proxy.Status(proxyGetHeaderMapPairs(uint32(m), unsafe.Pointer(&out.addr), &out.size))
	if st != proxy.StatusOK {
		out.addr = nil
		return nil, st
	}
	// The keys and values are substrings of the host's block, not copies
	// (hostString says why that is safe).
	pairs, ok := proxy.DecodePairsString(outString())
	if !ok {
		return nil, proxy.StatusSerializationFailure
	}
	return pairs, st
}

func (wasmHost) SetHeaderMapPairs(m proxy.MapType, pairs []proxy.Pair) proxy.Status {
	enc := proxy.EncodePairs(pairs)
	return proxy.Status(proxySetHeaderMapPairs(uint32(m), dataPtr(enc), uint32(len(enc))))
}

func (wasmHost) AddHeaderMapValue(m proxy.MapType, key, value string) proxy.Status {
	return proxy.Status(proxyAddHeaderMapValue(uint32(m), key, value))
}

func (wasmHost) ReplaceHeaderMapValue(m proxy.MapType, key, value string) proxy.Status {
	return proxy.Status(proxyReplaceHeaderMapValue(uint32(m), key, value))
}

func (wasmHost) RemoveHeaderMapValue(m proxy.MapType, key string) proxy.Status {
	return proxy.Status(proxyRemoveHeaderMapValue(uint32(m), key))
}

func (wasmHost) GetBufferStatus(b proxy.BufferType) (int, uint32, proxy.Status) {
	out.size, out.word = 0, 0
	st := proxy.Status(proxyGetBufferStatus(uint32(b), &out.size, &out.word))
	return int(out.size), out.word, st
}

func (wasmHost) GetBufferBytes(b proxy.BufferType, start, maxSize int) ([]byte, proxy.Status) {
	if start < 0 || maxSize < 0 {
		return nil, proxy.StatusBadArgument
	}
	resetOut()
	st := proxy.Status(proxyGetBufferBytes(uint32(b), uint32(start), uint32(maxSize), unsafe.Pointer(&out.addr), &out.size))
	if st != proxy.StatusOK {
		out.addr = nil
		return nil, st
	}
	return outBytes(), st
}

func (wasmHost) SetBufferBytes(b proxy.BufferType, start, size int, data []byte) proxy.Status {
	if start < 0 || size < 0 {
		return proxy.StatusBadArgument
	}
	return proxy.Status(proxySetBufferBytes(uint32(b), uint32(start), uint32(size), dataPtr(data), uint32(len(data))))
}

func (wasmHost) ContinueStream(s proxy.StreamType) proxy.Status {
	return proxy.Status(proxyContinueStream(uint32(s)))
}

func (wasmHost) CloseStream(s proxy.StreamType) proxy.Status {
	return proxy.Status(proxyCloseStream(uint32(s)))
}

func (wasmHost) HttpCall(cluster string, headers []proxy.Pair, body []byte, trailers []proxy.Pair, timeoutMs uint32) (uint32, proxy.Status) {
	h := proxy.EncodePairs(headers)
	t := proxy.EncodePairs(trailers)
	out.word = 0
	st := proxy.Status(proxyHttpCall(cluster, dataPtr(h), uint32(len(h)), dataPtr(body), uint32(len(body)),
		dataPtr(t), uint32(len(t)), timeoutMs, &out.word))
	return out.word, st
}

func (wasmHost) GrpcCall(service, serviceName, method string, metadata []proxy.Pair, message []byte, timeoutMs uint32) (uint32, proxy.Status) {
	md := proxy.EncodePairs(metadata)
	out.word = 0
	st := proxy.Status(proxyGrpcCall(service, serviceName, method, dataPtr(md), uint32(len(md)),
		dataPtr(message), uint32(len(message)), timeoutMs, &out.word))
	return out.word, st
}

func (wasmHost) GrpcCancel(token uint32) proxy.Status { return proxy.Status(proxyGrpcCancel(token)) }
func (wasmHost) GrpcClose(token uint32) proxy.Status  { return proxy.Status(proxyGrpcClose(token)) }

func (wasmHost) GetStatus() (uint32, string, proxy.Status) {
	resetOut()
	st := proxy.Status(proxyGetStatus(&out.word, unsafe.Pointer(&out.addr), &out.size))
	if st != proxy.StatusOK {
		out.addr = nil
		return 0, "", st
	}
	code := out.word
	return code, outString(), st
}

func (wasmHost) DefineMetric(t proxy.MetricType, name string) (uint32, proxy.Status) {
	out.word = 0
	st := proxy.Status(proxyDefineMetric(uint32(t), name, &out.word))
	return out.word, st
}

func (wasmHost) IncrementMetric(id uint32, delta int64) proxy.Status {
	return proxy.Status(proxyIncrementMetric(id, delta))
}

func (wasmHost) RecordMetric(id uint32, value int64) proxy.Status {
	return proxy.Status(proxyRecordMetric(id, value))
}

func (wasmHost) GetMetric(id uint32) (uint64, proxy.Status) {
	out.wide = 0
	st := proxy.Status(proxyGetMetric(id, &out.wide))
	return out.wide, st
}

func (wasmHost) SetEffectiveContext(id uint32) proxy.Status {
	return proxy.Status(proxySetEffectiveContext(id))
}

func (wasmHost) Done() proxy.Status { return proxy.Status(proxyDone()) }

// CallForeignFunction implements proxy.Host. The host allocates the result
// through our allocator whenever the function produced one, even of size
// 0 (cpp-host's call_foreign_function), so the pending block is released
// whatever the size.
func (wasmHost) CallForeignFunction(name string, args []byte) ([]byte, proxy.Status) {
	resetOut()
	st := proxy.Status(proxyCallForeignFunction(name, dataPtr(args), uint32(len(args)), unsafe.Pointer(&out.addr), &out.size))
	if st != proxy.StatusOK {
		out.addr = nil
		releaseAlloc()
		return nil, st
	}
	b := outBytes()
	releaseAlloc()
	return b, st
}
