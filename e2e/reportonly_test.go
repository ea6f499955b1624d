package e2e

// Report-only routes (enforce: false) across every policy: what the
// request and the response keep. Each test quotes the docs/configuration.md sentence
// it checks, and runs natively and against the .wasm.

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/proxy"
)

// confAPIKey is the API key of reportOnlyConfig's "keys" provider.
const confAPIKey = "conformance-api-key"

// reportOnlyConfig has one report-only route per kind of credential source
// (header, cookie, query parameter, API key), each with claims_to_headers,
// a report-only route carrying every policy that edits a request or a
// response when enforced, and enforced twins that show those edits happen.
func reportOnlyConfig(t testing.TB) string {
	sum := sha256.Sum256([]byte(confAPIKey))
	return `{
  "providers": {
    "idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["EdDSA"],
            "jwks": ` + jwksOf(t, "ed") + `, "claims_to_headers": {"sub": "x-user-id"}},
    "web": {"issuer": "` + webIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["EdDSA"],
            "jwks": ` + jwksOf(t, "ed") + `, "from": [{"cookie": "session"}], "claims_to_headers": {"sub": "x-web-user"}},
    "q": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["EdDSA"],
          "jwks": ` + jwksOf(t, "ed") + `, "from": [{"query": "access_token"}], "claims_to_headers": {"sub": "x-query-user"}},
    "keys": {"api_keys": {"from": [{"header": "x-api-key"}],
             "keys": [{"id": "k1", "sha256": "` + hex.EncodeToString(sum[:]) + `", "claims": {"sub": "svc"}}]},
             "claims_to_headers": {"sub": "x-key-sub"}}
  },
  "routes": [
    {"name": "shadow-header", "match": {"prefix": "/shadow-header"}, "enforce": false, "auth": {"providers": ["idp"]}},
    {"name": "shadow-cookie", "match": {"prefix": "/shadow-cookie"}, "enforce": false, "auth": {"providers": ["web"]}},
    {"name": "shadow-query", "match": {"prefix": "/shadow-query"}, "enforce": false, "auth": {"providers": ["q"]}},
    {"name": "shadow-key", "match": {"prefix": "/shadow-key"}, "enforce": false, "auth": {"providers": ["keys"]}},
    {"name": "shadow-claims", "match": {"prefix": "/shadow-claims"}, "enforce": false,
     "auth": {"providers": ["idp"], "claims": [{"claim": "scope", "contains": ["admin"]}]}},
    {"name": "shadow-all", "match": {"prefix": "/shadow-all"}, "enforce": false,
     "cors": {"allow_origins": ["` + appOrig + `"]},
     "auth": {"providers": ["idp"]},
     "response": {"redact": {"keys": ["password"]}},
     "rate_limits": [{"name": "shadow-ip", "key": "ip", "limit": 100, "window": "1m"}]},
    {"name": "header", "match": {"prefix": "/header"}, "auth": {"providers": ["idp"]}},
    {"name": "cookie", "match": {"prefix": "/cookie"}, "auth": {"providers": ["web"]}},
    {"name": "query", "match": {"prefix": "/query"}, "auth": {"providers": ["q"]}},
    {"name": "key", "match": {"prefix": "/key"}, "auth": {"providers": ["keys"]}},
    {"name": "all", "match": {"prefix": "/all"},
     "cors": {"allow_origins": ["` + appOrig + `"]},
     "auth": {"providers": ["idp"]},
     "response": {"redact": {"keys": ["password"]}},
     "rate_limits": [{"name": "all-ip", "key": "ip", "limit": 100, "window": "1m"}]}
  ]
}`
}

// confSameRequest checks that upstream received the request exactly as the
// client sent it: the same :path, and the same headers in the same order,
// nothing removed, replaced or added.
func confSameRequest(t *testing.T, r host.Result, req host.Request) {
	t.Helper()
	if !r.UpstreamCalled {
		t.Fatalf("upstream not called (status %d, details %q)", r.Downstream.Status, r.Downstream.LocalReply)
	}
	if got := r.Upstream.Header(":path"); got != req.Path {
		t.Errorf("upstream :path = %q, want %q", got, req.Path)
	}
	var got []proxy.Pair
	for _, p := range r.Upstream.Headers {
		if !strings.HasPrefix(p.Key, ":") {
			got = append(got, p)
		}
	}
	same := len(got) == len(req.Headers)
	for i := 0; same && i < len(got); i++ {
		same = strings.EqualFold(got[i].Key, req.Headers[i].Key) && got[i].Value == req.Headers[i].Value
	}
	if !same {
		t.Errorf("upstream headers %v, want the client's %v", got, req.Headers)
	}
}

// docs/configuration.md "enforce": "`false` makes a policy report-only: steps 3 to 12
// of the order of checks and the response checks of that policy are logged
// and counted as they would be, but not applied, and the request and
// response go on untouched." A verified credential is neither removed
// (header, cookie, query parameter, API key) nor turned into
// claims_to_headers, whether or not a check of the policy would refuse.
func TestReportOnly_requestUntouched(t *testing.T) {
	now := host.DefaultStart
	tok := mint(t, "ed", "EdDSA", claimsAt(now, idpIssuer, nil))
	web := mint(t, "ed", "EdDSA", claimsAt(now, webIssuer, nil))
	cookies := "theme=dark; session=" + web + "; lang=en"
	cases := []struct {
		name string
		req  host.Request
	}{
		{"header", getWith("/shadow-header/x", bearer(tok))},
		{"cookie", getWith("/shadow-cookie/x", headers("cookie", cookies))},
		{"query parameter", getWith("/shadow-query/x?a=1&access_token="+tok+"&b=2", nil)},
		{"API key", getWith("/shadow-key/x", headers("x-api-key", confAPIKey))},
		{"would-be refusal", getWith("/shadow-claims/x", bearer(tok))},
	}
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, reportOnlyConfig(t))
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := roundTrip(e.Worker(0), exchange{req: c.req})
				if r.Downstream.Status != 200 || r.Downstream.LocalReply != "" {
					t.Fatalf("status %d, details %q", r.Downstream.Status, r.Downstream.LocalReply)
				}
				confSameRequest(t, r, c.req)
			})
		}
		if got := metric(t, e, "apiguard.reported.claims_not_satisfied"); got != 1 {
			t.Errorf("reported.claims_not_satisfied = %d, want 1", got)
		}
		if got := metric(t, e, "apiguard.apikey.k1.used"); got != 1 {
			t.Errorf("apikey.k1.used = %d, want 1 (report-only still counts)", got)
		}
		// The enforced twins edit the request, so the cases above would
		// see it if report-only did too.
		runTable(t, e, []exchange{
			{name: "enforced header", req: getWith("/header/x", bearer(tok)), want: 200,
				upHeaders: map[string]string{"authorization": "", "x-user-id": "alice"}},
			{name: "enforced cookie", req: getWith("/cookie/x", headers("cookie", cookies)), want: 200,
				upHeaders: map[string]string{"cookie": "theme=dark; lang=en", "x-web-user": "alice"}},
			{name: "enforced query parameter", req: getWith("/query/x?a=1&access_token="+tok+"&b=2", nil), want: 200,
				upHeaders: map[string]string{":path": "/query/x?a=1&b=2", "x-query-user": "alice"}},
			{name: "enforced API key", req: getWith("/key/x", headers("x-api-key", confAPIKey)), want: 200,
				upHeaders: map[string]string{"x-api-key": "", "x-key-sub": "svc"}},
		})
	})
}

// The same sentence for every other policy of a report-only route: the
// request keeps Range, If-Range and Accept-Encoding (response rules), the
// response keeps its body, its Content-Length and upstream's RateLimit
// headers. What the route still adds is not a check of the policy: the CORS
// allow headers matching the preflights it still answers, Vary: Origin,
// and the top-level security_headers (Cache-Control: no-store included,
// since the request carried a verified credential).
func TestReportOnly_responseUntouched(t *testing.T) {
	tok := mint(t, "ed", "EdDSA", claimsAt(host.DefaultStart, idpIssuer, nil))
	const doc = `{"id":1,"password":"hunter2"}`
	upstream := jsonResp(200, doc, "content-length", "29", "ratelimit-policy", `"up";q=9;w=9`, "ratelimit", `"up";r=8;t=9`)
	req := func(path string) host.Request {
		return rlReq(path, "203.0.113.7:1", "authorization", "Bearer "+tok, "origin", appOrig,
			"range", "bytes=0-9", "if-range", `"v1"`, "accept-encoding", "gzip")
	}
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, reportOnlyConfig(t))
		r := roundTrip(e.Worker(0), exchange{req: req("/shadow-all/x"), resp: upstream})
		d := r.Downstream
		if d.Status != 200 || d.LocalReply != "" {
			t.Fatalf("status %d, details %q", d.Status, d.LocalReply)
		}
		confSameRequest(t, r, req("/shadow-all/x"))
		if string(d.Body) != doc {
			t.Errorf("body %s, want upstream's %s", d.Body, doc)
		}
		for k, want := range map[string]string{
			"content-length":              "29",
			"ratelimit-policy":            `"up";q=9;w=9`,
			"ratelimit":                   `"up";r=8;t=9`,
			"access-control-allow-origin": appOrig,
			"vary":                        "Origin",
			"cache-control":               "no-store",
			"x-content-type-options":      "nosniff",
		} {
			if got := d.Header(k); got != want {
				t.Errorf("response %s = %q, want %q", k, got, want)
			}
		}
		if got := metric(t, e, "apiguard.route.shadow-all.redactions"); got != 1 {
			t.Errorf("route.shadow-all.redactions = %d, want 1 (counted, not applied)", got)
		}
		// The enforced twin applies every one of them.
		runTable(t, e, []exchange{{name: "enforced", req: req("/all/x"), resp: upstream, want: 200, body: strp(`{"id":1}`),
			upHeaders: map[string]string{"authorization": "", "range": "", "if-range": "", "accept-encoding": "identity"},
			headers:   map[string]string{"content-length": "", "ratelimit-policy": `"all-ip";q=100;w=60`, "ratelimit": `"all-ip";r=99;t=1`}}})
	})
}
