package config

import (
	"encoding/hex"
	"strings"
	"time"

	"github.com/apiguard/apiguard/filter/route"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// algorithms are the JWS algorithms a provider may list. `none` is never
// one of them.
var algorithms = map[string]bool{
	"RS256": true, "RS384": true, "RS512": true,
	"PS256": true, "PS384": true, "PS512": true,
	"ES256": true, "ES384": true, "ES512": true,
	"EdDSA": true,
	"HS256": true, "HS384": true, "HS512": true,
}

// algorithmNames lists algorithms for "did you mean".
var algorithmNames = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "HS256", "HS384", "HS512"}

// jwtFields are the provider fields that only JWT providers have.
var jwtFields = map[string]bool{
	"issuer": true, "audiences": true, "algorithms": true, "jwks": true, "remote_jwks": true,
	"from": true, "clock_skew_seconds": true, "require_expiration": true,
	"max_lifetime_seconds": true, "forward": true,
}

// maxLifetimeSeconds bounds max_lifetime_seconds (ten years).
const maxLifetimeSeconds = 10 * 365 * 24 * 3600

func defaultFrom() []Source {
	return []Source{{Kind: SourceHeader, Name: "authorization", Prefix: "Bearer "}}
}

func (ps *parser) parseProviders(v *jsonx.Value, p *path) *Error {
	ps.cfg.Providers = make([]*Provider, 0, len(v.Members))
	// Every key names a provider, so none is unknown.
	return eachMember(v, p, func(m *jsonx.Member, mp *path) (bool, *Error) {
		if msg := checkName(m.Key); msg != "" {
			return true, mp.errorf("provider name %s", msg)
		}
		prov, err := ps.parseProvider(&m.Value, mp, m.Key)
		if err == nil {
			ps.cfg.Providers = append(ps.cfg.Providers, prov)
		}
		return true, err
	})
}

