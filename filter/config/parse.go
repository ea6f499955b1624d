package config

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/route"
)

// docLimits bound the configuration document itself. They are generous:
// the document comes from the operator, and the bounds only keep a broken
// one from exhausting the VM.
var docLimits = jsonx.Limits{
	MaxDepth:       64,
	MaxKeys:        1 << 16,
	MaxArrayItems:  1 << 20,
	MaxStringBytes: 1 << 20,
}

// parseWith is Parse, ParseEnv and ParseWithPlaceholders (placeholders
// non-nil).
func parseWith(data []byte, getenv Getenv, placeholders map[string]string) (*Config, error) {
	if len(data) > MaxConfigBytes {
		return nil, &ErrorList{Errors: []*Error{{Msg: "configuration is larger than " + strconv.Itoa(MaxConfigBytes>>20) + " MiB"}}}
	}
	if isBlank(data) {
		return nil, &ErrorList{Errors: []*Error{{Msg: "configuration is empty"}}}
	}
	v, err := jsonx.Parse(data, docLimits)
	if err != nil {
		e := &Error{Msg: "invalid JSON"}
		var je *jsonx.Error
		if errors.As(err, &je) {
			msg := strings.TrimPrefix(je.Error(), "json: ")
			if i := strings.LastIndex(msg, " at offset "); i >= 0 {
				msg = msg[:i]
			}
			e.Msg += ": " + msg
			e.off1 = je.Offset + 1
		}
		return nil, newErrorList(data, nil, []*Error{e})
	}
	p := &parser{
		data:         data,
		getenv:       getenv,
		placeholders: placeholders,
		routeNames:   map[string]bool{},
		limitNames:   map[string]bool{},
		keyIDs:       map[string]bool{},
		keyHashes:    map[[32]byte]string{},
	}
	cfg, perr := p.parseConfig(&v)
	if perr != nil {
		return nil, newErrorList(data, &v, perr.flatten())
	}
	return cfg, nil
}

