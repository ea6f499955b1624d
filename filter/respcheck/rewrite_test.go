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
