package respcheck

import (
	"errors"
	"testing"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/problem"
)

func TestClassify_verdicts(t *testing.T) {
	plan := Compile("r", &config.Response{MaxBodyBytes: 100, PassTypes: []string{"image/png"}})
	type hdr struct{ name, value string }
	tests := []struct {
		name        string
		status      int
		headers     []hdr
		wantAction  Action
		wantReason  problem.Reason
		wantUntyped bool
	}{
		{"json inspected", 200, []hdr{{"Content-Type", "application/json; charset=utf-8"}}, Inspect, "", false},
		{"+json inspected", 200, []hdr{{"content-type", "application/problem+json"}}, Inspect, "", false},
		{"bare +json is not json", 200, []hdr{{"content-type", "application/+json"}}, Refuse, problem.ReasonResponseNotJSON, false},
		{"untyped inspected", 200, nil, Inspect, "", true},
		{"pass type passes", 200, []hdr{{"content-type", "IMAGE/PNG"}}, Pass, "", false},
		{"pass type twice refused", 200, []hdr{{"content-type", "image/png"}, {"content-type", "image/png"}}, Refuse, problem.ReasonResponseNotJSON, false},
		{"html refused", 200, []hdr{{"content-type", "text/html"}}, Refuse, problem.ReasonResponseNotJSON, false},
		{"partial refused", 206, []hdr{{"content-type", "application/json"}}, Refuse, problem.ReasonResponsePartial, false},
		{"gzip refused", 200, []hdr{{"content-type", "application/json"}, {"Content-Encoding", "identity, gzip"}}, Refuse, problem.ReasonResponseCompressed, false},
		{"identity passes on", 200, []hdr{{"content-type", "application/json"}, {"content-encoding", " Identity ,"}}, Inspect, "", false},
		{"declared too large", 200, []hdr{{"content-type", "application/json"}, {"content-length", " 101 "}}, Refuse, problem.ReasonResponseTooLarge, false},
		{"declared at the cap", 200, []hdr{{"content-type", "application/json"}, {"content-length", "100"}}, Inspect, "", false},
		{"unparsable length inspected", 200, []hdr{{"content-type", "application/json"}, {"content-length", "x"}}, Inspect, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h Head
			for _, p := range tc.headers {
				h.Add(p.name, p.value)
			}
			v := plan.Classify(tc.status, &h)
			if v.Action != tc.wantAction || v.Reason != tc.wantReason || v.Untyped != tc.wantUntyped {
				t.Errorf("Classify = %+v, want action %d reason %q untyped %v", v, tc.wantAction, tc.wantReason, tc.wantUntyped)
			}
		})
	}
}

func TestBodyReason_names(t *testing.T) {
	dup := &jsonx.Error{Reason: jsonx.ReasonDuplicateKey}
	tests := []struct {
		name    string
		err     error
		untyped bool
		want    problem.Reason
	}{
		{"duplicate key", dup, false, problem.ReasonResponseDuplicateKey},
		{"duplicate key untyped", dup, true, problem.ReasonResponseDuplicateKey},
		{"invalid typed", errors.New("x"), false, problem.ReasonResponseInvalidJSON},
		{"invalid untyped", errors.New("x"), true, problem.ReasonResponseNotJSON},
	}
	for _, tc := range tests {
		if got := BodyReason(tc.err, tc.untyped); got != tc.want {
			t.Errorf("%s: BodyReason = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestCompile_noResponse(t *testing.T) {
	if Compile("r", nil) != nil {
		t.Fatal("a route without response got a plan")
	}
	if got := Compile("users", &config.Response{}).Metric; got != "apiguard.route.users.redactions" {
		t.Errorf("Metric = %q", got)
	}
}

// TestSanitize_5xxOnly: with sanitize_upstream_5xx on, every 5xx and only
// 5xx is replaced; off, none is.
func TestSanitize_5xxOnly(t *testing.T) {
	tests := []struct {
		on     bool
		status int
		want   bool
	}{
		{true, 500, true}, {true, 503, true}, {true, 599, true},
		{true, 499, false}, {true, 600, false}, {true, 200, false}, {true, 0, false},
		{false, 500, false}, {false, 503, false},
	}
	for _, tc := range tests {
		if got := Sanitizes(tc.on, tc.status); got != tc.want {
			t.Errorf("Sanitizes(%v, %d) = %v, want %v", tc.on, tc.status, got, tc.want)
		}
	}
}
