package jsonx

// NextIn, KindSet and KeyFilter let a rewriter that looks at few tokens
// (filter/redact) walk a document at nearly the speed of Validate: the
// tokens it does not ask for are checked and skipped inside the scanner's
// loop, without a call and return per token.

// KindSet is a set of token kinds: bit k stands for TokenKind k.
type KindSet uint16

// KindsOf returns the set of the given kinds.
func KindsOf(kinds ...TokenKind) KindSet {
	var s KindSet
	for _, k := range kinds {
		s |= 1 << k
	}
	return s
}

// Has reports whether k is in the set.
func (s KindSet) Has(k TokenKind) bool { return s&(1<<k) != 0 }

// NextIn returns the next token whose kind is in kinds, checking and
// skipping the others exactly as Next would return them (so Depth, Key and
// the validation are the same). With kf, a TokenKey is returned only when
// kf.MayMatch could hold for it: a plain key (printable ASCII without
// escapes) that kf rules out is skipped like a token of another kind.
// TokenEnd and errors are always returned.
func (s *Scanner) NextIn(kinds KindSet, kf *KeyFilter) (Token, error) {
	s.kf = kf
	tok, err := s.scan(uint16(kinds))
	s.kf = nil
	return tok, err
}

// KeyFilter is a small set of object keys compared under Unicode simple
// case folding, as a 256-bit set of fingerprints: the length, first and
// last byte of each key's folding (ASCII letters upper-cased). It can
// only answer "maybe": a key whose fingerprint is absent certainly equals
// no added key under folding; one whose fingerprint is present must be
// compared. The zero KeyFilter holds nothing and is ready for Add; copy
// it to extend a set without changing the original.
type KeyFilter struct {
	bits [4]uint64
}

// Add adds an (unescaped) key. A key whose folding is not ASCII needs no
// fingerprint: an ASCII key folds to ASCII, so it can never match, and a
// non-ASCII key is always a "maybe".
func (f *KeyFilter) Add(key []byte) {
	var buf [64]byte
	folded := AppendFold(buf[:0], key)
	for _, c := range folded {
		if c >= 0x80 {
			return
		}
	}
	f.set(keyPrint(folded))
}

// MayMatch reports whether the (unescaped) key may equal an added key
// under simple case folding. It is true for every key that does.
func (f *KeyFilter) MayMatch(key []byte) bool {
	for _, c := range key {
		if c >= 0x80 {
			return true
		}
	}
	return f.has(keyPrint(key))
}

func (f *KeyFilter) set(h uint8) { f.bits[h>>6] |= 1 << (h & 63) }

func (f *KeyFilter) has(h uint8) bool { return f.bits[h>>6]&(1<<(h&63)) != 0 }

// keyPrint is the fingerprint of an ASCII key. Or-ing 0x20 maps both cases
// of a letter to one byte (and some other bytes together, which only
// costs a false "maybe"), so a key and its folding have the same print.
func keyPrint(k []byte) uint8 {
	n := len(k)
	if n == 0 {
		return 0
	}
	return uint8(n)*37 ^ (k[0]|0x20)*7 ^ (k[n-1] | 0x20)
}
