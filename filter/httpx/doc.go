// Package httpx is the leaf of HTTP syntax the filter reads requests with:
// percent-decoding, query and cookie splitting, the one name normalisation
// every query-parameter and cookie lookup uses, and ASCII case folding;
// and the request view (Request: the request line and header list read
// once, which every step reads and none writes), header pairs (Pair, which
// proxy.Pair is) and header edits (Edit) features hand the plugin.
//
// It is a leaf: it imports only jsonx (for Unicode case folding), never a
// feature package, proxy or plugin. Everything here is allocation-free on
// the request path unless its doc says otherwise.
package httpx
