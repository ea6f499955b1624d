// Package jwt verifies compact JWS tokens (JWTs) against a provider's
// policy and a validated JWK Set, with nothing but the standard library's
// signature primitives and the project's strict JSON parser. It is
// host-agnostic: the plugin extracts the token, fetches remote key sets,
// passes the time and turns errors into responses.
//
// What it accepts (docs/responses.md Guarantees: Tokens, Keys; docs/internals/security.md §1):
//
//   - compact serialization only: at most MaxTokenBytes, exactly two dots
//     (counted before anything is split), each part strict unpadded
//     base64url with canonical trailing bits and no whitespace;
//   - a header that is a strict JSON object (duplicate keys refused, as in
//     the claims) whose alg is a string from the provider's allow-list
//     (never "none" in any spelling); kid, typ and cty strings when
//     present; crit (any value, even []), b64, enc and zip refused; jku,
//     x5u, jwk, x5c and x5t ignored: the package has no way to fetch or
//     build a key from a token;
//   - a key from the configured set that fits the algorithm: RSA for
//     RS*/PS*, EC on the algorithm's curve for ES*, OKP Ed25519 for EdDSA
//     (and its RFC 9864 name Ed25519), oct at least the hash size for HS*;
//     a key's own alg, when set, must equal the token's;
//   - signatures: RSASSA-PKCS1-v1_5; PSS with MGF1 of the same hash and a
//     salt of exactly the hash size; ECDSA as raw r||s of exactly twice the
//     order size with 0 < r, s < n; Ed25519; HMAC with full-length tags
//     compared in constant time;
//   - claims: iss equal to the issuer; exp (required unless configured
//     otherwise), nbf and iat as NumericDates with clock skew; a lifetime
//     cap; aud a string or a non-empty array of strings naming one of the
//     provider's audiences.
//
// Keys (ParseJWKS): RSA of 2048 to 16384 bits with an odd exponent from
// 65537 to 2^31-1 and no ROCA fingerprint; EC points on P-256/P-384/P-521
// with exact-length coordinates; canonical Ed25519 points not of small
// order; HMAC keys of at least their hash size, only in inline sets that
// allow them and never mixed with public keys; no private members; use
// "sig" and key_ops with "verify" when present. An inline set with any
// other key is refused; a fetched set skips such keys and uses the rest.
// A token is checked against at most MaxKeyTries keys.
//
// The verified-token Cache keys entries by provider, the token itself (a
// per-cache seeded hash finds it, the whole token is compared) and the
// generation of the key that verified it, so removing a key revokes the
// tokens it verified while a refresh that keeps it keeps them; a hit
// re-checks the token's dates. It is bounded in entries and bytes.
//
// Where the host offers Envoy's verify_signature (HostVerifier, WithHost),
// RS* and ES* signatures are checked by the host's native crypto once it
// passed a self-test; everything else, and anything the host does not
// answer, is checked in Go (hostsig.go).
//
// Room: a leaf (token verification). It imports only jsonx.
package jwt
