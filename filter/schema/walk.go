package schema

import (
	"github.com/apiguard/apiguard/filter/jsonx"
)

// key handles a member name: it counts required names and gathers the
// schemas that apply to the member's value.
func (v *Validator) key(tok jsonx.Token) {
	v.fastNode = -1
	f := v.top()
	f.keyStart, f.keyEnd = int32(tok.Start), int32(tok.End)
	f.keyEsc = v.s.Escaped()
	key := v.s.Key()
	if f.needHash {
		f.keyHash = hashStr(key)
	}
	if p := f.plan; p != nil {
		v.steps++
		f.caseVar = false
		j := -1
		if !f.members {
			j = p.lookup(key) // else the scanner did not find it
		}
		if j >= 0 {
			pn := &p.names[j]
			f.req += int32(pn.req >> v.mode & 1)
			v.ents = pn.ents
			if v.mode == Request {
				v.fastNode, v.fastTypes = pn.fast, pn.types
				if !pn.decl {
					v.keyFold(f, p, key)
				}
			}
			return
		}
		v.ents = p.addl
		if v.mode == Request {
			v.keyFold(f, p, key)
		}
		return
	}
	v.ents = v.entBuf[:0]
	if f.loc < 0 || !f.needObj {
		return
	}
	l := &v.locs[f.loc]
	for i := l.actA; i < l.actB; i++ {
		a := &v.acts[i]
		n := &v.nodes[a.node]
		if n.flags&nfNeedObj == 0 {
			continue
		}
		v.steps++
		child, kind := int32(-1), eProp
		if j := n.lookup(key); j >= 0 {
			e := &n.names[j]
			if e.req&(1<<v.mode) != 0 {
				a.req++
			}
			child = e.child
		}
		if child < 0 && n.addl >= 0 {
			child, kind = n.addl, eAddl
			if n.flags&nfAddlExplicit != 0 {
				kind = eAddlX
			}
		}
		if child >= 0 {
			v.ents = append(v.ents, pend{node: child, from: i, kind: kind, cert: a.cert})
			v.entBuf = v.ents
		}
		if n.disc != nil && n.disc.prop == string(key) {
			f.discKey = true
			v.discKey = append(v.discKey[:0], key...)
		}
	}
}

// member handles a member of a plan's object whose key the scanner found
// among the plan's names (jsonx.Scanner.Within) and returned with its
// value: key's work without the lookup, the required tally left to the
// scanner.
func (v *Validator) member(f *frame, j int) {
	tok, key, esc := v.s.MemberKey()
	f.keyStart, f.keyEnd, f.keyEsc = int32(tok.Start), int32(tok.End), esc
	f.caseVar = false
	v.steps++
	pn := &f.plan.names[j]
	v.ents = pn.ents
	if v.mode == Request {
		v.fastNode, v.fastTypes = pn.fast, pn.types
		if !pn.decl {
			v.keyFold(f, f.plan, key)
		}
	}
}

// memberScalar is the whole walk of a scalar member of a plan's object
// whose key the scanner found (no TokenKey) when the member's one schema
// needs no place record (planName.fast, Request): key, value and value's
// fast path in one step (Steps counts one). It reports false, having done nothing, for any
// other value.
func (v *Validator) memberScalar(f *frame, j int, tok jsonx.Token) bool {
	pn := &f.plan.names[j]
	bit := tokTypeBit[tok.Kind]
	if pn.fast < 0 || v.mode != Request || bit&scalarTypes == 0 {
		return false
	}
	v.steps++ // one place, no lookup
	if pn.types&bit == 0 {
		n := &v.nodes[pn.fast]
		// The key is read only if a check fails (laterLoc).
		later := laterLoc{start: int32(tok.Start), end: int32(tok.End), index: -1, at: -1, member: true}
		if c := n.check; c >= 0 {
			// scalarClosure's one check, inline; a string whose length
			// alone shows it valid needs no call.
			v.steps += len(n.closure)
			cn := &v.nodes[c]
			if bit == tString && cn.flags&nfStrLen != 0 && strLenOK(cn, tok) {
				return true
			}
			v.later = later
			v.checkScalar(cn, tok, -1, lazyLoc)
			return true
		}
		v.later = later
		v.scalarClosure(n, tok, lazyLoc)
	}
	return true
}

