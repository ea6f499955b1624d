package redact

import "encoding/binary"

// wordKeys is the size up to which a node's candidate keys also go in a
// keyTable; past it the table is left out and the maps and lists decide.
const wordKeys = 16

// keyTable holds the candidate keys of a redact trie node (its kids and
// the redact keys) or the redact keys alone, folded, as two words each:
// the ones an ASCII key of at most 15 bytes can equal. An ASCII key folds
// to its upper-casing, of the same length, so it can only equal a folding
// that is ASCII and as long: the others are left out of the table.
//
// Looking a key up costs two loads, a few word operations and a compare
// per entry, where AppendFold, the filter's check and the string
// comparisons it replaces each loop over the key's bytes (and in Go's
// wasm code every iteration and every call is costly).
type keyTable struct {
	ents []keyEnt
}

// keyEnt is one candidate: what member (and walk, below the frames) would
// find for a key whose folding it is.
type keyEnt struct {
	// the folding's bytes 0-7 and 8-14, zero beyond its length, and its
	// length in the top byte of hi: equal words, equal strings.
	lo, hi uint64
	child  *node // the node's kid of that key; nil: none
	key    bool  // a redact key
}

// newKeyTable builds the table of the folded keys kids (a node's key
// steps; none for the redact keys alone) and keys. It returns nil when the
// candidates are too many for a linear search to pay.
func newKeyTable(kids []kid, keys *keySet) *keyTable {
	t := &keyTable{}
	add := func(f string, child *node) {
		if len(f) > 15 {
			return
		}
		var b [16]byte
		for i := 0; i < len(f); i++ {
			if f[i] >= 0x80 {
				return
			}
			b[i] = f[i]
		}
		b[15] = byte(len(f))
		lo, hi := binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])
		for i := range t.ents {
			if e := &t.ents[i]; e.lo == lo && e.hi == hi {
				return // a redact key that is also a kid, added with it
			}
		}
		t.ents = append(t.ents, keyEnt{lo: lo, hi: hi, child: child, key: keys.has([]byte(f))})
	}
	for _, k := range kids {
		add(k.key, k.n)
	}
	for _, k := range keys.list {
		add(string(k), nil)
	}
	if len(t.ents) > wordKeys {
		return nil
	}
	return t
}

// find looks up the (unescaped) key k. When ok, e is the candidate k folds
// to, nil if none; when not ok (k is not ASCII, longer than 15 bytes or too
// near the end of its buffer to be loaded as two words, or there is no
// table), the caller must fold k and compare.
func (t *keyTable) find(k []byte) (e *keyEnt, ok bool) {
	n := uint(len(k))
	if t == nil || n > 15 || cap(k) < 16 {
		return nil, false
	}
	// The bytes past len(k) are those that follow it in its buffer (the
	// closing quote and beyond); the masks clear them.
	w := k[:16:16]
	nl := min(n, 8)
	lo := binary.LittleEndian.Uint64(w[:8]) & (1<<(8*nl) - 1)
	hi := binary.LittleEndian.Uint64(w[8:16]) & (1<<(8*(n-nl)) - 1)
	if (lo|hi)&0x8080808080808080 != 0 {
		return nil, false
	}
	lo, hi = upperWord(lo), upperWord(hi)|uint64(n)<<56
	for i := range t.ents {
		if e := &t.ents[i]; e.lo == lo && e.hi == hi {
			return e, true
		}
	}
	return nil, true
}

// upperWord upper-cases the ASCII letters of a word of eight ASCII bytes,
// as AppendFold does: a lane in 'a'..'z' gets bit 7 from the first sum and
// not from the second, and loses 0x20. No lane carries into the next: each
// is below 0x80 and the sums add at most 0x1f.
func upperWord(w uint64) uint64 {
	const ones, high = 0x0101010101010101, 0x8080808080808080
	ge := w + ones*(0x80-'a')
	gt := w + ones*(0x80-'z'-1)
	return w - (ge&^gt&high)>>2
}
