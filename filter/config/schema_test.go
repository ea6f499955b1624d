package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The published JSON Schema (envoy/schema/apiguard.schema.json, for editors
// and CI) is kept equal to this parser where JSON Schema can say it: every
// document the parser's tests refuse, the schema refuses too, except for
// the checks listed in beyondSchema; envoy/schema checks that it accepts
// every shipped example.

const schemaPath = "../../envoy/schema/apiguard.schema.json"

func loadSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("apiguard.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("apiguard.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// schemaAccepts reports whether the schema accepts doc; ok is false when
// doc is not JSON the validator can read.
func schemaAccepts(s *jsonschema.Schema, doc string) (accepted, ok bool) {
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
	if err != nil {
		return false, false
	}
	return s.Validate(inst) == nil, true
}

// beyondSchema are the parser's checks JSON Schema cannot state, by a
// piece of their message: references between fields and uniqueness across
// the document (after the parser's normalisation: case, percent-decoding),
// numbers compared with other fields, the route table's reachability,
// integers written with a fraction or exponent (JSON Schema's integer
// accepts 1.0), ports and default ports inside origins, and names that are
// only spaces once percent-decoded. A case the schema accepts whose
// message matches none of these fails the test: tighten the schema.
var beyondSchema = []string{
	"invalid JSON", "configuration is empty", // not JSON
	"duplicate", "same hash as", "same authority as", "is the authority itself", "is already set from claim",
	"unknown provider", "is not a parameter of", "which has no parameters", "needs a top-level",
	"one prefix starts the other", "never passes", "no provider reads", "is where provider", "reads its credential from this query parameter",
	"max_stale_seconds", "must be after", "must be greater than zero",
	"request can reach this route",
	"must be an integer, not",
	"must omit the default port", "has an invalid port",
	"must be a query parameter name",
}

func TestSchema_invalid(t *testing.T) {
	s := loadSchema(t)
	var cases []struct{ name, doc, want string }
	cases = append(cases, parseErrorCases()...)
	cases = append(cases, errorOrderCases()...)
	for _, c := range didYouMeanCases() {
		cases = append(cases, struct{ name, doc, want string }{c.want, c.doc, c.want})
	}
	docs, _ := filepath.Glob("testdata/errors/*.json")
	for _, d := range docs {
		data, err := os.ReadFile(d)
		if err != nil {
			t.Fatal(err)
		}
		_, perr := Parse(data)
		cases = append(cases, struct{ name, doc, want string }{d, string(data), perr.Error()})
	}
	var beyond int
	for _, tc := range cases {
		if _, err := Parse([]byte(tc.doc)); err == nil {
			t.Fatalf("%s: the parser accepts it", tc.name)
		}
		accepted, ok := schemaAccepts(s, tc.doc)
		if !ok || !accepted {
			continue
		}
		known := false
		for _, b := range beyondSchema {
			known = known || strings.Contains(tc.want, b)
		}
		if !known {
			t.Errorf("%s: the schema accepts what the parser refuses: %s\n%s", tc.name, tc.want, tc.doc)
		}
		beyond++
	}
	t.Logf("%d invalid documents, %d refused by the parser only (checks beyond JSON Schema)", len(cases), beyond)
}

// TestSchema_valid: documents the parser accepts, the schema accepts.
func TestSchema_valid(t *testing.T) {
	s := loadSchema(t)
	docs := []string{withJWKS(""), withKeys("[]"), withRoute(""), withTop(""),
		`{"providers":{"p":{"api_keys":{"keys":{"env":"KEYS"}}}},"rate_limit_service":{"cluster":"c","domain":"d","hash_secret":{"env":"S"}},"default":{}}`}
	data, err := os.ReadFile("testdata/design-example.json")
	if err != nil {
		t.Fatal(err)
	}
	docs = append(docs, string(data))
	for _, doc := range docs {
		if _, _, err := ParseWithPlaceholders([]byte(doc), func(string) (string, bool) { return "", false }); err != nil {
			t.Fatalf("the parser refuses %s: %v", doc, err)
		}
		if accepted, _ := schemaAccepts(s, doc); !accepted {
			inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(doc))
			t.Errorf("the schema refuses %s:\n%v", doc, s.Validate(inst))
		}
	}
}
