package config

import (
	"sort"
	"strconv"
	"strings"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// MaxErrors is how many errors one Parse reports; more are counted.
const MaxErrors = 20

// ErrorList is what Parse returns on failure: every error it found, in
// document order, up to MaxErrors. Structural errors (syntax, unknown
// fields, types, values, missing fields) come first; reference errors
// (an unknown provider, a parameter the path lacks, ...) are looked for
// only once the structure is right, since a half-read document would
// give false ones. Error() is one line per error without positions;
// Lines() adds them.
type ErrorList struct {
	// Errors holds at least one error.
	Errors []*Error
	// Omitted counts the errors found beyond MaxErrors.
	Omitted int
}

// Error returns each error's "<path>: <message>", one per line.
func (l *ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l.Errors {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	if l.Omitted > 0 {
		b.WriteString("\n" + l.omitted())
	}
	return b.String()
}

func (l *ErrorList) omitted() string {
	if l.Omitted == 1 {
		return "(and 1 more error)"
	}
	return "(and " + strconv.Itoa(l.Omitted) + " more errors)"
}

// Unwrap lets errors.As find each *Error.
func (l *ErrorList) Unwrap() []error {
	out := make([]error, len(l.Errors))
	for i, e := range l.Errors {
		out[i] = e
	}
	return out
}

// Lines returns each error's Located() text, in document order, then
// "(and N more errors)" when some were left out. The plugin logs each line
// after "apiguard: config: ".
func (l *ErrorList) Lines() []string {
	out := make([]string, 0, len(l.Errors)+1)
	for _, e := range l.Errors {
		out = append(out, e.Located())
	}
	if l.Omitted > 0 {
		out = append(out, l.omitted())
	}
	return out
}

// Lines returns the lines an operator should see for err: those of an
// *ErrorList, the Located() text of an *Error, or err.Error() split into
// lines for anything else.
func Lines(err error) []string {
	switch e := err.(type) {
	case *ErrorList:
		return e.Lines()
	case *Error:
		return []string{e.Located()}
	}
	return strings.Split(err.Error(), "\n")
}

// collector gathers the errors of one object or list while its walk goes on
// past them, so one run reports every error.
type collector struct{ errs []*Error }

// add records err (a bundle is flattened); nil is ignored.
func (c *collector) add(err *Error) {
	if err == nil {
		return
	}
	c.errs = append(c.errs, err.flatten()...)
}

// result returns nil, or one *Error that stands for all: the first error,
// carrying the others, so that callers written for one error pass the
// bundle up unchanged.
func (c *collector) result() *Error {
	if len(c.errs) == 0 {
		return nil
	}
	first := *c.errs[0]
	first.more = append([]*Error(nil), c.errs[1:]...)
	return &first
}

// flatten lists the errors a bundle stands for.
func (e *Error) flatten() []*Error {
	if len(e.more) == 0 {
		return []*Error{e}
	}
	one := *e
	one.more = nil
	return append([]*Error{&one}, e.more...)
}

// newErrorList locates each error in data (doc is its parsed value, or
// nil) and keeps the first MaxErrors. The walk found them in document
// order: members and items in order, an object's missing fields after its
// members.
func newErrorList(data []byte, doc *jsonx.Value, errs []*Error) *ErrorList {
	lines := lineStarts(data)
	for _, e := range errs {
		off := -1
		switch {
		case e.off1 > 0:
			off = e.off1 - 1
		case e.at != nil && doc != nil:
			off = locate(doc, e.at, e.atKey)
		}
		if off >= 0 {
			e.Line, e.Column = lineColumn(lines, off)
		}
	}
	l := &ErrorList{Errors: errs}
	if len(errs) > MaxErrors {
		l.Errors, l.Omitted = errs[:MaxErrors], len(errs)-MaxErrors
	}
	return l
}

// locate returns the byte offset of the value at p in doc (of the key, for
// a member, when atKey), or of the deepest value on the way that exists:
// a missing field is reported at its object.
func locate(doc *jsonx.Value, p *path, atKey bool) int {
	var steps []*path
	for q := p; q.parent != nil; q = q.parent {
		steps = append(steps, q)
	}
	v := doc
	for i := len(steps) - 1; i >= 0; i-- {
		q := steps[i]
		switch {
		case q.index >= 0 && v.Kind == jsonx.KindArray && q.index < len(v.Items):
			v = &v.Items[q.index]
		case q.index < 0 && v.Kind == jsonx.KindObject:
			m := member(v, q.key)
			if m == nil {
				return v.Offset
			}
			if i == 0 && atKey {
				return m.Offset
			}
			v = &m.Value
		default:
			return v.Offset
		}
	}
	return v.Offset
}

func member(v *jsonx.Value, key string) *jsonx.Member {
	for i := range v.Members {
		if v.Members[i].Key == key {
			return &v.Members[i]
		}
	}
	return nil
}

// lineStarts returns the offset at which each line of data starts.
func lineStarts(data []byte) []int {
	starts := []int{0}
	for i, c := range data {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// lineColumn turns a byte offset into a 1-based line and column.
func lineColumn(starts []int, off int) (int, int) {
	i := sort.Search(len(starts), func(i int) bool { return starts[i] > off }) - 1
	return i + 1, off - starts[i] + 1
}

// didYouMean returns ` (did you mean "x"?)` for the choice closest to got,
// when one is close enough to be a typo (or differs only in case,
// separators or plural), else "".
func didYouMean(got string, choices []string) string {
	if best := closest(got, choices); best != "" {
		return " (did you mean " + strconv.Quote(best) + "?)"
	}
	return ""
}

// closest returns the choice nearest to got within a typo's distance, or "".
func closest(got string, choices []string) string {
	if got == "" || len(got) > 64 {
		return ""
	}
	norm := func(s string) string {
		return strings.NewReplacer("-", "_", " ", "_").Replace(strings.ToLower(s))
	}
	g := norm(got)
	best, bestD := "", 1<<30
	for _, c := range choices {
		if c == got {
			continue
		}
		d := editDistance(g, norm(c))
		if d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" || bestD > typoDistance(got) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, counting an
// adjacent transposition as one edit.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// fieldNames are the field names of the configuration, the candidates of
// "did you mean" for an unknown field (eachMember asks the object's reader
// which of the close ones it knows).
var fieldNames = strings.Fields(`
action algorithms allow allow_credentials allow_headers allow_methods
allow_missing allow_origins any_of api_keys audiences audit_log auth
authority body_owner burst case_insensitive_paths case_sensitive_keys claim
claims claims_to_headers clock_skew_seconds cluster clusters contains cookie
cors default deprecation discovery domain enforce env equals errors expires
failed_auth_limit failure_mode field fields forbid_query_params forward from
global hash_secret header hold_headers id issuer json jwks key keys limit
link mask match max_age_seconds max_array_items max_body_bytes max_bytes
max_depth max_entries max_keys max_lifetime_seconds max_stale_seconds
max_string_bytes methods name owner param pass_credentials pass_types path
paths prefix providers query rate_limit_service rate_limit_slots rate_limits
raw_path redact refresh_seconds refuse_after_sunset remote_jwks request
require_expiration require_tls required response routes sanitize_upstream_5xx
schema schema_violation schemas security_headers sha256 since sunset
timeout_ms token_cache type undeclared unless url validation_details window`)

// nearFieldNames returns the field names within a typo's distance of key,
// closest first.
func nearFieldNames(key string) []string {
	if key == "" || len(key) > 64 {
		return nil
	}
	type cand struct {
		name string
		d    int
	}
	var out []cand
	k := strings.ToLower(strings.NewReplacer("-", "_", " ", "_").Replace(key))
	for _, n := range fieldNames {
		if n == key {
			continue
		}
		if d := editDistance(k, n); d <= typoDistance(key) {
			out = append(out, cand{n, d})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].d < out[j].d })
	names := make([]string, len(out))
	for i, c := range out {
		names[i] = c.name
	}
	return names
}

// typoDistance is how many edits still read as a typo of a word as long
// as s.
func typoDistance(s string) int {
	switch {
	case len(s) >= 8:
		return 3
	case len(s) >= 4:
		return 2
	}
	return 1
}

// DidYouMean is didYouMean for the command's other documents (the
// `apiguard openapi` overlay): ` (did you mean "x"?)` for the choice
// closest to got within a typo's distance, else "".
func DidYouMean(got string, choices []string) string { return didYouMean(got, choices) }

// Position returns the 1-based line and column (in bytes) of byte off of
// data, as Error counts them, for documents the command reads beside a
// policy (the `apiguard openapi` overlay).
func Position(data []byte, off int) (line, column int) {
	return lineColumn(lineStarts(data), off)
}
