package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/envoy/openapi"
	"github.com/apiguard/apiguard/filter/proxy"
)

// The OpenAPI examples of envoy/openapi/testdata (OAI/OpenAPI-Specification,
// Apache-2.0, see that directory's LICENSE), run end to end: the generator's
// configuration started in the emulator, natively and as the .wasm, in both
// header modes; requests built from each operation (its documented examples,
// else a body generated from the schema the configuration enforces) pass,
// and their mutations are refused with the reason docs/responses.md gives.

// oaiKey is the API key every security scheme of the examples maps to; its
// claims carry the scopes non-oauth-scopes asks for.
const oaiKey = "oai-example-key"

func oaiOverlay(hold bool) string {
	sum := sha256.Sum256([]byte(oaiKey))
	return `{"config": {"hold_headers": ` + strconv.FormatBool(hold) + `, "providers": {"keys": {"api_keys": {"keys": [{"id": "oai", "sha256": "` + hex.EncodeToString(sum[:]) +
		`", "claims": {"sub": "oai", "scope": "public read:users"}}]}}}}, "security": {"bearerAuth": ["keys"]}}`
}

// oaiInline is not one of the examples: it holds what they lack (a
// readOnly member, additionalProperties, documented body examples, formats
// and bounds), so that every kind of case below runs at least once.
const oaiInline = `openapi: 3.0.3
info: {title: inline, version: "1"}
servers: [{url: "https://api.example.com/api/"}]
security: [{bearerAuth: []}]
paths:
  /items:
    post:
      operationId: addItem
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Item"}
            examples:
              small: {value: {name: ab, qty: 1}}
              full: {value: {name: abcdefgh, qty: 9, kind: b, created: "2026-12-07T10:00:00Z", tags: [x]}}
      responses:
        "201": {description: created}
  /items/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: integer, minimum: 1}}
    get:
      responses:
        "200": {description: ok}
  /items/{id}/meta:
    put:
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}, example: 42}
      requestBody:
        content:
          application/json:
            example: {note: hello, colour: red}
            schema:
              type: object
              required: [note]
              properties:
                note: {type: string, maxLength: 20}
              additionalProperties: {type: string}
      responses:
        "204": {description: stored}
components:
  securitySchemes:
    bearerAuth: {type: http, scheme: bearer}
  schemas:
    Item:
      type: object
      required: [name, qty]
      properties:
        id: {type: integer, readOnly: true}
        name: {type: string, minLength: 2, maxLength: 8}
        qty: {type: integer, minimum: 1, maximum: 10}
        kind: {type: string, enum: [a, b]}
        created: {type: string, format: date-time}
        tags: {type: array, minItems: 1, items: {type: string}}
`

// oaiCase is one request and what the client must get.
type oaiCase struct {
	kind         string // counted in the log
	method, path string
	body         []byte
	status       int    // 0: anything that is neither 404 nor 405 nor a refusal
	reason       string // the local reply's details, "" for the upstream's answer
}

// oaiOp is one operation of the document with its generated route.
type oaiOp struct {
	method, path string // path as documented, base path included
	op           map[string]any
	params       []any
	route        oaiRoute
}

type oaiRoute struct {
	Name  string `json:"name"`
	Match struct {
		Path    string   `json:"path"`
		Methods []string `json:"methods"`
	} `json:"match"`
	Request struct {
		JSON *struct {
			Schema   string `json:"schema"`
			Required bool   `json:"required"`
		} `json:"json"`
	} `json:"request"`
	Response struct {
		Schemas map[string]string `json:"schemas"`
	} `json:"response"`
	Auth any `json:"auth"`
}