// openFast opens a container (tok) that is a member (key the scanner's, j
// its name) or an item (j -1) of a plan whose one schema has a plan
// (containerFast): a place and its plan's frame, what value would do,
// without its search (Steps counts one step, value two). It reports false, having done nothing, for any
// other member or item.
func (v *Validator) openFast(f *frame, j int, tok jsonx.Token) (bool, error) {
	var p *plan
	flags := f.plan.itemFlags
	if j >= 0 {
		pn := &f.plan.names[j]
		if p = pn.open; p == nil || !pn.decl {
			return false, nil
		}
		flags = pn.flags
	} else if p = f.plan.itemOpen; p == nil {
		return false, nil
	}
	isObj := tok.Kind == jsonx.TokenBeginObject
	k := 0
	if !isObj {
		k = 1
	}
	if v.mode == Request && p.lazy[k] {
		// openPlan's outcome for a plain plan without its tests, and no
		// place record unless a failure or a recorded place inside needs
		// one (Validator.record, which reads a member's key as its
		// parent's current key and an item's index as its parent's count).
		if j >= 0 {
			key, _, esc := v.s.MemberKey()
			f.keyStart, f.keyEnd, f.keyEsc = int32(key.Start), int32(key.End), esc
		} else {
			f.count = int32(v.s.Count()) - 1
		}
		v.steps += 2 // one place, no lookup; resolve's look at it, recorded or not
		// The frame written in place: only what a plan's unhashed frame reads
		// before writing it (no hashes, item entries or hash base).
		n := len(v.frames)
		if n < cap(v.frames) {
			v.frames = v.frames[:n+1]
		} else {
			v.frames = append(v.frames, frame{})
		}
		c := &v.frames[n]
		c.loc, c.start, c.isObj, c.plan, c.req = lazyPlace, int32(tok.Start), isObj, p, 0
		c.needObj, c.declares, c.members = p.needObj, p.cflags&nfHasProps != 0, isObj
		c.needHash, c.childHash, c.discKey = false, false, false
		if isObj {
			v.s.Within(p.members[Request])
		} else {
			v.s.QuietItems(p.quiet)
		}
		return true, nil
	}
	l := loc{start: int32(tok.Start), end: int32(tok.End), keyStart: -1, keyEnd: -1, parent: f.loc, index: -1, flags: flags}
	if j >= 0 {
		key, _, esc := v.s.MemberKey()
		l.keyStart, l.keyEnd, l.keyEsc = int32(key.Start), int32(key.End), esc
	} else {
		l.index = int32(v.s.Count()) - 1
	}
	if l.parent == lazyPlace {
		l.parent = v.record(len(v.frames) - 1)
	}
	v.steps++ // one place, no lookup
	li := int32(len(v.locs))
	v.locs = append(v.locs, l)
	if !p.plain[k] {
		return true, v.openPlan(tok, li, p, false)
	}
	// openPlan's outcome for a plain plan (plan.plain), without its tests.
	c := v.push(tok, li, false)
	c.plan = p
	if isObj {
		c.needObj, c.declares, c.members = p.needObj, p.cflags&nfHasProps != 0, true
		v.s.Within(p.members[v.mode])
	} else {
		v.s.QuietItems(p.quiet)
	}
	return true, nil
}

// scalarClosure applies the closure of the pure node n to a scalar token
// at li (lazyLoc: the place of Validator.later).
func (v *Validator) scalarClosure(n *node, tok jsonx.Token, li int32) {
	if n.check >= 0 {
		// One node checks anything: no loop (a type-only node whose
		// type the value has finds nothing either).
		v.checkScalar(&v.nodes[n.check], tok, -1, li)
		v.steps += len(n.closure)
		return
	}
	bit := tokTypeBit[tok.Kind]
	for _, ni := range n.closure {
		cn := &v.nodes[ni]
		if cn.flags&nfTrivial != 0 || cn.flags&nfTypeOnly != 0 && cn.types&bit != 0 {
			continue
		}
		v.checkScalar(cn, tok, -1, li)
	}
	v.steps += len(n.closure)
}

// keyFold notes whether an undeclared member of a plan's object is a case
// variant of a declared name (Request mode).
func (v *Validator) keyFold(f *frame, p *plan, key []byte) {
	if p.folds != nil && !v.opts.CaseSensitive {
		v.buf = jsonx.AppendFold(v.buf[:0], key)
		f.caseVar = p.folds[string(v.buf)]
	}
}

func (n *node) lookup(key []byte) int {
	if n.nameIndex != nil {
		return n.nameIndex.Find(key)
	}
	for j := range n.names {
		name := n.names[j].name
		if len(name) == len(key) && (len(key) == 0 || name[0] == key[0]) && name == string(key) {
			return j
		}
	}
	return -1
}

