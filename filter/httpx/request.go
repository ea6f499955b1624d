package httpx

import "strings"

// Pair is one header (or trailer, or metadata) entry. Order and repeated
// keys are preserved: a header map is a list, not a map. proxy.Pair is
// this type, so the header list the host hands over is read here as is.
type Pair struct {
	Key, Value string
}

// Request is the request as the request-headers phase read it, once: the
// request line and the header list. Steps 1 and 2 fill it; every later
// step reads it and none writes it (step 1's removal of client-sent claim
// headers is applied to Headers before any step reads them).
type Request struct {
	Method string
	Path   string // without the query
	// MatchPath is Path with escaped unreserved characters decoded
	// (reqcheck.DecodeUnreserved): routes and their parameters are
	// matched on it.
	MatchPath string
	Query     string // without the '?'
	RequestID string
	// HeaderBytes is the size of the request header list as the host
	// handed it over (names and values).
	HeaderBytes int
	// Headers is the request header list as step 1 left it; HeadersRead
	// says it was read (a stream whose host refused the list has none).
	Headers     []Pair
	HeadersRead bool
}

// RequestLine picks x-request-id, :method and :path out of the request
// headers, and sums the list's size. Each is the first value of its name,
// as proxy_get_header_map_value answers for a repeated header; names
// compare without regard to ASCII case (Envoy hands them over lower-case),
// and an absent header reads as "".
func RequestLine(pairs []Pair) (requestID, method, path string, size int) {
	var haveID, haveMethod, havePath bool
	for _, p := range pairs {
		size += len(p.Key) + len(p.Value)
		switch len(p.Key) { // the names' lengths first: most headers are none of them
		case len(":method"):
			if !haveMethod && HeaderIs(p.Key, ":method") {
				method, haveMethod = p.Value, true
			}
		case len(":path"):
			if !havePath && HeaderIs(p.Key, ":path") {
				path, havePath = p.Value, true
			}
		case len("x-request-id"):
			if !haveID && HeaderIs(p.Key, "x-request-id") {
				requestID, haveID = p.Value, true
			}
		}
	}
	return requestID, method, path, size
}

// Header returns the first value of a request header, as
// proxy_get_header_map_value answers, from the list step 1 read (its
// removals already applied; nothing else edits the request headers before
// the header steps pass).
func (r *Request) Header(name string) (string, bool) {
	for _, p := range r.Headers {
		if HeaderIs(p.Key, name) {
			return p.Value, true
		}
	}
	return "", false
}

