package openapi

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestOverlay_findingsPlaced: every mistake of an overlay is reported in
// one run, each at its line and column in the overlay and with a
// suggestion where one is close: its own fields, the operations it names
// (against the document's operationIds and "METHOD /path" keys), and what
// its config and operations entries write (the policy parser's words).
func TestOverlay_findingsPlaced(t *testing.T) {
	petstore := filepath.Join("testdata", "v3.0", "petstore.yaml")
	for _, tc := range []struct {
		name, overlay string
		want          []string // "LINE:COL: PATH: MESSAGE" of each error
	}{
		{"unknown fields", `{"config": {"hold_headers": true, "rate_limitz": []},
 "operationz": {}}`, []string{
			`1:35: overlay.config: unknown field "rate_limitz" (did you mean "rate_limits" in "default" or a route?)`,
			`2:2: overlay.operationz: unknown field (did you mean "operations"?)`}},
		{"unknown operations", `{"config": {"hold_headers": true},
 "operations": {"listPetz": {}, "GET /petz": {}, "nothingLikeIt": {}},
 "public": ["showPetByID"]}`, []string{
			`2:17: overlay.operations.listPetz: no such operation (did you mean "listPets"?)`,
			`2:33: overlay.operations["GET /petz"]: no such operation (did you mean "GET /pets"?)`,
			`2:50: overlay.operations.nothingLikeIt: no such operation (an operationId or "METHOD /path")`,
			`3:13: overlay.public[0]: no such operation "showPetByID" (did you mean "showPetById"?)`}},
		{"typos inside config and an operation", `{"config": {"hold_headers": true,
  "default": {"rate_limitz": []},
  "routes": [{"match": {"path": "/x"}}]},
 "operations": {"listPets": {"enforce": "yes", "rate_limitz": []}}}`, []string{
			`2:15: overlay.config.default: unknown field "rate_limitz" (did you mean "rate_limits"?)`,
			`3:14: overlay.config.routes[0]: missing required field "name"`,
			`4:41: overlay.operations.listPets.enforce: must be a boolean, not a string`,
			`4:48: overlay.operations.listPets: unknown field "rate_limitz" (did you mean "rate_limits"?)`}},
		{"wrong types", `{"config": {"hold_headers": true}, "security": {"k": "p"},
 "public": "listPets", "scope_claim": {"p": 1}, "operations": {"listPets": []}}`, []string{
			`1:54: overlay.security.k: must be an array, not a string`,
			`2:12: overlay.public: must be an array, not a string`,
			`2:45: overlay.scope_claim.p: must be a string, not a number`,
			`2:76: overlay.operations.listPets: must be an object, not an array`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, findings := generate(t, petstore, tc.overlay, Options{})
			var got []string
			for _, f := range findings {
				if f.Error {
					got = append(got, fmt.Sprintf("%d:%d: %s: %s", f.Line, f.Column, f.Path, f.Msg))
				}
			}
			if out != nil || strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("errors\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestOverlay_notAnObject: an overlay that is not a JSON object stops
// there, with the place of the mistake.
func TestOverlay_notAnObject(t *testing.T) {
	for _, tc := range []struct{ overlay, want string }{
		{"{\"config\": {\"hold_headers\": true,}\n}", `1:34: overlay: invalid JSON: syntax error (expected object key)`},
		{`[1]`, `1:1: overlay: must be an object, not an array`},
		{" \n", `0:0: overlay: empty document`},
	} {
		_, err := ParseOverlay([]byte(tc.overlay))
		var oe *OverlayError
		if !errors.As(err, &oe) {
			t.Fatalf("%q: %v, want an *OverlayError", tc.overlay, err)
		}
		if got := fmt.Sprintf("%d:%d: %s: %s", oe.Line, oe.Column, oe.Path, oe.Msg); got != tc.want {
			t.Errorf("%q: %s, want %s", tc.overlay, got, tc.want)
		}
	}
}
