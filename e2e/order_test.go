package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
)

// docs/order-of-checks.md "Order of checks": each case fails two adjacent steps
// at once and must get the earlier step's answer. Pairs that other tests
// do not pin: 4/5, 5/6, 6/7, 7/8, 10/11 (no token consumed), local 11/12,
// and on the response side 5xx sanitising before inspection.

func orderConfig() string {
	h := func(k string) string { s := sha256.Sum256([]byte(k)); return hex.EncodeToString(s[:]) }
	return `{
  "providers": {"keys": {"api_keys": {"from": [{"header": "x-api-key"}], "keys": [
    {"id": "reader", "sha256": "` + h("order-reader-key") + `", "claims": {"sub": "r", "scope": "read"}},
    {"id": "writer", "sha256": "` + h("order-writer-key") + `", "claims": {"sub": "w", "scope": "read write"}}]}}},
  "failed_auth_limit": {"key": "ip", "limit": 1, "window": "1m"},
  "routes": [
    {"name": "gone", "match": {"prefix": "/gone"},
     "cors": {"allow_origins": ["https://app.example.com"]},
     "deprecation": {"since": "2025-01-01T00:00:00Z", "sunset": "2025-06-01T00:00:00Z", "refuse_after_sunset": true},
     "request": {"forbid_query_params": ["access_token"]}},
    {"name": "q", "match": {"prefix": "/q"}, "request": {"max_body_bytes": 10, "forbid_query_params": ["access_token"]}},
    {"name": "locked", "match": {"prefix": "/locked"}, "request": {"max_body_bytes": 10}, "auth": {"providers": ["keys"]}},
    {"name": "claims", "match": {"prefix": "/claims"},
     "auth": {"providers": ["keys"], "claims": [{"claim": "scope", "contains": ["write"]}]},
     "rate_limits": [{"name": "claims-rl", "key": "route", "limit": 1, "window": "1h"}]},
    {"name": "body", "match": {"prefix": "/body"}, "request": {"json": {}},
     "rate_limits": [{"name": "body-rl", "key": "route", "limit": 1, "window": "1h"}]},
    {"name": "resp", "match": {"prefix": "/resp"}, "response": {"redact": {"keys": ["secret"]}}}
  ]
}`
}

func TestOrder_earlierStepAnswers(t *testing.T) {
	const a, b = "203.0.113.7:1", "198.51.100.1:1"
	bigBody := strings.Repeat("z", 100)
	postLen := func(path, addr string, kv ...string) host.Request {
		r := rlReq(path, addr, append([]string{"content-length", "100"}, kv...)...)
		r.Method, r.Body = "POST", []byte(bigBody)
		return r
	}
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, orderConfig()) // clock starts 2026-01-01: /gone is past sunset
		pre := opts("/gone", appOrig, "GET", "")
		pre.Props.SourceAddress = b
		runTable(t, e, []exchange{
			// 4 before 5: a preflight ends at step 4, even past sunset.
			{name: "4/5 preflight past sunset", req: pre, want: 204},
			// 5 before 6.
			{name: "5/6 sunset with a forbidden query", req: rlReq("/gone?access_token=x", b), want: 410, reason: problem.ReasonSunset},
			// 6 before 7.
			{name: "6/7 forbidden query with a declared length over the cap", req: postLen("/q?access_token=x", b), want: 400, reason: problem.ReasonForbiddenQueryParam},
			// 7 before 8: lock address a out (limit 1), then over-cap.
			{name: "lock a out", req: rlReq("/locked", a, "x-api-key", "wrong"), want: 401},
			{name: "7/8 declared length over the cap while locked", req: postLen("/locked", a), want: 413, reason: problem.ReasonBodyTooLarge},
			{name: "a is locked", req: rlReq("/locked", a), want: 429, reason: problem.ReasonFailedAuthLocked},
			// 10 before 11, and the 403s take no token.
			{name: "10/11 claims fail 1", req: rlReq("/claims", b, "x-api-key", "order-reader-key"), want: 403, reason: problem.ReasonClaimsNotSatisfied},
			{name: "10/11 claims fail 2", req: rlReq("/claims", b, "x-api-key", "order-reader-key"), want: 403, reason: problem.ReasonClaimsNotSatisfied},
			{name: "10/11 token still there", req: rlReq("/claims", b, "x-api-key", "order-writer-key"), want: 200},
			{name: "10/11 now limited", req: rlReq("/claims", b, "x-api-key", "order-writer-key"), want: 429, reason: problem.ReasonRateLimited},
			// local 11 before 12.
			{name: "11/12 first", req: post("/body", `{"a":1}`), want: 200},
			{name: "11/12 limited with a bad body", req: post("/body", `{"a":1,"a":2}`), want: 429, reason: problem.ReasonRateLimited},
		})
		// Response: 5xx sanitising before inspection (which would answer 502).
		r := roundTrip(e.Worker(0), exchange{req: host.Request{Path: "/resp"},
			resp: &host.Response{Status: 503, Headers: headers("content-type", "text/html"), Body: []byte("<b>secret</b>")}})
		if d := r.Downstream; d.Status != 503 || d.LocalReply != "upstream_5xx_sanitized" {
			t.Errorf("5xx on an inspected route: %d %q, want 503 upstream_5xx_sanitized", d.Status, d.LocalReply)
		}
	})
}
