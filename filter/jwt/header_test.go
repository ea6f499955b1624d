package jwt

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// headerOracle reads a JOSE header the slow, independent way: strict
// validity by jsonx.Validate (encoding/json accepts duplicate keys and
// invalid UTF-8, which apiguard refuses), then the members in document
// order and their types and values by encoding/json, and the rules of
// readHeader applied to them.
func headerOracle(t *testing.T, data []byte) (algName, kid string, hasKid bool, e *Error) {
	t.Helper()
	if jsonx.Validate(data, jsonLimits) != nil || !bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{")) {
		return "", "", false, errHeaderJSON
	}
	d := json.NewDecoder(bytes.NewReader(data))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("encoding/json refuses a header jsonx accepts: %v", err)
	}
	var typeErr *Error
	var hasAlg, jwe, crit, b64 bool
	for d.More() {
		k, err := d.Token()
		if err != nil {
			t.Fatalf("encoding/json: %v", err)
		}
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			t.Fatalf("encoding/json: %v", err)
		}
		var str string
		isStr := json.Unmarshal(raw, &str) == nil && raw[0] == '"'
		var want *Error
		switch k.(string) {
		case "alg":
			want = errAlgType
			if isStr {
				algName, hasAlg = str, true
			}
		case "kid":
			want = errKidType
			if isStr {
				kid, hasKid = str, true
			}
		case "typ", "cty":
			want = errTypType
		case "enc", "zip":
			jwe = true
		case "crit":
			crit = true
		case "b64":
			b64 = true
		}
		if want != nil && !isStr && typeErr == nil {
			typeErr = want
		}
	}
	switch {
	case typeErr != nil:
		return "", "", false, typeErr
	case !hasAlg:
		return "", "", false, errAlgType
	case jwe:
		return "", "", false, errJWE
	case crit:
		return "", "", false, errCrit
	case b64:
		return "", "", false, errB64
	}
	return algName, kid, hasKid, nil
}

// checkHeader compares readHeader with the oracle on one header.
func checkHeader(t *testing.T, data []byte) {
	t.Helper()
	var p parsed
	got := p.readHeader(data)
	alg, kid, hasKid, want := headerOracle(t, data)
	if got != want {
		t.Fatalf("%q: readHeader = %v, oracle %v", data, got, want)
	}
	if got != nil {
		return
	}
	if p.kid != kid || p.hasKid != hasKid {
		t.Fatalf("%q: kid %q (%v), oracle %q (%v)", data, p.kid, p.hasKid, kid, hasKid)
	}
	if wantAlg := lookupAlg(alg); p.alg != wantAlg {
		t.Fatalf("%q: alg %v, oracle %v (%q)", data, p.alg, wantAlg, alg)
	}
}

var headerSeeds = []string{
	`{"alg":"RS256","kid":"rsa-a","typ":"JWT"}`,
	`{"alg":"ES256"}`,
	` { "alg" : "EdDSA" , "kid" : "" } `,
	`{"alg":"RS\u0032\u0035\u0036","kid":"k\u00e9\ud83d\ude00"}`,
	`{"alg":"none"}`, `{"alg":"rs256"}`, `{"alg":""}`,
	`{}`, `{"kid":"a"}`, `[]`, `"alg"`, `null`, ``, `{"alg":"RS256"}x`, `{"alg":"RS256"`,
	`{"alg":5}`, `{"alg":null}`, `{"alg":["RS256"]}`, `{"alg":{"a":"RS256"}}`,
	`{"alg":"RS256","kid":7}`, `{"kid":7,"alg":5}`, `{"alg":5,"kid":7}`,
	`{"alg":"RS256","typ":1}`, `{"alg":"RS256","cty":{}}`, `{"cty":"JWT","alg":"RS256"}`,
	`{"alg":"RS256","enc":"A128GCM"}`, `{"alg":"RS256","zip":"DEF"}`,
	`{"alg":"RS256","crit":["exp"]}`, `{"alg":"RS256","crit":[]}`, `{"alg":"RS256","b64":false}`,
	`{"crit":1,"enc":2,"b64":3,"alg":"RS256"}`, `{"crit":1,"alg":7}`,
	`{"alg":"RS256","alg":"HS256"}`, `{"alg":"RS256","\u0061lg":"HS256"}`,
	`{"alg":"RS256","x":"\xff"}`, `{"alg":"RS256","x":"\ud800"}`,
	`{"alg":"RS256","jku":"https://evil","jwk":{"kty":"RSA"},"x5c":["MII"],"x5u":"u","x5t":"t"}`,
	`{"alg":"RS256","nested":{"alg":"HS256","kid":5,"crit":1}}`, `{"alg":"RS256","a":[{"enc":1}]}`,
	`{"alg":"RS256","deep":` + strings.Repeat("[", 31) + strings.Repeat("]", 31) + `}`,
	`{"alg":"RS256","deep":` + strings.Repeat("[", 32) + strings.Repeat("]", 32) + `}`,
	`{"alg":"RS256","n":1e999,"t":true,"f":false,"z":null}`, `{"alg":"RS256",}`, `{"alg" "RS256"}`,
}

