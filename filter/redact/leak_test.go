package redact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/apiguard/apiguard/filter/config"
)

// The leak oracle reads a rewritten document three ways, independently of
// jsonx: with gjson (every member ForEach sees, so every copy of a
// duplicate), with encoding/json into maps (last copy wins) and with an
// encoding/json token walk that keeps the first copy. Under each reading,
// no value may remain at a redacted path or under a redacted key (or, with
// mask, only the mask string may), and with allow nothing may remain
// outside the allowed paths.

// tree is a reading of a document: objects are []kv (in document order
// where the reading keeps it), arrays []any, scalars their JSON text.
type kv struct {
	key string
	val any
}

type scalar string // a scalar's JSON text, for strings the decoded value quoted

func gjsonTree(r gjson.Result) any {
	switch {
	case r.IsObject():
		var m []kv
		r.ForEach(func(k, v gjson.Result) bool {
			m = append(m, kv{k.String(), gjsonTree(v)})
			return true
		})
		return m
	case r.IsArray():
		a := []any{}
		r.ForEach(func(_, v gjson.Result) bool {
			a = append(a, gjsonTree(v))
			return true
		})
		return a
	case r.Type == gjson.String:
		return scalar(quote(r.String()))
	}
	return scalar(r.Raw)
}

func lastWinsTree(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := []kv{}
		for k, e := range x {
			m = append(m, kv{k, lastWinsTree(e)})
		}
		return m
	case []any:
		a := []any{}
		for _, e := range x {
			a = append(a, lastWinsTree(e))
		}
		return a
	case string:
		return scalar(quote(x))
	case nil:
		return scalar("null")
	}
	return scalar(fmt.Sprint(v))
}

// firstWinsTree decodes with encoding/json's tokenizer and keeps the first
// copy of a duplicate member, as gjson's Get and jsonparser do.
func firstWinsTree(doc []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	v, err := firstWinsValue(d)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data: %v", err)
	}
	return v, nil
}