// value handles the first token of a value: a scalar, or the opening of a
// container.
func (v *Validator) value(tok jsonx.Token) error {
	parent := v.top()
	if v.mode == Request && parent != nil && parent.plan != nil && !parent.childHash && tokTypeBit[tok.Kind]&scalarTypes != 0 {
		bit := tokTypeBit[tok.Kind]
		// A scalar of a plan whose one schema needs no place record
		// (compiler.scalarFast): its checks, if its type calls for any,
		// and nothing else.
		ni, t, index := v.fastNode, v.fastTypes, int32(-1)
		if !parent.isObj {
			ni, t, index = parent.plan.itemFast, parent.plan.itemTypes, int32(v.s.Count())-1
		}
		if ni >= 0 {
			v.steps++
			if t&bit == 0 {
				v.later = laterLoc{start: int32(tok.Start), end: int32(tok.End), index: index, at: -1}
				v.scalarClosure(&v.nodes[ni], tok, lazyLoc)
			}
			return nil
		}
	}
	var entries []pend
	isMember := parent != nil && parent.isObj
	switch {
	case parent == nil:
		entries = v.ents
	case parent.loc == -1: // walked only for its hash
	case isMember:
		entries = v.ents
	case parent.plan != nil:
		entries = parent.plan.items
	default:
		entries = v.itemEnts[parent.ieA:parent.ieB]
	}
	needHash := parent != nil && parent.childHash
	// A discriminator's value is read even where no schema declares it.
	record := len(entries) > 0 || isMember && (parent.declares || parent.discKey)
	container := tok.Kind == jsonx.TokenBeginObject || tok.Kind == jsonx.TokenBeginArray
	index := int32(-1)
	if parent != nil && !parent.isObj {
		index = int32(v.s.Count()) - 1
	}
	if !record {
		if !needHash {
			if container {
				if _, err := v.s.SkipValue(); err != nil {
					return err
				}
			}
			return nil
		}
		if container {
			v.push(tok, -1, true)
			return nil
		}
		v.reportHash(parent, v.scalarHash(tok), int32(tok.Start), int32(tok.End))
		return nil
	}
	v.steps++
	if v.mode == Request && parent != nil && !container && len(entries) == 1 && entries[0].cert {
		if e := &entries[0]; !isMember || e.kind == eProp && !parent.caseVar {
			if n := &v.nodes[e.node]; n.pure && n.cflags&(nfReadOnly|nfWriteOnly|nfFalse|nfHasProps) == 0 {
				// A declared scalar member or an item, whose place phase 2
				// would find acceptable: no record unless a check fails
				// (docs/schemas.md "Cost and caps").
				v.later = laterLoc{start: int32(tok.Start), end: int32(tok.End), index: index, at: -1}
				v.scalarClosure(n, tok, lazyLoc)
				if needHash {
					v.reportHash(parent, v.scalarHash(tok), int32(tok.Start), int32(tok.End))
				}
				return nil
			}
		}
	}
	l := loc{start: int32(tok.Start), end: int32(tok.End), keyStart: -1, keyEnd: -1, parent: -1, index: index}
	if parent != nil {
		if l.parent = parent.loc; l.parent == lazyPlace {
			l.parent = v.record(len(v.frames) - 1)
		}
		if isMember {
			l.keyStart, l.keyEnd, l.keyEsc = parent.keyStart, parent.keyEnd, parent.keyEsc
			if parent.caseVar {
				l.flags |= lfCaseVariant
			}
		}
	}
	li := int32(len(v.locs))
	v.locs = append(v.locs, l)
	if len(entries) == 1 && entries[0].cert {
		// The most common place: one unconditional schema. Everything is
		// decided here, with as few calls as possible (calls are dear in
		// wasm).
		e := &entries[0]
		if n := &v.nodes[e.node]; n.pure {
			lp := &v.locs[li]
			switch e.kind {
			case eProp:
				lp.flags |= lfDeclaredProp
			case eAddlX:
				lp.flags |= lfDeclaredAddl
			}
			if cf := n.cflags; cf&(nfReadOnly|nfWriteOnly|nfFalse|nfHasProps) != 0 {
				lp.flags |= closureLocFlags(cf)
			}
			if !container {
				v.scalarClosure(n, tok, li)
				if needHash {
					v.reportHash(parent, v.scalarHash(tok), int32(tok.Start), int32(tok.End))
				}
				return nil
			}
			if p := n.plan; p != nil {
				return v.openPlan(tok, li, p, needHash)
			}
		}
	}
	if v.certain(entries) {
		// Every schema here applies unconditionally: no activation
		// records for scalars, no edges for containers.
		v.certainFlags(li, entries)
		if !container {
			v.scalarCertain(tok, li, entries)
			if needHash {
				v.reportHash(parent, v.scalarHash(tok), int32(tok.Start), int32(tok.End))
			}
			return nil
		}
		if len(entries) == 1 {
			if p := v.nodes[entries[0].node].plan; p != nil {
				return v.openPlan(tok, li, p, needHash)
			}
		}
		v.activateCertain(li, entries)
		return v.open(tok, li, needHash)
	}
	v.activate(li, entries)
	if isMember && parent.discKey {
		parent.discKey = false
		if tok.Kind == jsonx.TokenString {
			v.selectBranch(parent.loc, v.strVal(tok))
		}
	}
	if container {
		return v.open(tok, li, needHash)
	}
	v.scalar(tok, li)
	v.finishLoc(li, nil)
	if needHash {
		v.reportHash(parent, v.scalarHash(tok), int32(tok.Start), int32(tok.End))
	}
	return nil
}

