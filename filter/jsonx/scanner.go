package jsonx

import (
	"encoding/binary"
)

type scanState uint8

const (
	stBegin       scanState = iota // before the top-level value
	stArrayFirst                   // after '[': a value or ']'
	stObjectFirst                  // after '{': a key or '}'
	stColon                        // after a key: ':' then a value
	stAfter                        // after a value: ',' or a closer, or the end
	stDone                         // TokenEnd was returned
	stFailed                       // an error was returned
)

type frame struct {
	obj     bool     // object (true) or array
	indexed bool     // this object's keys are in the hash table (see keys.go)
	bloom   uint64   // fingerprints of this small object's keys (keys.go)
	count   int      // members or items so far
	base    int      // objects: index in Scanner.keys of this object's first key
	members *Members // objects: see Within
	tally   int32    // objects: Members.Tally of its keys
	quiet   uint16   // kinds of scalar items (QuietItems) or of this member's value (Within) that need no token
}

// Scanner is an iterative, validating JSON tokenizer. It enforces the whole
// grammar, UTF-8 validity, duplicate keys and Limits while it goes, so a
// caller that has seen TokenEnd knows the document is valid; a caller that
// acts on tokens before the end (a streaming rewriter) must be ready for
// Next to fail later and must discard its output then.
//
// Use:
//
//	var s jsonx.Scanner
//	s.Reset(data, lim)
//	for {
//		tok, err := s.Next()
//		if err != nil { ... }          // *Error; the Scanner stays failed
//		if tok.Kind == jsonx.TokenEnd { break }
//		switch tok.Kind {
//		case jsonx.TokenKey:
//			key := s.Key()          // unescaped, valid until the next call
//			...
//		}
//	}
//
// Every value, at every depth, is one token (scalars) or a TokenBegin*/
// TokenEnd* pair (containers); an object member is a TokenKey followed by
// its value. Depth reports how many containers are open, so a rewriter can
// drop or replace a member by remembering the Start of its key token and
// skipping tokens until the depth returns to where the key was.
//
// The zero Scanner is ready for Reset. A Scanner keeps its scratch memory
// across Resets; it is not safe for concurrent use.
type Scanner struct {
	// FoldDuplicates also refuses keys of one object that are equal under
	// Unicode simple case folding. Set it before Reset.
	FoldDuplicates bool

	data  []byte
	pos   int
	lim   Limits
	state scanState

	capStr, capKeys, capItems int // lim as bounds (see Reset)
	err                       *Error
	stack                     []frame

	kf *KeyFilter // NextIn's filter during its scan, else nil
	// the last key found in a Members (see Within): its index, -1 none
	member           int32
	keyStart, keyEnd int32
	keyEsc           bool
	key              []byte // unescaped key of the last TokenKey
	esc              bool   // the last TokenKey or TokenString had escapes
	keyBuf           []byte // decoding buffer for escaped keys

	// duplicate-key index, see keys.go
	keys      []keyEntry
	top       []keyEntry // the top-level object's keys once it closed (TopLevelKeys)
	table     []int32
	tableLive int
	cmpBuf    []byte
	foldBuf   []byte
}

// Reset starts scanning data with the limits lim. It keeps the scratch
// memory of earlier scans.
func (s *Scanner) Reset(data []byte, lim Limits) {
	s.data = data
	s.pos = 0
	s.lim = lim
	// The limits as bounds, "unlimited" as one that cannot be reached. The
	// scanner reads them from here rather than keeping them in locals: in
	// Go's wasm code every local live across the scan loop's calls is
	// stored to the stack again at each token.
	s.capStr, s.capKeys, s.capItems = lim.MaxStringBytes, lim.MaxKeys, lim.MaxArrayItems
	if s.capStr <= 0 {
		s.capStr = len(data)
	}
	if s.capKeys <= 0 {
		s.capKeys = len(data)
	}
	if s.capItems <= 0 {
		s.capItems = len(data)
	}
	s.state = stBegin
	s.err = nil
	s.stack = s.stack[:0]
	s.key = nil
	s.esc = false
	s.member = -1
	s.top = nil
	s.resetKeys()
}

// release drops the reference to the input so a pooled Scanner does not
// keep a body alive.
func (s *Scanner) release() {
	s.data = nil
	s.key = nil
}

func (s *Scanner) scratchSize() int {
	return cap(s.stack) + cap(s.keys) + cap(s.table) + cap(s.keyBuf)/16
}

// fail records a refusal. It is not inlined: the dozens of failure paths
// of scan then stay small calls the compiler lays out of the way, and do
// not crowd the registers of the hot paths (each spill is a memory store
// in Go's wasm code).
//
//go:noinline
func (s *Scanner) fail(off int, reason, detail string) (Token, error) {
	s.err = &Error{Offset: off, Reason: reason, detail: detail}
	s.state = stFailed
	return Token{}, s.err
}

