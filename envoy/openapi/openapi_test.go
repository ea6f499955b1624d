package openapi

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/envoy/validate"
	"github.com/apiguard/apiguard/filter/plugin"
	"github.com/apiguard/apiguard/filter/proxy"
)

// The OpenAPI examples of testdata/ (from OAI/OpenAPI-Specification,
// Apache-2.0, see testdata/LICENSE).

// exampleOverlay maps every security scheme of the examples to an API-key
// provider and writes hold_headers.
const exampleOverlay = `{"config": {"hold_headers": true, "providers": {"keys": {"api_keys": {"keys": []}}}},
  "security": {"bearerAuth": ["keys"]}}`

func generate(t *testing.T, file, overlay string, opt Options) ([]byte, []Finding) {
	t.Helper()
	spec, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ov, err := ParseOverlay([]byte(overlay))
	if err != nil {
		t.Fatal(err)
	}
	out, findings, err := Generate(spec, ov, opt)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return out, findings
}

// TestOpenAPI_examples: each example generates a configuration the module
// starts with, or reports precisely why not; twice the same bytes.
func TestOpenAPI_examples(t *testing.T) {
	files, _ := filepath.Glob("testdata/v3.*/*.yaml")
	if len(files) != 8 {
		t.Fatalf("%d examples", len(files))
	}
	// What each example cannot express, by the start of the error.
	wantErrors := map[string]string{
		// Only webhooks: nothing to route, so the configuration has neither
		// routes nor default.
		"webhook-example.yaml": "error: paths: no operation: the configuration would refuse every request with 404",
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			out, findings := generate(t, f, exampleOverlay, Options{})
			for _, fd := range findings {
				t.Log(fd)
			}
			if want, ok := wantErrors[filepath.Base(f)]; ok {
				found := false
				for _, fd := range findings {
					found = found || strings.HasPrefix(fd.String(), want)
				}
				if out != nil || !found {
					t.Fatalf("want the error %q, got %v", want, findings)
				}
				return
			}
			if out == nil {
				t.Fatalf("no configuration: %v", findings)
			}
			if _, errs := validate.File(f+".json", out); len(errs) > 0 {
				t.Fatalf("the module does not start with it: %v\n%s", errs, out)
			}
			again, _ := generate(t, f, exampleOverlay, Options{})
			if !bytes.Equal(out, again) {
				t.Fatal("two runs gave different bytes")
			}
		})
	}
}

