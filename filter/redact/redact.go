package redact

import (
	"slices"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/problem"
)

// MaxDepth caps the nesting of an inspected response. The walker itself is
// iterative, but its per-container state grows with depth, and no sane API
// response nests this deep; a deeper one is refused like an unparsable one.
const MaxDepth = 512

// Limits are the structural limits applied to responses: only the depth is
// capped (the body size is capped before the rewrite, by max_body_bytes).
var Limits = jsonx.Limits{MaxDepth: MaxDepth}

// smallSet is the size up to which a set of keys is searched linearly:
// below it, comparing lengths and bytes beats hashing.
const smallSet = 8

// Rules is a compiled `response` rule set. It is immutable, so every stream
// of a VM may share it.
type Rules struct {
	allow *node // nil: no projection
	paths *node // nil: no redact paths
	keys  keySet
	mask  []byte // the mask as a JSON string token; nil: remove
}

// The token kinds the walk asks the scanner for. Inside a frame it needs
// the structure; in an array whose elements allow or paths look at, every
// element; below the frames, only the keys (filtered) and the closers that
// tell when it is back.
var (
	kindsFrame = jsonx.KindsOf(jsonx.TokenKey, jsonx.TokenBeginObject, jsonx.TokenEndObject,
		jsonx.TokenBeginArray, jsonx.TokenEndArray)
	kindsAll     = ^jsonx.KindSet(0)
	kindsClosers = jsonx.KindsOf(jsonx.TokenEndObject, jsonx.TokenEndArray)
	kindsKeys    = kindsClosers | jsonx.KindsOf(jsonx.TokenKey)
)

// node is one step of a path trie. A leaf ends a path: everything below it
// is kept (allow) or redacted as a whole (paths).
type node struct {
	leaf  bool
	each  *node            // the `#` step: every array element
	kids  []kid            // key steps
	index map[string]*node // the same as kids, when there are many
	// cand, in the redact trie, holds the kids' keys and the redact keys:
	// every key that can redact a member or continue a path below n. tab
	// holds them too, for looking a key up (nil: too many, see keyTable).
	cand *jsonx.KeyFilter
	tab  *keyTable
}

type kid struct {
	key string
	n   *node
}

// Compile builds the rules of a `response` policy. Configuration parsing
// has already validated the paths and keys, so it cannot fail. A nil
// response, or one without allow and redact, still validates documents.
func Compile(r *config.Response) *Rules {
	rs := &Rules{}
	if r == nil {
		return rs
	}
	if len(r.Allow) > 0 {
		rs.allow = &node{}
		for _, p := range r.Allow {
			rs.allow.insert(p.Segments, false)
		}
	}
	if d := r.Redact; d != nil {
		if len(d.Paths) > 0 {
			rs.paths = &node{}
			for _, p := range d.Paths {
				rs.paths.insert(p.Segments, true)
			}
		}
		for _, k := range d.Keys {
			rs.keys.add(jsonx.AppendFold(nil, []byte(k)))
		}
		if d.Action == config.RedactMask {
			rs.mask = problem.AppendString(nil, d.Mask)
		}
	}
	rs.keys.tab = newKeyTable(nil, &rs.keys)
	rs.paths.finish(&rs.keys)
	return rs
}

// finish computes the cand filter and the table of each node of the
// redact trie.
func (n *node) finish(keys *keySet) {
	if n == nil {
		return
	}
	c := keys.filter
	for _, k := range n.kids {
		c.Add([]byte(k.key))
		k.n.finish(keys)
	}
	n.cand = &c
	n.tab = newKeyTable(n.kids, keys)
	n.each.finish(keys)
}

// insert adds a path below n. A shorter path subsumes a longer one with
// the same prefix: keeping or redacting `a` covers `a.b`.
func (n *node) insert(segs []config.Segment, fold bool) {
	for _, sg := range segs {
		if n.leaf {
			return
		}
		if sg.Each {
			if n.each == nil {
				n.each = &node{}
			}
			n = n.each
			continue
		}
		k := []byte(sg.Key)
		if fold {
			k = jsonx.AppendFold(nil, k)
		}
		c := n.child(k)
		if c == nil {
			c = &node{}
			n.kids = append(n.kids, kid{string(k), c})
			if len(n.kids) > smallSet {
				if n.index == nil {
					n.index = make(map[string]*node, len(n.kids))
					for _, e := range n.kids {
						n.index[e.key] = e.n
					}
				}
				n.index[string(k)] = c
			}
		}
		n = c
	}
	n.leaf, n.each, n.kids, n.index = true, nil, nil, nil
}

