package authn

import (
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/jwt"
	"github.com/apiguard/apiguard/filter/problem"
)

// Credential is one credential of a request and where it was found.
type Credential struct {
	Value string
	src   *source
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

// State is one request's authentication: the credentials found (once, in
// step 8 or 9), the verification's progress, and what a verified
// credential set.
type State struct {
	extracted bool
	// Count is the number of credentials found; Cred is the one when
	// Count is 1.
	Count int
	Cred  Credential

	peeked bool
	peekOK bool
	peek   jwt.Unverified
	// The verified-token cache is looked up once per stream (step 8 and 9).
	hit   *jwt.Token // a verified-token cache hit, for provider hitBy
	hitBy *Provider
	// Provider is the provider that verified the credential; Headers the
	// claims_to_headers values it set.
	Provider *Provider
	Headers  []httpx.Pair
	// headers holds Headers when the provider sets few (most set one or
	// two), so that a cached token allocates nothing for them.
	headers [2]httpx.Pair
	// memo is the cached token's memo (memo.go), nil otherwise.
	memo *memo
	// Waiting for a remote key set: the deadline (Unix ns, 0 when not
	// waiting), what for, and the key generation the request saw.
	deadline int64
	waitFor  waitReason
	waitGen  uint64
	// now is the host's clock as the current Verify or Cached call read
	// it (clock), 0 until read.
	now int64
}

type waitReason uint8

const (
	waitNone waitReason = iota
	waitKeys
	waitRotation
)

// Extract looks in every source of the route's providers, once per
// request, and counts the credentials it finds (Count); the one
// credential, when there is exactly one, is Cred. Credentials count by
// location (docs/configuration.md "auth.providers"): a header instance, a
// cookie, a query parameter, however many providers read it.
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
func (a *State) Extract(ar *Route, req *httpx.Request) {
	if a.extracted {
		return
	}
	a.extracted = true
	for i := range ar.headers {
		a.fromHeader(&ar.headers[i], req.Headers)
	}
	for _, rs := range ar.sources {
		switch rs.src.Kind {
		case config.SourceCookie:
			a.fromCookies(rs, req.Headers)
		case config.SourceQuery:
			a.fromQuery(rs, req.Query)
		}
	}
}

// Extracted reports whether Extract ran.
func (a *State) Extracted() bool { return a.extracted }

// Found is step 9's verdict on what Extract found: one credential goes on
// to Verify; several, none (unless allow_missing: anonymous is then true)
// or one in a form no source accepts are refused (401, counted by
// failed_auth_limit).
func (a *State) Found(ar *Route) (v Verdict, anonymous bool) {
	switch {
	case a.Count > 1:
		return failed(problem.ReasonCredentialMultiple, ChallengeInvalid), false
	case a.Count == 0:
		if ar.AllowMissing {
			return Verdict{}, true // anonymous: claims and owner rules will fail
		}
		return failed(problem.ReasonCredentialMissing, ChallengeMissing), false
	case a.Cred.invalid:
		// A header the route reads, in a form none of its sources
		// accepts: present, so never anonymous, even with allow_missing.
		return failed(problem.ReasonCredentialScheme, ChallengeInvalid), false
	}
	return Verdict{}, false
}

// CookieOnUnsafeMethod reports a cookie credential on a method that may
// change state (not GET, HEAD, OPTIONS): it needs a trusted origin (an
// Origin the route's cors lists by name, or SameOriginFetch), else 403
// (docs/responses.md Guarantees, cookie credentials).
func (a *State) CookieOnUnsafeMethod(method string) bool {
	return a.Cred.src != nil && a.Cred.src.src.Kind == config.SourceCookie &&
		method != "GET" && method != "HEAD" && method != "OPTIONS"
}

// SameOriginFetch reports exactly one Sec-Fetch-Site header, same-origin.
func SameOriginFetch(req *httpx.Request) bool {
	n, same := 0, false
	for _, p := range req.Headers {
		if p.Key == "sec-fetch-site" {
			n++
			same = p.Value == "same-origin"
		}
	}
	return n == 1 && same
}

// found records one credential.
func (a *State) found(c Credential) {
	a.Count++
	if a.Count == 1 {
		a.Cred = c
	}
}

// headerGroup is one header the route's sources read, with those sources
// (one per prefix; config.Parse refuses prefixes of which one starts
// another, and findSource merges prefixes equal but for letter case).
type headerGroup struct {
	name    string // lower-case
	sources []*source
}

// match returns the source whose prefix v starts with, followed by the
// credential, and the credential; nil when v is no credential of any of
// them.
func (g *headerGroup) match(v string) (*source, string) {
	for _, rs := range g.sources {
		rest, ok := httpx.CutPrefixFold(v, rs.src.Prefix)
		if ok && rest != "" && rest[0] != ' ' && rest[0] != '\t' {
			return rs, rest
		}
	}
	return nil, ""
}

func (a *State) fromHeader(g *headerGroup, headers []httpx.Pair) {
	for i, p := range headers {
		if !httpx.HeaderIs(p.Key, g.name) {
			continue
		}
		if rs, v := g.match(p.Value); rs != nil {
			a.found(Credential{Value: v, src: rs, at: i})
		} else {
			a.found(Credential{invalid: true, at: i})
		}
	}
}

func (a *State) fromCookies(rs *source, headers []httpx.Pair) {
	for i, p := range headers {
		if !httpx.HeaderIs(p.Key, "cookie") {
			continue
		}
		httpx.ForEachCookie(p.Value, func(name, value string, start, _ int) bool {
			if value != "" && httpx.CookieNameMatches(name, rs.qname) {
				a.found(Credential{Value: value, src: rs, at: i, off: start})
			}
			return true
		})
	}
}

func (a *State) fromQuery(rs *source, query string) {
	httpx.ForEachQueryParam(query, rs.qname, func(rawValue string, start, _ int) {
		if v := httpx.DecodeQueryValue(rawValue); v != "" {
			a.found(Credential{Value: v, src: rs, off: start})
		}
	})
}
