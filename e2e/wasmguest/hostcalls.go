package wasmguest

import (
	"github.com/tetratelabs/wazero/api"

	"github.com/apiguard/apiguard/filter/proxy"
)

// allowMask says in which V8 restricted-callback windows a host function
// may be called (docs/internals/proxy-wasm.md §2.2). Outside the windows every
// registered function may be called.
type allowMask uint8

const (
	allowInit133 allowMask = 1 << iota
	allowInit139
	allowAlloc133
	allowAlloc139

	allowInit  = allowInit133 | allowInit139
	allowAlloc = allowAlloc133 | allowAlloc139
)

// profileMask says which profiles register a host function.
type profileMask uint8

const (
	in133 profileMask = 1 << Envoy133
	in139 profileMask = 1 << Envoy139
	inAll             = in133 | in139
)

// hostFunc is one import cpp-host provides.
type hostFunc struct {
	module   string // modEnv or modWASI (also served as wasi_unstable)
	name     string
	sig      sig
	allow    allowMask
	profiles profileMask
	abi021   bool // registered only for ABI 0.2.1 modules
	fn       func(v *vm, stack []uint64)
	// call is set instead of fn for an env function whose one result is
	// a proxy.Status; init wraps it into fn.
	call func(c hostcall) proxy.Status
}

func (f *hostFunc) qualified() string { return f.module + "." + f.name }

// Map/buffer/stream enum maxima cpp-host range-checks before dispatching
// (HOST exports.cc: type > MAX → BadArgument).
const (
	maxMapType    = uint32(proxy.MapHttpCallResponseTrailer)
	maxBufferType = uint32(proxy.BufferCallData)
	maxStreamType = uint32(proxy.StreamUpstream)
	maxLogLevel   = uint32(proxy.LogCritical)
	maxMetricType = uint32(proxy.MetricHistogram)
)

func u32(v uint64) uint32 { return uint32(v) }

// envFuncs are the `env` imports of ABI 0.2.x (docs/internals/proxy-wasm.md §1.2),
// with the signatures cpp-host registers (Word → i32, 64-bit → i64).
var envFuncs = []*hostFunc{
	{name: "proxy_log", sig: sig{threI, oneI}, allow: allowInit | allowAlloc, call: hProxyLog},
	{name: "proxy_get_log_level", sig: sig{oneI, oneI}, abi021: true, call: hGetLogLevel},
	{name: "proxy_get_current_time_nanoseconds", sig: sig{oneI, oneI}, call: hGetCurrentTime},
	{name: "proxy_set_tick_period_milliseconds", sig: sig{oneI, oneI}, call: hSetTickPeriod},
	{name: "proxy_get_status", sig: sig{threI, oneI}, call: hGetStatus},
	{name: "proxy_get_property", sig: sig{ints(4), oneI}, call: hGetProperty},
	{name: "proxy_set_property", sig: sig{ints(4), oneI}, call: hSetProperty},
	{name: "proxy_send_local_response", sig: sig{ints(8), oneI}, call: hSendLocalResponse},
	{name: "proxy_get_shared_data", sig: sig{ints(5), oneI}, call: hGetSharedData},
	{name: "proxy_set_shared_data", sig: sig{ints(5), oneI}, call: hSetSharedData},
	{name: "proxy_register_shared_queue", sig: sig{threI, oneI}, call: hRegisterSharedQueue},
	{name: "proxy_resolve_shared_queue", sig: sig{ints(5), oneI}, call: hResolveSharedQueue},
	{name: "proxy_enqueue_shared_queue", sig: sig{threI, oneI}, call: hEnqueueSharedQueue},
	{name: "proxy_dequeue_shared_queue", sig: sig{threI, oneI}, call: hDequeueSharedQueue},
	{name: "proxy_get_header_map_value", sig: sig{ints(5), oneI}, call: hGetHeaderMapValue},
	{name: "proxy_add_header_map_value", sig: sig{ints(5), oneI}, call: hAddHeaderMapValue},
	{name: "proxy_replace_header_map_value", sig: sig{ints(5), oneI}, call: hReplaceHeaderMapValue},
	{name: "proxy_remove_header_map_value", sig: sig{threI, oneI}, call: hRemoveHeaderMapValue},
	{name: "proxy_get_header_map_pairs", sig: sig{threI, oneI}, call: hGetHeaderMapPairs},
	{name: "proxy_set_header_map_pairs", sig: sig{threI, oneI}, call: hSetHeaderMapPairs},
	{name: "proxy_get_header_map_size", sig: sig{twoI, oneI}, call: hGetHeaderMapSize},
	{name: "proxy_get_buffer_status", sig: sig{threI, oneI}, call: hGetBufferStatus},
	{name: "proxy_get_buffer_bytes", sig: sig{ints(5), oneI}, call: hGetBufferBytes},
	{name: "proxy_set_buffer_bytes", sig: sig{ints(5), oneI}, call: hSetBufferBytes},
	{name: "proxy_continue_stream", sig: sig{oneI, oneI}, call: hContinueStream},
	{name: "proxy_close_stream", sig: sig{oneI, oneI}, call: hCloseStream},
	{name: "proxy_http_call", sig: sig{ints(10), oneI}, call: hHttpCall},
	{name: "proxy_grpc_call", sig: sig{ints(12), oneI}, call: hGrpcCall},
	{name: "proxy_grpc_stream", sig: sig{ints(9), oneI}, call: hGrpcStream},
	{name: "proxy_grpc_send", sig: sig{ints(4), oneI}, call: hGrpcSend},
	{name: "proxy_grpc_cancel", sig: sig{oneI, oneI}, call: hGrpcCancel},
	{name: "proxy_grpc_close", sig: sig{oneI, oneI}, call: hGrpcClose},
	{name: "proxy_define_metric", sig: sig{ints(4), oneI}, call: hDefineMetric},
	{name: "proxy_increment_metric", sig: sig{[]api.ValueType{i32, i64}, oneI}, call: hIncrementMetric},
	{name: "proxy_record_metric", sig: sig{[]api.ValueType{i32, i64}, oneI}, call: hRecordMetric},
	{name: "proxy_get_metric", sig: sig{twoI, oneI}, call: hGetMetric},
	{name: "proxy_set_effective_context", sig: sig{oneI, oneI}, call: hSetEffectiveContext},
	{name: "proxy_done", sig: sig{none, oneI}, call: hDone},
	{name: "proxy_call_foreign_function", sig: sig{ints(6), oneI}, call: hCallForeignFunction},
	// Emscripten leftovers cpp-host always registers.
	{name: "pthread_equal", sig: sig{twoI, oneI}, fn: hPthreadEqual},
	{name: "emscripten_notify_memory_growth", sig: sig{oneI, none}, allow: allowInit, fn: func(*vm, []uint64) {}},
}

