package authn

import (
	"testing"

	"github.com/apiguard/apiguard/filter/jwt"
)

// TestMetrics_verifiedPath: a token whose signature the host checked
// counts as verified_by_host, one checked in Go as verified_by_module.
func TestMetrics_verifiedPath(t *testing.T) {
	tests := []struct {
		name string
		tok  *jwt.Token
		want string
	}{
		{"host", &jwt.Token{ByHost: true}, "apiguard.auth.verified_by_host"},
		{"module", &jwt.Token{}, "apiguard.auth.verified_by_module"},
	}
	for _, tc := range tests {
		if got := VerifiedMetric(tc.tok); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
