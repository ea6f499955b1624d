package jwt

import (
	"strings"
	"sync/atomic"
	"time"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// MaxTokenBytes is the longest token Verify reads (docs/responses.md: tokens over
// 8 KiB are refused unread).
const MaxTokenBytes = 8 << 10

// jsonLimits bound the header and claims. The token size already bounds
// everything; the depth limit keeps what callers walk shallow.
var jsonLimits = jsonx.Limits{MaxDepth: 32}

// NumericDate range: 0 (1970) to 253402300799 (9999-12-31T23:59:59Z).
// Anything else, including negative dates, is refused as invalid_claim.
const maxNumericDate = 253402300799

// Config is one JWT provider's verification policy (docs/configuration.md providers).
type Config struct {
	// Issuer is compared exactly with the iss claim. An empty Issuer
	// matches no token.
	Issuer string
	// Audiences: the aud claim must name at least one. None matches no
	// token.
	Audiences []string
	// Algorithms allowed for this provider. Names are exact JWS names;
	// names this package does not support (and "none") are ignored, so an
	// allow-list that names nothing supported accepts nothing.
	Algorithms []string
	// ClockSkew is tolerated on exp, nbf and iat, in whole seconds;
	// negative counts as zero.
	ClockSkew time.Duration
	// MaxLifetime, when positive, refuses tokens whose exp is further than
	// this from iat (from nbf when there is no iat, from now when there is
	// neither). It requires exp.
	MaxLifetime time.Duration
	// RequireExpiration refuses tokens without exp.
	RequireExpiration bool
}

// Verifier checks compact JWS tokens against one provider's policy and
// key set. It is immutable and safe for concurrent use. It never fetches
// anything: the only keys it knows are the KeySet it was given; jku, x5u,
// jwk, x5c and x5t in a token header are ignored.
type Verifier struct {
	issuer     string
	audiences  []string
	allowed    uint32 // bit alg.bucket
	skew       int64  // seconds
	maxLife    int64  // seconds, 0 = none
	requireExp bool
	keys       *KeySet
	// keyGens holds the generation of each key of keys (cache.go).
	keyGens []uint64
	// host verifies RS* and ES* natively where it earned trust (WithHost;
	// hostsig.go); bound holds keys as the host reads them.
	host  *HostVerifier
	bound *hostBinding
}

// NewVerifier builds a Verifier. keys may be nil (every token is then
// refused with ReasonNoKeys); a key rotation builds a new Verifier with
// WithKeys, which is cheap.
func NewVerifier(c Config, keys *KeySet) *Verifier {
	v := &Verifier{
		issuer:     c.Issuer,
		audiences:  append([]string(nil), c.Audiences...),
		skew:       int64(max(c.ClockSkew, 0) / time.Second),
		maxLife:    int64(max(c.MaxLifetime, 0) / time.Second),
		requireExp: c.RequireExpiration,
		keys:       keys,
		keyGens:    keyGenerations(keys),
	}
	if c.MaxLifetime > 0 && v.maxLife == 0 {
		v.maxLife = 1
	}
	for _, name := range c.Algorithms {
		if a := lookupAlg(name); a != nil {
			v.allowed |= 1 << a.bucket
		}
	}
	return v
}

// WithKeys returns a copy of v that verifies with keys. With a host
// (WithHost), the keys are converted and probed for the host here, once.
func (v *Verifier) WithKeys(keys *KeySet) *Verifier {
	w := *v
	w.keys = keys
	w.keyGens = keyGenerations(keys)
	w.bound = w.host.bind(keys)
	return &w
}

// WithHost returns a copy of v that has h verify the algorithms it
// earned trust for, with v's keys and every key set given to WithKeys
// later (nil h: everything in Go).
func (v *Verifier) WithHost(h *HostVerifier) *Verifier {
	w := *v
	w.host = h
	w.bound = h.bind(w.keys)
	return &w
}

// Keys returns the verifier's key set (nil if none).
func (v *Verifier) Keys() *KeySet { return v.keys }

// Token is a verified token. It is shared by the verified-token cache:
// treat it, and Claims, as read-only.
type Token struct {
	// Claims is the payload, a JSON object.
	Claims jsonx.Value
	// Algorithm is the header alg that verified.
	Algorithm string
	// KeyID is the header kid ("" when absent).
	KeyID string
	// Expires is exp (truncated to the second), zero when the token has
	// none.
	Expires time.Time
	// ByHost says the host's native crypto verified the signature (the
	// module did otherwise).
	ByHost bool

	// times and keyGen let the verified-token cache re-check the token's
	// dates and whether the key that verified it is still in the set.
	times  tokenTimes
	keyGen uint64
	// memo: see Memo.
	memo atomic.Pointer[any]
}

// Memo returns what SetMemo stored, or nil. It is for the caller's
// results derived from the claims alone (filter/authn keeps the
// claims_to_headers values and which routes' claim rules hold), so that a
// token the verified-token cache serves again is not derived again.
func (t *Token) Memo() any {
	if p := t.memo.Load(); p != nil {
		return *p
	}
	return nil
}

// SetMemo stores m unless a memo is there already, and returns the one
// that stays (safe for concurrent use, like the cache that shares the
// token).
func (t *Token) SetMemo(m any) any {
	if t.memo.CompareAndSwap(nil, &m) {
		return m
	}
	return *t.memo.Load()
}

// parsed is a token after the parse step: header checked, parts decoded,
// claims not yet parsed.
type parsed struct {
	alg     *alg   // nil when alg names nothing supported
	kid     string // valid when hasKid
	hasKid  bool
	msg     []byte // the signing input: ASCII(header64 "." payload64)
	payload []byte
	sig     []byte
	byHost  bool // the host verified the signature
	key     int  // index in the key set of the key that verified it
	// dbuf holds the signing input's digest when Go verifies: here, in
	// the parsed token's one allocation, rather than one of its own.
	dbuf [digestSize]byte
}

// parseCompact splits and decodes a compact JWS and checks its header.
// The dots are found before anything is split (CVE-2025-30204: a split
// on untrusted input costs memory proportional to the number of dots).
func parseCompact(token string) (*parsed, *Error) {
	if len(token) > MaxTokenBytes {
		return nil, errTooLarge
	}
	if token == "" {
		return nil, errEmpty
	}
	// Two dots and no third, found without splitting (IndexByte is a
	// word-at-a-time loop in Go's wasm code, Count one byte at a time).
	i := strings.IndexByte(token, '.')
	if i < 0 {
		return nil, errParts
	}
	j := strings.IndexByte(token[i+1:], '.')
	if j < 0 {
		return nil, errParts
	}
	j += i + 1
	if strings.IndexByte(token[j+1:], '.') >= 0 {
		return nil, errParts
	}
	h64, p64, s64 := token[:i], token[i+1:j], token[j+1:]
	if len(h64)%4 == 1 {
		return nil, errBase64Header
	}
	if len(p64)%4 == 1 {
		return nil, errBase64Payload
	}
	if len(s64)%4 == 1 {
		return nil, errBase64Sig
	}
	// One allocation holds the signing input and every decoded part.
	hn, pn, sn := decodedLen(len(h64)), decodedLen(len(p64)), decodedLen(len(s64))
	buf := make([]byte, 0, j+hn+pn+sn)
	buf = append(buf, token[:j]...)
	p := &parsed{msg: buf[:j:j]}
	rest := buf[j:j]
	hdr, ok := appendB64(rest, h64)
	if !ok {
		return nil, errBase64Header
	}
	rest = hdr[len(hdr):]
	if p.payload, ok = appendB64(rest, p64); !ok {
		return nil, errBase64Payload
	}
	rest = p.payload[len(p.payload):len(p.payload)]
	if p.sig, ok = appendB64(rest, s64); !ok {
		return nil, errBase64Sig
	}
	if err := p.readHeader(hdr); err != nil {
		return nil, err
	}
	return p, nil
}

// allows reports whether a is in the provider's allow-list.
func (v *Verifier) allows(a *alg) bool { return a != nil && v.allowed&(1<<a.bucket) != 0 }

// Verify checks token at time now, in the order docs/order-of-checks.md fixes: parse,
// issuer, key and algorithm, signature, then time (exp, nbf, iat,
// lifetime), then audience. Every failure is an *Error whose Reason says
// which step refused; since the signature is checked before any time or
// audience rule, a forged token is always reported as bad_signature, never
// as merely expired.
//
// NumericDates (exp, nbf, iat) must be JSON numbers between 0 and
// 253402300799; a fraction is allowed and truncated toward zero (1.9 is 1).
func (v *Verifier) Verify(token string, now time.Time) (*Token, error) {
	p, perr := parseCompact(token)
	if perr != nil {
		return nil, perr
	}
	claims, err := jsonx.Parse(p.payload, jsonLimits)
	if err != nil || claims.Kind != jsonx.KindObject {
		return nil, errPayloadJSON
	}
	if iss := claims.Get("iss"); iss == nil || iss.Kind != jsonx.KindString || iss.Str == "" || iss.Str != v.issuer {
		return nil, errIssuer
	}
	// Key and algorithm (docs/order-of-checks.md's order: issuer first, so a foreign
	// token is reported as foreign whatever its algorithm).
	if !v.allows(p.alg) {
		return nil, errAlgNotAllowed
	}
	if e := v.checkSignature(p); e != nil {
		return nil, e
	}
	tt, e := readTimes(&claims)
	if e != nil {
		return nil, e
	}
	if e := v.checkTimes(&tt, now.Unix()); e != nil {
		return nil, e
	}
	if e := v.checkAudience(claims.Get("aud")); e != nil {
		return nil, e
	}
	t := &Token{Claims: claims, Algorithm: p.alg.name, KeyID: p.kid, ByHost: p.byHost,
		times: tt, keyGen: v.keyGens[p.key]}
	if tt.hasExp {
		t.Expires = time.Unix(tt.exp, 0)
	}
	return t, nil
}

// checkSignature picks the keys that may verify p and checks the
// signature. With a kid, the candidates are the keys of that kid (a
// fetched set may hold several), then the keys that have no kid (as
// Envoy's jwt_authn does, so a key pasted without kid still verifies
// tokens that carry one); without a kid, every key. Only keys that fit the
// algorithm are candidates (key type, curve, the key's own alg, HMAC key
// length), tried in set order, at most MaxKeyTries of them: a token costs
// at most that many signature checks whatever the set holds. A set with
// no key at all (a fetched set whose keys were all withdrawn or skipped)
// knows no key, like a set without the token's kid.
func (v *Verifier) checkSignature(p *parsed) *Error {
	ks := v.keys
	if ks == nil {
		return errNoKeys
	}
	a := p.alg
	var digest []byte
	tries := 0
	try := func(i int, k *key) bool {
		if !k.fits(a) {
			return false
		}
		tries++
		ok, byHost := v.checkKey(a, i, k, p.msg, p.sig, &digest, &p.dbuf)
		if ok {
			p.byHost, p.key = byHost, i
		}
		return ok
	}
	if p.hasKid {
		for i, k := range ks.keys {
			if tries == MaxKeyTries {
				return errBadSignature
			}
			if k.hasKid && k.kid == p.kid && try(i, k) {
				return nil
			}
		}
	}
	for i, k := range ks.keys {
		if tries == MaxKeyTries {
			return errBadSignature
		}
		if (!p.hasKid || !k.hasKid) && try(i, k) {
			return nil
		}
	}
	if tries == 0 {
		return errUnknownKey
	}
	return errBadSignature
}

// numericDate reads a NumericDate (RFC 7519 §2): a JSON number in range,
// truncated to whole seconds.
func numericDate(v *jsonx.Value) (int64, bool) {
	if v.Kind != jsonx.KindNumber {
		return 0, false
	}
	if n, ok := v.Int64(); ok {
		return n, n >= 0 && n <= maxNumericDate
	}
	f, ok := v.Float64()
	if !ok || f < 0 || f >= maxNumericDate+1 {
		return 0, false
	}
	return int64(f), true
}

// tokenTimes are a token's NumericDates (Unix seconds), kept in a cached
// Token so a cache hit re-checks them without the claims.
type tokenTimes struct {
	exp, nbf, iat          int64
	hasExp, hasNbf, hasIat bool
}

// readTimes reads exp, nbf and iat.
func readTimes(claims *jsonx.Value) (tokenTimes, *Error) {
	var tt tokenTimes
	if c := claims.Get("exp"); c != nil {
		var ok bool
		if tt.exp, ok = numericDate(c); !ok {
			return tt, errExpType
		}
		tt.hasExp = true
	}
	if c := claims.Get("nbf"); c != nil {
		var ok bool
		if tt.nbf, ok = numericDate(c); !ok {
			return tt, errNbfType
		}
		tt.hasNbf = true
	}
	if c := claims.Get("iat"); c != nil {
		var ok bool
		if tt.iat, ok = numericDate(c); !ok {
			return tt, errIatType
		}
		tt.hasIat = true
	}
	return tt, nil
}

// checkTimes applies exp, nbf, iat and the lifetime cap at now (Unix
// seconds).
func (v *Verifier) checkTimes(tt *tokenTimes, now int64) *Error {
	switch {
	case !tt.hasExp && (v.requireExp || v.maxLife > 0):
		return errMissingExp
	case tt.hasExp && now >= tt.exp+v.skew:
		return errExpired
	case tt.hasNbf && now+v.skew < tt.nbf:
		return errNotYetValid
	case tt.hasIat && tt.iat > now+v.skew:
		return errIssuedInFuture
	}
	if v.maxLife > 0 {
		start := now
		if tt.hasIat {
			start = tt.iat
		} else if tt.hasNbf {
			start = tt.nbf
		}
		if tt.exp-start > v.maxLife {
			return errLifetime
		}
	}
	return nil
}

// checkAudience requires aud (a string, or a non-empty array of strings)
// to name one of the provider's audiences (RFC 7519 §4.1.3).
func (v *Verifier) checkAudience(aud *jsonx.Value) *Error {
	if aud == nil {
		return errAudience
	}
	switch aud.Kind {
	case jsonx.KindString:
		if v.audience(aud.Str) {
			return nil
		}
	case jsonx.KindArray:
		if len(aud.Items) == 0 {
			return errAudType
		}
		match := false
		for i := range aud.Items {
			it := &aud.Items[i]
			if it.Kind != jsonx.KindString {
				return errAudType
			}
			match = match || v.audience(it.Str)
		}
		if match {
			return nil
		}
	default:
		return errAudType
	}
	return errAudience
}

func (v *Verifier) audience(s string) bool {
	for _, a := range v.audiences {
		if a == s {
			return true
		}
	}
	return false
}

// Unverified is what PeekUnverified reads from a token without checking
// its signature or anything else.
type Unverified struct {
	Issuer    string // "" when iss is absent or not a string
	KeyID     string
	Algorithm string
}

// PeekUnverified reads iss, kid and alg of a well-formed token WITHOUT
// VERIFYING IT. It exists only to route a token to the one provider (of
// those a route accepts) whose issuer it names, so that one Verify runs;
// nothing read here may decide anything else, since an attacker chooses
// every byte of it. ok is false when the token would be refused as
// malformed, too large or unsupported anyway.
func PeekUnverified(token string) (u Unverified, ok bool) {
	p, err := parseCompact(token)
	if err != nil || p.alg == nil {
		return Unverified{}, false
	}
	if u.Issuer, ok = peekIssuer(p.payload); !ok {
		return Unverified{}, false
	}
	u.KeyID, u.Algorithm = p.kid, p.alg.name
	return u, true
}
