// Package policy compiles a parsed configuration into the immutable runtime
// form the plugin consults on every request: the route table and, per route,
// the compiled checks of each feature. Compile runs once per configuration
// (proxy_on_configure); nothing is re-parsed per request.
//
// Room: the compiler. policy.Compile is the only compile site: it builds
// each route's checks through their feature packages. It imports the model,
// features and leaves; never plugin or proxy.
package policy