// HeaderAll returns every value of a request header joined with ",", as
// Envoy's request.headers.<name> property answers, or "" when the header
// is absent or empty. Only a repeated header allocates.
func (r *Request) HeaderAll(name string) string {
	all, joined := "", false
	for _, p := range r.Headers {
		if !HeaderIs(p.Key, name) {
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

// FormEncoded reports whether a Content-Type of the request names
// application/x-www-form-urlencoded, read as leniently as any framework
// reads it: letter case aside, the media type ends at the first ';', ','
// or blank (PHP stops there too), and any of several Content-Type headers
// counts. A POST without a Content-Type (or with only blank ones) is a
// form too: Rack (Rack::Request#form_data?), and so Rails, parse its body
// as one.
func (r *Request) FormEncoded() bool {
	typed := false
	for _, p := range r.Headers {
		if HeaderIs(p.Key, "content-type") {
			if isFormType(p.Value) {
				return true
			}
			typed = typed || strings.Trim(p.Value, " \t") != ""
		}
	}
	return !typed && r.Method == "POST"
}

// MultipartEncoded reports whether a Content-Type of the request is a
// multipart/ media type (Rack parses any of them as form data; PHP,
// Spring and ASP.NET multipart/form-data), letter case and leading blanks
// aside.
func (r *Request) MultipartEncoded() bool {
	for _, p := range r.Headers {
		if !HeaderIs(p.Key, "content-type") {
			continue
		}
		t := strings.TrimLeft(p.Value, " \t")
		if len(t) >= len("multipart/") && EqualFoldLower(t[:len("multipart/")], "multipart/") {
			return true
		}
	}
	return false
}

// JSONEncoded reports whether a Content-Type of the request holds "/json"
// or "+json", letter case aside: Laravel's isJson reads such a body as JSON,
// and its input() (and `$request->user_id`) then prefer the body's
// members to the route's parameters (docs/configuration.md auth.owner).
func (r *Request) JSONEncoded() bool {
	for _, p := range r.Headers {
		if HeaderIs(p.Key, "content-type") && (containsFold(p.Value, "/json") || containsFold(p.Value, "+json")) {
			return true
		}
	}
	return false
}

// containsFold reports whether s holds lower, a lower-case string, without
// regard to ASCII letter case in s.
func containsFold(s, lower string) bool {
	for i := 0; i+len(lower) <= len(s); i++ {
		if EqualFoldLower(s[i:i+len(lower)], lower) {
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
	return EqualFoldLower(t, "application/x-www-form-urlencoded")
}

// IsUpgrade reports an HTTP/1.1 upgrade (any Upgrade header), an HTTP/2
// extended CONNECT (:protocol) or a CONNECT tunnel: streams that are not a
// request body and are never buffered.
func (r *Request) IsUpgrade() bool {
	if r.Method == "CONNECT" {
		return true
	}
	if _, ok := r.Header("upgrade"); ok {
		return true
	}
	_, ok := r.Header(":protocol")
	return ok
}

// HeaderIs reports whether the header name key is name, a lower-case
// name, without regard to ASCII case (as the host matches names).
func HeaderIs(key, name string) bool { return EqualFoldLower(key, name) }

// SpellingOf reports whether key is a spelling of one of the names
// (SameHeaderSpelling).
func SpellingOf(key string, names []string) bool {
	for _, name := range names {
		if SameHeaderSpelling(key, name) {
			return true
		}
	}
	return false
}

// NameLengths has bit n set when a name of n bytes is among some names
// (bit 63 for every length from 63 on). SameHeaderSpelling, EqualFold and
// HeaderIs compare equal lengths only, so a header name whose length no
// name has matches none of them, which is what a request's usual headers
// are: decided without a comparison each (issue 15: comparing every header
// with every override, claims and credential header name was about a
// tenth of a pass-through's instructions through the .wasm).
type NameLengths uint64

// LengthsOf returns the lengths of names.
func LengthsOf(names []string) NameLengths {
	var l NameLengths
	for _, n := range names {
		l.Add(n)
	}
	return l
}

// Add records the length of name.
func (l *NameLengths) Add(name string) { *l |= 1 << min(len(name), 63) }

// Has reports whether some name has key's length.
func (l NameLengths) Has(key string) bool { return l>>min(len(key), 63)&1 != 0 }

// SameHeaderSpelling compares header names as CGI-style upstreams do:
// ASCII letters without regard to case, '-' and '_' alike.
func SameHeaderSpelling(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := LowerASCII(a[i]), LowerASCII(b[i])
		if x == '_' {
			x = '-'
		}
		if y == '_' {
			y = '-'
		}
		if x != y {
			return false
		}
	}
	return true
}

// NameIn reports whether key, compared as the host compares header names
// (ASCII case ignored), is among names.
func NameIn(names []string, key string) bool {
	for _, n := range names {
		if EqualFold(n, key) {
			return true
		}
	}
	return false
}

// EditOp is what an Edit does to a header map.
type EditOp uint8

const (
	// Replace sets the header to Value, replacing every value it had.
	Replace EditOp = iota
	// Remove removes every value of the header.
	Remove
	// Add appends Value, keeping the values the header had.
	Add
)

// Edit is one change a feature asks of a header map; the plugin applies
// a list of them in order.
type Edit struct {
	Op         EditOp
	Key, Value string
}

// Compact copies the strings of the view that outlive the header list
// (request id, method, path, match path, query) and extra into one
// allocation, and returns extra's copy: they were substrings of the block
// the host handed over, which they would otherwise keep alive. Headers
// must already be released.
func (r *Request) Compact(extra string) string {
	var b strings.Builder
	b.Grow(len(r.RequestID) + len(r.Method) + len(r.Path) + len(r.MatchPath) + len(r.Query) + len(extra))
	for _, v := range []string{r.RequestID, r.Method, r.Path, r.MatchPath, r.Query, extra} {
		b.WriteString(v)
	}
	all := b.String()
	take := func(n int) string {
		v := all[:n]
		all = all[n:]
		return v
	}
	r.RequestID = take(len(r.RequestID))
	r.Method = take(len(r.Method))
	r.Path = take(len(r.Path))
	r.MatchPath = take(len(r.MatchPath))
	r.Query = take(len(r.Query))
	return take(len(extra))
}

// ParseStatus parses a small non-negative decimal such as a :status; 0
// when it is not one (empty, longer than nine digits, or not digits).
func ParseStatus(v string) int {
	n := 0
	if len(v) == 0 || len(v) > 9 {
		return 0
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}
