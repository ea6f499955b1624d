package schema

import (
	"github.com/apiguard/apiguard/filter/jsonx"
)

// open starts a container at li: type checks, then a frame, or a skip when
// nothing inside matters.
func (v *Validator) open(tok jsonx.Token, li int32, needHash bool) error {
	l := &v.locs[li]
	isObj := tok.Kind == jsonx.TokenBeginObject
	inside := needHash
	for ai := l.actA; ai < l.actB; ai++ {
		a := &v.acts[ai]
		n := &v.nodes[a.node]
		if n.flags&nfTrivial != 0 {
			continue
		}
		if n.flags&nfFalse != 0 {
			v.fail(ai, rFalse)
			continue
		}
		if n.types != 0 && !v.typeOK(n, tok.Kind, tok) {
			v.fail(ai, rType)
		}
		if isObj && n.flags&(nfNeedObj|nfHashSelf|nfEnum|nfConst) != 0 || !isObj && n.flags&(nfNeedArr|nfHashSelf|nfEnum|nfConst) != 0 {
			inside = true
		}
		if isObj && n.disc != nil {
			a.discOn = true
		}
	}
	if !inside {
		end, err := v.s.SkipValue()
		if err != nil {
			return err
		}
		v.locs[li].end = int32(end.End)
		v.finishLoc(li, nil)
		return nil
	}
	f := v.push(tok, li, needHash)
	l = &v.locs[li]
	for ai := l.actA; ai < l.actB; ai++ {
		n := &v.nodes[v.acts[ai].node]
		if n.flags&(nfEnum|nfConst) != 0 {
			f.needHash, f.childHash = true, true
		}
		if isObj {
			f.needObj = f.needObj || n.flags&nfNeedObj != 0
			f.declares = f.declares || n.flags&nfHasProps != 0
		} else {
			if n.flags&nfUnique != 0 {
				f.childHash = true
			}
			if n.items >= 0 {
				v.itemEnts = append(v.itemEnts, pend{node: n.items, from: ai, kind: eItems, cert: v.acts[ai].cert})
			}
		}
	}
	f.ieB = int32(len(v.itemEnts))
	return nil
}

func (v *Validator) push(tok jsonx.Token, li int32, needHash bool) *frame {
	v.frames = append(v.frames, frame{
		loc: li, start: int32(tok.Start), isObj: tok.Kind == jsonx.TokenBeginObject, needHash: needHash, childHash: needHash,
		ieA: int32(len(v.itemEnts)), ieB: int32(len(v.itemEnts)), hbase: int32(len(v.hs)),
	})
	return &v.frames[len(v.frames)-1]
}

// selectBranch records the discriminator value of the object at li.
func (v *Validator) selectBranch(li int32, val []byte) {
	l := &v.locs[li]
	for ai := l.actA; ai < l.actB; ai++ {
		a := &v.acts[ai]
		d := v.nodes[a.node].disc
		if d == nil || d.prop != string(v.discKey) {
			continue
		}
		if b, ok := d.values[string(val)]; ok {
			a.sel = int32(b)
		}
	}
}

func (v *Validator) closeContainer(tok jsonx.Token) {
	// Popped, the frame stays in place until the next push: no copy.
	fi := len(v.frames) - 1
	f := &v.frames[fi]
	v.frames = v.frames[:fi]
	count, tally := v.s.Closed()
	f.count = int32(count)
	f.req += int32(tally)
	if p := f.plan; p != nil && !f.childHash {
		// A plan's frame whose children report no hash: nothing to
		// unwind (a plan's frame has no item entries, and holds no
		// hashes of its children) and no hash of its own (a parent that
		// wants hashes would have made its children report theirs).
		if f.loc != lazyPlace {
			v.locs[f.loc].end = int32(tok.End)
		}
		if p.counts {
			v.closePlan(fi, tok, 0)
		} else if f.isObj && f.req < p.nReq[v.mode] {
			// Counting nothing: only the required tally.
			v.failAt(-1, v.placeEnd(fi, tok), rRequired)
		}
		return
	}
	var h uint64
	if f.needHash {
		if f.isObj {
			h = objectEnd(f.hacc, int(f.count))
		} else {
			h = arrayEnd(f.hacc, int(f.count))
		}
	}
	if f.plan != nil {
		v.locs[f.loc].end = int32(tok.End) // a hashed plan's place is never lazy
		v.closePlan(fi, tok, h)
	} else if f.loc >= 0 {
		v.locs[f.loc].end = int32(tok.End)
		if f.needHash {
			v.containerEnum(f.loc, h)
		}
		v.finishLoc(f.loc, f)
	}
	v.itemEnts = v.itemEnts[:f.ieA]
	v.hs = v.hs[:f.hbase]
	if parent := v.top(); parent != nil && parent.childHash {
		v.reportHash(parent, h, f.start, int32(tok.End))
	}
}

