package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// Error is a configuration error. The plugin logs it as
// `apiguard: config: <Located()>` (docs/configuration.md "Errors").
type Error struct {
	// Path is the JSON path of the offending value, e.g.
	// `routes[1].rate_limits[0].window` or `providers["a.b"].audiences`.
	// Object keys that are not simple names (letters, digits, '_', '-') are
	// written in brackets as quoted strings. "$" is the document itself. Path
	// is empty only when the document is not JSON at all (empty, malformed,
	// too large).
	Path string
	// Msg says what is wrong. It never holds secret material.
	Msg string
	// Line and Column (1-based, columns counted in bytes) locate the
	// offending value in the document, or the key of an unknown field; 0
	// when the error has no place (an empty or oversized document).
	Line, Column int

	at    *path    // where errorf put it, for locating
	atKey bool     // locate the member's key rather than its value
	off1  int      // byte offset + 1 when known directly (syntax errors), else 0
	more  []*Error // the other errors of a bundle (see collect)
}

// Located returns Error() followed by " (line L, column C)", or Error()
// alone when the error has no place. The plugin logs it after
// "apiguard: config: ".
func (e *Error) Located() string {
	if e.Line == 0 || e.Path == "" {
		return e.Error()
	}
	return e.Error() + " (line " + strconv.Itoa(e.Line) + ", column " + strconv.Itoa(e.Column) + ")"
}

// Error returns "<path>: <message>", or the message alone when Path is
// empty (then with its line and column when it has them: a syntax error).
func (e *Error) Error() string {
	if e.Path == "" {
		if e.Line > 0 {
			return e.Msg + " at line " + strconv.Itoa(e.Line) + ", column " + strconv.Itoa(e.Column)
		}
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// path is a JSON path under construction, as a linked list from the leaf up
// so that descending costs one small allocation and rendering happens only
// for errors.
type path struct {
	parent *path
	key    string
	index  int // >= 0 for array elements; -1 for object members
}

// root is the document.
var root = &path{index: -1}

func (p *path) field(key string) *path { return &path{parent: p, key: key, index: -1} }

func (p *path) at(i int) *path { return &path{parent: p, index: i} }

func (p *path) String() string {
	if p.parent == nil {
		return "$"
	}
	var parts []*path
	for q := p; q.parent != nil; q = q.parent {
		parts = append(parts, q)
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		q := parts[i]
		switch {
		case q.index >= 0:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(q.index))
			b.WriteByte(']')
		case jsonx.SimpleKey(q.key):
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(q.key)
		default:
			b.WriteByte('[')
			b.WriteString(quote(q.key))
			b.WriteByte(']')
		}
	}
	return b.String()
}

// errorf builds an *Error at p.
func (p *path) errorf(format string, args ...any) *Error {
	return &Error{Path: p.String(), Msg: fmt.Sprintf(format, args...), at: p}
}

// maxQuoted bounds how much of an operator's string an error echoes.
const maxQuoted = 64

// quote quotes s for an error message, shortened to keep log lines bounded.
// Never call it on secret material.
func quote(s string) string {
	if len(s) > maxQuoted {
		cut := maxQuoted
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}

// Place returns where the error is, as the steps of its JSON path from the
// document down (a member's key as a string, an item's index as an int),
// and whether it is the last member's key rather than its value (an
// unknown field). A caller that holds the document in another form (an
// Istio pluginConfig written as YAML) finds the place there. ok is false
// when the error has no path (the document is not JSON).
func (e *Error) Place() (steps []any, atKey, ok bool) {
	if e.at == nil {
		return nil, false, false
	}
	for q := e.at; q.parent != nil; q = q.parent {
		if q.index >= 0 {
			steps = append(steps, q.index)
		} else {
			steps = append(steps, q.key)
		}
	}
	slices.Reverse(steps)
	return steps, e.atKey, true
}
