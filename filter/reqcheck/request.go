package reqcheck

import (
	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/problem"
)

// BodyMode says what step 12 does with a request body.
type BodyMode uint8

const (
	// BodyPass: the route checks no body; it is never buffered or counted.
	BodyPass BodyMode = iota
	// BodyCount: the route only caps (request.max_body_bytes): chunks go
	// upstream as they come and are counted; crossing the cap answers 413
	// and Envoy resets the upstream request.
	BodyCount
	// BodyRead: the route reads the body (request.json, auth.body_owner,
	// or auth.owner on a form-encoded request): it is buffered (up to the
	// cap) until complete, then checked; with hold_headers the headers
	// wait too, so nothing of a refused request reaches upstream.
	BodyRead
)

// Body is one request's body: what step 7 decided step 12 does with it,
// and how far it got.
type Body struct {
	// EndOfStream says the request headers ended the request (no body).
	EndOfStream bool

	Mode  BodyMode
	Limit int64
	// Form says the body is also read as a form, for the form shadows of
	// auth.owner and auth.body_owner, and on a request.json route for the
	// fields a JSON body sent as a form would smuggle: the route has such
	// rules and the request is application/x-www-form-urlencoded (or a
	// POST without a Content-Type, which Rack reads as one). Multipart
	// says it is read as multipart/form-data (its part names), on an owner
	// or body_owner route.
	Form, Multipart bool
	// JSON says the body is read as JSON for the JSON copies of
	// auth.owner: the route has owner rules and a Content-Type says JSON
	// (httpx.Request.JSONEncoded), which Laravel reads before the route's
	// parameters.
	JSON bool
	// Seen is the number of body bytes counted (BodyCount) or buffered
	// (BodyRead) so far.
	Seen int64
	// Done says the body verdict was reached (passed, refused, or reported
	// by a report-only policy): later chunks and trailers just pass.
	Done bool

	// Body that arrived while a header step waited on a callout: Early
	// says some did, EarlyEnd that the request is complete, Over that it
	// crossed the cap (the excess was dropped).
	Early, EarlyEnd, Over bool
}

// ForbiddenQuery is step 6: whether the query carries a parameter
// forbid_query_params names (400). Names are compared normalised
// (httpx.FindQueryParam); values are never read.
func ForbiddenQuery(cfg *config.RoutePolicy, query string) bool {
	req := cfg.Request
	if req == nil || len(req.ForbidQueryParams) == 0 || query == "" {
		return false
	}
	return httpx.FindQueryParam(query, req.ForbidQueryParams) >= 0
}

// Declared is step 7: a declared Content-Length that does not parse (400)
// or is over the cap (413), an upgrade on a route that reads bodies or
// inspects responses (400). It also decides the body mode of step 12.
//
// A form-encoded or multipart request (or a POST without a Content-Type)
// on a route with auth.owner or body_owner rules is read too, for the form
// shadows of those rules (and on a request.json route, whose body is read
// anyway, a form-encoded one is also read as a form), within
// max_body_bytes or the 1 MiB default, and
// so is a request whose Content-Type says JSON on a route with auth.owner
// rules, for their JSON copies; any other request to such a route is not
// (unless another rule reads it).
func (b *Body) Declared(cfg *config.RoutePolicy, req *httpx.Request) (status int, refused problem.Reason) {
	limit, capped := cfg.RequestBodyLimit()
	b.Form = (cfg.ReadsFormBody() || cfg.Request != nil && cfg.Request.JSON != nil) && req.FormEncoded()
	b.Multipart = cfg.ReadsFormBody() && req.MultipartEncoded()
	b.JSON = cfg.ReadsJSONCopies() && req.JSONEncoded()
	formLike := b.Form || b.Multipart || b.JSON
	if formLike && !capped {
		limit, capped = config.DefaultMaxBodyBytes, true
	}
	if capped {
		b.Limit = limit
		b.Mode = BodyCount
		if cfg.ReadsRequestBody() || formLike {
			b.Mode = BodyRead
		}
		if v, ok := req.Header("content-length"); ok {
			n, ok := ParseContentLength(v)
			if !ok {
				return 400, problem.ReasonBadContentLength
			}
			if n > limit {
				return 413, problem.ReasonBodyTooLarge
			}
		}
	}
	if (cfg.RefusesUpgrade() || formLike) && req.IsUpgrade() {
		return 400, problem.ReasonUpgradeRefused
	}
	return 0, ""
}

