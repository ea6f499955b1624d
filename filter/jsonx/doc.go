// Package jsonx is the project's one strict JSON walker. Every JSON text
// apiguard makes a decision on (configuration, JWT header and claims,
// request bodies, upstream responses) goes through it, so that all of them
// agree on what a document means.
//
// The grammar is RFC 8259 with no extensions and no leniency: exactly one
// value, surrounded only by space, tab, LF or CR; no byte order mark, no
// comments, no trailing commas, no leading zeros, no NaN or Infinity, no raw
// control characters inside strings, only the escapes the RFC lists.
// On top of the grammar it enforces what makes parser differentials
// impossible (docs/internals/security.md §3.3):
//
//   - the text must be valid UTF-8 (no overlong forms, no encoded surrogates,
//     nothing above U+10FFFF);
//   - \u escapes must denote Unicode scalar values: a high surrogate escape
//     must be followed at once by a low surrogate escape, and a low surrogate
//     escape on its own is refused. A lone surrogate decodes differently in
//     every language (U+FFFD, WTF-8 bytes, an exception), so accepting one
//     would let the proxy and the upstream see different strings;
//   - an object must not hold the same key twice, compared after unescaping
//     ("a" and "\u0061" are the same key), at every level. Parsers disagree
//     on which duplicate wins; refusing is the only reading all agree on.
//     Optionally (FoldDuplicates) keys equal under Unicode simple case
//     folding are refused too, for upstreams that bind keys
//     case-insensitively (Go structs).
//
// Numbers are checked for grammar only: 1e400 and 100000000000000000000 are
// well-formed and accepted; Value.Int64 and Value.Float64 report whether they
// fit.
//
// Everything is built on Scanner, an iterative tokenizer with an explicit
// stack: no recursion on input nesting, time linear in the input, and the
// nesting limit is enforced as each container opens, so a body of a million
// '[' is refused after MaxDepth+1 bytes.
//
// Errors never quote the input: bodies can carry secrets. They carry the
// byte offset and a Reason that is safe to use as a metric label.
//
// Room: a syntax leaf. It imports no other filter package.
package jsonx
