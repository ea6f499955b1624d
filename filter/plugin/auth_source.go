package plugin

import (
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/proxy"
)

// credential is one credential of a request and where it was found.
type credential struct {
	value string
	src   *routeSource
	// invalid marks a header a source of the route reads whose value
	// starts with none of the route's prefixes for it: a credential
	// present and invalid (src is nil).
	invalid bool
	// at is the index in the request header pairs of the header that
	// holds it (a header source, or the Cookie header of a cookie); off is
	// where the cookie pair starts in that header's value, or where the
	// query parameter starts in the query string.
	at, off int
}

// extractCredential looks in every source of the route's providers, once
// per stream, and counts the credentials it finds (s.auth.count); the one
// credential, when there is exactly one, is s.auth.cred. Credentials count
// by location (docs/configuration.md "auth.providers"): a header instance, a cookie, a
// query parameter, however many providers read it.
//
// What counts as a credential:
//   - every instance of a header a source of the route reads
//     (headerGroup.match): when its value starts with one of the route's
//     prefixes for that header (ASCII letters compared without regard to
//     case, as HTTP authentication schemes are) followed by the credential
//     itself (neither empty nor starting with a space or tab: exactly one
//     space follows a scheme), that source's credential; otherwise a
//     credential present and invalid (`Basic ...` or `Bearer<TAB>x` where
//     `Bearer ` is read), never an absent one;
//   - a cookie or query parameter with a non-empty value whose name
//     matches the source's as every name lookup compares names
//     (httpx.QueryNameIndex: percent-decoded, leading spaces dropped,
//     case-folded, `.`, space and `[` as `_`, `name[...]` as `name`), so
//     no spelling an upstream framework would read as the same name slips
//     past the count.
func (s *stream) extractCredential(ar *authRoute) {
	a := &s.auth
	if a.extracted {
		return
	}
	a.extracted = true
	if (ar.hasHeader || ar.hasCookie) && !s.req.HeadersRead {
		pairs, st := s.host.GetHeaderMapPairs(reqHeaders)
		if st == proxy.StatusOK {
			s.req.Headers = pairs
		}
	}
	for i := range ar.headers {
		s.fromHeader(&ar.headers[i])
	}
	for _, rs := range ar.sources {
		switch rs.src.Kind {
		case config.SourceCookie:
			s.fromCookies(rs)
		case config.SourceQuery:
			s.fromQuery(rs)
		}
	}
}

// found records one credential.
func (a *authState) found(c credential) {
	a.count++
	if a.count == 1 {
		a.cred = c
	}
}

// headerGroup is one header the route's sources read, with those sources
// (one per prefix; config.Parse refuses prefixes of which one starts
// another, and findSource merges prefixes equal but for letter case).
type headerGroup struct {
	name    string // lower-case
	sources []*routeSource
}

// match returns the source whose prefix v starts with, followed by the
// credential, and the credential; nil when v is no credential of any of
// them.
func (g *headerGroup) match(v string) (*routeSource, string) {
	for _, rs := range g.sources {
		rest, ok := httpx.CutPrefixFold(v, rs.src.Prefix)
		if ok && rest != "" && rest[0] != ' ' && rest[0] != '\t' {
			return rs, rest
		}
	}
	return nil, ""
}

func (s *stream) fromHeader(g *headerGroup) {
	a := &s.auth
	for i, p := range s.req.Headers {
		if !httpx.HeaderIs(p.Key, g.name) {
			continue
		}
		if rs, v := g.match(p.Value); rs != nil {
			a.found(credential{value: v, src: rs, at: i})
		} else {
			a.found(credential{invalid: true, at: i})
		}
	}
}

func (s *stream) fromCookies(rs *routeSource) {
	a := &s.auth
	for i, p := range s.req.Headers {
		if !httpx.HeaderIs(p.Key, "cookie") {
			continue
		}
		httpx.ForEachCookie(p.Value, func(name, value string, start, _ int) bool {
			if value != "" && httpx.CookieNameMatches(name, rs.qname) {
				a.found(credential{value: value, src: rs, at: i, off: start})
			}
			return true
		})
	}
}

func (s *stream) fromQuery(rs *routeSource) {
	a := &s.auth
	httpx.ForEachQueryParam(s.req.Query, rs.qname, func(rawValue string, start, _ int) {
		if v := httpx.DecodeQueryValue(rawValue); v != "" {
			a.found(credential{value: v, src: rs, off: start})
		}
	})
}

// credNames are credential locations by name: those apiguard removes
// (authRoot.creds: Authorization and every source of every provider), or
// those a route passes (pass_credentials).
type credNames struct {
	headers []string // lower-case
	cookies []string // normalised (httpx.NormalizeQueryName)
	queries []string // normalised
}

