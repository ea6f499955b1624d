package plugin

import (
	"strings"

	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/route"
)

// requestView is the request as the request-headers phase read it, once:
// the request line and the header list. Steps 1 and 2 fill it; every later
// step reads it and none writes it (step 1's removal of client-sent claim
// headers is applied to headers before any step reads them).
type requestView struct {
	method string
	path   string // without the query
	// matchPath is path with escaped unreserved characters decoded
	// (reqcheck.DecodeUnreserved): routes and their parameters are
	// matched on it.
	matchPath string
	query     string // without the '?'
	requestID string
	// headerBytes is the size of the request header list as the host
	// handed it over (names and values).
	headerBytes int
	// headers is the request header list as step 1 left it; headersRead
	// says it was read (a stream whose host refused the list has none).
	headers     []proxy.Pair
	headersRead bool
}

// requestLine picks x-request-id, :method and :path out of the request
// headers, and sums the list's size. Each is the first value of its name,
// as proxy_get_header_map_value answers for a repeated header; names
// compare without regard to ASCII case (Envoy hands them over lower-case),
// and an absent header reads as "".
func requestLine(pairs []proxy.Pair) (requestID, method, path string, size int) {
	var haveID, haveMethod, havePath bool
	for _, p := range pairs {
		size += len(p.Key) + len(p.Value)
		switch {
		case !haveMethod && headerIs(p.Key, ":method"):
			method, haveMethod = p.Value, true
		case !havePath && headerIs(p.Key, ":path"):
			path, havePath = p.Value, true
		case !haveID && headerIs(p.Key, "x-request-id"):
			requestID, haveID = p.Value, true
		}
	}
	return requestID, method, path, size
}

// header returns the first value of a request header, as
// proxy_get_header_map_value answers, from the list step 1 read (its
// removals already applied; nothing else edits the request headers before
// the header steps pass).
func (v *requestView) header(name string) (string, bool) {
	for _, p := range v.headers {
		if headerIs(p.Key, name) {
			return p.Value, true
		}
	}
	return "", false
}

// headerAll returns every value of a request header joined with
// ",", as Envoy's request.headers.<name> property answers, or "" when the
// header is absent or empty. Only a repeated header allocates.
func (v *requestView) headerAll(name string) string {
	all, joined := "", false
	for _, p := range v.headers {
		if !headerIs(p.Key, name) {
			continue
		}
		if !joined {
			all, joined = p.Value, true
			continue
		}
		all += "," + p.Value
	}
	return all
}

// keepHeaderBytes is the largest request header list an open stream may
// keep referencing once its header steps are done. The list's strings are
// substrings of the one block the host handed over (filter/abi), so any of
// them kept for the body and response phases keeps the whole block; past
// this size, the few that are kept are copied out instead.
const keepHeaderBytes = 4096

// releaseHeaders runs when the header steps are done and the request goes
// on: the header list and the credential are no longer needed, and for a
// large list the strings the later phases read (request id, method, path,
// query, Origin) are copied into one small allocation, so a stream that
// stays open (a slow upstream, a long body) does not pin up to Envoy's
// header limit of module memory. Route parameters served steps 10 and 12
// and are dropped with the path they pointed into.
func (s *stream) releaseHeaders() {
	s.req.headers = nil
	s.auth.cred.value = ""
	if s.req.headerBytes <= keepHeaderBytes {
		return
	}
	c := &s.edge
	var b strings.Builder
	b.Grow(len(s.req.requestID) + len(s.req.method) + len(s.req.path) + len(s.req.matchPath) + len(s.req.query) + len(c.origin))
	for _, v := range []string{s.req.requestID, s.req.method, s.req.path, s.req.matchPath, s.req.query, c.origin} {
		b.WriteString(v)
	}
	all := b.String()
	take := func(n int) string {
		v := all[:n]
		all = all[n:]
		return v
	}
	s.req.requestID = take(len(s.req.requestID))
	s.req.method = take(len(s.req.method))
	s.req.path = take(len(s.req.path))
	s.req.matchPath = take(len(s.req.matchPath))
	s.req.query = take(len(s.req.query))
	c.origin = take(len(c.origin))
	c.acrm = ""
	s.params = route.Params{}
}

// formEncoded reports whether a Content-Type of the request names
// application/x-www-form-urlencoded, read as leniently as any framework
// reads it: letter case aside, the media type ends at the first ';', ','
// or blank (PHP stops there too), and any of several Content-Type headers
// counts. A POST without a Content-Type (or with only blank ones) is a
// form too: Rack (Rack::Request#form_data?), and so Rails, parse its body
// as one.
func (v *requestView) formEncoded() bool {
	typed := false
	for _, p := range v.headers {
		if headerIs(p.Key, "content-type") {
			if isFormType(p.Value) {
				return true
			}
			typed = typed || strings.Trim(p.Value, " \t") != ""
		}
	}
	return !typed && v.method == "POST"
}

// multipartEncoded reports whether a Content-Type of the request is a
// multipart/ media type (Rack parses any of them as form data; PHP,
// Spring and ASP.NET multipart/form-data), letter case and leading blanks
// aside.
func (v *requestView) multipartEncoded() bool {
	for _, p := range v.headers {
		if !headerIs(p.Key, "content-type") {
			continue
		}
		t := strings.TrimLeft(p.Value, " \t")
		if len(t) >= len("multipart/") && httpx.EqualFoldLower(t[:len("multipart/")], "multipart/") {
			return true
		}
	}
	return false
}

func isFormType(t string) bool {
	t = strings.TrimLeft(t, " \t")
	if i := strings.IndexAny(t, ";, \t"); i >= 0 {
		t = t[:i]
	}
	return httpx.EqualFoldLower(t, "application/x-www-form-urlencoded")
}

// isUpgrade reports an HTTP/1.1 upgrade (any Upgrade header), an HTTP/2
// extended CONNECT (:protocol) or a CONNECT tunnel: streams that are not a
// request body and are never buffered.
func (v *requestView) isUpgrade() bool {
	if v.method == "CONNECT" {
		return true
	}
	if _, ok := v.header("upgrade"); ok {
		return true
	}
	_, ok := v.header(":protocol")
	return ok
}
