package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jsonx"
)

// Overlay is what the OpenAPI document cannot say (docs/configuration.md
// "The OpenAPI generator").
type Overlay struct {
	// Config is merged into the result as a JSON Merge Patch; its routes
	// come before the generated ones.
	Config map[string]any `json:"config"`
	// Security maps a security scheme to the providers that verify it.
	Security map[string][]string `json:"security"`
	// ScopeClaim names, per provider, the claim scopes are checked in
	// (default "scope").
	ScopeClaim map[string]string `json:"scope_claim"`
	// Public lists operations (operationId or "METHOD /path") that need no
	// credential although the document gives them no security.
	Public []string `json:"public"`
	// Operations are merged into each operation's route as JSON Merge
	// Patches, by operationId or "METHOD /path".
	Operations map[string]map[string]any `json:"operations"`

	data     []byte       // the document, to place findings in it
	tree     *jsonx.Value // its parse, with offsets
	findings []Finding    // its own mistakes, which Generate reports first
}

// OverlayError is an overlay that is not a JSON object at all.
type OverlayError struct{ Finding }

func (e *OverlayError) Error() string { return e.Finding.String() }

// overlayFields are the overlay's members and the JSON type of each.
var overlayFields = map[string]jsonx.Kind{
	"config": jsonx.KindObject, "security": jsonx.KindObject, "scope_claim": jsonx.KindObject,
	"public": jsonx.KindArray, "operations": jsonx.KindObject,
}

// ParseOverlay reads an overlay document. Its mistakes (an unknown field,
// a wrong type) do not stop it: the member is left out, and Generate
// reports each mistake with the others at its line and column, so that
// one run shows every one. The error is an *OverlayError when the
// document is not a JSON object.
func ParseOverlay(data []byte) (*Overlay, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &OverlayError{Finding{Path: "overlay", Msg: "empty document", Error: true}}
	}
	v, err := jsonx.Parse(data, jsonx.Limits{MaxDepth: 64})
	if err != nil {
		// The policy's JSON reader, and its words and place for the mistake.
		f := Finding{Path: "overlay", Msg: err.Error(), Error: true}
		var list *config.ErrorList
		if _, perr := config.Parse(data); errors.As(perr, &list) && list.Errors[0].Path == "" {
			f.Msg, f.Line, f.Column = list.Errors[0].Msg, list.Errors[0].Line, list.Errors[0].Column
		}
		return nil, &OverlayError{f}
	}
	o := &Overlay{data: data, tree: &v}
	if v.Kind != jsonx.KindObject {
		f := o.finding(v.Offset, "overlay", "must be an object, not %s", article(v.Kind))
		return nil, &OverlayError{f}
	}
	names := make([]string, 0, len(overlayFields))
	for k := range overlayFields {
		names = append(names, k)
	}
	keep := map[string]json.RawMessage{}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, &OverlayError{Finding{Path: "overlay", Msg: err.Error(), Error: true}}
	}
	for _, m := range v.Members {
		want, known := overlayFields[m.Key]
		at := "overlay" + pathKey(m.Key)
		switch {
		case !known:
			o.fail(m.Offset, at, "unknown field%s", config.DidYouMean(m.Key, names))
		case m.Value.Kind != want:
			o.fail(m.Value.Offset, at, "must be %s, not %s", article(want), article(m.Value.Kind))
		case o.shapeOK(m.Key, at, &m.Value):
			keep[m.Key] = raw[m.Key]
		}
	}
	clean, _ := json.Marshal(keep)
	dec := json.NewDecoder(bytes.NewReader(clean))
	dec.UseNumber()
	if err := dec.Decode(o); err != nil {
		return nil, &OverlayError{Finding{Path: "overlay", Msg: err.Error(), Error: true}}
	}
	return o, nil
}

// shapeOK checks the inside of a member whose own type is right: lists
// of strings, strings, objects, as Overlay's fields want.
func (o *Overlay) shapeOK(key, at string, v *jsonx.Value) bool {
	ok := true
	want := func(v *jsonx.Value, at string, kind jsonx.Kind) {
		if v.Kind != kind {
			o.fail(v.Offset, at, "must be %s, not %s", article(kind), article(v.Kind))
			ok = false
		}
	}
	strs := func(v *jsonx.Value, at string) {
		for i := range v.Items {
			want(&v.Items[i], fmt.Sprintf("%s[%d]", at, i), jsonx.KindString)
		}
	}
	switch key {
	case "public":
		strs(v, at)
	case "security", "scope_claim", "operations":
		for i := range v.Members {
			m := &v.Members[i]
			switch mat := at + pathKey(m.Key); key {
			case "security":
				if want(&m.Value, mat, jsonx.KindArray); m.Value.Kind == jsonx.KindArray {
					strs(&m.Value, mat)
				}
			case "scope_claim":
				want(&m.Value, mat, jsonx.KindString)
			default:
				want(&m.Value, mat, jsonx.KindObject)
			}
		}
	}
	return ok
}

