package e2e

import (
	"strconv"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
)

// TestResponse_capBoundary: response.max_body_bytes lets a body of exactly
// the cap through and refuses one byte more, however the body arrives
// (declared length, one piece, chunks, before trailers), in both hold
// modes. An off-by-one in any of the three places that compare with the
// cap (declared length, body callback, trailers) fails a row.
func TestResponse_capBoundary(t *testing.T) {
	const limit = 2048 // respConfig's orders route
	doc := func(n int) string { return `{"id":"` + strings.Repeat("y", n-9) + `"}` }
	at, over := doc(limit), doc(limit+1)
	if len(at) != limit || len(over) != limit+1 {
		t.Fatalf("documents of %d and %d bytes", len(at), len(over))
	}
	trailers := func(r *host.Response) *host.Response {
		c := *r
		c.Trailers = headers("x-checksum", "1")
		return &c
	}
	for _, hold := range []bool{true, false} {
		t.Run(map[bool]string{true: "hold", false: "no-hold"}[hold], func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				e := respEnvoy(t, g, hold, "")
				runResp(t, e, hold, []respCase{
					{name: "at the cap, one piece", path: "/orders", resp: jsonResp(200, at), want: 200, body: at},
					{name: "at the cap, declared", path: "/orders", resp: withLength(jsonResp(200, at)), want: 200, body: at},
					{name: "at the cap, in chunks", path: "/orders", resp: chunked(jsonResp(200, at), 500), want: 200, body: at},
					{name: "at the cap, one-byte last chunk", path: "/orders", resp: chunked(jsonResp(200, at), limit-1), want: 200, body: at},
					{name: "at the cap, then trailers", path: "/orders", resp: trailers(chunked(jsonResp(200, at), 700)), want: 200, body: at},
					{name: "one over, one piece", path: "/orders", resp: jsonResp(200, over), want: 502, reason: problem.ReasonResponseTooLarge, late: true},
					{name: "one over, declared", path: "/orders", resp: withLength(jsonResp(200, over)), want: 502, reason: problem.ReasonResponseTooLarge},
					{name: "one over, declared with spaces", path: "/orders", resp: jsonResp(200, over, "content-length", " "+strconv.Itoa(limit+1)+" "), want: 502, reason: problem.ReasonResponseTooLarge},
					{name: "one over, in chunks", path: "/orders", resp: chunked(jsonResp(200, over), 500), want: 502, reason: problem.ReasonResponseTooLarge, late: true},
					{name: "one over by the last chunk", path: "/orders", resp: chunked(jsonResp(200, over), limit), want: 502, reason: problem.ReasonResponseTooLarge, late: true},
					{name: "one over, then trailers", path: "/orders", resp: trailers(jsonResp(200, over)), want: 502, reason: problem.ReasonResponseTooLarge, late: true},
				})
				if got := metric(t, e, "apiguard.denied.response_too_large"); got != 6 {
					t.Errorf("denied.response_too_large = %d, want 6", got)
				}
			})
		})
	}
}
