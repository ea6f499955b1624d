package config

// The checks of a policy's credential locations: header prefixes that overlap, pass_credentials.

import (
	"strconv"
	"strings"
	"time"

	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/route"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// prefixConflict refuses a route whose providers read one header with
// prefixes of which one starts the other ("Bearer " and the empty prefix,
// "Bearer " and "Bearer key-"): a value of that header would be a
// credential of either source, and docs/configuration.md counts it as one credential of
// one source.
// Prefixes equal but for ASCII letter case are the same source. p is the
// path of `auth.providers`.
func prefixConflict(cfg *Config, a *Auth, p *path) *Error {
	type read struct {
		provider string
		from     int
		src      Source
	}
	var seen []read
	for j, name := range a.Providers {
		prov := cfg.Provider(name)
		if prov == nil {
			continue // reported as an unknown provider
		}
		for k, src := range prov.From() {
			if src.Kind != SourceHeader {
				continue
			}
			for _, o := range seen {
				if o.src.Name != src.Name || o.provider == name || httpx.EqualFold(o.src.Prefix, src.Prefix) {
					continue
				}
				if httpx.HasPrefixFold(o.src.Prefix, src.Prefix) || httpx.HasPrefixFold(src.Prefix, o.src.Prefix) {
					return p.at(j).errorf("provider %s reads header %s with prefix %s (from[%d]) and provider %s with prefix %s (from[%d]): one prefix starts the other, so one value would be a credential of both",
						quote(name), quote(src.Name), quote(src.Prefix), k, quote(o.provider), quote(o.src.Prefix), o.from)
				}
			}
			seen = append(seen, read{name, k, src})
		}
	}
	return nil
}

// parsePassCredentials reads `pass_credentials`: each entry names one
// credential location, "header:NAME", "cookie:NAME" or "query:NAME", that
// reaches upstream as the client sent it. Header names compare as HTTP
// does (ASCII case ignored); cookie and query names as every name lookup
// does (NormalizeQueryName), so an entry passes every spelling of its name.
// The location must be one apiguard would otherwise remove (Authorization,
// or a source of some provider), and a query parameter the same policy
// forbids never passes: both are config errors, since the entry would do
// nothing.
func (ps *parser) parsePassCredentials(v *jsonx.Value, p *path, pol *RoutePolicy) ([]PassCredential, *Error) {
	if err := wantArray(v, p, false); err != nil {
		return nil, err
	}
	out := make([]PassCredential, 0, len(v.Items))
	for i := range v.Items {
		ip := p.at(i)
		s, err := getString(&v.Items[i], ip)
		if err != nil {
			return nil, err
		}
		pc, msg := parsePassCredential(s)
		if msg != "" {
			return nil, ip.errorf("%s", msg)
		}
		for j, prev := range out {
			if prev.Kind == pc.Kind && prev.Name == pc.Name {
				return nil, ip.errorf("duplicate of %s at [%d]", quote(prev.Raw), j)
			}
		}
		out = append(out, pc)
		ps.later(func() *Error { return passRemovable(ps.cfg, pol, pc, ip) })
	}
	return out, nil
}

const passSyntax = `must be "header:NAME", "cookie:NAME" or "query:NAME"`

func parsePassCredential(s string) (PassCredential, string) {
	pc := PassCredential{Raw: s}
	kind, name, ok := strings.Cut(s, ":")
	if !ok {
		return pc, passSyntax + ", not " + quote(s)
	}
	switch kind {
	case "header":
		n, msg := checkHeaderRead(name)
		if msg == "" && n == "cookie" {
			msg = `use "cookie:NAME" to pass a cookie`
		}
		if msg != "" {
			return pc, msg
		}
		pc.Kind, pc.Name = SourceHeader, n
	case "cookie":
		if !route.IsToken(name) {
			return pc, quote(name) + " is not a valid cookie name"
		}
		pc.Kind, pc.Name = SourceCookie, httpx.NormalizeQueryName(name)
	case "query":
		if msg := checkQueryName(name); msg != "" {
			return pc, msg
		}
		pc.Kind, pc.Name = SourceQuery, httpx.NormalizeQueryName(name)
	default:
		return pc, passSyntax + ", not " + quote(s)
	}
	return pc, ""
}

// passRemovable refuses a pass_credentials entry that names nothing
// apiguard removes, or a query parameter the same policy forbids.
func passRemovable(cfg *Config, pol *RoutePolicy, pc PassCredential, p *path) *Error {
	if pc.Kind == SourceQuery && pol.Request != nil {
		for _, f := range pol.Request.ForbidQueryParams {
			if f == pc.Name {
				return p.errorf("%s is in this policy's forbid_query_params, so it never passes", quote(pc.Raw))
			}
		}
	}
	if pc.Kind == SourceHeader && pc.Name == "authorization" {
		return nil
	}
	for _, prov := range cfg.Providers {
		for _, src := range prov.From() {
			if src.Kind != pc.Kind {
				continue
			}
			if src.Kind == SourceHeader && src.Name == pc.Name ||
				src.Kind != SourceHeader && httpx.NormalizeQueryName(src.Name) == pc.Name {
				return nil
			}
		}
	}
	return p.errorf("no provider reads %s, so apiguard never removes it: pass_credentials lists only Authorization and providers' sources", quote(pc.Raw))
}

// queryConflict refuses a forbidden query parameter that one of the
// policy's own providers reads its credential from: every such request
// would be refused.
func queryConflict(cfg *Config, pol *RoutePolicy, name string, p *path) *Error {
	if pol.Auth == nil {
		return nil
	}
	for _, pn := range pol.Auth.Providers {
		prov := cfg.Provider(pn)
		if prov == nil {
			continue
		}
		for j, src := range prov.From() {
			if src.Kind == SourceQuery && httpx.NormalizeQueryName(src.Name) == name {
				return p.errorf("provider %s reads its credential from this query parameter (from[%d])", quote(pn), j)
			}
		}
	}
	return nil
}

func parseJSONRules(v *jsonx.Value, p *path) (*JSONRules, *Error) {
	j := &JSONRules{
		MaxDepth:       DefaultJSONMaxDepth,
		MaxKeys:        DefaultJSONMaxKeys,
		MaxArrayItems:  DefaultJSONMaxItems,
		MaxStringBytes: DefaultJSONMaxString,
	}
	err := eachMember(v, p, func(m *jsonx.Member, mp *path) (known bool, err *Error) {
		var n int64
		switch m.Key {
		case "required":
			j.Required, err = getBool(&m.Value, mp)
		case "max_depth":
			n, err = getInt(&m.Value, mp, 1, MaxJSONDepthLimit)
			j.MaxDepth = int(n)
		case "max_keys":
			n, err = getInt(&m.Value, mp, 1, MaxBodyBytesLimit)
			j.MaxKeys = int(n)
		case "max_array_items":
			n, err = getInt(&m.Value, mp, 1, MaxBodyBytesLimit)
			j.MaxArrayItems = int(n)
		case "max_string_bytes":
			n, err = getInt(&m.Value, mp, 1, MaxBodyBytesLimit)
			j.MaxStringBytes = int(n)
		case "fields":
			j.Fields, err = parseFieldRules(&m.Value, mp)
		case "case_sensitive_keys":
			j.CaseSensitiveKeys, err = getBool(&m.Value, mp)
		default:
			return jsonSchemaField(m, mp, j)
		}
		return true, err
	})
	if err != nil {
		return nil, err
	}
	return j, nil
}

var jsonTypes = map[string]JSONType{
	"object": TypeObject, "array": TypeArray, "string": TypeString, "number": TypeNumber,
	"integer": TypeInteger, "boolean": TypeBoolean, "null": TypeNull,
}

func parseFieldRules(v *jsonx.Value, p *path) ([]FieldRule, *Error) {
	if err := wantArray(v, p, false); err != nil {
		return nil, err
	}
	out := make([]FieldRule, 0, len(v.Items))
	seen := map[string]int{}
	for i := range v.Items {
		ip := p.at(i)
		item := &v.Items[i]
		var f FieldRule
		err := eachMember(item, ip, func(m *jsonx.Member, mp *path) (known bool, err *Error) {
			switch m.Key {
			case "path":
				f.Path, f.PathName, err = getClaimPath(&m.Value, mp)
			case "type":
				var t string
				if t, err = getString(&m.Value, mp); err == nil {
					var ok bool
					if f.Type, ok = jsonTypes[t]; !ok {
						err = mp.errorf("%s is not a JSON type (want object, array, string, number, integer, boolean or null)%s", quote(t), didYouMean(t, jsonTypeNames[1:]))
					}
				}
			case "required":
				f.Required, err = getBool(&m.Value, mp)
			default:
				return false, nil
			}
			return true, err
		}, "path")
		if err != nil {
			return nil, err
		}
		if item.Get("type") == nil && !f.Required {
			return nil, ip.errorf(`checks nothing: give "type", or "required": true`)
		}
		key := strings.Join(f.Path, "\x00")
		if j, dup := seen[key]; dup {
			return nil, ip.field("path").errorf("duplicate of [%d]", j)
		}
		seen[key] = i
		out = append(out, f)
	}
	return out, nil
}

func parseResponse(v *jsonx.Value, p *path) (*Response, *Error) {
	r := &Response{MaxBodyBytes: DefaultMaxBodyBytes}
	err := eachMember(v, p, func(m *jsonx.Member, mp *path) (known bool, err *Error) {
		switch m.Key {
		case "max_body_bytes":
			r.MaxBodyBytes, err = getInt(&m.Value, mp, 1, MaxBodyBytesLimit)
		case "allow":
			r.Allow, err = getResponsePaths(&m.Value, mp, "omit it to keep every field")
		case "redact":
			r.Redact, err = parseRedact(&m.Value, mp)
		case "pass_types":
			r.PassTypes, err = getStrings(&m.Value, mp, listOpts{check: checkMediaType})
		default:
			return responseSchemaField(m, mp, r)
		}
		return true, err
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// getResponsePaths reads a non-empty list of response paths; hint explains
// what to do instead of an empty list.
func getResponsePaths(v *jsonx.Value, p *path, hint string) ([]ResponsePath, *Error) {
	if err := wantArray(v, p, false); err != nil {
		return nil, err
	}
	if len(v.Items) == 0 {
		return nil, p.errorf("must not be empty (%s)", hint)
	}
	out := make([]ResponsePath, 0, len(v.Items))
	for i := range v.Items {
		ip := p.at(i)
		s, err := getString(&v.Items[i], ip)
		if err != nil {
			return nil, err
		}
		rp, perr := ParseResponsePath(s)
		if perr != nil {
			return nil, ip.errorf("%s", perr.Error())
		}
		for j, prev := range out {
			if samePath(prev, rp) {
				return nil, ip.errorf("duplicate of %s at [%d]", quote(s), j)
			}
		}
		out = append(out, rp)
	}
	return out, nil
}

func samePath(a, b ResponsePath) bool {
	if len(a.Segments) != len(b.Segments) {
		return false
	}
	for i := range a.Segments {
		if a.Segments[i] != b.Segments[i] {
			return false
		}
	}
	return true
}

func parseRedact(v *jsonx.Value, p *path) (*Redact, *Error) {
	r := &Redact{Action: RedactRemove, Mask: DefaultMask}
	err := eachMember(v, p, func(m *jsonx.Member, mp *path) (known bool, err *Error) {
		switch m.Key {
		case "paths":
			r.Paths, err = getResponsePaths(&m.Value, mp, "omit it to redact by keys only")
		case "keys":
			folded := map[string]int{}
			r.Keys, err = getStrings(&m.Value, mp, listOpts{nonEmpty: true, check: checkText})
			for j, k := range r.Keys {
				// The folding redaction matches keys with at run time.
				f := string(jsonx.AppendFold(nil, []byte(k)))
				if prev, dup := folded[f]; dup && err == nil {
					err = mp.at(j).errorf("duplicate of %s at [%d] (keys compare case-insensitively)", quote(r.Keys[prev]), prev)
				}
				folded[f] = j
			}
		case "action":
			var a string
			if a, err = getString(&m.Value, mp); err == nil {
				switch a {
				case "remove":
					r.Action = RedactRemove
				case "mask":
					r.Action = RedactMask
				default:
					err = mp.errorf(`must be "remove" or "mask", not %s%s`, quote(a), didYouMean(a, []string{"remove", "mask"}))
				}
			}
		case "mask":
			r.Mask, err = getString(&m.Value, mp)
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil {
		return nil, err
	}
	if r.Paths == nil && r.Keys == nil {
		return nil, p.errorf(`needs "paths" or "keys"`)
	}
	return r, nil
}

// FailedAuthLimitName is the name failed_auth_limit goes by in the
// RateLimit-Policy and RateLimit headers; no rate limit may take it.
const FailedAuthLimitName = "failed_auth"

// globalWindows are the windows the rate limit service knows (its units).
var globalWindows = map[time.Duration]bool{
	time.Second: true, time.Minute: true, time.Hour: true, 24 * time.Hour: true,
}

func (ps *parser) parseRateLimit(v *jsonx.Value, p *path) (RateLimit, *Error) {
	var rl RateLimit
	err := eachMember(v, p, func(m *jsonx.Member, mp *path) (known bool, err *Error) {
		switch m.Key {
		case "name":
			if rl.Name, err = getString(&m.Value, mp); err == nil {
				if msg := checkName(rl.Name); msg != "" {
					err = mp.errorf("%s", msg)
				} else if rl.Name == FailedAuthLimitName {
					err = mp.errorf("%s is reserved: RateLimit headers name failed_auth_limit so", quote(rl.Name))
				} else if ps.limitNames[rl.Name] {
					err = mp.errorf("duplicate rate limit name %s (names are unique across the configuration)", quote(rl.Name))
				}
				ps.limitNames[rl.Name] = true
			}
		case "key":
			rl.Key, err = parseKey(&m.Value, mp)
		case "limit":
			rl.Limit, err = getInt(&m.Value, mp, 1, maxLimit)
		case "window":
			rl.Window, err = getDuration(&m.Value, mp, maxWindow)
		case "burst":
			rl.Burst, err = getInt(&m.Value, mp, 1, maxLimit)
		case "global":
			rl.Global, err = getBool(&m.Value, mp)
		default:
			return false, nil
		}
		return true, err
	}, "name", "key", "limit", "window")
	if err != nil {
		return rl, err
	}
	hasBurst := v.Get("burst") != nil
	if !rl.Global {
		if !hasBurst {
			rl.Burst = rl.Limit
		}
		return rl, nil
	}
	if hasBurst {
		return rl, p.field("burst").errorf(`not allowed with "global": true (the rate limit service has no burst)`)
	}
	if !globalWindows[rl.Window] {
		return rl, p.field("window").errorf(`must be 1s, 1m, 1h or 1d with "global": true, not %s`, FormatDuration(rl.Window))
	}
	gp := p.field("global")
	ps.later(func() *Error {
		if ps.cfg.RateLimitService == nil {
			return gp.errorf(`needs a top-level "rate_limit_service"`)
		}
		return nil
	})
	return rl, nil
}

// parseKey reads a rate-limit key: ip, route, header:NAME or claim:PATH.
func parseKey(v *jsonx.Value, p *path) (Key, *Error) {
	s, err := getString(v, p)
	if err != nil {
		return Key{}, err
	}
	k := Key{Raw: s}
	switch {
	case s == "ip":
		k.Kind = KeyIP
	case s == "route":
		k.Kind = KeyRoute
	case strings.HasPrefix(s, "header:"):
		h, msg := checkHeaderRead(s[len("header:"):])
		if msg != "" {
			return Key{}, p.errorf("%s", msg)
		}
		k.Kind, k.Header = KeyHeader, h
	case strings.HasPrefix(s, "claim:"):
		c, perr := SplitClaimPath(s[len("claim:"):])
		if perr != nil {
			return Key{}, p.errorf("%s", perr.Error())
		}
		k.Kind, k.Claim = KeyClaim, c
	default:
		hint := didYouMean(s, []string{"ip", "route"})
		if name, _, ok := strings.Cut(s, ":"); ok {
			if kind := closest(name, []string{"header", "claim"}); kind != "" {
				hint = " (did you mean " + strconv.Quote(kind+s[len(name):]) + "?)"
			}
		}
		return Key{}, p.errorf("%s is not a rate-limit key (want ip, route, header:NAME or claim:PATH)%s", quote(s), hint)
	}
	return k, nil
}
