package plugin

// authState is the per-stream authentication state.
type authState struct{}

// authRoot is the plugin-wide authentication state (providers, key sets,
// the verified-token cache).
type authRoot struct{}

// configureAuth compiles the providers once per configuration.
func (r *root) configureAuth() error { return nil }

// tickAuth does the periodic work of authentication (remote JWKS).
func (r *root) tickAuth() {}

// stepAuthenticate is step 9: verify the credential (401, 503, 403).
func (s *stream) stepAuthenticate() result { return next }

// stepAuthorize is step 10: claims and owner checks on the path (403).
func (s *stream) stepAuthorize() result { return next }

// addRequestHeaders runs once the header steps passed: claims_to_headers,
// and removal of the credential when forward is false.
func (s *stream) addRequestHeaders() {}

// credentialCached reports whether the request's credential is already in
// the verified-token cache: step 8 lets such requests through a failed-auth
// lockout, so a locked-out address does not lock out verified users.
func (s *stream) credentialCached() bool { return false }

// checkBodyOwner is the body_owner part of step 12, run by the body checks
// once the request body is complete and well-formed JSON (403).
func (s *stream) checkBodyOwner(body []byte) result { return next }
