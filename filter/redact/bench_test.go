package redact

import (
	"bytes"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jsonx/jsonxtest"
)

// benchResponse is the rule set of the performance target: 5 paths and 5
// keys.
func benchResponse(t testing.TB) *config.Response {
	return &config.Response{Redact: &config.Redact{
		Paths: paths(t, "data.#.customer.email", "data.#.customer.phone", "data.#.shipping.address",
			"meta.next_cursor", "data.#.payment.card_last4"),
		Keys:   []string{"password", "secret", "token", "api_key", "ssn"},
		Action: config.RedactRemove,
	}}
}

func TestBenchDocument_isRealistic(t *testing.T) {
	doc := jsonxtest.Orders(64 << 10)
	if len(doc) < 60<<10 || len(doc) > 64<<10 || !gjson.ValidBytes(doc) {
		t.Fatalf("document of %d bytes, valid %v", len(doc), gjson.ValidBytes(doc))
	}
	r := benchResponse(t)
	var w Rewriter
	out, st, err := w.Rewrite(Compile(r), nil, doc)
	t.Logf("%d bytes, %d redactions", len(doc), st.Redactions)
	if err != nil || st.Redactions < 100 {
		t.Fatalf("%d redactions, err %v", st.Redactions, err)
	}
	checkNoLeak(t, r, out)
}

// assertRedacts checks, once before timing, that rules redact doc: every
// customer's email and phone gone, counted, the orders kept.
func assertRedacts(b *testing.B, rules *Rules, doc []byte) {
	b.Helper()
	var w Rewriter
	out, st, err := w.Rewrite(rules, nil, doc)
	if err != nil {
		b.Fatal(err)
	}
	orders := bytes.Count(doc, []byte(`"email":`))
	if !st.Changed || st.Redactions < 2*orders || bytes.Contains(out, []byte("@example.org")) ||
		bytes.Contains(out, []byte(`"phone"`)) || bytes.Count(out, []byte(`"id":"ord_`)) != orders {
		b.Fatalf("not the redaction measured: %+v for %d orders", st, orders)
	}
}

func benchRedact(b *testing.B, size int) {
	doc := jsonxtest.Orders(size)
	rules := Compile(benchResponse(b))
	assertRedacts(b, rules, doc)
	var w Rewriter
	// The timed path must be a real rewrite: the body accepted and
	// something redacted.
	buf, st, err := w.Rewrite(rules, nil, doc)
	if err != nil || st.Redactions == 0 {
		b.Fatalf("%d redactions, err %v", st.Redactions, err)
	}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		out, _, err := w.Rewrite(rules, buf[:0], doc)
		if err != nil {
			b.Fatal(err)
		}
		buf = out
	}
}

func BenchmarkRedact_4K(b *testing.B) { benchRedact(b, 4<<10) }

// BenchmarkRedact_64K is the redaction target of issue #15 (5 paths, 5
// keys): through the .wasm (make bench-wasm) at most 3x its native time.
func BenchmarkRedact_64K(b *testing.B) { benchRedact(b, 64<<10) }

// BenchmarkRedact_vsGjson64K is the performance target: Rewrite (5 paths,
// 5 keys) and gjson.Valid run alternately on the same 64 KiB body, and
// x_gjson is the ratio of their fastest runs (target <= 2): the minimum
// ignores preemption by other processes sharing the CPU.
func BenchmarkRedact_vsGjson64K(b *testing.B) {
	doc := jsonxtest.Orders(64 << 10)
	rules := Compile(benchResponse(b))
	assertRedacts(b, rules, doc)
	var w Rewriter
	var buf []byte
	minR, minG := time.Duration(1<<62), time.Duration(1<<62)
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		out, _, err := w.Rewrite(rules, buf[:0], doc)
		if err != nil {
			b.Fatal(err)
		}
		buf = out
		t1 := time.Now()
		if !gjson.ValidBytes(doc) {
			b.Fatal("invalid")
		}
		t2 := time.Now()
		minR = min(minR, t1.Sub(t0))
		minG = min(minG, t2.Sub(t1))
	}
	b.ReportMetric(float64(minR.Nanoseconds()), "redact_min_ns")
	b.ReportMetric(float64(minG.Nanoseconds()), "gjson_min_ns")
	b.ReportMetric(float64(minR)/float64(minG), "x_gjson")
}

// BenchmarkRedact_noRules64K is Rewrite with no rules: validation alone, the
// floor of a rewrite.
func BenchmarkRedact_noRules64K(b *testing.B) {
	doc := jsonxtest.Orders(64 << 10)
	rules := Compile(nil)
	var w Rewriter
	// The path measured: validation only, the document returned as it is.
	if out, st, err := w.Rewrite(rules, nil, doc); err != nil || st.Changed || len(out) != len(doc) {
		b.Fatalf("%v, %+v, %d of %d bytes", err, st, len(out), len(doc))
	}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := w.Rewrite(rules, nil, doc); err != nil {
			b.Fatal(err)
		}
	}
}
