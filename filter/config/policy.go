package config

import (
	"strings"
	"time"

	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/route"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// Bounds of policy values.
const (
	maxLimit  = 1_000_000_000        // rate-limit limit and burst
	maxWindow = 365 * 24 * time.Hour // rate-limit and failed-auth windows
)

// parsePolicyObject reads `default`: a policy and nothing else.
func (ps *parser) parsePolicyObject(v *jsonx.Value, p *path, pol *RoutePolicy) *Error {
	pol.Enforce = true
	return eachMember(v, p, func(m *jsonx.Member, mp *path) (bool, *Error) {
		return ps.policyField(m, mp, pol, nil)
	})
}

// policyField reads one policy member into pol; known is false when the
// member is not a policy field. rt is the route the policy belongs to, or
// nil for `default`.
func (ps *parser) policyField(m *jsonx.Member, mp *path, pol *RoutePolicy, rt *Route) (known bool, err *Error) {
	v := &m.Value
	switch m.Key {
	case "enforce":
		pol.Enforce, err = getBool(v, mp)
	case "require_tls":
		switch {
		case v.Kind == jsonx.KindBool && v.Bool:
			pol.RequireTLS = TLSConnection
		case v.Kind == jsonx.KindBool:
			pol.RequireTLS = TLSOff
		case v.Kind == jsonx.KindString && v.Str == "forwarded":
			pol.RequireTLS = TLSForwarded
		case v.Kind == jsonx.KindString:
			err = mp.errorf(`must be true, false or "forwarded", not %s%s`, quote(v.Str), didYouMean(v.Str, []string{"forwarded"}))
		default:
			err = mp.errorf(`must be true, false or "forwarded", not %s`, kindPhrase(v.Kind))
		}
	case "cors":
		pol.CORS, err = parseCORS(v, mp)
	case "deprecation":
		pol.Deprecation, err = parseDeprecation(v, mp)
	case "auth":
		pol.Auth, err = ps.parseAuth(v, mp, rt)
	case "request":
		pol.Request, err = ps.parseRequest(v, mp, pol)
	case "response":
		if pol.Response, err = parseResponse(v, mp); err == nil {
			err = ps.checkResponseSchemas(v, mp, pol.Response)
		}
	case "rate_limits":
		pol.RateLimits, err = getList(v, mp, ps.parseRateLimit)
	case "pass_credentials":
		pol.PassCredentials, err = ps.parsePassCredentials(v, mp, pol)
	default:
		return false, nil
	}
	return true, err
}

func parseCORS(v *jsonx.Value, p *path) (*CORS, *Error) {
	c := &CORS{AllowMethods: []string{"GET", "HEAD", "POST"}}
	err := eachMember(v, p, func(m *jsonx.Member, mp *path) (known bool, err *Error) {
		switch m.Key {
		case "allow_origins":
			c.AllowOrigins, err = getStrings(&m.Value, mp, listOpts{nonEmpty: true, check: func(s string) (string, string) {
				return s, checkOrigin(s)
			}})
		case "allow_methods":
			c.AllowMethods, err = getStrings(&m.Value, mp, listOpts{nonEmpty: true, check: func(s string) (string, string) {
				if s == "*" {
					return "", `"*" is not allowed: list the methods`
				}
				if !route.IsToken(s) {
					return "", quote(s) + " is not an HTTP method"
				}
				if strings.ToUpper(s) != s {
					return "", quote(s) + " must be upper-case"
				}
				return s, ""
			}})
		case "allow_headers":
			c.AllowHeaders, err = getStrings(&m.Value, mp, listOpts{check: func(s string) (string, string) {
				if s == "*" {
					return "", `"*" is not allowed: list the headers`
				}
				return checkHeaderRead(s)
			}})
		case "allow_credentials":
			c.AllowCredentials, err = getBool(&m.Value, mp)
		case "max_age_seconds":
			var n int64
			n, err = getInt(&m.Value, mp, 0, 86400)
			c.MaxAge, c.HasMaxAge = time.Duration(n)*time.Second, true
		default:
			return false, nil
		}
		return true, err
	}, "allow_origins")
	if err != nil {
		return nil, err
	}
	op := p.field("allow_origins")
	for i, o := range c.AllowOrigins {
		switch {
		case o == "*" && len(c.AllowOrigins) > 1:
			return nil, op.at(i).errorf(`"*" must be the only origin`)
		case (o == "*" || o == "null") && c.AllowCredentials:
			return nil, op.at(i).errorf(`%q is not allowed with "allow_credentials": true`, o)
		}
	}
	c.AnyOrigin = len(c.AllowOrigins) == 1 && c.AllowOrigins[0] == "*"
	return c, nil
}

func parseDeprecation(v *jsonx.Value, p *path) (*Deprecation, *Error) {
	d := &Deprecation{}
	err := eachMember(v, p, func(m *jsonx.Member, mp *path) (known bool, err *Error) {
		switch m.Key {
		case "since":
			d.Since, err = getTime(&m.Value, mp)
		case "sunset":
			d.Sunset, err = getTime(&m.Value, mp)
		case "link":
			d.Link, err = getString(&m.Value, mp)
			if err == nil {
				if msg := checkLink(d.Link); msg != "" {
					err = mp.errorf("%s", msg)
				}
			}
		case "refuse_after_sunset":
			d.RefuseAfterSunset, err = getBool(&m.Value, mp)
		default:
			return false, nil
		}
		return true, err
	}, "since")
	if err != nil {
		return nil, err
	}
	hasSunset := v.Get("sunset") != nil
	if hasSunset && !d.Sunset.After(d.Since) {
		return nil, p.field("sunset").errorf(`must be after "since"`)
	}
	if d.RefuseAfterSunset && !hasSunset {
		return nil, p.field("refuse_after_sunset").errorf(`needs "sunset"`)
	}
	return d, nil
}

func (ps *parser) parseAuth(v *jsonx.Value, p *path, rt *Route) (*Auth, *Error) {
	a := &Auth{}
	err := eachMember(v, p, func(m *jsonx.Member, mp *path) (known bool, err *Error) {
		switch m.Key {
		case "providers":
			a.Providers, err = getStrings(&m.Value, mp, listOpts{nonEmpty: true, check: checkText})
			for j, name := range a.Providers {
				jp := mp.at(j)
				ps.later(func() *Error {
					if ps.cfg.Provider(name) == nil {
						names := make([]string, len(ps.cfg.Providers))
						for i, pr := range ps.cfg.Providers {
							names[i] = pr.Name
						}
						return jp.errorf("unknown provider %s%s", quote(name), didYouMean(name, names))
					}
					return nil
				})
			}
			if err == nil {
				pp := mp
				ps.later(func() *Error { return prefixConflict(ps.cfg, a, pp) })
			}
		case "allow_missing":
			a.AllowMissing, err = getBool(&m.Value, mp)
		case "claims":
			a.Claims, err = getList(&m.Value, mp, parseClaimRule)
		case "owner":
			if rt == nil {
				return true, mp.errorf("not allowed in default (it has no path parameters)")
			}
			if a.Owner, err = getList(&m.Value, mp, parseOwnerRule); err != nil {
				return true, err
			}
			for j, r := range a.Owner {
				pp := mp.at(j).field("param")
				param := r.Param
				ps.later(func() *Error {
					if rt.Match.Prefix != "" {
						return pp.errorf("the route matches a prefix, which has no parameters")
					}
					for _, n := range rt.Match.Params {
						if n == param {
							return nil
						}
					}
					return pp.errorf("%s is not a parameter of the route's path %s", quote(param), quote(rt.Match.Path))
				})
			}
		case "body_owner":
			a.BodyOwner, err = getList(&m.Value, mp, parseBodyOwnerRule)
		default:
			return false, nil
		}
		return true, err
	}, "providers")
	if err != nil {
		return nil, err
	}
	return a, nil
}

// getClaimPath reads a claim (or body field) path.
func getClaimPath(v *jsonx.Value, p *path) ([]string, string, *Error) {
	s, err := getString(v, p)
	if err != nil {
		return nil, "", err
	}
	segs, perr := SplitClaimPath(s)
	if perr != nil {
		return nil, "", p.errorf("%s", perr.Error())
	}
	return segs, s, nil
}

func parseClaimRule(v *jsonx.Value, p *path) (ClaimRule, *Error) {
	var r ClaimRule
	err := eachMember(v, p, func(m *jsonx.Member, mp *path) (known bool, err *Error) {
		switch m.Key {
		case "claim":
			r.Claim, r.ClaimName, err = getClaimPath(&m.Value, mp)
		case "equals", "any_of", "contains":
			if r.Op != 0 {
				return true, p.errorf(`needs exactly one of "equals", "any_of" and "contains"`)
			}
			switch m.Key {
			case "equals":
				r.Op, r.Equals = ClaimEquals, m.Value
			case "any_of":
				r.Op = ClaimAnyOf
				r.Values, err = getStrings(&m.Value, mp, listOpts{nonEmpty: true, check: checkText})
			case "contains":
				r.Op = ClaimContains
				r.Values, err = getStrings(&m.Value, mp, listOpts{nonEmpty: true, check: checkText})
			}
		default:
			return false, nil
		}
		return true, err
	}, "claim")
	if err != nil {
		return r, err
	}
	if r.Op == 0 {
		return r, p.errorf(`needs exactly one of "equals", "any_of" and "contains"`)
	}
	return r, nil
}

func parseOwnerRule(v *jsonx.Value, p *path) (OwnerRule, *Error) {
	var r OwnerRule
	err := eachMember(v, p, func(m *jsonx.Member, mp *path) (known bool, err *Error) {
		switch m.Key {
		case "param":
			r.Param, err = getText(&m.Value, mp)
		case "claim":
			r.Claim, r.ClaimName, err = getClaimPath(&m.Value, mp)
		case "unless":
			var u ClaimRule
			u, err = parseClaimRule(&m.Value, mp)
			r.Unless = &u
		default:
			return false, nil
		}
		return true, err
	}, "param", "claim")
	return r, err
}

func parseBodyOwnerRule(v *jsonx.Value, p *path) (BodyOwnerRule, *Error) {
	var r BodyOwnerRule
	err := eachMember(v, p, func(m *jsonx.Member, mp *path) (known bool, err *Error) {
		switch m.Key {
		case "field":
			r.Field, r.FieldName, err = getClaimPath(&m.Value, mp)
		case "claim":
			r.Claim, r.ClaimName, err = getClaimPath(&m.Value, mp)
		default:
			return false, nil
		}
		return true, err
	}, "field", "claim")
	return r, err
}

func (ps *parser) parseRequest(v *jsonx.Value, p *path, pol *RoutePolicy) (*Request, *Error) {
	r := &Request{MaxBodyBytes: DefaultMaxBodyBytes}
	err := eachMember(v, p, func(m *jsonx.Member, mp *path) (known bool, err *Error) {
		switch m.Key {
		case "max_body_bytes":
			r.MaxBodyBytes, err = getInt(&m.Value, mp, 1, MaxBodyBytesLimit)
			r.MaxBodyBytesSet = true
		case "forbid_query_params":
			r.ForbidQueryParams, err = getStrings(&m.Value, mp, listOpts{check: func(s string) (string, string) {
				if msg := checkQueryName(s); msg != "" {
					return "", msg
				}
				return httpx.NormalizeQueryName(s), ""
			}})
			for j, name := range r.ForbidQueryParams {
				jp := mp.at(j)
				ps.later(func() *Error { return queryConflict(ps.cfg, pol, name, jp) })
			}
		case "json":
			if r.JSON, err = parseJSONRules(&m.Value, mp); err == nil {
				err = ps.checkJSONSchema(&m.Value, mp, r.JSON)
			}
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

func checkQueryName(s string) string {
	if s == "" || hasControl(s) || strings.ContainsAny(s, "&;=#") || httpx.NormalizeQueryName(s) == "" {
		return "must be a query parameter name (not empty or spaces only, no control characters, no \"&\", \";\", \"=\" or \"#\")"
	}
	return ""
}

// policyFieldHints says where an unknown top-level field belongs when it is
// a field of a policy, or a typo of one (`rate_limits` written beside
// `routes`): in "default" or a route. The policy reader is probed with the
// key alone, as suggestField probes a reader; the document is refused
// anyway.
func (ps *parser) policyFieldHints(err *Error) {
	if err == nil {
		return
	}
	for _, e := range append([]*Error{err}, err.more...) {
		if !e.atKey || e.at == nil || e.at.parent != root || strings.Contains(e.Msg, "(did you mean ") {
			continue
		}
		probe := jsonx.Value{Kind: jsonx.KindObject, Members: []jsonx.Member{{Key: e.at.key}}}
		perr := ps.parsePolicyObject(&probe, root.field("default"), &RoutePolicy{})
		switch {
		case perr == nil || !perr.atKey:
			e.Msg += ` (a field of a policy: write it in "default" or a route)`
		default:
			if i := strings.Index(perr.Msg, " (did you mean "); i >= 0 && strings.HasSuffix(perr.Msg, "?)") {
				e.Msg += strings.TrimSuffix(perr.Msg[i:], "?)") + ` in "default" or a route?)`
			}
		}
	}
}
