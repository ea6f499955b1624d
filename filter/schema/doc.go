// Package schema is apiguard's positive security model: the JSON Schema
// 2020-12 subset of docs/configuration.md "Schemas: a positive security model from
// OpenAPI", compiled once at configure time and evaluated on request and
// response bodies in one walk (docs/schemas.md lists the subset keyword by
// keyword).
//
// It is host-agnostic (the standard library and filter/jsonx only), keeps
// to docs/operating.md "Where it runs" (no timers, no net, no file I/O) and compiles
// for GOOS=wasip1.
//
// # Compiling
//
// Compile takes the value of the top-level `schemas` member (a
// *jsonx.Value, as config parses it; CompileJSON takes its text). Every
// error is an *Error whose Path is in config's path syntax, starting at
// "schemas" (`schemas.Order.properties.id.pattern: look-ahead is not
// supported (RE2)`), so config can return it as its own error unchanged.
// Unknown keywords, unknown or non-local $refs, patterns RE2 cannot run,
// $ref cycles that stay at one place in the body, more than MaxNodes
// subschemas and combinators nested deeper than MaxCombinatorDepth are
// refused. The *Set is immutable and shared by every stream.
//
// # Evaluating
//
// Validator.Validate(schema, body, Options) walks the body once with
// jsonx.Scanner: it checks the JSON rules (Options.Limits,
// Options.FoldDuplicates; a refused document returns the *jsonx.Error, as
// jsonx.Validate would) and evaluates the schema in the same pass. Each
// place in the body meets each subschema at most once (the activations are
// deduplicated per place), so the work is bounded by body size × schema
// size whatever allOf, anyOf, oneOf and $ref do; nothing recurses in Go.
// A second, linear pass over what the walk recorded decides what docs/schemas.md
// calls declared, readOnly and writeOnly (following $ref, allOf, the
// anyOf/oneOf branches that validated or the one the discriminator
// selected, items and additionalProperties), then:
//
//   - Mode Request: Result.Valid is false for a schema violation, a readOnly
//     member, an undeclared member (unless an explicit additionalProperties
//     or Options.AllowUndeclared allows it) and a case variant of a
//     declared name (unless Options.CaseSensitive);
//   - Mode Response: Result.Valid is the schema verdict (writeOnly
//     properties exempt from required), and Result.Drops lists the members
//     to remove (undeclared, writeOnly, or under a false schema), each with
//     its separating comma, so AppendProjected(dst, body, Drops) is the
//     projected body, valid JSON whenever the body was.
//
// Result.Violations holds the first MaxViolations violations in document
// order: a JSON Pointer (at most MaxPointer bytes) and the keyword, or
// RuleNotAllowed for readOnly, undeclared and case-variant members; never
// a value from the body. A warm Validator allocates nothing for a valid
// body; it is not safe for concurrent use (pool one per VM, as
// reqcheck.Checker is, and drop one whose ScratchBytes grew large).
//
// # Where it is used
//
// config compiles the top-level `schemas` once to check it (every *Error
// becomes a config error at its path); policy.Compile compiles the set the
// filter uses and resolves each route's names: reqcheck.BodySchema runs
// Mode Request in step 12 (the JSON limits of request.json in the same
// walk), respcheck.Schemas runs Mode Response on a response whose status
// has a schema and hands AppendProjected's result to allow and redact.
// Responses the filter generates never reach either (docs/schemas.md "In
// the filter").
package schema
