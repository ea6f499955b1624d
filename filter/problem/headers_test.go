package problem

import (
	"reflect"
	"slices"
	"testing"

	"github.com/apiguard/apiguard/filter/httpx"
)

func TestProblem_headers(t *testing.T) {
	ct := httpx.Pair{Key: "content-type", Value: ContentType}
	hsts := httpx.Pair{Key: "strict-transport-security", Value: "max-age=31536000"}
	nosniff := httpx.Pair{Key: "x-content-type-options", Value: "nosniff"}
	nostore := httpx.Pair{Key: "cache-control", Value: "no-store"}
	allow := httpx.Pair{Key: "allow", Value: "GET"}
	vary := httpx.Pair{Key: "vary", Value: "origin"}
	for _, c := range []struct {
		name         string
		security     bool
		extra, route []httpx.Pair
		want         []httpx.Pair
	}{
		{"bare", false, nil, nil, []httpx.Pair{ct}},
		{"security", true, nil, nil, []httpx.Pair{ct, hsts, nosniff, nostore}},
		{"order", true, []httpx.Pair{allow}, []httpx.Pair{vary}, []httpx.Pair{ct, hsts, nosniff, nostore, allow, vary}},
		{"no security keeps the rest", false, []httpx.Pair{allow}, []httpx.Pair{vary}, []httpx.Pair{ct, allow, vary}},
	} {
		if got := Headers(c.security, c.extra, c.route); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	if got := AppendSecure([]httpx.Pair{allow}, false); !reflect.DeepEqual(got, []httpx.Pair{allow}) {
		t.Errorf("AppendSecure off: %v", got)
	}
	if got := Details(ReasonInternal); got != "apiguard_"+string(ReasonInternal) {
		t.Errorf("Details: %q", got)
	}
}

// TestHeaders_responseSecurity: upstream's response gets HSTS and nosniff
// (replacing upstream's), no-store only when authenticated, and loses
// Server and X-Powered-By, in that order.
func TestHeaders_responseSecurity(t *testing.T) {
	hsts := httpx.Edit{Op: httpx.Replace, Key: "strict-transport-security", Value: "max-age=31536000"}
	nosniff := httpx.Edit{Op: httpx.Replace, Key: "x-content-type-options", Value: "nosniff"}
	noStore := httpx.Edit{Op: httpx.Replace, Key: "cache-control", Value: "no-store"}
	server := httpx.Edit{Op: httpx.Remove, Key: "server"}
	powered := httpx.Edit{Op: httpx.Remove, Key: "x-powered-by"}
	tests := []struct {
		name          string
		authenticated bool
		want          []httpx.Edit
	}{
		{"anonymous", false, []httpx.Edit{hsts, nosniff, server, powered}},
		{"authenticated", true, []httpx.Edit{hsts, nosniff, noStore, server, powered}},
	}
	for _, tc := range tests {
		prior := httpx.Edit{Op: httpx.Add, Key: "x-a", Value: "1"}
		got := AppendResponseSecurity([]httpx.Edit{prior}, tc.authenticated)
		if !slices.Equal(got, append([]httpx.Edit{prior}, tc.want...)) {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}

// TestHeaders_detailsCache: the cache answers what Details does, for every
// reason, built once.
func TestHeaders_detailsCache(t *testing.T) {
	var c DetailsCache
	for _, r := range []Reason{ReasonSunset, ReasonInternal, ReasonSunset, "x"} {
		if got := c.Details(r); got != Details(r) || got != "apiguard_"+string(r) {
			t.Errorf("%s: %q", r, got)
		}
	}
	if len(c.m) != 3 {
		t.Errorf("%d entries, want one per reason", len(c.m))
	}
}
