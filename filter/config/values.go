package config

import (
	"strconv"
	"strings"
	"time"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// This file holds the typed readers of JSON values: each checks the JSON
// type and the range, and reports at the value's path.

func kindPhrase(k jsonx.Kind) string {
	switch k {
	case jsonx.KindObject:
		return "an object"
	case jsonx.KindArray:
		return "an array"
	case jsonx.KindString:
		return "a string"
	case jsonx.KindNumber:
		return "a number"
	case jsonx.KindBool:
		return "a boolean"
	}
	return "null"
}

// typeError reports that v is not what was wanted; it names v's JSON type,
// never its content.
func typeError(v *jsonx.Value, p *path, want string) *Error {
	return p.errorf("must be %s, not %s", want, kindPhrase(v.Kind))
}

func unknownField(p *path, key string) *Error {
	return p.errorf("unknown field %s", quote(key))
}

func missingField(p *path, key string) *Error {
	return p.errorf("missing required field %q", key)
}

func wantObject(v *jsonx.Value, p *path) *Error {
	if v.Kind != jsonx.KindObject {
		return typeError(v, p, "an object")
	}
	return nil
}

// eachMember reads the object v at p member by member, in document order:
// f reads one member at mp and reports known false for a key that is not a
// field of the object. The first unknown field or error ends the walk, so the
// error reported is the first one in the document; then the first of the
// required keys the object lacks is reported.
func eachMember(v *jsonx.Value, p *path, f func(m *jsonx.Member, mp *path) (known bool, err *Error), required ...string) *Error {
	if err := wantObject(v, p); err != nil {
		return err
	}
	for i := range v.Members {
		m := &v.Members[i]
		known, err := f(m, p.field(m.Key))
		if !known {
			return unknownField(p, m.Key)
		}
		if err != nil {
			return err
		}
	}
	return requireFields(v, p, required...)
}

// requireFields reports the first of keys, in the order given, that the
// object v lacks. eachMember runs it once every member present was read
// without error; it stands alone where a check must come in between.
func requireFields(v *jsonx.Value, p *path, keys ...string) *Error {
	for _, k := range keys {
		if v.Get(k) == nil {
			return missingField(p, k)
		}
	}
	return nil
}

// getList reads the array v at p item by item with parse, in order; the
// first error ends it.
func getList[T any](v *jsonx.Value, p *path, parse func(*jsonx.Value, *path) (T, *Error)) ([]T, *Error) {
	if err := wantArray(v, p, false); err != nil {
		return nil, err
	}
	out := make([]T, 0, len(v.Items))
	for i := range v.Items {
		x, err := parse(&v.Items[i], p.at(i))
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

func wantArray(v *jsonx.Value, p *path, nonEmpty bool) *Error {
	if v.Kind != jsonx.KindArray {
		return typeError(v, p, "an array")
	}
	if nonEmpty && len(v.Items) == 0 {
		return p.errorf("must not be empty")
	}
	return nil
}

func getBool(v *jsonx.Value, p *path) (bool, *Error) {
	if v.Kind != jsonx.KindBool {
		return false, typeError(v, p, "a boolean")
	}
	return v.Bool, nil
}

func getString(v *jsonx.Value, p *path) (string, *Error) {
	if v.Kind != jsonx.KindString {
		return "", typeError(v, p, "a string")
	}
	return v.Str, nil
}

// getText reads a non-empty string without control characters: a name or
// value that ends up in a header, a log line or an HTTP call.
func getText(v *jsonx.Value, p *path) (string, *Error) {
	s, err := getString(v, p)
	if err != nil {
		return "", err
	}
	if s == "" {
		return "", p.errorf("must not be empty")
	}
	if hasControl(s) {
		return "", p.errorf("must not contain control characters")
	}
	return s, nil
}

// getInt reads an integer in [lo, hi]. Fractions and exponents are refused
// even when their value is whole (1.0, 1e3): counts are written as integers.
func getInt(v *jsonx.Value, p *path, lo, hi int64) (int64, *Error) {
	if v.Kind != jsonx.KindNumber {
		return 0, typeError(v, p, "an integer")
	}
	n, ok := v.Int64()
	if !ok {
		if strings.ContainsAny(v.Str, ".eE") {
			return 0, p.errorf("must be an integer, not %s", shortNumber(v.Str))
		}
		// An integer literal that overflows int64.
		if strings.HasPrefix(v.Str, "-") {
			n = -1 << 63
		} else {
			n = 1<<63 - 1
		}
	}
	if n < lo || n > hi {
		return 0, rangeError(p, lo, hi)
	}
	return n, nil
}

func rangeError(p *path, lo, hi int64) *Error {
	return p.errorf("must be between %d and %d", lo, hi)
}

func shortNumber(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}

// getDuration reads a duration string in (0, max].
func getDuration(v *jsonx.Value, p *path, max time.Duration) (time.Duration, *Error) {
	s, err := getString(v, p)
	if err != nil {
		return 0, err
	}
	d, ok := ParseDuration(s)
	if !ok {
		return 0, p.errorf("%s is not a duration", quote(s))
	}
	if d <= 0 {
		return 0, p.errorf("%s must be greater than zero", quote(s))
	}
	if d > max {
		return 0, p.errorf("%s is longer than %s", quote(s), FormatDuration(max))
	}
	return d, nil
}

// ParseDuration reads a configuration duration: Go duration syntax (`500ms`,
// `30s`, `1m`, `2h`, `1h30m`) or a whole number of days (`1d`). It reports
// false for anything else, including day counts that overflow.
func ParseDuration(s string) (time.Duration, bool) {
	if n := len(s); n > 1 && s[n-1] == 'd' {
		days, err := strconv.ParseUint(s[:n-1], 10, 32)
		if err != nil || s[0] == '+' || days > uint64(maxDays) {
			return 0, false
		}
		return time.Duration(days) * 24 * time.Hour, true
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, false
	}
	return d, true
}

// maxDays keeps a day count within time.Duration.
const maxDays = 106751

// FormatDuration writes d the way the configuration would: whole days as
// `Nd`, otherwise Go syntax.
func FormatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d > 0 && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return d.String()
}

// getTime reads an RFC 3339 timestamp, returned in UTC.
func getTime(v *jsonx.Value, p *path) (time.Time, *Error) {
	s, err := getString(v, p)
	if err != nil {
		return time.Time{}, err
	}
	t, perr := time.Parse(time.RFC3339, s)
	if perr != nil {
		return time.Time{}, p.errorf("%s is not an RFC 3339 timestamp", quote(s))
	}
	return t.UTC(), nil
}

// listOpts shapes getStrings.
type listOpts struct {
	nonEmpty bool // refuse []
	// check validates and canonicalises one item; its message is reported at
	// the item's path.
	check func(s string) (string, string)
}

// getStrings reads an array of strings, canonicalised by opts.check, and
// refuses duplicates (compared after canonicalisation).
func getStrings(v *jsonx.Value, p *path, opts listOpts) ([]string, *Error) {
	if err := wantArray(v, p, opts.nonEmpty); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(v.Items))
	for i := range v.Items {
		ip := p.at(i)
		s, err := getString(&v.Items[i], ip)
		if err != nil {
			return nil, err
		}
		if opts.check != nil {
			c, msg := opts.check(s)
			if msg != "" {
				return nil, ip.errorf("%s", msg)
			}
			s = c
		}
		for j, prev := range out {
			if prev == s {
				return nil, ip.errorf("duplicate of %s at [%d]", quote(s), j)
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// checkText is a listOpts.check for plain non-empty strings.
func checkText(s string) (string, string) {
	if s == "" {
		return "", "must not be empty"
	}
	if hasControl(s) {
		return "", "must not contain control characters"
	}
	return s, ""
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}
