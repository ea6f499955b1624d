package jsonx

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/apiguard/apiguard/filter/jsonx/jsonxtest"
	"github.com/tidwall/gjson"
)

var benchLimits = Limits{MaxDepth: 32, MaxKeys: 1000, MaxArrayItems: 1000, MaxStringBytes: 65536}

func TestBenchDocument_isRealistic(t *testing.T) {
	doc := jsonxtest.Users(64 << 10)
	if len(doc) < 60<<10 || len(doc) > 64<<10 {
		t.Fatalf("document is %d bytes", len(doc))
	}
	if !json.Valid(doc) || !gjson.ValidBytes(doc) {
		t.Fatal("document is not valid JSON")
	}
	if err := Validate(doc, benchLimits); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkValidate_64K is the body-validation target of issue #15: through
// the .wasm (make bench-wasm) at most 3x its native time.
func BenchmarkValidate_64K(b *testing.B) {
	doc := jsonxtest.Users(64 << 10)
	var v Validator
	// The validation measured refuses a truncated copy.
	if v.Validate(doc[:len(doc)-1], benchLimits) == nil || Validate(doc[:len(doc)-1], benchLimits) == nil {
		b.Fatal("a truncated document passes")
	}
	if err := v.Validate(doc, benchLimits); err != nil {
		b.Fatal(err) // the timed path must be the accepting one
	}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Validate(doc, benchLimits); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidate_fold64K is BenchmarkValidate_64K with keys also compared
// under case folding, as request bodies are unless json.case_sensitive_keys.
func BenchmarkValidate_fold64K(b *testing.B) {
	doc := jsonxtest.Users(64 << 10)
	v := Validator{FoldDuplicates: true}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Validate(doc, benchLimits); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidate_pooled64K measures the package-level Validate (pooled
// Validator).
func BenchmarkValidate_pooled64K(b *testing.B) {
	doc := jsonxtest.Users(64 << 10)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Validate(doc, benchLimits); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidate_gjsonReference64K is the reference: the project target is
// Validate at most 1.5× this time. gjson.Valid checks only the grammar (no
// UTF-8, duplicates or limits).
func BenchmarkValidate_gjsonReference64K(b *testing.B) {
	doc := jsonxtest.Users(64 << 10)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if !gjson.ValidBytes(doc) {
			b.Fatal("invalid")
		}
	}
}

// BenchmarkValidate_vsGjson64K runs Validate and gjson.Valid alternately
// on the same body and reports the ratio of their fastest runs ("x_gjson",
// target <= 1.5): the minimum ignores preemption by other processes
// sharing the CPU, so the ratio stays meaningful on a busy machine.
func BenchmarkValidate_vsGjson64K(b *testing.B) {
	doc := jsonxtest.Users(64 << 10)
	var v Validator
	minJ, minG := time.Duration(1<<62), time.Duration(1<<62)
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		if err := v.Validate(doc, benchLimits); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if !gjson.ValidBytes(doc) {
			b.Fatal("invalid")
		}
		t2 := time.Now()
		minJ = min(minJ, t1.Sub(t0))
		minG = min(minG, t2.Sub(t1))
	}
	b.ReportMetric(float64(minJ.Nanoseconds()), "jsonx_min_ns")
	b.ReportMetric(float64(minG.Nanoseconds()), "gjson_min_ns")
	b.ReportMetric(float64(minJ)/float64(minG), "x_gjson")
}

func BenchmarkParse_64K(b *testing.B) {
	doc := jsonxtest.Users(64 << 10)
	var v Validator
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Parse(doc, benchLimits); err != nil {
			b.Fatal(err)
		}
	}
}

var claimsDoc = []byte(`{"iss":"https://issuer.example.com/","sub":"user-8c2f41d7","aud":["api.example.com",` +
	`"billing"],"exp":1767225600,"nbf":1767222000,"iat":1767222000,"jti":"a1b2c3d4-e5f6-4789-abcd-ef0123456789",` +
	`"scope":"read:orders write:orders","tenant":"acme","roles":["admin","user"],"email_verified":true,` +
	`"name":"J\u00e9r\u00f4me Example","amr":["pwd","mfa"]}`)

func BenchmarkParse_claims(b *testing.B) {
	var v Validator
	b.SetBytes(int64(len(claimsDoc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Parse(claimsDoc, Limits{MaxDepth: 8, MaxStringBytes: 8192}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidate_claims(b *testing.B) {
	var v Validator
	b.SetBytes(int64(len(claimsDoc)))
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Validate(claimsDoc, Limits{MaxDepth: 8, MaxStringBytes: 8192}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidate_depthBomb(b *testing.B) {
	doc := make([]byte, 2<<20)
	for i := range doc {
		doc[i] = '['
	}
	var v Validator
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Validate(doc, benchLimits); err == nil {
			b.Fatal("accepted")
		}
	}
}