func firstWinsValue(d *json.Decoder) (any, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch x := tok.(type) {
	case json.Delim:
		if x == '[' {
			a := []any{}
			for d.More() {
				v, err := firstWinsValue(d)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			_, err := d.Token()
			return a, err
		}
		m := []kv{}
		seen := map[string]bool{}
		for d.More() {
			kt, err := d.Token()
			if err != nil {
				return nil, err
			}
			k := kt.(string)
			v, err := firstWinsValue(d)
			if err != nil {
				return nil, err
			}
			if !seen[k] {
				seen[k] = true
				m = append(m, kv{k, v})
			}
		}
		_, err := d.Token()
		return m, err
	case string:
		return scalar(quote(x)), nil
	case nil:
		return scalar("null"), nil
	}
	return scalar(fmt.Sprint(tok)), nil
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// readings returns the three trees of doc.
func readings(t testing.TB, doc []byte) map[string]any {
	t.Helper()
	if !gjson.ValidBytes(doc) {
		t.Fatalf("gjson: output is not valid: %s", doc)
	}
	var last any
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber() // 1e400 is valid JSON, not a float64
	if err := d.Decode(&last); err != nil {
		t.Fatalf("encoding/json: output is not valid: %v: %s", err, doc)
	}
	first, err := firstWinsTree(doc)
	if err != nil {
		t.Fatalf("first-wins: output is not valid: %v: %s", err, doc)
	}
	return map[string]any{
		"gjson":      gjsonTree(gjson.ParseBytes(doc)),
		"last-wins":  lastWinsTree(last),
		"first-wins": first,
	}
}

// checkNoLeak fails t when any reading of out shows a value the response
// rules should have removed, masked or left out.
func checkNoLeak(t testing.TB, r *config.Response, out []byte) {
	t.Helper()
	if r == nil {
		return
	}
	mask := ""
	masking := r.Redact != nil && r.Redact.Action == config.RedactMask
	if masking {
		mask = quote(r.Redact.Mask)
	}
	for name, tree := range readings(t, out) {
		if r.Redact != nil {
			for _, k := range r.Redact.Keys {
				walkMembers(tree, func(key string, v any) {
					if strings.EqualFold(key, k) && (!masking || v != scalar(mask)) {
						t.Errorf("%s: key %q (rule %q) still holds %v in %s", name, key, k, v, out)
					}
				})
			}
			for _, p := range r.Redact.Paths {
				for _, v := range at(tree, p.Segments) {
					if !masking || v != scalar(mask) {
						t.Errorf("%s: path %s still holds %v in %s", name, p.Raw, v, out)
					}
				}
			}
		}
		if len(r.Allow) > 0 {
			checkAllowed(t, name, tree, r.Allow, nil, scalar(mask), out)
		}
	}
}

// walkMembers calls f for every object member at any depth.
func walkMembers(v any, f func(string, any)) {
	switch x := v.(type) {
	case []kv:
		for _, m := range x {
			f(m.key, m.val)
			walkMembers(m.val, f)
		}
	case []any:
		for _, e := range x {
			walkMembers(e, f)
		}
	}
}

// at returns every value at the path, with key segments compared under
// simple case folding as redact does (stronger than an exact reading).
func at(v any, segs []config.Segment) []any {
	if len(segs) == 0 {
		return []any{v}
	}
	var out []any
	s := segs[0]
	switch x := v.(type) {
	case []kv:
		if !s.Each {
			for _, m := range x {
				if strings.EqualFold(m.key, s.Key) {
					out = append(out, at(m.val, segs[1:])...)
				}
			}
		}
	case []any:
		if s.Each {
			for _, e := range x {
				out = append(out, at(e, segs[1:])...)
			}
		}
	}
	return out
}

// checkAllowed checks that everything in v lies on one of the allow paths
// (prefix is where v sits); projection compares keys exactly.
// A mask string may stand anywhere: redact runs after allow and replaces
// whole values, containers included.
func checkAllowed(t testing.TB, name string, v any, allow []config.ResponsePath, prefix []config.Segment, mask scalar, out []byte) {
	t.Helper()
	var live []config.ResponsePath // the paths going on below prefix
	for _, p := range allow {
		if len(p.Segments) < len(prefix) || !samePrefix(p.Segments, prefix) {
			continue
		}
		if len(p.Segments) == len(prefix) {
			return // a path ends here: everything below is kept
		}
		live = append(live, p)
	}
	switch x := v.(type) {
	case []kv:
		for _, m := range x {
			seg := config.Segment{Key: m.key}
			if !continues(live, prefix, seg) {
				t.Errorf("%s: member %q at %v is outside allow in %s", name, m.key, prefix, out)
				continue
			}
			checkAllowed(t, name, m.val, allow, append(prefix[:len(prefix):len(prefix)], seg), mask, out)
		}
	case []any:
		seg := config.Segment{Each: true}
		if len(x) > 0 && !continues(live, prefix, seg) {
			t.Errorf("%s: array at %v is outside allow in %s", name, prefix, out)
			return
		}
		for _, e := range x {
			checkAllowed(t, name, e, allow, append(prefix[:len(prefix):len(prefix)], seg), mask, out)
		}
	default:
		if len(prefix) == 0 && x == scalar("null") || mask != "" && x == mask {
			return // the top level that did not fit, or a masked value
		}
		t.Errorf("%s: scalar %v at %v where allow goes on in %s", name, x, prefix, out)
	}
}

func samePrefix(p, prefix []config.Segment) bool {
	for i := range prefix {
		if p[i] != prefix[i] {
			return false
		}
	}
	return true
}

func continues(live []config.ResponsePath, prefix []config.Segment, seg config.Segment) bool {
	for _, p := range live {
		if p.Segments[len(prefix)] == seg {
			return true
		}
	}
	return false
}
