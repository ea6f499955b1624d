package config

import "testing"

// TestParse_errorOrder checks that every error is reported in document
// order, and that reference errors are looked for only once the structure
// is right.
func TestParse_errorOrder(t *testing.T) {
	for _, tc := range errorOrderCases() {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			if err == nil || err.Error() != tc.want {
				t.Errorf("error\n got: %v\nwant: %s", err, tc.want)
			}
		})
	}
}

// errorOrderCases are TestParse_errorOrder's documents and errors.
func errorOrderCases() []struct{ name, doc, want string } {
	tests := []struct {
		name string
		doc  string
		want string
	}{
		{
			"earlier route first",
			`{"routes":[{"name":"a","match":{"path":"/a"},"enforce":1},{"name":"b","match":{"pth":"/b"}}]}`,
			`routes[0].enforce: must be a boolean, not a number` + "\n" + `routes[1].match: unknown field "pth" (did you mean "path"?)`,
		},
		{
			"member order inside an object",
			`{"routes":[{"match":{"pth":"/b"},"name":1}]}`,
			`routes[0].match: unknown field "pth" (did you mean "path"?)` + "\n" + `routes[0].name: must be a string, not a number`,
		},
		{
			"top-level order",
			`{"hold_headers":1,"providers":[]}`,
			`hold_headers: must be a boolean, not a number` + "\n" + `providers: must be an object, not an array` + "\n" +
				`$: needs "routes" or "default" (without either, every request is refused with 404)`,
		},
		{
			"structural error after a dangling reference",
			`{"default":{"auth":{"providers":["nope"]}},"audit_log":"yes"}`,
			`audit_log: must be a boolean or an object, not a string`,
		},
		{
			"references in document order",
			`{"routes":[{"name":"r","match":{"path":"/"},"auth":{"providers":["b"]}}],"default":{"auth":{"providers":["a"]}}}`,
			`routes[0].auth.providers[0]: unknown provider "b"` + "\n" + `default.auth.providers[0]: unknown provider "a"`,
		},
		{
			"reference resolved by a later providers member",
			`{"default":{"auth":{"providers":["idp"]},"rate_limits":[{"name":"g","key":"ip","limit":1,"window":"1m","global":true}]},"providers":{` + jwtIdp + `}}`,
			`default.rate_limits[0].global: needs a top-level "rate_limit_service"`,
		},
	}
	return tests
}
