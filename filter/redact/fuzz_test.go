package redact

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jsonx"
)

// fuzzRules builds a rule set from '|'-separated lists; path entries that
// do not parse and empty or invalid keys are left out, as the
// configuration would refuse them.
func fuzzRules(allow, redactPaths, keys string, mask bool) *config.Response {
	r := &config.Response{}
	split := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, "|")
	}
	parse := func(s string) []config.ResponsePath {
		var out []config.ResponsePath
		for _, p := range split(s) {
			if rp, err := config.ParseResponsePath(p); err == nil && utf8.ValidString(p) {
				out = append(out, rp)
			}
		}
		return out
	}
	r.Allow = parse(allow)
	d := &config.Redact{Paths: parse(redactPaths), Action: config.RedactRemove, Mask: "****"}
	for _, k := range split(keys) {
		if k != "" && utf8.ValidString(k) {
			d.Keys = append(d.Keys, k)
		}
	}
	if mask {
		d.Action = config.RedactMask
	}
	if len(d.Paths) > 0 || len(d.Keys) > 0 {
		r.Redact = d
	}
	return r
}

// FuzzRedact_outputHoldsNoRedactedValue: for any input and rule set, Rewrite accepts exactly what
// jsonx accepts; for an accepted input the output is valid JSON under
// jsonx, encoding/json and gjson, and no reading of it (gjson, encoding/json
// last-wins, a first-wins walk) finds a value at a redacted path or under a
// redacted key (or anything but the mask, when masking), or anything
// outside allow; a second pass changes nothing; and the rules without
// their key tables give the same output.
func FuzzRedact_outputHoldsNoRedactedValue(f *testing.F) {
	seeds := []struct {
		doc                string
		allow, paths, keys string
		mask               bool
	}{
		{`{"data":[{"ssn":"1","name":"a"},{"ssn":2}],"password":"x"}`, "", "data.#.ssn", "password", false},
		{`{"data":[{"ssn":"1","name":"a"},{"ssn":2}],"password":"x"}`, "data.#.name|password", "", "SSN", true},
		{`{"p\u0061ssword":1,"PASSWORD":2,"\u212Aey":3}`, "", "", "password|key", false},
		{`{"a":1,"a":2}`, "", "a", "", false},
		{`[{"id":1,"x":[1,{"id":2}]},3,[]]`, "#.id|#.x.#.id", "#.x", "", true},
		{`{"a":{"b":{"c":[[{"d":1}]]}}}`, "a.b", "a.b.c.#.#.d", "d", false},
		{" { \"x\" : 1 , \"y\" : { \"x\" : [ ] } , \"z\" : 2 } ", "", "", "x", false},
		{`"top"`, "a", "", "", false},
		{`{"n":[1e400,-0,0.5E-3],"x":{}}`, "", "n.#", "x", true},
		{`{"a.b":{"#":1},"a":{"b":2}}`, "", `a\.b.\#|a.b`, "", false},
		{`{"x":1,}`, "", "", "x", false},
		{`{"o":{"Email":1,"e":{"TOKEN":[1],"x\u0041":2,"abcdefghijklmno":3,"ABCDEFGHIJKLMNOP":4}}}`, "", "o.email", "token|xa|abcdefghijklmno|abcdefghijklmnop", false},
	}
	for _, s := range seeds {
		f.Add([]byte(s.doc), s.allow, s.paths, s.keys, s.mask)
	}
	// The golden inputs are seeds too, with a mixed rule set.
	ins, _ := filepath.Glob("testdata/*.in.json")
	for _, in := range ins {
		if doc, err := os.ReadFile(in); err == nil && len(doc) < 4096 {
			f.Add(doc, "", "data.#.ssn|a.b|user.name", "password|token|x|v|secret", false)
		}
	}
	var w Rewriter
	f.Fuzz(func(t *testing.T, doc []byte, allow, redactPaths, keys string, mask bool) {
		r := fuzzRules(allow, redactPaths, keys, mask)
		rules := Compile(r)
		verr := jsonx.Validate(doc, Limits)
		out, st, err := w.Rewrite(rules, nil, doc)
		if (err == nil) != (verr == nil) {
			t.Fatalf("Rewrite error %v, Validate error %v", err, verr)
		}
		if err != nil {
			var je, ve *jsonx.Error
			if !errors.As(err, &je) || !errors.As(verr, &ve) || je.Reason != ve.Reason {
				t.Fatalf("Rewrite error %v, Validate error %v", err, verr)
			}
			if out != nil {
				t.Fatalf("refused input produced output")
			}
			return
		}
		if !gjson.ValidBytes(doc) {
			t.Fatalf("accepted an input gjson refuses: %q", doc)
		}
		if err := jsonx.Validate(out, jsonx.Limits{}); err != nil {
			t.Fatalf("output refused by jsonx (%v): %q -> %q", err, doc, out)
		}
		if !st.Changed && !bytes.Equal(out, doc) {
			t.Fatalf("Changed is false but the output differs")
		}
		checkNoLeak(t, r, out)
		again, _, err := w.Rewrite(rules, nil, out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("second pass changed %q into %q (%v)", out, again, err)
		}
		// The key tables are only a faster way to the same answers.
		slow, sst, err := w.Rewrite(withoutTables(rules), nil, doc)
		if err != nil || !bytes.Equal(slow, out) || sst != st {
			t.Fatalf("with key tables %q %+v, folding %q %+v (%v)", out, st, slow, sst, err)
		}
	})
}