// reportHash folds a child's hash into its container.
func (v *Validator) reportHash(p *frame, h uint64, start, end int32) {
	if p.isObj {
		p.hacc += memberHash(p.keyHash, h)
		return
	}
	p.hacc = arrayStep(p.hacc, h)
	v.hs = append(v.hs, hitem{hash: h, start: start, end: end})
}

func (v *Validator) scalarHash(tok jsonx.Token) uint64 {
	switch tok.Kind {
	case jsonx.TokenNull:
		return hashNull
	case jsonx.TokenTrue:
		return hashTrue
	case jsonx.TokenFalse:
		return hashFalse
	case jsonx.TokenString:
		return hashStr(v.strVal(tok))
	}
	var h uint64
	h, v.buf = hashDec(v.number(tok), v.buf)
	return h
}

// finishLoc ends location li: the container keywords (f non-nil), then the
// in-place verdicts, children first, then the entry edges tell the parent
// schemas whether this member or item passed.
func (v *Validator) finishLoc(li int32, f *frame) {
	l := &v.locs[li]
	for ai := l.actB - 1; ai >= l.actA; ai-- {
		a := &v.acts[ai]
		n := &v.nodes[a.node]
		if f != nil && n.flags&(nfNeedObj|nfNeedArr) != 0 && n.flags&nfFalse == 0 {
			c := int64(f.count)
			if f.isObj {
				if n.minProps >= 0 && c < n.minProps {
					v.fail(ai, rMinProps)
				}
				if n.maxProps >= 0 && c > n.maxProps {
					v.fail(ai, rMaxProps)
				}
				if a.req < n.nReq[v.mode] {
					v.fail(ai, rRequired)
				}
				if a.discOn && a.sel < 0 {
					v.fail(ai, rDiscriminator)
				}
			} else {
				if n.minItems >= 0 && c < n.minItems {
					v.fail(ai, rMinItems)
				}
				if n.maxItems >= 0 && c > n.maxItems {
					v.fail(ai, rMaxItems)
				}
				if n.flags&nfUnique != 0 && !v.unique(f) {
					v.fail(ai, rUnique)
				}
			}
		}
		if len(n.kids) > 0 {
			anyValid, oneValid := 0, 0
			for ei := a.outA; ei < a.outB; ei++ {
				e := &v.edges[ei]
				c := &v.acts[e.to]
				switch e.kind {
				case eRef, eAllOf:
					if !c.valid {
						a.ok = false
					}
				case eNot:
					if c.valid {
						v.fail(ai, rNot)
					}
				case eAnyOf, eOneOf:
					if c.valid {
						if e.kind == eAnyOf {
							anyValid++
						} else {
							oneValid++
						}
					}
					if a.discOn && int32(e.idx) == a.sel && !c.valid {
						a.ok = false
					}
				}
			}
			if n.nAny > 0 {
				a.noneValid = anyValid == 0
				if !a.discOn && anyValid == 0 {
					v.fail(ai, rAnyOf)
				}
			}
			if n.nOne > 0 {
				a.noneValid = oneValid == 0
				if !a.discOn && oneValid != 1 {
					v.fail(ai, rOneOf)
				}
			}
		}
		a.valid = a.ok
		if a.cert && !a.ok {
			v.invalid = true
		}
	}
	for ei := l.entA; ei < l.entB; ei++ {
		e := &v.edges[ei]
		if !v.acts[e.to].valid {
			if e.from >= 0 {
				v.acts[e.from].ok = false
			} else {
				// From the root or a certain place: the body fails.
				v.invalid = true
			}
		}
	}
}

