package schema

import (
	"strconv"
	"strings"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// Caps of docs/configuration.md "Schemas: a positive security model from OpenAPI": a compiled set is at most MaxNodes subschemas,
// and allOf/anyOf/oneOf/not nest at most MaxCombinatorDepth deep (counted
// through $ref, along any path that stays at one place in the body).
const (
	MaxNodes           = 10000
	MaxCombinatorDepth = 16
)

// Type bits of node.types.
const (
	tNull uint8 = 1 << iota
	tBool
	tObject
	tArray
	tNumber
	tString
	tInteger
)

var typeBits = map[string]uint8{
	"null": tNull, "boolean": tBool, "object": tObject, "array": tArray,
	"number": tNumber, "string": tString, "integer": tInteger,
}

// Node flags.
const (
	nfFalse        uint32 = 1 << iota // the boolean schema false
	nfHasProps                        // a `properties` keyword (it declares)
	nfReadOnly                        // readOnly: true
	nfWriteOnly                       // writeOnly: true
	nfConst                           // a const keyword (in node.cnst)
	nfUnique                          // uniqueItems: true
	nfNeedObj                         // looks at an object's members
	nfNeedArr                         // looks at an array's items
	nfHashSelf                        // enum/const with a container: needs the instance's hash
	nfAddlExplicit                    // additionalProperties present and not false
	nfNullable                        // OpenAPI 3.0 nullable: true
	nfTrivial                         // checks nothing itself (its in-place kids may)
	nfEnum                            // an enum keyword (enum may be empty)
	nfTypeOnly                        // type is its only check on a scalar
)

// Edge kinds: entry edges carry a schema into a member or item; in-place
// edges apply another schema at the same place.
const (
	eRoot uint8 = iota
	eProp
	eAddl  // additionalProperties: false (it does not declare)
	eAddlX // additionalProperties: true or a schema (it declares)
	eItems
	eRef
	eAllOf
	eAnyOf
	eOneOf
	eNot
)

// kid is an in-place child of a node.
type kid struct {
	node int32
	kind uint8
	idx  uint16 // branch index in anyOf/oneOf
}

// node is one compiled subschema.
type node struct {
	flags  uint32
	types  uint8 // 0: any type
	format uint8

	minLen, maxLen     int64 // -1: absent
	minItems, maxItems int64
	minProps, maxProps int64
	pattern            *matcher

	minimum, maximum, exMin, exMax *dec
	multipleOf                     *divisor

	enum []constVal // enum
	cnst []constVal // const, as a list of one

	names     []nameEntry     // properties ∪ required
	nameIndex *nameTable      // names by name, when there are many
	folds     map[string]bool // case foldings of the declared properties
	nReq      [2]int32        // required names per mode (after the readOnly/writeOnly exemption)
	addl      int32           // additionalProperties, -1: absent
	items     int32           // -1: absent

	kids []kid // in-place: $ref, allOf, anyOf, oneOf, not
	nAny int   // anyOf branches
	nOne int   // oneOf branches
	disc *discriminator
	rank int32 // topological rank over in-place edges

	// pure: everything this node applies in place comes through $ref and
	// allOf only (no anyOf, oneOf, not, discriminator), so it applies
	// unconditionally; closure then lists those nodes, itself first.
	pure    bool
	closure []int32
	cflags  uint32 // the flags of the closure's nodes, or-ed
	plan    *plan  // pure nodes: the closure's member and item rules, merged
}

// nameEntry is a property or required name of a node.
type nameEntry struct {
	name  string
	child int32 // the property's schema, -1 if only required
	req   uint8 // bit 1<<Request: required in requests, 1<<Response: in responses
	// required names as written, before exemptions
	required bool
}

type discriminator struct {
	prop   string
	values map[string]uint16 // discriminator value -> branch index
	oneOf  bool              // the branches are oneOf's (else anyOf's)
}

// constVal is one enum or const value.
type constVal struct {
	kind  jsonx.Kind
	str   string
	num   dec
	b     bool
	hash  uint64
	canon []byte // canonical text (containers)
}

// Set is a compiled top-level `schemas` object. It is immutable: every
// stream of a VM may share it.
type Set struct {
	nodes []node
	roots map[string]int32
	names []string
}

// Schema is one named schema of a Set.
type Schema struct {
	set  *Set
	root int32
}

// Lookup returns the schema called name.
func (s *Set) Lookup(name string) (Schema, bool) {
	if s == nil {
		return Schema{}, false
	}
	r, ok := s.roots[name]
	if !ok {
		return Schema{}, false
	}
	return Schema{set: s, root: r}, true
}

// Names lists the schemas of the set in document order.
func (s *Set) Names() []string { return s.names }

// Nodes is the number of compiled subschemas (the docs/schemas.md cap counts these).
func (s *Set) Nodes() int { return len(s.nodes) }

// IsZero reports whether sc is the zero Schema (no schema).
func (sc Schema) IsZero() bool { return sc.set == nil }

// Error is a configuration error in `schemas`: Path names the offending
// value in the configuration's path syntax (`schemas.Order.properties.id.
// pattern`, `schemas.Order["$defs"].Id`), Msg says what is wrong.
type Error struct {
	Path string
	Msg  string
}

func (e *Error) Error() string { return e.Path + ": " + e.Msg }

// path is a JSON path under construction (linked from the leaf up).
type path struct {
	parent *path
	key    string
	index  int
}

func (p *path) field(k string) *path { return &path{parent: p, key: k, index: -1} }
func (p *path) at(i int) *path       { return &path{parent: p, index: i} }

func (p *path) String() string {
	var parts []*path
	for q := p; q != nil; q = q.parent {
		parts = append(parts, q)
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		q := parts[i]
		switch {
		case q.index >= 0:
			b.WriteString("[" + strconv.Itoa(q.index) + "]")
		case simpleKey(q.key):
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(q.key)
		default:
			k := q.key
			if len(k) > 64 {
				k = k[:64]
			}
			b.WriteString("[" + strconv.Quote(k) + "]")
		}
	}
	return b.String()
}

func simpleKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func (p *path) errorf(msg string) *Error { return &Error{Path: p.String(), Msg: msg} }

// annotations are keywords that carry no assertion.
var annotations = map[string]bool{
	"title": true, "description": true, "example": true, "examples": true, "default": true,
	"deprecated": true, "$comment": true, "$schema": true,
}

// docLimits bound a schemas document given as bytes.
var docLimits = jsonx.Limits{MaxDepth: 256}

// CompileJSON compiles the JSON text of a top-level `schemas` object.
func CompileJSON(data []byte) (*Set, error) {
	v, err := jsonx.Parse(data, docLimits)
	if err != nil {
		return nil, &Error{Path: "schemas", Msg: "invalid JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
	}
	return Compile(&v)
}

// Compile compiles the value of the top-level `schemas` member: an object
// whose members are named schemas. Errors are *Error, naming the JSON path.
func Compile(v *jsonx.Value) (*Set, error) {
	c := compiler{set: &Set{roots: map[string]int32{}}, at: map[string]int32{}}
	if err := c.run(v); err != nil {
		return nil, err
	}
	return c.set, nil
}

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
			n.nameIndex = newNameTable(names)
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
		for _, m := range cl {
			n.cflags |= nodes[m].flags
		}
	}
}

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

// nameTable finds a name among many: open addressing over an FNV-1a hash
// (no runtime map: its hashing is slow under wasm). The table is built at
// configure time and never changes, so a client's keys cannot lengthen
// its probes.
type nameTable struct {
	names []string
	slots []int32
	mask  uint32
}

func nameHash(b []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range b {
		h ^= uint32(c)
		h *= 16777619
	}
	return h
}

func newNameTable(names []string) *nameTable {
	size := 4
	for size < 2*len(names) {
		size <<= 1
	}
	t := &nameTable{names: names, slots: make([]int32, size), mask: uint32(size - 1)}
	for i := range t.slots {
		t.slots[i] = -1
	}
	for j, name := range names {
		h := nameHash([]byte(name)) & t.mask
		for t.slots[h] >= 0 {
			h = (h + 1) & t.mask
		}
		t.slots[h] = int32(j)
	}
	return t
}

// find returns the index of key among the names, or -1.
func (t *nameTable) find(key []byte) int {
	for h := nameHash(key) & t.mask; ; h = (h + 1) & t.mask {
		j := t.slots[h]
		if j < 0 {
			return -1
		}
		if t.names[j] == string(key) {
			return int(j)
		}
	}
}
