package reqcheck

import (
	"errors"
	"math/bits"
	"sync"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/problem"
)

// Failure says why a request failed a check of this package. Its String is
// the reason apiguard logs and counts (lower_snake_case, never request
// data); the plugin declares a problem.Reason for each.
type Failure uint8

// Failures of the JSON body checks. OK is not a failure.
const (
	OK                   Failure = iota
	JSONSyntax                   // not RFC 8259 JSON
	JSONDepth                    // deeper than max_depth
	JSONKeys                     // an object with more than max_keys members
	JSONItems                    // an array with more than max_array_items elements
	JSONStringSize               // a key or string over max_string_bytes
	JSONDuplicateKey             // the same key twice in one object
	JSONDuplicateKeyCase         // keys equal up to case (unless KeysExact)
	JSONUTF8                     // invalid UTF-8 or a lone surrogate escape
	JSONTrailingData             // something after the JSON value
	JSONEmpty                    // no JSON value (an empty body where one is required)
	JSONInvalid                  // a jsonx refusal this package does not name
	FieldMissing                 // a required `fields` path is absent
	FieldType                    // a `fields` path holds a value of the wrong type
	JSONSchema                   // the body fails its schema (request.json.schema)
	JSONSchemaNotAllowed         // only members the schema does not allow: readOnly, undeclared, case variants
	numFailures
)

var failureNames = [numFailures]string{
	OK:                   "ok",
	JSONSyntax:           "json_syntax",
	JSONDepth:            "json_depth",
	JSONKeys:             "json_keys",
	JSONItems:            "json_items",
	JSONStringSize:       "json_string_size",
	JSONDuplicateKey:     "json_duplicate_key",
	JSONDuplicateKeyCase: "json_duplicate_key_case",
	JSONUTF8:             "json_utf8",
	JSONTrailingData:     "json_trailing_data",
	JSONEmpty:            "json_empty",
	JSONInvalid:          "json_invalid",
	FieldMissing:         "json_field_missing",
	FieldType:            "json_field_type",
	JSONSchema:           "json_schema",
	JSONSchemaNotAllowed: "json_schema_not_allowed",
}

// String returns the failure's reason name. The names are constants, so
// using one as a metric or log label allocates nothing.
func (f Failure) String() string {
	if f < numFailures {
		return failureNames[f]
	}
	return "invalid"
}

// Failures lists every failure other than OK, for tests that check each has
// a declared reason.
func Failures() []Failure {
	out := make([]Failure, 0, numFailures-1)
	for f := OK + 1; f < numFailures; f++ {
		out = append(out, f)
	}
	return out
}

// fromError maps a jsonx refusal to a Failure.
func fromError(err error) Failure {
	if err == nil {
		return OK
	}
	var je *jsonx.Error
	if !errors.As(err, &je) {
		return JSONInvalid
	}
	switch je.Reason {
	case jsonx.ReasonSyntax:
		return JSONSyntax
	case jsonx.ReasonDepth:
		return JSONDepth
	case jsonx.ReasonKeys:
		return JSONKeys
	case jsonx.ReasonItems:
		return JSONItems
	case jsonx.ReasonStringSize:
		return JSONStringSize
	case jsonx.ReasonDuplicateKey:
		return JSONDuplicateKey
	case jsonx.ReasonDuplicateKeyCase:
		return JSONDuplicateKeyCase
	case jsonx.ReasonUTF8:
		return JSONUTF8
	case jsonx.ReasonTrailingData:
		return JSONTrailingData
	case jsonx.ReasonEmpty:
		return JSONEmpty
	}
	return JSONInvalid
}

// kinds of value a `fields` path was found holding (0: not found).
const (
	kindNone uint8 = iota
	kindObject
	kindArray
	kindString
	kindInteger // a number written without fraction or exponent
	kindNumber  // any other number
	kindBoolean
	kindNull
)