// child returns the key step k (already folded for redact paths).
func (n *node) child(k []byte) *node {
	if n.index != nil {
		return n.index[string(k)]
	}
	for i := range n.kids {
		if n.kids[i].key == string(k) {
			return n.kids[i].n
		}
	}
	return nil
}

// fits reports whether a projection node can go on into a container of
// the given kind.
func (n *node) fits(obj bool) bool {
	if obj {
		return len(n.kids) > 0
	}
	return n.each != nil
}

// keySet holds the folded `redact.keys`.
type keySet struct {
	list   [][]byte
	set    map[string]struct{}
	filter jsonx.KeyFilter
	tab    *keyTable
}

func (ks *keySet) add(f []byte) {
	for _, k := range ks.list {
		if string(k) == string(f) {
			return
		}
	}
	ks.list = append(ks.list, f)
	ks.filter.Add(f)
	if len(ks.list) > smallSet {
		ks.set = make(map[string]struct{}, len(ks.list))
		for _, k := range ks.list {
			ks.set[string(k)] = struct{}{}
		}
	}
}

func (ks *keySet) any() bool { return len(ks.list) > 0 }

// has reports whether the folded key f is in the set.
func (ks *keySet) has(f []byte) bool {
	if ks.set != nil {
		_, ok := ks.set[string(f)]
		return ok
	}
	for _, k := range ks.list {
		if string(k) == string(f) {
			return true
		}
	}
	return false
}

// Stats describes one rewrite.
type Stats struct {
	// Redactions counts the values redact removed or masked.
	Redactions int
	// Dropped counts the values allow left out.
	Dropped int
	// Changed says the output differs from the input; when false the
	// output is the input slice itself.
	Changed bool
}

// Rewriter holds the scratch memory of rewrites: the scanner and the
// stack of containers where allow or redact paths apply. After warm-up a
// rewrite allocates only its output. A Rewriter is not safe for concurrent
// use; the zero value is ready.
type Rewriter struct {
	s     jsonx.Scanner
	stack []frame
	fold  []byte

	rules   *Rules
	src     []byte
	out     []byte
	mark    int // src[:mark] has been written to out
	editing bool
	st      Stats
}

// frame is an open container where allow or redact paths apply. Below it,
// in containers nothing but `redact.keys` applies to, no frame is kept:
// the keys match at any depth, and removing a member needs no state (see
// remove).
type frame struct {
	allow *node            // projection of this container's elements; nil: none
	paths *node            // redact paths going on in this container; nil: none
	cand  *jsonx.KeyFilter // the keys that may redact a member here
	tab   *keyTable        // the same keys, to look up; nil: none
	kf    *jsonx.KeyFilter // the keys the scanner returns here; nil: all
	want  jsonx.KindSet    // the tokens the scanner returns here
	depth int              // the scanner's Depth inside this container
	elems bool             // an array whose elements allow or paths look at
}

// Rewrite applies rules to the JSON document src and appends the result to
// dst. When nothing changes, out is src itself (dst is not touched) and
// st.Changed is false. On a refused document (*jsonx.Error: syntax, UTF-8,
// duplicate key, depth over MaxDepth) out is nil. src is not modified.
func (w *Rewriter) Rewrite(rules *Rules, dst, src []byte) (out []byte, st Stats, err error) {
	w.rules, w.src, w.out, w.mark, w.editing, w.st = rules, src, dst, 0, false, Stats{}
	w.stack = w.stack[:0]
	err = w.run()
	out, st = w.out, w.st
	if err != nil {
		out, st = nil, Stats{}
	} else if w.editing {
		out = append(out, src[w.mark:]...)
		st.Changed = true
	} else {
		out = src
	}
	w.s.Reset(nil, jsonx.Limits{}) // drop the reference to the body
	w.rules, w.src, w.out = nil, nil, nil
	return out, st, err
}

