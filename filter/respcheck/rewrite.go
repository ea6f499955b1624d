package respcheck

import (
	"sync"

	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/redact"
)

// maxPooledResponse bounds the output buffer a pooled rewriter keeps, so
// one huge response does not pin its memory for the life of the VM.
const maxPooledResponse = 1 << 20

// ClassifyHeaders is Classify on the response header list as the host
// hands it over.
func (p *Plan) ClassifyHeaders(status int, pairs []httpx.Pair) Verdict {
	var head Head
	for _, h := range pairs {
		head.Add(h.Key, h.Value)
	}
	return p.Classify(status, &head)
}

// Scratch is the reusable memory of one rewrite, pooled: Get one, Rewrite
// with it, Release it once the output was handed over.
type Scratch struct {
	w    redact.Rewriter
	out  []byte
	proj []byte // the projection onto the status's schema
}

var scratchPool = sync.Pool{New: func() any { return new(Scratch) }}

// GetScratch returns a pooled Scratch.
func GetScratch() *Scratch { return scratchPool.Get().(*Scratch) }

// Release returns sc to the pool; its output is invalid from then on.
func (sc *Scratch) Release() {
	if cap(sc.out) > maxPooledResponse {
		sc.out = nil
	}
	if cap(sc.proj) > maxPooledResponse {
		sc.proj = nil
	}
	scratchPool.Put(sc)
}

// Rewrite applies the plan's rules (allow, then redact) to a complete
// body in one pass: the rewritten body (valid until Release) and whether
// it changed, the number of values redacted, or the reason a body that
// does not parse is refused (untyped: the response had no Content-Type).
func (sc *Scratch) Rewrite(p *Plan, body []byte, untyped bool) (out []byte, changed bool, redactions int, refused problem.Reason) {
	out, stats, err := sc.w.Rewrite(p.Rules, sc.out[:0], body)
	if err != nil {
		return nil, false, 0, BodyReason(err, untyped)
	}
	if stats.Changed {
		sc.out = out
	}
	return out, stats.Changed, stats.Redactions, ""
}

// Project validates body against the plan's schema for status, when the
// plan has response schemas, and projects it (undeclared and writeOnly
// members removed): src is what the rules apply to next (valid until
// Release), projected says it differs from body, violated that body fails
// its schema; refused is the reason a body that does not parse is refused
// (untyped: the response had no Content-Type).
func (sc *Scratch) Project(p *Plan, status int, body []byte, untyped bool) (src []byte, projected, violated bool, refused problem.Reason) {
	if p.Schemas == nil {
		return body, false, false, ""
	}
	out, outcome, changed, err := p.Schemas.Apply(status, sc.proj[:0], body)
	if err != nil {
		return nil, false, false, BodyReason(err, untyped)
	}
	if changed {
		sc.proj = out
	}
	return out, changed, outcome == SchemaViolated, ""
}

// Inspection is one response's inspection once Classify said Inspect: the
// body is buffered, within max_body_bytes, and rewritten when complete.
type Inspection struct {
	Plan *Plan
	// Untyped: the response had no Content-Type (JSON only if it parses).
	Untyped bool
	// Held: the response headers wait for the body verdict (hold_headers
	// on an enforcing route).
	Held bool
	// Done: the body verdict was given; later callbacks pass.
	Done bool
}

// Active reports an inspection whose verdict is still to come.
func (in *Inspection) Active() bool { return in.Plan != nil && !in.Done }

// BodyStep is what a response-body callback asks of the plugin.
type BodyStep uint8

const (
	// BodyGo lets the chunk go on (nothing to inspect, or done).
	BodyGo BodyStep = iota
	// BodyBuffer keeps the chunk with the body so far.
	BodyBuffer
	// BodyTooLarge refuses (502, response_too_large).
	BodyTooLarge
	// BodyRewrite: the body is complete; rewrite it.
	BodyRewrite
)

// Body decides a response-body callback: size is the whole buffered body
// (every earlier chunk was kept), end says it is complete (trailers end
// it too: call Body with end true).
func (in *Inspection) Body(size int, end bool) BodyStep {
	if !in.Active() {
		return BodyGo
	}
	if int64(size) > in.Plan.MaxBody {
		return BodyTooLarge
	}
	if !end {
		return BodyBuffer
	}
	return BodyRewrite
}

// Finished is the verdict on a complete inspected body (Scratch.Finish).
type Finished struct {
	// SchemaRefused: the body fails its schema and is refused with 502
	// response_schema, under schema_violation "refuse" or on a report-only
	// route (which only reports it). On an enforcing route nothing else
	// was done.
	SchemaRefused bool
	// SchemaReported: the body fails its schema under "report" on an
	// enforcing route: counted (apiguard.reported.response_schema) and
	// logged, and the projection goes on.
	SchemaReported bool
	// Refused is the reason a body that does not parse is refused.
	Refused problem.Reason
	// Redactions is the number of values redacted.
	Redactions int
	// Replace says Out replaces the body (an enforcing route whose body
	// was projected or rewritten); Out is valid until Release.
	Replace bool
	Out     []byte
}

// Finish validates and projects a complete body of an inspected response
// with status (Project), then applies allow and redact to what is left
// (Rewrite). enforced says the route enforces: a report-only route's
// body is checked and counted but never replaced, and a schema refusal
// there lets the rewrite go on.
func (sc *Scratch) Finish(in *Inspection, status int, body []byte, enforced bool) (f Finished) {
	plan := in.Plan
	src, projected, violated, refused := sc.Project(plan, status, body, in.Untyped)
	if refused != "" {
		return Finished{Refused: refused}
	}
	if violated {
		if plan.Schemas.Refuse() || !enforced {
			f.SchemaRefused = true
			if enforced {
				return f
			}
		} else {
			f.SchemaReported = true
		}
	}
	out, changed, redactions, refused := sc.Rewrite(plan, src, in.Untyped)
	if refused != "" {
		f.Refused = refused
		return f
	}
	f.Redactions = redactions
	f.Replace, f.Out = enforced && (changed || projected), out
	return f
}
