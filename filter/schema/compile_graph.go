package schema

import (
	"strconv"
	"strings"

	"github.com/apiguard/apiguard/filter/jsonx"
)

func (c *compiler) compileDiscriminator(d pendingDisc) *Error {
	n := &c.set.nodes[d.node]
	disc := &discriminator{values: map[string]uint16{}, oneOf: n.nOne > 0}
	want := eAnyOf
	if disc.oneOf {
		want = eOneOf
	}
	var branches []kid
	for _, k := range n.kids {
		if k.kind == want {
			branches = append(branches, k)
		}
	}
	// target is the schema a branch stands for: itself, or what its $ref names.
	branchFor := func(target int32) (uint16, bool) {
		for _, b := range branches {
			if b.node == target {
				return b.idx, true
			}
			for _, bk := range c.set.nodes[b.node].kids {
				if bk.kind == eRef && bk.node == target {
					return b.idx, true
				}
			}
		}
		return 0, false
	}
	var mapping *jsonx.Value
	for i := range d.v.Members {
		m := &d.v.Members[i]
		p := d.p.field(m.Key)
		switch {
		case m.Key == "propertyName":
			if m.Value.Kind != jsonx.KindString || m.Value.Str == "" {
				return p.errorf("must be a property name")
			}
			disc.prop = m.Value.Str
		case m.Key == "mapping":
			if m.Value.Kind != jsonx.KindObject {
				return p.errorf("must be an object of discriminator values to schemas")
			}
			mapping = &m.Value
		case strings.HasPrefix(m.Key, "x-"):
		default:
			return p.errorf("unsupported discriminator member " + strconv.Quote(m.Key))
		}
	}
	if disc.prop == "" {
		return d.p.errorf("needs a propertyName")
	}
	if mapping != nil {
		for i := range mapping.Members {
			m := &mapping.Members[i]
			p := d.p.field("mapping").field(m.Key)
			if m.Value.Kind != jsonx.KindString {
				return p.errorf("must be a $ref or a schema name")
			}
			ref := m.Value.Str
			if !strings.HasPrefix(ref, "#") {
				ref = "#/schemas/" + escapePtr(ref)
			}
			target, err := c.resolve(ref, d.doc, p)
			if err != nil {
				return err
			}
			b, ok := branchFor(target)
			if !ok {
				return p.errorf("names a schema that is not one of the " + map[bool]string{true: "oneOf", false: "anyOf"}[disc.oneOf] + " branches")
			}
			disc.values[m.Key] = b
		}
	}
	// Implicit mapping: a branch that is a $ref to #/schemas/NAME is
	// selected by the value NAME.
	for name, root := range c.set.roots {
		if _, ok := disc.values[name]; ok {
			continue
		}
		for _, b := range branches {
			for _, bk := range c.set.nodes[b.node].kids {
				if bk.kind == eRef && bk.node == root {
					disc.values[name] = b.idx
				}
			}
		}
	}
	n.disc = disc
	return nil
}

// checkGraph refuses in-place cycles (a $ref loop that never descends into
// the body) and combinators nested too deep, and ranks the nodes
// topologically along in-place edges.
func (c *compiler) checkGraph() *Error {
	nodes := c.set.nodes
	const (
		white = iota
		grey
		black
	)
	color := make([]uint8, len(nodes))
	depth := make([]int, len(nodes))
	var order []int32 // post-order
	type fr struct {
		n int32
		i int
	}
	for start := range nodes {
		if color[start] != white {
			continue
		}
		stack := []fr{{n: int32(start)}}
		color[start] = grey
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			kids := nodes[f.n].kids
			if f.i < len(kids) {
				k := kids[f.i]
				f.i++
				switch color[k.node] {
				case grey:
					return c.paths[f.n].errorf("a $ref cycle that does not pass through properties, additionalProperties or items")
				case white:
					color[k.node] = grey
					stack = append(stack, fr{n: k.node})
				}
				continue
			}
			// All children done: depth is the deepest combinator chain.
			d := 0
			for _, k := range kids {
				w := depth[k.node]
				if k.kind != eRef {
					w++
				}
				d = max(d, w)
			}
			if d > MaxCombinatorDepth {
				return c.paths[f.n].errorf("allOf/anyOf/oneOf/not nest more than " + strconv.Itoa(MaxCombinatorDepth) + " deep")
			}
			depth[f.n] = d
			color[f.n] = black
			order = append(order, f.n)
			stack = stack[:len(stack)-1]
		}
	}
	// Reverse post-order is a topological order: parents rank lower.
	for i, n := range order {
		nodes[n].rank = int32(len(order) - 1 - i)
	}
	c.order = order
	return nil
}

