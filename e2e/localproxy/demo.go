package localproxy

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"
)

// demoRequest is one request the demo sends, with why apiguard answers as
// it does, in words a newcomer follows.
type demoRequest struct {
	method, path string
	headers      map[string]string
	body         string
	why          string
}

// demoKey is the demo's API key; envoy/apiguard.demo.json holds only its
// SHA-256, as every apiguard configuration does.
const demoKey = "demo-key-123"

// demoIssuer and demoSeed are the demo identity provider: the demo mints
// its tokens with this published key, whose public half is the inline
// jwks of envoy/apiguard.demo.json. Never a secret.
const (
	demoIssuer = "https://idp.demo.apiguard.local/"
	demoSeed   = "apiguard demo identity provider: a published demo key, never a secret"
)

// demoToken mints an EdDSA JWT of the demo identity provider for sub,
// expiring at exp.
func demoToken(sub string, iat, exp time.Time) string {
	seed := sha256.Sum256([]byte(demoSeed))
	key := ed25519.NewKeyFromSeed(seed[:])
	enc := base64.RawURLEncoding.EncodeToString
	header, _ := json.Marshal(map[string]string{"alg": "EdDSA", "kid": "demo", "typ": "JWT"})
	claims, _ := json.Marshal(map[string]any{"iss": demoIssuer, "aud": "orders-api", "sub": sub,
		"iat": iat.Unix(), "exp": exp.Unix()})
	signing := enc(header) + "." + enc(claims)
	return signing + "." + enc(ed25519.Sign(key, []byte(signing)))
}

// demoRequests exercise envoy/apiguard.demo.json. The orders route allows
// acme 4 requests a minute (rate_limits "per-partner", keyed by the sub
// claim, whether it comes from the API key or the token); the notes count
// them.
func demoRequests(now time.Time) []demoRequest {
	withKey := map[string]string{"x-api-key": demoKey}
	bearer := func(tok string) map[string]string { return map[string]string{"authorization": "Bearer " + tok} }
	return []demoRequest{
		{method: "GET", path: "/healthz",
			why: "The health route's policy is empty: apiguard checks nothing and passes the upstream's answer as it is\n" +
				"(so the ssn shows here; the orders route below masks it)."},
		{method: "HEAD", path: "/healthz", why: "HEAD is allowed wherever GET is, as HTTP says."},
		{method: "POST", path: "/healthz",
			why: "The route lists only GET: another method gets 405 and an Allow header, never a looser policy."},
		{method: "GET", path: "/admin", headers: map[string]string{"x-request-id": "demo-7"},
			why: "No route matches and the policy has no default: 404. The problem+json body carries the request id,\n" +
				"so a client's report can be found in the logs."},
		{method: "GET", path: "/public/%2e%2e/admin",
			why: "%2e%2e is an encoded \"..\": an upstream that decodes it would serve /admin. Refused before routing."},
		{method: "GET", path: "/users/acme/orders",
			why: "The orders route needs an API key or a token, and none was sent: 401."},
		{method: "GET", path: "/users/acme/orders", headers: map[string]string{"x-api-key": "guessed"},
			why: "A key that is not configured: 401. (The policy holds only SHA-256 hashes of keys, never a key.)"},
		{method: "GET", path: "/users/acme/orders", headers: bearer(demoToken("acme", now.Add(-time.Minute), now.Add(time.Hour))),
			why: "A JWT from the demo identity provider, minted just now for sub=acme: its signature, issuer, audience\n" +
				"and expiry check out, and sub=acme owns /users/acme. Allowed; acme has used 1 of its 4 requests this minute."},
		{method: "GET", path: "/users/acme/orders", headers: bearer(demoToken("acme", now.Add(-2*time.Hour), now.Add(-time.Hour))),
			why: "The same kind of token, expired an hour ago: 401. Refused before the rate limit, so it uses none of acme's 4."},
		{method: "GET", path: "/users/acme/orders", headers: withKey,
			why: "The API key of partner acme (its claims say sub=acme): allowed, and the ssn in the answer is masked\n" +
				"(response.redact). Second of acme's 4 requests this minute."},
		{method: "GET", path: "/users/globex/orders", headers: withKey,
			why: "acme's key asking for globex's orders: 403 (object-level authorization: the path's user_id must be\n" +
				"the caller's sub). Refused before the rate limit: still 2 used."},
		{method: "DELETE", path: "/users/globex/orders", headers: withKey,
			why: "The orders route lists GET and POST: 405 with Allow."},
		{method: "GET", path: "/USERS/globex/orders", headers: withKey,
			why: "Express and ASP.NET ignore letter case and would serve this. apiguard's routes are case-sensitive,\n" +
				"so a path that matches only when case is ignored gets 404, never the default policy."},
		{method: "GET", path: "/users/acme/orders?access_token=x", headers: withKey,
			why: "A credential in the URL ends up in logs and browser history; the route forbids it: 400.\n" +
				"Refused before the rate limit: still 2 used."},
		{method: "POST", path: "/users/acme/orders", headers: withKey, body: `{"items":[1],"items":[2]}`,
			why: "The body holds \"items\" twice, and parsers disagree on which one wins: 400. The rate limit is\n" +
				"checked when the headers arrive, before the body is read, so this refused request used a token: 3 of 4."},
		{method: "POST", path: "/users/acme/orders", headers: withKey, body: `{"items":[1,2]}`,
			why: "A well-formed body with the required \"items\" array: allowed. 4 of 4 used."},
		{method: "GET", path: "/users/acme/orders", headers: withKey,
			why: "acme has used its 4 requests of this minute (the token's GET, the key's GET and both POSTs): 429.\n" +
				"The bucket refills one request every 60s / 4 = 15s, hence Retry-After: 15."},
		{method: "POST", path: "/pets", body: `{"name":"Rex","tag":"dog"}`,
			why: "The pets route checks bodies against the schema its OpenAPI document gives (request.json.schema):\n" +
				"this one fits, and the answer is projected onto the response schema (customer and ssn are gone)."},
		{method: "POST", path: "/pets", body: `{"name":"Rex","is_admin":true}`,
			why: "Mass assignment: is_admin is a member the schema does not declare. Refused (400) before the upstream\n" +
				"could bind it to its model."},
		{method: "POST", path: "/pets", body: `{"name":"Rex","ID":7}`,
			why: "Mass assignment by spelling: ID is a case variant of the readOnly id, which a case-insensitive binder\n" +
				"would set. Refused (400)."},
	}
}

