// Package authn is authentication and authorization (steps 8 to 10 and the
// body_owner part of 12), like Envoy's jwt_authn: it compiles the
// providers and each route's auth (Compile), finds the one credential of
// a request on the request view (State.Extract, Found), verifies it
// against the route's providers (State.Verify, over an Env the plugin
// adapts: the clock, the verified-token cache, the remote key sets),
// says what leaves the upstream request (Auth.Remove), and checks claims,
// owner and body_owner. Every check returns a Verdict (status, reason,
// challenge, Retry-After, whether failed_auth_limit counts it); the
// plugin maps verdicts to answers in one place.
//
// Room: a feature over jwt, apikey and claims. It imports the model
// (config) and leaves; never another feature, policy, plugin or proxy.
package authn
