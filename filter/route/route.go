// Package route compiles the `match` part of apiguard routes once, at
// configure time, and matches requests against them on the request path
// without allocating.
//
// The rules are those of DESIGN.md "Field reference", routes:
//
//   - `path` is an exact path, or a template in which a segment written
//     `{name}` matches exactly one non-empty segment of the request path;
//   - `prefix` matches whole segments: `/users` matches `/users` and
//     `/users/7`, never `/users-admin`; the prefix `/` matches every path that
//     starts with `/`;
//   - one trailing slash is ignored, on the pattern and on the request;
//   - paths compare byte for byte: case-sensitive, and without percent
//     decoding (Envoy has normalised the path before the filter sees it, and
//     the filter refuses encoded slashes and dot segments in step 1);
//   - `methods` are upper-case and exact; `HEAD` matches where `GET` is
//     listed; no methods means any method;
//   - the first route that matches wins, in configuration order.
//
// A request path that does not start with `/` (`*`, an absolute URI) matches
// no route.
package route

import (
	"strconv"
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

// segment is one `/`-separated piece of a template: a literal, or a
// parameter when param >= 0.
type segment struct {
	lit   string
	param int
}

type compiled struct {
	kind    kind
	pattern string    // normalised: no trailing slash, except the root "/"
	segs    []segment // templates only
	names   []string  // template parameter names, in order
	methods []string  // nil: any method; otherwise includes HEAD when GET is listed
}

// Table is a compiled, immutable list of routes. It is safe for concurrent
// use (though a proxy-wasm VM is single-threaded anyway).
type Table struct {
	routes []compiled
}

// Compile checks and compiles specs. Match reports indexes into specs.
// The error, if any, is an *Error for the first bad Spec.
func Compile(specs []Spec) (*Table, error) {
	t := &Table{routes: make([]compiled, len(specs))}
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
		if names == nil {
			c.kind = kindExact
		} else {
			c.kind = kindTemplate
			c.names = names
			c.segs = splitTemplate(c.pattern)
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

// splitTemplate cuts a checked, normalised template into segments.
func splitTemplate(p string) []segment {
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
			segs = append(segs, segment{lit: s, param: -1})
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

// Params is the set of template parameters of a match: raw substrings of the
// request path, not percent-decoded (the owner check decodes once). The zero
// value holds no parameter.
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

// Match finds the first route that fits method and path, and returns its
// index in the Specs given to Compile. path is the request path without the
// query string (see SplitPath). Match does not allocate.
func (t *Table) Match(method, path string) (index int, params Params, ok bool) {
	if len(path) == 0 || path[0] != '/' || len(path) > maxPathLen {
		return -1, Params{}, false
	}
	path = trimSlash(path)
	for i := range t.routes {
		r := &t.routes[i]
		if r.methods != nil && !hasMethod(r.methods, method) {
			continue
		}
		switch r.kind {
		case kindExact:
			if path == r.pattern {
				return i, Params{}, true
			}
		case kindPrefix:
			if hasSegmentPrefix(path, r.pattern) {
				return i, Params{}, true
			}
		case kindTemplate:
			if matchTemplate(r.segs, path, &params) {
				params.names = r.names
				params.path = path
				return i, params, true
			}
		}
	}
	return -1, Params{}, false
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

// hasSegmentPrefix reports whether the normalised path p starts with the
// normalised prefix at a segment boundary.
func hasSegmentPrefix(p, prefix string) bool {
	if prefix == "/" {
		return true // p starts with '/', checked by Match
	}
	if len(p) < len(prefix) || p[:len(prefix)] != prefix {
		return false
	}
	return len(p) == len(prefix) || p[len(prefix)] == '/'
}

// matchTemplate walks p segment by segment against segs, recording parameter
// spans in params. p is normalised and starts with '/'.
func matchTemplate(segs []segment, p string, params *Params) bool {
	i := 0
	for _, s := range segs {
		if i >= len(p) || p[i] != '/' {
			return false
		}
		i++
		end := indexSlash(p, i)
		if s.param >= 0 {
			if end == i {
				return false
			}
			params.spans[s.param] = [2]int32{int32(i), int32(end)}
		} else if p[i:end] != s.lit {
			return false
		}
		i = end
	}
	return i == len(p)
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
