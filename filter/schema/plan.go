package schema

import "encoding/binary"

// plan is what an unconditional place does with its members and items:
// the rules of every node of a pure node's closure, merged, so that a
// member costs one lookup whatever $ref and allOf combine.
type plan struct {
	nodes     []int32 // the closure
	names     []planName
	nameIndex *nameTable // every plan has one
	addl      []pend     // entries of a member no node of the closure names
	items     []pend
	itemFast  int32 // scalarFast of items
	itemTypes uint8
	nReq      [2]int32        // distinct required names per mode
	folds     map[string]bool // case foldings of the declared properties
	needObj   bool
	// Container shortcuts (docs/schemas.md "Cost and caps"):
	cflags  uint32 // the closure's flags, or-ed
	okTypes uint8  // tObject, tArray: no node's false or type refuses it
	counts  bool   // some node has a count, uniqueItems, enum or const
}

type planName struct {
	name string
	ents []pend
	req  uint8 // 1<<Mode: required in that mode by some node
	decl bool  // a properties keyword names it
	// fast, types: scalarFast of ents
	fast  int32
	types uint8
}

func (p *plan) lookup(key []byte) int { return p.nameIndex.find(key) }

// plans builds the plan of every pure node, within the closure budget.
func (c *compiler) plans() {
	nodes := c.set.nodes
	budget := maxClosures
	addlPend := func(n *node) (pend, bool) {
		if n.addl < 0 {
			return pend{}, false
		}
		k := eAddl
		if n.flags&nfAddlExplicit != 0 {
			k = eAddlX
		}
		return pend{node: n.addl, from: -1, kind: k, cert: true}, true
	}
	for i := range nodes {
		P := &nodes[i]
		if !P.pure {
			continue
		}
		p := &plan{nodes: P.closure, cflags: P.cflags, okTypes: tObject | tArray}
		index := map[string]int{}
		for _, ci := range P.closure {
			n := &nodes[ci]
			if n.flags&nfNeedObj != 0 {
				p.needObj = true
			}
			if n.flags&nfFalse != 0 {
				p.okTypes = 0
			} else if n.flags&nfTrivial == 0 && n.types != 0 {
				p.okTypes &= n.types
			}
			if n.minProps >= 0 || n.maxProps >= 0 || n.minItems >= 0 || n.maxItems >= 0 ||
				n.flags&(nfUnique|nfEnum|nfConst) != 0 {
				p.counts = true
			}
			for _, e := range n.names {
				if _, ok := index[e.name]; !ok {
					index[e.name] = len(p.names)
					p.names = append(p.names, planName{name: e.name})
				}
			}
			if n.items >= 0 {
				p.items = append(p.items, pend{node: n.items, from: -1, kind: eItems, cert: true})
			}
			if e, ok := addlPend(n); ok {
				p.addl = append(p.addl, e)
			}
			for name := range n.folds {
				if p.folds == nil {
					p.folds = map[string]bool{}
				}
				p.folds[name] = true
			}
		}
		for j := range p.names {
			pn := &p.names[j]
			for _, ci := range P.closure {
				n := &nodes[ci]
				if n.flags&nfNeedObj == 0 {
					continue
				}
				k := n.lookup([]byte(pn.name))
				if k >= 0 {
					e := &n.names[k]
					pn.req |= e.req
					if e.child >= 0 {
						pn.ents = append(pn.ents, pend{node: e.child, from: -1, kind: eProp, cert: true})
						pn.decl = true
						continue
					}
				}
				if e, ok := addlPend(n); ok {
					pn.ents = append(pn.ents, e)
				}
			}
			for m := Request; m <= Response; m++ {
				if pn.req&(1<<m) != 0 {
					p.nReq[m]++
				}
			}
			pn.fast, pn.types = c.scalarFast(pn.ents)
			budget -= len(pn.ents) + 1
		}
		names := make([]string, len(p.names))
		for j, pn := range p.names {
			names[j] = pn.name
		}
		p.nameIndex = newNameTable(names)
		p.itemFast, p.itemTypes = c.scalarFast(p.items)
		budget -= len(p.items) + len(p.addl) + 1
		if budget < 0 {
			return
		}
		P.plan = p
	}
}

// scalarFast decides what a scalar member or item with the entries ents
// needs in a request (docs/schemas.md "Cost and caps"): when ents is one
// unconditional declared schema whose place phase 2 would find acceptable,
// fast is that node (-1 otherwise): a scalar is checked by its closure and
// gets a place only if a check fails; types are the scalar token types
// (tokTypeBit) its closure accepts by type alone, which need no check at
// all.
func (c *compiler) scalarFast(ents []pend) (fast int32, types uint8) {
	if len(ents) != 1 || ents[0].kind != eProp && ents[0].kind != eItems {
		return -1, 0
	}
	n := &c.set.nodes[ents[0].node]
	if !n.pure || n.cflags&(nfReadOnly|nfWriteOnly|nfFalse|nfHasProps) != 0 {
		return -1, 0
	}
	t := scalarTypes
	for _, ci := range n.closure {
		cn := &c.set.nodes[ci]
		switch {
		case cn.flags&nfTrivial != 0:
		case cn.flags&nfTypeOnly != 0:
			t &= cn.types
		default:
			t = 0
		}
	}
	return ents[0].node, t
}

// smallNames is the size up to which a node's names are searched linearly.
const smallNames = 8

// nameTable finds a name among many: open addressing over a hash of the
// name's first eight bytes and length, read in one load (no runtime map,
// no loop over the key, no call to compare short names: all slow under
// wasm; docs/schemas.md "Cost and caps"). The table is built at
// configure time and never changes, so a client's keys cannot lengthen
// its probes beyond the longest run of names.
type nameTable struct {
	names []string
	slots []nameSlot
	shift uint32
}

// nameSlot is a slot of a nameTable: one load tells an empty slot and, for
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
	var a uint64
	if cap(b) >= 8 {
		a = binary.LittleEndian.Uint64(b[:8])
		if n < 8 {
			a &= 1<<(8*uint(n)) - 1
		}
	} else {
		for i := n - 1; i >= 0; i-- {
			a = a<<8 | uint64(b[i])
		}
	}
	return a ^ uint64(n)<<56
}

func newNameTable(names []string) *nameTable {
	size, bits := 4, uint32(2)
	for size < 2*len(names) {
		size <<= 1
		bits++
	}
	t := &nameTable{names: names, slots: make([]nameSlot, size), shift: 64 - bits}
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

func (t *nameTable) slot(w uint64) uint32 { return uint32((w * 0x9E3779B97F4A7C15) >> t.shift) }

// find returns the index of key among the names, or -1.
func (t *nameTable) find(key []byte) int {
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
