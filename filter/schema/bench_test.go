package schema

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/jsonx/jsonxtest"
)

// benchSchemas is a realistic API model for the benchmark document: a page
// of users, every member declared, with formats, patterns, bounds and an
// enum.
const benchSchemas = `{
 "Page": {"type": "object", "required": ["meta", "data"], "properties": {
   "meta": {"type": "object", "properties": {
     "request_id": {"type": "string", "format": "uuid"}, "page": {"type": "integer", "minimum": 1},
     "per_page": {"type": "integer", "maximum": 1000}, "total": {"type": "integer", "minimum": 0},
     "ratio": {"type": "number"}, "next": {"type": ["string", "null"]}}},
   "data": {"type": "array", "maxItems": 1000, "items": {"$ref": "#/schemas/User"}}}},
 "User": {"type": "object", "required": ["id", "name", "email"], "properties": {
   "id": {"type": "integer", "minimum": 1}, "uuid": {"type": "string", "maxLength": 64},
   "name": {"type": "string", "maxLength": 200}, "email": {"type": "string", "format": "email"},
   "active": {"type": "boolean"}, "score": {"type": "number", "minimum": 0, "multipleOf": 0.01},
   "balance": {"type": "number"}, "tags": {"type": "array", "maxItems": 10, "items": {"type": "string"}},
   "bio": {"type": "string"}, "address": {"$ref": "#/schemas/Address"},
   "prefs": {"type": "object", "properties": {"lang": {"type": "string", "pattern": "^[a-z]{2}$"},
     "tz": {"type": "string"}, "notify": {"type": "array", "items": {"type": "object",
       "properties": {"kind": {"enum": ["email", "sms", "push"]}, "on": {"type": "boolean"}}}}}},
   "password": {"type": "string", "writeOnly": true},
   "note": {"type": ["string", "null"]}}},
 "Address": {"type": "object", "properties": {"street": {"type": "string"}, "city": {"type": "string"},
   "zip": {"type": "string", "pattern": "^[0-9]{5}$"},
   "geo": {"type": "object", "properties": {"lat": {"type": "number", "minimum": -90, "maximum": 90},
     "lng": {"type": "number", "minimum": -180, "maximum": 180}}}}}
}`

var benchLimits = jsonx.Limits{MaxDepth: 32, MaxKeys: 1000, MaxArrayItems: 1000, MaxStringBytes: 65536}

func benchSetup(b testing.TB) (Schema, []byte) {
	set := mustSet(b, benchSchemas)
	return mustSchema(b, set, "Page"), jsonxtest.Users(64 << 10)
}

func TestBenchDocument_valid(t *testing.T) {
	sc, doc := benchSetup(t)
	if len(doc) < 60<<10 || !json.Valid(doc) {
		t.Fatalf("document of %d bytes", len(doc))
	}
	var v Validator
	for _, mode := range []Mode{Request, Response} {
		res, err := v.Validate(sc, doc, Options{Mode: mode, Limits: benchLimits})
		if err != nil || !res.Valid || len(res.Drops) != 0 {
			t.Fatalf("mode %d: %v %v %v", mode, err, res.Violations, res.Drops)
		}
	}
}

// TestValidate_noAllocations: a warm Validator allocates nothing for a
// valid body, in either mode.
func TestValidate_noAllocations(t *testing.T) {
	sc, doc := benchSetup(t)
	var v Validator
	for _, mode := range []Mode{Request, Response} {
		o := Options{Mode: mode, Limits: benchLimits}
		v.Validate(sc, doc, o)
		allocs := testing.AllocsPerRun(10, func() {
			if res, err := v.Validate(sc, doc, o); err != nil || !res.Valid {
				t.Fatal(err, res.Violations)
			}
		})
		if allocs != 0 {
			t.Errorf("mode %d: %.1f allocations per 64 KiB body", mode, allocs)
		}
		// A response records a place per member; a valid request
		// hardly any (lazy places, docs/schemas.md "Cost and caps").
		least := len(doc)
		if mode == Request {
			least = 1
		}
		if n := v.ScratchBytes(); n < least || n > 64*len(doc) {
			t.Errorf("mode %d: %d bytes of scratch for %d bytes", mode, n, len(doc))
		}
	}
}

func BenchmarkSchema_jsonOnly64K(b *testing.B) {
	_, doc := benchSetup(b)
	var jv jsonx.Validator
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if err := jv.Validate(doc, benchLimits); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSchema_request64K(b *testing.B) {
	sc, doc := benchSetup(b)
	var v Validator
	o := Options{Limits: benchLimits}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if res, err := v.Validate(sc, doc, o); err != nil || !res.Valid {
			b.Fatal(err)
		}
	}
}

func BenchmarkSchema_response64K(b *testing.B) {
	sc, doc := benchSetup(b)
	var v Validator
	o := Options{Mode: Response, Limits: benchLimits}
	out := make([]byte, 0, len(doc))
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := v.Validate(sc, doc, o)
		if err != nil || !res.Valid {
			b.Fatal(err)
		}
		out = AppendProjected(out[:0], doc, res.Drops)
	}
}

// BenchmarkSchema_ratio64K times jsonx validation and schema validation of the
// same body alternately and reports schema/jsonx (docs/schemas.md's goal: ≤ 1.5).
func BenchmarkSchema_ratio64K(b *testing.B) {
	sc, doc := benchSetup(b)
	var v Validator
	var jv jsonx.Validator
	o := Options{Limits: benchLimits}
	var tj, ts time.Duration
	for b.Loop() {
		t0 := time.Now()
		if err := jv.Validate(doc, benchLimits); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := v.Validate(sc, doc, o); err != nil {
			b.Fatal(err)
		}
		tj += t1.Sub(t0)
		ts += time.Since(t1)
	}
	b.ReportMetric(float64(ts)/float64(tj), "x-jsonx")
}
