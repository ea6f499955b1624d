package jwt

import "errors"

// Reasons are the values of Error.Reason: stable, low-cardinality strings
// for metric labels and refusal log lines. They never carry token content.
const (
	// ReasonMalformed: not a compact JWS with strict base64url parts and
	// JSON-object header and claims, or a header member of the wrong type.
	ReasonMalformed = "malformed"
	// ReasonTooLarge: the token is longer than MaxTokenBytes.
	ReasonTooLarge = "too_large"
	// ReasonUnsupported: the header asks for something this verifier never
	// does: crit (any value), b64 (RFC 7797), zip or enc (a JWE).
	ReasonUnsupported = "unsupported"
	// ReasonAlgNotAllowed: alg is not one of the provider's algorithms
	// (this includes "none" in any spelling).
	ReasonAlgNotAllowed = "alg_not_allowed"
	// ReasonWrongIssuer: iss is missing, not a string, or not the
	// provider's issuer.
	ReasonWrongIssuer = "wrong_issuer"
	// ReasonNoKeys: the verifier has no key set (keys not loaded yet). The
	// plugin answers 503 before this can happen; it exists so that a nil
	// set fails closed.
	ReasonNoKeys = "no_keys"
	// ReasonUnknownKey: no key of the set fits the token's kid and alg.
	ReasonUnknownKey = "unknown_key"
	// ReasonBadSignature: the signature does not verify.
	ReasonBadSignature = "bad_signature"
	// ReasonInvalidClaim: exp, nbf, iat or aud has the wrong JSON type or is
	// out of range.
	ReasonInvalidClaim = "invalid_claim"
	// ReasonMissingExpiration: exp is absent and the provider requires it
	// (or MaxLifetime is set, which cannot be checked without exp).
	ReasonMissingExpiration = "missing_expiration"
	// ReasonExpired: now is at or after exp (plus clock skew).
	ReasonExpired = "expired"
	// ReasonNotYetValid: now is before nbf (minus clock skew).
	ReasonNotYetValid = "not_yet_valid"
	// ReasonIssuedInFuture: iat is after now (plus clock skew).
	ReasonIssuedInFuture = "issued_in_future"
	// ReasonLifetimeExceeded: exp is further than MaxLifetime from iat.
	ReasonLifetimeExceeded = "lifetime_exceeded"
	// ReasonWrongAudience: aud is missing or names none of the provider's
	// audiences.
	ReasonWrongAudience = "wrong_audience"
)

// Error is why Verify refused a token. Its text is fixed per cause and
// never quotes the token, so it can be logged as is.
type Error struct {
	// Reason is one of the Reason constants.
	Reason string
	detail string
}

// Error returns "jwt: <reason>: <detail>".
func (e *Error) Error() string { return "jwt: " + e.Reason + ": " + e.detail }

func newErr(reason, detail string) *Error { return &Error{Reason: reason, detail: detail} }

// ReasonOf returns the Reason of an *Error in err's chain, or "" if there
// is none.
func ReasonOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// The errors Verify returns are shared values: each cause has one fixed
// text, and refusing a token allocates nothing for its error.
var (
	errEmpty          = newErr(ReasonMalformed, "empty token")
	errTooLarge       = newErr(ReasonTooLarge, "token longer than the limit")
	errParts          = newErr(ReasonMalformed, "not three dot-separated parts")
	errBase64Header   = newErr(ReasonMalformed, "header is not strict base64url")
	errBase64Payload  = newErr(ReasonMalformed, "payload is not strict base64url")
	errBase64Sig      = newErr(ReasonMalformed, "signature is not strict base64url")
	errHeaderJSON     = newErr(ReasonMalformed, "header is not a strict JSON object")
	errPayloadJSON    = newErr(ReasonMalformed, "claims are not a strict JSON object")
	errAlgType        = newErr(ReasonMalformed, "header alg missing or not a string")
	errKidType        = newErr(ReasonMalformed, "header kid is not a string")
	errTypType        = newErr(ReasonMalformed, "header typ or cty is not a string")
	errCrit           = newErr(ReasonUnsupported, "header crit is not supported")
	errB64            = newErr(ReasonUnsupported, "header b64 is not supported")
	errJWE            = newErr(ReasonUnsupported, "encrypted or compressed token (enc, zip)")
	errAlgNotAllowed  = newErr(ReasonAlgNotAllowed, "algorithm not allowed for this provider")
	errIssuer         = newErr(ReasonWrongIssuer, "iss is not the provider's issuer")
	errNoKeys         = newErr(ReasonNoKeys, "no key set loaded")
	errUnknownKey     = newErr(ReasonUnknownKey, "no key fits the token's kid and alg")
	errBadSignature   = newErr(ReasonBadSignature, "signature does not verify")
	errExpType        = newErr(ReasonInvalidClaim, "exp is not a NumericDate in range")
	errNbfType        = newErr(ReasonInvalidClaim, "nbf is not a NumericDate in range")
	errIatType        = newErr(ReasonInvalidClaim, "iat is not a NumericDate in range")
	errAudType        = newErr(ReasonInvalidClaim, "aud is not a string or a non-empty array of strings")
	errMissingExp     = newErr(ReasonMissingExpiration, "exp is required")
	errExpired        = newErr(ReasonExpired, "token expired")
	errNotYetValid    = newErr(ReasonNotYetValid, "token not valid yet (nbf)")
	errIssuedInFuture = newErr(ReasonIssuedInFuture, "iat is in the future")
	errLifetime       = newErr(ReasonLifetimeExceeded, "exp is too far after iat")
	errAudience       = newErr(ReasonWrongAudience, "aud names none of the provider's audiences")
)

// KeyError is why ParseJWKS refused a key set. Path is the JSON path of the
// offending value (`keys[2].n`); Msg is a fixed text. Neither ever holds
// key material.
type KeyError struct {
	Path string
	Msg  string
}

// Error returns "jwks: <path>: <msg>" (or "jwks: <msg>" without a path).
func (e *KeyError) Error() string {
	if e.Path == "" {
		return "jwks: " + e.Msg
	}
	return "jwks: " + e.Path + ": " + e.Msg
}
