package plugin

import (
	"github.com/apiguard/apiguard/filter/route"
)

// keepHeaderBytes is the largest request header list an open stream may
// keep referencing once its header steps are done. The list's strings are
// substrings of the one block the host handed over (filter/abi), so any of
// them kept for the body and response phases keeps the whole block; past
// this size, the few that are kept are copied out instead.
const keepHeaderBytes = 4096

// releaseHeaders runs when the header steps are done and the request goes
// on: the header list and the credential are no longer needed, and for a
// large list the strings the later phases read (request id, method, path,
// query, Origin) are copied into one small allocation, so a stream that
// stays open (a slow upstream, a long body) does not pin up to Envoy's
// header limit of module memory. Route parameters served steps 10 and 12
// and are dropped with the path they pointed into.
func (s *stream) releaseHeaders() {
	s.req.Headers = nil
	s.auth.Cred.Value = ""
	if s.req.HeaderBytes <= keepHeaderBytes {
		return
	}
	s.edge.Release(s.req.Compact(s.edge.Origin))
	s.params = route.Params{}
}
