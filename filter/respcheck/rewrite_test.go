package respcheck

import (
	"reflect"
	"testing"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/problem"
)

// TestScratch_rewrite: a complete body is rewritten with pooled scratch:
// fields outside allow are dropped (changed), an unchanged body says so,
// a body that does not parse is refused (not JSON when it had no
// Content-Type).
func TestScratch_rewrite(t *testing.T) {
	plan := Compile("r", &config.Response{MaxBodyBytes: 1 << 10, Allow: []config.ResponsePath{{Segments: []config.Segment{{Key: "id"}}, Raw: "id"}}})
	if v := plan.ClassifyHeaders(200, []httpx.Pair{{Key: "Content-Type", Value: "application/json"}}); v.Action != Inspect {
		t.Fatalf("ClassifyHeaders: %+v", v)
	}
	sc := GetScratch()
	defer sc.Release()
	out, changed, _, refused := sc.Rewrite(plan, []byte(`{"id":1,"secret":"x"}`), false)
	if refused != "" || !changed || string(out) != `{"id":1}` {
		t.Errorf("rewrite: %q %v %q", out, changed, refused)
	}
	if _, changed, _, refused := sc.Rewrite(plan, []byte(`{"id":2}`), false); changed || refused != "" {
		t.Errorf("unchanged body: %v %q", changed, refused)
	}
	if _, _, _, refused := sc.Rewrite(plan, []byte(`{"id":`), false); refused == "" {
		t.Error("truncated JSON passed")
	}
	if _, _, _, refused := sc.Rewrite(plan, []byte(`<html>`), true); refused != problem.ReasonResponseNotJSON {
		t.Errorf("untyped non-JSON: %q", refused)
	}
}

// TestInspection_body: nothing is asked of a response not inspected or
// whose verdict came; an inspected one is buffered until complete within
// max_body_bytes (exactly the cap passes, one byte over is refused).
func TestInspection_body(t *testing.T) {
	var none Inspection
	if none.Active() || none.Body(10, true) != BodyGo {
		t.Error("no inspection asks nothing")
	}
	in := Inspection{Plan: Compile("r", &config.Response{MaxBodyBytes: 100})}
	for _, c := range []struct {
		size int
		end  bool
		want BodyStep
	}{
		{40, false, BodyBuffer}, {100, false, BodyBuffer}, {101, false, BodyTooLarge},
		{100, true, BodyRewrite}, {101, true, BodyTooLarge}, {0, true, BodyRewrite},
	} {
		if got := in.Body(c.size, c.end); got != c.want {
			t.Errorf("Body(%d, %v) = %v, want %v", c.size, c.end, got, c.want)
		}
	}
	in.Done = true
	if in.Active() || in.Body(1000, true) != BodyGo {
		t.Error("a given verdict asks nothing more")
	}
}

// TestScratch_finish: a complete body is projected onto its status's
// schema, then rewritten; a violation is refused (alone on an enforcing
// route, with the rewrite going on on a report-only one) or reported, a
// body that does not parse is refused, and only an enforcing route's
// changed body is replaced.
func TestScratch_finish(t *testing.T) {
	redactKeys := &config.Redact{Keys: []string{"secret"}, Action: config.RedactRemove}
	schemas := []config.StatusSchema{{Status: "200", Schema: "Order"}}
	report := &config.Response{MaxBodyBytes: 1 << 10, Redact: redactKeys, Schemas: schemas}
	refuse := &config.Response{MaxBodyBytes: 1 << 10, Redact: redactKeys, Schemas: schemas, SchemaViolation: config.ViolationRefuse}
	tests := []struct {
		name     string
		r        *config.Response
		status   int
		body     string
		untyped  bool
		enforced bool
		want     Finished
		out      string
	}{
		{"valid and unchanged", report, 200, `{"id":"a"}`, false, true, Finished{}, ""},
		{"projected", report, 200, `{"id":"a","password":"p"}`, false, true, Finished{Replace: true}, `{"id":"a"}`},
		{"projected and redacted", report, 200, `{"id":"a","password":"p","meta":{"secret":1}}`, false, true, Finished{Replace: true, Redactions: 1}, `{"id":"a","meta":{}}`},
		{"report-only: never replaced", report, 200, `{"id":"a","password":"p","meta":{"secret":1}}`, false, false, Finished{Redactions: 1}, ""},
		{"violation reported", report, 200, `{"meta":{"secret":1}}`, false, true, Finished{SchemaReported: true, Replace: true, Redactions: 1}, `{"meta":{}}`},
		{"violation refused", refuse, 200, `{"meta":{"secret":1}}`, false, true, Finished{SchemaRefused: true}, ""},
		{"report-only refusal: the rewrite goes on", refuse, 200, `{"meta":{"secret":1}}`, false, false, Finished{SchemaRefused: true, Redactions: 1}, ""},
		{"report-only report", report, 200, `{"meta":{}}`, false, false, Finished{SchemaRefused: true}, ""},
		{"no schema for the status", refuse, 404, `{"secret":1}`, false, true, Finished{Replace: true, Redactions: 1}, `{}`},
		{"does not parse", report, 200, `{"id":`, false, true, Finished{Refused: problem.ReasonResponseInvalidJSON}, ""},
		{"untyped, not JSON", report, 200, `<html>`, true, true, Finished{Refused: problem.ReasonResponseNotJSON}, ""},
		{"untyped, no schema, not JSON", report, 404, `<html>`, true, true, Finished{Refused: problem.ReasonResponseNotJSON}, ""},
	}
	for _, tc := range tests {
		plan := Compile("r", tc.r)
		plan.Schemas = compileSchemas(t, *tc.r)
		sc := GetScratch()
		f := sc.Finish(&Inspection{Plan: plan, Untyped: tc.untyped}, tc.status, []byte(tc.body), tc.enforced)
		out := string(f.Out)
		f.Out, tc.want.Out = nil, nil
		if !reflect.DeepEqual(f, tc.want) || tc.want.Replace && out != tc.out {
			t.Errorf("%s: %+v out %q, want %+v out %q", tc.name, f, out, tc.want, tc.out)
		}
		sc.Release()
	}
}
