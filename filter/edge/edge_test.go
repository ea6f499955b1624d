package edge

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/problem"
)

func TestCORS_validOrigin(t *testing.T) {
	cases := []struct {
		in   string
		want bool
	}{
		{"https://app.example.com", true},
		{"http://localhost:8080", true},
		{"https://app.example.com:8443", true},
		{"null", true},
		{"https://[::1]", true},
		{"https://[2001:db8::1]:8443", true},
		{"chrome-extension://abcdef", true},
		{"https://my_host.internal", true},
		{"https://app.example.com:443", false}, // default port: browsers omit it
		{"http://app.example.com:80", false},
		{"http://app.example.com:443", true}, // not the default for http
		{"https://App.example.com", false},
		{"HTTPS://app.example.com", false},
		{"https://app.example.com/", false},
		{"https://app.example.com/path", false},
		{"https://app.example.com?q", false},
		{"https://app.example.com:", false},
		{"https://app.example.com:0", false},
		{"https://app.example.com:080", false},
		{"https://app.example.com:65536", false},
		{"https://app.example.com:x", false},
		{"https://user@app.example.com", false},
		{"https://", false},
		{"https:app.example.com", false},
		{"://app.example.com", false},
		{"1http://app.example.com", false},
		{"https://[::1", false},
		{"https://[::1]x", false},
		{"https://[::1]:", false},
		{"https://[]", false},
		{"https://[1]", false},
		{"https://[::g]", false},
		{"Null", false},
		{"", false},
		{"*", false},
		{"https://a.example,https://b.example", false},
		{"https://" + strings.Repeat("a", MaxOriginLen), false},
	}
	for _, c := range cases {
		if got := ValidOrigin(c.in); got != c.want {
			t.Errorf("ValidOrigin(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func cors(origins []string, mutate func(*config.CORS)) *CORS {
	c := &config.CORS{
		AllowOrigins: origins,
		AnyOrigin:    len(origins) == 1 && origins[0] == "*",
		AllowMethods: []string{"GET", "HEAD", "POST"},
	}
	if mutate != nil {
		mutate(c)
	}
	return NewCORS(c)
}

func TestCORS_allowOrigin(t *testing.T) {
	listed := cors([]string{"https://app.example.com", "http://localhost:3000", "null"}, nil)
	any := cors([]string{"*"}, nil)
	cases := []struct {
		name   string
		c      *CORS
		origin string
		echo   string
		ok     bool
	}{
		{"listed", listed, "https://app.example.com", "https://app.example.com", true},
		{"listed with port", listed, "http://localhost:3000", "http://localhost:3000", true},
		{"other port", listed, "http://localhost:3001", "", false},
		{"explicit default port is another string", listed, "https://app.example.com:443", "", false},
		{"other scheme", listed, "http://app.example.com", "", false},
		{"letter case", listed, "https://APP.example.com", "", false},
		{"trailing slash", listed, "https://app.example.com/", "", false},
		{"suffix attack", listed, "https://app.example.com.evil.example", "", false},
		{"prefix attack", listed, "https://evil-app.example.com", "", false},
		{"two origins joined", listed, "https://app.example.com,https://app.example.com", "", false},
		{"null listed", listed, "null", "null", true},
		{"absent", listed, "", "", false},
		{"any: valid origin echoed", any, "https://x.example", "https://x.example", true},
		{"any: null echoed", any, "null", "null", true},
		{"any: junk not echoed", any, "https://x.example/<script>", "", false},
		{"any: absent", any, "", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			echo, ok := c.c.AllowOrigin(c.origin)
			if echo != c.echo || ok != c.ok {
				t.Fatalf("AllowOrigin(%q) = %q, %v; want %q, %v", c.origin, echo, ok, c.echo, c.ok)
			}
		})
	}
}

func TestCORS_listedOrigin(t *testing.T) {
	listed := cors([]string{"https://app.example.com", "null"}, nil)
	any := cors([]string{"*"}, nil)
	cases := []struct {
		c      *CORS
		origin string
		want   bool
	}{
		{listed, "https://app.example.com", true},
		{listed, "null", false}, // opaque origins never vouch for a cookie
		{listed, "https://other.example", false},
		{listed, "", false},
		{any, "https://app.example.com", false}, // "*" lists nobody by name
	}
	for _, c := range cases {
		if got := c.c.Listed(c.origin); got != c.want {
			t.Errorf("Listed(%q) = %v, want %v", c.origin, got, c.want)
		}
	}
}

func TestCORS_headersAllowed(t *testing.T) {
	c := cors([]string{"*"}, func(c *config.CORS) { c.AllowHeaders = []string{"authorization", "content-type", "x-trace"} })
	none := cors([]string{"*"}, nil)
	cases := []struct {
		c    *CORS
		list string
		want bool
	}{
		{c, "", true},
		{c, "authorization", true},
		{c, "authorization,content-type", true},
		{c, "Authorization, Content-Type", true},
		{c, " \tx-trace\t ", true},
		{c, "authorization,,content-type,", true}, // empty elements name nothing
		{c, ",", true},
		{c, "authorization,x-other", false},
		{c, "x-other", false},
		{c, "authorizatio", false},
		{c, "authorization2", false},
		{c, "content type", false}, // not a token
		{c, "authorization;q=1", false},
		{c, "x-tracé", false},
		{none, "", true},
		{none, "content-type", false},
	}
	for _, tc := range cases {
		if got := tc.c.HeadersAllowed(tc.list); got != tc.want {
			t.Errorf("HeadersAllowed(%q) = %v, want %v", tc.list, got, tc.want)
		}
	}
}

func TestCORS_preflightVerdict(t *testing.T) {
	c := cors([]string{"https://app.example.com"}, func(c *config.CORS) {
		c.AllowMethods = []string{"GET", "PUT"}
		c.AllowHeaders = []string{"content-type"}
	})
	cases := []struct {
		origin, method, headers string
		echo                    string
		want                    Verdict
	}{
		{"https://app.example.com", "PUT", "content-type", "https://app.example.com", PreflightAllowed},
		{"https://app.example.com", "GET", "", "https://app.example.com", PreflightAllowed},
		{"https://evil.example", "PUT", "content-type", "", PreflightBadOrigin},
		{"https://evil.example", "DELETE", "x-bad", "", PreflightBadOrigin}, // origin first
		{"https://app.example.com", "DELETE", "content-type", "", PreflightBadMethod},
		{"https://app.example.com", "put", "", "", PreflightBadMethod},  // methods are case-sensitive
		{"https://app.example.com", "POST", "", "", PreflightBadMethod}, // not listed, though safelisted
		{"https://app.example.com", "GET,PUT", "", "", PreflightBadMethod},
		{"https://app.example.com", "PUT", "x-bad", "", PreflightBadHeader},
		{"https://app.example.com", "PUT", "content-type,authorization", "", PreflightBadHeader},
	}
	for _, tc := range cases {
		echo, v := c.Preflight(tc.origin, tc.method, tc.headers)
		if echo != tc.echo || v != tc.want {
			t.Errorf("Preflight(%q, %q, %q) = %q, %s; want %q, %s", tc.origin, tc.method, tc.headers, echo, v, tc.echo, tc.want)
		}
	}
}

func TestCORS_headerValues(t *testing.T) {
	c := cors([]string{"https://app.example.com"}, func(c *config.CORS) {
		c.AllowMethods = []string{"GET", "POST", "DELETE"}
		c.AllowHeaders = []string{"authorization", "content-type"}
		c.AllowCredentials = true
		c.MaxAge, c.HasMaxAge = 600*time.Second, true
	})
	if got, want := c.AllowMethodsValue(), "GET, POST, DELETE"; got != want {
		t.Errorf("methods %q, want %q", got, want)
	}
	if got, want := c.AllowHeadersValue(), "authorization, content-type"; got != want {
		t.Errorf("headers %q, want %q", got, want)
	}
	if got, want := c.MaxAgeValue(), "600"; got != want {
		t.Errorf("max age %q, want %q", got, want)
	}
	if !c.Credentials() {
		t.Error("credentials not set")
	}
	zero := cors([]string{"*"}, func(c *config.CORS) { c.HasMaxAge = true })
	if got := zero.MaxAgeValue(); got != "0" {
		t.Errorf("max_age_seconds 0 gives %q, want \"0\"", got)
	}
	plain := cors([]string{"*"}, nil)
	if plain.MaxAgeValue() != "" || plain.AllowHeadersValue() != "" || plain.Credentials() {
		t.Errorf("defaults: max age %q, headers %q, credentials %v", plain.MaxAgeValue(), plain.AllowHeadersValue(), plain.Credentials())
	}
	if got := plain.AllowMethodsValue(); got != "GET, HEAD, POST" {
		t.Errorf("default methods %q", got)
	}
}

func TestCORS_verdictString(t *testing.T) {
	for v, want := range map[Verdict]string{PreflightAllowed: "allowed", PreflightBadOrigin: "bad_origin",
		PreflightBadMethod: "bad_method", PreflightBadHeader: "bad_header", Verdict(9): "invalid"} {
		if got := v.String(); got != want {
			t.Errorf("%d: %q, want %q", v, got, want)
		}
	}
}

func TestDeprecation_headerValues(t *testing.T) {
	since := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	sunset := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	d := NewDeprecation(&config.Deprecation{Since: since, Sunset: sunset, Link: "https://docs.example.com/migrate?v=2", RefuseAfterSunset: true})
	if got, want := d.DeprecationHeader(), "@1780272000"; got != want {
		t.Errorf("Deprecation %q, want %q", got, want)
	}
	if got, want := d.SunsetHeader(), "Tue, 01 Jun 2027 00:00:00 GMT"; got != want {
		t.Errorf("Sunset %q, want %q", got, want)
	}
	if got, want := d.LinkHeader(), `<https://docs.example.com/migrate?v=2>; rel="deprecation"`; got != want {
		t.Errorf("Link %q, want %q", got, want)
	}
	only := NewDeprecation(&config.Deprecation{Since: since})
	if only.SunsetHeader() != "" || only.LinkHeader() != "" || only.Gone(sunset.Add(1000*time.Hour).UnixNano()) {
		t.Errorf("since only: sunset %q, link %q", only.SunsetHeader(), only.LinkHeader())
	}
}

func TestDeprecation_dateFormats(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	cases := []struct {
		t           time.Time
		dep, sunset string
	}{
		{time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), "@1780272000", "Mon, 01 Jun 2026 00:00:00 GMT"},
		{time.Date(2026, 6, 1, 1, 0, 0, 0, cet), "@1780272000", "Mon, 01 Jun 2026 00:00:00 GMT"}, // zone converted
		{time.Date(2026, 6, 1, 0, 0, 0, 999_999_999, time.UTC), "@1780272000", "Mon, 01 Jun 2026 00:00:00 GMT"},
		{time.Date(1969, 12, 31, 23, 59, 59, 500_000_000, time.UTC), "@-1", "Wed, 31 Dec 1969 23:59:59 GMT"},
		{time.Date(1994, 11, 6, 8, 49, 37, 0, time.UTC), "@784111777", "Sun, 06 Nov 1994 08:49:37 GMT"}, // RFC 9110's example
	}
	for _, c := range cases {
		if got := DeprecationValue(c.t); got != c.dep {
			t.Errorf("DeprecationValue(%v) = %q, want %q", c.t, got, c.dep)
		}
		if got := HTTPDate(c.t); got != c.sunset {
			t.Errorf("HTTPDate(%v) = %q, want %q", c.t, got, c.sunset)
		}
	}
}

func TestDeprecation_goneAfterSunset(t *testing.T) {
	since := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	sunset := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	refuse := NewDeprecation(&config.Deprecation{Since: since, Sunset: sunset, RefuseAfterSunset: true})
	keep := NewDeprecation(&config.Deprecation{Since: since, Sunset: sunset})
	cases := []struct {
		d    *Deprecation
		at   time.Time
		want bool
	}{
		{refuse, since, false},
		{refuse, sunset.Add(-time.Nanosecond), false},
		{refuse, sunset, true},
		{refuse, sunset.Add(time.Second), true},
		{keep, sunset.Add(time.Hour), false},
	}
	for _, c := range cases {
		if got := c.d.Gone(c.at.UnixNano()); got != c.want {
			t.Errorf("Gone(%v) = %v, want %v", c.at, got, c.want)
		}
	}
}

// refValidOrigin is an independent statement of the serialised-origin form,
// written with the standard library, for the differential fuzz target.
func refValidOrigin(s string) bool {
	if s == "null" {
		return true
	}
	if len(s) > MaxOriginLen {
		return false
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || scheme == "" || scheme[0] < 'a' || scheme[0] > 'z' ||
		strings.Trim(scheme, "abcdefghijklmnopqrstuvwxyz0123456789+-.") != "" {
		return false
	}
	host, port := rest, ""
	if strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]")
		if end < 0 {
			return false
		}
		host, port = rest[:end+1], rest[end+1:]
		if port != "" {
			if port[0] != ':' {
				return false
			}
			port = port[1:]
			if port == "" {
				return false
			}
		}
		inner := host[1 : len(host)-1]
		if strings.Count(inner, ":") < 2 || strings.Trim(inner, "0123456789abcdef:.") != "" {
			return false
		}
	} else {
		if h, p, ok := strings.Cut(rest, ":"); ok {
			if p == "" {
				return false
			}
			host, port = h, p
		}
		if host == "" || strings.Trim(host, "abcdefghijklmnopqrstuvwxyz0123456789-._") != "" {
			return false
		}
	}
	if port == "" {
		return true
	}
	if port[0] == '0' || strings.Trim(port, "0123456789") != "" {
		return false
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return false
	}
	return !(scheme == "https" && n == 443 || scheme == "http" && n == 80)
}

