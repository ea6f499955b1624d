package respcheck

import (
	"errors"
	"strconv"
	"strings"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/redact"
)

// Plan is one route's compiled `response`.
type Plan struct {
	// Rules are the allow and redact rules, compiled once.
	Rules *redact.Rules
	// MaxBody is max_body_bytes: a larger body is refused.
	MaxBody int64
	// Metric is the route's counter of redacted values.
	Metric string
	// Schemas is the compiled `schemas` (validation and projection by
	// status, before allow and redact), nil without; see schema.go.
	Schemas   *Schemas
	passTypes []string
}

// Sanitising upstream 5xx (errors.sanitize_upstream_5xx).
const (
	// MetricSanitized5xx counts upstream 5xx answered with the filter's
	// generic problem+json.
	MetricSanitized5xx = "apiguard.upstream_5xx_sanitized"
	// DetailsSanitized5xx is the response code details of that answer. It
	// does not start with "apiguard_", the prefix of refusals: the request
	// was allowed, only the upstream's error body is hidden.
	DetailsSanitized5xx = "upstream_5xx_sanitized"
)

// Sanitizes reports whether upstream's answer with status is replaced,
// before any of its body is read, by the filter's generic problem+json of
// the same status: every 5xx, when sanitize_upstream_5xx is on.
func Sanitizes(on bool, status int) bool { return on && status >= 500 && status <= 599 }

// MetricName is the per-route counter of redacted values.
func MetricName(route string) string { return "apiguard.route." + route + ".redactions" }

// Compile builds the plan of route's `response`; nil when there is none.
func Compile(route string, r *config.Response) *Plan {
	if r == nil {
		return nil
	}
	return &Plan{Rules: redact.Compile(r), MaxBody: r.MaxBodyBytes, passTypes: r.PassTypes, Metric: MetricName(route)}
}

// Head is what the response headers say about the body, gathered with Add
// from each header of the response.
type Head struct {
	ctype, clen string
	types       int
	encoded     bool
}

// Add records one response header (names compare without regard to ASCII
// case).
func (h *Head) Add(name, value string) {
	switch strings.ToLower(name) {
	case "content-type":
		h.ctype = value
		h.types++
	case "content-encoding":
		h.encoded = h.encoded || !identityEncoding(value)
	case "content-length":
		h.clen = value
	}
}

// Action is what becomes of a response.
type Action uint8

const (
	// Pass: the response goes on untouched and unbuffered.
	Pass Action = iota
	// Inspect: the body is buffered and rewritten at its end.
	Inspect
	// Refuse: the response is refused with 502 for Verdict.Reason.
	Refuse
)

// Verdict is the classification of one response.
type Verdict struct {
	Action Action
	Reason problem.Reason
	// Untyped says the response had no Content-Type: its body is JSON only
	// if it parses (BodyReason).
	Untyped bool
}

// Classify decides from the status and the headers whether the response
// passes, is inspected or is refused: a listed pass type passes; a 206, an
// encoded body, several or a non-JSON Content-Type, or a declared length
// over max_body_bytes are refused; anything else is inspected.
func (p *Plan) Classify(status int, h *Head) Verdict {
	mt := mediaType(h.ctype)
	if h.types == 1 && mt != "" && p.passes(mt) {
		return Verdict{Action: Pass}
	}
	switch {
	case status == 206:
		return Verdict{Action: Refuse, Reason: problem.ReasonResponsePartial}
	case h.encoded:
		return Verdict{Action: Refuse, Reason: problem.ReasonResponseCompressed}
	case h.types > 1 || mt != "" && !jsonType(mt):
		return Verdict{Action: Refuse, Reason: problem.ReasonResponseNotJSON}
	}
	if n, err := strconv.ParseInt(strings.TrimSpace(h.clen), 10, 64); h.clen != "" && err == nil && n > p.MaxBody {
		return Verdict{Action: Refuse, Reason: problem.ReasonResponseTooLarge}
	}
	return Verdict{Action: Inspect, Untyped: mt == ""}
}

// BodyReason names why a body was refused by the rewrite. An untyped body
// that does not parse is simply not JSON.
func BodyReason(err error, untyped bool) problem.Reason {
	var je *jsonx.Error
	switch {
	case errors.As(err, &je) && je.Reason == jsonx.ReasonDuplicateKey:
		return problem.ReasonResponseDuplicateKey
	case untyped:
		return problem.ReasonResponseNotJSON
	}
	return problem.ReasonResponseInvalidJSON
}

// passes reports whether the media type mt is listed in pass_types.
func (p *Plan) passes(mt string) bool {
	for _, t := range p.passTypes {
		if t == mt {
			return true
		}
	}
	return false
}

// mediaType returns the lower-cased type/subtype of a Content-Type value,
// without parameters; "" when there is none.
func mediaType(v string) string {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	return strings.ToLower(strings.Trim(v, " \t"))
}

// jsonType reports whether a media type is JSON: application/json or any
// structured-syntax "+json" type (RFC 6839).
func jsonType(mt string) bool {
	t, sub, ok := strings.Cut(mt, "/")
	return ok && t != "" && (mt == "application/json" || len(sub) > len("+json") && strings.HasSuffix(sub, "+json"))
}

// identityEncoding reports whether a Content-Encoding value leaves the body
// as it is: only "identity" codings (or empty list elements).
func identityEncoding(v string) bool {
	for _, c := range strings.Split(v, ",") {
		c = strings.Trim(c, " \t")
		if c != "" && !strings.EqualFold(c, "identity") {
			return false
		}
	}
	return true
}
