package validate

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jsonx"
)

// The errors of a policy embedded in a YAML file (an Envoy Wasm filter's
// configuration.value, an Istio WasmPlugin's pluginConfig) are placed at
// the line and column of the file the operator edits (docs/command.md
// "validate"), not of the JSON inside it:
//
//   - a literal (|) or folded (>) block scalar maps each byte of the policy
//     to the file exactly, once the scalar rebuilt from the file's lines
//     is the very policy that was parsed;
//   - any other string (quoted, plain) places every error at the string's
//     start, and the message keeps its place inside the string;
//   - a pluginConfig written as YAML is followed along each error's JSON
//     path to its YAML node (the key of an unknown field).
//
// An error that cannot be placed keeps Line 0, and is reported without a
// position rather than at a wrong one.

// InFile is the errors of a policy embedded in a YAML file, each with the
// file's Line and Column (0 when it has no place there).
type InFile struct {
	// Where says what holds the policy, e.g. `listener "ingress" chain 0
	// filter "envoy.filters.http.wasm": apiguard configuration`.
	Where string
	List  *config.ErrorList
}

// Error returns one "<Where>: <path>: <message> (line L, column C)" line per
// error, the place being the file's.
func (e *InFile) Error() string {
	return e.Where + ": " + strings.Join(e.List.Lines(), "\n"+e.Where+": ")
}

// yamlDoc is one YAML document's node tree and where it starts in its file.
type yamlDoc struct {
	root  *yaml.Node // nil when the document did not parse
	lines []string   // the document's lines
	first int        // how many lines of the file come before the document's first
}

func parseYAMLDoc(raw []byte, first int) *yamlDoc {
	d := &yamlDoc{first: first, lines: strings.Split(string(raw), "\n")}
	var n yaml.Node
	if yaml.Unmarshal(raw, &n) == nil && n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		d.root = n.Content[0]
	}
	return d
}

// find follows steps (keys, indexes) from n. It returns the node reached,
// the key node of the last step when that was a key (a block mapping or
// sequence is written from its key's line), and whether every step was
// found; when one is missing it stops at the deepest node that exists,
// where the policy parser reports a missing field too. A key step matches
// a key written as is or in protojson's lowerCamelCase (Envoy reads both).
func find(n *yaml.Node, steps []any) (val, key *yaml.Node, all bool) {
	val = deref(n)
	for _, s := range steps {
		var next, nextKey *yaml.Node
		switch s := s.(type) {
		case string:
			if val.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(val.Content); i += 2 {
					if k := val.Content[i].Value; k == s || k == lowerCamel(s) {
						nextKey, next = val.Content[i], val.Content[i+1]
						break
					}
				}
			}
		case int:
			if val.Kind == yaml.SequenceNode && s < len(val.Content) {
				next = val.Content[s]
			}
		}
		if next == nil {
			return val, key, false
		}
		val, key = deref(next), nextKey
	}
	return val, key, true
}

func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func lowerCamel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// placeString places the errors of the policy held in the string at steps
// (want is the policy as it was parsed). It returns nil when the string is
// not found, or is not want.
func (d *yamlDoc) placeString(steps []any, want string, list *config.ErrorList, where string) *InFile {
	if d.root == nil {
		return nil
	}
	n, key, all := find(d.root, steps)
	if !all || n.Kind != yaml.ScalarNode || key == nil {
		return nil
	}
	m := d.blockText(key, n, want)
	if m == nil && strings.TrimRight(n.Value, "\n") != strings.TrimRight(want, "\n") {
		return nil
	}
	starts := lineStarts(want)
	out := &config.ErrorList{Omitted: list.Omitted}
	for _, e := range list.Errors {
		p := *e
		switch {
		case m != nil && e.Line > 0 && e.Line <= len(starts):
			p.Line, p.Column = m.at(starts[e.Line-1] + e.Column - 1)
			p.Line += d.first
		case e.Line > 0:
			// A quoted or plain string: its start, and the place inside it.
			p.Msg += " (line " + strconv.Itoa(e.Line) + ", column " + strconv.Itoa(e.Column) + " of the string)"
			fallthrough
		default:
			p.Line, p.Column = n.Line+d.first, n.Column
		}
		out.Errors = append(out.Errors, &p)
	}
	return &InFile{Where: where, List: out}
}

