package schema

// plan is what an unconditional place does with its members and items:
// the rules of every node of a pure node's closure, merged, so that a
// member costs one lookup whatever $ref and allOf combine.
type plan struct {
	nodes     []int32 // the closure
	names     []planName
	nameIndex *nameTable
	addl      []pend // entries of a member no node of the closure names
	items     []pend
	nReq      [2]int32        // distinct required names per mode
	folds     map[string]bool // case foldings of the declared properties
	needObj   bool
}

type planName struct {
	name string
	ents []pend
	req  uint8 // 1<<Mode: required in that mode by some node
	decl bool  // a properties keyword names it
}

func (p *plan) lookup(key []byte) int {
	if p.nameIndex != nil {
		return p.nameIndex.find(key)
	}
	for j := range p.names {
		name := p.names[j].name
		if len(name) == len(key) && (len(key) == 0 || name[0] == key[0]) && name == string(key) {
			return j
		}
	}
	return -1
}

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
		p := &plan{nodes: P.closure}
		index := map[string]int{}
		for _, ci := range P.closure {
			n := &nodes[ci]
			if n.flags&nfNeedObj != 0 {
				p.needObj = true
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
			budget -= len(pn.ents) + 1
		}
		if len(p.names) > smallNames {
			names := make([]string, len(p.names))
			for j, pn := range p.names {
				names[j] = pn.name
			}
			p.nameIndex = newNameTable(names)
		}
		budget -= len(p.items) + len(p.addl) + 1
		if budget < 0 {
			return
		}
		P.plan = p
	}
}

// smallNames is the size up to which a node's names are searched linearly.
const smallNames = 8

// nameTable finds a name among many: open addressing over a hash of the
// name's length and three of its bytes (no runtime map, and no loop over
// the key: both are slow under wasm; docs/schemas.md "Cost and caps").
// The table is built at configure time and never changes, so a client's
// keys cannot lengthen its probes beyond the longest run of names.
type nameTable struct {
	names []string
	slots []int32
	mask  uint32
	shift uint32
}

// nameHash mixes the length, the first, middle and last bytes of a name.
// Any function would be correct (each probe compares whole names); this
// one costs the same for every length.
func nameHash(b []byte) uint32 {
	n := len(b)
	if n == 0 {
		return 0
	}
	return (uint32(n) | uint32(b[0])<<8 | uint32(b[n>>1])<<16 | uint32(b[n-1])<<24) * 0x9E3779B1
}

func newNameTable(names []string) *nameTable {
	size, bits := 4, uint32(2)
	for size < 2*len(names) {
		size <<= 1
		bits++
	}
	t := &nameTable{names: names, slots: make([]int32, size), mask: uint32(size - 1), shift: 32 - bits}
	for i := range t.slots {
		t.slots[i] = -1
	}
	for j, name := range names {
		h := nameHash([]byte(name)) >> t.shift
		for t.slots[h] >= 0 {
			h = (h + 1) & t.mask
		}
		t.slots[h] = int32(j)
	}
	return t
}

// find returns the index of key among the names, or -1.
func (t *nameTable) find(key []byte) int {
	for h := nameHash(key) >> t.shift; ; h = (h + 1) & t.mask {
		j := t.slots[h]
		if j < 0 {
			return -1
		}
		if name := t.names[j]; len(name) == len(key) && name == string(key) {
			return int(j)
		}
	}
}
