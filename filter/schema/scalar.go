package schema

import (
	"unicode/utf8"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// number parses the number token (once per token).
func (v *Validator) number(tok jsonx.Token) *dec {
	if v.numAt != tok.Start {
		parseDec(&v.num, v.data[tok.Start:tok.End])
		v.numAt = tok.Start
	}
	return &v.num
}

// isInteger tells whether a number token is an integer, without a
// decimal when it has no exponent.
func (v *Validator) isInteger(tok jsonx.Token) bool {
	if _, _, fd, ok := numParts(v.data[tok.Start:tok.End]); ok {
		return fd == 0
	}
	return v.number(tok).isInteger()
}

// intNumber applies the numeric keywords of a node with nfIntBounds to a
// number numParts read (s, fs, fd): its type, its int64 bounds and its
// multipleOf, in the order of the exact path's failures.
func (v *Validator) intNumber(n *node, s int64, fs, fd int, ai, li int32) {
	if n.types != 0 && n.types&tNumber == 0 && (n.types&tInteger == 0 || fd != 0) {
		v.failAt(ai, li, rType)
	}
	if n.minimum != nil && cmpParts(s, fs, n.iMin) < 0 {
		v.failAt(ai, li, rMinimum)
	}
	if n.maximum != nil && cmpParts(s, fs, n.iMax) > 0 {
		v.failAt(ai, li, rMaximum)
	}
	if n.exMin != nil && cmpParts(s, fs, n.iExMin) <= 0 {
		v.failAt(ai, li, rExMin)
	}
	if n.exMax != nil && cmpParts(s, fs, n.iExMax) >= 0 {
		v.failAt(ai, li, rExMax)
	}
	if n.multipleOf != nil {
		// An integer divisor divides integers only; a power of ten
		// 10^-k, the numbers of at most k fraction digits.
		if n.mulInt > 0 && (fd != 0 || s%n.mulInt != 0) || n.mulInt == 0 && int64(fd) > n.mulFrac {
			v.failAt(ai, li, rMultipleOf)
		}
	}
}

// strLenOK reports whether the string token's length lies within n's
// minLength and maxLength whatever its escapes: the bytes between the
// quotes bound the characters, at most one per byte, at least one per
// twelve (a surrogate pair's escapes). A length between the bounds needs
// no decoding.
func strLenOK(n *node, tok jsonx.Token) bool {
	raw := int64(tok.End - tok.Start - 2)
	return (n.minLen < 0 || (raw+11)/12 >= n.minLen) && (n.maxLen < 0 || raw <= n.maxLen)
}

// strVal returns the decoded string of the current string token.
func (v *Validator) strVal(tok jsonx.Token) []byte {
	raw := v.data[tok.Start+1 : tok.End-1]
	if !v.s.Escaped() {
		return raw
	}
	v.str = jsonx.AppendUnquoted(v.str[:0], raw)
	return v.str
}

// scalar evaluates every activation at li on a scalar token.
func (v *Validator) scalar(tok jsonx.Token, li int32) {
	l := &v.locs[li]
	for ai := l.actA; ai < l.actB; ai++ {
		v.checkScalar(&v.nodes[v.acts[ai].node], tok, ai, li)
	}
}

// failAt records a failure of activation ai, or, with ai -1, of a certain
// schema at li (which fails the body).
func (v *Validator) failAt(ai, li int32, rule uint8) {
	if ai >= 0 {
		v.fail(ai, rule)
		return
	}
	if li == lazyLoc {
		li = v.laterLoc()
	}
	v.invalid = true
	v.fails = append(v.fails, failure{act: -1, loc: li, rule: rule})
}

// lazyLoc stands for the place of Validator.later, recorded only when a
// check fails there (a failure needs its place for the pointer).
const lazyLoc = -2

// laterLoc is a scalar the walk has not recorded: a declared member or an
// item of the innermost open container (Request mode).
type laterLoc struct {
	start, end, index int32
	at                int32 // its place once recorded, -1 before
	member            bool  // its key is the scanner's (Scanner.MemberKey), not the frame's
}

// laterLoc records the place of Validator.later (once) and returns it.
func (v *Validator) laterLoc() int32 {
	w := &v.later
	if w.at >= 0 {
		return w.at
	}
	f := v.top()
	l := loc{start: w.start, end: w.end, keyStart: -1, keyEnd: -1, parent: f.loc, index: w.index}
	if l.parent == lazyPlace {
		l.parent = v.record(len(v.frames) - 1)
	}
	if f.isObj {
		l.keyStart, l.keyEnd, l.keyEsc = f.keyStart, f.keyEnd, f.keyEsc
		if w.member {
			key, _, esc := v.s.MemberKey()
			l.keyStart, l.keyEnd, l.keyEsc = int32(key.Start), int32(key.End), esc
		}
		l.flags = lfDeclaredProp
	}
	w.at = int32(len(v.locs))
	v.locs = append(v.locs, l)
	return w.at
}

// str returns the decoded string of the current string token, decoded
// once however many schemas ask.
func (v *Validator) strOnce(tok jsonx.Token) []byte {
	if v.strAt != tok.Start {
		v.strCache = v.strVal(tok)
		v.strAt = tok.Start
	}
	return v.strCache
}

// checkScalar applies the keywords of node n to a scalar token.
func (v *Validator) checkScalar(n *node, tok jsonx.Token, ai, li int32) {
	if n.flags&nfTrivial != 0 {
		return
	}
	if n.flags&nfFalse != 0 {
		v.failAt(ai, li, rFalse)
		return
	}
	if tok.Kind == jsonx.TokenNumber && n.flags&nfIntBounds != 0 {
		// Read once for the type and every numeric keyword.
		if s, fs, fd, ok := numParts(v.data[tok.Start:tok.End]); ok {
			v.intNumber(n, s, fs, fd, ai, li)
			return
		}
	}
	if n.types != 0 && n.types&tokTypeBit[tok.Kind] == 0 &&
		!(tok.Kind == jsonx.TokenNumber && n.types&tInteger != 0 && v.isInteger(tok)) {
		v.failAt(ai, li, rType)
	}
	switch tok.Kind {
	case jsonx.TokenString:
		inBounds := strLenOK(n, tok)
		if inBounds && n.pattern == nil && n.format == fmtNone && n.flags&(nfEnum|nfConst) == 0 {
			return
		}
		str := v.strOnce(tok)
		// Decoded, at most one character per byte and at least one per
		// four: only a length near a bound needs counting.
		if b := int64(len(str)); !inBounds && (n.minLen >= 0 && b/4 < n.minLen || n.maxLen >= 0 && b > n.maxLen) {
			c := int64(utf8.RuneCount(str))
			if n.minLen >= 0 && c < n.minLen {
				v.failAt(ai, li, rMinLength)
			}
			if n.maxLen >= 0 && c > n.maxLen {
				v.failAt(ai, li, rMaxLength)
			}
		}
		if n.pattern != nil && !n.pattern.Match(str) {
			v.failAt(ai, li, rPattern)
		}
		if n.format != fmtNone && !checkFormat(n.format, str) {
			v.failAt(ai, li, rFormat)
		}
		if n.flags&nfEnum != 0 && !enumHasString(n.enum, str) {
			v.failAt(ai, li, rEnum)
		}
		if n.flags&nfConst != 0 && !enumHasString(n.cnst, str) {
			v.failAt(ai, li, rConst)
		}
	case jsonx.TokenNumber:
		if n.minimum == nil && n.maximum == nil && n.exMin == nil && n.exMax == nil &&
			n.multipleOf == nil && n.flags&(nfEnum|nfConst) == 0 {
			return
		}
		num := v.number(tok)
		if n.minimum != nil && cmpDec(num, n.minimum) < 0 {
			v.failAt(ai, li, rMinimum)
		}
		if n.maximum != nil && cmpDec(num, n.maximum) > 0 {
			v.failAt(ai, li, rMaximum)
		}
		if n.exMin != nil && cmpDec(num, n.exMin) <= 0 {
			v.failAt(ai, li, rExMin)
		}
		if n.exMax != nil && cmpDec(num, n.exMax) >= 0 {
			v.failAt(ai, li, rExMax)
		}
		if n.multipleOf != nil && !n.multipleOf.multipleOf(num) {
			v.failAt(ai, li, rMultipleOf)
		}
		if n.flags&nfEnum != 0 && !enumHasNumber(n.enum, num) {
			v.failAt(ai, li, rEnum)
		}
		if n.flags&nfConst != 0 && !enumHasNumber(n.cnst, num) {
			v.failAt(ai, li, rConst)
		}
	default:
		if n.flags&nfEnum != 0 && !enumHasLiteral(n.enum, tok.Kind) {
			v.failAt(ai, li, rEnum)
		}
		if n.flags&nfConst != 0 && !enumHasLiteral(n.cnst, tok.Kind) {
			v.failAt(ai, li, rConst)
		}
	}
}

// certain reports whether every entry schema applies unconditionally (it
// comes from the root or from a certain activation) and applies in place
// only through $ref and allOf. Such a place needs no phase 2: its
// schemas apply and report whatever happens elsewhere, and any failure
// fails the body.
func (v *Validator) certain(entries []pend) bool {
	if len(entries) == 0 {
		return false
	}
	for i := range entries {
		if !entries[i].cert || !v.nodes[entries[i].node].pure {
			return false
		}
	}
	return true
}

// certainNodes calls f for each node the certain entries apply, once.
func (v *Validator) certainNodes(entries []pend) []int32 {
	if len(entries) == 1 {
		return v.nodes[entries[0].node].closure
	}
	v.serial++
	if v.serial == 0 {
		clear(v.stamp)
		v.serial = 1
	}
	g := v.gather[:0]
	for _, e := range entries {
		for _, n := range v.nodes[e.node].closure {
			if v.stamp[n] != v.serial {
				v.stamp[n] = v.serial
				g = append(g, n)
			}
		}
	}
	v.gather = g
	return g
}

// certainFlags sets what phase 2 would have found at a certain place.
func (v *Validator) certainFlags(li int32, entries []pend) {
	l := &v.locs[li]
	var f uint32
	for i := range entries {
		e := &entries[i]
		switch {
		case e.kind == eProp:
			l.flags |= lfDeclaredProp
		case e.kind == eAddlX:
			l.flags |= lfDeclaredAddl
		}
		f |= v.nodes[e.node].cflags
	}
	l.flags |= closureLocFlags(f)
}

// closureLocFlags maps node flags to the location flags they imply.
func closureLocFlags(f uint32) uint8 {
	var lf uint8
	if f&nfReadOnly != 0 {
		lf |= lfReadOnly
	}
	if f&nfWriteOnly != 0 {
		lf |= lfWriteOnly
	}
	if f&nfFalse != 0 {
		lf |= lfDenied
	}
	if f&nfHasProps != 0 {
		lf |= lfDeclaresAny
	}
	return lf
}

func (v *Validator) scalarCertain(tok jsonx.Token, li int32, entries []pend) {
	nodes := v.certainNodes(entries)
	v.steps += len(nodes)
	for _, ni := range nodes {
		if n := &v.nodes[ni]; n.flags&nfTrivial == 0 {
			v.checkScalar(n, tok, -1, li)
		}
	}
}

// activateCertain creates the activations of a certain container: they
// hold its per-member state, and need no edges.
func (v *Validator) activateCertain(li int32, entries []pend) {
	l := &v.locs[li]
	l.actA = int32(len(v.acts))
	l.entA = int32(len(v.edges))
	l.entB = l.entA
	for _, ni := range v.certainNodes(entries) {
		v.acts = append(v.acts, act{node: ni, loc: li, sel: -1, ok: true, cert: true, inS: true, rep: true})
	}
	l.actB = int32(len(v.acts))
	v.steps += int(l.actB - l.actA)
}

func enumHasString(enum []constVal, s []byte) bool {
	for i := range enum {
		if enum[i].kind == jsonx.KindString && enum[i].str == string(s) {
			return true
		}
	}
	return false
}

func enumHasNumber(enum []constVal, d *dec) bool {
	for i := range enum {
		if enum[i].kind == jsonx.KindNumber && cmpDec(&enum[i].num, d) == 0 {
			return true
		}
	}
	return false
}

func enumHasLiteral(enum []constVal, k jsonx.TokenKind) bool {
	for i := range enum {
		e := &enum[i]
		switch {
		case k == jsonx.TokenNull && e.kind == jsonx.KindNull,
			k == jsonx.TokenTrue && e.kind == jsonx.KindBool && e.b,
			k == jsonx.TokenFalse && e.kind == jsonx.KindBool && !e.b:
			return true
		}
	}
	return false
}
