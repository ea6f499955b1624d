package e2e

import (
	"strconv"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/policy"
	"github.com/apiguard/apiguard/filter/reqcheck"
)

// benchSchemaConfig: "schema" validates benchOrder's body against a
// realistic schema (formats, patterns, bounds, multipleOf, an enum,
// uniqueItems, nullable members, $refs, undeclared members refused);
// "limits" applies the same JSON limits without a schema. The difference
// is the schema's cost (docs/schemas.md "Cost and caps"; the goal is at
// most 1.5 times the limits alone).
const benchSchemaConfig = `{
  "schemas": {
    "OrderCreate": {"type": "object", "required": ["customer", "items"], "properties": {
      "customer": {"$ref": "#/schemas/Customer"},
      "items": {"type": "array", "minItems": 1, "maxItems": 1000, "items": {"$ref": "#/schemas/Line"}},
      "comment": {"type": "string", "maxLength": 500}}},
    "Customer": {"type": "object", "required": ["id", "email"], "properties": {
      "id": {"type": "integer", "minimum": 1}, "email": {"type": "string", "format": "email"},
      "vip": {"type": "boolean"}, "note": {"type": ["string", "null"], "maxLength": 200}}},
    "Line": {"type": "object", "required": ["sku", "qty", "price"], "properties": {
      "sku": {"type": "string", "pattern": "^SKU-[0-9]{1,6}$"},
      "name": {"type": "string", "minLength": 1, "maxLength": 100},
      "qty": {"type": "integer", "minimum": 1, "maximum": 999},
      "price": {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.01},
      "gift": {"type": "boolean"},
      "tags": {"type": "array", "maxItems": 10, "uniqueItems": true, "items": {"type": "string", "maxLength": 32}},
      "meta": {"type": "object", "properties": {
        "warehouse": {"enum": ["W0", "W1", "W2", "W3"]}, "lot": {"type": ["string", "null"]}}}}}
  },
  "routes": [
    {"name": "schema", "match": {"prefix": "/schema"}, "request": {"max_body_bytes": 131072,
      "json": {"required": true, "max_depth": 16, "max_keys": 1000, "max_array_items": 1000, "max_string_bytes": 8192,
               "schema": "OrderCreate"}}},
    {"name": "limits", "match": {"prefix": "/limits"}, "request": {"max_body_bytes": 131072,
      "json": {"required": true, "max_depth": 16, "max_keys": 1000, "max_array_items": 1000, "max_string_bytes": 8192}}}
  ]}`

// BenchmarkSchema_body64K posts benchOrder's 64 KiB body. Natively it measures
// step 12's check with the schema (reqcheck.BodySchema) and without
// (reqcheck.CheckBody with the same limits), and their ratio measured in
// one loop in thread CPU time (x-limits, steady on a loaded machine);
// then whole round trips through the native plugin
// and the .wasm for each route, and the ratio of the two routes measured
// alternately in one loop (x-limits: the schema route's thread CPU time
// over the limits route's, request to answer).
func BenchmarkSchema_body64K(b *testing.B) {
	doc := benchOrder(64 << 10)
	cfg, err := config.Parse([]byte(withHoldHeaders([]byte(benchSchemaConfig), true)))
	if err != nil {
		b.Fatal(err)
	}
	pol, err := policy.Compile(cfg)
	if err != nil {
		b.Fatal(err)
	}
	bs := pol.Route(0).BodySchema
	lim := cfg.Routes[1].Policy.Request.JSON.Limits()
	// The checks measured refuse what they must: the schema a line with
	// qty 0 or an undeclared member, both a truncated document.
	if f, _ := bs.Check(doc, nil); f != reqcheck.OK {
		b.Fatalf("the benchmark document fails its schema: %v", f)
	}
	for _, bad := range [][]byte{
		[]byte(`{"customer":{"id":1,"email":"a@b.example"},"items":[{"sku":"SKU-1","qty":0,"price":1.5}]}`),
		[]byte(`{"customer":{"id":1,"email":"a@b.example","role":"admin"},"items":[{"sku":"SKU-1","qty":1,"price":1.5}]}`),
		doc[:len(doc)-1],
	} {
		if f, _ := bs.Check(bad, nil); f == reqcheck.OK {
			b.Fatalf("the schema passes %.60s", bad)
		}
	}
	if reqcheck.CheckBody(doc[:len(doc)-1], lim, nil, reqcheck.KeysFold) == reqcheck.OK {
		b.Fatal("the limits pass a truncated document")
	}
	b.Run("check_limits", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			if f := reqcheck.CheckBody(doc, lim, nil, reqcheck.KeysFold); f != reqcheck.OK {
				b.Fatal(f)
			}
		}
	})
	b.Run("check_schema", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			if f, _ := bs.Check(doc, nil); f != reqcheck.OK {
				b.Fatal(f)
			}
		}
	})
	b.Run("check_ratio", func(b *testing.B) {
		defer lockThread()()
		var tl, ts time.Duration
		for b.Loop() {
			t0 := threadCPU()
			reqcheck.CheckBody(doc, lim, nil, reqcheck.KeysFold)
			t1 := threadCPU()
			bs.Check(doc, nil)
			tl += t1 - t0
			ts += threadCPU() - t1
		}
		b.ReportMetric(float64(ts)/float64(tl), "x-limits")
	})
	benchGuests(b, func(b *testing.B, g guest) {
		e := start(b, g, benchSchemaConfig)
		vm := e.Worker(0)
		up := func(host.UpstreamRequest) host.Response { return defaultResponse }
		reqs := map[string]host.Request{}
		for _, route := range []string{"schema", "limits"} {
			req := host.Request{Method: "POST", Path: "/" + route, Body: doc,
				Headers: headers("content-type", "application/json", "content-length", strconv.Itoa(len(doc)))}
			if r := vm.RoundTrip(req, up); r.Downstream.Status != 200 || len(r.Upstream.Body) != len(doc) {
				b.Fatalf("%s: status %d (%q), upstream saw %d of %d bytes", route, r.Downstream.Status, r.Downstream.LocalReply, len(r.Upstream.Body), len(doc))
			}
			reqs[route] = req
		}
		// The schema route refuses a line with an undeclared member.
		badDoc := []byte(`{"customer":{"id":1,"email":"a@b.example"},"items":[{"sku":"SKU-1","qty":1,"price":1.5,"discount":100}]}`)
		bad := host.Request{Method: "POST", Path: "/schema", Body: badDoc,
			Headers: headers("content-type", "application/json", "content-length", strconv.Itoa(len(badDoc)))}
		if r := vm.RoundTrip(bad, up); r.Downstream.Status != 400 {
			b.Fatalf("an undeclared member: status %d", r.Downstream.Status)
		}
		for _, route := range []string{"schema", "limits"} {
			b.Run(route, func(b *testing.B) {
				req := reqs[route]
				b.SetBytes(int64(len(doc)))
				b.ReportAllocs()
				for b.Loop() {
					if r := vm.RoundTrip(req, up); r.Downstream.Status != 200 {
						b.Fatalf("status %d", r.Downstream.Status)
					}
				}
			})
		}
		b.Run("ratio", func(b *testing.B) {
			defer lockThread()()
			var tl, ts time.Duration
			for b.Loop() {
				t0 := threadCPU()
				vm.RoundTrip(reqs["limits"], up)
				t1 := threadCPU()
				vm.RoundTrip(reqs["schema"], up)
				tl += t1 - t0
				ts += threadCPU() - t1
			}
			b.ReportMetric(float64(ts)/float64(tl), "x-limits")
		})
	})
}
