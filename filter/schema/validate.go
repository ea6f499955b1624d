package schema

import (
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
	loc       int32 // -1: walked only for its hash; lazyPlace: not recorded yet
	start     int32
	count     int32 // members or items once closed; before, the index of a lazy item (openLazy)
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
	members   bool  // plan: the scanner finds the names (jsonx.Scanner.Within)
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
	later    laterLoc
	// fastNode, fastTypes: planName.fast and .types of the current key
	// (Request mode; -1: none), for its value.
	fastNode  int32
	fastTypes uint8
	steps     int
}

// ScratchBytes is roughly how much scratch memory v keeps between calls,
// so that a pool can drop a Validator that one huge body grew (as jsonx's
// pool does) instead of pinning that memory.
func (v *Validator) ScratchBytes() int {
	return cap(v.acts)*48 + cap(v.edges)*12 + cap(v.locs)*48 + cap(v.frames)*80 +
		(cap(v.ents)+cap(v.itemEnts))*16 + cap(v.hs)*16 + cap(v.fails)*12 + cap(v.cands)*12 +
		cap(v.tab)*4 + cap(v.str) + cap(v.buf) + cap(v.drops)*16 + cap(v.objStack)*20
}

// TopLevelKeys and TopLevelKey read the unescaped names of the top-level
// object's members of the body the last Validate walked to its end
// (jsonx.Scanner's methods of those names: the walk's own record, no
// second walk).
func (v *Validator) TopLevelKeys() int { return v.s.TopLevelKeys() }

// TopLevelKey: see TopLevelKeys; data is that body.
func (v *Validator) TopLevelKey(i int, data []byte) []byte { return v.s.TopLevelKey(i, data) }

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
	v.fastNode = -1
	if len(v.stamp) < len(v.nodes) {
		v.stamp = make([]uint32, len(v.nodes))
		v.slot = make([]int32, len(v.nodes))
		v.serial = 0
	}
	s := &v.s
	s.FoldDuplicates = o.FoldDuplicates
	s.Reset(data, o.Limits)
	defer func() {
		s.Release() // keeps the record TopLevelKeys reads
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
			if fi := len(v.frames) - 1; v.mode == Request && v.frames[fi].loc == lazyPlace && !v.frames[fi].plan.counts {
				// closeContainer for a lazy place whose plan counts
				// nothing: only the required tally, without a call.
				f := &v.frames[fi]
				v.frames = v.frames[:fi]
				if _, tally := s.Closed(); f.isObj && f.req+int32(tally) < f.plan.nReq[Request] {
					v.failAt(-1, v.placeEnd(fi, tok), rRequired)
				}
				continue
			}
			v.closeContainer(tok)
		default:
			if f := v.top(); f != nil && f.plan != nil && !f.childHash {
				j := -1
				if f.members {
					j = s.Member()
				}
				if tok.Kind == jsonx.TokenBeginObject || tok.Kind == jsonx.TokenBeginArray {
					if j >= 0 || !f.isObj {
						if ok, err := v.openFast(f, j, tok); ok {
							if err != nil {
								return Result{}, err
							}
							continue
						}
					}
				} else if j >= 0 && v.memberScalar(f, j, tok) {
					continue
				}
				if j >= 0 {
					v.member(f, j) // the key the scanner did not return
				}
			}
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