// add records one location once; name is already lower-cased (headers) or
// normalised (cookies, query parameters).
func (c *credNames) add(kind config.SourceKind, name string) {
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
}

// hasHeader reports whether key is a spelling of one of the header names
// (sameHeaderSpelling: ASCII case ignored, '-' and '_' alike, as CGI-style
// upstreams read them).
func (c *credNames) hasHeader(key string) bool { return c != nil && httpx.SpellingOf(key, c.headers) }

func (c *credNames) hasCookie(name string) bool {
	return c != nil && len(c.cookies) > 0 && httpx.QueryNameIndex(name, c.cookies...) >= 0
}

func (c *credNames) hasQuery(name string) bool {
	return c != nil && len(c.queries) > 0 && httpx.QueryNameIndex(name, c.queries...) >= 0
}

// compileCredNames collects what is removed on enforcing routes
// (Authorization and every provider's sources) and what each route passes.
func (r *root) compileCredNames() {
	ar := &r.auth
	ar.creds.add(config.SourceHeader, "authorization")
	for _, p := range r.policy.Config.Providers {
		for _, src := range p.From() {
			name := src.Name
			if src.Kind != config.SourceHeader {
				name = httpx.NormalizeQueryName(name)
			}
			ar.creds.add(src.Kind, name)
		}
	}
	ar.pass = make([]credNames, r.policy.NumRoutes())
	for i := range ar.pass {
		rt := r.policy.Route(i)
		if rt == nil || rt.Config == nil {
			continue
		}
		for _, pc := range rt.Config.PassCredentials {
			ar.pass[i].add(pc.Kind, pc.Name)
		}
	}
}

// removeCredentials runs on an enforcing route once its header checks
// passed (docs/configuration.md "What reaches upstream"): Authorization and every
// header, cookie and query parameter that any provider reads, in every
// spelling that matches, are removed from the upstream request, whatever
// their scheme or value, except the verified credential of a provider with
// `forward: true` (that one location, not other spellings of its name) and
// the names the route lists in pass_credentials.
func (s *stream) removeCredentials() {
	ar := &s.r.auth
	var pass *credNames
	if s.route != nil && s.route.Index >= 0 && s.route.Index < len(ar.pass) {
		pass = &ar.pass[s.route.Index]
	}
	var keep *credential
	if a := &s.auth; a.provider != nil && a.provider.forward && a.cred.src != nil {
		keep = &a.cred
	}
	s.removeCredentialHeaders(&ar.creds, pass, keep)
	s.removeCredentialCookies(&ar.creds, pass, keep)
	s.removeCredentialQuery(&ar.creds, pass, keep)
}

func (s *stream) removeCredentialHeaders(creds, pass *credNames, keep *credential) {
	var removed []string // distinct names removed
	for _, p := range s.req.Headers {
		if !creds.hasHeader(p.Key) || pass.hasHeader(p.Key) {
			continue
		}
		if keep != nil && keep.src.src.Kind == config.SourceHeader && httpx.HeaderIs(p.Key, keep.src.src.Name) {
			// The one instance of the verified header (several would
			// have been several credentials).
			continue
		}
		if !httpx.NameIn(removed, p.Key) {
			// The host removes every value of the name, whatever its
			// letter case.
			s.host.RemoveHeaderMapValue(reqHeaders, p.Key)
			removed = append(removed, p.Key)
		}
	}
}

func (s *stream) removeCredentialCookies(creds, pass *credNames, keep *credential) {
	if len(creds.cookies) == 0 {
		return
	}
	var kept []string
	changed := false
	for i, p := range s.req.Headers {
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
	if !changed {
		return
	}
	s.host.RemoveHeaderMapValue(reqHeaders, "cookie")
	for _, v := range kept {
		s.host.AddHeaderMapValue(reqHeaders, "cookie", v)
	}
}

func (s *stream) removeCredentialQuery(creds, pass *credNames, keep *credential) {
	if len(creds.queries) == 0 || s.req.Query == "" {
		return
	}
	keepAt := -1
	if keep != nil && keep.src.src.Kind == config.SourceQuery {
		keepAt = keep.off
	}
	q, cut := httpx.WithoutQueryParams(s.req.Query, func(name string, start int) bool {
		return start != keepAt && creds.hasQuery(name) && !pass.hasQuery(name)
	})
	if !cut {
		return
	}
	path := s.req.Path
	if q != "" {
		path += "?" + q
	}
	s.host.ReplaceHeaderMapValue(reqHeaders, ":path", path)
}