// unique reports whether the items of the array frame f are pairwise
// distinct: a hash table over their canonical hashes, with an exact
// comparison when two hashes meet.
func (v *Validator) unique(f *frame) bool {
	items := v.hs[f.hbase:]
	if len(items) < 2 {
		return true
	}
	if len(items) <= 8 {
		// A short array (most arrays with uniqueItems: tags, roles,
		// scopes) compares its hashes pair by pair, without the table
		// (a step per item, as there).
		v.steps++
		for i := 1; i < len(items); i++ {
			v.steps++
			for o := range i {
				if items[o].hash == items[i].hash && v.sameSpan(items[o], items[i]) {
					return false
				}
			}
		}
		return true
	}
	size := 4
	for size < 2*len(items) {
		size <<= 1
	}
	if cap(v.tab) < size {
		v.tab = make([]int32, size)
	}
	tab := v.tab[:size]
	for i := range tab {
		tab[i] = -1
	}
	mask := uint64(size - 1)
	for i := range items {
		v.steps++
		for j := items[i].hash & mask; ; j = (j + 1) & mask {
			o := tab[j]
			if o < 0 {
				tab[j] = int32(i)
				break
			}
			if items[o].hash == items[i].hash && v.sameSpan(items[o], items[i]) {
				return false
			}
		}
	}
	return true
}

// sameSpan compares two values of the body exactly (the rare path after
// equal hashes).
func (v *Validator) sameSpan(a, b hitem) bool {
	return string(v.canonSpan(a.start, a.end)) == string(v.canonSpan(b.start, b.end))
}

func (v *Validator) canonSpan(start, end int32) []byte {
	val, err := jsonx.Parse(v.data[start:end], jsonx.Limits{})
	if err != nil {
		return nil
	}
	return appendCanon(nil, &val)
}

// containerEnum checks enum and const against an object or array whose
// hash is h.
func (v *Validator) containerEnum(li int32, h uint64) {
	l := &v.locs[li]
	var canon []byte
	for ai := l.actA; ai < l.actB; ai++ {
		v.nodeEnum(&v.nodes[v.acts[ai].node], ai, li, h, &canon)
	}
}

// nodeEnum checks n's enum and const on the container at li; canon caches
// the container's canonical text.
func (v *Validator) nodeEnum(n *node, ai, li int32, h uint64, canon *[]byte) {
	if n.flags&nfFalse != 0 || n.flags&(nfEnum|nfConst) == 0 {
		return
	}
	l := &v.locs[li]
	has := func(list []constVal) bool {
		for i := range list {
			e := &list[i]
			if e.canon == nil || e.hash != h {
				continue
			}
			if *canon == nil {
				*canon = v.canonSpan(l.start, l.end)
			}
			if string(*canon) == string(e.canon) {
				return true
			}
		}
		return false
	}
	if n.flags&nfEnum != 0 && !has(n.enum) {
		v.failAt(ai, li, rEnum)
	}
	if n.flags&nfConst != 0 && !has(n.cnst) {
		v.failAt(ai, li, rConst)
	}
}

// openPlan starts an unconditional container: the closure's type checks,
// then a frame that its plan drives (no activations), or a skip.
func (v *Validator) openPlan(tok jsonx.Token, li int32, p *plan, needHash bool) error {
	isObj := tok.Kind == jsonx.TokenBeginObject
	inside := needHash
	cf := p.cflags
	if tokTypeBit[tok.Kind]&p.okTypes == 0 {
		for _, ni := range p.nodes {
			n := &v.nodes[ni]
			if n.flags&nfTrivial != 0 {
				continue
			}
			if n.flags&nfFalse != 0 {
				v.failAt(-1, li, rFalse)
				continue
			}
			if n.types != 0 && !v.typeOK(n, tok.Kind, tok) {
				v.failAt(-1, li, rType)
			}
		}
	}
	if isObj && cf&(nfNeedObj|nfEnum|nfConst) != 0 || !isObj && cf&(nfNeedArr|nfEnum|nfConst) != 0 {
		inside = true
	}
	if !inside {
		end, err := v.s.SkipValue()
		if err != nil {
			return err
		}
		v.locs[li].end = int32(end.End)
		return nil
	}
	f := v.push(tok, li, needHash)
	f.plan = p
	if cf&(nfEnum|nfConst) != 0 {
		f.needHash, f.childHash = true, true
	}
	if isObj {
		f.needObj = p.needObj
		f.declares = cf&nfHasProps != 0
	} else if cf&nfUnique != 0 {
		f.childHash = true
	}
	if f.childHash {
		return nil // every child reports its hash
	}
	if isObj {
		v.s.Within(p.members[v.mode])
		f.members = true
	} else {
		// Items are no places of a projection: quiet in either mode.
		v.s.QuietItems(p.quiet)
	}
	return nil
}

