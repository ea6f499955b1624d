package plugin

import "github.com/apiguard/apiguard/filter/proxy"

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
