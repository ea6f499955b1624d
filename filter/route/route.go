package route

import (
	"strconv"
	"unicode/utf8"

	"github.com/apiguard/apiguard/filter/httpx"
)

// MaxParams is the largest number of `{name}` segments one template may
// hold. It bounds Params, which is a fixed-size value so that Match never
// allocates.
const MaxParams = 8

// Spec is one route's `match` object, as the configuration gives it.
// Exactly one of Path and Prefix is set.
type Spec struct {
	// Path is `match.path`: an exact path or a template.
	Path string
	// Prefix is `match.prefix`.
	Prefix string
	// Methods is `match.methods`; nil or empty means any method.
	Methods []string
}

// Error reports a Spec that cannot be compiled. Field is the name of the
// offending `match` field ("path", "prefix", "methods[2]", or "" when the
// Spec as a whole is wrong), so that the config package can turn it into a
// JSON path.
type Error struct {
	// Index is the position of the Spec in the slice given to Compile.
	Index int
	// Field names the `match` field at fault, relative to `match`.
	Field string
	// Msg says what is wrong, without the location.
	Msg string
}

// Error returns "route <index>: match.<field>: <message>".
func (e *Error) Error() string {
	loc := "route " + strconv.Itoa(e.Index) + ": match"
	if e.Field != "" {
		loc += "." + e.Field
	}
	return loc + ": " + e.Msg
}

type kind uint8

const (
	kindExact kind = iota
	kindTemplate
	kindPrefix
)

// segment is one `/`-separated piece of a pattern: a literal, or a
// parameter when param >= 0.
type segment struct {
	lit   string
	param int
	plain bool // lit holds no percent-escape
}

type compiled struct {
	kind    kind
	pattern string    // normalised: no trailing slash, except the root "/"
	segs    []segment // every segment of the pattern; none for the root
	names   []string  // template parameter names, in order
	methods []string  // nil: any method; otherwise includes HEAD when GET is listed
	plain   bool      // the pattern holds no percent-escape
}

// Options are the table-wide matching options.
type Options struct {
	// CaseInsensitive is `case_insensitive_paths`: literal segments and
	// prefixes compare after Unicode simple case folding.
	CaseInsensitive bool
}

// Table is a compiled, immutable list of routes. It is safe for concurrent
// use (though a proxy-wasm VM is single-threaded anyway).
type Table struct {
	routes []compiled
	fold   bool
}

// Compile checks and compiles specs with the default (case-sensitive)
// options. Match reports indexes into specs. The error, if any, is an
// *Error for the first bad Spec.
func Compile(specs []Spec) (*Table, error) {
	return CompileWith(specs, Options{})
}

// CompileWith is Compile with explicit options.
func CompileWith(specs []Spec, opts Options) (*Table, error) {
	t := &Table{routes: make([]compiled, len(specs)), fold: opts.CaseInsensitive}
	for i, s := range specs {
		c, err := compile(s)
		if err != nil {
			err.Index = i
			return nil, err
		}
		t.routes[i] = c
	}
	return t, nil
}

func compile(s Spec) (compiled, *Error) {
	var c compiled
	switch {
	case s.Path != "" && s.Prefix != "":
		return c, &Error{Msg: `needs exactly one of "path" and "prefix", not both`}
	case s.Path != "":
		names, err := ParsePath(s.Path)
		if err != nil {
			return c, &Error{Field: "path", Msg: err.Error()}
		}
		c.pattern = trimSlash(s.Path)
		c.kind = kindExact
		if names != nil {
			c.kind = kindTemplate
			c.names = names
		}
	case s.Prefix != "":
		if err := CheckPrefix(s.Prefix); err != nil {
			return c, &Error{Field: "prefix", Msg: err.Error()}
		}
		c.kind = kindPrefix
		c.pattern = trimSlash(s.Prefix)
	default:
		return c, &Error{Msg: `needs exactly one of "path" and "prefix"`}
	}
	c.segs = splitPattern(c.pattern)
	c.plain = isPlain(c.pattern)
	if len(s.Methods) > 0 {
		hasGet, hasHead := false, false
		for i, m := range s.Methods {
			if err := CheckMethod(m); err != nil {
				return c, &Error{Field: "methods[" + strconv.Itoa(i) + "]", Msg: err.Error()}
			}
			for _, prev := range s.Methods[:i] {
				if prev == m {
					return c, &Error{Field: "methods[" + strconv.Itoa(i) + "]", Msg: "duplicate method " + strconv.Quote(m)}
				}
			}
			hasGet = hasGet || m == "GET"
			hasHead = hasHead || m == "HEAD"
		}
		c.methods = append([]string(nil), s.Methods...)
		if hasGet && !hasHead {
			c.methods = append(c.methods, "HEAD")
		}
	}
	return c, nil
}

