package plugin

// stepRequireTLS is step 3: require_tls (403).
func (s *stream) stepRequireTLS() result { return next }
