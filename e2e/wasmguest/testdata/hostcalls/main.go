// Command hostcalls is a raw proxy-wasm guest (ABI 0.2.1, no SDK) used by
// the wasmguest tests. proxy_on_request_headers(ctx, scenario, eos) runs
// one numbered scenario and reports what it saw through proxy_log, so each
// hostcall can be checked end to end. The environment variable GUEST_INIT
// selects misbehaviour during _initialize.
package main

import (
	"os"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

func main() {}

//go:wasmexport proxy_abi_version_0_2_1
func abiVersion() {}

//go:wasmimport env proxy_log
func proxyLog(level uint32, msg string) uint32

//go:wasmimport env proxy_get_log_level
func getLogLevel(level *uint32) uint32

//go:wasmimport env proxy_get_current_time_nanoseconds
func getCurrentTime(t *uint64) uint32

//go:wasmimport env proxy_set_tick_period_milliseconds
func setTickPeriod(ms uint32) uint32

//go:wasmimport env proxy_get_status
func getStatus(code *uint32, msgPtr unsafe.Pointer, msgSize *uint32) uint32

//go:wasmimport env proxy_get_property
func getProperty(path string, retPtr unsafe.Pointer, retSize *uint32) uint32

//go:wasmimport env proxy_set_property
func setProperty(path string, val string) uint32

//go:wasmimport env proxy_set_property
func setPropertyRaw(pathPtr, pathSize, valPtr, valSize uint32) uint32

//go:wasmimport env proxy_send_local_response
func sendLocalResponse(code uint32, details string, body string, hdrs *byte, hdrsSize uint32, grpc int32) uint32

//go:wasmimport env proxy_get_shared_data
func getSharedData(key string, valPtr unsafe.Pointer, valSize *uint32, cas *uint32) uint32

//go:wasmimport env proxy_set_shared_data
func setSharedData(key string, val string, cas uint32) uint32

//go:wasmimport env proxy_register_shared_queue
func registerSharedQueue(name string, token *uint32) uint32

//go:wasmimport env proxy_get_header_map_value
func getHeader(mt uint32, key string, valPtr unsafe.Pointer, valSize *uint32) uint32

//go:wasmimport env proxy_add_header_map_value
func addHeader(mt uint32, key, val string) uint32

//go:wasmimport env proxy_replace_header_map_value
func replaceHeader(mt uint32, key, val string) uint32

//go:wasmimport env proxy_remove_header_map_value
func removeHeader(mt uint32, key string) uint32

//go:wasmimport env proxy_get_header_map_pairs
func getHeaderPairs(mt uint32, retPtr unsafe.Pointer, retSize *uint32) uint32

//go:wasmimport env proxy_set_header_map_pairs
func setHeaderPairs(mt uint32, ptr *byte, size uint32) uint32

//go:wasmimport env proxy_get_header_map_size
func getHeaderMapSize(mt uint32, size *uint32) uint32

//go:wasmimport env proxy_get_buffer_status
func getBufferStatus(bt uint32, length *uint32, flags *uint32) uint32

//go:wasmimport env proxy_get_buffer_bytes
func getBufferBytes(bt, start, max uint32, retPtr unsafe.Pointer, retSize *uint32) uint32

//go:wasmimport env proxy_set_buffer_bytes
func setBufferBytes(bt, start, size uint32, data string) uint32

//go:wasmimport env proxy_continue_stream
func continueStream(st uint32) uint32

//go:wasmimport env proxy_close_stream
func closeStream(st uint32) uint32

//go:wasmimport env proxy_http_call
func httpCall(cluster string, hdrs *byte, hdrsSize uint32, body string, trls *byte, trlsSize uint32, timeout uint32, token *uint32) uint32

//go:wasmimport env proxy_grpc_call
func grpcCall(service, serviceName, method string, md *byte, mdSize uint32, msg string, timeout uint32, token *uint32) uint32

//go:wasmimport env proxy_grpc_cancel
func grpcCancel(token uint32) uint32

//go:wasmimport env proxy_define_metric
func defineMetric(mt uint32, name string, id *uint32) uint32

//go:wasmimport env proxy_increment_metric
func incrementMetric(id uint32, delta int64) uint32

//go:wasmimport env proxy_record_metric
func recordMetric(id uint32, val int64) uint32

//go:wasmimport env proxy_get_metric
func getMetric(id uint32, val *uint64) uint32

//go:wasmimport env proxy_set_effective_context
func setEffectiveContext(id uint32) uint32

//go:wasmimport env proxy_done
func done() uint32

//go:wasmimport env proxy_call_foreign_function
func callForeign(name string, args string, retPtr unsafe.Pointer, retSize *uint32) uint32

var (
	allocs      int
	trapInAlloc bool
)

//go:wasmexport proxy_on_memory_allocate
func onMemoryAllocate(size uint32) *byte {
	allocs++
	if trapInAlloc {
		// A hostcall outside the allocMemory allow-list: V8 traps.
		var p *byte
		var n uint32
		getHeader(0, ":path", unsafe.Pointer(&p), &n)
	}
	if size == 0 {
		size = 1 // &buf[0] of an empty slice would panic
	}
	buf := make([]byte, size)
	return &buf[0]
}

func init() {
	switch os.Getenv("GUEST_INIT") {
	case "log":
		proxyLog(2, "init log")
	case "header":
		var p *byte
		var n uint32
		getHeader(0, ":path", unsafe.Pointer(&p), &n)
	case "sleep":
		time.Sleep(time.Millisecond)
	case "stdout":
		os.Stdout.WriteString("init stdout\n")
	}
}

func logf(parts ...string) { proxyLog(2, strings.Join(parts, " ")) }

func itoa(v uint32) string { return strconv.FormatUint(uint64(v), 10) }

func str(p *byte, n uint32) string {
	if n == 0 {
		return ""
	}
	return unsafe.String(p, n)
}

func header(mt uint32, key string) (string, uint32) {
	var p *byte
	var n uint32
	st := getHeader(mt, key, unsafe.Pointer(&p), &n)
	return str(p, n), st
}

func property(path ...string) (string, uint32) {
	var p *byte
	var n uint32
	st := getProperty(strings.Join(path, "\x00"), unsafe.Pointer(&p), &n)
	return str(p, n), st
}

// pairs serializes a header map (docs/internals/proxy-wasm.md §1.4).
func pairs(kv ...string) []byte {
	n := len(kv) / 2
	b := make([]byte, 4+8*n)
	put := func(off int, v uint32) {
		b[off], b[off+1], b[off+2], b[off+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	}
	put(0, uint32(n))
	for i := 0; i < n; i++ {
		put(4+8*i, uint32(len(kv[2*i])))
		put(8+8*i, uint32(len(kv[2*i+1])))
	}
	for _, s := range kv {
		b = append(b, s...)
		b = append(b, 0)
	}
	return b
}

func decodePairs(b []byte) string {
	if len(b) < 4 {
		return ""
	}
	u := func(off int) int {
		return int(b[off]) | int(b[off+1])<<8 | int(b[off+2])<<16 | int(b[off+3])<<24
	}
	n := u(0)
	data := 4 + 8*n
	var out []string
	for i := 0; i < n; i++ {
		kl, vl := u(4+8*i), u(8+8*i)
		k := string(b[data : data+kl])
		data += kl + 1
		v := string(b[data : data+vl])
		data += vl + 1
		out = append(out, k+"="+v)
	}
	return strings.Join(out, ",")
}

// Scenario numbers; the test uses the same values.
const (
	scHeader = 1 + iota
	scPairs
	scProperty
	scLocalResponse
	scSharedData
	scBody
	scHTTPCall
	scMetric
	scTime
	scLogLevel
	scBadPointer
	scEmpty
	scForeign
	scPanic
	scSleep
	scStdio
	scEnv
	scAllocTrap
	scStatus
	scMapSize
	scEffective
	scStreams
	scTick
	scBench
	scGrpc
	scQueue
	scOOM
)

var sink []byte

//go:wasmexport proxy_on_request_headers
func onRequestHeaders(ctx, scenario, eos uint32) uint32 {
	switch scenario {
	case scHeader:
		v, st := header(0, ":path")
		logf("path="+v, "st="+itoa(st))
		_, st = header(0, "x-missing")
		logf("missing st=" + itoa(st))
		_, st = header(99, ":path")
		logf("badmap st=" + itoa(st))
	case scPairs:
		var p *byte
		var n uint32
		st := getHeaderPairs(0, unsafe.Pointer(&p), &n)
		logf("pairs="+decodePairs(unsafe.Slice(p, n)), "st="+itoa(st))
		b := pairs("a", "1", "b", "2")
		logf("set st=" + itoa(setHeaderPairs(2, &b[0], uint32(len(b)))))
		bad := []byte{9, 0, 0, 0, 1}
		logf("setbad st=" + itoa(setHeaderPairs(3, &bad[0], uint32(len(bad)))))
		logf("add st=" + itoa(addHeader(0, "x-add", "y")))
		logf("replace st=" + itoa(replaceHeader(0, "x-rep", "z")))
		logf("remove st=" + itoa(removeHeader(0, "x-del")))
	case scProperty:
		v, st := property("request", "path")
		logf("prop="+v, "st="+itoa(st))
		logf("set st=" + itoa(setProperty("wasm\x00k", "v")))
		_, st = property("nope")
		logf("missing st=" + itoa(st))
	case scLocalResponse:
		h := pairs("www-authenticate", "Bearer", "x-two", "2")
		logf("st=" + itoa(sendLocalResponse(403, "jwt_denied", "nope", &h[0], uint32(len(h)), -1)))
		return 1
	case scSharedData:
		var p *byte
		var n, cas uint32
		st := getSharedData("k", unsafe.Pointer(&p), &n, &cas)
		logf("get0 st=" + itoa(st))
		logf("set1 st=" + itoa(setSharedData("k", "v1", 0)))
		st = getSharedData("k", unsafe.Pointer(&p), &n, &cas)
		logf("get1="+str(p, n), "cas="+itoa(cas), "st="+itoa(st))
		logf("set2 st=" + itoa(setSharedData("k", "v2", cas+100)))
	case scBody:
		var n, flags uint32
		st := getBufferStatus(0, &n, &flags)
		logf("len="+itoa(n), "flags="+itoa(flags), "st="+itoa(st))
		var p *byte
		var m uint32
		st = getBufferBytes(0, 2, 100, unsafe.Pointer(&p), &m)
		logf("bytes="+str(p, m), "st="+itoa(st))
		st = getBufferBytes(0, 0xFFFFFFFF, 2, unsafe.Pointer(&p), &m)
		logf("overflow st=" + itoa(st))
		logf("set st=" + itoa(setBufferBytes(0, 0, n, "replaced")))
		st = getBufferBytes(42, 0, 1, unsafe.Pointer(&p), &m)
		logf("badtype st=" + itoa(st))
	case scHTTPCall:
		h := pairs(":method", "GET", ":path", "/jwks", ":authority", "idp")
		var token uint32
		st := httpCall("idp_cluster", &h[0], uint32(len(h)), "", nil, 0, 1500, &token)
		logf("token="+itoa(token), "st="+itoa(st))
	case scMetric:
		var id uint32
		st := defineMetric(0, "apiguard.allowed", &id)
		logf("define id="+itoa(id), "st="+itoa(st))
		logf("inc st=" + itoa(incrementMetric(id, 1<<40)))
		logf("rec st=" + itoa(recordMetric(id, -7)))
		var v uint64
		st = getMetric(id, &v)
		logf("get="+strconv.FormatUint(v, 10), "st="+itoa(st))
		logf("badtype st=" + itoa(defineMetric(3, "x", &id)))
	case scTime:
		var t uint64
		st := getCurrentTime(&t)
		logf("proxy="+strconv.FormatUint(t, 10), "st="+itoa(st))
		logf("wasi=" + strconv.FormatInt(time.Now().UnixNano(), 10))
	case scLogLevel:
		var l uint32
		st := getLogLevel(&l)
		logf("level="+itoa(l), "st="+itoa(st))
		logf("badlevel st=" + itoa(proxyLog(6, "x")))
	case scBadPointer:
		logf("st=" + itoa(setPropertyRaw(0xFFFFFF00, 1000, 0, 0)))
	case scEmpty:
		before := allocs
		var p *byte
		var n uint32 = 99
		st := getHeader(0, "x-empty", unsafe.Pointer(&p), &n)
		logf("hdr nil="+strconv.FormatBool(p == nil), "len="+itoa(n), "st="+itoa(st), "allocs="+strconv.Itoa(allocs-before))
		n = 99
		st = getProperty("empty", unsafe.Pointer(&p), &n)
		logf("prop nil="+strconv.FormatBool(p == nil), "len="+itoa(n), "st="+itoa(st), "allocs="+strconv.Itoa(allocs-before))
		n = 99
		st = getHeaderPairs(1, unsafe.Pointer(&p), &n)
		logf("pairs nil="+strconv.FormatBool(p == nil), "len="+itoa(n), "st="+itoa(st), "allocs="+strconv.Itoa(allocs-before))
		v, _ := header(0, ":path")
		logf("nonempty allocs=" + strconv.Itoa(allocs-before) + " " + v)
		// The allocator itself must cope with size 0.
		logf("alloc0 nil=" + strconv.FormatBool(onMemoryAllocate(0) == nil))
	case scForeign:
		var p *byte
		var n uint32
		logf("st=" + itoa(callForeign("clear_route_cache", "", unsafe.Pointer(&p), &n)))
		for _, name := range []string{"echo", "empty", "fail"} {
			before := allocs
			p, n = nil, 99
			st := callForeign(name, "\x08\x01", unsafe.Pointer(&p), &n)
			logf(name, "st="+itoa(st), "len="+itoa(n), "nil="+strconv.FormatBool(p == nil),
				"allocs="+strconv.Itoa(allocs-before), "res="+strconv.Quote(str(p, n)))
		}
	case scPanic:
		panic("boom")
	case scSleep:
		time.Sleep(5 * time.Millisecond)
		logf("slept")
	case scStdio:
		os.Stdout.WriteString("to stdout\n")
		os.Stderr.WriteString("to stderr\n")
		os.Stdout.WriteString("no newline")
	case scEnv:
		logf("env=" + os.Getenv("APIGUARD_TEST"))
	case scAllocTrap:
		trapInAlloc = true
		property("request", "path")
	case scStatus:
		var code, n uint32
		var p *byte
		st := getStatus(&code, unsafe.Pointer(&p), &n)
		logf("code="+itoa(code), "msg="+str(p, n), "st="+itoa(st))
	case scMapSize:
		var n uint32
		st := getHeaderMapSize(0, &n)
		logf("size="+itoa(n), "st="+itoa(st))
	case scEffective:
		logf("eff st=" + itoa(setEffectiveContext(42)))
		logf("done st=" + itoa(done()))
	case scStreams:
		logf("cont st=" + itoa(continueStream(0)))
		logf("close st=" + itoa(closeStream(1)))
		logf("bad st=" + itoa(continueStream(9)))
	case scTick:
		logf("tick st=" + itoa(setTickPeriod(250)))
	case scBench:
		// Three hostcalls: the cost of one guest round trip.
		v, _ := header(0, ":path")
		replaceHeader(0, "x-path-len", "n")
		proxyLog(0, v)
	case scGrpc:
		var token uint32
		st := grpcCall("grpc_cluster", "pkg.Svc", "Check", nil, 0, "msg", 100, &token)
		logf("token="+itoa(token), "st="+itoa(st))
		logf("cancel st=" + itoa(grpcCancel(token)))
	case scQueue:
		var token uint32
		logf("st=" + itoa(registerSharedQueue("q", &token)))
	case scOOM:
		sink = make([]byte, 1200<<20)
	}
	return 0
}

//go:wasmexport proxy_on_vm_start
func onVMStart(root, size uint32) uint32 {
	if size == 13 {
		return 0
	}
	return 1
}

//go:wasmexport proxy_on_configure
func onConfigure(root, size uint32) uint32 {
	var p *byte
	var n uint32
	getBufferBytes(7, 0, size, unsafe.Pointer(&p), &n)
	cfg := str(p, n)
	logf("configure " + itoa(root) + " " + cfg)
	if cfg == "bad" {
		return 0
	}
	return 1
}

//go:wasmexport proxy_on_context_create
func onContextCreate(ctx, parent uint32) { logf("create " + itoa(ctx) + " " + itoa(parent)) }

//go:wasmexport proxy_on_request_body
func onRequestBody(ctx, size, eos uint32) uint32 {
	logf("reqbody " + itoa(size) + " " + itoa(eos))
	if eos == 0 {
		return 1
	}
	return 0
}

//go:wasmexport proxy_on_request_trailers
func onRequestTrailers(ctx, n uint32) uint32 { return n }

//go:wasmexport proxy_on_response_headers
func onResponseHeaders(ctx, n, eos uint32) uint32 { return 4 }

//go:wasmexport proxy_on_response_body
func onResponseBody(ctx, size, eos uint32) uint32 { return 3 }

//go:wasmexport proxy_on_response_trailers
func onResponseTrailers(ctx, n uint32) uint32 { return n + 1 }

//go:wasmexport proxy_on_http_call_response
func onHttpCallResponse(root, token, nh, bs, nt uint32) {
	logf("httpresp " + itoa(root) + " " + itoa(token) + " " + itoa(nh) + " " + itoa(bs) + " " + itoa(nt))
}

//go:wasmexport proxy_on_grpc_receive_initial_metadata
func onGrpcInitial(ctx, token, n uint32) {
	logf("grpcinit " + itoa(ctx) + " " + itoa(token) + " " + itoa(n))
}

//go:wasmexport proxy_on_grpc_receive
func onGrpcReceive(ctx, token, n uint32) {
	logf("grpcrecv " + itoa(ctx) + " " + itoa(token) + " " + itoa(n))
}

//go:wasmexport proxy_on_grpc_receive_trailing_metadata
func onGrpcTrailing(ctx, token, n uint32) {
	logf("grpctrl " + itoa(ctx) + " " + itoa(token) + " " + itoa(n))
}

//go:wasmexport proxy_on_grpc_close
func onGrpcClose(ctx, token, code uint32) {
	logf("grpcclose " + itoa(ctx) + " " + itoa(token) + " " + itoa(code))
}

//go:wasmexport proxy_on_tick
func onTick(root uint32) { logf("tick " + itoa(root)) }

//go:wasmexport proxy_on_log
func onLog(ctx uint32) { logf("log " + itoa(ctx)) }

//go:wasmexport proxy_on_done
func onDone(ctx uint32) bool { return ctx%2 == 0 }

//go:wasmexport proxy_on_delete
func onDelete(ctx uint32) { logf("delete " + itoa(ctx)) }
