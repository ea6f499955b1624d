package schema

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/apiguard/apiguard/filter/jsonx"
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

// benchDocument builds a page of users of about size bytes that satisfies
// benchSchemas (the same shape as jsonx's benchmark document).
func benchDocument(size int) []byte {
	seed := uint32(2463534242)
	rnd := func(n int) int {
		seed ^= seed << 13
		seed ^= seed >> 17
		seed ^= seed << 5
		return int(seed % uint32(n))
	}
	words := []string{"alpha", "beta", "gamma", "delta", "caf\\u00e9", "na\u00efve", "\u65e5\u672c",
		"line\\nbreak", "tab\\there", "quote\\\"d", "slash\\/", "plain"}
	b := []byte(`{"meta":{"request_id":"7f3c9a2e-1b4d-4e8f-9a6c-0d2e5f8b1c3a","page":1,` +
		`"per_page":100,"total":123456,"ratio":0.875,"next":null},"data":[`)
	for i := 0; len(b) < size-600; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		id := strconv.Itoa(100000 + i)
		b = append(b, `{"id":`+id+`,"uuid":"`+strconv.FormatUint(uint64(seed)*2654435761, 16)+`",`...)
		b = append(b, `"name":"User `+id+` `+words[rnd(len(words))]+`","email":"user`+id+`@example.com",`...)
		b = append(b, `"active":`+strconv.FormatBool(rnd(2) == 0)+`,"score":`+strconv.Itoa(rnd(1000))+`.`+strconv.Itoa(rnd(100))+`,`...)
		b = append(b, `"balance":-`+strconv.Itoa(rnd(99999))+`e-2,"tags":[`...)
		for j := range 1 + rnd(4) {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = append(b, words[rnd(len(words))]...)
			b = append(b, '"')
		}
		b = append(b, `],"bio":"`...)
		for j := range 3 + rnd(6) {
			if j > 0 {
				b = append(b, ' ')
			}
			b = append(b, words[rnd(len(words))]...)
		}
		b = append(b, `","address":{"street":"`+strconv.Itoa(rnd(999))+` Main St","city":"Springfield",`+
			`"zip":"`+strconv.Itoa(10000+rnd(89999))+`","geo":{"lat":37.`+strconv.Itoa(rnd(99999))+
			`,"lng":-122.`+strconv.Itoa(rnd(99999))+`}},"prefs":{"lang":"fr","tz":"Europe/Paris",`+
			`"notify":[{"kind":"email","on":true},{"kind":"sms","on":false}]},"note":null}`...)
	}
	b = append(b, `]}`...)
	return b
}

var benchLimits = jsonx.Limits{MaxDepth: 32, MaxKeys: 1000, MaxArrayItems: 1000, MaxStringBytes: 65536}

func benchSetup(b testing.TB) (Schema, []byte) {
	set := mustSet(b, benchSchemas)
	return mustSchema(b, set, "Page"), benchDocument(64 << 10)
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
		if n := v.ScratchBytes(); n < len(doc) || n > 64*len(doc) {
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
