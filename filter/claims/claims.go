package claims

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// Lookup follows path (claim names already split on '.', with `\.`
// escapes resolved by the configuration) through nested objects and
// returns the value, or nil when a step is missing or not an object.
// Arrays are not indexed. An empty path names no claim and returns nil.
func Lookup(claims *jsonx.Value, path []string) *jsonx.Value {
	if len(path) == 0 {
		return nil
	}
	return claims.Lookup(path)
}

// Rule is one requirement of auth.claims. Set exactly one of Equals,
// AnyOf, Contains (configuration guarantees it); if several are set, all
// must hold, and a Rule with none never holds.
type Rule struct {
	// Path is the claim, split on '.'.
	Path []string
	// Equals holds when the claim is the same JSON value (see Equal).
	Equals *jsonx.Value
	// AnyOf holds when the claim shares at least one string with the
	// list. An empty (non-nil) list never holds.
	AnyOf []string
	// Contains holds when the claim holds every listed string. An empty
	// (non-nil) list never holds: a requirement that requires nothing is
	// a configuration mistake, and failing closed makes it visible.
	Contains []string
}

// Holds reports whether the rule holds for claims (the claims object; nil
// for an anonymous request, for which every rule fails). A missing claim
// fails. For AnyOf and Contains, a claim that is a string is the list of
// its fields split on ASCII spaces (so scope "a b" is [a, b]); a claim
// that is an array is the list of its string elements, each whole;
// non-string elements never match; a claim of any other type fails.
func (r Rule) Holds(claims *jsonx.Value) bool {
	v := Lookup(claims, r.Path)
	if v == nil {
		return false
	}
	set := false
	if r.Equals != nil {
		if !Equal(v, r.Equals) {
			return false
		}
		set = true
	}
	if r.AnyOf != nil {
		if !anyOf(v, r.AnyOf) {
			return false
		}
		set = true
	}
	if r.Contains != nil {
		if len(r.Contains) == 0 {
			return false
		}
		for _, want := range r.Contains {
			if !has(v, want) {
				return false
			}
		}
		set = true
	}
	return set
}

// anyOf reports whether v holds one of list.
func anyOf(v *jsonx.Value, list []string) bool {
	for _, s := range list {
		if has(v, s) {
			return true
		}
	}
	return false
}

// has reports whether the string-list view of v (see Holds) holds s.
func has(v *jsonx.Value, s string) bool {
	switch v.Kind {
	case jsonx.KindString:
		rest := v.Str
		for rest != "" {
			var field string
			field, rest, _ = strings.Cut(rest, " ")
			if field != "" && field == s {
				return true
			}
		}
	case jsonx.KindArray:
		for i := range v.Items {
			if it := &v.Items[i]; it.Kind == jsonx.KindString && it.Str == s {
				return true
			}
		}
	}
	return false
}

// Equal compares two JSON values strictly: same type and same value.
// Strings compare byte for byte after unescaping (no Unicode
// normalization, no case folding); arrays element by element in order;
// objects by their set of members, in any order. Numbers compare by exact
// decimal value, not through float64: 1, 1.0, 10e-1 and 1E0 are equal,
// 1 and 1.0000000000000001 are not, and -0 equals 0 (a claim issuer may
// print the same number either way; JSON gives no meaning to the
// spelling). The exception is a number whose exponent does not fit in 64
// bits, which only equals the same text.
func Equal(a, b *jsonx.Value) bool {
	if a == nil || b == nil || a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case jsonx.KindNull:
		return true
	case jsonx.KindBool:
		return a.Bool == b.Bool
	case jsonx.KindString:
		return a.Str == b.Str
	case jsonx.KindNumber:
		return numberEqual(a.Str, b.Str)
	case jsonx.KindArray:
		if len(a.Items) != len(b.Items) {
			return false
		}
		for i := range a.Items {
			if !Equal(&a.Items[i], &b.Items[i]) {
				return false
			}
		}
		return true
	case jsonx.KindObject:
		// Keys are unique (jsonx refuses duplicates), so equal counts and
		// every member of a found in b means the same set.
		if len(a.Members) != len(b.Members) {
			return false
		}
		for i := range a.Members {
			if !Equal(&a.Members[i].Value, b.Get(a.Members[i].Key)) {
				return false
			}
		}
		return true
	}
	return false
}

// decimal is a JSON number as sign · 0.digits · 10^point, with digits free
// of leading and trailing zeros (empty for zero).
type decimal struct {
	neg    bool
	digits string
	point  int64
}

// parseDecimal normalizes a JSON number text (already grammar-checked by
// jsonx). ok is false when the exponent does not fit in an int64.
func parseDecimal(s string) (d decimal, ok bool) {
	if strings.HasPrefix(s, "-") {
		d.neg, s = true, s[1:]
	}
	mant, exp := s, ""
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, exp = s[:i], s[i+1:]
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	var e int64
	if exp != "" {
		var err error
		if e, err = strconv.ParseInt(exp, 10, 64); err != nil {
			return decimal{}, false
		}
	}
	// Both parts together are at most the token size, far from overflow.
	point := int64(len(intPart))
	digits := intPart + frac
	for digits != "" && digits[0] == '0' {
		digits = digits[1:]
		point--
	}
	digits = strings.TrimRight(digits, "0")
	if digits == "" {
		return decimal{}, true // zero, whatever its sign or exponent
	}
	if (e > 0 && point > math.MaxInt64-e) || (e < 0 && point < math.MinInt64-e) {
		return decimal{}, false
	}
	d.digits, d.point = digits, point+e
	return d, true
}

func numberEqual(a, b string) bool {
	da, okA := parseDecimal(a)
	db, okB := parseDecimal(b)
	if !okA || !okB {
		return a == b
	}
	return da == db
}

// HeaderValue renders a claim for claims_to_headers: a string as it is, a
// number as its JSON text (as the issuer wrote it), a boolean as true or
// false, an array of strings joined with ",". ok is false, and the request
// must be refused, for a value that cannot be forwarded faithfully: a
// string with a control character (C0 including tab, CR, LF and NUL, DEL,
// or C1), with leading or trailing spaces (HTTP strips them, so upstream
// would read another value), or not valid UTF-8; an array element that is
// not a string, is empty, or contains "," (upstream could not split the
// list back); null, objects, nested arrays, and a missing claim (nil).
// An empty array renders as an empty value.
func HeaderValue(v *jsonx.Value) (string, bool) {
	if v == nil {
		return "", false
	}
	switch v.Kind {
	case jsonx.KindString:
		if !safe(v.Str) {
			return "", false
		}
		return v.Str, true
	case jsonx.KindNumber:
		return v.Str, v.Str != ""
	case jsonx.KindBool:
		if v.Bool {
			return "true", true
		}
		return "false", true
	case jsonx.KindArray:
		n := 0
		for i := range v.Items {
			it := &v.Items[i]
			if it.Kind != jsonx.KindString || it.Str == "" || strings.IndexByte(it.Str, ',') >= 0 || !safe(it.Str) {
				return "", false
			}
			n += len(it.Str) + 1
		}
		if len(v.Items) == 1 {
			return v.Items[0].Str, true
		}
		var b strings.Builder
		b.Grow(n)
		for i := range v.Items {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(v.Items[i].Str)
		}
		return b.String(), true
	}
	return "", false
}

// safe reports whether s can be a header value as is.
func safe(s string) bool {
	if s != "" && (s[0] == ' ' || s[len(s)-1] == ' ') {
		return false
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7F {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		if r >= 0x80 && r <= 0x9F { // C1 controls
			return false
		}
		i += size
	}
	return true
}