// closePlan ends an unconditional container whose plan counts or which
// is hashed: each node's count, unique and enum checks, and the merged
// required names.
func (v *Validator) closePlan(fi int, tok jsonx.Token, h uint64) {
	f := &v.frames[:fi+1][fi] // popped
	c := int64(f.count)
	var canon []byte
	for _, ni := range f.plan.nodes {
		n := &v.nodes[ni]
		if n.flags&nfFalse != 0 {
			continue
		}
		if f.isObj {
			if n.minProps >= 0 && c < n.minProps {
				v.failAt(-1, v.placeEnd(fi, tok), rMinProps)
			}
			if n.maxProps >= 0 && c > n.maxProps {
				v.failAt(-1, v.placeEnd(fi, tok), rMaxProps)
			}
		} else {
			if n.minItems >= 0 && c < n.minItems {
				v.failAt(-1, v.placeEnd(fi, tok), rMinItems)
			}
			if n.maxItems >= 0 && c > n.maxItems {
				v.failAt(-1, v.placeEnd(fi, tok), rMaxItems)
			}
			if n.flags&nfUnique != 0 && !v.unique(f) {
				v.failAt(-1, v.placeEnd(fi, tok), rUnique)
			}
		}
		if f.needHash {
			v.nodeEnum(n, -1, f.loc, h, &canon) // a hashed frame's place is recorded
		}
	}
	if f.isObj && f.req < f.plan.nReq[v.mode] {
		v.failAt(-1, v.placeEnd(fi, tok), rRequired)
	}
}

// lazyPlace is the loc of a frame whose place is not recorded yet (a
// plain plan's container in a request, openFast): a place needs a record
// only when a failure or a recorded place inside names it, and most
// containers of a valid body have neither (docs/schemas.md "Cost and
// caps").
const lazyPlace = -3

// record records the lazy place of frame fi (possibly popped: it stays
// in memory) and those of the lazy frames around it, outermost first, so
// that each parent precedes its children and the records stay in
// document order (nothing was recorded since the outermost of them
// opened). The root's place is never lazy. What openFast would have
// recorded: a member's key is its parent's current key, an item's index
// its parent's count, and the flags are containerFast's; the end is set
// at its close (closeContainer, placeEnd), and nothing reads it before in
// a request (project runs in a response, a hashed container is never
// lazy).
func (v *Validator) record(fi int) int32 {
	fr := v.frames[:fi+1]
	k := fi
	for fr[k-1].loc == lazyPlace {
		k--
	}
	for ; k <= fi; k++ {
		f, parent := &fr[k], &fr[k-1]
		l := loc{start: f.start, keyStart: -1, keyEnd: -1, parent: parent.loc, index: -1, flags: closureLocFlags(f.plan.cflags)}
		if parent.isObj {
			l.keyStart, l.keyEnd, l.keyEsc = parent.keyStart, parent.keyEnd, parent.keyEsc
			l.flags |= lfDeclaredProp
		} else {
			l.index = parent.count
		}
		f.loc = int32(len(v.locs))
		v.locs = append(v.locs, l)
		v.steps-- // openLazy counted resolve's look at it
	}
	return fr[fi].loc
}

// placeEnd is the place of the frame fi that tok closes (popped, still in
// memory), recorded if it is lazy.
func (v *Validator) placeEnd(fi int, tok jsonx.Token) int32 {
	li := v.frames[:fi+1][fi].loc
	if li == lazyPlace {
		li = v.record(fi)
		v.locs[li].end = int32(tok.End)
	}
	return li
}