// TestOpenAPI_petstore pins the mapping of petstore-expanded: base path,
// literal segments before templates, schemas from components and inline
// bodies, response schemas per status.
func TestOpenAPI_petstore(t *testing.T) {
	out, findings := generate(t, "testdata/v3.0/petstore-expanded.yaml", exampleOverlay, Options{})
	if out == nil {
		t.Fatal(findings)
	}
	var cfg struct {
		Schemas map[string]any `json:"schemas"`
		Routes  []struct {
			Name  string `json:"name"`
			Match struct {
				Path    string   `json:"path"`
				Methods []string `json:"methods"`
			} `json:"match"`
			Request  map[string]any `json:"request"`
			Response map[string]any `json:"response"`
		} `json:"routes"`
	}
	if err := json.Unmarshal(out, &cfg); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range cfg.Routes {
		got = append(got, r.Name+" "+r.Match.Methods[0]+" "+r.Match.Path)
	}
	want := []string{"findPets GET /v2/pets", "addPet POST /v2/pets", "find_pet_by_id GET /v2/pets/{id}", "deletePet DELETE /v2/pets/{id}"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("routes\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, name := range []string{"Pet", "NewPet", "Error", "findPets.200"} {
		if cfg.Schemas[name] == nil {
			t.Errorf("schema %s missing; have %v", name, keys(cfg.Schemas))
		}
	}
	if js, _ := json.Marshal(cfg.Routes[1].Request); string(js) != `{"json":{"required":true,"schema":"NewPet"}}` {
		t.Errorf("addPet request %s", js)
	}
	if js, _ := json.Marshal(cfg.Routes[1].Response); string(js) != `{"schemas":{"200":"Pet","default":"Error"}}` {
		t.Errorf("addPet response %s", js)
	}
	// petstore-expanded has no security: every operation is reported.
	n := 0
	for _, f := range findings {
		if strings.Contains(f.Msg, "no security") {
			n++
		}
	}
	if n != 4 {
		t.Errorf("%d operations reported without security, want 4", n)
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestOpenAPI_massAssignment: the generated policy, run by the plugin,
// refuses what the document does not allow and passes what it
// documents, and projects responses onto their schemas.
func TestOpenAPI_massAssignment(t *testing.T) {
	out, findings := generate(t, "testdata/v3.0/petstore-expanded.yaml", exampleOverlay, Options{})
	if out == nil {
		t.Fatal(findings)
	}
	e, err := host.New(host.Config{PluginName: "apiguard", RootID: "apiguard", VMID: "apiguard", PluginConfig: out, Workers: 1,
		AllowOnHeadersStopIteration: true}, func(h proxy.Host) (proxy.Handler, error) { return plugin.New(h), nil })
	if err != nil {
		t.Fatal(err)
	}
	vm := e.Worker(0)
	pet := func(host.UpstreamRequest) host.Response {
		return host.Response{Status: 200, Headers: []proxy.Pair{{Key: "content-type", Value: "application/json"}},
			Body: []byte(`{"id":1,"name":"Rex","tag":"dog","owner_email":"a@b.example"}`)}
	}
	for _, c := range []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/v2/pets", `{"name":"Rex","tag":"dog"}`, 200},
		{"POST", "/v2/pets", `{"name":"Rex","is_admin":true}`, 400},
		{"POST", "/v2/pets", `{"name":"Rex","NAME":"x"}`, 400},
		{"POST", "/v2/pets", `{"tag":"dog"}`, 400},
		{"POST", "/v2/pets", `{"name":7}`, 400},
		{"GET", "/v2/pets/1", ``, 200},
		{"PUT", "/v2/pets/1", `{"name":"Rex"}`, 405},
		{"GET", "/v2/owners", ``, 404},
	} {
		r := vm.RoundTrip(host.Request{Method: c.method, Path: c.path, Body: []byte(c.body),
			Headers: []proxy.Pair{{Key: "content-type", Value: "application/json"}}}, pet)
		if r.Downstream.Status != c.want {
			t.Errorf("%s %s %s: %d (%s), want %d", c.method, c.path, c.body, r.Downstream.Status, r.Downstream.LocalReply, c.want)
		}
		if c.want == 200 && c.method == "GET" && string(r.Downstream.Body) != `{"id":1,"name":"Rex","tag":"dog"}` {
			t.Errorf("%s %s: body %s, want the projection onto Pet", c.method, c.path, r.Downstream.Body)
		}
	}
}

// TestOpenAPI_findings: what the generator cannot express is an error by
// OpenAPI path and prints nothing; conversions are warnings.
func TestOpenAPI_findings(t *testing.T) {
	doc := func(body string) []byte {
		return []byte(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"servers":[{"url":"https://api.example.com/v2"}],` + body + `}`)
	}
	ov, _ := ParseOverlay([]byte(`{"config":{"hold_headers":true,"providers":{"keys":{"api_keys":{"keys":[]}}}},"security":{"key":["keys"]},"public":["getThing"]}`))
	tests := []struct {
		name, body, want string
		isErr            bool
	}{
		{"partial template", `"paths":{"/files/{name}.{ext}":{"get":{"responses":{"200":{"description":"ok"}}}}}`,
			`error: paths["/files/{name}.{ext}"]: a template that is only part of a segment`, true},
		{"two schemes at once", `"components":{"securitySchemes":{"key":{"type":"apiKey","in":"header","name":"x-key"},"b":{"type":"http","scheme":"bearer"}}},` +
			`"paths":{"/a":{"get":{"security":[{"key":[],"b":[]}],"responses":{"200":{"description":"ok"}}}}}`,
			`error: paths["/a"].get.security[0]: an alternative needing several schemes at once (b, key)`, true},
		{"unmapped scheme", `"components":{"securitySchemes":{"b":{"type":"http","scheme":"bearer"}}},` +
			`"paths":{"/a":{"get":{"security":[{"b":[]}],"responses":{"200":{"description":"ok"}}}}}`,
			`error: paths["/a"].get.security[0]: security scheme "b" has no providers`, true},
		{"unsupported keyword", `"components":{"schemas":{"T":{"type":"object","propertyNames":{"maxLength":3}}}},"paths":{"/a":{"get":{"operationId":"getThing","responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"$ref":"#/components/schemas/T"}}}}}}}}`,
			`error: components.schemas.T: the generated configuration does not load: schemas.T.propertyNames: unsupported keyword`, true},
		{"boolean exclusiveMinimum", `"components":{"schemas":{"T":{"type":"integer","minimum":0,"exclusiveMinimum":true}}},"paths":{"/a":{"get":{"operationId":"getThing","responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"$ref":"#/components/schemas/T"}}}}}}}}`,
			`warning: components.schemas.T.exclusiveMinimum: converted OpenAPI 3.0's exclusiveMinimum: true with minimum`, false},
		{"$ref siblings", `"components":{"schemas":{"U":{"type":"string"},"T":{"properties":{"u":{"$ref":"#/components/schemas/U","description":"d","maxLength":3}}}}},"paths":{"/a":{"get":{"operationId":"getThing","responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"$ref":"#/components/schemas/T"}}}}}}}}`,
			`warning: components.schemas.T.properties.u: OpenAPI 3.0 ignores the keywords beside a $ref; dropped: description, maxLength`, false},
		{"mixed media", `"paths":{"/a":{"post":{"operationId":"getThing","requestBody":{"content":{"application/json":{"schema":{"type":"object"}},"application/x-www-form-urlencoded":{"schema":{"type":"object"}}}},"responses":{"200":{"description":"ok"}}}}}`,
			`warning: paths["/a"].post.requestBody.content: the operation also accepts media types other than JSON`, false},
		{"no security", `"paths":{"/b":{"get":{"responses":{"200":{"description":"ok"}}}},"/c":{"get":{"operationId":"getThing","responses":{"200":{"description":"ok"}}}}}`,
			`warning: paths["/b"].get: no security`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := doc(tt.body)
			if tt.name == "unsupported keyword" {
				spec = bytes.Replace(spec, []byte(`"3.0.3"`), []byte(`"3.1.0"`), 1)
			}
			out, findings, err := Generate(spec, ov, Options{})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, f := range findings {
				found = found || strings.HasPrefix(f.String(), tt.want)
			}
			if !found {
				t.Errorf("want %q among %v", tt.want, findings)
			}
			if (out == nil) != tt.isErr {
				t.Errorf("output %s with findings %v", out, findings)
			}
		})
	}
}

// TestOpenAPI_overlay: config's routes first, its fields merged, an
// operation patched by operationId, -base-path, scopes as a claims rule.
func TestOpenAPI_overlay(t *testing.T) {
	ov := `{"config": {"hold_headers": false, "providers": {"keys": {"api_keys": {"keys": []}}},
	   "routes": [{"name": "health", "match": {"path": "/healthz"}}]},
	  "security": {"bearerAuth": ["keys"]}, "scope_claim": {"keys": "perms"},
	  "operations": {"GET /users": {"rate_limits": [{"name": "u", "key": "ip", "limit": 5, "window": "1m"}]}}}`
	out, findings := generate(t, "testdata/v3.1/non-oauth-scopes.yaml", ov, Options{BasePath: "/v1/", BasePathSet: true})
	if out == nil {
		t.Fatal(findings)
	}
	var cfg map[string]any
	if err := json.Unmarshal(out, &cfg); err != nil {
		t.Fatal(err)
	}
	routes, _ := json.Marshal(cfg["routes"])
	want := `[{"match":{"path":"/healthz"},"name":"health"},{"auth":{"claims":[{"claim":"perms","contains":["public","read:users"]}],"providers":["keys"]},` +
		`"match":{"methods":["GET"],"path":"/v1/users"},"name":"GET.users","rate_limits":[{"key":"ip","limit":5,"name":"u","window":"1m"}]}]`
	if string(routes) != want {
		t.Errorf("routes\n%s\nwant\n%s", routes, want)
	}
	if cfg["hold_headers"] != false {
		t.Errorf("hold_headers %v", cfg["hold_headers"])
	}
}
