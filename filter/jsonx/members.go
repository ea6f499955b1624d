package jsonx

import "encoding/binary"

// Members and quiet items let a caller that knows an object's member names
// in advance (filter/schema's plans) hand the scanner the part of its work
// that needs no more than a name and a token kind: the scanner finds each
// key in a NameTable itself, counts it, and returns the member's value
// directly (no TokenKey hand-off), or nothing at all when the value is a
// scalar of a kind the caller accepts without looking (docs/schemas.md
// "Cost and caps").

// NameTable finds a name among a fixed set: open addressing over the
// name's first eight bytes and its length, read in one load (no runtime
// map, no loop over the key, no call to compare a name of up to eight
// bytes). It is built once and never changes, so a client's keys cannot
// lengthen its probes beyond the longest run of names.
type NameTable struct {
	names []string
	slots []nameSlot
	shift uint32
}

// nameSlot is a slot of a NameTable: one load tells an empty slot and, for
// names up to eight bytes, a match.
type nameSlot struct {
	word uint64 // nameWord of the name
	j    int32  // index of the name, -1: empty
	n    int32  // its length
}

// nameWord is a name's first eight bytes (zero padded) with its length in
// the top byte: for names of equal length up to eight bytes, equal words
// mean equal names. It reads past len(b) within cap(b) (masked off), so a
// key that is a slice of the body costs one load.
func nameWord(b []byte) uint64 {
	n := len(b)
	if cap(b) >= 8 {
		return prefix8(b[:8], n)
	}
	var a uint64
	for i := n - 1; i >= 0; i-- {
		a = a<<8 | uint64(b[i])
	}
	return a ^ uint64(n)<<56
}

// NewNameTable indexes names (distinct): Find(names[j]) is j.
func NewNameTable(names []string) *NameTable {
	size, bits := 4, uint32(2)
	for size < 2*len(names) {
		size <<= 1
		bits++
	}
	t := &NameTable{names: names, slots: make([]nameSlot, size), shift: 64 - bits}
	for i := range t.slots {
		t.slots[i].j = -1
	}
	for j, name := range names {
		w := nameWord([]byte(name))
		h := t.slot(w)
		for t.slots[h].j >= 0 {
			h = (h + 1) & uint32(len(t.slots)-1)
		}
		t.slots[h] = nameSlot{word: w, j: int32(j), n: int32(len(name))}
	}
	return t
}

func (t *NameTable) slot(w uint64) uint32 { return uint32((w * 0x9E3779B97F4A7C15) >> t.shift) }

// Find returns the index of key among the names, or -1.
func (t *NameTable) Find(key []byte) int {
	w := nameWord(key)
	slots := t.slots
	mask := uint32(len(slots) - 1)
	for h := t.slot(w); ; h = (h + 1) & mask {
		e := &slots[h&mask]
		if e.j < 0 {
			return -1
		}
		if e.word == w && int(e.n) == len(key) && (len(key) <= 8 || t.names[e.j] == string(key)) {
			return int(e.j)
		}
	}
}

// Members tells the Scanner what to do with the members of an object
// (see Scanner.Within): a NameTable of their names whose slots also hold,
// per name, the scalar kinds of a value that need no token and what the
// name adds to the object's tally.
type Members struct {
	names []string
	slots []memberSlot
	shift uint32
	mask  uint32
}

type memberSlot struct {
	word  uint64 // nameWord of the name
	j     int32  // index of the name, -1: empty
	n     int32  // its length
	quiet uint16 // scalar kinds of its value that produce no token
	tally uint8
}

// NewMembers builds the Members of names (distinct): a value of member j
// whose kind is in quiet[j] (scalar kinds: TokenString, TokenNumber,
// TokenTrue, TokenFalse, TokenNull) produces no token, and each member j
// adds tally[j] to the object's tally (Scanner.Closed), returned or not.
func NewMembers(names []string, quiet []KindSet, tally []uint8) *Members {
	// A load of at most 1/4, and a larger table (up to 16 slots per name
	// and 4096 in all) when that puts more names at their first slot: the
	// scanner's key path probes only that slot itself (Scanner.scan).
	size, bits := 4, uint32(2)
	for size < 4*len(names) {
		size <<= 1
		bits++
	}
	best, bestBits := firstSlotMisses(names, bits), bits
	for b := bits + 1; best > 0 && 1<<b <= 16*len(names) && b <= 12; b++ {
		if c := firstSlotMisses(names, b); c < best {
			best, bestBits = c, b
		}
	}
	size, bits = 1<<bestBits, bestBits
	m := &Members{names: names, slots: make([]memberSlot, size), shift: 64 - bits, mask: uint32(size - 1)}
	for i := range m.slots {
		m.slots[i].j = -1
	}
	for j, name := range names {
		w := nameWord([]byte(name))
		h := uint32((w * 0x9E3779B97F4A7C15) >> m.shift)
		for m.slots[h].j >= 0 {
			h = (h + 1) & m.mask
		}
		m.slots[h] = memberSlot{word: w, j: int32(j), n: int32(len(name)),
			quiet: uint16(quiet[j]) & scalarKinds, tally: tally[j]}
	}
	return m
}

// firstSlotMisses is how many of names a table of 1<<bits slots would not
// hold at their first slot (inserted in order, as NewMembers does).
func firstSlotMisses(names []string, bits uint32) int {
	used := make([]bool, 1<<bits)
	misses := 0
	for _, name := range names {
		h := uint32((nameWord([]byte(name)) * 0x9E3779B97F4A7C15) >> (64 - bits))
		if used[h] {
			misses++
			for used[h] {
				h = (h + 1) & (1<<bits - 1)
			}
		}
		used[h] = true
	}
	return misses
}

