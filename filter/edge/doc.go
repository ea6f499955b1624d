// Package edge holds the pure decisions behind apiguard's edge features
// (docs/configuration.md `require_tls`, `cors`, `deprecation`): origin syntax and
// comparison, the CORS preflight verdict, the request-header list of a
// preflight, and the header values the filter writes (RFC 9745
// `Deprecation`, RFC 8594 `Sunset`, `Link`).
//
// It makes no host call and keeps no state: the plugin compiles a route's
// configuration into a CORS or Deprecation value once, and every request
// only compares strings against it. Nothing here allocates per request.
//
// Room: a feature (cors and deprecation, steps 2, 4, 5 and every answer). It
// imports the model and leaves; policy compiles it onto policy.Route; it
// never imports policy, plugin or proxy.
package edge