// placeNodes places the errors of the policy written as YAML at steps (an
// Istio pluginConfig, which reaches the plugin re-encoded as JSON: the
// JSON's own lines mean nothing to the operator).
func (d *yamlDoc) placeNodes(steps []any, list *config.ErrorList, where string) *InFile {
	out := &config.ErrorList{Omitted: list.Omitted}
	var top *yaml.Node
	found := false
	if d.root != nil {
		top, _, found = find(d.root, steps)
	}
	for _, e := range list.Errors {
		p := *e
		p.Line, p.Column = 0, 0
		if path, atKey, ok := e.Place(); ok && found {
			n, key, all := find(top, path)
			switch {
			case all && atKey && key != nil:
				n = key // an unknown field: its name
			case key != nil && (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) && n.Style&yaml.FlowStyle == 0:
				n = key // a block mapping or sequence: the line of its key
			}
			p.Line, p.Column = n.Line+d.first, n.Column
		}
		out.Errors = append(out.Errors, &p)
	}
	// Istio re-encodes pluginConfig with its keys sorted: the file's order
	// is the document order (an error without a place last).
	unplacedLast := func(e *config.Error) int {
		if e.Line == 0 {
			return 1
		}
		return 0
	}
	slices.SortStableFunc(out.Errors, func(a, b *config.Error) int {
		return cmp.Or(cmp.Compare(unplacedLast(a), unplacedLast(b)), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return &InFile{Where: where, List: out}
}

// blockMap locates the bytes of a block scalar's value in the document:
// the value's line i starts at byte starts[i] of the value and at column
// indent+1 of document line line0+i.
type blockMap struct {
	starts []int
	texts  []string
	line0  int
	indent int
}

// at returns the document's line and column of byte off of the value.
func (m *blockMap) at(off int) (line, col int) {
	best := 0
	for i, s := range m.starts {
		if s <= off {
			best = i
		}
	}
	return m.line0 + best, m.indent + min(max(off-m.starts[best], 0), len(m.texts[best])) + 1
}

// blockText rebuilds the block scalar n (the value of key) from the
// document's lines, with literal or folded line breaks, and returns the map
// of its bytes when that is want (up to trailing line breaks, which
// chomping decides); nil for any other scalar or on any doubt.
func (d *yamlDoc) blockText(key, n *yaml.Node, want string) *blockMap {
	if n.Style != yaml.LiteralStyle && n.Style != yaml.FoldedStyle || n.Line < 1 || n.Line > len(d.lines) {
		return nil
	}
	header := d.lines[n.Line-1]
	if n.Column-1 >= len(header) {
		return nil
	}
	indent := 0
	for _, c := range header[n.Column:] {
		if c >= '1' && c <= '9' {
			indent = key.Column - 1 + int(c-'0') // relative to the key's own indentation
		} else if c != '-' && c != '+' {
			break
		}
	}
	m := &blockMap{line0: n.Line + 1}
	for _, l := range d.lines[n.Line:] {
		l = strings.TrimSuffix(l, "\r")
		spaces := len(l) - len(strings.TrimLeft(l, " "))
		if spaces == len(l) { // an empty line: what it has beyond the indentation is text
			if indent > 0 && len(l) > indent {
				l = l[indent:]
			} else {
				l = ""
			}
			m.texts = append(m.texts, l)
			continue
		}
		if indent == 0 {
			if spaces <= key.Column-1 {
				break
			}
			indent = spaces // the first line of text sets it
		}
		if spaces < indent {
			break
		}
		m.texts = append(m.texts, l[indent:])
	}
	m.indent = indent
	var b strings.Builder
	m.starts = make([]int, len(m.texts))
	started, prevSpaced, empties := false, false, 0
	for i, t := range m.texts {
		if n.Style == yaml.LiteralStyle {
			m.starts[i] = b.Len()
			b.WriteString(t + "\n")
			continue
		}
		if t == "" {
			if started {
				empties++
			} else {
				b.WriteByte('\n')
			}
			m.starts[i] = b.Len()
			continue
		}
		spaced := t[0] == ' ' || t[0] == '\t'
		switch {
		case !started:
		case !prevSpaced && !spaced && empties == 0:
			b.WriteByte(' ')
		case !prevSpaced && !spaced:
			b.WriteString(strings.Repeat("\n", empties))
		default:
			b.WriteString(strings.Repeat("\n", empties+1))
		}
		m.starts[i] = b.Len()
		b.WriteString(t)
		started, prevSpaced, empties = true, spaced, 0
	}
	if strings.TrimRight(b.String(), "\n") != strings.TrimRight(want, "\n") {
		return nil
	}
	return m
}

// lineStarts returns the offset at which each line of s starts.
func lineStarts(s string) []int {
	starts := []int{0}
	for i := range len(s) {
		if s[i] == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// placeFields places the unknown fields of a Kubernetes object at their
// keys, in the file's order; one not found in the YAML stays after where,
// without a place.
func (d *yamlDoc) placeFields(where string, ferrs []fieldError) []error {
	var placed []*Placed
	var rest []error
	for _, fe := range ferrs {
		if d.root != nil {
			if _, key, all := find(d.root, fe.steps); all && key != nil {
				placed = append(placed, &Placed{Line: key.Line + d.first, Column: key.Column, Msg: fe.msg})
				continue
			}
		}
		rest = append(rest, fmt.Errorf("%s: %s", where, fe.msg))
	}
	slices.SortStableFunc(placed, func(a, b *Placed) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	out := make([]error, 0, len(ferrs))
	for _, p := range placed {
		out = append(out, p)
	}
	return append(out, rest...)
}

// steps leads to a setting of the filter: drop steps off Steps' end (2:
// the plugin's config; 6: the HTTP connection manager), then follow more.
func (f Filter) steps(drop int, more []any) []any {
	if len(f.Steps) < drop {
		return nil
	}
	return append(slices.Clip(f.Steps[:len(f.Steps)-drop]), more...)
}

// deployError is a finding of CheckDeployment, with the steps to the
// setting it is about (nil: none in the file).
type deployError struct {
	msg   string
	steps []any
}

func (e *deployError) Error() string { return e.msg }

// placeSetting places a CheckDeployment finding at its setting, or at the
// deepest key on the way when the setting is missing (where to write it).
func (d *yamlDoc) placeSetting(err error) error {
	de, ok := err.(*deployError)
	if !ok || de.steps == nil || d == nil || d.root == nil {
		return err
	}
	n, key, _ := find(d.root, de.steps)
	if key != nil {
		n = key
	}
	if n == d.root {
		return err
	}
	return &Placed{Line: n.Line + d.first, Column: n.Column, Msg: de.msg}
}

// sortPlaced puts the *Placed errors of errs first, in the file's order;
// the others keep theirs, after them.
func sortPlaced(errs []error) {
	pos := func(e error) (int, int) {
		if p, ok := e.(*Placed); ok {
			return p.Line, p.Column
		}
		return math.MaxInt, 0
	}
	slices.SortStableFunc(errs, func(a, b error) int {
		al, ac := pos(a)
		bl, bc := pos(b)
		return cmp.Or(cmp.Compare(al, bl), cmp.Compare(ac, bc))
	})
}

// Placed is an error of an Envoy or Kubernetes file at a line and column
// of that file.
type Placed struct {
	Line, Column int
	Msg          string
}

func (e *Placed) Error() string {
	return e.Msg + " (line " + strconv.Itoa(e.Line) + ", column " + strconv.Itoa(e.Column) + ")"
}

// protoPlace matches the place protojson gives, in the JSON validate made
// of the YAML: a place the operator has never seen. (protobuf-go writes a
// space or, at random, a no-break space after "proto:".)
var protoPlace = regexp.MustCompile(`^proto:[ \x{00a0}]\(line (\d+):(\d+)\):[ \x{00a0}]`)

// placeProto turns a protojson error about the JSON made of the YAML data
// into one at the YAML's line and column: the JSON's place gives the path
// (keys and indexes), and the path the YAML node (the key of an unknown
// field), with a did-you-mean for an unknown field or enum name. Any doubt
// leaves err as it is.
func placeProto(err error, data []byte, first int, md protoreflect.MessageDescriptor) error {
	msg := err.Error()
	sm := protoPlace.FindStringSubmatch(msg)
	if sm == nil {
		return err
	}
	line, _ := strconv.Atoi(sm[1])
	col, _ := strconv.Atoi(sm[2])
	js, jerr := sigsyaml.YAMLToJSON(data)
	if jerr != nil {
		return err
	}
	// protojson counts lines, and runes within the line.
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(js[off:], '\n')
		if i < 0 {
			return err
		}
		off += i + 1
	}
	for r := 1; r < col && off < len(js); r++ {
		_, size := utf8.DecodeRune(js[off:])
		off += size
	}
	tree, perr := jsonx.Parse(js, jsonx.Limits{})
	doc := parseYAMLDoc(data, first)
	if perr != nil || doc.root == nil {
		return err
	}
	steps, atKey := pathAt(&tree, off)
	n, key, all := find(doc.root, steps)
	if !all || len(steps) == 0 {
		return err
	}
	if atKey && key != nil {
		n = key
	}
	return &Placed{Line: n.Line + first, Column: n.Column, Msg: msg[len(sm[0]):] + protoHint(md, &tree, steps, atKey)}
}

// pathAt returns the path of the JSON token at byte off of the document v,
// and whether it is a member's key.
func pathAt(v *jsonx.Value, off int) (steps []any, atKey bool) {
	for v.Offset != off {
		switch v.Kind {
		case jsonx.KindObject:
			var best *jsonx.Member
			for i := range v.Members {
				if v.Members[i].Offset <= off {
					best = &v.Members[i]
				}
			}
			if best == nil {
				return steps, false
			}
			steps = append(steps, best.Key)
			if best.Value.Offset > off { // the key, or between it and its value
				return steps, true
			}
			v = &best.Value
		case jsonx.KindArray:
			best := -1
			for i := range v.Items {
				if v.Items[i].Offset <= off {
					best = i
				}
			}
			if best < 0 {
				return steps, false
			}
			steps = append(steps, best)
			v = &v.Items[best]
		default:
			return steps, false
		}
	}
	return steps, false
}
