package wasmguest

import (
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/tetratelabs/wazero/api"
)

// allowMask says in which V8 restricted-callback windows a host function
// may be called (shared/PROXY-WASM.md §2.2). Outside the windows every
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

func ret(stack []uint64, st proxy.Status) { stack[0] = uint64(st) }

func u32(v uint64) uint32 { return uint32(v) }

// envFuncs are the `env` imports of ABI 0.2.x (shared/PROXY-WASM.md §1.2),
// with the signatures cpp-host registers (Word → i32, 64-bit → i64).
var envFuncs = []*hostFunc{
	{name: "proxy_log", sig: sig{threI, oneI}, allow: allowInit | allowAlloc, fn: hProxyLog},
	{name: "proxy_get_log_level", sig: sig{oneI, oneI}, abi021: true, fn: hGetLogLevel},
	{name: "proxy_get_current_time_nanoseconds", sig: sig{oneI, oneI}, fn: hGetCurrentTime},
	{name: "proxy_set_tick_period_milliseconds", sig: sig{oneI, oneI}, fn: hSetTickPeriod},
	{name: "proxy_get_status", sig: sig{threI, oneI}, fn: hGetStatus},
	{name: "proxy_get_property", sig: sig{ints(4), oneI}, fn: hGetProperty},
	{name: "proxy_set_property", sig: sig{ints(4), oneI}, fn: hSetProperty},
	{name: "proxy_send_local_response", sig: sig{ints(8), oneI}, fn: hSendLocalResponse},
	{name: "proxy_get_shared_data", sig: sig{ints(5), oneI}, fn: hGetSharedData},
	{name: "proxy_set_shared_data", sig: sig{ints(5), oneI}, fn: hSetSharedData},
	{name: "proxy_register_shared_queue", sig: sig{threI, oneI}, fn: hRegisterSharedQueue},
	{name: "proxy_resolve_shared_queue", sig: sig{ints(5), oneI}, fn: hResolveSharedQueue},
	{name: "proxy_enqueue_shared_queue", sig: sig{threI, oneI}, fn: hEnqueueSharedQueue},
	{name: "proxy_dequeue_shared_queue", sig: sig{threI, oneI}, fn: hDequeueSharedQueue},
	{name: "proxy_get_header_map_value", sig: sig{ints(5), oneI}, fn: hGetHeaderMapValue},
	{name: "proxy_add_header_map_value", sig: sig{ints(5), oneI}, fn: hAddHeaderMapValue},
	{name: "proxy_replace_header_map_value", sig: sig{ints(5), oneI}, fn: hReplaceHeaderMapValue},
	{name: "proxy_remove_header_map_value", sig: sig{threI, oneI}, fn: hRemoveHeaderMapValue},
	{name: "proxy_get_header_map_pairs", sig: sig{threI, oneI}, fn: hGetHeaderMapPairs},
	{name: "proxy_set_header_map_pairs", sig: sig{threI, oneI}, fn: hSetHeaderMapPairs},
	{name: "proxy_get_header_map_size", sig: sig{twoI, oneI}, fn: hGetHeaderMapSize},
	{name: "proxy_get_buffer_status", sig: sig{threI, oneI}, fn: hGetBufferStatus},
	{name: "proxy_get_buffer_bytes", sig: sig{ints(5), oneI}, fn: hGetBufferBytes},
	{name: "proxy_set_buffer_bytes", sig: sig{ints(5), oneI}, fn: hSetBufferBytes},
	{name: "proxy_continue_stream", sig: sig{oneI, oneI}, fn: hContinueStream},
	{name: "proxy_close_stream", sig: sig{oneI, oneI}, fn: hCloseStream},
	{name: "proxy_http_call", sig: sig{ints(10), oneI}, fn: hHttpCall},
	{name: "proxy_grpc_call", sig: sig{ints(12), oneI}, fn: hGrpcCall},
	{name: "proxy_grpc_stream", sig: sig{ints(9), oneI}, fn: hGrpcStream},
	{name: "proxy_grpc_send", sig: sig{ints(4), oneI}, fn: hGrpcSend},
	{name: "proxy_grpc_cancel", sig: sig{oneI, oneI}, fn: hGrpcCancel},
	{name: "proxy_grpc_close", sig: sig{oneI, oneI}, fn: hGrpcClose},
	{name: "proxy_define_metric", sig: sig{ints(4), oneI}, fn: hDefineMetric},
	{name: "proxy_increment_metric", sig: sig{[]api.ValueType{i32, i64}, oneI}, fn: hIncrementMetric},
	{name: "proxy_record_metric", sig: sig{[]api.ValueType{i32, i64}, oneI}, fn: hRecordMetric},
	{name: "proxy_get_metric", sig: sig{twoI, oneI}, fn: hGetMetric},
	{name: "proxy_set_effective_context", sig: sig{oneI, oneI}, fn: hSetEffectiveContext},
	{name: "proxy_done", sig: sig{none, oneI}, fn: hDone},
	{name: "proxy_call_foreign_function", sig: sig{ints(6), oneI}, fn: hCallForeignFunction},
	// Emscripten leftovers cpp-host always registers.
	{name: "pthread_equal", sig: sig{twoI, oneI}, fn: hPthreadEqual},
	{name: "emscripten_notify_memory_growth", sig: sig{oneI, none}, allow: allowInit, fn: func(*vm, []uint64) {}},
}

