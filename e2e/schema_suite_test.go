package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/schema"
)

// The JSON Schema Test Suite, draft 2020-12 (filter/schema/testdata/suite,
// MIT, see its LICENSE), through the whole filter: each group's schema is a
// route's request.json.schema with undeclared "allow" and
// case_sensitive_keys (plain JSON Schema semantics), each case a POST
// whose verdict (200 or 400) must be the suite's. A group the schema
// compiler refuses must keep the plugin from starting, never be accepted
// and ignored. filter/schema's TestSuite_conformance classifies the groups
// independently of the compiler; here the compiler's verdict is the
// reference and the module must agree with it.

type suiteCase struct {
	file, group, desc string
	data              json.RawMessage
	valid             bool
}

type suiteSchema struct {
	file, group string
	schema      json.RawMessage
	cases       []suiteCase
}

// loadSuite reads the suite files the schema package runs, split into the
// groups that compile and those that do not.
func loadSuite(t *testing.T) (supported, refused []suiteSchema) {
	t.Helper()
	dir := filepath.Join("..", "filter", "schema", "testdata", "suite")
	var files []string
	for _, pat := range []string{"*.json", "optional/*.json", "optional/format/*.json"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 40 {
		t.Fatalf("only %d suite files in %s", len(files), dir)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var groups []struct {
			Description string          `json:"description"`
			Schema      json.RawMessage `json:"schema"`
			Tests       []struct {
				Description string          `json:"description"`
				Data        json.RawMessage `json:"data"`
				Valid       bool            `json:"valid"`
			} `json:"tests"`
		}
		if err := json.Unmarshal(data, &groups); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		name, _ := filepath.Rel(dir, f)
		for _, g := range groups {
			s := suiteSchema{file: name, group: g.Description, schema: g.Schema}
			for _, tc := range g.Tests {
				s.cases = append(s.cases, suiteCase{file: name, group: g.Description, desc: tc.Description, data: tc.Data, valid: tc.Valid})
			}
			if _, err := schema.CompileJSON([]byte(`{"T":` + string(g.Schema) + `}`)); err != nil {
				refused = append(refused, s)
			} else {
				supported = append(supported, s)
			}
		}
	}
	return supported, refused
}

// suiteBatch is how many groups one configuration holds (one route each),
// well under the 10,000-subschema cap of a set.
const suiteBatch = 60

func TestSchema_suiteThroughTheModule(t *testing.T) {
	supported, refused := loadSuite(t)
	if len(supported) < 150 || len(refused) < 150 {
		t.Fatalf("%d groups compile, %d do not: the suite is incomplete", len(supported), len(refused))
	}
	each(t, func(t *testing.T, g guest) {
		passed := 0
		for lo := 0; lo < len(supported); lo += suiteBatch {
			batch := supported[lo:min(lo+suiteBatch, len(supported))]
			var schemas, routes []string
			for i, s := range batch {
				schemas = append(schemas, fmt.Sprintf(`"g%d": %s`, i, s.schema))
				routes = append(routes, fmt.Sprintf(`{"name": "g%d", "match": {"path": "/g%d"}, "request": {"max_body_bytes": 1048576, "json": {"schema": "g%d", "undeclared": "allow", "case_sensitive_keys": true}}}`, i, i, i))
			}
			e := start(t, g, `{"schemas": {`+strings.Join(schemas, ",")+`}, "routes": [`+strings.Join(routes, ",")+`]}`)
			vm := e.Worker(0)
			up := func(host.UpstreamRequest) host.Response { return defaultResponse }
			for i, s := range batch {
				for _, c := range s.cases {
					d := vm.RoundTrip(post(fmt.Sprintf("/g%d", i), string(c.data), "content-type", "application/json"), up).Downstream
					want := 400
					if c.valid {
						want = 200
					}
					if d.Status != want {
						t.Errorf("%s / %s / %s: status %d (%s), want %d", c.file, c.group, c.desc, d.Status, d.LocalReply, want)
						continue
					}
					if !c.valid && d.LocalReply != "apiguard_json_schema" && d.LocalReply != "apiguard_json_schema_not_allowed" {
						t.Errorf("%s / %s / %s: refused for %s, not for its schema", c.file, c.group, c.desc, d.LocalReply)
						continue
					}
					passed++
				}
			}
		}
		// Every group the compiler refuses keeps the plugin from starting.
		refusedCases := 0
		for i, s := range refused {
			refusedCases += len(s.cases)
			if testing.Short() && i%8 != 0 {
				continue // -short: a sample of the refused groups
			}
			cfg := `{"hold_headers": true, "schemas": {"g": ` + string(s.schema) + `}, "routes": [{"name": "g", "match": {"path": "/g"}, "request": {"json": {"schema": "g"}}}]}`
			if _, err := newEnvoyAsWritten(g, cfg); err == nil || !strings.Contains(err.Error(), "apiguard: config: schemas.g") {
				t.Errorf("%s / %s: the plugin started (or failed elsewhere: %v)", s.file, s.group, err)
			}
		}
		t.Logf("%s: %d suite groups run as routes, %d cases passed; %d groups (%d cases) refused at configure time", g.name, len(supported), passed, len(refused), refusedCases)
		if passed < 900 {
			t.Errorf("only %d cases passed", passed)
		}
	})
}
