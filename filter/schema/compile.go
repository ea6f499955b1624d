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
	nfIntBounds                       // numbers: numParts decides every check (node.iMin…, mulInt, mulFrac)
	nfStrLen                          // strings: minLength and maxLength are its only checks (and type, which allows strings)
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
	iMin, iMax, iExMin, iExMax     int64 // the bounds, with nfIntBounds
	multipleOf                     *divisor
	// With nfIntBounds and a multipleOf: the integer divisor, or else
	// the fraction digits a multiple of its power of ten may have.
	mulInt, mulFrac int64

	enum []constVal // enum
	cnst []constVal // const, as a list of one

	names     []nameEntry      // properties ∪ required
	nameIndex *jsonx.NameTable // names by name, when there are many
	folds     map[string]bool  // case foldings of the declared properties
	nReq      [2]int32         // required names per mode (after the readOnly/writeOnly exemption)
	addl      int32            // additionalProperties, -1: absent
	items     int32            // -1: absent

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
	check   int32  // the closure's one node that is not trivial; -1: none or several
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
		case jsonx.SimpleKey(q.key):
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