// CheckContent runs the request checks of a complete body (400): the
// JSON checks of request.json (an empty body passes unless json.required),
// or on a body_owner route without request.json well-formedness alone
// (keys equal under case folding are duplicates unless
// json.case_sensitive_keys; the reason is the precise failure, for logs
// and metrics); then, for a body read as a form, a control character in a
// field name (PHP cuts it at NUL) or a `_method` field (Rack, Laravel and
// Symfony read it from the body), as step 1 does for the query. form is
// the body as a string when it is read as a form or for the owner checks'
// JSON copies (one copy: the splitter and the name normaliser read
// strings), for the owner checks' shadows; such a JSON body must be
// well-formed JSON, as on a body_owner route.
//
// On a request.json route a query parameter (of query, the raw query
// string) named like a top-level member of the body is refused too
// (jsonQueryShadow).
//
// With a schema (request.json.schema, bs not nil) the body is checked
// against it in the same walk as the JSON limits; a schema refusal
// (json_schema, json_schema_not_allowed) returns its violations, appended
// to details when details is not nil (errors.validation_details).
func (b *Body) CheckContent(cfg *config.RoutePolicy, bs *BodySchema, query string, body []byte, details []problem.Violation) (form string, refused problem.Reason, violations []problem.Violation) {
	j := cfg.Request
	switch {
	case j != nil && j.JSON != nil:
		if len(body) == 0 {
			if j.JSON.Required {
				return "", problem.ReasonJSONEmpty, nil
			}
			break
		}
		var r problem.Reason
		if bs != nil {
			r, violations = bs.checkContent(body, query, details)
		} else {
			r = checkJSON(body, j.JSON.Limits(), j.JSON.Fields, KeyCaseOf(j.JSON), query)
		}
		if r != "" {
			return "", r, violations
		}
	case len(body) > 0 && (cfg.ReadsRequestBody() || b.JSON):
		// Well-formedness only; no query shadows off a request.json route.
		if r := checkJSON(body, jsonx.Limits{}, nil, KeysFold, ""); r != "" {
			return "", r, nil
		}
	}
	if !b.Form && !b.Multipart && !b.JSON {
		return "", "", nil
	}
	form = string(body)
	if b.formUnsafe(form) {
		return "", problem.ReasonUnsafeForm, nil
	}
	if b.formHas(form, MethodParam) {
		return "", problem.ReasonMethodOverride, nil
	}
	if j != nil && j.JSON != nil && b.Form && formFieldsAfterFirst(form) {
		return "", problem.ReasonJSONFormFields, nil
	}
	return form, "", nil
}

// formFieldsAfterFirst reports whether a form (split as NextQueryParam
// splits a query) has a field with a non-empty name after its first one.
// A well-formed JSON body read as a form has a first field no framework
// binds (its name starts with JSON text, `{`, `[`, `"`, a digit or a
// literal); any later one is a name of the client's choosing that PHP,
// Rack and Laravel would bind beside what the JSON checks saw.
func formFieldsAfterFirst(form string) bool {
	_, _, _, _, i := httpx.NextQueryParam(form, 0)
	for i <= len(form) {
		name, _, _, _, next := httpx.NextQueryParam(form, i)
		if name != "" {
			return true
		}
		i = next
	}
	return false
}

// topLevel is a walk's record of the top-level member names of the body
// it accepted (jsonx.Scanner.TopLevelKeys): the checks below read them
// without walking the body again.
type topLevel interface {
	TopLevelKeys() int
	TopLevelKey(i int, data []byte) []byte
}

// topLevelReason is the refusal a well-formed JSON body's top-level members
// call for, read from the walk that accepted it; "" when none:
//
//   - a member named `_method` (unescaped, letter case aside:
//     jsonx.EqualFold): Laravel reads a JSON body into the request's
//     parameter bag, and Symfony's getMethod() (which Laravel's kernel
//     enables) takes a POST's method from its `_method`, as Rack does from
//     a form's, so such a member would move the request to a method the
//     route match never saw (ReasonMethodOverride, before any shadow);
//   - with a query string (query, raw), a parameter named like a member,
//     under the one name comparison (httpx.FindQueryParam: `QTY`, `+qty`,
//     `qty[]`, `items[][qty]` all name `qty` or `items` to some framework):
//     Rails' params merges the query over the body (query wins), and
//     Express apps often spread one over the other, so /orders?qty=-5 with
//     {"qty":1} would reach the upstream as -5 while only the body was
//     checked (ReasonJSONQueryShadow). The body's keys are normalised once
//     each, and only when there is a query string.
func topLevelReason(walk topLevel, body []byte, query string) problem.Reason {
	n := walk.TopLevelKeys()
	for i := range n {
		// No rune outside ASCII folds to a letter of `_method`, so a match
		// has its seven bytes.
		if k := walk.TopLevelKey(i, body); len(k) == len(MethodParam[0]) && jsonx.EqualFold(string(k), MethodParam[0]) {
			return problem.ReasonMethodOverride
		}
	}
	if query == "" {
		return ""
	}
	var names []string
	for i := range n {
		if name := httpx.NormalizeQueryName(string(walk.TopLevelKey(i, body))); name != "" {
			names = append(names, name)
		}
	}
	if httpx.FindQueryParam(query, names) >= 0 {
		return problem.ReasonJSONQueryShadow
	}
	return ""
}

// formUnsafe reports whether a field name of the body read as a form holds
// a control character (httpx.UnsafeFormName; each part name of a
// multipart body likewise).
func (b *Body) formUnsafe(form string) bool {
	if b.Form && httpx.UnsafeFormName(form) {
		return true
	}
	unsafe := false
	if b.Multipart {
		httpx.EachMultipartName(form, func(name string) bool {
			unsafe = httpx.UnsafeFormName(name)
			return !unsafe
		})
	}
	return unsafe
}

// formHas reports whether the body read as a form has a field named like
// one of names (each normalised): as query parameters are named
// (httpx.FindQueryParam) when it is form-encoded, or as the names of its
// parts (httpx.EachMultipartName, compared by httpx.QueryNameIndex) when
// it is multipart.
func (b *Body) formHas(form string, names []string) bool {
	if form == "" {
		return false
	}
	if b.Form && httpx.FindQueryParam(form, names) >= 0 {
		return true
	}
	found := false
	if b.Multipart {
		httpx.EachMultipartName(form, func(name string) bool {
			found = name != "" && httpx.QueryNameIndex(name, names...) >= 0
			return !found
		})
	}
	return found
}
