// Package httpx is the leaf of HTTP syntax the filter reads requests with:
// percent-decoding, query and cookie splitting, the one name normalisation
// every query-parameter and cookie lookup uses, and ASCII case folding.
//
// It is a leaf: it imports only jsonx (for Unicode case folding), never a
// feature package, proxy or plugin. Everything here is allocation-free on
// the request path unless its doc says otherwise.
package httpx