// Next returns the next token. After the top-level value it returns one
// TokenEnd (having checked that only whitespace follows) and then TokenEnd
// again on every call. On a refused document it returns an *Error, and the
// same error on every later call.
func (s *Scanner) Next() (Token, error) { return s.scan(^uint16(0)) }

// SkipValue consumes a whole value and returns its last token. Called
// after a TokenKey it skips the member's value; called after a
// TokenBeginObject or TokenBeginArray it skips the rest of that container
// and returns its closing token. Tok.End is then the end of the value, so a
// rewriter can drop or replace the span without looking inside. The
// skipped part is still fully validated, without producing its tokens.
func (s *Scanner) SkipValue() (Token, error) {
	d := len(s.stack)
	if s.state == stColon {
		tok, err := s.Next()
		if err != nil || (tok.Kind != TokenBeginObject && tok.Kind != TokenBeginArray) {
			return tok, err
		}
		d = len(s.stack)
	}
	for {
		tok, err := s.scan(1<<TokenEndObject | 1<<TokenEndArray)
		if err != nil || len(s.stack) < d || tok.Kind == TokenEnd {
			return tok, err
		}
	}
}

// scan runs the state machine until it produces a token whose kind is in
// the bit set stop (or TokenEnd, or an error). Validate passes an empty
// set and so walks the whole document in this one loop, without a call and
// return per token; Next passes every kind. The states are code positions
// (labels); s.state only records where to resume after a return.
func (s *Scanner) scan(stop uint16) (Token, error) {
	// cap == len: one value fewer to keep (and spill) across the loop.
	data := s.data[:len(s.data):len(s.data)]
	i := s.pos
	var (
		esc        bool
		plain      bool // the key is printable ASCII without escapes
		key        []byte
		kind       TokenKind
		state      scanState
		start, end int
		n          int
		top        *frame
		c          byte
	)
	switch s.state {
	case stAfter:
		goto after
	case stColon:
		goto colon
	case stObjectFirst:
		goto objectFirst
	case stArrayFirst:
		goto arrayFirst
	case stBegin:
		if i < len(data) && data[i] <= ' ' {
			i = skipSpace(data, i)
		}
		if i >= len(data) {
			return s.fail(i, ReasonEmpty, "")
		}
		goto value
	case stDone:
		return Token{TokenEnd, len(data), len(data)}, nil
	}
	if s.err == nil {
		// A zero Scanner without Reset: nothing to scan.
		return s.fail(0, ReasonEmpty, "")
	}
	return Token{}, s.err

after: // after a value: ',' or the closer of the container, or the end
	// The common case first: a ',' in a container and no whitespace.
	// Every other case leaves this path by a branch that does not rejoin
	// it: Go lays out a branch that rejoins inline, so that the common
	// case would jump over it, which in Go's wasm code is a jump through
	// the function's dispatch table.
	if i+1 < len(data) && data[i] == ',' && data[i+1] > ' ' && len(s.stack) > 0 {
		i++
		if top = &s.stack[len(s.stack)-1]; top.obj {
			goto key
		}
		// item, written out
		if top.count++; top.count > s.capItems {
			return s.fail(i, ReasonItems, "")
		}
		goto value
	}
	// Then the closer of the container, with no whitespace before it.
	if n = len(s.stack); i < len(data) && n > 0 {
		top = &s.stack[n-1]
		if c = data[i]; c == '}' && top.obj {
			s.closeObject(top)
			kind = TokenEndObject
			goto closeContainer
		}
		if c == ']' && !top.obj {
			kind = TokenEndArray
			goto closeContainer
		}
	}
	if i < len(data) && data[i] <= ' ' {
		i = skipSpace(data, i)
	}
	n = len(s.stack)
	if n == 0 {
		if i < len(data) {
			return s.fail(i, ReasonTrailingData, "")
		}
		s.state = stDone
		s.pos = i
		return Token{TokenEnd, i, i}, nil
	}
	if i >= len(data) {
		return s.fail(i, ReasonSyntax, "unexpected end of input")
	}
	top = &s.stack[n-1]
	c = data[i]
	if c == ',' {
		i++
		if i < len(data) && data[i] <= ' ' {
			i = skipSpace(data, i)
		}
		if top.obj {
			goto key
		}
		goto item
	}
	if top.obj {
		if c == '}' {
			s.closeObject(top)
			kind = TokenEndObject
			goto closeContainer
		}
		return s.fail(i, ReasonSyntax, "expected ',' or '}'")
	}
	if c == ']' {
		kind = TokenEndArray
		goto closeContainer
	}
	return s.fail(i, ReasonSyntax, "expected ',' or ']'")

colon: // after a key
	// The common case, a ':' and no whitespace, first (see after).
	if i+1 < len(data) && data[i] == ':' && data[i+1] > ' ' {
		i++
		goto value
	}
	if i < len(data) && data[i] <= ' ' {
		i = skipSpace(data, i)
	}
	if i >= len(data) || data[i] != ':' {
		return s.fail(i, ReasonSyntax, "expected ':' after object key")
	}
	i++
	if i < len(data) && data[i] <= ' ' {
		i = skipSpace(data, i)
	}
	goto value

objectFirst: // after '{'
	if i < len(data) && data[i] <= ' ' {
		i = skipSpace(data, i)
	}
	top = &s.stack[len(s.stack)-1]
	if i < len(data) && data[i] == '}' {
		s.closeObject(top)
		kind = TokenEndObject
		goto closeContainer
	}
	goto key

arrayFirst: // after '['
	if i < len(data) && data[i] <= ' ' {
		i = skipSpace(data, i)
	}
	if i < len(data) && data[i] == ']' {
		kind = TokenEndArray
		goto closeContainer
	}
	top = &s.stack[len(s.stack)-1]
	goto item

closeContainer:
	s.stack = s.stack[:len(s.stack)-1]
	start, end = i, i+1
	i = end
	state = stAfter
	if stop&(1<<kind) != 0 {
		goto ret
	}
	goto after

key: // an object key at data[i] for the object top
	if i >= len(data) {
		return s.fail(i, ReasonSyntax, "unexpected end of input")
	}
	if data[i] != '"' {
		return s.fail(i, ReasonSyntax, "expected object key")
	}
	top.count++
	if top.count > s.capKeys {
		return s.fail(i, ReasonKeys, "")
	}
	start = i
	// The common key first: at most seven plain bytes, new to a small
	// object whose Bloom filter has not seen its fingerprint, with room in
	// s.keys. That is addKey's fast path with plainString and prefix8 (of
	// the key folded, a plain key being ASCII) written out, so no call.
	if i+9 <= len(data) && !top.indexed && len(s.keys)-top.base < linearKeys && len(s.keys) < cap(s.keys) {
		w := binary.LittleEndian.Uint64(data[i+1 : i+9 : i+9])
		if q := quoteShift(w); byte(w>>q) == '"' && int(q>>3) <= s.capStr {
			w &= 1<<q - 1
			upper := lowerLanes(w)
			if !s.FoldDuplicates {
				upper = 0
			}
			h := (w - upper>>2) ^ uint64(q>>3)<<56
			if bit := bloomBit(h); top.bloom&bit == 0 {
				top.bloom |= bit
				end = i + int(q>>3) + 2
				n = len(s.keys)
				s.keys = s.keys[:n+1]
				e := &s.keys[n]
				e.hash, e.start, e.end = h, i, end
				esc, plain = false, true
				// keyDone and colon's common case, written out
				if stop&(1<<TokenKey) != 0 {
					if top.members != nil {
						// Within: findMember's first probe, with the
						// key's word already here (nameWord is w with
						// the length in its top byte).
						m := top.members
						w ^= uint64(q>>3) << 56
						e := &m.slots[uint32((w*0x9E3779B97F4A7C15)>>m.shift)&m.mask]
						if e.word == w && int(e.n) == end-i-2 && e.j >= 0 {
							s.memberFound(top, e, start, end, false, stop)
							i = end
							goto colon // the value comes instead of the key
						}
					}
					goto keyDone // findMember decides the rest
				}
				if end+1 >= len(data) || data[end] != ':' || data[end+1] <= ' ' {
					goto keyDone
				}
				i = end + 1
				goto value
			}
		}
	}
	if end = plainString(data, i, s.capStr); end > 0 {
		esc, plain = false, true
		// addKey's fast path for a longer key (see above).
		if !top.indexed && end+7 <= len(data) {
			w := binary.LittleEndian.Uint64(data[i+1:i+9:i+9]) & (1<<(8*uint(end-i-2)) - 1)
			if s.FoldDuplicates {
				w = upperASCII8(w)
			}
			h := w ^ uint64(end-i-2)<<56
			bit := bloomBit(h)
			if top.bloom&bit == 0 && len(s.keys)-top.base < linearKeys {
				top.bloom |= bit
				s.pushKey(h, i, end)
				goto keyDone
			}
		}
		key = data[i+1 : end-1]
	} else {
		plain = false
		var ok bool
		if end, esc, ok = s.scanString(i, -end); !ok {
			return Token{}, s.err
		}
		key = data[i+1 : end-1]
		if esc {
			s.keyBuf = AppendUnquoted(s.keyBuf[:0], key)
			key = s.keyBuf
		}
	}
	if reason := s.addKey(top, i, end, key, esc, plain); reason != "" {
		return s.fail(i, reason, "")
	}
keyDone:
	i = end
	kind, state = TokenKey, stColon
	if stop&(1<<TokenKey) != 0 {
		if top.members != nil && s.findMember(top, start, end, esc, stop) {
			goto colon // Within: the value comes instead of the key
		}
		if plain && s.kf != nil && !s.kf.has(keyPrint(data[start+1:end-1])) {
			goto colon // NextIn: a key the filter rules out
		}
		if esc {
			s.key = s.keyBuf
		} else {
			s.key = data[start+1 : end-1]
		}
		goto ret
	}
	goto colon

item: // an array element at data[i] for the array top
	top.count++
	if top.count > s.capItems && i < len(data) {
		return s.fail(i, ReasonItems, "")
	}

value: // the value that starts at data[i]
	if i >= len(data) {
		return s.fail(i, ReasonSyntax, "unexpected end of input")
	}
	start = i
	// The common values are tested first, each with one comparison and
	// with no loop or call on their usual path: in Go's wasm code a switch
	// is a tree of compares whose every taken branch is a jump through the
	// function's dispatch table.
	if c = data[i]; c-'1' < 9 {
		// A plain integer (no sign, fraction or exponent) is checked
		// here, eight digits per load; scanNumber takes every other
		// number.
		j := i + 1
		if j+8 > len(data) {
			goto number
		}
		if j += digitRun(binary.LittleEndian.Uint64(data[j : j+8 : j+8])); j == i+9 || !isDelim[data[j]] {
			goto number
		}
		if stop&(1<<TokenNumber) == 0 {
			i = j
			goto after
		}
		kind, end = TokenNumber, j
		goto scalar
	}
	if c == '"' {
		if i+9 <= len(data) {
			w := binary.LittleEndian.Uint64(data[i+1 : i+9 : i+9])
			if q := quoteShift(w); byte(w>>q) == '"' && int(q>>3) <= s.capStr {
				end, esc = i+int(q>>3)+2, false
				if stop&(1<<TokenString) == 0 {
					i = end
					goto after
				}
				kind = TokenString
				goto scalar
			}
		}
		if end = plainString(data, i, s.capStr); end > 0 {
			esc = false
		} else {
			var ok bool
			if end, esc, ok = s.scanString(i, -end); !ok {
				return Token{}, s.err
			}
		}
		kind = TokenString
		goto scalar
	}
	switch c {
	case '{', '[':
		if s.lim.MaxDepth > 0 && len(s.stack) >= s.lim.MaxDepth {
			return s.fail(i, ReasonDepth, "")
		}
		s.push(c == '{')
		i++
		end = i
		if c == '{' {
			kind, state = TokenBeginObject, stObjectFirst
			if stop&(1<<TokenBeginObject) != 0 {
				goto ret
			}
			goto objectFirst
		}
		kind, state = TokenBeginArray, stArrayFirst
		if stop&(1<<TokenBeginArray) != 0 {
			goto ret
		}
		goto arrayFirst
	case 't':
		// The literal and the byte after it compared in one load; the
		// call checks (and reports) everything else.
		kind, end = TokenTrue, i+4
		if i+5 > len(data) || binary.LittleEndian.Uint32(data[i:i+4:i+4]) != litTrue || !isDelim[data[i+4]] {
			if !s.literal(i, "true") {
				return Token{}, s.err
			}
		}
	case 'f':
		kind, end = TokenFalse, i+5
		if i+6 > len(data) || binary.LittleEndian.Uint32(data[i+1:i+5:i+5]) != litAlse || !isDelim[data[i+5]] {
			if !s.literal(i, "false") {
				return Token{}, s.err
			}
		}
	case 'n':
		kind, end = TokenNull, i+4
		if i+5 > len(data) || binary.LittleEndian.Uint32(data[i:i+4:i+4]) != litNull || !isDelim[data[i+4]] {
			if !s.literal(i, "null") {
				return Token{}, s.err
			}
		}
	default:
		goto number
	}
scalar:
	i = end
	state = stAfter
	if stop&(1<<kind) == 0 {
		goto after
	}
	// Within, QuietItems: a scalar nobody needs to see.
	if n = len(s.stack); n == 0 || s.stack[n-1].quiet&(1<<kind) == 0 {
		goto ret
	}
	goto after

number: // a number other than a plain integer, or not a value
	if c != '-' && c-'0' >= 10 {
		if c == ']' || c == '}' {
			return s.fail(i, ReasonSyntax, "expected a value")
		}
		return s.fail(i, ReasonSyntax, "invalid character")
	}
	if e, ok := s.scanNumber(i); ok {
		kind, end = TokenNumber, e
		goto scalar
	}
	return Token{}, s.err

ret:
	s.pos = i
	s.state = state
	s.esc = esc
	return Token{kind, start, end}, nil
}
