package jsonx

// parser builds a Value tree in two passes: the scanner validates the
// whole document first (in its one loop, without a call per token), then
// a builder that trusts the grammar walks it again and only cuts it into
// values. In Go's wasm code a call per token into the validating scanner
// cost more than the rest of the parse together (docs/performance.md
// "Authentication": a token's claims are parsed on every fresh request).
//
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
	hasKey bool   // objects: key holds the name of the member whose value comes next
	off    int    // offset of the opening bracket
	base   int    // index of the first child in vals or mems
	key    string // key of the member whose value comes next
	keyOff int
}

func (p *parser) scratchSize() int {
	return cap(p.frames) + cap(p.vals) + cap(p.mems) + cap(p.strBuf)/16
}

// parse validates the document of s (freshly Reset) and returns its tree.
func (p *parser) parse(s *Scanner) (Value, error) {
	if _, err := s.scanAll(); err != nil {
		return Value{}, err
	}
	v, hwVals, hwMems := p.build(s.data)
	// Drop references to this document's strings and slices.
	clear(p.vals[:hwVals])
	clear(p.mems[:hwMems])
	clear(p.frames[:cap(p.frames)])
	return v, nil
}

// build cuts data, a valid document, into its tree. hwVals and hwMems
// are the most of vals and mems it used.
func (p *parser) build(data []byte) (root Value, hwVals, hwMems int) {
	// One copy of the input backs every unescaped string, key and number.
	src := string(data)
	p.frames, p.vals, p.mems = p.frames[:0], p.vals[:0], p.mems[:0]
	var v Value
	i := 0
	for {
		for isSpace[data[i]] {
			i++
		}
		start := i
		switch c := data[i]; c {
		case ',', ':':
			i++
			continue
		case '{', '[':
			f := pframe{kind: KindArray, off: i, base: len(p.vals)}
			if c == '{' {
				f.kind, f.base = KindObject, len(p.mems)
			}
			p.frames = append(p.frames, f)
			i++
			continue
		case '}':
			n := len(p.frames) - 1
			f := &p.frames[n]
			v = Value{Kind: KindObject, Offset: f.off}
			hwMems = max(hwMems, len(p.mems))
			if k := len(p.mems) - f.base; k > 0 {
				v.Members = make([]Member, k)
				copy(v.Members, p.mems[f.base:])
				p.mems = p.mems[:f.base]
			}
			p.frames = p.frames[:n]
			i++
		case ']':
			n := len(p.frames) - 1
			f := &p.frames[n]
			v = Value{Kind: KindArray, Offset: f.off}
			hwVals = max(hwVals, len(p.vals))
			if k := len(p.vals) - f.base; k > 0 {
				v.Items = make([]Value, k)
				copy(v.Items, p.vals[f.base:])
				p.vals = p.vals[:f.base]
			}
			p.frames = p.frames[:n]
			i++
		case '"':
			end, esc := stringEnd(data, i)
			var text string
			if esc {
				p.strBuf = AppendUnquoted(p.strBuf[:0], data[i+1:end-1])
				text = string(p.strBuf)
			} else {
				text = src[i+1 : end-1]
			}
			i = end
			if n := len(p.frames); n > 0 {
				if f := &p.frames[n-1]; f.kind == KindObject && !f.hasKey {
					f.key, f.keyOff, f.hasKey = text, start, true
					continue
				}
			}
			v = Value{Kind: KindString, Str: text, Offset: start}
		case 't':
			v = Value{Kind: KindBool, Bool: true, Offset: i}
			i += 4
		case 'f':
			v = Value{Kind: KindBool, Offset: i}
			i += 5
		case 'n':
			v = Value{Kind: KindNull, Offset: i}
			i += 4
		default:
			i++
			for i < len(data) && !isDelim[data[i]] {
				i++
			}
			v = Value{Kind: KindNumber, Str: src[start:i], Offset: start}
		}
		// v is complete: it goes to its container, or it is the document.
		n := len(p.frames)
		if n == 0 {
			root = v
			break
		}
		if f := &p.frames[n-1]; f.kind == KindObject {
			p.mems = append(p.mems, Member{Key: f.key, Value: v, Offset: f.keyOff})
			f.hasKey = false
		} else {
			p.vals = append(p.vals, v)
		}
	}
	return root, hwVals, hwMems
}

// stringEnd returns the end of the valid string at data[i] and whether it
// holds escapes.
func stringEnd(data []byte, i int) (end int, esc bool) {
	for {
		end = plainString(data, i, len(data))
		if end > 0 {
			return end, esc
		}
		j := -end
		if data[j] == '\\' {
			esc = true
			j++ // the escaped byte is skipped below; \uXXXX's digits are plain
		}
		// plainString starts at i+1: restart after the byte at j.
		i = j
	}
}
