// Package plugin is apiguard's glue between the proxy-wasm ABI and the
// host-agnostic policy packages: it owns the root (plugin) contexts, which
// parse and compile the configuration once, and the HTTP stream contexts,
// which run docs/order-of-checks.md's order of checks against the compiled policy.
//
// It talks to Envoy only through proxy.Host, so the same code runs inside the
// .wasm (filter/abi) and natively inside the test host (e2e/host).
//
// Room: the glue. It keeps the contexts, dispatch, the step table, the
// refusal exit and the host adapters (shared data, HTTP and gRPC calls,
// the clock, metrics), reads the request view once and hands it to the
// features (authn, jwks, ratelimit, edge, reqcheck, respcheck), and maps
// each feature's verdict to an answer; no feature calls another through
// it. It is the only package besides abi that imports proxy, and nothing
// imports it but the main package.
package plugin
