package edge

import (
	"testing"
	"time"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/problem"
)

func view(method string, kv ...string) *httpx.Request {
	r := &httpx.Request{Method: method}
	for i := 0; i+1 < len(kv); i += 2 {
		r.Headers = append(r.Headers, httpx.Pair{Key: kv[i], Value: kv[i+1]})
	}
	return r
}

func edits(e *Request, enforce bool) map[string]httpx.Edit {
	out := map[string]httpx.Edit{}
	for _, ed := range e.AppendResponseEdits(nil, enforce) {
		out[ed.Key] = ed
	}
	return out
}

// TestRequest_originAndAnswers: the origin's verdict drives every answer
// of the route: the allow headers on upstream's response and on refusals
// (not on a refused preflight), their removal on an enforced route for a
// foreign origin, Vary always, the deprecation headers on every answer.
func TestRequest_originAndAnswers(t *testing.T) {
	cors := NewCORS(&config.CORS{AllowOrigins: []string{"https://app.example"}, AllowMethods: []string{"GET", "PUT"},
		AllowHeaders: []string{"x-a"}, AllowCredentials: true, MaxAge: time.Minute, HasMaxAge: true})
	dep := NewDeprecation(&config.Deprecation{Since: time.Unix(1_700_000_000, 0), Sunset: time.Unix(1_900_000_000, 0), Link: "https://d.example/x"})

	var ok Request
	ok.Load(cors, dep, view("GET", "origin", "https://app.example"))
	ok.Load(nil, nil, view("GET")) // once per route
	if !ok.OriginListed() {
		t.Error("listed origin not listed")
	}
	e := edits(&ok, true)
	if e["access-control-allow-origin"].Value != "https://app.example" || e["access-control-allow-credentials"].Op != httpx.Replace ||
		e["vary"].Op != httpx.Add || e["deprecation"].Value == "" || e["sunset"].Value == "" || e["link"].Op != httpx.Add {
		t.Errorf("allowed origin's response edits: %+v", e)
	}
	if h := ok.RefusalHeaders(); len(h) != 6 || h[0].Key != "access-control-allow-origin" || h[2] != varyOrigin {
		t.Errorf("allowed origin's refusal headers: %v", h)
	}
	ok.Preflight = true
	if h := ok.RefusalHeaders(); len(h) != 4 || h[0] != varyOrigin {
		t.Errorf("refused preflight's headers: %v", h)
	}

	var foreign Request
	foreign.Load(cors, nil, view("GET", "origin", "https://app.example", "Origin", "https://evil.example"))
	if foreign.OriginListed() || foreign.WrongMethodReason() != problem.ReasonCORSOrigin {
		t.Error("two origins joined are one foreign origin")
	}
	if e := edits(&foreign, true); e["access-control-allow-origin"].Op != httpx.Remove || e["access-control-allow-credentials"].Op != httpx.Remove {
		t.Errorf("enforced foreign origin: %+v", e)
	}
	if e := edits(&foreign, false); len(e) != 1 || e["vary"].Op != httpx.Add {
		t.Errorf("report-only foreign origin removes nothing: %+v", e)
	}
	var none Request
	none.Load(nil, nil, view("GET"))
	if none.RefusalHeaders() != nil || len(edits(&none, true)) != 0 {
		t.Error("a route without edge features adds nothing")
	}
}

// TestRequest_preflight: OPTIONS with Origin and the requested method is a
// preflight; its verdict is the origin's, then the method's, then the
// headers'; an allowed one's 204 carries the allow headers.
func TestRequest_preflight(t *testing.T) {
	cors := NewCORS(&config.CORS{AllowOrigins: []string{"https://app.example"}, AllowMethods: []string{"GET", "PUT"}, AllowHeaders: []string{"x-a"}})
	for _, c := range []struct {
		name string
		req  *httpx.Request
		pre  bool
		want problem.Reason
	}{
		{"allowed", view("OPTIONS", "origin", "https://app.example", "access-control-request-method", "PUT", "access-control-request-headers", "X-A"), true, ""},
		{"bad origin", view("OPTIONS", "origin", "https://evil.example", "access-control-request-method", "PUT"), true, problem.ReasonCORSOrigin},
		{"bad method", view("OPTIONS", "origin", "https://app.example", "access-control-request-method", "DELETE"), true, problem.ReasonCORSMethod},
		{"bad header", view("OPTIONS", "origin", "https://app.example", "access-control-request-method", "PUT", "access-control-request-headers", "x-b"), true, problem.ReasonCORSHeader},
		{"no method asked", view("OPTIONS", "origin", "https://app.example"), false, ""},
		{"no origin", view("OPTIONS", "access-control-request-method", "PUT"), false, ""},
		{"not OPTIONS", view("PUT", "origin", "https://app.example", "access-control-request-method", "PUT"), false, ""},
	} {
		var e Request
		_, pre := e.PreflightMethod(c.req)
		if pre != c.pre {
			t.Errorf("%s: preflight %v", c.name, pre)
			continue
		}
		if !pre {
			continue
		}
		e.Load(cors, nil, c.req)
		echo, reason := e.PreflightVerdict(c.req)
		if reason != c.want || (reason == "") != (echo != "") {
			t.Errorf("%s: %q %q", c.name, echo, reason)
		}
		if reason == "" {
			if hs := e.AppendPreflight(nil, echo); len(hs) != 4 || hs[1].Value != "GET, PUT" || hs[3] != varyOrigin {
				t.Errorf("%s: 204 headers %v", c.name, hs)
			}
		}
	}
}

// TestTLSSatisfied_modes: off passes, connection needs a TLS connection,
// forwarded exactly one X-Forwarded-Proto https, an unknown mode fails.
func TestTLSSatisfied_modes(t *testing.T) {
	https := view("GET", "x-forwarded-proto", "HTTPS")
	twice := view("GET", "x-forwarded-proto", "https", "x-forwarded-proto", "https")
	for _, c := range []struct {
		mode config.TLSMode
		conn bool
		req  *httpx.Request
		want bool
	}{
		{config.TLSOff, false, view("GET"), true},
		{config.TLSConnection, true, view("GET"), true},
		{config.TLSConnection, false, https, false},
		{config.TLSForwarded, false, https, true},
		{config.TLSForwarded, true, view("GET", "x-forwarded-proto", "http"), false},
		{config.TLSForwarded, false, twice, false},
		{config.TLSMode(99), true, https, false},
	} {
		if got := TLSSatisfied(c.mode, c.conn, c.req); got != c.want {
			t.Errorf("mode %v conn %v %v: %v", c.mode, c.conn, c.req.Headers, got)
		}
	}
}
