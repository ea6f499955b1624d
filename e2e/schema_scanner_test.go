package e2e

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
)

// The scanner's share of schema validation (docs/schemas.md "Cost and
// caps", second round): members whose type is their only check and scalar
// items of such arrays produce no token, found names are tallied by the
// scanner, and container members open their plan straight from the walk.
// Through the module the verdicts and pointers stay those of the full
// walk: a type-only member of the wrong type, an item after quiet items,
// a required name among quiet members, an escaped name, a nested plan,
// and containers whose place is recorded only when something inside or
// at their close fails (lazy places, a request's plain plans).
const scannerSchemas = `{
  "Q": {"type": "object", "required": ["s", "n"], "maxProperties": 4,
    "properties": {"s": {"type": "string"}, "n": {"type": ["number", "null"]}, "b": {"type": "boolean"},
      "tags": {"type": "array", "items": {"type": "string"}},
      "list": {"type": "array", "items": {"type": "object", "required": ["x"], "properties": {"x": {"type": "integer"}}}},
      "o": {"type": "object", "required": ["r"], "properties": {"r": {"type": "integer"},
        "p": {"type": "object", "properties": {"z": {"type": "integer", "minimum": 1}}}}}}}
}`

func TestSchema_typeOnlyMembersThroughTheScanner(t *testing.T) {
	cases := []struct {
		name, body string
		status     int
		errors     string // errors of the 400 (validation_details)
	}{
		{"valid", `{"s":"x","n":null,"b":true,"tags":["a","b"]}`, 200, ""},
		{"type-only members of the wrong type", `{"s":1,"n":"1"}`, 400,
			`[{"pointer":"/s","rule":"type"},{"pointer":"/n","rule":"type"}]`},
		{"an item after quiet items", `{"s":"x","n":1,"tags":["a","b",3]}`, 400, `[{"pointer":"/tags/2","rule":"type"}]`},
		{"a required name among quiet members", `{"s":"x","b":false}`, 400, `[{"pointer":"","rule":"required"}]`},
		{"maxProperties counts quiet members", `{"s":"x","n":1,"b":true,"tags":[],"list":[]}`, 400,
			`[{"pointer":"","rule":"maxProperties"}]`},
		{"an escaped name", `{"\u0073":2,"n":1}`, 400, `[{"pointer":"/s","rule":"type"}]`},
		{"a nested plan", `{"s":"x","n":1,"list":[{"x":1},{"x":"2"},{}]}`, 400,
			`[{"pointer":"/list/1/x","rule":"type"},{"pointer":"/list/2","rule":"required"}]`},
		{"lazy places, valid", `{"s":"x","n":1,"o":{"r":1,"p":{"z":2}}}`, 200, ""},
		{"lazy places, a failure three levels down", `{"s":"x","n":1,"o":{"r":1,"p":{"z":0}}}`, 400,
			`[{"pointer":"/o/p/z","rule":"minimum"}]`},
		{"lazy places, required at a close and an undeclared member inside", `{"s":"x","n":1,"o":{"p":{"y":1}}}`, 400,
			`[{"pointer":"/o","rule":"required"},{"pointer":"/o/p/y","rule":"not-allowed"}]`},
	}
	for _, m := range holdModes {
		cfg := `{"hold_headers": ` + fmt.Sprint(m.hold) + `, "errors": {"validation_details": true},
  "schemas": ` + scannerSchemas + `,
  "routes": [{"name": "q", "match": {"path": "/q", "methods": ["POST"]}, "request": {"json": {"schema": "Q"}}}]}`
		t.Run(m.name, func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				e := start(t, g, cfg, m.opts...)
				up := func(host.UpstreamRequest) host.Response { return defaultResponse }
				for _, tc := range cases {
					d := e.Worker(0).RoundTrip(jpost("/q", tc.body), up).Downstream
					if d.Status != tc.status {
						t.Errorf("%s: status %d (%s), want %d", tc.name, d.Status, d.LocalReply, tc.status)
						continue
					}
					if tc.status != 400 {
						continue
					}
					var doc map[string]json.RawMessage
					if err := json.Unmarshal(d.Body, &doc); err != nil {
						t.Fatalf("%s: body %s: %v", tc.name, d.Body, err)
					}
					if got := string(doc["errors"]); got != tc.errors {
						t.Errorf("%s: errors\n got %s\nwant %s", tc.name, got, tc.errors)
					}
				}
			})
		})
	}
}
