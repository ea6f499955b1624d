// Command mallocorder exports both malloc and proxy_on_memory_allocate.
// cpp-host looks up malloc first, so only malloc may be called. It also
// shows that a 0.2.0 module that does not import proxy_get_log_level loads.
package main

import (
	"strconv"
	"unsafe"
)

func main() {}

//go:wasmexport proxy_abi_version_0_2_0
func abiVersion() {}

//go:wasmimport env proxy_log
func proxyLog(level uint32, msg string) uint32

//go:wasmimport env proxy_get_property
func getProperty(path string, retPtr unsafe.Pointer, retSize *uint32) uint32

var mallocs, onAllocs int

//go:wasmexport malloc
func malloc(size uint32) *byte {
	mallocs++
	buf := make([]byte, size+1)
	return &buf[0]
}

//go:wasmexport proxy_on_memory_allocate
func onMemoryAllocate(size uint32) *byte {
	onAllocs++
	buf := make([]byte, size+1)
	return &buf[0]
}

//go:wasmexport proxy_on_request_headers
func onRequestHeaders(ctx, n, eos uint32) uint32 {
	var p *byte
	var size uint32
	getProperty("request\x00path", unsafe.Pointer(&p), &size)
	proxyLog(2, "value="+unsafe.String(p, size)+" malloc="+strconv.Itoa(mallocs)+" proxy_on_memory_allocate="+strconv.Itoa(onAllocs))
	return 0
}
