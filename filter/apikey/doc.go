// Package apikey looks API keys up by their SHA-256 (docs/configuration.md providers,
// api_keys). Configuration never holds a key in clear, only its hash; a
// presented key is hashed once and compared with every configured hash in
// constant time, so neither the position of the first differing byte nor
// the position of the matching entry shows in the time a lookup takes.
//
// The package is host-agnostic and pure: the plugin extracts the key from
// the request, passes the time, and turns the result into a response.
//
// Room: a leaf (credential maths). It imports no other filter package.
package apikey
