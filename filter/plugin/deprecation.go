package plugin

import (
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// stepSunset is step 5: a route past its sunset with refuse_after_sunset
// answers 410. The refusal carries Deprecation, Sunset and Link through
// corsRefusalHeaders, like every refusal of the route.
func (s *stream) stepSunset() result {
	d := s.edge.dep
	if d == nil || !d.Gone(s.host.Now()) {
		return next
	}
	return s.refuse(410, problem.ReasonSunset, nil)
}

// deprecationHeaders adds Deprecation, Sunset and Link to a response of a
// deprecated route. Deprecation and Sunset hold one value and replace
// upstream's; Link is a list, so upstream's own links stay. They are
// informational, so report-only routes get them too.
func (s *stream) deprecationHeaders() {
	d := s.edge.dep
	if d == nil {
		return
	}
	s.host.ReplaceHeaderMapValue(respHeaders, "deprecation", d.DeprecationHeader())
	if v := d.SunsetHeader(); v != "" {
		s.host.ReplaceHeaderMapValue(respHeaders, "sunset", v)
	}
	if v := d.LinkHeader(); v != "" {
		s.host.AddHeaderMapValue(respHeaders, "link", v)
	}
}

// appendDeprecationPairs appends the deprecation headers of the route, for
// the responses the filter generates itself.
func (s *stream) appendDeprecationPairs(out []proxy.Pair) []proxy.Pair {
	d := s.edge.dep
	if d == nil {
		return out
	}
	out = append(out, proxy.Pair{Key: "deprecation", Value: d.DeprecationHeader()})
	if v := d.SunsetHeader(); v != "" {
		out = append(out, proxy.Pair{Key: "sunset", Value: v})
	}
	if v := d.LinkHeader(); v != "" {
		out = append(out, proxy.Pair{Key: "link", Value: v})
	}
	return out
}
