// Package wasmguest runs a compiled proxy-wasm module (build/apiguard.wasm)
// under wazero and presents it as a proxy.Handler whose hostcalls land on a
// proxy.Host. It is the host-side mirror of filter/abi: filter/abi turns
// //go:wasmimport calls into the ABI, this package turns the ABI back into
// Go calls, so the Envoy emulator (e2e/host) can drive the very same
// behaviour table natively and against the .wasm.
//
// Fidelity to Envoy's proxy-wasm-cpp-host under V8 is the point, not
// convenience (docs/internals/proxy-wasm.md §1, §2, §6):
//
//   - the WASI module is our own, with the two cpp-host eras as profiles
//     (Envoy133: the 427-era set where poll_oneoff fails with ENOSYS;
//     Envoy139: the 533+ set). wazero's stock WASI would hide the crash that
//     real Envoy 1.33–1.38 shows (golang/go#78513);
//   - _initialize is called explicitly, then malloc (or
//     proxy_on_memory_allocate) is looked up in cpp-host's order;
//   - V8's restricted-callback windows are enforced while _initialize and
//     every guest allocation run;
//   - missing imports and signature mismatches fail VM creation, as V8's
//     link step does;
//   - a trap poisons the VM: every later call panics with the same
//     *TrapError, the way Envoy marks the VM failed.
//
// A VM (one Factory call) is one module instance with its own linear
// memory. Like an Envoy worker's VM it is single-threaded: a Handler must
// not be called from two goroutines at once; distinct VMs may run in
// parallel.
package wasmguest
