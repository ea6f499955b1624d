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
// case, e.g. "customer_id" and "Customer_ID" (docs/configuration.md auth.owner
// body_owner).
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

// parser builds a Value tree from Scanner tokens with an explicit stack.
// Children of open containers wait on two shared stacks (vals, mems); when
// a container closes its children are copied into one exactly sized slice,
// so a container costs one allocation and nesting costs no recursion.
type parser struct {
	frames []pframe
	vals   []Value
	mems   []Member
	strBuf []byte
}

type pframe struct {
	kind   Kind
	off    int
	base   int    // index of the first child in vals or mems
	key    string // key of the member whose value comes next
	keyOff int
}

func (p *parser) scratchSize() int {
	return cap(p.frames) + cap(p.vals) + cap(p.mems) + cap(p.strBuf)/16
}

func (p *parser) parse(s *Scanner) (Value, error) {
	data := s.data
	// One copy of the input backs every unescaped string, key and number.
	src := string(data)
	var root Value
	hwVals, hwMems := 0, 0
	p.frames = p.frames[:0]
	p.vals = p.vals[:0]
	p.mems = p.mems[:0]
	defer func() {
		// Drop references to this document's strings and slices.
		clear(p.vals[:hwVals])
		clear(p.mems[:hwMems])
		clear(p.frames[:cap(p.frames)])
	}()

	emit := func(v Value) {
		n := len(p.frames)
		if n == 0 {
			root = v
			return
		}
		f := &p.frames[n-1]
		if f.kind == KindObject {
			p.mems = append(p.mems, Member{Key: f.key, Value: v, Offset: f.keyOff})
			hwMems = max(hwMems, len(p.mems))
		} else {
			p.vals = append(p.vals, v)
			hwVals = max(hwVals, len(p.vals))
		}
	}
	str := func(tok Token) string {
		if !s.Escaped() {
			return src[tok.Start+1 : tok.End-1]
		}
		p.strBuf = AppendUnquoted(p.strBuf[:0], data[tok.Start+1:tok.End-1])
		return string(p.strBuf)
	}

	for {
		tok, err := s.Next()
		if err != nil {
			return Value{}, err
		}
		switch tok.Kind {
		case TokenBeginObject:
			p.frames = append(p.frames, pframe{kind: KindObject, off: tok.Start, base: len(p.mems)})
		case TokenBeginArray:
			p.frames = append(p.frames, pframe{kind: KindArray, off: tok.Start, base: len(p.vals)})
		case TokenKey:
			f := &p.frames[len(p.frames)-1]
			if s.Escaped() {
				f.key = string(s.Key())
			} else {
				f.key = src[tok.Start+1 : tok.End-1]
			}
			f.keyOff = tok.Start
		case TokenEndObject:
			f := p.frames[len(p.frames)-1]
			p.frames = p.frames[:len(p.frames)-1]
			v := Value{Kind: KindObject, Offset: f.off}
			if n := len(p.mems) - f.base; n > 0 {
				v.Members = make([]Member, n)
				copy(v.Members, p.mems[f.base:])
				p.mems = p.mems[:f.base]
			}
			emit(v)
		case TokenEndArray:
			f := p.frames[len(p.frames)-1]
			p.frames = p.frames[:len(p.frames)-1]
			v := Value{Kind: KindArray, Offset: f.off}
			if n := len(p.vals) - f.base; n > 0 {
				v.Items = make([]Value, n)
				copy(v.Items, p.vals[f.base:])
				p.vals = p.vals[:f.base]
			}
			emit(v)
		case TokenString:
			emit(Value{Kind: KindString, Str: str(tok), Offset: tok.Start})
		case TokenNumber:
			emit(Value{Kind: KindNumber, Str: src[tok.Start:tok.End], Offset: tok.Start})
		case TokenTrue:
			emit(Value{Kind: KindBool, Bool: true, Offset: tok.Start})
		case TokenFalse:
			emit(Value{Kind: KindBool, Offset: tok.Start})
		case TokenNull:
			emit(Value{Kind: KindNull, Offset: tok.Start})
		case TokenEnd:
			return root, nil
		}
	}
}
