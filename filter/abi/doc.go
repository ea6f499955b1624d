// Package abi is apiguard's proxy-wasm ABI v0.2.1 binding for the standard Go
// toolchain (GOOS=wasip1 GOARCH=wasm -buildmode=c-shared). It is the only
// package of the project that uses unsafe or talks to the host:
//
//   - hostcalls.go declares every env.proxy_* import with the exact wasm
//     signature cpp-host registers (docs/internals/proxy-wasm.md §1.2);
//   - host.go implements proxy.Host on top of them;
//   - exports.go declares the ABI marker, the memory allocation export and
//     every proxy_on_* callback (§1.5), each of which recovers panics and
//     fails closed before dispatching to the registered proxy.Handler.
//
// Rules kept here so that Envoy 1.33-1.38 stay as safe as they can be
// (docs/operating.md "Where it runs"): the allocation export only allocates; no
// hostcall but proxy_log may run during package initialisation (Register
// only stores the handler); nothing here starts a runtime timer.
//
// On other platforms the package is empty: policy code never imports it, and
// native tests drive the plugin through e2e/host's emulator instead.
//
// Room: the shim. It is the only package that touches unsafe and the host's
// imports and exports; it imports proxy and nothing else of the filter.
package abi
