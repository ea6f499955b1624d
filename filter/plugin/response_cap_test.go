package plugin

import (
	"strconv"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
)

// TestResponse_capBoundary: response.max_body_bytes lets exactly the cap
// through and refuses one byte more, whether the length is declared, the
// body comes in one piece or in chunks, or trailers follow it. (The e2e
// suite runs the same rows through the .wasm in both hold modes.)
func TestResponse_capBoundary(t *testing.T) {
	const limit = 64
	e := emulated(t, `{"routes": [{"name": "r", "match": {"prefix": "/r"},
	  "response": {"max_body_bytes": `+strconv.Itoa(limit)+`, "redact": {"keys": ["password"]}}}]}`)
	doc := func(n int) string { return `{"id":"` + strings.Repeat("y", n-9) + `"}` }
	for _, c := range []struct {
		name     string
		size     int
		declared bool
		chunk    int
		trailers bool
		ok       bool
	}{
		{"at the cap", limit, false, 0, false, true},
		{"at the cap, declared", limit, true, 0, false, true},
		{"at the cap, chunks", limit, false, 10, false, true},
		{"at the cap, trailers", limit, false, 0, true, true},
		{"one over", limit + 1, false, 0, false, false},
		{"one over, declared", limit + 1, true, 0, false, false},
		{"one over, chunks", limit + 1, false, 10, false, false},
		{"one over by the last chunk", limit + 1, false, limit, false, false},
		{"one over, trailers", limit + 1, false, 0, true, false},
	} {
		body := doc(c.size)
		resp := host.Response{Status: 200, Headers: pairs("content-type", "application/json"), Body: []byte(body), ChunkSize: c.chunk}
		if c.declared {
			resp.Headers = append(resp.Headers, pairs("content-length", strconv.Itoa(len(body)))...)
		}
		if c.trailers {
			resp.Trailers = pairs("x-checksum", "1")
		}
		r := e.Worker(0).RoundTrip(host.Request{Path: "/r"}, func(host.UpstreamRequest) host.Response { return resp })
		d := r.Downstream
		if c.ok && (d.Status != 200 || string(d.Body) != body) {
			t.Errorf("%s: status %d (%q), %d bytes", c.name, d.Status, d.LocalReply, len(d.Body))
		}
		if !c.ok && (d.Status != 502 || d.LocalReply != "apiguard_response_too_large") {
			t.Errorf("%s: status %d (%q), want 502 response_too_large", c.name, d.Status, d.LocalReply)
		}
	}
}