func init() {
	for _, f := range envFuncs {
		f.module = modEnv
		f.profiles = inAll
		if call := f.call; call != nil {
			f.fn = func(v *vm, s []uint64) { s[0] = uint64(call(hostcall{v: v, s: s})) }
		}
	}
}

// Each hostcall below decodes its arguments, calls the Host once nothing
// failed, and writes its results back (see hostcall for the order rules).

func hProxyLog(c hostcall) proxy.Status {
	level, msg := c.enum(0, maxLogLevel), c.str(1)
	if c.failed() {
		return c.st
	}
	return c.v.host.Log(proxy.LogLevel(level), msg)
}

func hGetLogLevel(c hostcall) proxy.Status {
	lvl, st := c.v.host.GetLogLevel()
	if st != proxy.StatusOK {
		return st
	}
	return c.putU32(0, uint32(lvl))
}

func hGetCurrentTime(c hostcall) proxy.Status { return c.putU64(0, uint64(c.v.host.Now())) }

func hSetTickPeriod(c hostcall) proxy.Status { return c.v.host.SetTickPeriod(c.arg(0)) }

func hGetStatus(c hostcall) proxy.Status {
	code, msg, st := c.v.host.GetStatus()
	if st != proxy.StatusOK {
		return st
	}
	c.putU32(0, code)
	return c.outString(1, msg)
}

func hGetProperty(c hostcall) proxy.Status {
	path := c.view(0)
	if c.failed() {
		return c.st
	}
	val, st := c.v.host.GetProperty(proxy.DecodePath(path))
	if st != proxy.StatusOK {
		return st
	}
	return c.outBytes(2, val)
}

func hSetProperty(c hostcall) proxy.Status {
	path, val := c.view(0), c.bytes(2)
	if c.failed() {
		return c.st
	}
	return c.v.host.SetProperty(proxy.DecodePath(path), val)
}

func hSendLocalResponse(c hostcall) proxy.Status {
	details, body, hdrs := c.str(1), c.bytes(3), c.pairs(5)
	if c.failed() {
		return c.st
	}
	return c.v.host.SendLocalResponse(c.arg(0), details, body, hdrs, int32(c.arg(7)))
}

func hGetSharedData(c hostcall) proxy.Status {
	key := c.str(0)
	if c.failed() {
		return c.st
	}
	val, cas, st := c.v.host.GetSharedData(key)
	if st != proxy.StatusOK {
		return st
	}
	c.outBytes(2, val)
	return c.putU32(4, cas)
}

