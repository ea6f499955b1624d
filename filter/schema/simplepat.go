package schema

import (
	"math/bits"
	"regexp"
	"regexp/syntax"
	"unicode/utf8"
)

// Most patterns in API documents are anchored runs of character classes:
// `^[A-Z0-9-]{3,32}$`, `^[0-9]{5}$`, `^\d{4}-\d{2}$`. matcher runs those
// without the regexp package (whose per-call machinery and pooled state
// cost far more than the match under wasm), and everything else on RE2.
//
// The fast form is a sequence of atoms, each a character set repeated
// between min and max times, anchored at both ends, where an atom whose
// count varies shares no character with the atoms after it up to the
// first one that cannot match empty. Greedy matching is then exact: a
// varying atom can only stop where its set stops.
type matcher struct {
	re    *regexp.Regexp
	atoms []atom // nil: use re
}

type atom struct {
	ascii    [2]uint64 // members below 0x80
	ranges   []rune    // members from 0x80, as sorted pairs
	min, max int       // max -1: unbounded
	lit      string    // not empty: these ASCII bytes, once (ascii, ranges, min and max unused)
}

func (a *atom) has(r rune) bool {
	if r < utf8.RuneSelf {
		return a.ascii[r>>6]&(1<<(r&63)) != 0
	}
	for i := 0; i < len(a.ranges); i += 2 {
		if r < a.ranges[i] {
			return false
		}
		if r <= a.ranges[i+1] {
			return true
		}
	}
	return false
}

// Match reports whether the pattern matches somewhere in s.
func (m *matcher) Match(s []byte) bool {
	if m.atoms == nil {
		return m.re.Match(s)
	}
	i := 0
	for k := range m.atoms {
		a := &m.atoms[k]
		if a.lit != "" {
			// A run of literal characters (`SKU-` in `^SKU-[0-9]{1,6}$`),
			// compared at once.
			if len(s)-i < len(a.lit) || string(s[i:i+len(a.lit)]) != a.lit {
				return false
			}
			i += len(a.lit)
			continue
		}
		n := 0
		for i < len(s) && (a.max < 0 || n < a.max) {
			if c := s[i]; c < utf8.RuneSelf {
				// ASCII, most of what patterns see: the set's bit, inline.
				if a.ascii[c>>6]&(1<<(c&63)) == 0 {
					break
				}
				i++
				n++
				continue
			}
			r, size := utf8.DecodeRune(s[i:])
			if !a.has(r) {
				break
			}
			i += size
			n++
		}
		if n < a.min {
			return false
		}
	}
	return i == len(s)
}

func (m *matcher) String() string { return m.re.String() }

// newMatcher compiles the RE2 form of a pattern, with the fast form when
// the pattern has it.
func newMatcher(src string) (*matcher, error) {
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, err
	}
	m := &matcher{re: re}
	if tree, err := syntax.Parse(src, syntax.Perl); err == nil {
		m.atoms = simpleAtoms(tree)
	}
	return m, nil
}

// simpleAtoms returns the fast form of a parsed pattern, or nil.
func simpleAtoms(t *syntax.Regexp) []atom {
	if t.Op != syntax.OpConcat || len(t.Sub) < 2 || t.Sub[0].Op != syntax.OpBeginText ||
		t.Sub[len(t.Sub)-1].Op != syntax.OpEndText {
		return nil
	}
	var atoms []atom
	for _, sub := range t.Sub[1 : len(t.Sub)-1] {
		min, max := 1, 1
		switch sub.Op {
		case syntax.OpRepeat:
			min, max = sub.Min, sub.Max
			sub = sub.Sub[0]
		case syntax.OpStar:
			min, max = 0, -1
			sub = sub.Sub[0]
		case syntax.OpPlus:
			min, max = 1, -1
			sub = sub.Sub[0]
		case syntax.OpQuest:
			min, max = 0, 1
			sub = sub.Sub[0]
		}
		if sub.Flags&syntax.FoldCase != 0 {
			return nil
		}
		switch sub.Op {
		case syntax.OpLiteral:
			if min != 1 || max != 1 {
				if len(sub.Rune) != 1 {
					return nil
				}
			}
			for _, r := range sub.Rune {
				atoms = append(atoms, newAtom([]rune{r, r}, min, max))
			}
		case syntax.OpCharClass:
			atoms = append(atoms, newAtom(sub.Rune, min, max))
		default:
			return nil
		}
	}
	// A varying atom must not share a character with any atom that could
	// take the character after its run: the following ones up to the
	// first that cannot match empty.
	for k := range atoms {
		if atoms[k].min == atoms[k].max {
			continue
		}
		for j := k + 1; j < len(atoms); j++ {
			if overlap(&atoms[k], &atoms[j]) {
				return nil
			}
			if atoms[j].min > 0 {
				break
			}
		}
	}
	if len(atoms) == 0 {
		return nil
	}
	return literalRuns(atoms)
}

// literalRuns merges each run of atoms that are one ASCII character once
// into one literal atom. Their count is fixed, so greedy matching (see
// matcher) is unchanged.
func literalRuns(atoms []atom) []atom {
	var out []atom
	for _, a := range atoms {
		c, ok := a.asciiByte()
		if !ok {
			out = append(out, a)
			continue
		}
		if n := len(out); n > 0 && out[n-1].lit != "" {
			out[n-1].lit += string(rune(c))
			continue
		}
		out = append(out, atom{lit: string(rune(c))})
	}
	return out
}

// asciiByte reports the character of an atom that is one ASCII character,
// exactly once.
func (a *atom) asciiByte() (byte, bool) {
	if a.min != 1 || a.max != 1 || len(a.ranges) > 0 {
		return 0, false
	}
	lo, hi := a.ascii[0], a.ascii[1]
	switch {
	case lo != 0 && hi == 0 && lo&(lo-1) == 0:
		return byte(bits.TrailingZeros64(lo)), true
	case hi != 0 && lo == 0 && hi&(hi-1) == 0:
		return byte(64 + bits.TrailingZeros64(hi)), true
	}
	return 0, false
}

func newAtom(ranges []rune, min, max int) atom {
	a := atom{min: min, max: max}
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		for r := lo; r <= hi && r < utf8.RuneSelf; r++ {
			a.ascii[r>>6] |= 1 << (r & 63)
		}
		if hi >= utf8.RuneSelf {
			a.ranges = append(a.ranges, max32(lo, utf8.RuneSelf), hi)
		}
	}
	return a
}

func max32(a, b rune) rune {
	if a > b {
		return a
	}
	return b
}

// overlap reports whether two atoms share a character.
func overlap(a, b *atom) bool {
	if a.ascii[0]&b.ascii[0] != 0 || a.ascii[1]&b.ascii[1] != 0 {
		return true
	}
	for i := 0; i < len(a.ranges); i += 2 {
		for j := 0; j < len(b.ranges); j += 2 {
			if a.ranges[i] <= b.ranges[j+1] && b.ranges[j] <= a.ranges[i+1] {
				return true
			}
		}
	}
	return false
}
