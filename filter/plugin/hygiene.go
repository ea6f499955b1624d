package plugin

// hygiene is step 1 of the order of checks: it removes client-sent copies of
// every header a provider sets from claims (and their underscore spellings),
// and (request protection) refuses method overrides and unsafe paths. It
// runs before a route is known and always enforces.
func (s *stream) hygiene() result {
	for _, name := range s.r.policy.StripHeaders {
		s.host.RemoveHeaderMapValue(reqHeaders, name)
	}
	return next
}