// scalarKinds are the kinds a Quiet set may hold.
const scalarKinds = 1<<TokenString | 1<<TokenNumber | 1<<TokenTrue | 1<<TokenFalse | 1<<TokenNull

// Within makes m rule the members of the innermost open object (call it
// right after that object's TokenBeginObject). Until the object closes,
// a key that m.Names holds is not returned as a TokenKey: the member's
// value is returned instead, with Member reporting the name's index and
// MemberKey its key, or, when the value is a scalar whose kind is in
// m.Quiet (and Next, not NextIn or SkipValue, asked), nothing at all. A
// key m.Names lacks is returned as usual. Validation is unchanged.
func (s *Scanner) Within(m *Members) {
	if n := len(s.stack); n > 0 && s.stack[n-1].obj {
		s.stack[n-1].members = m
	}
}

// QuietItems makes the items of the innermost open array that are scalars
// of the given kinds produce no token (with Next), until it closes. Count
// still counts them.
func (s *Scanner) QuietItems(kinds KindSet) {
	if n := len(s.stack); n > 0 && !s.stack[n-1].obj {
		s.stack[n-1].quiet = uint16(kinds & scalarKinds)
	}
}

// Member is, right after a value token of an object ruled by Within, the
// index in its Members of the value's key, or -1 when that key was
// returned as a TokenKey. It means nothing after other tokens.
func (s *Scanner) Member() int { return int(s.member) }

// MemberKey is the key token of the member whose value was just returned
// with Member() >= 0, its unescaped name (valid until the next call, like
// Key) and whether it had escapes.
func (s *Scanner) MemberKey() (tok Token, name []byte, escaped bool) {
	tok = Token{TokenKey, int(s.keyStart), int(s.keyEnd)}
	if s.keyEsc {
		return tok, s.keyBuf, true
	}
	return tok, s.data[tok.Start+1 : tok.End-1 : tok.End-1], false
}

// Count is the number of members or items so far, the current one
// included, of the container that holds the last token (for a
// TokenBeginObject or TokenBeginArray, the container around it): after an
// item, its index plus one.
func (s *Scanner) Count() int {
	n := len(s.stack)
	if s.state == stObjectFirst || s.state == stArrayFirst {
		n--
	}
	if n > 0 {
		return s.stack[n-1].count
	}
	return 0
}

// Closed is, right after a TokenEndObject or TokenEndArray, the number of
// members or items of the container that closed and its tally (Members).
func (s *Scanner) Closed() (count, tally int) {
	f := &s.stack[:len(s.stack)+1][len(s.stack)]
	return f.count, int(f.tally)
}

// findMember looks up the key data[start:end] of an object ruled by
// Members, sets the quiet kinds of its value in top, and reports whether
// the table holds it (else the key is returned as usual). The lookup is
// written out here: this runs once per member.
func (s *Scanner) findMember(top *frame, start, end int, esc bool, stop uint16) bool {
	data := s.data
	n := end - start - 2
	if esc || n > 8 || start+9 > len(data) {
		return s.findMemberSlow(top, start, end, esc, stop)
	}
	// The common case, without a call (a call makes the compiler spill
	// every value live across it): a plain key of up to eight bytes, whose
	// word decides equality, with eight bytes of the body after its quote.
	w := binary.LittleEndian.Uint64(data[start+1:start+9])&lowBytes[n&15] ^ uint64(n)<<56
	m := top.members
	slots, mask := m.slots, m.mask
	for h := uint32((w * 0x9E3779B97F4A7C15) >> m.shift); ; h = (h + 1) & mask {
		e := &slots[h&mask]
		if e.word == w && int(e.n) == n && e.j >= 0 {
			s.memberFound(top, e, start, end, false, stop)
			return true
		}
		if e.j < 0 {
			s.member, top.quiet = -1, 0
			return false
		}
	}
}

// lowBytes[n] keeps the low n bytes of a word (n ≤ 8): prefix8's mask
// without a variable shift.
var lowBytes = [16]uint64{0, 0xff, 0xffff, 0xffffff, 0xffffffff, 0xffffffffff, 0xffffffffffff,
	0xffffffffffffff, ^uint64(0)}

// findMemberSlow is findMember for an escaped key, a key longer than
// eight bytes or one near the end of the body.
//
//go:noinline
func (s *Scanner) findMemberSlow(top *frame, start, end int, esc bool, stop uint16) bool {
	key := s.memberName(start, end, esc)
	m := top.members
	w, n := nameWord(key), len(key)
	for h := uint32((w * 0x9E3779B97F4A7C15) >> m.shift); ; h = (h + 1) & m.mask {
		e := &m.slots[h&m.mask]
		if e.word == w && int(e.n) == n && e.j >= 0 && (n <= 8 || m.names[e.j] == string(key)) {
			s.memberFound(top, e, start, end, esc, stop)
			return true
		}
		if e.j < 0 {
			s.member, top.quiet = -1, 0
			return false
		}
	}
}

// memberFound records the member of slot e whose key is data[start:end]:
// its index, its key, its tally and the quiet kinds of its value (none when
// the caller stops at some scalar). Small enough to be inlined, so
// findMember's common case still makes no call.
func (s *Scanner) memberFound(top *frame, e *memberSlot, start, end int, esc bool, stop uint16) {
	top.tally += int32(e.tally)
	s.member = e.j
	s.keyStart, s.keyEnd, s.keyEsc = int32(start), int32(end), esc
	top.quiet = e.quiet
	if stop&scalarKinds != scalarKinds {
		top.quiet = 0
	}
}

func (s *Scanner) memberName(start, end int, esc bool) []byte {
	if esc {
		return s.keyBuf
	}
	return s.data[start+1 : end-1 : end-1]
}
