package authn

import (
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/httpx"
)

// CredNames are credential locations by name: those apiguard removes
// (Auth.Creds: Authorization and every source of every provider), or
// those a route passes (pass_credentials).
type CredNames struct {
	headers []string // lower-case
	lengths httpx.NameLengths
	cookies []string // normalised (httpx.NormalizeQueryName)
	queries []string // normalised
}

// add records one location once; name is already lower-cased (headers) or
// normalised (cookies, query parameters).
func (c *CredNames) add(kind config.SourceKind, name string) {
	list := &c.headers
	switch kind {
	case config.SourceCookie:
		list = &c.cookies
	case config.SourceQuery:
		list = &c.queries
	}
	for _, n := range *list {
		if n == name {
			return
		}
	}
	*list = append(*list, name)
	if kind == config.SourceHeader {
		c.lengths.Add(name)
	}
}

// hasHeader reports whether key is a spelling of one of the header names
// (httpx.SameHeaderSpelling: ASCII case ignored, '-' and '_' alike, as
// CGI-style upstreams read them).
func (c *CredNames) hasHeader(key string) bool {
	return c != nil && c.lengths.Has(key) && httpx.SpellingOf(key, c.headers)
}

func (c *CredNames) hasCookie(name string) bool {
	return c != nil && len(c.cookies) > 0 && httpx.QueryNameIndex(name, c.cookies...) >= 0
}

func (c *CredNames) hasQuery(name string) bool {
	return c != nil && len(c.queries) > 0 && httpx.QueryNameIndex(name, c.queries...) >= 0
}

// Removing is what an enforcing route removes once its header checks
// passed (docs/configuration.md "What reaches upstream"): Authorization and
// every header, cookie and query parameter that any provider reads, in
// every spelling that matches, whatever their scheme or value, except the
// verified credential of a provider with `forward: true` (that one
// location, not other spellings of its name) and the names the route
// (index route) lists in pass_credentials. Its methods say what leaves,
// in the order the host applies it: Headers, Cookies, Query.
type Removing struct {
	creds, pass *CredNames
	keep        *Credential
	req         *httpx.Request
}

// Remove is the removal of a request with state a on route index route.
func (au *Auth) Remove(route int, a *State, req *httpx.Request) Removing {
	r := Removing{creds: &au.Creds, req: req}
	if route >= 0 && route < len(au.Pass) {
		r.pass = &au.Pass[route]
	}
	if a.Provider != nil && a.Provider.Forward && a.Cred.src != nil {
		r.keep = &a.Cred
	}
	return r
}

// Headers appends to dst the distinct header names to remove (the host
// removes every value of a name, whatever its letter case).
func (r Removing) Headers(dst []string) []string {
	return removeHeaders(dst, r.creds, r.pass, r.keep, r.req.Headers)
}

// Cookies reports whether the Cookie headers change and appends to dst
// the values that replace them.
func (r Removing) Cookies(dst []string) ([]string, bool) {
	return removeCookies(dst, r.creds, r.pass, r.keep, r.req.Headers)
}

// Query reports whether the query changes and returns the :path that
// replaces the request's.
func (r Removing) Query() (string, bool) { return removeQuery(r.creds, r.pass, r.keep, r.req) }

// Edits appends to dst the removal as header edits, in the order the host
// applies them: the headers, the Cookie headers (removed, then the kept
// values added back), the :path, then set (the claims_to_headers values),
// each replacing whatever the request had.
func (r Removing) Edits(dst []httpx.Edit, set []httpx.Pair) []httpx.Edit {
	var buf [4]string
	for _, name := range r.Headers(buf[:0]) {
		dst = append(dst, httpx.Edit{Op: httpx.Remove, Key: name})
	}
	if kept, changed := r.Cookies(buf[:0]); changed {
		dst = append(dst, httpx.Edit{Op: httpx.Remove, Key: "cookie"})
		for _, v := range kept {
			dst = append(dst, httpx.Edit{Op: httpx.Add, Key: "cookie", Value: v})
		}
	}
	if path, changed := r.Query(); changed {
		dst = append(dst, httpx.Edit{Op: httpx.Replace, Key: ":path", Value: path})
	}
	for _, h := range set {
		dst = append(dst, httpx.Edit{Op: httpx.Replace, Key: h.Key, Value: h.Value})
	}
	return dst
}

func removeHeaders(removed []string, creds, pass *CredNames, keep *Credential, headers []httpx.Pair) []string {
	// removed: the distinct names removed
	for _, p := range headers {
		if !creds.hasHeader(p.Key) || pass.hasHeader(p.Key) {
			continue
		}
		if keep != nil && keep.src.src.Kind == config.SourceHeader && httpx.HeaderIs(p.Key, keep.src.src.Name) {
			// The one instance of the verified header (several would
			// have been several credentials).
			continue
		}
		if !httpx.NameIn(removed, p.Key) {
			removed = append(removed, p.Key)
		}
	}
	return removed
}

func removeCookies(kept []string, creds, pass *CredNames, keep *Credential, headers []httpx.Pair) ([]string, bool) {
	if len(creds.cookies) == 0 {
		return nil, false
	}
	changed := false
	for i, p := range headers {
		if !httpx.HeaderIs(p.Key, "cookie") {
			continue
		}
		keepAt := -1
		if keep != nil && keep.src.src.Kind == config.SourceCookie && keep.at == i {
			keepAt = keep.off
		}
		v, cut := httpx.WithoutCookies(p.Value, func(name string, start int) bool {
			return start != keepAt && creds.hasCookie(name) && !pass.hasCookie(name)
		})
		changed = changed || cut
		if v != "" {
			kept = append(kept, v)
		}
	}
	return kept, changed
}

func removeQuery(creds, pass *CredNames, keep *Credential, req *httpx.Request) (string, bool) {
	if len(creds.queries) == 0 || req.Query == "" {
		return "", false
	}
	keepAt := -1
	if keep != nil && keep.src.src.Kind == config.SourceQuery {
		keepAt = keep.off
	}
	q, cut := httpx.WithoutQueryParams(req.Query, func(name string, start int) bool {
		return start != keepAt && creds.hasQuery(name) && !pass.hasQuery(name)
	})
	if !cut {
		return "", false
	}
	path := req.Path
	if q != "" {
		path += "?" + q
	}
	return path, true
}
