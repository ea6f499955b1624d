package plugin

import (
	"strings"

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
	c := &s.edge
	var b strings.Builder
	b.Grow(len(s.req.RequestID) + len(s.req.Method) + len(s.req.Path) + len(s.req.MatchPath) + len(s.req.Query) + len(c.Origin))
	for _, v := range []string{s.req.RequestID, s.req.Method, s.req.Path, s.req.MatchPath, s.req.Query, c.Origin} {
		b.WriteString(v)
	}
	all := b.String()
	take := func(n int) string {
		v := all[:n]
		all = all[n:]
		return v
	}
	s.req.RequestID = take(len(s.req.RequestID))
	s.req.Method = take(len(s.req.Method))
	s.req.Path = take(len(s.req.Path))
	s.req.MatchPath = take(len(s.req.MatchPath))
	s.req.Query = take(len(s.req.Query))
	c.Release(take(len(c.Origin)))
	s.params = route.Params{}
}