func percentDecode(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", false
		}
		v, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String(), true
}

// finish computes what evaluation reads from precomputed tables: the
// required names per mode (readOnly properties are exempt in requests,
// writeOnly ones in responses, as OpenAPI says), name indexes, case
// foldings, and which nodes check nothing.
func (c *compiler) finish() {
	nodes := c.set.nodes
	ro := make([]bool, len(nodes))
	wo := make([]bool, len(nodes))
	// Post-order: a node's $ref and allOf targets are done before it.
	for _, i := range c.order {
		n := &nodes[i]
		ro[i] = n.flags&nfReadOnly != 0
		wo[i] = n.flags&nfWriteOnly != 0
		for _, k := range n.kids {
			if k.kind == eRef || k.kind == eAllOf {
				ro[i] = ro[i] || ro[k.node]
				wo[i] = wo[i] || wo[k.node]
			}
		}
	}
	for i := range nodes {
		n := &nodes[i]
		for j := range n.names {
			e := &n.names[j]
			if !e.required {
				continue
			}
			if e.child < 0 || !ro[e.child] {
				e.req |= 1 << Request
				n.nReq[Request]++
			}
			if e.child < 0 || !wo[e.child] {
				e.req |= 1 << Response
				n.nReq[Response]++
			}
		}
		if len(n.names) > smallNames {
			names := make([]string, len(n.names))
			for j, e := range n.names {
				names[j] = e.name
			}
			n.nameIndex = jsonx.NewNameTable(names)
		}
		if n.flags&nfHasProps != 0 {
			n.folds = map[string]bool{}
			for _, e := range n.names {
				if e.child >= 0 {
					n.folds[string(jsonx.AppendFold(nil, []byte(e.name)))] = true
				}
			}
		}
		if n.types != 0 && n.flags&(nfFalse|nfEnum|nfConst) == 0 && n.format == fmtNone &&
			n.minLen < 0 && n.maxLen < 0 && n.pattern == nil && n.minimum == nil && n.maximum == nil &&
			n.exMin == nil && n.exMax == nil && n.multipleOf == nil {
			n.flags |= nfTypeOnly
		}
		if n.flags&(nfFalse|nfEnum|nfConst) == 0 && n.format == fmtNone && n.pattern == nil &&
			(n.types == 0 || n.types&tString != 0) {
			n.flags |= nfStrLen
		}
		if n.flags&(nfFalse|nfNeedObj|nfNeedArr|nfHashSelf|nfEnum|nfConst) == 0 && n.types == 0 && n.format == fmtNone &&
			n.minLen < 0 && n.maxLen < 0 && n.pattern == nil && n.minimum == nil && n.maximum == nil &&
			n.exMin == nil && n.exMax == nil && n.multipleOf == nil && n.enum == nil {
			n.flags |= nfTrivial
		}
	}
}

// maxClosures bounds the precomputed closures of pure nodes (in node
// indexes, summed): past it, nodes are evaluated by the general path.
const maxClosures = 1 << 20

// closures marks the pure nodes and lists what each applies in place.
func (c *compiler) closures() {
	nodes := c.set.nodes
	total := 0
	seen := make([]int32, len(nodes))
	for i := range seen {
		seen[i] = -1
		nodes[i].check = -1
	}
	for _, i := range c.order { // children first
		n := &nodes[i]
		pure := n.disc == nil
		for _, k := range n.kids {
			if k.kind != eRef && k.kind != eAllOf || !nodes[k.node].pure {
				pure = false
			}
		}
		if !pure {
			continue
		}
		cl := []int32{i}
		seen[i] = i
		for _, k := range n.kids {
			for _, m := range nodes[k.node].closure {
				if seen[m] != i {
					seen[m] = i
					cl = append(cl, m)
				}
			}
		}
		if total+len(cl) > maxClosures {
			continue
		}
		total += len(cl)
		n.pure, n.closure = true, cl
		checks := 0
		for _, m := range cl {
			n.cflags |= nodes[m].flags
			if nodes[m].flags&nfTrivial == 0 {
				n.check = m
				checks++
			}
		}
		if checks != 1 {
			n.check = -1
		}
	}
}
