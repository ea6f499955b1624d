// Package problem builds every refusal apiguard sends: an RFC 9457
// application/problem+json body whose detail is the same for every cause
// within one status (docs/responses.md "Responses the filter sends"), so a client
// cannot tell which check failed. The precise cause is a Reason, which goes
// to the log and the metrics only.
//
// Room: a leaf (refusal reasons, bodies and headers; the deny and audit
// lines, the deny log's cap and ticks over a LogHost, and the counters of
// refusals and every other event over a CounterHost, both of which the
// plugin adapts). It imports only httpx, for the header pair and edit.
package problem
