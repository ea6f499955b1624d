package schema

import (
	"strconv"
	"strings"

	"github.com/apiguard/apiguard/filter/jsonx"
)

type work struct {
	v   *jsonx.Value
	p   *path
	doc string
	ptr string // JSON Pointer within doc, escaped
	idx int32
}

type pendingRef struct {
	node int32
	ref  string
	p    *path
	doc  string
}

type compiler struct {
	set   *Set
	queue []work
	at    map[string]int32 // doc + "#" + pointer -> node
	refs  []pendingRef
	paths []*path // per node
	order []int32 // post-order over in-place edges (children first)
	discs []pendingDisc
}

type pendingDisc struct {
	node int32
	v    *jsonx.Value
	p    *path
	doc  string
}

func (c *compiler) newNode(v *jsonx.Value, p *path, doc, ptr string) (int32, *Error) {
	if len(c.set.nodes) >= MaxNodes {
		return 0, p.errorf("the schemas compile to more than " + strconv.Itoa(MaxNodes) + " subschemas")
	}
	idx := int32(len(c.set.nodes))
	c.set.nodes = append(c.set.nodes, node{})
	c.paths = append(c.paths, p)
	c.at[doc+"#"+ptr] = idx
	c.queue = append(c.queue, work{v: v, p: p, doc: doc, ptr: ptr, idx: idx})
	return idx, nil
}

func escapePtr(k string) string {
	if !strings.ContainsAny(k, "~/") {
		return k
	}
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}

func (c *compiler) run(v *jsonx.Value) *Error {
	root := &path{key: "schemas", index: -1}
	if v.Kind != jsonx.KindObject {
		return root.errorf("must be an object of named schemas")
	}
	for i := range v.Members {
		m := &v.Members[i]
		idx, err := c.newNode(&m.Value, root.field(m.Key), m.Key, "")
		if err != nil {
			return err
		}
		c.set.roots[m.Key] = idx
		c.set.names = append(c.set.names, m.Key)
	}
	for len(c.queue) > 0 {
		w := c.queue[0]
		c.queue = c.queue[1:]
		if err := c.compileNode(w); err != nil {
			return err
		}
	}
	for _, r := range c.refs {
		target, err := c.resolve(r.ref, r.doc, r.p)
		if err != nil {
			return err
		}
		n := &c.set.nodes[r.node]
		n.kids = append([]kid{{node: target, kind: eRef}}, n.kids...)
	}
	for _, d := range c.discs {
		if err := c.compileDiscriminator(d); err != nil {
			return err
		}
	}
	if err := c.checkGraph(); err != nil {
		return err
	}
	c.finish()
	c.intBounds()
	c.closures()
	c.plans()
	return nil
}

// resolve finds the node a $ref names: "#" and "#/pointer" inside the same
// schema, "#/schemas/NAME/pointer" in the set.
func (c *compiler) resolve(ref, doc string, p *path) (int32, *Error) {
	frag, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return 0, p.errorf("only local references (#/schemas/NAME or #/...) are supported")
	}
	if strings.Contains(frag, "%") {
		u, ok := percentDecode(frag)
		if !ok {
			return 0, p.errorf("invalid percent-encoding in $ref")
		}
		frag = u
	}
	if frag != "" && frag[0] != '/' {
		return 0, p.errorf("$ref to an anchor is not supported (only JSON Pointers)")
	}
	for i := 0; i < len(frag); i++ {
		if frag[i] == '~' && (i+1 >= len(frag) || frag[i+1] != '0' && frag[i+1] != '1') {
			return 0, p.errorf("invalid JSON Pointer escape in $ref")
		}
	}
	if rest, ok := strings.CutPrefix(frag, "/schemas/"); ok {
		name, sub, _ := strings.Cut(rest, "/")
		name = strings.ReplaceAll(strings.ReplaceAll(name, "~1", "/"), "~0", "~")
		if _, ok := c.set.roots[name]; !ok {
			return 0, p.errorf("unknown $ref: no schema named " + strconv.Quote(name))
		}
		doc = name
		frag = ""
		if sub != "" || strings.HasSuffix(rest, "/") {
			frag = "/" + sub
		}
	}
	idx, ok := c.at[doc+"#"+frag]
	if !ok {
		return 0, p.errorf("unknown $ref: it does not point to a schema")
	}
	return idx, nil
}

func isInteger(v *jsonx.Value) (int64, bool) {
	if v.Kind != jsonx.KindNumber {
		return 0, false
	}
	d := decFromString(v.Str)
	if !d.isInteger() || d.neg {
		return 0, false
	}
	if d.bexp != nil || d.exp > 18 {
		return 1<<63 - 1, true
	}
	var n int64
	for i := int64(0); i < d.exp; i++ {
		n *= 10
		if i < int64(len(d.digits)) {
			n += int64(d.digits[i] - '0')
		}
	}
	return n, true
}

func (c *compiler) child(v *jsonx.Value, p *path, doc, ptr string) (int32, *Error) {
	return c.newNode(v, p, doc, ptr)
}