func (ps *parser) parseProvider(v *jsonx.Value, p *path, name string) (*Provider, *Error) {
	prov := &Provider{Name: name}
	isKeys := v.Get("api_keys") != nil
	var jwt *JWTProvider
	if isKeys {
		prov.Kind = ProviderAPIKeys
	} else {
		prov.Kind = ProviderJWT
		jwt = &JWTProvider{
			From:              defaultFrom(),
			ClockSkew:         DefaultClockSkew,
			RequireExpiration: true,
		}
		prov.JWT = jwt
	}
	seen := map[string]bool{}
	var algsPath *path
	err := eachMember(v, p, func(m *jsonx.Member, mp *path) (known bool, err *Error) {
		switch {
		case m.Key == "api_keys":
			prov.APIKeys, err = ps.parseAPIKeys(&m.Value, mp)
		case m.Key == "claims_to_headers":
			prov.ClaimsToHeaders, err = ps.parseClaimsToHeaders(&m.Value, mp)
		case jwtFields[m.Key] && isKeys:
			err = mp.errorf(`not allowed in an "api_keys" provider (JWT providers only)`)
		case jwtFields[m.Key]:
			seen[m.Key] = true
			if m.Key == "algorithms" {
				algsPath = mp
			}
			err = ps.jwtField(m, mp, jwt, seen)
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil {
		return nil, err
	}
	if isKeys {
		return prov, nil
	}
	if len(seen) == 0 {
		return nil, p.errorf(`needs "api_keys", or the fields of a JWT provider ("issuer", "audiences", "algorithms", and "jwks" or "remote_jwks")`)
	}
	if err := requireFields(v, p, "issuer", "audiences", "algorithms"); err != nil {
		return nil, err
	}
	if !seen["jwks"] && !seen["remote_jwks"] {
		return nil, p.errorf(`needs one of "jwks" and "remote_jwks"`)
	}
	if jwt.RemoteJWKS != nil {
		for i, a := range jwt.Algorithms {
			if strings.HasPrefix(a, "HS") {
				return nil, algsPath.at(i).errorf(`%q needs an inline "jwks": a fetched JWKS never yields an HMAC key`, a)
			}
		}
	}
	return prov, nil
}

func (ps *parser) jwtField(m *jsonx.Member, mp *path, jwt *JWTProvider, seen map[string]bool) *Error {
	v := &m.Value
	var err *Error
	switch m.Key {
	case "issuer":
		jwt.Issuer, err = getText(v, mp)
	case "audiences":
		jwt.Audiences, err = getStrings(v, mp, listOpts{nonEmpty: true, check: checkText})
	case "algorithms":
		jwt.Algorithms, err = getStrings(v, mp, listOpts{nonEmpty: true, check: func(s string) (string, string) {
			switch {
			case algorithms[s]:
				return s, ""
			case strings.EqualFold(s, "none"):
				return "", `"none" is never accepted`
			}
			return "", "unsupported algorithm " + quote(s) + " (want one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, HS256, HS384, HS512)" +
				didYouMean(s, algorithmNames)
		}})
	case "jwks":
		if seen["remote_jwks"] {
			return mp.errorf(`not allowed together with "remote_jwks" (exactly one of them)`)
		}
		jwt.JWKS, err = ps.parseInlineJWKS(v, mp)
	case "remote_jwks":
		if seen["jwks"] {
			return mp.errorf(`not allowed together with "jwks" (exactly one of them)`)
		}
		jwt.RemoteJWKS, err = parseRemoteJWKS(v, mp)
	case "from":
		jwt.From, err = parseFrom(v, mp)
	case "clock_skew_seconds":
		var n int64
		n, err = getInt(v, mp, 0, 3600)
		jwt.ClockSkew = time.Duration(n) * time.Second
	case "require_expiration":
		jwt.RequireExpiration, err = getBool(v, mp)
	case "max_lifetime_seconds":
		var n int64
		n, err = getInt(v, mp, 1, maxLifetimeSeconds)
		jwt.MaxLifetime = time.Duration(n) * time.Second
	case "forward":
		jwt.Forward, err = getBool(v, mp)
	}
	return err
}

// parseInlineJWKS checks the outline of an inline JWKS and returns its bytes
// as written. Nothing of its content goes into error messages: it may hold
// HMAC secrets.
func (ps *parser) parseInlineJWKS(v *jsonx.Value, p *path) ([]byte, *Error) {
	if err := wantObject(v, p); err != nil {
		return nil, err
	}
	keys := v.Get("keys")
	if keys == nil {
		return nil, missingField(p, "keys")
	}
	kp := p.field("keys")
	if err := wantArray(keys, kp, true); err != nil {
		return nil, err
	}
	for i := range keys.Items {
		if err := wantObject(&keys.Items[i], kp.at(i)); err != nil {
			return nil, err
		}
	}
	raw := rawObject(ps.data, v.Offset)
	if raw == nil {
		return nil, p.errorf("cannot locate the object in the document")
	}
	return ps.jwksEnvSecrets(keys, kp, raw, v.Offset)
}

// rawObject returns a copy of the JSON object that starts at off in data,
// which the strict parser has already accepted, so a brace count outside
// strings finds its end.
func rawObject(data []byte, off int) []byte {
	if off < 0 || off >= len(data) || data[off] != '{' {
		return nil
	}
	depth := 0
	for i := off; i < len(data); i++ {
		switch data[i] {
		case '"':
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return append([]byte(nil), data[off:i+1]...)
			}
		}
	}
	return nil
}

func parseRemoteJWKS(v *jsonx.Value, p *path) (*RemoteJWKS, *Error) {
	r := &RemoteJWKS{Timeout: DefaultRemoteJWKSTimeout, Refresh: DefaultRemoteJWKSRefresh, MaxStale: DefaultRemoteJWKSMaxStale}
	var refreshPath, stalePath, urlPath, clustersPath *path
	var urlAuthority, urlPathQuery string
	err := eachMember(v, p, func(m *jsonx.Member, mp *path) (known bool, err *Error) {
		switch m.Key {
		case "cluster":
			r.Cluster, err = getText(&m.Value, mp)
		case "authority":
			r.Authority, err = getText(&m.Value, mp)
			if err == nil && !validAuthority(r.Authority) {
				err = mp.errorf("%s is not a host[:port]", quote(r.Authority))
			}
		case "path":
			r.Path, err = getText(&m.Value, mp)
			if err == nil && (r.Path[0] != '/' || strings.ContainsAny(r.Path, " #")) {
				err = mp.errorf(`must start with "/" and hold no space or "#"`)
			}
		case "url":
			var u string
			if u, err = getText(&m.Value, mp); err != nil {
				return true, err
			}
			urlPath = mp
			var msg string
			if urlAuthority, urlPathQuery, msg = splitFetchURL(u, false); msg != "" {
				err = mp.errorf("%s %s", quote(u), msg)
			}
		case "discovery":
			r.Discovery, err = getBool(&m.Value, mp)
		case "clusters":
			clustersPath = mp
			r.Clusters, err = parseJWKSClusters(&m.Value, mp)
		case "timeout_ms":
			var n int64
			n, err = getInt(&m.Value, mp, 1, 60000)
			r.Timeout = msDuration(n)
		case "refresh_seconds":
			var n int64
			n, err = getInt(&m.Value, mp, 1, 7*24*3600)
			r.Refresh = time.Duration(n) * time.Second
			refreshPath = mp
		case "max_stale_seconds":
			var n int64
			n, err = getInt(&m.Value, mp, 1, maxStaleSeconds)
			r.MaxStale = time.Duration(n) * time.Second
			stalePath = mp
		default:
			return false, nil
		}
		return true, err
	}, "cluster")
	if err != nil {
		return nil, err
	}
	if urlPath != nil {
		if v.Get("authority") != nil || v.Get("path") != nil {
			return nil, urlPath.errorf(`not allowed together with "authority" or "path" (url stands for both)`)
		}
		r.Authority, r.Path = urlAuthority, urlPathQuery
		if r.Path == "" && !r.Discovery {
			return nil, urlPath.errorf(`needs a path: the JWKS's (or set "discovery": true for the OpenID discovery document at %s)`, DefaultDiscoveryPath)
		}
	}
	if r.Path == "" {
		if !r.Discovery {
			return nil, p.errorf(`missing required field "path" (or "url")`)
		}
		r.Path = DefaultDiscoveryPath
	}
	if r.Authority == "" {
		r.Authority = r.Cluster
	}
	if clustersPath != nil && !r.Discovery {
		return nil, clustersPath.errorf(`only allowed with "discovery": true (clusters for the authorities a discovery document's jwks_uri may name)`)
	}
	for a := range r.Clusters {
		if SameAuthority(a, r.Authority) {
			return nil, clustersPath.field(a).errorf(`is the authority itself, fetched through "cluster"`)
		}
	}
	// A set that goes stale before its refresh could be answered would
	// answer 503 every refresh_seconds while the endpoint works.
	fetch := r.Timeout
	if r.Discovery {
		fetch *= 2 // the discovery document, then the JWKS
	}
	if r.MaxStale <= r.Refresh+fetch {
		need := (r.Refresh+fetch)/time.Second + 1
		if stalePath != nil {
			return nil, stalePath.errorf("must be more than refresh_seconds plus timeout_ms (at least %d), or the last good set goes stale before its refresh is answered", need)
		}
		return nil, refreshPath.errorf("with max_stale_seconds at its default %d, must be under it minus timeout_ms; raise max_stale_seconds to at least %d", int64(DefaultRemoteJWKSMaxStale/time.Second), need)
	}
	return r, nil
}

// DefaultDiscoveryPath is remote_jwks.path with "discovery": true.
const DefaultDiscoveryPath = "/.well-known/openid-configuration"

// parseJWKSClusters reads remote_jwks.clusters: host[:port] to cluster.
func parseJWKSClusters(v *jsonx.Value, p *path) (map[string]string, *Error) {
	out := make(map[string]string, len(v.Members))
	// Every key names an authority, so none is unknown.
	err := eachMember(v, p, func(m *jsonx.Member, mp *path) (bool, *Error) {
		if !validAuthority(m.Key) {
			return true, mp.errorf("%s is not a host[:port]", quote(m.Key))
		}
		for prev := range out {
			if SameAuthority(prev, m.Key) {
				return true, mp.errorf("same authority as %s", quote(prev))
			}
		}
		c, err := getText(&m.Value, mp)
		out[m.Key] = c
		return true, err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// validAuthority reports a non-empty host[:port] without user information,
// path, query, fragment, spaces or control characters.
func validAuthority(a string) bool {
	return a != "" && !hasControl(a) && !strings.ContainsAny(a, "/@ ?#\\")
}

// SplitFetchURL splits an http or https URL into its authority and its
// path (with the query when query is true; "" when the URL has none). msg
// says what is wrong, "" when nothing is. It is how remote_jwks.url is read
// and how the plugin reads a discovery document's jwks_uri.
func SplitFetchURL(u string, query bool) (authority, pathQuery, msg string) {
	return splitFetchURL(u, query)
}

func splitFetchURL(u string, query bool) (authority, pathQuery, msg string) {
	var rest string
	switch {
	case len(u) >= 8 && strings.EqualFold(u[:8], "https://"):
		rest = u[8:]
	case len(u) >= 7 && strings.EqualFold(u[:7], "http://"):
		rest = u[7:]
	default:
		return "", "", "is not an https (or http) URL"
	}
	if hasControl(u) || strings.ContainsAny(u, " \\") {
		return "", "", "holds a space, a backslash or a control character"
	}
	if strings.IndexByte(u, '#') >= 0 {
		return "", "", "has a fragment (#)"
	}
	if !query && strings.IndexByte(u, '?') >= 0 {
		return "", "", "has a query (?)"
	}
	authority, pathQuery = rest, ""
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority, pathQuery = rest[:i], rest[i:]
	}
	if !validAuthority(authority) {
		return "", "", "has no host[:port] (or user information in it)"
	}
	if pathQuery != "" && pathQuery[0] == '?' {
		pathQuery = "/" + pathQuery
	}
	return authority, pathQuery, ""
}

// SameAuthority compares two host[:port] authorities as HTTP does: the
// host without regard to case, and a port of 443 the same as none.
func SameAuthority(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, ":443"), strings.TrimSuffix(b, ":443"))
}

// maxStaleSeconds bounds max_stale_seconds (30 days).
const maxStaleSeconds = 30 * 24 * 3600

func msDuration(n int64) time.Duration { return time.Duration(n) * time.Millisecond }

// parseFrom reads a `from` list: each entry is exactly one of header,
// cookie and query; prefix goes with header only.
func parseFrom(v *jsonx.Value, p *path) ([]Source, *Error) {
	if err := wantArray(v, p, true); err != nil {
		return nil, err
	}
	out := make([]Source, 0, len(v.Items))
	for i := range v.Items {
		ip := p.at(i)
		src, err := parseSource(&v.Items[i], ip)
		if err != nil {
			return nil, err
		}
		for j, prev := range out {
			if prev.Kind == src.Kind && prev.Name == src.Name {
				return nil, ip.errorf("duplicate of [%d]", j)
			}
		}
		out = append(out, src)
	}
	return out, nil
}

func parseSource(v *jsonx.Value, p *path) (Source, *Error) {
	var s Source
	err := eachMember(v, p, func(m *jsonx.Member, mp *path) (known bool, err *Error) {
		switch m.Key {
		case "header", "cookie", "query":
			if s.Kind != 0 {
				return true, p.errorf(`needs exactly one of "header", "cookie" and "query"`)
			}
			var name string
			if name, err = getString(&m.Value, mp); err != nil {
				return true, err
			}
			var msg string
			switch m.Key {
			case "header":
				s.Kind = SourceHeader
				name, msg = checkHeaderRead(name)
				if msg == "" && name == "cookie" {
					msg = `use {"cookie": NAME} to read a cookie`
				}
			case "cookie":
				s.Kind = SourceCookie
				if !route.IsToken(name) {
					msg = quote(name) + " is not a valid cookie name"
				}
			case "query":
				s.Kind = SourceQuery
				msg = checkQueryName(name)
			}
			if msg != "" {
				return true, mp.errorf("%s", msg)
			}
			s.Name = name
		case "prefix":
			s.Prefix, err = getString(&m.Value, mp)
			if err == nil && hasControl(s.Prefix) {
				err = mp.errorf("must not contain control characters")
			}
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil {
		return s, err
	}
	if s.Kind == 0 {
		return s, p.errorf(`needs exactly one of "header", "cookie" and "query"`)
	}
	if v.Get("prefix") != nil && s.Kind != SourceHeader {
		return s, p.field("prefix").errorf(`only allowed with "header"`)
	}
	return s, nil
}

func (ps *parser) parseClaimsToHeaders(v *jsonx.Value, p *path) ([]ClaimHeader, *Error) {
	out := make([]ClaimHeader, 0, len(v.Members))
	// Every key names a claim, so none is unknown.
	err := eachMember(v, p, func(m *jsonx.Member, mp *path) (bool, *Error) {
		claim, perr := SplitClaimPath(m.Key)
		if perr != nil {
			return true, mp.errorf("%s", perr.Error())
		}
		h, err := getString(&m.Value, mp)
		if err != nil {
			return true, err
		}
		if msg := checkHeaderSet(h); msg != "" {
			return true, mp.errorf("%s", msg)
		}
		for _, prev := range out {
			if prev.Header == h {
				return true, mp.errorf("header %s is already set from claim %s", quote(h), quote(prev.ClaimName))
			}
		}
		out = append(out, ClaimHeader{Claim: claim, ClaimName: m.Key, Header: h})
		// A header that carries a credential would be stripped in step 1
		// before the credential is read.
		ps.later(func() *Error {
			for _, prov := range ps.cfg.Providers {
				for j, src := range prov.From() {
					if src.Kind == SourceHeader && src.Name == h {
						return mp.errorf("header %s is where provider %s reads its credential (from[%d])", quote(h), quote(prov.Name), j)
					}
				}
			}
			return nil
		})
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (ps *parser) parseAPIKeys(v *jsonx.Value, p *path) (*APIKeysProvider, *Error) {
	ak := &APIKeysProvider{From: defaultFrom()}
	err := eachMember(v, p, func(m *jsonx.Member, mp *path) (known bool, err *Error) {
		switch m.Key {
		case "from":
			ak.From, err = parseFrom(&m.Value, mp)
		case "keys":
			ak.Keys, err = ps.parseAPIKeyList(&m.Value, mp)
		default:
			return false, nil
		}
		return true, err
	}, "keys")
	if err != nil {
		return nil, err
	}
	return ak, nil
}

func (ps *parser) parseAPIKey(v *jsonx.Value, p *path) (APIKey, *Error) {
	k := APIKey{Claims: jsonx.Value{Kind: jsonx.KindObject}}
	err := eachMember(v, p, func(m *jsonx.Member, mp *path) (known bool, err *Error) {
		switch m.Key {
		case "id":
			k.ID, err = getString(&m.Value, mp)
			if err == nil {
				if msg := checkKeyID(k.ID); msg != "" {
					err = mp.errorf("%s", msg)
				} else if ps.keyIDs[k.ID] {
					err = mp.errorf("duplicate key id %s", quote(k.ID))
				}
				ps.keyIDs[k.ID] = true
			}
		case "sha256":
			if m.Value.Kind != jsonx.KindString {
				return true, typeError(&m.Value, mp, "a string")
			}
			// The message never quotes the value.
			s := m.Value.Str
			if len(s) != 64 {
				return true, mp.errorf("must be 64 hex digits (the SHA-256 of the key)")
			}
			if _, derr := hex.Decode(k.SHA256[:], []byte(s)); derr != nil {
				return true, mp.errorf("must be 64 hex digits (the SHA-256 of the key)")
			}
			if other, dup := ps.keyHashes[k.SHA256]; dup {
				return true, mp.errorf("same hash as key %s", quote(other))
			}
		case "claims":
			if err = wantObject(&m.Value, mp); err == nil {
				k.Claims = m.Value
			}
		case "expires":
			k.Expires, err = getTime(&m.Value, mp)
		default:
			return false, nil
		}
		return true, err
	}, "id", "sha256")
	if err != nil {
		return k, err
	}
	ps.keyHashes[k.SHA256] = k.ID
	return k, nil
}