func init() {
	for _, f := range envFuncs {
		f.module = modEnv
		f.profiles = inAll
	}
}

func hProxyLog(v *vm, s []uint64) {
	level := u32(s[0])
	if level > maxLogLevel {
		ret(s, proxy.StatusBadArgument)
		return
	}
	msg, ok := v.readString(u32(s[1]), u32(s[2]))
	if !ok {
		ret(s, proxy.StatusInvalidMemoryAccess)
		return
	}
	ret(s, v.host.Log(proxy.LogLevel(level), msg))
}

func hGetLogLevel(v *vm, s []uint64) {
	lvl, st := v.host.GetLogLevel()
	if st != proxy.StatusOK {
		ret(s, st)
		return
	}
	ret(s, v.putU32(u32(s[0]), uint32(lvl)))
}

func hGetCurrentTime(v *vm, s []uint64) {
	ret(s, v.putU64(u32(s[0]), uint64(v.host.Now())))
}

func hSetTickPeriod(v *vm, s []uint64) {
	ret(s, v.host.SetTickPeriod(u32(s[0])))
}

func hGetStatus(v *vm, s []uint64) {
	code, msg, st := v.host.GetStatus()
	if st != proxy.StatusOK {
		ret(s, st)
		return
	}
	if st := v.putU32(u32(s[0]), code); st != proxy.StatusOK {
		ret(s, st)
		return
	}
	ret(s, v.copyOutString(msg, u32(s[1]), u32(s[2])))
}

func hGetProperty(v *vm, s []uint64) {
	path, ok := v.read(u32(s[0]), u32(s[1]))
	if !ok {
		ret(s, proxy.StatusInvalidMemoryAccess)
		return
	}
	val, st := v.host.GetProperty(proxy.DecodePath(path))
	if st != proxy.StatusOK {
		ret(s, st)
		return
	}
	ret(s, v.copyOut(val, u32(s[2]), u32(s[3])))
}

func hSetProperty(v *vm, s []uint64) {
	path, ok1 := v.read(u32(s[0]), u32(s[1]))
	val, ok2 := v.readCopy(u32(s[2]), u32(s[3]))
	if !ok1 || !ok2 {
		ret(s, proxy.StatusInvalidMemoryAccess)
		return
	}
	ret(s, v.host.SetProperty(proxy.DecodePath(path), val))
}

func hSendLocalResponse(v *vm, s []uint64) {
	details, ok1 := v.readString(u32(s[1]), u32(s[2]))
	body, ok2 := v.readCopy(u32(s[3]), u32(s[4]))
	hdrs, ok3 := v.readPairs(u32(s[5]), u32(s[6]))
	if !ok1 || !ok2 || !ok3 {
		ret(s, proxy.StatusInvalidMemoryAccess)
		return
	}
	ret(s, v.host.SendLocalResponse(u32(s[0]), details, body, hdrs, int32(u32(s[7]))))
}

