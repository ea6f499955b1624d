// Command badsig breaks the export and import rules on purpose: callback
// signatures that differ from the ABI, an unknown callback name, an import
// with the wrong type and an import no host provides.
package main

func main() {}

//go:wasmexport proxy_abi_version_0_2_1
func abiVersion() {}

//go:wasmimport env proxy_log
func proxyLog(level, ptr, size, extra uint32) uint32

//go:wasmimport env proxy_no_such_call
func noSuchCall() uint32

//go:wasmexport proxy_on_memory_allocate
func onMemoryAllocate(size uint32) *byte {
	buf := make([]byte, size+1)
	return &buf[0]
}

// proxy_on_request_headers takes three parameters in ABI 0.2.x.
//
//go:wasmexport proxy_on_request_headers
func onRequestHeaders(ctx, n uint32) uint32 { return proxyLog(1, 0, 0, 0) }

// proxy_on_done must return its verdict.
//
//go:wasmexport proxy_on_done
func onDone(ctx uint32) {}

//go:wasmexport proxy_on_reqest_body
func onReqestBody(ctx, size, eos uint32) uint32 { return noSuchCall() }