func isBlank(data []byte) bool {
	for _, c := range data {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// parser carries what the walk has seen so far. The walk goes in document
// order and returns at the first structural error; checks that need the
// whole document (references between fields) are queued in deferred, also
// in document order, and run once the walk is complete.
type parser struct {
	data   []byte
	getenv Getenv
	// placeholders, when non-nil, receives the variables getenv lacks, with
	// the placeholder that stood in (ParseWithPlaceholders).
	placeholders map[string]string
	cfg          *Config
	deferred     []func() *Error
	routeNames   map[string]bool
	limitNames   map[string]bool
	keyIDs       map[string]bool
	keyHashes    map[[32]byte]string // hash -> key id
}

func (ps *parser) later(check func() *Error) { ps.deferred = append(ps.deferred, check) }

func (ps *parser) parseConfig(v *jsonx.Value) (*Config, *Error) {
	cfg := &Config{
		HoldHeaders:     true,
		RateLimitSlots:  DefaultRateLimitSlots,
		TokenCache:      TokenCache{MaxEntries: DefaultTokenCacheEntries, MaxBytes: DefaultTokenCacheBytes},
		Errors:          Errors{SanitizeUpstream5xx: true},
		SecurityHeaders: true,
	}
	ps.cfg = cfg
	err := eachMember(v, root, func(m *jsonx.Member, mp *path) (known bool, err *Error) {
		switch m.Key {
		case "providers":
			err = ps.parseProviders(&m.Value, mp)
		case "hold_headers":
			cfg.HoldHeaders, err = getBool(&m.Value, mp)
		case "case_insensitive_paths":
			cfg.CaseInsensitivePaths, err = getBool(&m.Value, mp)
		case "default":
			cfg.Default = &RoutePolicy{}
			err = ps.parsePolicyObject(&m.Value, mp, cfg.Default)
		case "routes":
			err = ps.parseRoutes(&m.Value, mp)
		case "failed_auth_limit":
			cfg.FailedAuthLimit, err = ps.parseFailedAuthLimit(&m.Value, mp)
		case "rate_limit_service":
			cfg.RateLimitService, err = ps.parseRateLimitService(&m.Value, mp)
		case "rate_limit_slots":
			var n int64
			n, err = getInt(&m.Value, mp, 1, MaxRateLimitSlots)
			if err == nil && n&(n-1) != 0 {
				err = mp.errorf("must be a power of two (e.g. 65536)")
			}
			cfg.RateLimitSlots = int(n)
		case "token_cache":
			err = ps.parseTokenCache(&m.Value, mp)
		case "errors":
			err = ps.parseErrors(&m.Value, mp)
		case "security_headers":
			cfg.SecurityHeaders, err = getBool(&m.Value, mp)
		case "audit_log":
			cfg.AuditLog, err = ps.parseAuditLog(&m.Value, mp)
		case "schemas":
			err = ps.parseSchemas(&m.Value, mp)
		default:
			return false, nil
		}
		return true, err
	})
	ps.policyFieldHints(err)
	if v.Kind == jsonx.KindObject && v.Get("routes") == nil && v.Get("default") == nil {
		var c collector
		c.add(err)
		c.add(root.errorf(`needs "routes" or "default" (without either, every request is refused with 404)`))
		err = c.result()
	}
	if err != nil {
		return nil, err
	}
	// Reference errors are looked for once the structure is right.
	var refs collector
	for _, check := range ps.deferred {
		refs.add(check())
	}
	if err := refs.result(); err != nil {
		return nil, err
	}
	if v.Get("hold_headers") == nil {
		if where := cfg.firstHoldingPolicy(); where != "" {
			return nil, root.field("hold_headers").errorf("%s", holdHeadersRequired(where))
		}
	}
	// The route table is compiled here only to validate it (policy.Compile
	// builds the one the filter uses): a match route rejects, or a route
	// that an earlier one shadows, is a configuration error with its path.
	table, cerr := route.CompileWith(cfg.RouteSpecs(), cfg.RouteOptions())
	if cerr != nil {
		// Each match was checked with the same rules while parsing, so this
		// cannot happen; report it at the route rather than start without
		// a table.
		var re *route.Error
		if errors.As(cerr, &re) {
			return nil, root.field("routes").at(re.Index).field("match").errorf("%s", re.Msg)
		}
		return nil, root.field("routes").errorf("%s", cerr.Error())
	}
	if j, i, method, ok := table.CaseShadow(); ok {
		// A route that an earlier one refuses with 404 (WrongCase) for
		// every request it could match.
		mt := &cfg.Routes[j].Match
		field := "path"
		if mt.Prefix != "" {
			field = "prefix"
		}
		what := "request"
		if method != "" {
			what = method + " request"
		}
		return nil, root.field("routes").at(j).field("match").field(field).errorf(
			"no %s can reach this route: routes[%d] (%s) comes first and matches it when case is ignored, so it is refused with 404 "+
				`while "case_insensitive_paths" is false; spell both alike, reorder them, or set "case_insensitive_paths"`,
			what, i, quote(cfg.Routes[i].Name))
	}
	cfg.ClaimHeaders = claimHeaders(cfg.Providers)
	return cfg, nil
}

// firstHoldingPolicy names the first policy (in document order: routes,
// then default) whose checks depend on whether the host lets the filter
// hold request headers while it reads a body, or response headers while it
// inspects a response: a `json`, `body_owner`, `owner` (its form shadow)
// or `response` rule. "" when there is none.
func (c *Config) firstHoldingPolicy() string {
	for i := range c.Routes {
		if what := c.Routes[i].Policy.holdingRule(); what != "" {
			return fmt.Sprintf("routes[%d].%s", i, what)
		}
	}
	if c.Default != nil {
		if what := c.Default.holdingRule(); what != "" {
			return "default." + what
		}
	}
	return ""
}

// holdingRule names the policy's first rule that reads a body or inspects
// responses, as a JSON path below the policy, or "".
func (p *RoutePolicy) holdingRule() string {
	switch {
	case p.Request != nil && p.Request.JSON != nil:
		return "request.json"
	case p.Auth != nil && len(p.Auth.BodyOwner) > 0:
		return "auth.body_owner"
	case p.Auth != nil && len(p.Auth.Owner) > 0:
		return "auth.owner"
	case p.Response != nil:
		return "response"
	}
	return ""
}

// holdHeadersRequired is the message for a configuration that must write
// `hold_headers` (docs/configuration.md defaults): its default would hang body and
// response routes on hosts that cannot hold headers, so the operator says
// which host it runs on.
func holdHeadersRequired(where string) string {
	return "required: " + where + ` reads a body or inspects responses, so the configuration must say whether the host can hold headers: ` +
		`write true for Envoy 1.35 or later with allow_on_headers_stop_iteration: true on the Wasm filter, ` +
		`false for Istio's WasmPlugin, Envoy Gateway or an Envoy before 1.35 (headers then reach upstream before a body verdict; a refusal resets the upstream request)`
}

// claimHeaders collects every header set from claims, with the underscore
// spelling of each (CGI-style upstreams read `x_user_id` as `x-user-id`).
func claimHeaders(providers []*Provider) []string {
	set := map[string]bool{}
	for _, p := range providers {
		for _, ch := range p.ClaimsToHeaders {
			set[ch.Header] = true
			set[strings.ReplaceAll(ch.Header, "-", "_")] = true
		}
	}
	out := make([]string, 0, len(set))
	for h := range set {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

func (ps *parser) parseTokenCache(v *jsonx.Value, p *path) *Error {
	tc := &ps.cfg.TokenCache
	return eachMember(v, p, func(m *jsonx.Member, mp *path) (known bool, err *Error) {
		var n int64
		switch m.Key {
		case "max_entries":
			n, err = getInt(&m.Value, mp, 0, MaxTokenCacheEntries)
			tc.MaxEntries = int(n)
		case "max_bytes":
			n, err = getInt(&m.Value, mp, 0, MaxTokenCacheBytes)
			tc.MaxBytes = int(n)
		default:
			return false, nil
		}
		return true, err
	})
}

func (ps *parser) parseErrors(v *jsonx.Value, p *path) *Error {
	return eachMember(v, p, func(m *jsonx.Member, mp *path) (known bool, err *Error) {
		switch m.Key {
		case "sanitize_upstream_5xx":
			ps.cfg.Errors.SanitizeUpstream5xx, err = getBool(&m.Value, mp)
		case "validation_details":
			ps.cfg.Errors.ValidationDetails, err = getBool(&m.Value, mp)
		default:
			return false, nil
		}
		return true, err
	})
}

func (ps *parser) parseRoutes(v *jsonx.Value, p *path) *Error {
	if err := wantArray(v, p, false); err != nil {
		return err
	}
	// Allocated once, so that deferred checks may keep pointers into it.
	ps.cfg.Routes = make([]Route, len(v.Items))
	var c collector
	for i := range v.Items {
		c.add(ps.parseRoute(&v.Items[i], p.at(i), &ps.cfg.Routes[i]))
	}
	return c.result()
}

func (ps *parser) parseRoute(v *jsonx.Value, p *path, r *Route) *Error {
	r.Policy = RoutePolicy{Enforce: true}
	return eachMember(v, p, func(m *jsonx.Member, mp *path) (known bool, err *Error) {
		switch m.Key {
		case "name":
			r.Name, err = getString(&m.Value, mp)
			if err == nil {
				if msg := checkName(r.Name); msg != "" {
					err = mp.errorf("%s", msg)
				} else if ps.routeNames[r.Name] {
					err = mp.errorf("duplicate route name %s", quote(r.Name))
				}
				ps.routeNames[r.Name] = true
			}
		case "match":
			err = parseMatch(&m.Value, mp, &r.Match)
		default:
			return ps.policyField(m, mp, &r.Policy, r)
		}
		return true, err
	}, "name", "match")
}

func parseMatch(v *jsonx.Value, p *path, mt *Match) *Error {
	err := eachMember(v, p, func(m *jsonx.Member, mp *path) (known bool, err *Error) {
		switch m.Key {
		case "path":
			mt.Path, err = getString(&m.Value, mp)
			if msg := pathSyntaxHint(mt.Path, false); err == nil && msg != "" {
				err = mp.errorf("%s", msg)
			} else if err == nil {
				var perr error
				if mt.Params, perr = route.ParsePath(mt.Path); perr != nil {
					err = mp.errorf("%s", perr.Error())
				}
			}
		case "prefix":
			mt.Prefix, err = getString(&m.Value, mp)
			if msg := pathSyntaxHint(mt.Prefix, true); err == nil && msg != "" {
				err = mp.errorf("%s", msg)
			} else if err == nil {
				if perr := route.CheckPrefix(mt.Prefix); perr != nil {
					err = mp.errorf("%s", perr.Error())
				}
			}
		case "methods":
			mt.Methods, err = getStrings(&m.Value, mp, listOpts{
				nonEmpty: true,
				check: func(s string) (string, string) {
					if err := route.CheckMethod(s); err != nil {
						return "", err.Error()
					}
					return s, ""
				},
			})
			if err != nil && len(m.Value.Items) == 0 && m.Value.Kind == jsonx.KindArray {
				err = mp.errorf("must not be empty (omit it to match any method)")
			}
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil {
		return err
	}
	hasPath, hasPrefix := v.Get("path") != nil, v.Get("prefix") != nil
	switch {
	case hasPath && hasPrefix:
		return p.errorf(`needs exactly one of "path" and "prefix", not both`)
	case !hasPath && !hasPrefix:
		return p.errorf(`needs exactly one of "path" and "prefix"`)
	}
	return nil
}

func (ps *parser) parseFailedAuthLimit(v *jsonx.Value, p *path) (*FailedAuthLimit, *Error) {
	f := &FailedAuthLimit{}
	err := eachMember(v, p, func(m *jsonx.Member, mp *path) (known bool, err *Error) {
		switch m.Key {
		case "key":
			f.Key, err = parseKey(&m.Value, mp)
			if err == nil && f.Key.Kind != KeyIP && f.Key.Kind != KeyHeader {
				err = mp.errorf(`must be "ip" or "header:NAME" (no credential is verified when it counts)`)
			}
		case "limit":
			f.Limit, err = getInt(&m.Value, mp, 1, maxLimit)
		case "window":
			f.Window, err = getDuration(&m.Value, mp, maxWindow)
		default:
			return false, nil
		}
		return true, err
	}, "key", "limit", "window")
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (ps *parser) parseRateLimitService(v *jsonx.Value, p *path) (*RateLimitService, *Error) {
	s := &RateLimitService{Timeout: DefaultRateLimitSvcTimeout, FailureMode: FailureDeny}
	err := eachMember(v, p, func(m *jsonx.Member, mp *path) (known bool, err *Error) {
		switch m.Key {
		case "cluster":
			s.Cluster, err = getText(&m.Value, mp)
		case "domain":
			s.Domain, err = getText(&m.Value, mp)
		case "timeout_ms":
			var n int64
			n, err = getInt(&m.Value, mp, 1, 10000)
			s.Timeout = msDuration(n)
		case "failure_mode":
			var f string
			f, err = getString(&m.Value, mp)
			if err == nil {
				switch f {
				case "deny":
					s.FailureMode = FailureDeny
				case "allow":
					s.FailureMode = FailureAllow
				default:
					err = mp.errorf(`must be "deny" or "allow", not %s%s`, quote(f), didYouMean(f, []string{"deny", "allow"}))
				}
			}
		case "hash_secret":
			s.HashSecret, err = ps.getHashSecret(&m.Value, mp)
		default:
			return false, nil
		}
		return true, err
	}, "cluster", "domain")
	if err != nil {
		return nil, err
	}
	return s, nil
}

// getHashSecret reads `rate_limit_service.hash_secret` and
// `audit_log.hash_secret`, as written or from the environment. Whatever is
// wrong with it, the message is the same and never quotes the value.
func (ps *parser) getHashSecret(v *jsonx.Value, p *path) (Secret, *Error) {
	s, env, err := ps.secretString(v, p)
	if err != nil {
		return "", err
	}
	ok := len(s) >= MinHashSecret && len(s) <= MaxHashSecret
	for i := 0; ok && i < len(s); i++ {
		ok = s[i] >= 0x20 && s[i] <= 0x7e
	}
	switch {
	case !ok && env != "":
		return "", p.errorf("environment variable %s must hold %d to %d printable ASCII characters", env, MinHashSecret, MaxHashSecret)
	case !ok:
		return "", p.errorf("must be %d to %d printable ASCII characters", MinHashSecret, MaxHashSecret)
	}
	return Secret(s), nil
}