// splitPattern cuts a checked, normalised pattern into segments; the root
// "/" has none.
func splitPattern(p string) []segment {
	if p == "/" {
		return nil
	}
	var segs []segment
	rest := p[1:]
	n := 0
	for {
		end := indexSlash(rest, 0)
		s := rest[:end]
		if len(s) > 1 && s[0] == '{' {
			segs = append(segs, segment{param: n})
			n++
		} else {
			segs = append(segs, segment{lit: s, param: -1, plain: isPlain(s)})
		}
		if end == len(rest) {
			break
		}
		rest = rest[end+1:]
	}
	return segs
}

// Len is the number of routes in the table.
func (t *Table) Len() int { return len(t.routes) }

// CaseInsensitive reports Options.CaseInsensitive.
func (t *Table) CaseInsensitive() bool { return t.fold }

// Methods returns the methods route i matches (HEAD included where GET is
// listed), or nil when it matches any method. The slice is shared: callers
// must not modify it.
func (t *Table) Methods(i int) []string { return t.routes[i].methods }

// Params is the set of template parameters of a match: raw substrings of the
// request path, not percent-decoded (the owner check decodes once) and
// never case-folded. The zero value holds no parameter.
type Params struct {
	names []string
	path  string
	spans [MaxParams][2]int32
}

// Len is the number of parameters.
func (p *Params) Len() int { return len(p.names) }

// At returns the i-th parameter, in template order.
func (p *Params) At(i int) (name, raw string) {
	return p.names[i], p.path[p.spans[i][0]:p.spans[i][1]]
}

// Get returns the raw value of the parameter name.
func (p *Params) Get(name string) (raw string, ok bool) {
	for i, n := range p.names {
		if n == name {
			return p.path[p.spans[i][0]:p.spans[i][1]], true
		}
	}
	return "", false
}

// Outcome says what Lookup found.
type Outcome uint8

const (
	// Matched: the route at the index applies.
	Matched Outcome = iota
	// WrongMethod: the path matches one or more routes, none of which
	// lists the method (405). The index is the first of them, the params
	// its parameters.
	WrongMethod
	// WrongCase: the path matches the route at the index only when case
	// is ignored, and that route comes before any route that matches it
	// as written (404). Never reported by a CaseInsensitive table.
	WrongCase
	// NoMatch: no route matches the path, whatever the method.
	NoMatch
)

// String names the outcome, for tests and logs.
func (o Outcome) String() string {
	switch o {
	case Matched:
		return "matched"
	case WrongMethod:
		return "wrong-method"
	case WrongCase:
		return "wrong-case"
	}
	return "no-match"
}

// Match finds the first route that fits method and path, and returns its
// index in the Specs given to Compile; ok is false for every outcome of
// Lookup but Matched. path is the request path without the query string
// (see SplitPath). Match does not allocate.
func (t *Table) Match(method, path string) (index int, params Params, ok bool) {
	if index, out := t.lookup(method, path, &params); out == Matched {
		return index, params, true
	}
	return -1, Params{}, false
}

// Lookup matches method and path against the table (docs/configuration.md "routes"):
//
//   - the first route whose path and method match is Matched;
//   - on a case-sensitive table, the route found that way is looked for
//     with case ignored: when the first route whose method fits and whose
//     path matches when case is ignored does not match as written, the
//     outcome is WrongCase at it, even if a later route (a catch-all
//     prefix) matches as written, because an upstream that ignores case
//     serves the earlier route's resource;
//   - when no route's method fits a path that matches, WrongMethod at the
//     first route whose path matches (as written; when none does but one
//     matches with case ignored, WrongCase at that one);
//   - NoMatch otherwise (index -1).
//
// Lookup does not allocate, and its work is linear in the length of path
// for each route.
func (t *Table) Lookup(method, path string) (index int, params Params, out Outcome) {
	index, out = t.lookup(method, path, &params)
	return index, params, out
}