func (c *compiler) compileNode(w work) *Error {
	n := &c.set.nodes[w.idx]
	n.minLen, n.maxLen, n.minItems, n.maxItems, n.minProps, n.maxProps = -1, -1, -1, -1, -1, -1
	n.addl, n.items = -1, -1
	switch w.v.Kind {
	case jsonx.KindBool:
		if !w.v.Bool {
			n.flags |= nfFalse
		}
		return nil
	case jsonx.KindObject:
	default:
		return w.p.errorf("a schema must be an object or a boolean")
	}
	// Children are created as the keywords are read; n may move when the
	// node slice grows, so every write goes through the index.
	node := func() *node { return &c.set.nodes[w.idx] }
	var required []string
	var kids []kid
	var enumV, constV *jsonx.Value
	hasDisc := false
	for i := range w.v.Members {
		m := &w.v.Members[i]
		k, v := m.Key, &m.Value
		p := w.p.field(k)
		ptr := w.ptr + "/" + escapePtr(k)
		switch k {
		case "type":
			var bits uint8
			add := func(s *jsonx.Value, p *path) *Error {
				if s.Kind != jsonx.KindString {
					return p.errorf("a type must be a string")
				}
				b, ok := typeBits[s.Str]
				if !ok {
					return p.errorf("unknown type " + strconv.Quote(s.Str))
				}
				if bits&b != 0 {
					return p.errorf("type " + strconv.Quote(s.Str) + " is listed twice")
				}
				bits |= b
				return nil
			}
			switch v.Kind {
			case jsonx.KindString:
				if err := add(v, p); err != nil {
					return err
				}
			case jsonx.KindArray:
				if len(v.Items) == 0 {
					return p.errorf("must list at least one type")
				}
				for j := range v.Items {
					if err := add(&v.Items[j], p.at(j)); err != nil {
						return err
					}
				}
			default:
				return p.errorf("must be a type name or a list of them")
			}
			node().types = bits
		case "properties", "$defs":
			if v.Kind != jsonx.KindObject {
				return p.errorf("must be an object of schemas")
			}
			for j := range v.Members {
				pm := &v.Members[j]
				idx, err := c.child(&pm.Value, p.field(pm.Key), w.doc, ptr+"/"+escapePtr(pm.Key))
				if err != nil {
					return err
				}
				if k == "properties" {
					node().names = append(node().names, nameEntry{name: pm.Key, child: idx})
				}
			}
			if k == "properties" {
				node().flags |= nfHasProps | nfNeedObj
			}
		case "required":
			if v.Kind != jsonx.KindArray {
				return p.errorf("must be an array of property names")
			}
			seen := map[string]bool{}
			for j := range v.Items {
				it := &v.Items[j]
				if it.Kind != jsonx.KindString {
					return p.at(j).errorf("must be a string")
				}
				if seen[it.Str] {
					return p.at(j).errorf("lists " + strconv.Quote(it.Str) + " twice")
				}
				seen[it.Str] = true
				required = append(required, it.Str)
			}
			node().flags |= nfNeedObj
		case "additionalProperties":
			idx, err := c.child(v, p, w.doc, ptr)
			if err != nil {
				return err
			}
			node().addl = idx
			node().flags |= nfNeedObj
			if !(v.Kind == jsonx.KindBool && !v.Bool) {
				node().flags |= nfAddlExplicit
			}
		case "items":
			if v.Kind == jsonx.KindArray {
				return p.errorf("the array form of items is prefixItems, which is not supported")
			}
			idx, err := c.child(v, p, w.doc, ptr)
			if err != nil {
				return err
			}
			node().items = idx
			node().flags |= nfNeedArr
		case "not":
			idx, err := c.child(v, p, w.doc, ptr)
			if err != nil {
				return err
			}
			kids = append(kids, kid{node: idx, kind: eNot})
		case "allOf", "anyOf", "oneOf":
			if v.Kind != jsonx.KindArray || len(v.Items) == 0 {
				return p.errorf("must be a non-empty array of schemas")
			}
			kind := map[string]uint8{"allOf": eAllOf, "anyOf": eAnyOf, "oneOf": eOneOf}[k]
			for j := range v.Items {
				idx, err := c.child(&v.Items[j], p.at(j), w.doc, ptr+"/"+strconv.Itoa(j))
				if err != nil {
					return err
				}
				kids = append(kids, kid{node: idx, kind: kind, idx: uint16(j)})
			}
			switch k {
			case "anyOf":
				node().nAny = len(v.Items)
			case "oneOf":
				node().nOne = len(v.Items)
			}
		case "$ref":
			if v.Kind != jsonx.KindString {
				return p.errorf("must be a string")
			}
			c.refs = append(c.refs, pendingRef{node: w.idx, ref: v.Str, p: p, doc: w.doc})
		case "enum":
			if v.Kind != jsonx.KindArray {
				return p.errorf("must be an array")
			}
			enumV = v
		case "const":
			constV = v
		case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
			if v.Kind != jsonx.KindNumber {
				if v.Kind == jsonx.KindBool {
					return p.errorf("must be a number (the boolean form is OpenAPI 3.0's; write the bound here instead)")
				}
				return p.errorf("must be a number")
			}
			d := decFromString(v.Str)
			switch k {
			case "minimum":
				node().minimum = &d
			case "maximum":
				node().maximum = &d
			case "exclusiveMinimum":
				node().exMin = &d
			default:
				node().exMax = &d
			}
		case "multipleOf":
			if v.Kind != jsonx.KindNumber {
				return p.errorf("must be a number")
			}
			d := decFromString(v.Str)
			if d.sign() <= 0 {
				return p.errorf("must be greater than 0")
			}
			if d.bexp != nil || d.exp > 1000 || d.exp < -1000 || len(d.digits) > 1000 {
				return p.errorf("is out of range")
			}
			dv := newDivisor(d)
			node().multipleOf = &dv
		case "minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties":
			n, ok := isInteger(v)
			if !ok {
				return p.errorf("must be a non-negative integer")
			}
			nd := node()
			switch k {
			case "minLength":
				nd.minLen = n
			case "maxLength":
				nd.maxLen = n
			case "minItems":
				nd.minItems = n
				nd.flags |= nfNeedArr
			case "maxItems":
				nd.maxItems = n
				nd.flags |= nfNeedArr
			case "minProperties":
				nd.minProps = n
				nd.flags |= nfNeedObj
			default:
				nd.maxProps = n
				nd.flags |= nfNeedObj
			}
		case "pattern":
			if v.Kind != jsonx.KindString {
				return p.errorf("must be a string")
			}
			re, err := compilePattern(v.Str)
			if err != nil {
				return p.errorf(err.Error())
			}
			node().pattern = re
		case "format":
			if v.Kind != jsonx.KindString {
				return p.errorf("must be a string")
			}
			node().format = formatIDs[v.Str]
		case "uniqueItems":
			if v.Kind != jsonx.KindBool {
				return p.errorf("must be a boolean")
			}
			if v.Bool {
				node().flags |= nfUnique | nfNeedArr
			}
		case "readOnly", "writeOnly", "nullable":
			if v.Kind != jsonx.KindBool {
				return p.errorf("must be a boolean")
			}
			if v.Bool {
				node().flags |= map[string]uint32{"readOnly": nfReadOnly, "writeOnly": nfWriteOnly, "nullable": nfNullable}[k]
			}
		case "discriminator":
			if v.Kind != jsonx.KindObject {
				return p.errorf("must be an object")
			}
			hasDisc = true
			c.discs = append(c.discs, pendingDisc{node: w.idx, v: v, p: p, doc: w.doc})
			node().flags |= nfNeedObj
		default:
			if annotations[k] || strings.HasPrefix(k, "x-") {
				continue
			}
			return p.errorf("unsupported keyword " + strconv.Quote(k) + " (see docs/schemas.md for the supported subset)")
		}
	}
	nd := node()
	nd.kids = kids
	if hasDisc && nd.nAny == 0 && nd.nOne == 0 {
		return w.p.field("discriminator").errorf("needs oneOf or anyOf in the same schema")
	}
	if hasDisc && nd.nAny > 0 && nd.nOne > 0 {
		return w.p.field("discriminator").errorf("is ambiguous beside both oneOf and anyOf")
	}
	for _, r := range required {
		found := false
		for i := range nd.names {
			if nd.names[i].name == r {
				nd.names[i].required = true
				found = true
			}
		}
		if !found {
			nd.names = append(nd.names, nameEntry{name: r, child: -1, required: true})
		}
	}
	if enumV != nil {
		nd.enum = nil
		for j := range enumV.Items {
			nd.enum = append(nd.enum, makeConst(&enumV.Items[j]))
		}
	}
	if constV != nil {
		nd.cnst = []constVal{makeConst(constV)}
		nd.flags |= nfConst
	}
	if enumV != nil {
		nd.flags |= nfEnum
	}
	if nd.flags&nfNullable != 0 {
		if nd.types != 0 {
			nd.types |= tNull
		}
		if enumV != nil {
			hasNull := false
			for _, e := range nd.enum {
				hasNull = hasNull || e.kind == jsonx.KindNull
			}
			if !hasNull {
				nd.enum = append(nd.enum, constVal{kind: jsonx.KindNull, hash: hashNull})
			}
		}
	}
	for _, e := range append(nd.enum[:len(nd.enum):len(nd.enum)], nd.cnst...) {
		if e.kind == jsonx.KindObject || e.kind == jsonx.KindArray {
			nd.flags |= nfHashSelf
		}
	}
	return nil
}

func makeConst(v *jsonx.Value) constVal {
	cv := constVal{kind: v.Kind, hash: valueHash(v)}
	switch v.Kind {
	case jsonx.KindString:
		cv.str = v.Str
	case jsonx.KindNumber:
		cv.num = decFromString(v.Str)
	case jsonx.KindBool:
		cv.b = v.Bool
	case jsonx.KindObject, jsonx.KindArray:
		cv.canon = appendCanon(nil, v)
	}
	return cv
}