func FuzzCORS_validOrigin(f *testing.F) {
	for _, s := range []string{"https://app.example.com", "http://localhost:8080", "null", "https://[::1]:443",
		"https://[2001:db8::1]:8443", "https://a:443", "http://a:80", "https://a:00", "https://a:99999",
		"https://a/", "x://", "https://[::1", "a+b.c-d://h_1", "https://a:1:2", "https://[::]:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := ValidOrigin(s)
		if want := refValidOrigin(s); got != want {
			t.Fatalf("ValidOrigin(%q) = %v, reference says %v", s, got, want)
		}
		if !got {
			return
		}
		// An accepted origin may be echoed into a header and compared as a
		// string: lower case, and after the scheme never a path, userinfo,
		// list separator, space or control character.
		if strings.ToLower(s) != s {
			t.Fatalf("accepted %q with upper case", s)
		}
		if _, rest, ok := strings.Cut(s, "://"); ok && strings.ContainsAny(rest, "/?#@, \t\r\n\x00") {
			t.Fatalf("accepted %q with a forbidden character", s)
		}
	})
}

// refHeadersAllowed states HeadersAllowed with the standard library.
func refHeadersAllowed(allowed []string, list string) bool {
	for _, name := range strings.Split(list, ",") {
		name = strings.Trim(name, " \t")
		if name == "" {
			continue
		}
		if strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~") != "" {
			return false
		}
		found := false
		for _, a := range allowed {
			if strings.ToLower(name) == a {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func FuzzCORS_headersAllowed(f *testing.F) {
	allowed := []string{"authorization", "content-type", "x-k"}
	c := cors([]string{"*"}, func(c *config.CORS) { c.AllowHeaders = allowed })
	for _, s := range []string{"", "authorization", "Authorization, Content-Type", " x-k ,", "x-k;", "x-K\t,\tX-k",
		"content type", ",,,", "x-\u212a"} { // U+212A folds to 'k' in Unicode, never in ASCII
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		if got, want := c.HeadersAllowed(list), refHeadersAllowed(allowed, list); got != want {
			t.Fatalf("HeadersAllowed(%q) = %v, reference says %v", list, got, want)
		}
	})
}

func BenchmarkCORS_allowOrigin(b *testing.B) {
	c := cors([]string{"https://a.example.com", "https://b.example.com", "https://app.example.com"}, nil)
	if _, ok := c.AllowOrigin("https://app.example.com.evil"); ok {
		b.Fatal("another origin is allowed")
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := c.AllowOrigin("https://app.example.com"); !ok {
			b.Fatal("not allowed")
		}
	}
}

func BenchmarkCORS_preflight(b *testing.B) {
	c := cors([]string{"https://app.example.com"}, func(c *config.CORS) {
		c.AllowMethods = []string{"GET", "POST", "PUT", "DELETE"}
		c.AllowHeaders = []string{"authorization", "content-type", "x-request-id"}
	})
	if _, v := c.Preflight("https://app.example.com", "PATCH", "authorization"); v == PreflightAllowed {
		b.Fatal("a method not listed is allowed")
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, v := c.Preflight("https://app.example.com", "DELETE", "authorization,content-type,x-request-id"); v != PreflightAllowed {
			b.Fatal(v)
		}
	}
}

func BenchmarkCORS_validOrigin(b *testing.B) {
	if ValidOrigin("https://app.example.com:8443/") || ValidOrigin("https://app.example.com:84a3") {
		b.Fatal("an invalid origin passes: the check measured does nothing")
	}
	b.ReportAllocs()
	for b.Loop() {
		if !ValidOrigin("https://app.example.com:8443") {
			b.Fatal("invalid")
		}
	}
}

func BenchmarkDeprecation_gone(b *testing.B) {
	d := NewDeprecation(&config.Deprecation{Since: time.Unix(0, 0), Sunset: time.Unix(2e9, 0), RefuseAfterSunset: true})
	now := time.Unix(1.9e9, 0).UnixNano()
	if !d.Gone(time.Unix(2e9+1, 0).UnixNano()) {
		b.Fatal("not gone after the sunset: the check measured does nothing")
	}
	b.ReportAllocs()
	for b.Loop() {
		if d.Gone(now) {
			b.Fatal("gone")
		}
	}
}

// TestPreflight_stepVerdicts: step 4 answers an allowed preflight, refuses one the
// route's cors refuses, and refuses a method none of the path's routes
// lists (origin first), enforced when step 2 says so.
func TestPreflight_stepVerdicts(t *testing.T) {
	c := cors([]string{"https://app.example.com"}, func(c *config.CORS) { c.AllowMethods = []string{"PUT"} })
	for _, tc := range []struct {
		name           string
		origin, method string
		wrong, enforce bool
		echo           string
		refused        problem.Reason
		enforced       bool
	}{
		{"allowed", "https://app.example.com", "PUT", false, false, "https://app.example.com", "", false},
		{"bad method", "https://app.example.com", "DELETE", false, false, "", problem.ReasonCORSMethod, false},
		{"wrong method", "https://app.example.com", "DELETE", true, false, "", problem.ReasonCORSMethod, false},
		{"wrong method, enforced", "https://app.example.com", "DELETE", true, true, "", problem.ReasonCORSMethod, true},
		{"wrong method, bad origin", "https://evil.example", "DELETE", true, true, "", problem.ReasonCORSOrigin, true},
	} {
		req := &httpx.Request{Method: "OPTIONS", Headers: []httpx.Pair{{Key: "origin", Value: tc.origin}, {Key: "access-control-request-method", Value: tc.method}}}
		e := Request{Answer: true, WrongMethod: tc.wrong, EnforceRefusal: tc.enforce}
		e.PreflightMethod(req)
		e.Load(c, nil, req)
		echo, refused, enforced := e.PreflightStep(req)
		if echo != tc.echo || refused != tc.refused || enforced != tc.enforced || !e.Preflight {
			t.Errorf("%s: %q %q %v", tc.name, echo, refused, enforced)
		}
	}
}