// article names a JSON type with its article, as the policy parser does:
// "an object", "a string".
func article(k jsonx.Kind) string {
	if k == jsonx.KindObject || k == jsonx.KindArray {
		return "an " + k.String()
	}
	return "a " + k.String()
}

func (o *Overlay) finding(off int, path, format string, args ...any) Finding {
	f := Finding{Path: path, Msg: fmt.Sprintf(format, args...), Error: true}
	f.Line, f.Column = config.Position(o.data, off)
	return f
}

func (o *Overlay) fail(off int, path, format string, args ...any) {
	o.findings = append(o.findings, o.finding(off, path, format, args...))
}

// lookup follows steps (keys, indexes) in the overlay. It returns the
// offset of the value, or of the last key when atKey, and whether the
// whole path is there.
func (o *Overlay) lookup(steps []any, atKey bool) (int, bool) {
	if o == nil || o.tree == nil {
		return 0, false
	}
	v := o.tree
	for i, s := range steps {
		switch s := s.(type) {
		case string:
			m := member(v, s)
			if m == nil {
				return 0, false
			}
			if i == len(steps)-1 && atKey {
				return m.Offset, true
			}
			v = &m.Value
		case int:
			if v.Kind != jsonx.KindArray || s >= len(v.Items) {
				return 0, false
			}
			v = &v.Items[s]
		}
	}
	return v.Offset, true
}

func member(v *jsonx.Value, key string) *jsonx.Member {
	for i := range v.Members {
		if v.Members[i].Key == key {
			return &v.Members[i]
		}
	}
	return nil
}

// render writes steps as an overlay path: overlay.operations.listPets,
// overlay.config.routes[0].
func render(steps []any) string {
	var b strings.Builder
	b.WriteString("overlay")
	for _, s := range steps {
		switch s := s.(type) {
		case string:
			b.WriteString(pathKey(s))
		case int:
			fmt.Fprintf(&b, "[%d]", s)
		}
	}
	return b.String()
}

// overlayErrors sorts the errors of the generated configuration: those in
// what the overlay wrote (its config, or an operations entry merged into
// a route) become findings at their place in the overlay, with the
// policy parser's words (did you mean included); the others are returned.
// own is how many routes the overlay's config wrote; routeKeys holds the
// operations entries merged into each generated route after them.
func (g *gen) overlayErrors(list *config.ErrorList, own int) (rest []*config.Error) {
	for _, e := range list.Errors {
		steps, atKey, ok := e.Place()
		var cands [][]any
		switch {
		case !ok || len(steps) == 0:
		case steps[0] == "routes" && len(steps) > 1:
			i, _ := steps[1].(int)
			if i < own {
				cands = append(cands, append([]any{"config"}, steps...))
			} else if i-own < len(g.routeKeys) {
				for _, k := range g.routeKeys[i-own] {
					cands = append(cands, append([]any{"operations", k}, steps[2:]...))
				}
			}
		default:
			cands = append(cands, append([]any{"config"}, steps...))
		}
		placed := false
		for _, c := range cands {
			off, found := g.ov.lookup(c, atKey)
			if !found {
				continue
			}
			at := c
			if atKey {
				at = c[:len(c)-1] // the object, as the parser names it
			}
			g.findings = append(g.findings, g.ov.finding(off, render(at), "%s", e.Msg))
			placed = true
			break
		}
		if !placed {
			rest = append(rest, e)
		}
	}
	return rest
}

// overlayOrder orders keys of the overlay's member field as the overlay
// writes them (keys it does not hold last, as given).
func (g *gen) overlayOrder(field string, keys []string) []string {
	var out []string
	seen := map[string]bool{}
	if g.ov.tree != nil {
		if m := member(g.ov.tree, field); m != nil {
			for _, mm := range m.Value.Members {
				if slices.Contains(keys, mm.Key) && !seen[mm.Key] {
					out, seen[mm.Key] = append(out, mm.Key), true
				}
			}
		}
	}
	for _, k := range keys {
		if !seen[k] {
			out = append(out, k)
		}
	}
	return out
}

// overlayFinding reports at steps of the overlay (the key of the member
// they name).
func (g *gen) overlayFinding(isError bool, steps []any, msg string) {
	f := Finding{Path: render(steps), Msg: msg, Error: isError}
	if off, ok := g.ov.lookup(steps, true); ok {
		f.Line, f.Column = config.Position(g.ov.data, off)
	}
	g.findings = append(g.findings, f)
}