func hGetSharedData(v *vm, s []uint64) {
	key, ok := v.readString(u32(s[0]), u32(s[1]))
	if !ok {
		ret(s, proxy.StatusInvalidMemoryAccess)
		return
	}
	val, cas, st := v.host.GetSharedData(key)
	if st != proxy.StatusOK {
		ret(s, st)
		return
	}
	if st := v.copyOut(val, u32(s[2]), u32(s[3])); st != proxy.StatusOK {
		ret(s, st)
		return
	}
	ret(s, v.putU32(u32(s[4]), cas))
}

func hSetSharedData(v *vm, s []uint64) {
	key, ok1 := v.readString(u32(s[0]), u32(s[1]))
	val, ok2 := v.readCopy(u32(s[2]), u32(s[3]))
	if !ok1 || !ok2 {
		ret(s, proxy.StatusInvalidMemoryAccess)
		return
	}
	ret(s, v.host.SetSharedData(key, val, u32(s[4])))
}

// Shared queues are not part of proxy.Host (apiguard does not use them);
// arguments are still validated like cpp-host before answering.
func hRegisterSharedQueue(v *vm, s []uint64) {
	if _, ok := v.read(u32(s[0]), u32(s[1])); !ok {
		ret(s, proxy.StatusInvalidMemoryAccess)
		return
	}
	ret(s, proxy.StatusUnimplemented)
}

func hResolveSharedQueue(v *vm, s []uint64) {
	_, ok1 := v.read(u32(s[0]), u32(s[1]))
	_, ok2 := v.read(u32(s[2]), u32(s[3]))
	if !ok1 || !ok2 {
		ret(s, proxy.StatusInvalidMemoryAccess)
		return
	}
	ret(s, proxy.StatusUnimplemented)
}

func hEnqueueSharedQueue(v *vm, s []uint64) {
	if _, ok := v.read(u32(s[1]), u32(s[2])); !ok {
		ret(s, proxy.StatusInvalidMemoryAccess)
		return
	}
	ret(s, proxy.StatusUnimplemented)
}

func hDequeueSharedQueue(_ *vm, s []uint64) { ret(s, proxy.StatusUnimplemented) }

func hGetHeaderMapValue(v *vm, s []uint64) {
	if u32(s[0]) > maxMapType {
		ret(s, proxy.StatusBadArgument)
		return
	}
	key, ok := v.readString(u32(s[1]), u32(s[2]))
	if !ok {
		ret(s, proxy.StatusInvalidMemoryAccess)
		return
	}
	val, st := v.host.GetHeaderMapValue(proxy.MapType(u32(s[0])), key)
	if st != proxy.StatusOK {
		ret(s, st)
		return
	}
	ret(s, v.copyOutString(val, u32(s[3]), u32(s[4])))
}

func hAddHeaderMapValue(v *vm, s []uint64) {
	if u32(s[0]) > maxMapType {
		ret(s, proxy.StatusBadArgument)
		return
	}
	key, ok1 := v.readString(u32(s[1]), u32(s[2]))
	val, ok2 := v.readString(u32(s[3]), u32(s[4]))
	if !ok1 || !ok2 {
		ret(s, proxy.StatusInvalidMemoryAccess)
		return
	}
	ret(s, v.host.AddHeaderMapValue(proxy.MapType(u32(s[0])), key, val))
}

func hReplaceHeaderMapValue(v *vm, s []uint64) {
	if u32(s[0]) > maxMapType {
		ret(s, proxy.StatusBadArgument)
		return
	}
	key, ok1 := v.readString(u32(s[1]), u32(s[2]))
	val, ok2 := v.readString(u32(s[3]), u32(s[4]))
	if !ok1 || !ok2 {
		ret(s, proxy.StatusInvalidMemoryAccess)
		return
	}
	ret(s, v.host.ReplaceHeaderMapValue(proxy.MapType(u32(s[0])), key, val))
}

func hRemoveHeaderMapValue(v *vm, s []uint64) {
	if u32(s[0]) > maxMapType {
		ret(s, proxy.StatusBadArgument)
		return
	}
	key, ok := v.readString(u32(s[1]), u32(s[2]))
	if !ok {
		ret(s, proxy.StatusInvalidMemoryAccess)
		return
	}
	ret(s, v.host.RemoveHeaderMapValue(proxy.MapType(u32(s[0])), key))
}

