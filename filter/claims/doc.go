// Package claims evaluates the claim requirements of a route
// (docs/configuration.md auth.claims) and renders claims as upstream header values
// (claims_to_headers). It works on the claims object of a verified token
// or an API key entry, as parsed by the strict parser jsonx, and decides
// nothing else: extracting, verifying and refusing are the caller's.
//
// Room: a leaf. It imports only jsonx.
package claims
