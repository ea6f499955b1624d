package jwt

import (
	"sync"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// The JOSE header, and the issuer PeekUnverified reads from the claims,
// are read from the scanner's tokens, without building a tree: through the
// .wasm a tree costs more than the scan itself (docs/performance.md
// "Authentication"), and a route with several JWT providers peeks at every
// token, cached or not. They are accepted and refused exactly as a parsed
// tree would be (header_test.go checks them against encoding/json and
// jsonx.Parse).

// scanners holds Scanners for headers; their scratch memory is reused.
var scanners = sync.Pool{New: func() any { return new(jsonx.Scanner) }}

// readHeader checks the JOSE header (RFC 7515 §4.1). It decides nothing
// from jku, x5u, jwk, x5c or x5t: keys come only from the configured set.
// The whole header is validated before any member's type is judged, so a
// header that is not strict JSON is always errHeaderJSON; then the first
// member (in document order) of a wrong type decides.
func (p *parsed) readHeader(data []byte) *Error {
	s := scanners.Get().(*jsonx.Scanner)
	e := p.scanHeader(s, data)
	s.Reset(nil, jsonx.Limits{})
	scanners.Put(s)
	return e
}

func (p *parsed) scanHeader(s *jsonx.Scanner, data []byte) *Error {
	s.Reset(data, jsonLimits)
	tok, err := s.Next()
	if err != nil || tok.Kind != jsonx.TokenBeginObject {
		return errHeaderJSON
	}
	var typeErr *Error
	var alg []byte
	var hasAlg, jwe, crit, b64 bool
	for {
		tok, err = s.Next()
		if err != nil {
			return errHeaderJSON
		}
		if tok.Kind != jsonx.TokenKey {
			break // the header's closing brace
		}
		var want *Error // the refusal when the value is not a string
		field := 0
		switch string(s.Key()) {
		case "alg":
			want, field = errAlgType, 1
		case "kid":
			want, field = errKidType, 2
		case "typ", "cty":
			// cty "JWT" (a nested token) is not followed: the payload must
			// itself be the claims object.
			want = errTypType
		case "enc", "zip":
			jwe = true
		case "crit":
			// RFC 7515 §4.1.11: a recipient must refuse crit naming an
			// extension it does not understand. None is understood, and an
			// empty or malformed crit is invalid, so any crit refuses.
			crit = true
		case "b64":
			b64 = true
		}
		if want == nil {
			if _, err = s.SkipValue(); err != nil {
				return errHeaderJSON
			}
			continue
		}
		v, err := s.Next()
		if err != nil {
			return errHeaderJSON
		}
		if v.Kind == jsonx.TokenBeginObject || v.Kind == jsonx.TokenBeginArray {
			if _, err = s.SkipValue(); err != nil {
				return errHeaderJSON
			}
		}
		if v.Kind != jsonx.TokenString {
			if typeErr == nil {
				typeErr = want
			}
			continue
		}
		text := data[v.Start+1 : v.End-1]
		if s.Escaped() {
			text = jsonx.AppendUnquoted(nil, text)
		}
		switch field {
		case 1:
			alg, hasAlg = text, true
		case 2:
			p.kid, p.hasKid = string(text), true
		}
	}
	if tok, err = s.Next(); err != nil || tok.Kind != jsonx.TokenEnd {
		return errHeaderJSON
	}
	switch {
	case typeErr != nil:
		return typeErr
	case !hasAlg:
		return errAlgType
	case jwe:
		return errJWE
	case crit:
		return errCrit
	case b64:
		return errB64
	}
	p.alg = lookupAlgBytes(alg)
	return nil
}

// peekIssuer reads the iss member of claims, a strict JSON object ("" when
// iss is absent or not a string); ok is false when claims is not one.
func peekIssuer(claims []byte) (iss string, ok bool) {
	s := scanners.Get().(*jsonx.Scanner)
	iss, ok = scanIssuer(s, claims)
	s.Reset(nil, jsonx.Limits{})
	scanners.Put(s)
	return iss, ok
}

func scanIssuer(s *jsonx.Scanner, data []byte) (iss string, ok bool) {
	s.Reset(data, jsonLimits)
	tok, err := s.Next()
	if err != nil || tok.Kind != jsonx.TokenBeginObject {
		return "", false
	}
	for {
		if tok, err = s.Next(); err != nil {
			return "", false
		}
		if tok.Kind != jsonx.TokenKey {
			break // the closing brace
		}
		if string(s.Key()) != "iss" {
			if _, err = s.SkipValue(); err != nil {
				return "", false
			}
			continue
		}
		v, err := s.Next()
		if err != nil {
			return "", false
		}
		switch v.Kind {
		case jsonx.TokenBeginObject, jsonx.TokenBeginArray:
			if _, err = s.SkipValue(); err != nil {
				return "", false
			}
		case jsonx.TokenString:
			text := data[v.Start+1 : v.End-1]
			if s.Escaped() {
				text = jsonx.AppendUnquoted(nil, text)
			}
			iss = string(text)
		}
	}
	if tok, err = s.Next(); err != nil || tok.Kind != jsonx.TokenEnd {
		return "", false
	}
	return iss, true
}

// lookupAlgBytes is lookupAlg for a name in bytes (no copy).
func lookupAlgBytes(name []byte) *alg {
	for _, a := range algs {
		if a.name == string(name) {
			return a
		}
	}
	return nil
}