func hGetHeaderMapPairs(v *vm, s []uint64) {
	if u32(s[0]) > maxMapType {
		ret(s, proxy.StatusBadArgument)
		return
	}
	pairs, st := v.host.GetHeaderMapPairs(proxy.MapType(u32(s[0])))
	if st != proxy.StatusOK {
		ret(s, st)
		return
	}
	ret(s, v.copyOut(proxy.EncodePairs(pairs), u32(s[1]), u32(s[2])))
}

func hSetHeaderMapPairs(v *vm, s []uint64) {
	if u32(s[0]) > maxMapType {
		ret(s, proxy.StatusBadArgument)
		return
	}
	pairs, ok := v.readPairs(u32(s[1]), u32(s[2]))
	if !ok {
		ret(s, proxy.StatusInvalidMemoryAccess)
		return
	}
	ret(s, v.host.SetHeaderMapPairs(proxy.MapType(u32(s[0])), pairs))
}

// hGetHeaderMapSize answers Envoy's HeaderMap::byteSize(): the sum of key
// and value lengths. proxy.Host has no dedicated method, so the size is
// derived from the pairs.
func hGetHeaderMapSize(v *vm, s []uint64) {
	if u32(s[0]) > maxMapType {
		ret(s, proxy.StatusBadArgument)
		return
	}
	pairs, st := v.host.GetHeaderMapPairs(proxy.MapType(u32(s[0])))
	if st != proxy.StatusOK {
		ret(s, st)
		return
	}
	size := 0
	for _, p := range pairs {
		size += len(p.Key) + len(p.Value)
	}
	ret(s, v.putU32(u32(s[1]), uint32(size)))
}

func hGetBufferStatus(v *vm, s []uint64) {
	if u32(s[0]) > maxBufferType {
		ret(s, proxy.StatusBadArgument)
		return
	}
	n, flags, st := v.host.GetBufferStatus(proxy.BufferType(u32(s[0])))
	if st != proxy.StatusOK {
		ret(s, st)
		return
	}
	if st := v.putU32(u32(s[1]), uint32(n)); st != proxy.StatusOK {
		ret(s, st)
		return
	}
	ret(s, v.putU32(u32(s[2]), flags))
}

func hGetBufferBytes(v *vm, s []uint64) {
	typ, start, length := u32(s[0]), u32(s[1]), u32(s[2])
	if typ > maxBufferType || start+length < start {
		ret(s, proxy.StatusBadArgument)
		return
	}
	data, st := v.host.GetBufferBytes(proxy.BufferType(typ), int(start), int(length))
	if st != proxy.StatusOK {
		ret(s, st)
		return
	}
	ret(s, v.copyOut(data, u32(s[3]), u32(s[4])))
}

func hSetBufferBytes(v *vm, s []uint64) {
	if u32(s[0]) > maxBufferType {
		ret(s, proxy.StatusBadArgument)
		return
	}
	data, ok := v.readCopy(u32(s[3]), u32(s[4]))
	if !ok {
		ret(s, proxy.StatusInvalidMemoryAccess)
		return
	}
	ret(s, v.host.SetBufferBytes(proxy.BufferType(u32(s[0])), int(u32(s[1])), int(u32(s[2])), data))
}

func hContinueStream(v *vm, s []uint64) {
	if u32(s[0]) > maxStreamType {
		ret(s, proxy.StatusBadArgument)
		return
	}
	ret(s, v.host.ContinueStream(proxy.StreamType(u32(s[0]))))
}

func hCloseStream(v *vm, s []uint64) {
	if u32(s[0]) > maxStreamType {
		ret(s, proxy.StatusBadArgument)
		return
	}
	ret(s, v.host.CloseStream(proxy.StreamType(u32(s[0]))))
}

