package ratelimit

import (
	"slices"
	"testing"

	"github.com/apiguard/apiguard/filter/httpx"
)

// TestReport_edits: an admitted request's report replaces upstream's
// RateLimit-Policy and RateLimit, removes upstream's RateLimit when no
// limit reported a remaining count, and edits nothing without a policy.
func TestReport_edits(t *testing.T) {
	policy := httpx.Edit{Op: httpx.Replace, Key: "ratelimit-policy", Value: `"a";q=5;w=60`}
	tests := []struct {
		name string
		r    Report
		want []httpx.Edit
	}{
		{"local limits", Report{Policy: `"a";q=5;w=60`, Current: `"a";r=4;t=60`, Remaining: 4},
			[]httpx.Edit{policy, {Op: httpx.Replace, Key: "ratelimit", Value: `"a";r=4;t=60`}}},
		{"no remaining count", Report{Policy: `"a";q=5;w=60`}, []httpx.Edit{policy, {Op: httpx.Remove, Key: "ratelimit"}}},
		{"no policy", Report{Current: `"a";r=4;t=60`}, nil},
	}
	for _, tc := range tests {
		prior := httpx.Edit{Op: httpx.Add, Key: "x", Value: "1"}
		if got := tc.r.AppendEdits([]httpx.Edit{prior}); !slices.Equal(got, append([]httpx.Edit{prior}, tc.want...)) {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}