// typeAllows reports whether a value of kind k satisfies a `fields` type.
// "integer" means a number written with digits only (an optional minus
// sign, no fraction, no exponent): 1.0 and 1e2 are numbers, not integers,
// since upstreams that parse integers strictly refuse them.
func typeAllows(t config.JSONType, k uint8) bool {
	switch t {
	case config.TypeAny:
		return true
	case config.TypeObject:
		return k == kindObject
	case config.TypeArray:
		return k == kindArray
	case config.TypeString:
		return k == kindString
	case config.TypeNumber:
		return k == kindNumber || k == kindInteger
	case config.TypeInteger:
		return k == kindInteger
	case config.TypeBoolean:
		return k == kindBoolean
	case config.TypeNull:
		return k == kindNull
	}
	return false
}

// Checker checks JSON request bodies. It keeps its scratch memory (the
// jsonx validator and scanner, the `fields` match state) across calls, so a
// warm Checker allocates nothing. It is not safe for concurrent use.
type Checker struct {
	v       jsonx.Validator
	s       jsonx.Scanner
	scanned bool // the last Check walked with s (fields rules), not v

	// masks holds, for each depth d in 1..maxLen, the set of `fields`
	// rules (one bit each, words per depth) whose first d-1 path segments
	// name the keys leading to the object open at depth d.
	masks []uint64
	pend  []uint64 // rules whose segment matched the last key
	found []uint8  // kind each rule's value was found with
}

// KeyCase says which keys of one object are duplicates.
type KeyCase uint8

const (
	// KeysFold: keys equal after unescaping and case folding (jsonx
	// FoldDuplicates: "qty" and "QTY", "k" and the Kelvin sign, "i" and
	// "İ"), since Go's encoding/json, Jackson and System.Text.Json bind
	// member names without regard to case (docs/configuration.md "request"). The
	// default.
	KeysFold KeyCase = iota
	// KeysExact: keys equal after unescaping only
	// (json.case_sensitive_keys).
	KeysExact
)

// KeyCaseOf is the KeyCase of a route's `request.json` (nil: none, so the
// default).
func KeyCaseOf(j *config.JSONRules) KeyCase {
	if j != nil && j.CaseSensitiveKeys {
		return KeysExact
	}
	return KeysFold
}

// Check validates body as exactly one JSON value within lim, with valid
// UTF-8 and no duplicate keys (compared as keys says), and checks the
// `fields` rules against it, in one pass. It returns the first failure, or
// OK. An empty body fails with JSONEmpty; callers that allow an empty body
// test for it first.
//
// Without fields this is jsonx's Validate, the project's fastest walk; with
// fields the same checks run through jsonx.Scanner, and only keys at the
// depths the rules reach are compared.
func (c *Checker) Check(body []byte, lim jsonx.Limits, fields []config.FieldRule, keys KeyCase) Failure {
	fold := keys != KeysExact
	c.scanned = len(fields) > 0
	if len(fields) == 0 {
		c.v.FoldDuplicates = fold
		return fromError(c.v.Validate(body, lim))
	}
	c.s.FoldDuplicates = fold
	return c.checkFields(body, lim, fields)
}

func (c *Checker) checkFields(body []byte, lim jsonx.Limits, fields []config.FieldRule) Failure {
	f := c.walkFields(body, lim, fields)
	// Drop the scanner's reference to the body: a pooled Checker must not
	// keep a request body alive (the record TopLevelKeys reads stays).
	c.s.Release()
	return f
}

