package jsonx

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"unicode"
	"unicode/utf8"
)

// Duplicate-key detection.
//
// Every key of every open object is recorded in s.keys, a stack: an
// object's keys are contiguous (an outer object cannot gain keys while an
// inner one is open) and are popped when the object closes. An entry holds
// a hash of the unescaped (and, with FoldDuplicates, case-folded) key and
// the key's span, so a hash match is confirmed by decoding both keys again;
// that only happens on a real duplicate or a 64-bit collision.
//
// Small objects (most of them) are checked by a linear scan of their
// hashes: no table to touch. An object that grows past linearKeys is moved
// into one open-addressing table (linear probing, backward-shift deletion)
// shared by all indexed open objects: entries of outer objects are skipped
// by index (they lie below the current object's base) and an object's
// entries are deleted from the table when it closes. Each key costs O(1)
// expected, so an object with n keys costs O(n), not O(n²).
//
// The hash is seeded per process (maphash), so an attacker cannot build a
// body of colliding keys to make the table degrade.

const linearKeys = 16

var hashSeed = maphash.MakeSeed()

type keyEntry struct {
	hash       uint64
	start, end int // the key token's span, quotes included
}

func (s *Scanner) resetKeys() {
	s.keys = s.keys[:0]
	if s.tableLive > 0 {
		clear(s.table)
		s.tableLive = 0
	}
}

// addKey records key (unescaped) for the object f and returns a Reason if
// the object already has it. plain says that the key is printable ASCII
// without escapes (plainString).
func (s *Scanner) addKey(f *frame, start, end int, key []byte, esc, plain bool) string {
	if plain && !f.indexed && start+9 <= len(s.data) {
		// The scanner's key paths come here on a Bloom-filter hit, which
		// is mostly another key on the same bit (the fixed names of a
		// record collide in every record): the fingerprint from one load,
		// as those paths make it (prefix8, upper-cased when folding: a
		// plain key's folding is its ASCII upper case), and the object's
		// fingerprints tell. Only an equal one takes the general path,
		// which folds and compares the keys.
		w := binary.LittleEndian.Uint64(s.data[start+1:start+9]) & (1<<(8*uint(len(key))) - 1)
		if s.FoldDuplicates {
			w = upperASCII8(w)
		}
		h := w ^ uint64(len(key))<<56
		if bit := bloomBit(h); f.bloom&bit == 0 || !s.hashIn(f.base, h) {
			f.bloom |= bit
			s.pushKey(h, start, end)
			if n := len(s.keys) - f.base; n > linearKeys {
				s.indexObject(f)
			}
			return ""
		}
	}
	newKey := key
	if s.FoldDuplicates {
		s.foldBuf = AppendFold(s.foldBuf[:0], key)
		key = s.foldBuf
	}
	if !f.indexed {
		// A cheap fingerprint and a one-word Bloom filter per object are
		// enough here: most keys skip the scan, and a key compares with at
		// most linearKeys others whatever the collisions.
		var h uint64
		if !esc && !s.FoldDuplicates && start+9 <= len(s.data) {
			h = prefix8(s.data[start+1:start+9], len(key))
		} else {
			h = fingerprint(key)
		}
		bit := bloomBit(h)
		if f.bloom&bit != 0 {
			for j := f.base; j < len(s.keys); j++ {
				if s.keys[j].hash == h {
					if reason := s.sameKey(j, newKey); reason != "" {
						return reason
					}
				}
			}
		}
		f.bloom |= bit
		s.pushKey(h, start, end)
		if n := len(s.keys) - f.base; n > linearKeys {
			s.indexObject(f)
		}
		return ""
	}
	h := maphash.Bytes(hashSeed, key)
	mask := len(s.table) - 1
	for slot := int(h) & mask; s.table[slot] != 0; slot = (slot + 1) & mask {
		j := int(s.table[slot]) - 1
		if j >= f.base && s.keys[j].hash == h {
			if reason := s.sameKey(j, newKey); reason != "" {
				return reason
			}
		}
	}
	s.ensureTable(s.tableLive + 1)
	s.pushKey(h, start, end)
	s.tableInsert(len(s.keys) - 1)
	return ""
}

// indexObject moves the object f from fingerprints and linear scans to
// seeded hashes in the shared table.
func (s *Scanner) indexObject(f *frame) {
	s.ensureTable(s.tableLive + len(s.keys) - f.base)
	for j := f.base; j < len(s.keys); j++ {
		e := &s.keys[j]
		s.cmpBuf = s.appendKey(s.cmpBuf[:0], e.start, e.end)
		e.hash = maphash.Bytes(hashSeed, s.cmpBuf)
		s.tableInsert(j)
	}
	f.indexed = true
}

