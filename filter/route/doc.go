// Package route compiles the `match` part of apiguard routes once, at
// configure time, and matches requests against them on the request path
// without allocating.
//
// The rules are those of docs/configuration.md "Field reference", routes and
// case_insensitive_paths:
//
//   - `path` is an exact path, or a template in which a segment written
//     `{name}` matches exactly one non-empty segment of the request path;
//   - `prefix` matches whole segments: `/users` matches `/users` and
//     `/users/7`, never `/users-admin`; the prefix `/` matches every path that
//     starts with `/`;
//   - one trailing slash is ignored, on the pattern and on the request;
//   - literal segments compare after percent-decoding (`%41` is `A`, `%e9`
//     is `%E9`), segment by segment, so an escape never joins two segments;
//   - letter case: by default paths are case-sensitive, and a path that
//     matches a route only when case is ignored is reported (WrongCase) so
//     that it is refused rather than given a later route or the default;
//     with Options.CaseInsensitive, literals compare after Unicode simple
//     case folding (FoldRune). Parameters are always the request's own
//     bytes;
//   - `methods` are upper-case and exact; `HEAD` matches where `GET` is
//     listed; no methods means any method;
//   - the first route whose path and method match wins, in configuration
//     order; a path that some routes match while none lists the method is
//     reported (WrongMethod), for a 405.
//
// A request path that does not start with `/` (`*`, an absolute URI) matches
// no route.
//
// Room: a leaf (path patterns and the route table). It imports only httpx.
package route
