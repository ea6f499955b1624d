package localproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"
)

// demoRequest is one request the demo sends, with what it shows.
type demoRequest struct {
	method, path string
	headers      map[string]string
	body         string
	note         string
}

// demoKey is the demo's API key; envoy/apiguard.demo.json holds only its
// SHA-256, as every apiguard configuration does.
const demoKey = "demo-key-123"

var withKey = map[string]string{"x-api-key": demoKey}

// demoRequests exercise envoy/apiguard.demo.json.
var demoRequests = []demoRequest{
	{method: "GET", path: "/healthz", note: "exact route, empty policy"},
	{method: "HEAD", path: "/healthz", note: "HEAD matches where GET is listed"},
	{method: "POST", path: "/healthz", note: "method not listed: 405 with Allow, never another policy"},
	{method: "GET", path: "/admin", headers: map[string]string{"x-request-id": "demo-7"}, note: "no route: 404 problem+json with the request id"},
	{method: "GET", path: "/public/%2e%2e/admin", note: "encoded dot segment: refused before routing"},
	{method: "GET", path: "/users/acme/orders", note: "no credential: 401"},
	{method: "GET", path: "/users/acme/orders", headers: map[string]string{"x-api-key": "guessed"}, note: "unknown API key: 401"},
	{method: "GET", path: "/users/acme/orders", headers: withKey, note: "valid key, own orders: allowed, ssn masked in the response"},
	{method: "GET", path: "/users/globex/orders", headers: withKey, note: "someone else's orders: 403 (object-level authorization)"},
	{method: "DELETE", path: "/users/globex/orders", headers: withKey, note: "a method the route does not list: 405"},
	{method: "GET", path: "/USERS/globex/orders", headers: withKey, note: "another letter case (Express would serve it): 404"},
	{method: "GET", path: "/users/acme/orders?access_token=x", headers: withKey, note: "credential in the query string: 400"},
	{method: "POST", path: "/users/acme/orders", headers: withKey, body: `{"items":[1],"items":[2]}`, note: "duplicate JSON key: 400"},
	{method: "POST", path: "/users/acme/orders", headers: withKey, body: `{"items":[1,2]}`, note: "valid JSON body: allowed"},
	{method: "GET", path: "/users/acme/orders", headers: withKey, note: "fourth request of the minute: allowed"},
	{method: "GET", path: "/users/acme/orders", headers: withKey, note: "fifth: over the 4-per-minute limit, 429"},
	{method: "POST", path: "/pets", body: `{"name":"Rex","tag":"dog"}`, note: "body fits its schema: allowed, the response projected onto its schema (customer and ssn gone)"},
	{method: "POST", path: "/pets", body: `{"name":"Rex","is_admin":true}`, note: "mass assignment, a member the schema does not declare: 400"},
	{method: "POST", path: "/pets", body: `{"name":"Rex","ID":7}`, note: "mass assignment, a case variant of the readOnly id: 400"},
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
// requests and prints each outcome.
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
		return fmt.Errorf("the plugin refused to start: %v", err)
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
	fmt.Fprintf(out, "apiguard demo: module loaded into the wazero host (%d workers), proxy http://%s -> upstream http://%s\n\n",
		cfg.Workers, addr, cfg.Upstream)
	client := &http.Client{Timeout: 10 * time.Second}
	for _, d := range demoRequests {
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
		fmt.Fprintf(out, "%-5s %-28s -> %d %s\n      %s\n", d.method, d.path, resp.StatusCode, verdict, d.note)
		for _, h := range []string{"Allow", "WWW-Authenticate", "Retry-After", "RateLimit-Policy", "RateLimit"} {
			if v := resp.Header.Get(h); v != "" {
				fmt.Fprintf(out, "      %s: %s\n", h, v)
			}
		}
		if len(body) > 0 {
			fmt.Fprintf(out, "      body: %s\n", strings.TrimSpace(string(body)))
		}
	}
	fmt.Fprintf(out, "\nmetrics:\n")
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
