package schema

import "github.com/apiguard/apiguard/filter/jsonx"

// plan is what an unconditional place does with its members and items:
// the rules of every node of a pure node's closure, merged, so that a
// member costs one lookup whatever $ref and allOf combine.
type plan struct {
	nodes     []int32 // the closure
	names     []planName
	nameIndex *jsonx.NameTable // every plan has one
	addl      []pend           // entries of a member no node of the closure names
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
	// plain: an object (0) or array (1) of this plan opened unhashed
	// passes every type and false of the closure, is looked into, and
	// neither it nor its children are hashed (openFast then pushes its
	// frame without openPlan's tests).
	plain [2]bool
	// lazy: plain, and no node of the closure is readOnly: in a request
	// such a member or item needs a place record only if a failure or a
	// recorded place inside names it (openFast, Validator.record).
	lazy [2]bool
	// What the scanner does with members and items by itself
	// (jsonx.Scanner.Within, QuietItems), per Mode.
	members [2]*jsonx.Members
	quiet   jsonx.KindSet // scalar items that need no token
	// itemOpen, itemFlags: containerFast of items
	itemOpen  *plan
	itemFlags uint8
}

type planName struct {
	name string
	ents []pend
	req  uint8 // 1<<Mode: required in that mode by some node
	decl bool  // a properties keyword names it
	// fast, types: scalarFast of ents
	fast  int32
	types uint8
	// open, flags: containerFast of ents
	open  *plan
	flags uint8
}

func (p *plan) lookup(key []byte) int { return p.nameIndex.Find(key) }

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
		p.nameIndex = jsonx.NewNameTable(names)
		p.itemFast, p.itemTypes = c.scalarFast(p.items)
		p.scannerRules()
		hashed := p.cflags&(nfEnum|nfConst) != 0
		p.plain = [2]bool{p.okTypes&tObject != 0 && p.cflags&nfNeedObj != 0 && !hashed,
			p.okTypes&tArray != 0 && p.cflags&nfNeedArr != 0 && !hashed && p.cflags&nfUnique == 0}
		for k := range p.lazy {
			p.lazy[k] = p.plain[k] && p.cflags&nfReadOnly == 0
		}
		budget -= len(p.items) + len(p.addl) + 1
		if budget < 0 {
			break
		}
		P.plan = p
	}
	for i := range nodes {
		if p := nodes[i].plan; p != nil {
			for j := range p.names {
				pn := &p.names[j]
				pn.open, pn.flags = c.containerFast(pn.ents)
			}
			p.itemOpen, p.itemFlags = c.containerFast(p.items)
		}
	}
}

// containerFast decides what an object or array member or item with the
// entries ents needs: when ents is one unconditional pure schema with a
// plan, open is that plan and flags the place's flags (what value would
// find for it), so the walk opens it directly (docs/schemas.md "Cost and
// caps"); nil otherwise.
//
// A plan's entries are all unconditional, and only pure nodes have plans.
// A member's one entry is eProp when a node declares it (openFast asks
// that): an explicit additionalProperties beside it would be a second.
func (c *compiler) containerFast(ents []pend) (open *plan, flags uint8) {
	if len(ents) != 1 {
		return nil, 0
	}
	n := &c.set.nodes[ents[0].node]
	if ents[0].kind == eProp {
		flags = lfDeclaredProp
	}
	return n.plan, flags | closureLocFlags(n.cflags)
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

// scannerRules builds what the scanner does by itself in a plan's objects
// and arrays: it finds the names, tallies the required ones and, in a
// request, passes over the scalars whose type alone is their check
// (scalarFast's types), which then cost no token (docs/schemas.md "Cost
// and caps").
func (p *plan) scannerRules() {
	names := make([]string, len(p.names))
	for m := Request; m <= Response; m++ {
		quiet, tally := make([]jsonx.KindSet, len(p.names)), make([]uint8, len(p.names))
		for j := range p.names {
			pn := &p.names[j]
			names[j] = pn.name
			tally[j] = pn.req >> m & 1
			if m == Request && pn.fast >= 0 {
				quiet[j] = tokenKinds(pn.types)
			}
		}
		p.members[m] = jsonx.NewMembers(names, quiet, tally)
	}
	if p.itemFast >= 0 {
		p.quiet = tokenKinds(p.itemTypes)
	}
}

// tokenKinds are the scalar token kinds of the type bits t.
func tokenKinds(t uint8) jsonx.KindSet {
	var k jsonx.KindSet
	if t&tString != 0 {
		k |= jsonx.KindsOf(jsonx.TokenString)
	}
	if t&tNumber != 0 {
		k |= jsonx.KindsOf(jsonx.TokenNumber)
	}
	if t&tBool != 0 {
		k |= jsonx.KindsOf(jsonx.TokenTrue, jsonx.TokenFalse)
	}
	if t&tNull != 0 {
		k |= jsonx.KindsOf(jsonx.TokenNull)
	}
	return k
}
