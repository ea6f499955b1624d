package schema

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The JSON Schema Test Suite, draft 2020-12 (testdata/suite, MIT; see its
// README). Run with undeclared members allowed and case-sensitive names,
// i.e. plain JSON Schema semantics: every case whose schema uses only the
// supported keywords passes, and every schema that uses anything else is
// refused when it compiles, never accepted and ignored.

type suiteGroup struct {
	Description string          `json:"description"`
	Schema      json.RawMessage `json:"schema"`
	Tests       []struct {
		Description string          `json:"description"`
		Data        json.RawMessage `json:"data"`
		Valid       bool            `json:"valid"`
	} `json:"tests"`
}

// supportedKeywords is docs/schemas.md's list, the annotations, and x-*.
var supportedKeywords = map[string]bool{
	"type": true, "properties": true, "required": true, "additionalProperties": true, "items": true,
	"enum": true, "const": true, "minimum": true, "maximum": true, "exclusiveMinimum": true,
	"exclusiveMaximum": true, "multipleOf": true, "minLength": true, "maxLength": true,
	"pattern": true, "format": true, "minItems": true, "maxItems": true, "uniqueItems": true,
	"minProperties": true, "maxProperties": true, "allOf": true, "anyOf": true, "oneOf": true,
	"not": true, "discriminator": true, "nullable": true, "readOnly": true, "writeOnly": true,
	"$defs": true, "$ref": true,
	"title": true, "description": true, "example": true, "examples": true, "default": true,
	"deprecated": true, "$comment": true, "$schema": true,
}

var lookAroundOrBackref = regexp.MustCompile(`\(\?<?[=!]|\\[1-9]|\\k<`)

// classify says independently of the compiler whether a schema stays in
// the supported subset: "" if it does, else why not. It walks only schema
// positions (not enum values or property names).
func classify(s any) string {
	switch s := s.(type) {
	case bool:
		return ""
	case map[string]any:
		keys := make([]string, 0, len(s))
		for k := range s {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := s[k]
			if !supportedKeywords[k] && !strings.HasPrefix(k, "x-") {
				return "unsupported keyword " + k
			}
			var why string
			switch k {
			case "properties", "$defs":
				m, _ := v.(map[string]any)
				for _, sub := range m {
					if why = classify(sub); why != "" {
						break
					}
				}
			case "additionalProperties", "not":
				why = classify(v)
			case "items":
				if _, ok := v.([]any); ok {
					return "array items"
				}
				why = classify(v)
			case "allOf", "anyOf", "oneOf":
				l, _ := v.([]any)
				for _, sub := range l {
					if why = classify(sub); why != "" {
						break
					}
				}
			case "$ref":
				r, _ := v.(string)
				if r != "#" && !strings.HasPrefix(r, "#/") {
					return "non-local $ref " + r
				}
			case "pattern":
				p, _ := v.(string)
				if lookAroundOrBackref.MatchString(p) {
					return "look-around or back-reference"
				}
			}
			if why != "" {
				return why
			}
		}
		return ""
	}
	return "not a schema"
}

// knownRefusals are supported-looking schemas the compiler refuses on
// purpose, by group description, with the docs/schemas.md reason.
var knownRefusals = map[string]string{
	// {"examples": [{"type": "string"}], "$ref": "#/examples/0"}: a $ref
	// may only name a subschema, and an annotation's value is data.
	"reference internals of known non-applicator": "a $ref into an annotation's value",
}

// suiteFile is one file of the suite: its name under testdata/suite and
// its groups.
type suiteFile struct {
	name   string
	groups []suiteGroup
}

// loadSuite reads every file of testdata/suite (with optional/ and
// optional/format/).
func loadSuite(t *testing.T) []suiteFile {
	t.Helper()
	files, err := filepath.Glob("testdata/suite/*.json")
	if err != nil {
		t.Fatal(err)
	}
	opt, _ := filepath.Glob("testdata/suite/optional/*.json")
	fmts, _ := filepath.Glob("testdata/suite/optional/format/*.json")
	files = append(append(files, opt...), fmts...)
	if len(files) < 40 {
		t.Fatalf("only %d suite files", len(files))
	}
	var out []suiteFile
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var groups []suiteGroup
		if err := json.Unmarshal(data, &groups); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		out = append(out, suiteFile{name: strings.TrimPrefix(file, "testdata/suite/"), groups: groups})
	}
	return out
}

func TestSuite_conformance(t *testing.T) {
	var v Validator
	var groupsRun, groupsRefused, casesPassed, casesRefused, refusedOK int
	for _, file := range loadSuite(t) {
		name := file.name
		for _, g := range file.groups {
			var parsed any
			if err := json.Unmarshal(g.Schema, &parsed); err != nil {
				t.Fatal(err)
			}
			why := classify(parsed)
			set, cerr := CompileJSON([]byte(`{"T":` + string(g.Schema) + `}`))
			if why != "" {
				groupsRefused++
				casesRefused += len(g.Tests)
				if cerr == nil {
					t.Errorf("%s / %s: %s, yet it compiled", name, g.Description, why)
				} else {
					refusedOK++
				}
				continue
			}
			if cerr != nil {
				if reason, ok := knownRefusals[g.Description]; ok {
					groupsRefused++
					casesRefused += len(g.Tests)
					t.Logf("%s / %s: refused (%s): %v", name, g.Description, reason, cerr)
					continue
				}
				t.Errorf("%s / %s: supported schema refused: %v", name, g.Description, cerr)
				continue
			}
			groupsRun++
			sc, _ := set.Lookup("T")
			for _, tc := range g.Tests {
				res, err := v.Validate(sc, tc.Data, Options{AllowUndeclared: true, CaseSensitive: true})
				if err != nil {
					t.Errorf("%s / %s / %s: %v", name, g.Description, tc.Description, err)
					continue
				}
				if res.Valid != tc.Valid {
					t.Errorf("%s / %s / %s: valid = %v, want %v (%v)", name, g.Description, tc.Description,
						res.Valid, tc.Valid, res.Violations)
					continue
				}
				casesPassed++
			}
		}
	}
	t.Logf("suite: %d groups run, %d cases passed; %d groups (%d cases) use unsupported keywords and were refused at compile time (%d checked)",
		groupsRun, casesPassed, groupsRefused, casesRefused, refusedOK)
	if casesPassed < 500 {
		t.Errorf("only %d cases passed", casesPassed)
	}
}
