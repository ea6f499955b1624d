package config

import (
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// Every error names its JSON path, exhaustively: every node of docs/configuration.md's example configuration (and of an
// inline-JWKS variant of its provider) is replaced, one at a time, by a
// value of the wrong JSON type, and every object gets an unknown field.
// Each mutated document must be refused with an *Error whose Path is
// exactly that node's path, so no field kind can lose its path.

// auditNode is one node of a decoded document with its rendered path.
type auditNode struct {
	path string
	set  func(v any) // replaces the node in the document
	val  any
}

// freeForm are nodes whose content is any JSON value by design (claims of
// an API key, an equals operand, an inline JWKS whose content the plugin
// validates when it compiles the key set): only their own type is checked,
// not their children.
var freeForm = map[string]bool{
	"providers.partners.api_keys.keys[0].claims": true,
	"routes[0].auth.claims[2].equals":            true,
	"providers.idp.jwks":                         true,
}

// mapNodes are objects whose member names are chosen by the operator
// (providers by name, claims_to_headers by claim): an extra member is
// not an unknown field.
var mapNodes = map[string]bool{
	"providers":                            true,
	"providers.idp.claims_to_headers":      true,
	"providers.partners.claims_to_headers": true,
}

func auditPath(parent, key string, index int) string {
	if index >= 0 {
		return parent + "[" + strconv.Itoa(index) + "]"
	}
	if !jsonx.SimpleKey(key) {
		return parent + "[" + strconv.Quote(key) + "]"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// collect lists every node below v (v itself excluded).
func collect(v any, parent string, out *[]auditNode) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := auditPath(parent, k, -1)
			*out = append(*out, auditNode{path: p, val: x[k], set: func(nv any) { x[k] = nv }})
			if !freeForm[p] {
				collect(x[k], p, out)
			}
		}
	case []any:
		for i := range x {
			p := auditPath(parent, "", i)
			*out = append(*out, auditNode{path: p, val: x[i], set: func(nv any) { x[i] = nv }})
			collect(x[i], p, out)
		}
	}
}

// wrongType is a value of another JSON type than v.
func wrongType(v any) any {
	switch v.(type) {
	case string:
		return 12345
	case float64:
		return "x"
	case bool:
		return "x"
	case []any:
		return map[string]any{}
	case map[string]any:
		return []any{}
	}
	return 1
}

func auditDocs(t *testing.T) map[string][]byte {
	t.Helper()
	example := readExample(t)
	var doc map[string]any
	if err := json.Unmarshal(example, &doc); err != nil {
		t.Fatal(err)
	}
	idp := doc["providers"].(map[string]any)["idp"].(map[string]any)
	delete(idp, "remote_jwks")
	idp["jwks"] = map[string]any{"keys": []any{map[string]any{"kty": "RSA"}}}
	inline, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{"remote": example, "inline": inline}
}

func TestConfigErrors_everyNodeNamesItsPath(t *testing.T) {
	for variant, base := range auditDocs(t) {
		t.Run(variant, func(t *testing.T) {
			if _, err := Parse(base); err != nil {
				t.Fatalf("the unmutated document is refused: %v", err)
			}
			var probe any
			if err := json.Unmarshal(base, &probe); err != nil {
				t.Fatal(err)
			}
			var nodes []auditNode
			collect(probe, "", &nodes)
			for i := range nodes {
				path := nodes[i].path
				// Wrong type (an equals operand may be any JSON value).
				if !strings.HasSuffix(path, ".equals") {
					mutate(t, base, i, func(n auditNode) { n.set(wrongType(n.val)) }, path, "wrong type")
				}
				// Unknown field in an object.
				if _, ok := nodes[i].val.(map[string]any); ok && !freeForm[path] && !mapNodes[path] {
					mutate(t, base, i, func(n auditNode) {
						m := n.val.(map[string]any)
						m["zz_unknown"] = 1
					}, path, "unknown field")
				}
			}
			// An unknown top-level field names the document.
			var top map[string]any
			json.Unmarshal(base, &top)
			top["zz_unknown"] = true
			b, _ := json.Marshal(top)
			expectPath(t, b, "$", "unknown top-level field")
		})
	}
}

// mutate re-decodes base, applies f to its i-th node and checks the error.
func mutate(t *testing.T, base []byte, i int, f func(auditNode), path, what string) {
	t.Helper()
	var doc any
	if err := json.Unmarshal(base, &doc); err != nil {
		t.Fatal(err)
	}
	var nodes []auditNode
	collect(doc, "", &nodes)
	f(nodes[i])
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	expectPath(t, b, path, what)
}

func expectPath(t *testing.T, doc []byte, path, what string) {
	t.Helper()
	_, err := Parse(doc)
	if err == nil {
		t.Errorf("%s at %s: accepted", what, path)
		return
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Errorf("%s at %s: error %v is not a *config.Error", what, path, err)
		return
	}
	if ce.Path != path {
		t.Errorf("%s at %s: error names %q (%v)", what, path, ce.Path, err)
	}
	if strings.ContainsAny(ce.Msg, "\n\r") {
		t.Errorf("%s at %s: message spans lines: %q", what, path, ce.Msg)
	}
}
