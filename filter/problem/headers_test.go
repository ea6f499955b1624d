package problem

import (
	"reflect"
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
