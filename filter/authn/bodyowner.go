package authn

import (
	"bytes"
	"errors"
	"sync"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/problem"
)

// BodyOwner is one auth.body_owner entry, compiled.
type BodyOwner struct {
	field []string
	// raw and fold are field's segments as bytes and folded
	// (jsonx.AppendFold), for the walk's key filters and comparisons.
	raw, fold [][]byte
	claim     []string
	// qname is the normalised last segment of field: a query parameter
	// of that name makes the request ambiguous.
	qname []string
}

// CompileBodyOwner compiles one auth.body_owner entry.
func CompileBodyOwner(b *config.BodyOwnerRule) BodyOwner {
	r := BodyOwner{field: b.Field, claim: b.Claim}
	for _, seg := range b.Field {
		r.raw = append(r.raw, []byte(seg))
		r.fold = append(r.fold, jsonx.AppendFold(nil, []byte(seg)))
	}
	if n := len(b.Field); n > 0 {
		r.qname = []string{httpx.NormalizeQueryName(b.Field[n-1])}
	}
	return r
}

// CheckBodyOwner is the body_owner part of step 12, run once the request
// body is complete and well-formed JSON (403 with insufficient_scope).
// Each rule's field must be present exactly once at every level of its
// path (no second key equal to it in any letter case), must not be
// shadowed by a query parameter named like its last segment (nor by such a
// field of the body read as a form, when the request says it is one), and
// must equal the claim as a string. An anonymous
// request fails.
//
// The body is walked once with the scanner (ownerWalk), which builds no
// tree: only the objects on the rules' paths are looked into, and of
// their members only those whose key may equal a segment under folding.
func CheckBodyOwner(rules []BodyOwner, identity *jsonx.Value, query string, body []byte, form Form) Verdict {
	if v, done := bodyOwnerBefore(rules, query, body, form); done {
		return v
	}
	w := ownerWalks.Get().(*ownerWalk)
	reason := w.check(rules, identity, body)
	ownerWalks.Put(w)
	if reason != "" {
		return deny(403, reason, ChallengeScope)
	}
	return Verdict{}
}

// bodyOwnerBefore is what CheckBodyOwner decides before reading the body:
// no rules (pass), a query or form shadow of a field (ambiguous), an empty
// body (missing); done is false when the body must be read.
func bodyOwnerBefore(rules []BodyOwner, query string, body []byte, form Form) (v Verdict, done bool) {
	if len(rules) == 0 {
		return Verdict{}, true
	}
	for i := range rules {
		if httpx.FindQueryParam(query, rules[i].qname) >= 0 || form.Has(rules[i].qname) {
			return deny(403, problem.ReasonBodyOwnerAmbiguous, ChallengeScope), true
		}
	}
	if len(body) == 0 {
		return deny(403, problem.ReasonBodyOwnerMissing, ChallengeScope), true
	}
	return Verdict{}, false
}

var ownerWalks = sync.Pool{New: func() any { return new(ownerWalk) }}

// ownerWalk finds the rules' fields in one scan of the body. The rules'
// paths form a tree of nodes (the root is the body; a node's children are
// the distinct segments that follow its path); the walk descends only
// into the objects of nodes with children and records, for each node, how
// many keys of its parent object equal its segment under folding and the
// first token of the value whose key is exactly the segment. It keeps its
// scratch memory across checks (pooled), so a warm walk allocates nothing.
type ownerWalk struct {
	s     jsonx.Scanner
	nodes []ownerNode
	slot  []int32 // the node of each rule's segments, rule after rule
	stack []int32 // the node of each open object the walk looks into
	fold  []byte  // a key's folding
	text  []byte  // an escaped string value, unescaped
}

// noNode ends a list of nodes (the root, node 0, is no node's child).
const noNode int32 = -1

// ownerNode is a path prefix shared by one or more rules.
type ownerNode struct {
	raw, fold   []byte // the last segment (none for the root)
	child, next int32  // first child and next sibling, or noNode
	kf          jsonx.KeyFilter
	// Per check: the keys of the parent object equal to the segment under
	// folding, the first token of the value of the exact key (Kind 0: no
	// such key, or the parent was no object) and whether that token is a
	// string with escapes.
	count int
	tok   jsonx.Token
	esc   bool
}

// check walks body and returns the first failing rule's reason, or "".
// A body the scanner refuses (the body checks let only well-formed JSON
// through) is missing every field: fail closed.
func (w *ownerWalk) check(rules []BodyOwner, identity *jsonx.Value, body []byte) problem.Reason {
	w.plan(rules)
	defer w.release()
	if err := w.walk(body); err != nil {
		return problem.ReasonBodyOwnerMissing
	}
	k := 0
	for i := range rules {
		r := &rules[i]
		p := int32(0)
		for range r.field {
			c := w.slot[k]
			k++
			if w.nodes[p].tok.Kind != jsonx.TokenBeginObject {
				return problem.ReasonBodyOwnerMissing
			}
			if w.nodes[c].count > 1 {
				return problem.ReasonBodyOwnerAmbiguous
			}
			if w.nodes[c].tok.Kind == jsonx.TokenNone {
				return problem.ReasonBodyOwnerMissing
			}
			p = c
		}
		want, ok := ClaimText(identity, r.claim)
		if !ok || want == "" || !w.textIs(body, &w.nodes[p], want) {
			return problem.ReasonBodyOwnerMismatch
		}
	}
	return ""
}

