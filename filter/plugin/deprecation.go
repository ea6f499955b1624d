package plugin

import "github.com/apiguard/apiguard/filter/problem"

// stepSunset is step 5: a route past its sunset with refuse_after_sunset
// answers 410. The refusal carries Deprecation, Sunset and Link through
// edge.Request.RefusalHeaders, like every refusal of the route.
func (s *stream) stepSunset() result {
	d := s.edge.Dep
	if d == nil || !d.Gone(s.host.Now()) {
		return next
	}
	return s.refuse(410, problem.ReasonSunset, nil)
}
