package schema

import (
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// Phase 2. The walk left one activation per (place, subschema) with its
// verdict, and the edges that applied them, parents before children. One
// pass over the edges now decides which activations apply in docs/schemas.md's
// sense (following $ref and allOf, the anyOf/oneOf branches that validated
// or the one the discriminator selected, into properties, items and
// additionalProperties) and which ones report their failures; then one
// pass over the places judges each member: declared, readOnly, writeOnly.

type objState struct {
	loc       int32
	end       int32
	keptSeen  bool
	leadStart int32 // first key of the run of dropped members before any kept one
	prevEnd   int32 // end of the previous member's value
}

func (v *Validator) resolve() Result {
	for ei := range v.edges {
		e := &v.edges[ei]
		pS, pR := true, true
		var p *act
		if e.from >= 0 {
			p = &v.acts[e.from]
			pS, pR = p.inS, p.rep
		}
		if !pS && !pR {
			continue
		}
		c := &v.acts[e.to]
		condS, condR := pS, pR
		switch e.kind {
		case eNot:
			continue
		case eAnyOf, eOneOf:
			if p.discOn {
				sel := int32(e.idx) == p.sel
				condS, condR = pS && sel, pR && sel
			} else {
				// The branches that validated; when none did (an invalid
				// body, still projected in "report" mode), all of them.
				condS = pS && (c.valid || p.noneValid)
				condR = false
			}
		}
		if condR {
			c.rep = true
		}
		if !condS {
			continue
		}
		l := &v.locs[c.loc]
		switch e.kind {
		case eProp:
			l.flags |= lfDeclaredProp
		case eAddlX:
			l.flags |= lfDeclaredAddl
		}
		if !c.inS {
			c.inS = true
			f := v.nodes[c.node].flags
			if f&nfReadOnly != 0 {
				l.flags |= lfReadOnly
			}
			if f&nfWriteOnly != 0 {
				l.flags |= lfWriteOnly
			}
			if f&nfFalse != 0 {
				l.flags |= lfDenied
			}
			if f&nfHasProps != 0 {
				l.flags |= lfDeclaresAny
			}
		}
	}
	v.steps += len(v.edges) + len(v.locs)

	valid := !v.invalid
	if len(v.locs) > 0 {
		l := &v.locs[0]
		for ei := l.entA; ei < l.entB; ei++ {
			valid = valid && v.acts[v.edges[ei].to].valid
		}
	}
	cands := v.cands[:0]
	for _, f := range v.fails {
		if f.act < 0 || v.acts[f.act].rep {
			cands = append(cands, f)
		}
	}
	if v.mode == Request {
		for li := range v.locs {
			l := &v.locs[li]
			if l.keyStart < 0 {
				continue
			}
			bad := l.flags&lfReadOnly != 0
			if v.locs[l.parent].flags&lfDeclaresAny != 0 && l.flags&lfDeclaredProp == 0 {
				undeclared := l.flags&lfDeclaredAddl == 0 && !v.opts.AllowUndeclared
				bad = bad || undeclared || !v.opts.CaseSensitive && (l.flags&lfCaseVariant != 0 || v.caseVariant(l))
			}
			if bad {
				valid = false
				cands = append(cands, failure{act: -1, loc: int32(li), rule: rFalse})
			}
		}
	} else {
		v.project()
	}
	v.cands = cands
	if len(cands) > 0 {
		valid = false
	}
	res := Result{Valid: valid, Drops: v.drops}
	if !valid {
		res.Violations = v.violations(cands)
	}
	return res
}

// caseVariant reports whether member l's name equals a property an
// applicable schema of its object declares, after case folding.
func (v *Validator) caseVariant(l *loc) bool {
	key := v.data[l.keyStart+1 : l.keyEnd-1]
	if l.keyEsc {
		key = jsonx.AppendUnquoted(nil, key)
	}
	v.buf = jsonx.AppendFold(v.buf[:0], key)
	p := &v.locs[l.parent]
	for ai := p.actA; ai < p.actB; ai++ {
		a := &v.acts[ai]
		if !a.inS {
			continue
		}
		if folds := v.nodes[a.node].folds; folds != nil && folds[string(v.buf)] {
			return true
		}
	}
	return false
}

// project lists the members to drop from a response: undeclared ones in
// objects whose schemas declare properties, writeOnly ones, and those a
// false schema covers; each with the comma that separates it, so that the
// rest stays valid JSON.
func (v *Validator) project() {
	stack := v.objStack[:0]
	skipEnd := int32(-1)
	emit := func(start, end int32) {
		if start < end {
			v.drops = append(v.drops, Range{Start: int(start), End: int(end)})
		}
	}
	finish := func(s *objState) {
		if !s.keptSeen && s.leadStart >= 0 {
			emit(s.leadStart, s.prevEnd)
		}
	}
	for li := range v.locs {
		l := &v.locs[li]
		if l.start < skipEnd || l.keyStart < 0 {
			continue
		}
		for len(stack) > 0 && stack[len(stack)-1].loc != l.parent && stack[len(stack)-1].end <= l.start {
			finish(&stack[len(stack)-1])
			stack = stack[:len(stack)-1]
		}
		if len(stack) == 0 || stack[len(stack)-1].loc != l.parent {
			stack = append(stack, objState{loc: l.parent, end: v.locs[l.parent].end, leadStart: -1, prevEnd: -1})
		}
		s := &stack[len(stack)-1]
		drop := l.flags&(lfWriteOnly|lfDenied) != 0 ||
			v.locs[l.parent].flags&lfDeclaresAny != 0 && l.flags&(lfDeclaredProp|lfDeclaredAddl) == 0
		if drop {
			if s.keptSeen {
				emit(s.prevEnd, l.end)
			} else if s.leadStart < 0 {
				s.leadStart = l.keyStart
			}
			skipEnd = l.end
		} else {
			if !s.keptSeen && s.leadStart >= 0 {
				emit(s.leadStart, l.keyStart)
			}
			s.keptSeen = true
		}
		s.prevEnd = l.end
	}
	for i := len(stack) - 1; i >= 0; i-- {
		finish(&stack[i])
	}
	v.objStack = stack
	slices.SortFunc(v.drops, func(a, b Range) int { return a.Start - b.Start })
}

// violations orders the reported failures by document position, removes
// repeats, keeps the first MaxViolations and renders their pointers.
func (v *Validator) violations(cands []failure) []Violation {
	slices.SortStableFunc(cands, func(a, b failure) int {
		return int(v.locs[a.loc].start) - int(v.locs[b.loc].start)
	})
	out := v.viol[:0]
	for i, f := range cands {
		dup := false
		for j := i - 1; j >= 0 && v.locs[cands[j].loc].start == v.locs[f.loc].start; j-- {
			if cands[j].loc == f.loc && cands[j].rule == f.rule {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		out = append(out, Violation{Pointer: v.pointer(f.loc), Rule: ruleNames[f.rule]})
		if len(out) == MaxViolations {
			break
		}
	}
	v.viol = out
	return out
}

// pointer renders the JSON Pointer of location li, cut to MaxPointer bytes
// at a character boundary.
func (v *Validator) pointer(li int32) string {
	var chain []int32
	for i := li; i >= 0 && v.locs[i].parent >= 0; i = v.locs[i].parent {
		chain = append(chain, i)
	}
	var b []byte
	for i := len(chain) - 1; i >= 0 && len(b) <= MaxPointer; i-- {
		l := &v.locs[chain[i]]
		b = append(b, '/')
		if l.keyStart < 0 {
			b = strconv.AppendInt(b, int64(l.index), 10)
			continue
		}
		key := v.data[l.keyStart+1 : l.keyEnd-1]
		if l.keyEsc {
			key = jsonx.AppendUnquoted(nil, key)
		}
		for _, c := range key {
			switch c {
			case '~':
				b = append(b, '~', '0')
			case '/':
				b = append(b, '~', '1')
			default:
				b = append(b, c)
			}
		}
	}
	if len(b) > MaxPointer {
		cut := MaxPointer
		for cut > 0 && !utf8.RuneStart(b[cut]) {
			cut--
		}
		// Never end inside a ~0 or ~1 escape.
		if cut > 0 && b[cut-1] == '~' {
			cut--
		}
		b = b[:cut]
	}
	return string(b)
}

// AppendProjected appends data without the ranges drops (sorted, disjoint,
// as Result.Drops lists them) to dst.
func AppendProjected(dst, data []byte, drops []Range) []byte {
	last := 0
	for _, r := range drops {
		dst = append(dst, data[last:r.Start]...)
		last = r.End
	}
	return append(dst, data[last:]...)
}