func TestHeader_matchesEncodingJSON(t *testing.T) {
	for _, h := range headerSeeds {
		checkHeader(t, []byte(h))
	}
}

// FuzzJOSEHeader_againstEncodingJSON: readHeader accepts and refuses exactly as the encoding/json
// oracle, with the same reason, alg and kid.
func FuzzJOSEHeader_againstEncodingJSON(f *testing.F) {
	for _, h := range headerSeeds {
		f.Add([]byte(h))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkHeader(t, data) })
}

// issuerOracle is PeekUnverified's former reading of the claims: the
// whole tree by jsonx.Parse, then its iss member.
func issuerOracle(claims []byte) (string, bool) {
	v, err := jsonx.Parse(claims, jsonLimits)
	if err != nil || v.Kind != jsonx.KindObject {
		return "", false
	}
	if iss := v.Get("iss"); iss != nil && iss.Kind == jsonx.KindString {
		return iss.Str, true
	}
	return "", true
}

var claimsSeeds = []string{
	claims(), `{"iss":"https://issuer.example.com/"}`, `{"iss":""}`, `{}`, `{"sub":"a"}`,
	`{"iss":"a\u00e9\"b\\c\ud83d\ude00"}`, `{"iss":5}`, `{"iss":null}`, `{"iss":["x"]}`, `{"iss":{"iss":"x"}}`,
	`{"a":{"iss":"inner"},"b":[{"iss":"x"}]}`, `{"a":{"iss":"inner"},"iss":"outer"}`,
	`{"iss":"a","iss":"b"}`, `{"iss":"a","\u0069ss":"b"}`, `{"iss":"a"`, `{"iss":"a"}x`, `{"iss":"a",}`,
	`["iss"]`, `"iss"`, ``, `{"iss":"\xff"}`, `{"x":"\ud800","iss":"a"}`,
	`{"iss":"a","d":` + strings.Repeat("[", 31) + strings.Repeat("]", 31) + `}`,
	`{"iss":"a","d":` + strings.Repeat("[", 32) + strings.Repeat("]", 32) + `}`,
}

func TestPeekUnverified_issuerMatchesParse(t *testing.T) {
	for _, c := range claimsSeeds {
		checkIssuer(t, []byte(c))
	}
}

func checkIssuer(t *testing.T, data []byte) {
	t.Helper()
	got, gotOK := peekIssuer(data)
	want, wantOK := issuerOracle(data)
	if got != want || gotOK != wantOK {
		t.Fatalf("%q: peekIssuer = %q, %v; jsonx.Parse reads %q, %v", data, got, gotOK, want, wantOK)
	}
}

// FuzzPeekIssuer_againstFullParse: the issuer PeekUnverified reads from a token's claims
// is the one a parsed tree names, and the claims it refuses the ones
// jsonx.Parse refuses.
func FuzzPeekIssuer_againstFullParse(f *testing.F) {
	for _, c := range claimsSeeds {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkIssuer(t, data) })
}

// BenchmarkPeekIssuer_scan reads a realistic token's issuer as PeekUnverified
// does (scan) and as it did before (tree: jsonx.Parse), in one binary, so
// `make bench-wasm BENCH_WASM=PeekIssuer` shows the difference in Go's wasm
// code.
func BenchmarkPeekIssuer_scan(b *testing.B) {
	data := []byte(claims())
	if iss, ok := peekIssuer(data); !ok || iss != testIssuer {
		b.Fatalf("peekIssuer = %q, %v", iss, ok)
	}
	b.Run("scan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			peekIssuer(data)
		}
	})
	b.Run("tree", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			issuerOracle(data)
		}
	})
}
