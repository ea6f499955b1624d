// Command abi020 declares ABI 0.2.0 but imports proxy_get_log_level, which
// cpp-host registers only for 0.2.1: loading must fail with a missing
// import, like V8 does.
package main

func main() {}

//go:wasmexport proxy_abi_version_0_2_0
func abiVersion() {}

//go:wasmimport env proxy_get_log_level
func getLogLevel(level *uint32) uint32

//go:wasmexport proxy_on_memory_allocate
func onMemoryAllocate(size uint32) *byte {
	buf := make([]byte, size+1)
	return &buf[0]
}

//go:wasmexport proxy_on_tick
func onTick(root uint32) {
	var l uint32
	getLogLevel(&l)
}
