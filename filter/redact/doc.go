// Package redact rewrites a JSON response in one pass: `allow` keeps only
// the listed paths, then `redact` removes or masks every value at the
// listed paths and every member whose key, at any depth, matches one of the
// listed keys (docs/configuration.md "response").
//
// It is built on jsonx.Scanner, the project's one strict JSON walker, so
// the response is validated by the same rules as every other document the
// filter decides on: RFC 8259 grammar, valid UTF-8, no lone surrogate
// escapes and no duplicate keys at any level (a duplicate is the classic
// redaction leak: sjson-style tools remove the first copy and forward the
// second, docs/internals/security.md §3.5). The output is produced only once the
// whole input has been accepted, so a refused document never yields a
// partial rewrite; whenever the input was valid JSON, the output is valid
// JSON.
//
// The rewrite copies the input in as few pieces as possible: untouched
// stretches (whitespace included) are copied as they are, and a document
// nothing applies to is returned as the input slice itself.
//
// Matching rules, chosen here and documented in docs/configuration.md "response":
//
//   - Keys are compared after unescaping ("p\u0061ssword" is "password").
//   - `redact.keys` and the key segments of `redact.paths` match under
//     Unicode simple case folding (the relation of strings.EqualFold):
//     "PASSWORD", "Password" and "paſſword" (U+017F) match "password", and
//     the Kelvin sign K (U+212A) matches "k". Full folding (ß and "ss") and
//     Unicode normalisation (composed and decomposed é) are not applied.
//     Matching more spellings can only redact more.
//   - `allow` segments match exactly (after unescaping): keeping fewer
//     spellings can only keep less.
//   - `#` matches every element of an array; a segment never indexes an
//     array (a key "0" is an object key).
//   - Projection drops what does not fit the shape the paths describe: a
//     scalar where a path goes on, an object where the path expects an
//     array and vice versa. An object or array on a path is kept even when
//     nothing inside it is (`{}` and `[]`). A top-level value that does not
//     fit becomes `null`, the one thing that can stand for it.
//   - Redaction acts on values of any type: `mask` replaces the whole
//     value, an object or an array included, by the mask string; `remove`
//     drops the member, or the array element for a path ending in `#`.
//
// Room: a feature engine (the response rewrite respcheck plans). It imports
// the model and leaves; never policy, plugin or proxy.
package redact
