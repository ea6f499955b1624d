package schema

import (
	"encoding/json"
	"strings"
	"testing"
)

// A schema met at the root, or through $ref, allOf, properties and items
// from there, applies unconditionally: the walk evaluates it by its plan
// (openPlan, closePlan). Under anyOf, oneOf or not it applies only if the
// branch is chosen, and the walk evaluates it as activations whose
// verdicts phase 2 resolves (open, finishLoc, resolve): a second evaluator
// of every keyword. TestSuite_conformance reaches it only where the suite
// itself uses combinators; here every supported group of the suite runs
// again under combinators, at the root, as an item and as a member, and
// must give the suite's verdict (inverted under not). Where two schemas
// apply unconditionally to one place, the walk uses activations too, with
// no phase 2.
var suiteWrappers = []struct {
	name   string
	schema string // %S is the suite's schema
	data   string // %D is the suite's instance
	invert bool
}{
	{"anyOf", `{"anyOf":[%S,false]}`, `%D`, false},
	{"oneOf", `{"oneOf":[false,%S]}`, `%D`, false},
	{"not", `{"not":%S}`, `%D`, true},
	{"notNot", `{"not":{"not":%S}}`, `%D`, false},
	{"itemUnderAnyOf", `{"anyOf":[{"items":%S},false]}`, `[%D]`, false},
	{"secondItemUnderOneOf", `{"oneOf":[{"type":"array","items":%S},false]}`, `[%D,%D]`, false},
	{"memberUnderAnyOf", `{"anyOf":[{"properties":{"m":%S}},false]}`, `{"m":%D}`, false},
	{"memberUnderNot", `{"not":{"properties":{"m":%S}}}`, `{"a":1,"m":%D}`, true},
	// Two unconditional schemas at one place: activations without edges
	// (activateCertain), not a merged plan.
	{"memberOfTwoBranches", `{"allOf":[{"properties":{"m":%S}},{"properties":{"m":%S}}]}`, `{"m":%D}`, false},
	{"itemOfTwoBranches", `{"allOf":[{"items":%S},{"items":%S}]}`, `[%D]`, false},
}

func TestSuite_underCombinators(t *testing.T) {
	var v Validator
	compared := map[string]int{}
	for _, file := range loadSuite(t) {
		for _, g := range file.groups {
			var parsed any
			if err := json.Unmarshal(g.Schema, &parsed); err != nil {
				t.Fatal(err)
			}
			// A $ref names a place from the suite's root, which the
			// wrapper moves.
			if classify(parsed) != "" || strings.Contains(string(g.Schema), `"$ref"`) {
				continue
			}
			if _, err := CompileJSON([]byte(`{"T":` + string(g.Schema) + `}`)); err != nil {
				continue // a known refusal, see TestSuite_conformance
			}
			for _, w := range suiteWrappers {
				src := strings.ReplaceAll(w.schema, "%S", string(g.Schema))
				set, err := CompileJSON([]byte(`{"T":` + src + `}`))
				if err != nil {
					t.Errorf("%s / %s under %s: refused: %v", file.name, g.Description, w.name, err)
					continue
				}
				sc := mustSchema(t, set, "T")
				for _, tc := range g.Tests {
					body := strings.ReplaceAll(w.data, "%D", string(tc.Data))
					res, err := v.Validate(sc, []byte(body), Options{AllowUndeclared: true, CaseSensitive: true})
					if err != nil {
						t.Errorf("%s / %s / %s under %s: %v", file.name, g.Description, tc.Description, w.name, err)
						continue
					}
					if want := tc.Valid != w.invert; res.Valid != want {
						t.Errorf("%s / %s / %s under %s: valid = %v, want %v (%v)", file.name, g.Description,
							tc.Description, w.name, res.Valid, want, res.Violations)
						continue
					}
					compared[w.name]++
				}
			}
		}
	}
	for _, w := range suiteWrappers {
		if compared[w.name] < 500 {
			t.Errorf("under %s: only %d cases passed", w.name, compared[w.name])
		}
	}
	t.Logf("cases passed per wrapper: %v", compared)
}