func (t *Table) lookup(method, path string, params *Params) (int, Outcome) {
	if len(path) == 0 || path[0] != '/' || len(path) > maxPathLen {
		*params = Params{}
		return -1, NoMatch
	}
	path = trimSlash(path)
	plain := isPlain(path)
	for i := range t.routes {
		r := &t.routes[i]
		if r.methods != nil && !hasMethod(r.methods, method) {
			continue
		}
		switch r.match(path, plain, params) {
		case eqSame:
			r.bind(path, params)
			return i, Matched
		case eqFold:
			r.bind(path, params)
			if t.fold {
				return i, Matched
			}
			return i, WrongCase
		}
	}
	// No route takes the method: which routes does the path match at all?
	for i := range t.routes {
		r := &t.routes[i]
		if r.methods == nil {
			continue // it would have matched above
		}
		if eq := r.match(path, plain, params); eq == eqSame || eq == eqFold && t.fold {
			r.bind(path, params)
			return i, WrongMethod
		}
	}
	for i := range t.routes {
		r := &t.routes[i]
		if r.methods != nil && r.match(path, plain, params) == eqFold {
			r.bind(path, params)
			return i, WrongCase
		}
	}
	*params = Params{}
	return -1, NoMatch
}

// bind completes params for r matched on path.
func (r *compiled) bind(path string, params *Params) {
	if r.kind != kindTemplate {
		*params = Params{}
		return
	}
	params.names = r.names
	params.path = path
}

// PathMatches calls yield with the index of every route whose path
// matches (whatever their methods), in order, until yield returns false.
// A case-sensitive table counts only paths that match as written. It is
// for the refusals of Lookup's WrongMethod (the Allow header, report-only
// routes), not for the common case.
func (t *Table) PathMatches(path string, yield func(index int) bool) {
	if len(path) == 0 || path[0] != '/' || len(path) > maxPathLen {
		return
	}
	path = trimSlash(path)
	plain := isPlain(path)
	var params Params
	for i := range t.routes {
		eq := t.routes[i].match(path, plain, &params)
		if eq == eqSame || eq == eqFold && t.fold {
			if !yield(i) {
				return
			}
		}
	}
}

// Bind returns the parameters of route i on path, as Lookup would give
// them had it chosen route i; the zero Params when route i's path does not
// match (with case ignored).
func (t *Table) Bind(i int, path string) Params {
	var params Params
	if len(path) == 0 || path[0] != '/' || len(path) > maxPathLen {
		return params
	}
	path = trimSlash(path)
	r := &t.routes[i]
	if r.match(path, isPlain(path), &params) == eqNone {
		return Params{}
	}
	r.bind(path, &params)
	return params
}

// CaseMatches calls yield with the index of every route whose path
// matches only when case is ignored (whatever their methods), in order,
// until yield returns false. It is empty on a CaseInsensitive table.
func (t *Table) CaseMatches(path string, yield func(index int) bool) {
	if t.fold || len(path) == 0 || path[0] != '/' || len(path) > maxPathLen {
		return
	}
	path = trimSlash(path)
	plain := isPlain(path)
	var params Params
	for i := range t.routes {
		if t.routes[i].match(path, plain, &params) == eqFold {
			if !yield(i) {
				return
			}
		}
	}
}

// CaseShadow finds a route that a case-sensitive table can never give
// for some method: an earlier route i, which takes that method too, matches
// every path route j matches only when case is ignored (their literals
// differ in case alone), so Lookup answers WrongCase at i instead. A prefix
// route j counts only behind a prefix route i (behind an exact path or a
// template, it is shadowed only at its own root). method is one method
// both take, "" when both take any. ok is false when there is none, and
// always on a CaseInsensitive table, where an earlier route simply wins.
func (t *Table) CaseShadow() (j, i int, method string, ok bool) {
	if t.fold {
		return 0, 0, "", false
	}
	var params Params
	for j = range t.routes {
		rj := &t.routes[j]
		// The pattern itself is a path of route j: its `{name}` segments
		// match a parameter of i and never a literal.
		for i = 0; i < j; i++ {
			ri := &t.routes[i]
			if rj.kind == kindPrefix && ri.kind != kindPrefix {
				continue
			}
			m, shared := sharedMethod(ri.methods, rj.methods)
			if !shared {
				continue
			}
			if ri.match(rj.pattern, isPlain(rj.pattern), &params) == eqFold {
				return j, i, m, true
			}
		}
	}
	return 0, 0, "", false
}

