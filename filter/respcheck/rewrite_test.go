package respcheck

import (
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
