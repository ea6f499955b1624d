// Package proxy holds the proxy-wasm ABI v0.2.1 vocabulary shared by the
// guest and the test host: status codes, enums, the Host interface (what the
// plugin may ask of Envoy) and the Handler interface (what Envoy calls on the
// plugin).
//
// The interfaces mirror the ABI one to one, with Go types in place of
// pointers, so that three implementations can stand behind them:
//
//   - filter/abi implements Host with //go:wasmimport hostcalls and drives a
//     Handler from //go:wasmexport callbacks (the only code touching unsafe);
//   - e2e/host implements Host natively as an Envoy emulator, so the plugin
//     runs in-process in native tests;
//   - e2e/host's wazero adapter translates a .wasm module's hostcalls into the
//     same emulator, so the very same behaviour table runs against the module.
//
// This package has no dependencies and touches neither unsafe nor the host.
//
// See docs/internals/proxy-wasm.md §1 for the ABI facts this follows.
//
// Room: a leaf (the host interface). Only abi and plugin import it.
package proxy
