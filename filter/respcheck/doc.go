// Package respcheck is the response room of the house: it classifies
// upstream's answer for a route with `response` rules (docs/configuration.md
// `response`: pass it untouched, inspect its body, or refuse it with 502)
// and names why an inspected body was refused; it rewrites a complete body
// with pooled scratch (Scratch.Rewrite, over redact). The plugin reads
// the headers and the body through the host; this package only decides.
//
// Room: a feature (the response checks). It imports the model (config), the
// rewrite engine (redact) and leaves (jsonx, problem, schema); policy compiles its
// Plan onto policy.Route; it never imports policy, plugin or proxy.
package respcheck