func hHttpCall(v *vm, s []uint64) {
	cluster, ok1 := v.readString(u32(s[0]), u32(s[1]))
	hdrs, ok2 := v.readPairs(u32(s[2]), u32(s[3]))
	body, ok3 := v.readCopy(u32(s[4]), u32(s[5]))
	trls, ok4 := v.readPairs(u32(s[6]), u32(s[7]))
	if !ok1 || !ok2 || !ok3 || !ok4 {
		ret(s, proxy.StatusInvalidMemoryAccess)
		return
	}
	tokenPtr := u32(s[9])
	// cpp-host writes the token once before starting the callout so that a
	// bad pointer fails before any side effect.
	if st := v.putU32(tokenPtr, 0); st != proxy.StatusOK {
		ret(s, st)
		return
	}
	token, st := v.host.HttpCall(cluster, hdrs, body, trls, u32(s[8]))
	v.putU32(tokenPtr, token)
	ret(s, st)
}

func hGrpcCall(v *vm, s []uint64) {
	service, ok1 := v.readString(u32(s[0]), u32(s[1]))
	serviceName, ok2 := v.readString(u32(s[2]), u32(s[3]))
	method, ok3 := v.readString(u32(s[4]), u32(s[5]))
	md, ok4 := v.readPairs(u32(s[6]), u32(s[7]))
	msg, ok5 := v.readCopy(u32(s[8]), u32(s[9]))
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
		ret(s, proxy.StatusInvalidMemoryAccess)
		return
	}
	token, st := v.host.GrpcCall(service, serviceName, method, md, msg, u32(s[10]))
	if st != proxy.StatusOK {
		ret(s, st)
		return
	}
	ret(s, v.putU32(u32(s[11]), token))
}

// gRPC streams are not part of proxy.Host.
func hGrpcStream(v *vm, s []uint64) {
	for i := 0; i < 8; i += 2 {
		if _, ok := v.read(u32(s[i]), u32(s[i+1])); !ok {
			ret(s, proxy.StatusInvalidMemoryAccess)
			return
		}
	}
	ret(s, proxy.StatusUnimplemented)
}

func hGrpcSend(v *vm, s []uint64) {
	if _, ok := v.read(u32(s[1]), u32(s[2])); !ok {
		ret(s, proxy.StatusInvalidMemoryAccess)
		return
	}
	ret(s, proxy.StatusUnimplemented)
}

func hGrpcCancel(v *vm, s []uint64) { ret(s, v.host.GrpcCancel(u32(s[0]))) }

func hGrpcClose(v *vm, s []uint64) { ret(s, v.host.GrpcClose(u32(s[0]))) }

func hDefineMetric(v *vm, s []uint64) {
	if u32(s[0]) > maxMetricType {
		ret(s, proxy.StatusBadArgument)
		return
	}
	name, ok := v.readString(u32(s[1]), u32(s[2]))
	if !ok {
		ret(s, proxy.StatusInvalidMemoryAccess)
		return
	}
	id, st := v.host.DefineMetric(proxy.MetricType(u32(s[0])), name)
	if st != proxy.StatusOK {
		ret(s, st)
		return
	}
	ret(s, v.putU32(u32(s[3]), id))
}

func hIncrementMetric(v *vm, s []uint64) {
	ret(s, v.host.IncrementMetric(u32(s[0]), int64(s[1])))
}

func hRecordMetric(v *vm, s []uint64) {
	ret(s, v.host.RecordMetric(u32(s[0]), int64(s[1])))
}

func hGetMetric(v *vm, s []uint64) {
	val, st := v.host.GetMetric(u32(s[0]))
	if st != proxy.StatusOK {
		ret(s, st)
		return
	}
	ret(s, v.putU64(u32(s[1]), val))
}

func hSetEffectiveContext(v *vm, s []uint64) {
	ret(s, v.host.SetEffectiveContext(u32(s[0])))
}

func hDone(v *vm, s []uint64) { ret(s, v.host.Done()) }

// hCallForeignFunction: no foreign functions are registered in the
// emulator, so after validating the arguments the answer is NotFound, as
// cpp-host answers for an unregistered name.
func hCallForeignFunction(v *vm, s []uint64) {
	_, ok1 := v.read(u32(s[0]), u32(s[1]))
	_, ok2 := v.read(u32(s[2]), u32(s[3]))
	if !ok1 || !ok2 {
		ret(s, proxy.StatusInvalidMemoryAccess)
		return
	}
	ret(s, proxy.StatusNotFound)
}

func hPthreadEqual(_ *vm, s []uint64) {
	if u32(s[0]) == u32(s[1]) {
		s[0] = 1
	} else {
		s[0] = 0
	}
}
