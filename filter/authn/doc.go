// Package authn holds the decisions of authentication and authorization
// that need no host: the verdicts steps 9, 10 and the body_owner part of 12
// return (status, reason, challenge), the mapping of token failures to
// refusal reasons, the string form of claims, and the owner and body_owner
// checks. The plugin finds the credential, calls the verifiers and maps a
// verdict to its answer in one place.
//
// Room: a feature over jwt, apikey and claims. It imports the model
// (config) and leaves; never policy, plugin or proxy.
package authn
