package schema

import (
	"unicode/utf8"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// Mode is the direction of a body: it decides the required exemptions
// (readOnly in requests, writeOnly in responses) and what happens to
// members the schema does not declare.
type Mode uint8

const (
	// Request refuses readOnly members, undeclared members and case
	// variants of declared names, besides every schema violation.
	Request Mode = iota
	// Response validates, then projects: undeclared and writeOnly members
	// are listed in Result.Drops.
	Response
)

// Options are the per-route settings of one validation.
type Options struct {
	Mode Mode
	// AllowUndeclared is `request.json.undeclared: "allow"`: members no
	// applicable subschema declares pass (Request only).
	AllowUndeclared bool
	// CaseSensitive is `request.json.case_sensitive_keys: true`: a member
	// whose name equals a declared one only after case folding is then
	// judged like any other undeclared member (Request only).
	CaseSensitive bool
	// Limits and FoldDuplicates are the JSON rules of the same walk
	// (jsonx): the body is validated as JSON in the same pass.
	Limits         jsonx.Limits
	FoldDuplicates bool
}

// Violation is one reason a body fails: where (a JSON Pointer of at most
// MaxPointer bytes) and which rule (the schema keyword, or RuleNotAllowed).
// It never holds a value from the body.
type Violation struct {
	Pointer string
	Rule    string
}

// Range is a byte span [Start, End) of the body.
type Range struct{ Start, End int }

// Result is the outcome of Validator.Validate. Its slices alias the
// Validator's scratch memory: they are valid until its next use.
type Result struct {
	// Valid: the body satisfies the schema (and, for a Request, carries no
	// readOnly, undeclared or case-variant member).
	Valid bool
	// Violations are the first MaxViolations reasons in document order
	// (empty when Valid).
	Violations []Violation
	// Drops (Response mode) are the byte ranges to remove to project the
	// body onto its schema: whole members, with the comma that separates
	// them, in document order and disjoint; valid JSON minus these ranges
	// is valid JSON. See AppendProjected.
	Drops []Range
}

// MaxViolations and MaxPointer bound Result.Violations (docs/schemas.md
// errors.validation_details).
const (
	MaxViolations = 10
	MaxPointer    = 256
)

// RuleNotAllowed is the rule of a readOnly, undeclared or case-variant
// member (and of a `false` schema): one name for all, so a client cannot
// probe for hidden properties.
const RuleNotAllowed = "not-allowed"

// Rule codes, indexes of ruleNames.
const (
	rFalse uint8 = iota
	rType
	rEnum
	rConst
	rMinimum
	rMaximum
	rExMin
	rExMax
	rMultipleOf
	rMinLength
	rMaxLength
	rPattern
	rFormat
	rMinItems
	rMaxItems
	rUnique
	rMinProps
	rMaxProps
	rRequired
	rAnyOf
	rOneOf
	rNot
	rDiscriminator
)

var ruleNames = [...]string{
	rFalse: RuleNotAllowed, rType: "type", rEnum: "enum", rConst: "const", rMinimum: "minimum",
	rMaximum: "maximum", rExMin: "exclusiveMinimum", rExMax: "exclusiveMaximum",
	rMultipleOf: "multipleOf", rMinLength: "minLength", rMaxLength: "maxLength",
	rPattern: "pattern", rFormat: "format", rMinItems: "minItems", rMaxItems: "maxItems",
	rUnique: "uniqueItems", rMinProps: "minProperties", rMaxProps: "maxProperties",
	rRequired: "required", rAnyOf: "anyOf", rOneOf: "oneOf", rNot: "not",
	rDiscriminator: "discriminator",
}

// act is an activation: one subschema applied at one place in the body.
// Each (place, subschema) pair has at most one: that is the memoisation
// that bounds the work by body size times schema size.
type act struct {
	node       int32
	loc        int32
	sel        int32 // discriminator: the selected branch, -1 none
	req        int32 // required members seen
	outA, outB int32 // in-place edges out of this activation
	ok         bool  // no failure so far
	valid      bool  // final verdict, once the place closed
	inS        bool  // phase 2: applies (annotations count)
	rep        bool  // phase 2: its failures are reported
	discOn     bool  // a discriminator applies (the instance is an object)
	cert       bool  // applies unconditionally (see certain)
	noneValid  bool  // no anyOf/oneOf branch validated
}

type edge struct {
	from, to int32 // activations; from -1: the root
	kind     uint8
	idx      uint16
}

// Location flags (phase 2).
const (
	lfDeclaredProp uint8 = 1 << iota // a `properties` of an applicable schema names it
	lfDeclaredAddl                   // an explicit additionalProperties covers it
	lfReadOnly
	lfWriteOnly
	lfDenied      // an applicable schema is false
	lfDeclaresAny // (objects) an applicable schema has `properties`
	lfCaseVariant // the walk found it a case variant of a declared name
)

// loc is one place in the body that schemas apply to (or a member that
// none declares).
type loc struct {
	start, end       int32
	keyStart, keyEnd int32 // member key token, -1 for items and the root
	parent           int32
	index            int32 // array index
	actA, actB       int32
	entA, entB       int32
	flags            uint8
	keyEsc           bool
}

// The entries of the root; plans hold the others of unconditional places.

// frame is an open container.
type frame struct {
	loc       int32 // -1: walked only for its hash
	start     int32
	count     int32
	isObj     bool
	needHash  bool // compute this container's hash
	childHash bool // children report their hashes
	declares  bool // a schema here has properties: record every member
	needObj   bool // a schema here looks at members
	discKey   bool // the current key is a discriminator property
	hacc      uint64
	keyHash   uint64
	keyStart  int32
	keyEnd    int32
	keyEsc    bool
	ieA, ieB  int32 // item entries (arrays)
	hbase     int32 // item hashes (arrays) in Validator.hs
	plan      *plan // an unconditional place evaluated by its plan
	req       int32 // plan: required names seen
	caseVar   bool  // plan: the current key is a case variant
}

type pend struct {
	node, from int32
	kind       uint8
	cert       bool // from the root or a certain place
}

type failure struct {
	act, loc int32 // act -1: a certain place, always reported
	rule     uint8
}

type hitem struct {
	hash       uint64
	start, end int32
}

// Validator validates bodies against compiled schemas. It keeps its
// scratch memory across calls, so a warm Validator allocates nothing on
// the common path (a valid body; pointers are built only for failures).
// It is not safe for concurrent use; the zero value is ready.
type Validator struct {
	s     jsonx.Scanner
	nodes []node
	mode  Mode
	opts  Options
	data  []byte

	acts     []act
	edges    []edge
	locs     []loc
	frames   []frame
	ents     []pend // entries of the next value (may alias a plan)
	entBuf   []pend
	itemEnts []pend
	hs       []hitem
	fails    []failure
	gather   []int32
	stamp    []uint32
	slot     []int32
	serial   uint32

	num      dec
	numAt    int
	strAt    int
	strCache []byte
	invalid  bool // a certain activation failed: the body fails
	str      []byte
	buf      []byte
	discKey  []byte
	tab      []int32
	drops    []Range
	viol     []Violation
	cands    []failure
	objStack []objState
	steps    int
}

// ScratchBytes is roughly how much scratch memory v keeps between calls,
// so that a pool can drop a Validator that one huge body grew (as jsonx's
// pool does) instead of pinning that memory.
func (v *Validator) ScratchBytes() int {
	return cap(v.acts)*48 + cap(v.edges)*12 + cap(v.locs)*48 + cap(v.frames)*80 +
		(cap(v.ents)+cap(v.itemEnts))*16 + cap(v.hs)*16 + cap(v.fails)*12 + cap(v.cands)*12 +
		cap(v.tab)*4 + cap(v.str) + cap(v.buf) + cap(v.drops)*16 + cap(v.objStack)*20
}

// Steps is the work the last Validate did: activations, edges, members
// looked up and places visited. Tests bound it to show the cost stays
// linear whatever the combinators do.
func (v *Validator) Steps() int { return v.steps }

// Validate walks data once: it checks it as JSON (o.Limits,
// o.FoldDuplicates) and evaluates sc on it. A body that is not acceptable
// JSON returns a *jsonx.Error and an empty Result. sc must not be zero.
func (v *Validator) Validate(sc Schema, data []byte, o Options) (Result, error) {
	v.nodes = sc.set.nodes
	v.mode = o.Mode
	v.opts = o
	v.data = data
	v.acts = v.acts[:0]
	v.edges = v.edges[:0]
	v.locs = v.locs[:0]
	v.frames = v.frames[:0]
	v.itemEnts = v.itemEnts[:0]
	v.hs = v.hs[:0]
	v.fails = v.fails[:0]
	v.drops = v.drops[:0]
	v.viol = v.viol[:0]
	v.steps = 0
	v.numAt = -1
	v.strAt = -1
	v.invalid = false
	if len(v.stamp) < len(v.nodes) {
		v.stamp = make([]uint32, len(v.nodes))
		v.slot = make([]int32, len(v.nodes))
		v.serial = 0
	}
	s := &v.s
	s.FoldDuplicates = o.FoldDuplicates
	s.Reset(data, o.Limits)
	defer func() {
		s.Reset(nil, jsonx.Limits{})
		v.data = nil
	}()
	v.entBuf = append(v.entBuf[:0], pend{node: sc.root, from: -1, kind: eRoot, cert: true})
	v.ents = v.entBuf
	for {
		tok, err := s.Next()
		if err != nil {
			return Result{}, err
		}
		switch tok.Kind {
		case jsonx.TokenEnd:
			return v.resolve(), nil
		case jsonx.TokenKey:
			v.key(tok)
		case jsonx.TokenEndObject, jsonx.TokenEndArray:
			v.closeContainer(tok)
		default:
			if err := v.value(tok); err != nil {
				return Result{}, err
			}
		}
	}
}

func (v *Validator) top() *frame {
	if len(v.frames) == 0 {
		return nil
	}
	return &v.frames[len(v.frames)-1]
}

// key handles a member name: it counts required names and gathers the
// schemas that apply to the member's value.
func (v *Validator) key(tok jsonx.Token) {
	f := v.top()
	f.count++
	f.keyStart, f.keyEnd = int32(tok.Start), int32(tok.End)
	f.keyEsc = v.s.Escaped()
	key := v.s.Key()
	if f.needHash {
		f.keyHash = hashStr(key)
	}
	if p := f.plan; p != nil {
		v.steps++
		f.caseVar = false
		j := p.lookup(key)
		if j < 0 {
			v.ents = p.addl
		} else {
			pn := &p.names[j]
			if pn.req&(1<<v.mode) != 0 {
				f.req++
			}
			v.ents = pn.ents
		}
		if (j < 0 || !p.names[j].decl) && p.folds != nil && v.mode == Request && !v.opts.CaseSensitive {
			v.buf = jsonx.AppendFold(v.buf[:0], key)
			f.caseVar = p.folds[string(v.buf)]
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

func (n *node) lookup(key []byte) int {
	if n.nameIndex != nil {
		return n.nameIndex.find(key)
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
	var entries []pend
	isMember := parent != nil && parent.isObj
	switch {
	case parent == nil:
		entries = v.ents
	case parent.loc < 0:
	case isMember:
		entries = v.ents
	case parent.plan != nil:
		entries = parent.plan.items
	default:
		entries = v.itemEnts[parent.ieA:parent.ieB]
	}
	needHash := parent != nil && parent.childHash
	record := len(entries) > 0 || isMember && parent.declares
	container := tok.Kind == jsonx.TokenBeginObject || tok.Kind == jsonx.TokenBeginArray
	index := int32(-1)
	if parent != nil && !parent.isObj {
		index = parent.count
		parent.count++
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
	li := int32(len(v.locs))
	l := loc{start: int32(tok.Start), end: int32(tok.End), keyStart: -1, keyEnd: -1, parent: -1, index: index}
	if parent != nil {
		l.parent = parent.loc
		if isMember {
			l.keyStart, l.keyEnd, l.keyEsc = parent.keyStart, parent.keyEnd, parent.keyEsc
			if parent.caseVar {
				l.flags |= lfCaseVariant
			}
		}
	}
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
				bit := tokTypeBit[tok.Kind]
				for _, ni := range n.closure {
					cn := &v.nodes[ni]
					if cn.flags&nfTrivial != 0 || cn.flags&nfTypeOnly != 0 && cn.types&bit != 0 {
						continue
					}
					v.checkScalar(cn, tok, -1, li)
				}
				v.steps += len(n.closure)
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

// number parses the number token (once per token).
func (v *Validator) number(tok jsonx.Token) *dec {
	if v.numAt != tok.Start {
		parseDec(&v.num, v.data[tok.Start:tok.End])
		v.numAt = tok.Start
	}
	return &v.num
}

// strVal returns the decoded string of the current string token.
func (v *Validator) strVal(tok jsonx.Token) []byte {
	raw := v.data[tok.Start+1 : tok.End-1]
	if !v.s.Escaped() {
		return raw
	}
	v.str = jsonx.AppendUnquoted(v.str[:0], raw)
	return v.str
}

// scalar evaluates every activation at li on a scalar token.
func (v *Validator) scalar(tok jsonx.Token, li int32) {
	l := &v.locs[li]
	for ai := l.actA; ai < l.actB; ai++ {
		v.checkScalar(&v.nodes[v.acts[ai].node], tok, ai, li)
	}
}

// failAt records a failure of activation ai, or, with ai -1, of a certain
// schema at li (which fails the body).
func (v *Validator) failAt(ai, li int32, rule uint8) {
	if ai >= 0 {
		v.fail(ai, rule)
		return
	}
	v.invalid = true
	v.fails = append(v.fails, failure{act: -1, loc: li, rule: rule})
}

// str returns the decoded string of the current string token, decoded
// once however many schemas ask.
func (v *Validator) strOnce(tok jsonx.Token) []byte {
	if v.strAt != tok.Start {
		v.strCache = v.strVal(tok)
		v.strAt = tok.Start
	}
	return v.strCache
}

// checkScalar applies the keywords of node n to a scalar token.
func (v *Validator) checkScalar(n *node, tok jsonx.Token, ai, li int32) {
	if n.flags&nfTrivial != 0 {
		return
	}
	if n.flags&nfFalse != 0 {
		v.failAt(ai, li, rFalse)
		return
	}
	if n.types != 0 && n.types&tokTypeBit[tok.Kind] == 0 &&
		!(tok.Kind == jsonx.TokenNumber && n.types&tInteger != 0 && v.number(tok).isInteger()) {
		v.failAt(ai, li, rType)
	}
	switch tok.Kind {
	case jsonx.TokenString:
		if n.minLen < 0 && n.maxLen < 0 && n.pattern == nil && n.format == fmtNone && n.flags&(nfEnum|nfConst) == 0 {
			return
		}
		str := v.strOnce(tok)
		if n.minLen >= 0 || n.maxLen >= 0 {
			c := int64(utf8.RuneCount(str))
			if n.minLen >= 0 && c < n.minLen {
				v.failAt(ai, li, rMinLength)
			}
			if n.maxLen >= 0 && c > n.maxLen {
				v.failAt(ai, li, rMaxLength)
			}
		}
		if n.pattern != nil && !n.pattern.Match(str) {
			v.failAt(ai, li, rPattern)
		}
		if n.format != fmtNone && !checkFormat(n.format, str) {
			v.failAt(ai, li, rFormat)
		}
		if n.flags&nfEnum != 0 && !enumHasString(n.enum, str) {
			v.failAt(ai, li, rEnum)
		}
		if n.flags&nfConst != 0 && !enumHasString(n.cnst, str) {
			v.failAt(ai, li, rConst)
		}
	case jsonx.TokenNumber:
		if n.minimum == nil && n.maximum == nil && n.exMin == nil && n.exMax == nil &&
			n.multipleOf == nil && n.flags&(nfEnum|nfConst) == 0 {
			return
		}
		num := v.number(tok)
		if n.minimum != nil && cmpDec(num, n.minimum) < 0 {
			v.failAt(ai, li, rMinimum)
		}
		if n.maximum != nil && cmpDec(num, n.maximum) > 0 {
			v.failAt(ai, li, rMaximum)
		}
		if n.exMin != nil && cmpDec(num, n.exMin) <= 0 {
			v.failAt(ai, li, rExMin)
		}
		if n.exMax != nil && cmpDec(num, n.exMax) >= 0 {
			v.failAt(ai, li, rExMax)
		}
		if n.multipleOf != nil && !n.multipleOf.multipleOf(num) {
			v.failAt(ai, li, rMultipleOf)
		}
		if n.flags&nfEnum != 0 && !enumHasNumber(n.enum, num) {
			v.failAt(ai, li, rEnum)
		}
		if n.flags&nfConst != 0 && !enumHasNumber(n.cnst, num) {
			v.failAt(ai, li, rConst)
		}
	default:
		if n.flags&nfEnum != 0 && !enumHasLiteral(n.enum, tok.Kind) {
			v.failAt(ai, li, rEnum)
		}
		if n.flags&nfConst != 0 && !enumHasLiteral(n.cnst, tok.Kind) {
			v.failAt(ai, li, rConst)
		}
	}
}

// certain reports whether every entry schema applies unconditionally (it
// comes from the root or from a certain activation) and applies in place
// only through $ref and allOf. Such a place needs no phase 2: its
// schemas apply and report whatever happens elsewhere, and any failure
// fails the body.
func (v *Validator) certain(entries []pend) bool {
	if len(entries) == 0 {
		return false
	}
	for i := range entries {
		if !entries[i].cert || !v.nodes[entries[i].node].pure {
			return false
		}
	}
	return true
}

// certainNodes calls f for each node the certain entries apply, once.
func (v *Validator) certainNodes(entries []pend) []int32 {
	if len(entries) == 1 {
		return v.nodes[entries[0].node].closure
	}
	v.serial++
	if v.serial == 0 {
		clear(v.stamp)
		v.serial = 1
	}
	g := v.gather[:0]
	for _, e := range entries {
		for _, n := range v.nodes[e.node].closure {
			if v.stamp[n] != v.serial {
				v.stamp[n] = v.serial
				g = append(g, n)
			}
		}
	}
	v.gather = g
	return g
}

// certainFlags sets what phase 2 would have found at a certain place.
func (v *Validator) certainFlags(li int32, entries []pend) {
	l := &v.locs[li]
	var f uint32
	for i := range entries {
		e := &entries[i]
		switch {
		case e.kind == eProp:
			l.flags |= lfDeclaredProp
		case e.kind == eAddlX:
			l.flags |= lfDeclaredAddl
		}
		f |= v.nodes[e.node].cflags
	}
	l.flags |= closureLocFlags(f)
}

// closureLocFlags maps node flags to the location flags they imply.
func closureLocFlags(f uint32) uint8 {
	var lf uint8
	if f&nfReadOnly != 0 {
		lf |= lfReadOnly
	}
	if f&nfWriteOnly != 0 {
		lf |= lfWriteOnly
	}
	if f&nfFalse != 0 {
		lf |= lfDenied
	}
	if f&nfHasProps != 0 {
		lf |= lfDeclaresAny
	}
	return lf
}

func (v *Validator) scalarCertain(tok jsonx.Token, li int32, entries []pend) {
	nodes := v.certainNodes(entries)
	v.steps += len(nodes)
	for _, ni := range nodes {
		if n := &v.nodes[ni]; n.flags&nfTrivial == 0 {
			v.checkScalar(n, tok, -1, li)
		}
	}
}

// activateCertain creates the activations of a certain container: they
// hold its per-member state, and need no edges.
func (v *Validator) activateCertain(li int32, entries []pend) {
	l := &v.locs[li]
	l.actA = int32(len(v.acts))
	l.entA = int32(len(v.edges))
	l.entB = l.entA
	for _, ni := range v.certainNodes(entries) {
		v.acts = append(v.acts, act{node: ni, loc: li, sel: -1, ok: true, cert: true, inS: true, rep: true})
	}
	l.actB = int32(len(v.acts))
	v.steps += int(l.actB - l.actA)
}

func enumHasString(enum []constVal, s []byte) bool {
	for i := range enum {
		if enum[i].kind == jsonx.KindString && enum[i].str == string(s) {
			return true
		}
	}
	return false
}

func enumHasNumber(enum []constVal, d *dec) bool {
	for i := range enum {
		if enum[i].kind == jsonx.KindNumber && cmpDec(&enum[i].num, d) == 0 {
			return true
		}
	}
	return false
}

func enumHasLiteral(enum []constVal, k jsonx.TokenKind) bool {
	for i := range enum {
		e := &enum[i]
		switch {
		case k == jsonx.TokenNull && e.kind == jsonx.KindNull,
			k == jsonx.TokenTrue && e.kind == jsonx.KindBool && e.b,
			k == jsonx.TokenFalse && e.kind == jsonx.KindBool && !e.b:
			return true
		}
	}
	return false
}

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
	f := v.frames[len(v.frames)-1]
	v.frames = v.frames[:len(v.frames)-1]
	var h uint64
	if f.needHash {
		if f.isObj {
			h = objectEnd(f.hacc, int(f.count))
		} else {
			h = arrayEnd(f.hacc, int(f.count))
		}
	}
	if f.plan != nil {
		v.locs[f.loc].end = int32(tok.End)
		v.closePlan(&f, h)
	} else if f.loc >= 0 {
		v.locs[f.loc].end = int32(tok.End)
		if f.needHash {
			v.containerEnum(f.loc, h)
		}
		v.finishLoc(f.loc, &f)
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
	var cf uint32
	for _, ni := range p.nodes {
		n := &v.nodes[ni]
		cf |= n.flags
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
	return nil
}

// closePlan ends an unconditional container: each node's count, unique
// and enum checks, and the merged required names.
func (v *Validator) closePlan(f *frame, h uint64) {
	li := f.loc
	c := int64(f.count)
	var canon []byte
	for _, ni := range f.plan.nodes {
		n := &v.nodes[ni]
		if n.flags&nfFalse != 0 {
			continue
		}
		if f.isObj {
			if n.minProps >= 0 && c < n.minProps {
				v.failAt(-1, li, rMinProps)
			}
			if n.maxProps >= 0 && c > n.maxProps {
				v.failAt(-1, li, rMaxProps)
			}
		} else {
			if n.minItems >= 0 && c < n.minItems {
				v.failAt(-1, li, rMinItems)
			}
			if n.maxItems >= 0 && c > n.maxItems {
				v.failAt(-1, li, rMaxItems)
			}
			if n.flags&nfUnique != 0 && !v.unique(f) {
				v.failAt(-1, li, rUnique)
			}
		}
		if f.needHash {
			v.nodeEnum(n, -1, li, h, &canon)
		}
	}
	if f.isObj && f.req < f.plan.nReq[v.mode] {
		v.failAt(-1, li, rRequired)
	}
}
