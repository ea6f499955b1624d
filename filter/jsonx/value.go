package jsonx

import (
	"math"
	"strconv"
	"strings"
)

// Kind is the JSON type of a Value.
type Kind uint8

// The JSON types. The zero Kind is KindNull, so a zero Value is a null.
const (
	KindNull Kind = iota
	KindBool
	KindNumber
	KindString
	KindObject
	KindArray
)

var kindNames = [...]string{"null", "boolean", "number", "string", "object", "array"}

// String returns the JSON type name as used in configuration
// (`request.json.fields` types and error messages).
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "invalid"
}

// Value is a parsed JSON value. Only the fields of its Kind are set.
type Value struct {
	Kind Kind
	// Bool is the value of a KindBool.
	Bool bool
	// Str is the decoded text of a KindString, or the number exactly as
	// written for a KindNumber (so no precision is lost before the caller
	// decides how to read it; see Int64 and Float64).
	Str string
	// Members of a KindObject, in document order. Keys are unique.
	Members []Member
	// Items of a KindArray.
	Items []Value
	// Offset is the byte offset of the value's first byte in the input.
	Offset int
}

// Member is one key/value pair of an object.
type Member struct {
	Key   string // decoded
	Value Value
	// Offset is the byte offset of the key's opening quote in the input.
	Offset int
}

// Get returns the member value named key (exact, case-sensitive match), or
// nil if v is not an object or has no such member.
func (v *Value) Get(key string) *Value {
	if v == nil || v.Kind != KindObject {
		return nil
	}
	for i := range v.Members {
		if v.Members[i].Key == key {
			return &v.Members[i].Value
		}
	}
	return nil
}

// Lookup follows path through nested objects (no array indexing) and
// returns the value, or nil if a step is missing or not an object. An empty
// path returns v.
func (v *Value) Lookup(path []string) *Value {
	for _, k := range path {
		v = v.Get(k)
		if v == nil {
			return nil
		}
	}
	return v
}

// CountFold returns how many members of object v have a key equal to key
// under case folding (EqualFold: Unicode simple case folding, with 'İ' and
// 'ı' as 'i'; 0 if v is not an object). Parse has already refused exact
// duplicates, so a count above 1 means keys that differ only in letter
// case, e.g. "customer_id" and "Customer_ID" (body_owner's rule,
// docs/configuration.md; authn's streaming walk decides it, and its tests
// use CountFold as the oracle).
func (v *Value) CountFold(key string) int {
	if v == nil || v.Kind != KindObject {
		return 0
	}
	n := 0
	for i := range v.Members {
		if EqualFold(v.Members[i].Key, key) {
			n++
		}
	}
	return n
}

// Int64 returns the value of a KindNumber written as an integer (no
// fraction, no exponent: 1.0 and 1e3 are refused) that fits in an int64.
// "-0" is 0.
func (v Value) Int64() (int64, bool) {
	if v.Kind != KindNumber || strings.ContainsAny(v.Str, ".eE") {
		return 0, false
	}
	n, err := strconv.ParseInt(v.Str, 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

// Float64 returns the value of a KindNumber as the nearest float64. It
// fails for numbers whose magnitude overflows float64 (1e400); numbers too
// small to represent round to zero (1e-400 is 0), as in every JSON parser.
func (v Value) Float64() (float64, bool) {
	if v.Kind != KindNumber {
		return 0, false
	}
	f, err := strconv.ParseFloat(v.Str, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}