// activate applies the entry schemas and everything they apply in place
// ($ref, allOf, anyOf, oneOf, not) at location li, each subschema once.
func (v *Validator) activate(li int32, entries []pend) {
	l := &v.locs[li]
	l.actA = int32(len(v.acts))
	l.entA = int32(len(v.edges))
	if len(entries) == 0 {
		l.actB, l.entB = l.actA, l.entA
		return
	}
	if len(entries) == 1 && len(v.nodes[entries[0].node].kids) == 0 {
		// The common case: one schema, nothing in place.
		e := entries[0]
		ai := int32(len(v.acts))
		v.acts = append(v.acts, act{node: e.node, loc: li, sel: -1, ok: true})
		v.edges = append(v.edges, edge{from: e.from, to: ai, kind: e.kind})
		l.actB = int32(len(v.acts))
		l.entB = int32(len(v.edges))
		v.steps += 2
		return
	}
	v.serial++
	if v.serial == 0 {
		clear(v.stamp)
		v.serial = 1
	}
	g := v.gather[:0]
	for _, e := range entries {
		if v.stamp[e.node] != v.serial {
			v.stamp[e.node] = v.serial
			g = append(g, e.node)
		}
	}
	for i := 0; i < len(g); i++ {
		for _, k := range v.nodes[g[i]].kids {
			if v.stamp[k.node] != v.serial {
				v.stamp[k.node] = v.serial
				g = append(g, k.node)
			}
		}
	}
	// Parents before children: in-place verdicts combine in reverse.
	for i := 1; i < len(g); i++ {
		for j := i; j > 0 && v.nodes[g[j]].rank < v.nodes[g[j-1]].rank; j-- {
			g[j], g[j-1] = g[j-1], g[j]
		}
	}
	for _, n := range g {
		v.slot[n] = int32(len(v.acts))
		v.acts = append(v.acts, act{node: n, loc: li, sel: -1, ok: true})
	}
	for _, e := range entries {
		v.edges = append(v.edges, edge{from: e.from, to: v.slot[e.node], kind: e.kind})
	}
	l.entB = int32(len(v.edges))
	for ai := l.actA; ai < int32(len(v.acts)); ai++ {
		a := &v.acts[ai]
		a.outA = int32(len(v.edges))
		for _, k := range v.nodes[a.node].kids {
			v.edges = append(v.edges, edge{from: ai, to: v.slot[k.node], kind: k.kind, idx: k.idx})
		}
		a.outB = int32(len(v.edges))
	}
	l.actB = int32(len(v.acts))
	v.gather = g
	v.steps += len(g) + int(int32(len(v.edges))-l.entA)
}

func (v *Validator) fail(ai int32, rule uint8) {
	a := &v.acts[ai]
	a.ok = false
	v.fails = append(v.fails, failure{act: ai, loc: a.loc, rule: rule})
}

// scalarTypes are the type bits of scalar tokens.
const scalarTypes = tString | tNumber | tBool | tNull

// tokTypeBit is the type bit of each scalar token kind (a number is a
// "number"; whether it is also an "integer" takes a look at its digits).
var tokTypeBit = [...]uint8{
	jsonx.TokenBeginObject: tObject, jsonx.TokenBeginArray: tArray, jsonx.TokenString: tString,
	jsonx.TokenNumber: tNumber, jsonx.TokenTrue: tBool, jsonx.TokenFalse: tBool, jsonx.TokenNull: tNull,
	jsonx.TokenEnd: 0,
}

// typeOK checks the type keyword for a value of the given kind.
func (v *Validator) typeOK(n *node, kind jsonx.TokenKind, tok jsonx.Token) bool {
	var b uint8
	switch kind {
	case jsonx.TokenBeginObject:
		b = tObject
	case jsonx.TokenBeginArray:
		b = tArray
	case jsonx.TokenString:
		b = tString
	case jsonx.TokenTrue, jsonx.TokenFalse:
		b = tBool
	case jsonx.TokenNull:
		b = tNull
	case jsonx.TokenNumber:
		if n.types&tNumber != 0 {
			return true
		}
		if n.types&tInteger == 0 {
			return false
		}
		return v.number(tok).isInteger()
	}
	return n.types&b != 0
}
