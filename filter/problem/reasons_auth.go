package problem

// Reasons of authentication and authorization (docs/configuration.md providers, auth;
// order of checks steps 9, 10 and 12's body_owner). Each appears as
// apiguard.denied.<reason> (apiguard.reported.<reason> on a report-only
// policy) and in the refusal log line; the client only ever sees the
// generic detail of the status.
const (
	// 401: no credential on a route whose auth does not allow_missing.
	ReasonCredentialMissing Reason = "credential_missing"
	// 401: more than one credential (two Authorization headers, a header
	// and a cookie, a token and an API key, a query parameter twice).
	ReasonCredentialMultiple Reason = "credential_multiple"
	// 401: a header a source of the route reads whose value starts with
	// none of the route's prefixes for it (`Basic` or `Token` where
	// `Bearer ` is read, `Bearer<TAB>x`, `Bearer  x`, an empty value): a
	// credential present and invalid, never a missing one.
	ReasonCredentialScheme Reason = "credential_scheme"

	// 401: the token was refused by the verifier, one reason per
	// jwt.Reason* value (a plugin test holds them in step).
	ReasonTokenMalformed         Reason = "token_malformed"
	ReasonTokenTooLarge          Reason = "token_too_large"
	ReasonTokenUnsupported       Reason = "token_unsupported"
	ReasonTokenAlgNotAllowed     Reason = "token_alg_not_allowed"
	ReasonTokenWrongIssuer       Reason = "token_wrong_issuer"
	ReasonTokenNoKeys            Reason = "token_no_keys"
	ReasonTokenUnknownKey        Reason = "token_unknown_key"
	ReasonTokenBadSignature      Reason = "token_bad_signature"
	ReasonTokenInvalidClaim      Reason = "token_invalid_claim"
	ReasonTokenMissingExpiration Reason = "token_missing_expiration"
	ReasonTokenExpired           Reason = "token_expired"
	ReasonTokenNotYetValid       Reason = "token_not_yet_valid"
	ReasonTokenIssuedInFuture    Reason = "token_issued_in_future"
	ReasonTokenLifetimeExceeded  Reason = "token_lifetime_exceeded"
	ReasonTokenWrongAudience     Reason = "token_wrong_audience"
	ReasonTokenInvalid           Reason = "token_invalid"

	// 401: an API key no configured entry has, or one past its expires.
	ReasonAPIKeyUnknown Reason = "apikey_unknown"
	ReasonAPIKeyExpired Reason = "apikey_expired"

	// 401: a claim named in claims_to_headers cannot be forwarded safely
	// (control character, comma inside an array element, missing, wrong
	// type).
	ReasonClaimHeaderUnsafe Reason = "claim_header_unsafe"

	// 503: the provider's remote JWKS has not arrived within timeout_ms.
	ReasonKeysUnavailable Reason = "keys_unavailable"

	// 403 (no WWW-Authenticate): a cookie credential on an unsafe method
	// without an Origin the route's cors allows or Sec-Fetch-Site:
	// same-origin.
	ReasonCookieOrigin Reason = "cookie_origin_not_allowed"

	// 403 with WWW-Authenticate insufficient_scope: the auth refusals.
	// claims_not_satisfied: an auth.claims rule failed (or the request is
	// anonymous); owner_mismatch: a path parameter is not the caller's;
	// owner_ambiguous: a query parameter or form field named like an owner
	// param shadows the path parameter; body_owner_*: the body field is
	// missing, not the caller's, or made ambiguous (present twice in any
	// letter case, or shadowed by a query parameter of the same name).
	ReasonClaimsNotSatisfied Reason = "claims_not_satisfied"
	ReasonOwnerMismatch      Reason = "owner_mismatch"
	ReasonOwnerAmbiguous     Reason = "owner_ambiguous"
	ReasonBodyOwnerMissing   Reason = "body_owner_missing"
	ReasonBodyOwnerMismatch  Reason = "body_owner_mismatch"
	ReasonBodyOwnerAmbiguous Reason = "body_owner_ambiguous"
)