func hSetSharedData(c hostcall) proxy.Status {
	key, val := c.str(0), c.bytes(2)
	if c.failed() {
		return c.st
	}
	return c.v.host.SetSharedData(key, val, c.arg(4))
}

// Shared queues are not part of proxy.Host (apiguard does not use them);
// arguments are still validated like cpp-host before answering.
func hRegisterSharedQueue(c hostcall) proxy.Status {
	c.view(0)
	return c.orElse(proxy.StatusUnimplemented)
}

func hResolveSharedQueue(c hostcall) proxy.Status {
	c.view(0)
	c.view(2)
	return c.orElse(proxy.StatusUnimplemented)
}

func hEnqueueSharedQueue(c hostcall) proxy.Status {
	c.view(1)
	return c.orElse(proxy.StatusUnimplemented)
}

func hDequeueSharedQueue(hostcall) proxy.Status { return proxy.StatusUnimplemented }

func hGetHeaderMapValue(c hostcall) proxy.Status {
	typ, key := proxy.MapType(c.enum(0, maxMapType)), c.str(1)
	if c.failed() {
		return c.st
	}
	val, st := c.v.host.GetHeaderMapValue(typ, key)
	if st != proxy.StatusOK {
		return st
	}
	return c.outString(3, val)
}

func hAddHeaderMapValue(c hostcall) proxy.Status {
	typ, key, val := proxy.MapType(c.enum(0, maxMapType)), c.str(1), c.str(3)
	if c.failed() {
		return c.st
	}
	return c.v.host.AddHeaderMapValue(typ, key, val)
}

func hReplaceHeaderMapValue(c hostcall) proxy.Status {
	typ, key, val := proxy.MapType(c.enum(0, maxMapType)), c.str(1), c.str(3)
	if c.failed() {
		return c.st
	}
	return c.v.host.ReplaceHeaderMapValue(typ, key, val)
}

func hRemoveHeaderMapValue(c hostcall) proxy.Status {
	typ, key := proxy.MapType(c.enum(0, maxMapType)), c.str(1)
	if c.failed() {
		return c.st
	}
	return c.v.host.RemoveHeaderMapValue(typ, key)
}

func hGetHeaderMapPairs(c hostcall) proxy.Status {
	typ := proxy.MapType(c.enum(0, maxMapType))
	if c.failed() {
		return c.st
	}
	pairs, st := c.v.host.GetHeaderMapPairs(typ)
	if st != proxy.StatusOK {
		return st
	}
	return c.outBytes(1, proxy.EncodePairs(pairs))
}

func hSetHeaderMapPairs(c hostcall) proxy.Status {
	typ, pairs := proxy.MapType(c.enum(0, maxMapType)), c.pairs(1)
	if c.failed() {
		return c.st
	}
	return c.v.host.SetHeaderMapPairs(typ, pairs)
}

// hGetHeaderMapSize answers Envoy's HeaderMap::byteSize(): the sum of key
// and value lengths. proxy.Host has no dedicated method, so the size is
// derived from the pairs.
func hGetHeaderMapSize(c hostcall) proxy.Status {
	typ := proxy.MapType(c.enum(0, maxMapType))
	if c.failed() {
		return c.st
	}
	pairs, st := c.v.host.GetHeaderMapPairs(typ)
	if st != proxy.StatusOK {
		return st
	}
	size := 0
	for _, p := range pairs {
		size += len(p.Key) + len(p.Value)
	}
	return c.putU32(1, uint32(size))
}

func hGetBufferStatus(c hostcall) proxy.Status {
	typ := proxy.BufferType(c.enum(0, maxBufferType))
	if c.failed() {
		return c.st
	}
	n, flags, st := c.v.host.GetBufferStatus(typ)
	if st != proxy.StatusOK {
		return st
	}
	c.putU32(1, uint32(n))
	return c.putU32(2, flags)
}

func hGetBufferBytes(c hostcall) proxy.Status {
	typ, start, length := proxy.BufferType(c.enum(0, maxBufferType)), c.arg(1), c.arg(2)
	if start+length < start {
		c.fail(proxy.StatusBadArgument)
	}
	if c.failed() {
		return c.st
	}
	data, st := c.v.host.GetBufferBytes(typ, int(start), int(length))
	if st != proxy.StatusOK {
		return st
	}
	return c.outBytes(3, data)
}

func hSetBufferBytes(c hostcall) proxy.Status {
	typ, data := proxy.BufferType(c.enum(0, maxBufferType)), c.bytes(3)
	if c.failed() {
		return c.st
	}
	return c.v.host.SetBufferBytes(typ, int(c.arg(1)), int(c.arg(2)), data)
}