// demoUpstream answers every request with a JSON echo of what reached it.
func demoUpstream() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("content-type", "application/json")
		w.Header().Set("server", "demo-upstream/1.0")
		json.NewEncoder(w).Encode(map[string]any{
			"method": r.Method, "path": r.URL.RequestURI(), "body_bytes": len(body),
			"partner":  r.Header.Get("x-partner-id"),
			"customer": map[string]string{"name": "Acme", "ssn": "123-45-6789"},
		})
	})
}

// RunDemo starts the upstream and the proxy on loopback ports, sends the demo
// requests and prints each outcome and why.
func RunDemo(cfg Config, out io.Writer) error {
	upLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	upSrv := &http.Server{Handler: demoUpstream()}
	go upSrv.Serve(upLn)
	defer upSrv.Close()
	cfg.Upstream = upLn.Addr().String()
	// Each request's reason, from the proxy's access callback (which runs
	// before the client gets its answer; the demo sends one at a time).
	reasons := make(chan string, 1)
	cfg.AccessLog = func(a Access) { reasons <- a.Reason }

	p, err := New(cfg)
	if err != nil {
		return refusal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc := make(chan net.Addr, 1)
	errc := make(chan error, 1)
	go func() { errc <- p.Listen(ctx, "127.0.0.1:0", func(a net.Addr) { addrc <- a }) }()
	var addr net.Addr
	select {
	case addr = <-addrc:
	case err := <-errc:
		return err
	}
	fmt.Fprintf(out, "apiguard demo: the module runs in an Envoy emulator (%d workers); proxy http://%s -> demo upstream http://%s\n"+
		"Policy: envoy/apiguard.demo.json. Each request below shows apiguard's answer and why.\n\n",
		cfg.Workers, addr, cfg.Upstream)
	client := &http.Client{Timeout: 10 * time.Second}
	for _, d := range demoRequests(time.Now()) {
		req, err := http.NewRequest(d.method, "http://"+addr.String()+d.path, strings.NewReader(d.body))
		if err != nil {
			return err
		}
		for k, v := range d.headers {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("%s %s: %v", d.method, d.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		reason := <-reasons
		verdict := "allowed, upstream answered"
		if ct := resp.Header.Get("content-type"); strings.HasPrefix(ct, "application/problem+json") {
			verdict = "refused by apiguard"
			if reason != "" {
				verdict += " (reason=" + reason + ")"
			}
		}
		fmt.Fprintf(out, "%-5s %-28s%s -> %d %s\n", d.method, d.path, credential(d.headers), resp.StatusCode, verdict)
		for _, line := range strings.Split(d.why, "\n") {
			fmt.Fprintf(out, "      %s\n", line)
		}
		for _, h := range []string{"Allow", "WWW-Authenticate", "Retry-After", "RateLimit-Policy", "RateLimit"} {
			if v := resp.Header.Get(h); v != "" {
				fmt.Fprintf(out, "      %s: %s\n", h, v)
			}
		}
		if len(body) > 0 {
			fmt.Fprintf(out, "      body: %s\n", strings.TrimSpace(string(body)))
		}
	}
	fmt.Fprintf(out, "\nmetrics (what Prometheus would scrape; `apiguard proxy -metrics` serves them):\n")
	m := p.Envoy().Metrics()
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(out, "  %s = %d\n", k, m[k])
	}
	return nil
}

// credential names the credential a demo request carries, for its line.
func credential(h map[string]string) string {
	switch {
	case h["x-api-key"] == demoKey:
		return " [acme's API key]"
	case h["x-api-key"] != "":
		return " [a guessed API key]"
	case h["authorization"] != "":
		return " [JWT]"
	}
	return ""
}