// sharedMethod returns a method both lists take ("" when both take any).
func sharedMethod(a, b []string) (string, bool) {
	switch {
	case a == nil && b == nil:
		return "", true
	case a == nil:
		return b[0], true
	case b == nil:
		return a[0], true
	}
	for _, m := range b {
		if hasMethod(a, m) {
			return m, true
		}
	}
	return "", false
}

// maxPathLen keeps parameter offsets within int32. Envoy's header limits
// are far below it.
const maxPathLen = 1 << 30

func hasMethod(methods []string, m string) bool {
	for _, x := range methods {
		if x == m {
			return true
		}
	}
	return false
}

// match compares the normalised path p with the route's pattern: eqSame
// when it matches as written (after percent-decoding), eqFold when it
// matches only with case ignored, eqNone otherwise. Parameter spans go to
// params. plain says p is ASCII without escapes: then an exact or prefix
// pattern without escapes is compared with one ASCII case-blind string
// comparison instead of segment by segment. The caller decides what eqFold
// means for its table.
func (r *compiled) match(p string, plain bool, params *Params) uint8 {
	switch r.kind {
	case kindExact:
		if p == r.pattern {
			return eqSame
		}
		if r.pattern == "/" {
			return eqNone
		}
		if plain && r.plain {
			if len(p) == len(r.pattern) && httpx.EqualFold(p, r.pattern) {
				return eqFold
			}
			return eqNone
		}
	case kindPrefix:
		if hasSegmentPrefix(p, r.pattern) {
			return eqSame
		}
		if r.pattern == "/" {
			return eqNone // every path starts with '/'
		}
		if plain && r.plain {
			n := len(r.pattern)
			if len(p) >= n && (len(p) == n || p[n] == '/') && httpx.EqualFold(p[:n], r.pattern) {
				return eqFold
			}
			return eqNone
		}
	}
	return matchSegments(r.segs, p, plain, r.kind == kindPrefix, params)
}

// isPlain reports whether s is ASCII without a '%'.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf || s[i] == '%' {
			return false
		}
	}
	return true
}

// hasSegmentPrefix reports whether the normalised path p starts with the
// normalised prefix at a segment boundary.
func hasSegmentPrefix(p, prefix string) bool {
	if prefix == "/" {
		return true // p starts with '/', checked by Lookup
	}
	if len(p) < len(prefix) || p[:len(prefix)] != prefix {
		return false
	}
	return len(p) == len(prefix) || p[len(prefix)] == '/'
}

// matchSegments walks p segment by segment against segs, recording
// parameter spans in params; with prefix, p may go on after the last
// segment at a '/'. p is normalised and starts with '/'; plain says it is
// ASCII without escapes. It returns the lowest equality level of the
// literal segments.
func matchSegments(segs []segment, p string, plain, prefix bool, params *Params) uint8 {
	level := eqSame
	i := 0
	for _, s := range segs {
		if i >= len(p) || p[i] != '/' {
			return eqNone
		}
		i++
		end := indexSlash(p, i)
		if s.param >= 0 {
			if end == i {
				return eqNone
			}
			params.spans[s.param] = [2]int32{int32(i), int32(end)}
		} else if seg := p[i:end]; seg != s.lit {
			switch {
			case plain && s.plain:
				if len(seg) != len(s.lit) || !httpx.EqualFold(seg, s.lit) {
					return eqNone
				}
				level = eqFold
			default:
				eq := cmpSeg(seg, s.lit)
				if eq == eqNone {
					return eqNone
				}
				level = min(level, eq)
			}
		}
		i = end
	}
	if i == len(p) || prefix && p[i] == '/' {
		return level
	}
	return eqNone
}

// indexSlash returns the index of the first '/' in s at or after from, or
// len(s).
func indexSlash(s string, from int) int {
	for j := from; j < len(s); j++ {
		if s[j] == '/' {
			return j
		}
	}
	return len(s)
}

// trimSlash drops one trailing slash that ends a non-empty segment, so "/"
// stays the root and "//" does not become it.
func trimSlash(p string) string {
	if len(p) > 1 && p[len(p)-1] == '/' && p[len(p)-2] != '/' {
		return p[:len(p)-1]
	}
	return p
}

// SplitPath splits an HTTP/2 `:path` value into the path and the query
// string (without the '?'). It does not allocate: both are substrings of p.
func SplitPath(p string) (path, query string) {
	for i := 0; i < len(p); i++ {
		if p[i] == '?' {
			return p[:i], p[i+1:]
		}
	}
	return p, ""
}