func hContinueStream(c hostcall) proxy.Status {
	typ := proxy.StreamType(c.enum(0, maxStreamType))
	if c.failed() {
		return c.st
	}
	return c.v.host.ContinueStream(typ)
}

func hCloseStream(c hostcall) proxy.Status {
	typ := proxy.StreamType(c.enum(0, maxStreamType))
	if c.failed() {
		return c.st
	}
	return c.v.host.CloseStream(typ)
}

func hHttpCall(c hostcall) proxy.Status {
	cluster, hdrs, body, trls := c.str(0), c.pairs(2), c.bytes(4), c.pairs(6)
	// cpp-host writes the token once before starting the callout so that a
	// bad pointer fails before any side effect.
	if st := c.putU32(9, 0); st != proxy.StatusOK {
		return st
	}
	token, st := c.v.host.HttpCall(cluster, hdrs, body, trls, c.arg(8))
	c.putU32(9, token)
	return st
}

func hGrpcCall(c hostcall) proxy.Status {
	service, serviceName, method := c.str(0), c.str(2), c.str(4)
	md, msg := c.pairs(6), c.bytes(8)
	if c.failed() {
		return c.st
	}
	token, st := c.v.host.GrpcCall(service, serviceName, method, md, msg, c.arg(10))
	if st != proxy.StatusOK {
		return st
	}
	return c.putU32(11, token)
}

// gRPC streams are not part of proxy.Host.
func hGrpcStream(c hostcall) proxy.Status {
	for i := 0; i < 8; i += 2 {
		c.view(i)
	}
	return c.orElse(proxy.StatusUnimplemented)
}

func hGrpcSend(c hostcall) proxy.Status {
	c.view(1)
	return c.orElse(proxy.StatusUnimplemented)
}

func hGrpcCancel(c hostcall) proxy.Status { return c.v.host.GrpcCancel(c.arg(0)) }

func hGrpcClose(c hostcall) proxy.Status { return c.v.host.GrpcClose(c.arg(0)) }

func hDefineMetric(c hostcall) proxy.Status {
	typ, name := proxy.MetricType(c.enum(0, maxMetricType)), c.str(1)
	if c.failed() {
		return c.st
	}
	id, st := c.v.host.DefineMetric(typ, name)
	if st != proxy.StatusOK {
		return st
	}
	return c.putU32(3, id)
}

func hIncrementMetric(c hostcall) proxy.Status {
	return c.v.host.IncrementMetric(c.arg(0), int64(c.s[1]))
}

func hRecordMetric(c hostcall) proxy.Status {
	return c.v.host.RecordMetric(c.arg(0), int64(c.s[1]))
}

func hGetMetric(c hostcall) proxy.Status {
	val, st := c.v.host.GetMetric(c.arg(0))
	if st != proxy.StatusOK {
		return st
	}
	return c.putU64(1, val)
}

func hSetEffectiveContext(c hostcall) proxy.Status {
	return c.v.host.SetEffectiveContext(c.arg(0))
}

func hDone(c hostcall) proxy.Status { return c.v.host.Done() }

// hCallForeignFunction is cpp-host's call_foreign_function: the name is
// read first and an unregistered one is NotFound before the arguments are
// looked at (nothing written); then the function runs. Its result is
// copied into a block from the guest's allocator, also when empty (the
// function asks for it whatever the size), and (pointer, size) go to the
// return slots; a function that fails allocates nothing, and the slots get
// (0, 0) all the same.
func hCallForeignFunction(c hostcall) proxy.Status {
	name := c.str(0)
	if c.failed() {
		return c.st
	}
	if r, ok := c.v.host.(interface{ HasForeignFunction(string) bool }); ok && !r.HasForeignFunction(name) {
		return proxy.StatusNotFound
	}
	args := c.bytes(2)
	if c.failed() {
		return c.st
	}
	out, st := c.v.host.CallForeignFunction(name, args)
	if st == proxy.StatusNotFound && out == nil {
		return st
	}
	var ptr uint32
	if st == proxy.StatusOK {
		var ok bool
		if ptr, ok = c.v.alloc(uint32(len(out))); !ok {
			return proxy.StatusInvalidMemoryAccess
		}
		dst, _ := c.v.mem.Read(ptr, uint32(len(out)))
		copy(dst, out)
	} else {
		out = nil
	}
	if !c.v.mem.WriteUint32Le(c.arg(4), ptr) || !c.v.mem.WriteUint32Le(c.arg(5), uint32(len(out))) {
		return proxy.StatusInvalidMemoryAccess
	}
	return st
}

func hPthreadEqual(_ *vm, s []uint64) {
	if u32(s[0]) == u32(s[1]) {
		s[0] = 1
	} else {
		s[0] = 0
	}
}