// appendKey appends the unescaped (and, with FoldDuplicates, folded) key
// whose token spans data[start:end].
func (s *Scanner) appendKey(dst []byte, start, end int) []byte {
	base := len(dst)
	raw := s.data[start+1 : end-1]
	if bytes.IndexByte(raw, '\\') >= 0 {
		dst = AppendUnquoted(dst, raw)
	} else {
		dst = append(dst, raw...)
	}
	if s.FoldDuplicates {
		n := len(dst)
		dst = AppendFold(dst, dst[base:n])
		dst = append(dst[:base], dst[n:]...)
	}
	return dst
}

// fingerprint is the small-object key hash: the key's first eight bytes
// (zero padded) and its length. Keys that share both are compared byte by
// byte, which costs at most linearKeys comparisons per key.
func fingerprint(k []byte) uint64 {
	var a uint64
	for i := min(len(k), 8) - 1; i >= 0; i-- {
		a = a<<8 | uint64(k[i])
	}
	return a ^ uint64(len(k))<<56
}

// prefix8 is fingerprint of a key of n bytes whose first bytes are the
// eight bytes of w (w may run past the key): one load and a mask. The
// mask needs no test of n: a shift by 64 or more gives 0 in Go, so the
// mask is all ones from n = 8 on. Without a branch it is small enough to
// be inlined, which in Go's wasm code saves a call per key.
func prefix8(w []byte, n int) uint64 {
	return binary.LittleEndian.Uint64(w)&(1<<(8*uint(n))-1) ^ uint64(n)<<56
}

// bloomBit is fingerprint h's bit in an object's one-word Bloom filter
// (addKey and the scanner's key paths, which must agree on it).
func bloomBit(h uint64) uint64 { return 1 << ((h * 0x9E3779B97F4A7C15) >> 58) }

// upperASCII8 upper-cases the ASCII letters among the eight bytes of a,
// each of which must be below 0x80: a lane from 'a' to 'z' has bit 7 set
// after adding 0x80-'a' and clear after adding 0x80-'z'-1 (no lane
// carries into the next), and loses 0x20.
func upperASCII8(a uint64) uint64 {
	return a - lowerLanes(a)>>2
}

// lowerLanes flags (bit 7) the lanes of a from 'a' to 'z' (see upperASCII8).
func lowerLanes(a uint64) uint64 {
	return (a + lanes01*(0x80-'a')) &^ (a + lanes01*(0x80-'z'-1)) & lanes80
}

// hashIn reports whether a key of the open object whose keys start at
// base has fingerprint h (addKey, on a Bloom-filter hit in an object that
// is not indexed: at most linearKeys entries).
func (s *Scanner) hashIn(base int, h uint64) bool {
	for _, e := range s.keys[base:] {
		if e.hash == h {
			return true
		}
	}
	return false
}

// pushKey records a key, writing the entry in place (see push).
func (s *Scanner) pushKey(h uint64, start, end int) {
	n := len(s.keys)
	if n == cap(s.keys) {
		s.keys = append(s.keys, keyEntry{})
	} else {
		s.keys = s.keys[:n+1]
	}
	e := &s.keys[n]
	e.hash, e.start, e.end = h, start, end
}

// sameKey compares the earlier key j with key, the key just read, both
// unescaped (when folding, s.foldBuf holds the folded key).
func (s *Scanner) sameKey(j int, key []byte) string {
	e := s.keys[j]
	s.cmpBuf = s.appendKey(s.cmpBuf[:0], e.start, e.end)
	if !s.FoldDuplicates {
		if bytes.Equal(s.cmpBuf, key) {
			return ReasonDuplicateKey
		}
		return ""
	}
	if !bytes.Equal(s.cmpBuf, s.foldBuf) {
		return ""
	}
	// Equal once folded; tell exact duplicates apart for the metric.
	old := s.data[e.start+1 : e.end-1]
	if bytes.IndexByte(old, '\\') >= 0 {
		s.cmpBuf = AppendUnquoted(s.cmpBuf[:0], old)
		old = s.cmpBuf
	}
	if bytes.Equal(old, key) {
		return ReasonDuplicateKey
	}
	return ReasonDuplicateKeyCase
}

// closeObject removes the keys of the closing object f. The top-level
// object's entries stay in the array for TopLevelKeys: nothing can follow
// that object, so no later key overwrites them before the next Reset.
func (s *Scanner) closeObject(f *frame) {
	if f.indexed {
		for j := f.base; j < len(s.keys); j++ {
			s.tableDelete(j)
		}
	}
	if len(s.stack) == 1 {
		s.top = s.keys[:len(s.keys):len(s.keys)]
	}
	s.keys = s.keys[:f.base]
}

// Release drops the scanner's references to the document, as Reset(nil)
// does, but keeps what TopLevelKeys reports: a pooled scanner then holds
// no body, and its caller can still read the accepted document's
// top-level names.
func (s *Scanner) Release() { s.release() }