// release drops the references to the body and the rules: a pooled walk
// keeps neither alive.
func (w *ownerWalk) release() {
	w.s.Release()
	clear(w.nodes)
}

// plan builds the tree of the rules' paths.
func (w *ownerWalk) plan(rules []BodyOwner) {
	w.nodes = append(w.nodes[:0], ownerNode{child: noNode, next: noNode})
	w.slot = w.slot[:0]
	for i := range rules {
		r := &rules[i]
		p := int32(0)
		for j := range r.raw {
			c := w.nodes[p].child
			for c != noNode && !bytes.Equal(w.nodes[c].raw, r.raw[j]) {
				c = w.nodes[c].next
			}
			if c == noNode {
				c = int32(len(w.nodes))
				w.nodes = append(w.nodes, ownerNode{raw: r.raw[j], fold: r.fold[j], child: noNode, next: w.nodes[p].child})
				w.nodes[p].child = c
				w.nodes[p].kf.Add(r.raw[j])
			}
			w.slot = append(w.slot, c)
			p = c
		}
	}
}

// walk scans the whole body, filling in the nodes.
func (w *ownerWalk) walk(body []byte) error {
	s := &w.s
	s.Reset(body, jsonx.Limits{})
	tok, err := s.Next()
	if err != nil {
		return err
	}
	w.nodes[0].tok, w.nodes[0].esc = tok, s.Escaped()
	switch {
	case tok.Kind == jsonx.TokenBeginObject && w.nodes[0].child != noNode:
		err = w.members()
	case tok.Kind == jsonx.TokenBeginObject || tok.Kind == jsonx.TokenBeginArray:
		_, err = s.SkipValue()
	}
	if err == nil {
		// TokenEnd, once the scanner checked that nothing follows.
		_, err = s.Next()
	}
	return err
}

// memberTokens are the tokens the walk needs in an object it looks into:
// the keys the node's filter lets through, the object's end, and the
// start of a container value of a member the filter passed over (which
// is then skipped whole). Scalar values of such members are checked and
// passed over inside the scanner.
var memberTokens = jsonx.KindsOf(jsonx.TokenKey, jsonx.TokenEndObject, jsonx.TokenBeginObject, jsonx.TokenBeginArray)

// members walks the object of the root, just opened, and every object it
// descends into, until the root's object closes. Every container it does
// not descend into is skipped as it starts, so each token comes from the
// innermost open object, that of the stack's top node.
func (w *ownerWalk) members() error {
	s := &w.s
	w.stack = append(w.stack[:0], 0)
	for len(w.stack) > 0 {
		cur := w.stack[len(w.stack)-1]
		tok, err := s.NextIn(memberTokens, &w.nodes[cur].kf)
		if err != nil {
			return err
		}
		switch tok.Kind {
		case jsonx.TokenEndObject:
			w.stack = w.stack[:len(w.stack)-1]
		case jsonx.TokenKey:
			err = w.member(cur)
		case jsonx.TokenEnd:
			// Never inside an object from a correct scanner; were it to
			// come, the loop must end (fail closed), not spin.
			return errEndInObject
		default:
			_, err = s.SkipValue()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

var errEndInObject = errors.New("body_owner: end of input inside an object")

// member handles a member of cur's object whose key the filter let
// through: it counts the key for every child it equals under folding and,
// when it is exactly a child's segment, records the value (descending
// into it when it is an object with children) or else skips it.
func (w *ownerWalk) member(cur int32) error {
	s := &w.s
	key := s.Key()
	w.fold = jsonx.AppendFold(w.fold[:0], key)
	match := noNode
	for c := w.nodes[cur].child; c != noNode; c = w.nodes[c].next {
		n := &w.nodes[c]
		if bytes.Equal(w.fold, n.fold) {
			n.count++
			if bytes.Equal(key, n.raw) {
				match = c
			}
		}
	}
	if match == noNode {
		_, err := s.SkipValue()
		return err
	}
	tok, err := s.Next()
	if err != nil {
		return err
	}
	n := &w.nodes[match]
	n.tok, n.esc = tok, s.Escaped()
	switch {
	case tok.Kind == jsonx.TokenBeginObject && n.child != noNode:
		w.stack = append(w.stack, match)
	case tok.Kind == jsonx.TokenBeginObject || tok.Kind == jsonx.TokenBeginArray:
		_, err = s.SkipValue()
	}
	return err
}

// textIs reports whether the value of n has a text (ValueText: a string,
// a number as written, a boolean) and that text is want.
func (w *ownerWalk) textIs(body []byte, n *ownerNode, want string) bool {
	t := n.tok
	switch t.Kind {
	case jsonx.TokenString:
		raw := body[t.Start+1 : t.End-1]
		if n.esc {
			w.text = jsonx.AppendUnquoted(w.text[:0], raw)
			raw = w.text
		}
		return string(raw) == want
	case jsonx.TokenNumber:
		return string(body[t.Start:t.End]) == want
	case jsonx.TokenTrue:
		return want == "true"
	case jsonx.TokenFalse:
		return want == "false"
	}
	return false
}
