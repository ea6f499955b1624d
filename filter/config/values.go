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
	e := p.errorf("unknown field %s", quote(key))
	e.at, e.atKey = p.field(key), true
	return e
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
// field of the object. The walk goes on past an unknown field or an error,
// so that one run reports them all; then every required key the object
// lacks is reported. The result bundles the errors (see collector).
func eachMember(v *jsonx.Value, p *path, f func(m *jsonx.Member, mp *path) (known bool, err *Error), required ...string) *Error {
	if err := wantObject(v, p); err != nil {
		return err
	}
	var c collector
	var unknown []int
	for i := range v.Members {
		m := &v.Members[i]
		known, err := f(m, p.field(m.Key))
		if !known {
			unknown = append(unknown, len(c.errs))
			c.add(unknownField(p, m.Key))
			continue
		}
		c.add(err)
	}
	// Suggestions come last: probing f may disturb what it fills in, and
	// the document is refused anyway.
	for _, i := range unknown {
		c.errs[i].Msg += suggestField(c.errs[i].at.key, p, f)
	}
	for _, k := range required {
		if v.Get(k) == nil {
			c.add(missingField(p, k))
		}
	}
	return c.result()
}

// suggestField finds, among the field names of the configuration close to
// key, one that f knows, by asking f to read it with a null value (every
// reader refuses null, so nothing is filled in but zero values).
func suggestField(key string, p *path, f func(m *jsonx.Member, mp *path) (bool, *Error)) string {
	for _, cand := range nearFieldNames(key) {
		m := &jsonx.Member{Key: cand, Value: jsonx.Value{Kind: jsonx.KindNull}}
		if known, _ := f(m, p.field(cand)); known {
			return " (did you mean " + strconv.Quote(cand) + "?)"
		}
	}
	return ""
}

// requireFields reports the first of keys, in the order given, that the
// object v lacks. It stands alone where a check must come before the
// required fields are looked at.
func requireFields(v *jsonx.Value, p *path, keys ...string) *Error {
	for _, k := range keys {
		if v.Get(k) == nil {
			return missingField(p, k)
		}
	}
	return nil
}

// getList reads the array v at p item by item with parse, in order; it
// goes on past an item's errors and returns them all.
func getList[T any](v *jsonx.Value, p *path, parse func(*jsonx.Value, *path) (T, *Error)) ([]T, *Error) {
	if err := wantArray(v, p, false); err != nil {
		return nil, err
	}
	out := make([]T, 0, len(v.Items))
	var c collector
	for i := range v.Items {
		x, err := parse(&v.Items[i], p.at(i))
		if err != nil {
			c.add(err)
			continue
		}
		out = append(out, x)
	}
	if err := c.result(); err != nil {
		return nil, err
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
		return 0, p.errorf("%s is not a duration%s", quote(s), durationHint(s))
	}
	if d <= 0 {
		return 0, p.errorf("%s must be greater than zero", quote(s))
	}
	if d > max {
		return 0, p.errorf("%s is longer than %s", quote(s), FormatDuration(max))
	}
	return d, nil
}

// durationUnits maps the words people write for a unit to its symbol.
var durationUnits = map[string]string{
	"ms": "ms", "msec": "ms", "msecs": "ms", "millisecond": "ms", "milliseconds": "ms",
	"s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
	"m": "m", "min": "m", "mins": "m", "minute": "m", "minutes": "m",
	"h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
	"d": "d", "day": "d", "days": "d",
}

// durationHint says how to write a duration that ParseDuration refused:
// the spelling it probably meant ("1 minute" is "1m", "60" is "60s"), and
// always the accepted units.
func durationHint(s string) string {
	const units = `a number and a unit: ms, s, m, h or d, as in "500ms", "30s", "1m", "1h30m", "1d"`
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, word := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	if num == "" || num[0] == '.' || strings.Count(num, ".") > 1 || len(num) > 20 {
		return " (write " + units + ")"
	}
	if word == "" {
		return " (a duration needs a unit: " + strconv.Quote(num+"s") + " is " + num + " seconds; write " + units + ")"
	}
	if u, ok := durationUnits[word]; ok {
		if _, ok := ParseDuration(num + u); ok {
			return " (did you mean " + strconv.Quote(num+u) + "? write " + units + ")"
		}
	}
	return " (write " + units + ")"
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
	at := make([]int, 0, len(v.Items)) // the index of each of out
	var errs collector
	for i := range v.Items {
		ip := p.at(i)
		s, err := getString(&v.Items[i], ip)
		if err != nil {
			errs.add(err)
			continue
		}
		if opts.check != nil {
			c, msg := opts.check(s)
			if msg != "" {
				errs.add(ip.errorf("%s", msg))
				continue
			}
			s = c
		}
		dup := false
		for j, prev := range out {
			if prev == s {
				errs.add(ip.errorf("duplicate of %s at [%d]", quote(s), at[j]))
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, s)
			at = append(at, i)
		}
	}
	if err := errs.result(); err != nil {
		return nil, err
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
