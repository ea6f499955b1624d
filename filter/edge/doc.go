// Package edge holds the pure decisions behind apiguard's edge features
// (docs/configuration.md `require_tls`, `cors`, `deprecation`): origin syntax and
// comparison, the CORS preflight verdict, the request-header list of a
// preflight, and the header values the filter writes (RFC 9745
// `Deprecation`, RFC 8594 `Sunset`, `Link`).
//
// It makes no host call: policy compiles a route's configuration into a
// CORS or Deprecation value once; a Request holds what one request said
// about its origin and gives the headers of every answer (the preflight's
// 204, refusals, upstream's response as edits); TLSSatisfied decides
// require_tls. Only a refusal's header list allocates per request.
//
// Room: a feature (cors and deprecation, steps 2, 4, 5 and every answer). It
// imports the model and leaves; policy compiles it onto policy.Route; it
// never imports policy, plugin or proxy.
package edge