func (w *Rewriter) run() error {
	s := &w.s
	s.Reset(w.src, Limits)
	tok, err := s.Next()
	if err != nil {
		return err
	}
	allow, paths := w.rules.allow, w.rules.paths
	switch tok.Kind {
	case jsonx.TokenBeginObject, jsonx.TokenBeginArray:
		switch {
		case allow != nil && !allow.fits(tok.Kind == jsonx.TokenBeginObject):
			end, err := w.skip()
			if err != nil {
				return err
			}
			w.edit(tok.Start, end, nullToken)
			w.st.Dropped++
		case allow != nil || paths != nil || w.rules.keys.any():
			w.push(allow, paths, tok)
			if err := w.walk(); err != nil {
				return err
			}
		default:
			if _, err := w.skip(); err != nil {
				return err
			}
		}
	default:
		if allow != nil {
			w.edit(tok.Start, tok.End, nullToken)
			w.st.Dropped++
		}
	}
	// Only TokenEnd (the scanner checked that nothing follows) or an error
	// can come now.
	_, err = s.Next()
	return err
}

var nullToken = []byte("null")

// walk processes the tokens until the top-level container closes.
func (w *Rewriter) walk() error {
	s := &w.s
	keys := w.rules.keys.any()
	below := kindsClosers
	if keys {
		below = kindsKeys
	}
	for len(w.stack) > 0 {
		f := &w.stack[len(w.stack)-1]
		want, kf := f.want, f.kf
		if s.Depth() > f.depth {
			want, kf = below, &w.rules.keys.filter
		}
		tok, err := s.NextIn(want, kf)
		if err != nil {
			return err
		}
		d := s.Depth()
		switch tok.Kind {
		case jsonx.TokenEndObject, jsonx.TokenEndArray:
			if d < f.depth {
				w.stack = w.stack[:len(w.stack)-1]
			}
		case jsonx.TokenKey:
			if d == f.depth {
				err = w.member(f, tok)
			} else if w.isKey(s.Key()) {
				err = w.redactMember(tok)
			}
		case jsonx.TokenBeginObject, jsonx.TokenBeginArray:
			switch {
			case d-1 != f.depth:
				// Inside a container only the keys apply to.
			case f.elems:
				err = w.element(f, tok, true)
			case !keys:
				// A member's value nothing applies to (member has returned
				// without reading it), or an array element of the same.
				_, err = w.skip()
			}
		default:
			if d == f.depth && f.elems {
				err = w.element(f, tok, false)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// member handles a member of the object f whose key token is key. When
// nothing applies to the member, it returns without reading the value.
func (w *Rewriter) member(f *frame, key jsonx.Token) error {
	s := &w.s
	k := s.Key()
	var ach, pch *node
	drop, redact := false, false
	if f.allow != nil {
		if ach = f.allow.child(k); ach == nil {
			drop = true
		} else if ach.leaf {
			ach = nil // kept whole: no projection below
		}
	}
	if drop {
		// The value goes whatever its key: no need to look the key up.
	} else if e, ok := f.tab.find(k); ok {
		if e != nil {
			if pch = e.child; pch != nil && pch.leaf {
				redact, pch = true, nil
			}
			redact = redact || e.key
		}
	} else if f.cand.MayMatch(k) {
		w.fold = jsonx.AppendFold(w.fold[:0], k)
		if f.paths != nil {
			if pch = f.paths.child(w.fold); pch != nil && pch.leaf {
				redact, pch = true, nil
			}
		}
		if !redact {
			redact = w.rules.keys.has(w.fold)
		}
	}
	if !drop && !redact && ach == nil && pch == nil {
		return nil
	}
	v, err := s.Next()
	if err != nil {
		return err
	}
	return w.apply(key.Start, v, ach, pch, drop, redact)
}

// isKey reports whether the key k matches a redact key.
func (w *Rewriter) isKey(k []byte) bool {
	ks := &w.rules.keys
	if e, ok := ks.tab.find(k); ok {
		return e != nil
	}
	if !ks.filter.MayMatch(k) {
		return false
	}
	w.fold = jsonx.AppendFold(w.fold[:0], k)
	return ks.has(w.fold)
}

// redactMember redacts the member whose key token is key, below the frames.
func (w *Rewriter) redactMember(key jsonx.Token) error {
	v, err := w.s.Next()
	if err != nil {
		return err
	}
	return w.apply(key.Start, v, nil, nil, false, true)
}

// element handles an element of the array f, whose first token is v.
func (w *Rewriter) element(f *frame, v jsonx.Token, cont bool) error {
	var ach, pch *node
	redact := false
	if f.allow != nil {
		// Never nil: the array was entered because the projection fits it.
		if ach = f.allow.each; ach.leaf {
			ach = nil
		}
	}
	if f.paths != nil && f.paths.each != nil {
		if pch = f.paths.each; pch.leaf {
			redact, pch = true, nil
		}
	}
	if !redact && ach == nil && pch == nil {
		if cont && !w.rules.keys.any() {
			_, err := w.skip()
			return err
		}
		return nil
	}
	return w.apply(v.Start, v, ach, pch, false, redact)
}

// apply decides the fate of an element that starts at start (its key, for
// a member) and whose value's first token is v, when allow or redact has a
// say: drop it, mask it, or keep it and open a frame for it.
func (w *Rewriter) apply(start int, v jsonx.Token, ach, pch *node, drop, redact bool) error {
	cont := v.Kind == jsonx.TokenBeginObject || v.Kind == jsonx.TokenBeginArray
	if !drop && !redact && ach != nil && (!cont || !ach.fits(v.Kind == jsonx.TokenBeginObject)) {
		drop = true // the projection goes on, but this value has no such shape
	}
	if !drop && !redact {
		if cont {
			w.push(ach, pch, v)
		}
		return nil
	}
	end := v.End
	if cont {
		var err error
		if end, err = w.skip(); err != nil {
			return err
		}
	}
	switch {
	case drop:
		w.remove(start, end)
		w.st.Dropped++
	case w.rules.mask == nil:
		w.remove(start, end)
		w.st.Redactions++
	default:
		w.edit(v.Start, end, w.rules.mask)
		w.st.Redactions++
	}
	return nil
}

// push opens a frame for the container whose first token v was just read.
func (w *Rewriter) push(allow, paths *node, v jsonx.Token) {
	f := frame{allow: allow, paths: paths, cand: &w.rules.keys.filter, tab: w.rules.keys.tab, want: kindsFrame, depth: w.s.Depth()}
	if paths != nil {
		f.cand, f.tab = paths.cand, paths.tab
	}
	f.kf = f.cand
	if allow != nil {
		f.kf = nil // projection looks at every key
	}
	if v.Kind == jsonx.TokenBeginArray && (allow != nil || paths != nil && paths.each != nil) {
		f.elems, f.want = true, kindsAll
	} else if allow == nil && w.rules.keys.any() {
		// walk does nothing with the opening of a value here (the keys
		// below it are looked at all the same), so the scanner need not
		// return it: it goes on into the value with f.kf, which holds the
		// redact keys, and walk sees a key there at a depth below f.
		f.want = kindsKeys
	}
	w.stack = append(w.stack, f)
}

// remove drops the element src[start:end] together with one separator:
// the comma in front of it when an element is kept before it in its
// container, otherwise (it is the first element left) the comma after it,
// if any. What precedes the element tells the two apart: a comma, or the
// opening bracket or the end of an earlier removal (which took the comma
// after what it removed). Looking past the scanner's position is safe:
// bytes it has not accepted yet are accepted later or the whole output is
// discarded.
func (w *Rewriter) remove(start, end int) {
	src := w.src
	p := start - 1
	for p >= w.mark && isSpace(src[p]) {
		p--
	}
	if p >= w.mark && src[p] == ',' {
		w.edit(p, end, nil)
		return
	}
	j := skipSpace(src, end)
	if j < len(src) && src[j] == ',' {
		end = skipSpace(src, j+1)
	}
	w.edit(max(p+1, w.mark), end, nil)
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// edit replaces src[a:b] by repl in the output. Edits come in increasing,
// non-overlapping order.
func (w *Rewriter) edit(a, b int, repl []byte) {
	if !w.editing {
		w.editing = true
		w.out = slices.Grow(w.out, len(w.src))
	}
	w.out = append(w.out, w.src[w.mark:a]...)
	w.out = append(w.out, repl...)
	w.mark = b
}

// skip reads to the end of the container whose opening token was just
// returned and returns the offset just past its closer.
func (w *Rewriter) skip() (int, error) {
	t, err := w.s.SkipValue()
	return t.End, err
}