// TopLevelKeys is the number of members of the top-level object of the
// document the scanner accepted last (Next returned TokenEnd): 0 when the
// top-level value is not an object, after a refusal and after Reset. The
// walk that accepted the document recorded the names' spans for its
// duplicate check, so reading them walks nothing again.
func (s *Scanner) TopLevelKeys() int {
	if s.state != stDone {
		return 0
	}
	return len(s.top)
}

// TopLevelKey is the name of the i-th member (0 ≤ i < TopLevelKeys()) of
// that object, unescaped; data must be the document (the scanner may have
// released it). The slice aliases data or scratch memory and is valid
// until the next call.
func (s *Scanner) TopLevelKey(i int, data []byte) []byte {
	e := s.top[i]
	key := data[e.start+1 : e.end-1]
	if bytes.IndexByte(key, '\\') >= 0 {
		s.keyBuf = AppendUnquoted(s.keyBuf[:0], key)
		key = s.keyBuf
	}
	return key
}

// ensureTable makes room for live entries at a load factor of at most 1/2,
// rebuilding the table from the indexed open objects when it grows.
func (s *Scanner) ensureTable(live int) {
	if 2*live <= len(s.table) {
		return
	}
	size := 64
	for size < 2*live {
		size *= 2
	}
	if size <= cap(s.table) {
		s.table = s.table[:size]
		clear(s.table)
	} else {
		s.table = make([]int32, size)
	}
	s.tableLive = 0
	end := len(s.keys)
	for k := len(s.stack) - 1; k >= 0; k-- {
		f := &s.stack[k]
		if !f.obj {
			continue
		}
		if f.indexed {
			for j := f.base; j < end; j++ {
				s.tableInsert(j)
			}
		}
		end = f.base
	}
}

func (s *Scanner) tableInsert(j int) {
	mask := len(s.table) - 1
	slot := int(s.keys[j].hash) & mask
	for s.table[slot] != 0 {
		slot = (slot + 1) & mask
	}
	s.table[slot] = int32(j + 1)
	s.tableLive++
}

func (s *Scanner) tableDelete(j int) {
	mask := len(s.table) - 1
	i := int(s.keys[j].hash) & mask
	for int(s.table[i]) != j+1 {
		i = (i + 1) & mask
	}
	// Backward-shift deletion: move later entries of the probe run into
	// the hole unless their home slot lies cyclically in (i, k].
	for k := (i + 1) & mask; s.table[k] != 0; k = (k + 1) & mask {
		home := int(s.keys[s.table[k]-1].hash) & mask
		if (i <= k && i < home && home <= k) || (i > k && (i < home || home <= k)) {
			continue
		}
		s.table[i] = s.table[k]
		i = k
	}
	s.table[i] = 0
	s.tableLive--
}

// AppendFold appends the canonical case folding of key: every rune is
// replaced by FoldRune's representative of its case-folding class, so two
// keys have the same folding exactly when they are equal under Unicode
// simple case folding with 'İ' (U+0130) and 'ı' (U+0131) also taken as 'i'
// (EqualFold). Duplicate detection (FoldDuplicates), body_owner's
// letter-case rule (authn's walk, and Value.CountFold) and redaction's key matching share it,
// so none of them can disagree on which keys are "the same".
func AppendFold(dst, key []byte) []byte {
	for i := 0; i < len(key); {
		c := key[i]
		if c < utf8.RuneSelf {
			if c-'a' < 26 {
				c -= 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(key[i:])
		i += size
		dst = utf8.AppendRune(dst, FoldRune(r))
	}
	return dst
}

// FoldRune is the representative of r's case-folding class that AppendFold
// uses: the smallest member of its unicode.SimpleFold orbit, so the Kelvin
// sign folds to 'K' and 'ſ' to 'S'. 'İ' (U+0130) and 'ı' (U+0131), which
// simple folding leaves alone, fold to 'I' with 'i': Go's encoding/json
// (which upper-cases lower-cased runes), Java's and .NET's
// case-insensitive comparisons read them as i.
func FoldRune(r rune) rune {
	if r == '\u0130' || r == '\u0131' {
		return 'I'
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < m {
			m = f
		}
	}
	return m
}

// EqualFold reports whether a and b are equal under FoldRune's folding,
// exactly when AppendFold gives the same bytes for both (invalid UTF-8
// reads as U+FFFD, as there). It allocates nothing.
func EqualFold(a, b string) bool {
	for a != "" && b != "" {
		ca, cb := a[0], b[0]
		if ca < utf8.RuneSelf && cb < utf8.RuneSelf {
			if ca != cb && (ca|0x20 != cb|0x20 || (ca|0x20)-'a' >= 26) {
				return false
			}
			a, b = a[1:], b[1:]
			continue
		}
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb && FoldRune(ra) != FoldRune(rb) {
			return false
		}
		a, b = a[na:], b[nb:]
	}
	return a == b
}

// SimpleKey reports whether a JSON path can show member name s as .s
// rather than ["s"]: it is not empty and holds only ASCII letters, digits,
// '_' and '-'.
func SimpleKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