func (c *Checker) walkFields(body []byte, lim jsonx.Limits, fields []config.FieldRule) Failure {
	maxLen := 0
	for i := range fields {
		maxLen = max(maxLen, len(fields[i].Path))
	}
	nw := (len(fields) + 63) / 64
	c.masks = grow(c.masks, (maxLen+1)*nw)
	c.pend = grow(c.pend, nw)
	if cap(c.found) < len(fields) {
		c.found = make([]uint8, len(fields))
	}
	found := c.found[:len(fields)]
	clear(found)
	// Every rule starts at the top level. Keys at depth 1 exist only when
	// the top-level value is an object, so masks[1] needs no condition.
	clear(c.masks)
	for i := range fields {
		c.masks[nw+i/64] |= 1 << (i % 64)
	}

	s := &c.s
	s.Reset(body, lim)
	for {
		// Only keys matter here: the scanner validates and skips every
		// other token in its own loop.
		tok, err := s.NextIn(keysOnly, nil)
		if err != nil {
			return fromError(err)
		}
		if tok.Kind == jsonx.TokenEnd {
			break
		}
		if tok.Kind != jsonx.TokenKey {
			continue
		}
		d := s.Depth()
		if d > maxLen {
			continue
		}
		// A key at depth d ends the previous member of its object, so no
		// deeper container is on a rule's path any more; the next object
		// at depth d+1 can only be this key's value. Containers inside
		// arrays are never on a path: their owner key cleared them.
		clear(c.masks[(d+1)*nw : (maxLen+1)*nw])
		key := s.Key()
		m := c.masks[d*nw : (d+1)*nw]
		pending := false
		for w := range m {
			var hit uint64
			for set := m[w]; set != 0; set &= set - 1 {
				b := bits.TrailingZeros64(set)
				if fields[w*64+b].Path[d-1] == string(key) {
					hit |= 1 << b
				}
			}
			c.pend[w] = hit
			pending = pending || hit != 0
		}
		if !pending {
			continue
		}
		// The key's value: its kind is what the rules that end here
		// check; an object carries the longer rules one level down.
		val, err := s.Next()
		if err != nil {
			return fromError(err)
		}
		kind := tokenKind(val, body)
		for w, set := range c.pend[:nw] {
			for ; set != 0; set &= set - 1 {
				b := bits.TrailingZeros64(set)
				r := w*64 + b
				if len(fields[r].Path) == d {
					found[r] = kind
				} else if kind == kindObject {
					c.masks[(d+1)*nw+w] |= 1 << b
				}
			}
		}
	}
	for i := range fields {
		switch k := found[i]; {
		case k == kindNone:
			if fields[i].Required {
				return FieldMissing
			}
		case !typeAllows(fields[i].Type, k):
			return FieldType
		}
	}
	return OK
}

var keysOnly = jsonx.KindsOf(jsonx.TokenKey)

// tokenKind is the kind of the value that starts with tok.
func tokenKind(tok jsonx.Token, body []byte) uint8 {
	switch tok.Kind {
	case jsonx.TokenBeginObject:
		return kindObject
	case jsonx.TokenBeginArray:
		return kindArray
	case jsonx.TokenString:
		return kindString
	case jsonx.TokenNumber:
		return numberKind(body[tok.Start:tok.End])
	case jsonx.TokenTrue, jsonx.TokenFalse:
		return kindBoolean
	}
	return kindNull
}

// numberKind tells integers (digits only) from other numbers; the scanner
// has already checked the grammar.
func numberKind(num []byte) uint8 {
	for _, c := range num {
		if c == '.' || c == 'e' || c == 'E' {
			return kindNumber
		}
	}
	return kindInteger
}

func grow(s []uint64, n int) []uint64 {
	if cap(s) < n {
		return make([]uint64, n)
	}
	return s[:n]
}

// TopLevelKeys and TopLevelKey read the top-level member names of the body
// the last Check accepted, from the record of the walk that checked it
// (jsonx.Scanner.TopLevelKeys).
func (c *Checker) TopLevelKeys() int {
	if c.scanned {
		return c.s.TopLevelKeys()
	}
	return c.v.TopLevelKeys()
}

// TopLevelKey: see TopLevelKeys.
func (c *Checker) TopLevelKey(i int, data []byte) []byte {
	if c.scanned {
		return c.s.TopLevelKey(i, data)
	}
	return c.v.TopLevelKey(i, data)
}

var checkers = sync.Pool{New: func() any { return new(Checker) }}

// checkJSON runs CheckBody's checks and then, from the same walk's record,
// the checks of the body's top-level members (topLevelReason), with a
// pooled Checker: the reason of the first failure, or "".
func checkJSON(body []byte, lim jsonx.Limits, fields []config.FieldRule, keys KeyCase, query string) problem.Reason {
	c := checkers.Get().(*Checker)
	r := problem.Reason("")
	if f := c.Check(body, lim, fields, keys); f != OK {
		r = problem.Reason(f.String())
	} else {
		r = topLevelReason(c, body, query)
	}
	checkers.Put(c)
	return r
}

// CheckBody is Checker.Check with a pooled Checker.
func CheckBody(body []byte, lim jsonx.Limits, fields []config.FieldRule, keys KeyCase) Failure {
	c := checkers.Get().(*Checker)
	f := c.Check(body, lim, fields, keys)
	checkers.Put(c)
	return f
}
