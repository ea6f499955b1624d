// Command fileio reads a file, which links WASI functions (fd_filestat_get
// among them) that only cpp-host #533 (Envoy 1.39+) registers: it loads
// under Envoy139 and fails to link under Envoy133.
package main

import "os"

func main() {}

//go:wasmexport proxy_abi_version_0_2_1
func abiVersion() {}

//go:wasmexport proxy_on_memory_allocate
func onMemoryAllocate(size uint32) *byte {
	buf := make([]byte, size+1)
	return &buf[0]
}

//go:wasmexport proxy_on_request_headers
func onRequestHeaders(ctx, n, eos uint32) uint32 {
	if _, err := os.ReadFile("/etc/hostname"); err != nil {
		return 1
	}
	return 0
}