// TestOpenAPIExamples_requests: every example either generates a
// configuration whose requests behave as the document says, or fails with
// the precise report of what it cannot express.
func TestOpenAPIExamples_requests(t *testing.T) {
	files, _ := filepath.Glob("../envoy/openapi/testdata/v3.*/*.yaml")
	if len(files) != 8 {
		t.Fatalf("%d examples, want 8", len(files))
	}
	wantReport := map[string]string{
		"webhook-example.yaml": "error: paths: no operation: the configuration would refuse every request with 404",
	}
	// wantWarnings are the parts of a document that generate no check,
	// each reported precisely.
	wantWarnings := map[string][]string{
		"callback-example.yaml": {`warning: paths["/streams"].post.callbacks: callbacks are requests the API sends, not ones it receives: no route is generated for them`},
		"uspto.yaml":            {`warning: paths["/{dataset}/{version}/records"].post.requestBody.content: no JSON media type with a schema: the body is not checked`},
		"webhook-example.yaml":  {`warning: webhooks: webhooks are requests the API sends, not ones it receives: no route is generated for them`},
	}
	// wantBodies pins how many operations have a JSON request body, so
	// that a generator change that drops one cannot pass unseen.
	wantBodies := map[string]int{"petstore.yaml": 1, "petstore-expanded.yaml": 1}
	overlays := map[bool]*openapi.Overlay{}
	for _, hold := range []bool{true, false} {
		ov, err := openapi.ParseOverlay([]byte(oaiOverlay(hold)))
		if err != nil {
			t.Fatal(err)
		}
		overlays[hold] = ov
	}
	docs := []struct {
		name string
		spec []byte
	}{{"inline-mass-assignment.yaml", []byte(oaiInline)}}
	wantBodies["inline-mass-assignment.yaml"] = 2
	for _, f := range files {
		spec, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, struct {
			name string
			spec []byte
		}{filepath.Base(f), spec})
	}
	for _, d := range docs {
		name, spec := d.name, d.spec
		out, findings, err := openapi.Generate(spec, overlays[true], openapi.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// The same document for a host that cannot hold headers (noHold).
		outNoHold, _, _ := openapi.Generate(spec, overlays[false], openapi.Options{})
		for _, w := range wantWarnings[name] {
			if !slices.ContainsFunc(findings, func(f openapi.Finding) bool { return f.String() == w }) {
				t.Errorf("%s: want the report %q among %v", name, w, findings)
			}
		}
		if want, ok := wantReport[name]; ok {
			var got []string
			for _, fd := range findings {
				if fd.Error {
					got = append(got, fd.String())
				}
			}
			if out != nil || len(got) != 1 || got[0] != want {
				t.Errorf("%s: want only the error %q and no configuration, got %q (output %d bytes)", name, want, got, len(out))
			}
			t.Logf("%s: no configuration, reported: %s", name, want)
			continue
		}
		if out == nil {
			t.Errorf("%s: no configuration: %v", name, findings)
			continue
		}
		cases, bodies := oaiCases(t, name, spec, out)
		if bodies != wantBodies[name] {
			t.Errorf("%s: %d operations with a JSON request body, want %d", name, bodies, wantBodies[name])
		}
		counts := map[string]int{}
		for _, c := range cases {
			counts[c.kind]++
		}
		t.Logf("%s: %d cases per run %v", name, len(cases), counts)
		t.Run(name, func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				for _, mode := range []struct {
					name string
					cfg  []byte
					opts []envoyOpt
				}{{"hold", out, nil}, {"noHold", outNoHold, []envoyOpt{noHold()}}} {
					t.Run(mode.name, func(t *testing.T) {
						vm := start(t, g, string(mode.cfg), mode.opts...).Worker(0)
						for _, c := range cases {
							oaiRun(t, vm, c)
						}
					})
				}
			})
		})
	}
}

func oaiRun(t *testing.T, vm *host.VM, c oaiCase) {
	t.Helper()
	hs := []proxy.Pair{{Key: "authorization", Value: "Bearer " + oaiKey}}
	if c.body != nil {
		hs = append(hs, proxy.Pair{Key: "content-type", Value: "application/json"})
	}
	r := vm.RoundTrip(host.Request{Method: c.method, Path: c.path, Body: c.body, Headers: hs}, func(host.UpstreamRequest) host.Response {
		return host.Response{Status: 204}
	})
	d := r.Downstream
	switch {
	case c.status == 0:
		if d.Status == 404 || d.Status == 405 || d.LocalReply != "" || !r.UpstreamCalled {
			t.Errorf("%s %s %s %s: %d %q, want it routed to the upstream", c.kind, c.method, c.path, c.body, d.Status, d.LocalReply)
		}
	case d.Status != c.status || d.LocalReply != c.reason:
		t.Errorf("%s %s %s %s: %d %q, want %d %q", c.kind, c.method, c.path, c.body, d.Status, d.LocalReply, c.status, c.reason)
	case c.reason == "" && (!r.UpstreamCalled || string(r.Upstream.Body) != string(c.body)):
		t.Errorf("%s %s %s %s: the upstream got %q", c.kind, c.method, c.path, c.body, r.Upstream.Body)
	case c.reason != "" && r.UpstreamCalled:
		t.Errorf("%s %s %s %s: refused, yet the upstream was called", c.kind, c.method, c.path, c.body)
	}
}
