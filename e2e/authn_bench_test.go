package e2e

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/host"
)

// Authentication benchmarks (issue 3 "Performance", issue 15): the whole
// request through the filter (RoundTrip, natively and through the .wasm)
// with a cached token and with a fresh token per algorithm, next to the
// bare signature check of the same token with the standard library.
//
// A "fresh" token is one the verified-token cache does not hold: fresh
// runs use a configuration with `"token_cache": {"max_entries": 0}`, so
// every request pays the full parse and signature check without minting a
// token per iteration. RS256 and ES256 go to the emulator's
// verify_signature (Envoy's function, natively in Go) unless the run's
// name says module-crypto.

var benchAlgs = []struct{ alg, kid, path string }{
	{"RS256", "rsa-a", "/t"},
	{"ES256", "ec256", "/t"},
	{"EdDSA", "ed", "/t"},
	{"HS256", "hs", "/h"},
}

// authBenchConfig is the benchmark policy.
func authBenchConfig(b testing.TB) string { return authBenchPolicy(b, true) }

// authBenchPolicy is the benchmark policy with the verified-token cache
// (cached) or without it (fresh).
func authBenchPolicy(b testing.TB, cached bool) string {
	tc := ""
	if !cached {
		tc = `"token_cache": {"max_entries": 0},`
	}
	return `{` + tc + `
  "providers": {
    "idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["RS256", "ES256", "EdDSA"],
            "jwks": ` + jwksOf(b, "rsa-a", "ec256", "ed") + `, "claims_to_headers": {"sub": "x-user-id"}},
    "hmac": {"issuer": "` + hmacIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["HS256"],
             "jwks": ` + jwksOf(b, "hs") + `, "claims_to_headers": {"sub": "x-user-id"}}
  },
  "routes": [
    {"name": "p", "match": {"prefix": "/p"}},
    {"name": "t", "match": {"prefix": "/t"}, "auth": {"providers": ["idp"], "claims": [{"claim": "scope", "contains": ["orders:read"]}]}},
    {"name": "h", "match": {"prefix": "/h"}, "auth": {"providers": ["hmac"], "claims": [{"claim": "scope", "contains": ["orders:read"]}]}}
  ]
}`
}

// benchToken is a realistic access token (a dozen claims) valid for years.
func benchToken(b testing.TB, alg, kid string) string {
	iss := idpIssuer
	if alg == "HS256" {
		iss = hmacIssuer
	}
	now := host.DefaultStart
	return mint(b, kid, alg, claimsAt(now, iss, map[string]any{
		"exp": now.AddDate(20, 0, 0).Unix(), "scope": "openid profile orders:read orders:write",
		"azp": "web-app", "jti": "3f1a4c2e-9b7d-4e61-8a2f-5c0d9e7b1a64", "email": "alice@example.com",
		"email_verified": true, "realm_access": map[string]any{"roles": []any{"customer", "beta"}},
	}))
}

func authRequest(path, tok string) host.Request {
	return host.Request{Path: path + "/orders", Headers: headers("authorization", "Bearer "+tok, "x-request-id", "bench")}
}

// benchPath asserts, once before timing, that req takes the path the
// benchmark claims: status 200, one fresh verification by the host (host
// true) or the module, or (fresh false) a cache hit.
func benchPath(b *testing.B, e *host.Envoy, vm *host.VM, req host.Request, fresh, byHost bool) {
	b.Helper()
	hits, h, m := metricOrZero(b, e, "apiguard.auth.cache_hit"), metricOrZero(b, e, "apiguard.auth.verified_by_host"), metricOrZero(b, e, "apiguard.auth.verified_by_module")
	if r := vm.RoundTrip(req, func(host.UpstreamRequest) host.Response { return defaultResponse }); r.Downstream.Status != 200 {
		b.Fatalf("status %d (%s)", r.Downstream.Status, r.Downstream.LocalReply)
	}
	dHits := metricOrZero(b, e, "apiguard.auth.cache_hit") - hits
	dHost, dModule := metricOrZero(b, e, "apiguard.auth.verified_by_host")-h, metricOrZero(b, e, "apiguard.auth.verified_by_module")-m
	switch {
	case !fresh && (dHits != 1 || dHost+dModule != 0):
		b.Fatalf("not a cache hit: hits +%d, verified +%d/+%d", dHits, dHost, dModule)
	case fresh && byHost && (dHits != 0 || dHost != 1 || dModule != 0):
		b.Fatalf("not verified by the host: hits +%d, host +%d, module +%d", dHits, dHost, dModule)
	case fresh && !byHost && (dHits != 0 || dHost != 0 || dModule != 1):
		b.Fatalf("not verified by the module: hits +%d, host +%d, module +%d", dHits, dHost, dModule)
	}
}

// BenchmarkAuthn_cachedToken: a token already in the verified-token cache.
func BenchmarkAuthn_cachedToken(b *testing.B) {
	tok := benchToken(b, "RS256", "rsa-a")
	benchGuests(b, func(b *testing.B, g guest) {
		e := start(b, g, authBenchPolicy(b, true))
		vm := e.Worker(0)
		req := authRequest("/t", tok)
		up := func(host.UpstreamRequest) host.Response { return defaultResponse }
		benchPath(b, e, vm, req, true, true)
		benchPath(b, e, vm, req, false, false)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if r := vm.RoundTrip(req, up); r.Downstream.Status != 200 {
				b.Fatalf("status %d", r.Downstream.Status)
			}
		}
		b.StopTimer()
		if hits := metric(b, e, "apiguard.auth.cache_hit"); hits != int64(b.N)+1 {
			b.Fatalf("%d cache hits for %d cached requests", hits-1, b.N)
		}
	})
}

// BenchmarkAuthn_freshToken: a token the cache does not hold, per algorithm; RS256
// and ES256 both with the host's verify_signature and without it.
func BenchmarkAuthn_freshToken(b *testing.B) {
	for _, a := range benchAlgs {
		tok := benchToken(b, a.alg, a.kid)
		paths := sigPaths[1:]
		if a.alg == "RS256" || a.alg == "ES256" {
			paths = sigPaths
		}
		b.Run(a.alg, func(b *testing.B) {
			benchGuests(b, func(b *testing.B, g guest) {
				for _, p := range paths {
					b.Run(p.name, func(b *testing.B) {
						e := start(b, g, authBenchPolicy(b, false), p.opt)
						vm := e.Worker(0)
						req := authRequest(a.path, tok)
						up := func(host.UpstreamRequest) host.Response { return defaultResponse }
						benchPath(b, e, vm, req, true, p.host)
						b.ReportAllocs()
						b.ResetTimer()
						for i := 0; i < b.N; i++ {
							if r := vm.RoundTrip(req, up); r.Downstream.Status != 200 {
								b.Fatalf("status %d (%s)", r.Downstream.Status, r.Downstream.LocalReply)
							}
						}
						b.StopTimer()
						if hits := metricOrZero(b, e, "apiguard.auth.cache_hit"); hits != 0 {
							b.Fatalf("%d cache hits in a fresh-token run", hits)
						}
					})
				}
			})
		})
	}
}

// bareVerifier returns the standard library's check of tok's signature
// alone: pre-parsed key, pre-decoded signature, hashing included (the
// filter must hash the signing input too).
func bareVerifier(b testing.TB, alg, kid, tok string) func() bool {
	i := strings.LastIndexByte(tok, '.')
	msg := []byte(tok[:i])
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil {
		b.Fatal(err)
	}
	key := authKey(b, kid).Key
	switch alg {
	case "RS256":
		pub := &key.(*rsa.PrivateKey).PublicKey
		return func() bool {
			d := sha256.Sum256(msg)
			return rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], sig) == nil
		}
	case "ES256":
		pub := &key.(*ecdsa.PrivateKey).PublicKey
		der, _ := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])})
		return func() bool {
			d := sha256.Sum256(msg)
			return ecdsa.VerifyASN1(pub, d[:], der)
		}
	case "EdDSA":
		pub := key.(ed25519.PrivateKey).Public().(ed25519.PublicKey)
		return func() bool { return ed25519.Verify(pub, msg, sig) }
	}
	secret := key.([]byte)
	return func() bool {
		m := hmac.New(sha256.New, secret)
		m.Write(msg)
		return hmac.Equal(m.Sum(nil), sig)
	}
}

// otherSignature changes one bit in the middle of tok's signature.
func otherSignature(tok string) string {
	i := strings.LastIndexByte(tok, '.')
	sig, _ := base64.RawURLEncoding.DecodeString(tok[i+1:])
	sig[len(sig)/2] ^= 1
	return tok[:i+1] + base64.RawURLEncoding.EncodeToString(sig)
}

// BenchmarkAuthn_bareSignatureCheck is the bare signature check of the tokens of
// BenchmarkAuthn_freshToken (native only: the module exposes only the proxy-wasm
// ABI; see docs/performance.md for the wasm figures of filter/jwt's benchmarks).
func BenchmarkAuthn_bareSignatureCheck(b *testing.B) {
	for _, a := range benchAlgs {
		tok := benchToken(b, a.alg, a.kid)
		ok := bareVerifier(b, a.alg, a.kid, tok)
		// The check measured refuses another signature.
		if bareVerifier(b, a.alg, a.kid, otherSignature(tok))() {
			b.Fatalf("%s: the bare check accepts a changed signature", a.alg)
		}
		b.Run(a.alg, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !ok() {
					b.Fatal("bad signature")
				}
			}
		})
	}
}

// BenchmarkAuthn_ratios interleaves, in one loop, a request on a route
// without auth, a fresh-token request, a cached-token request and
// (natively) the bare check of the same token, so load from other
// processes hits all alike, and reports the ratios the issue sets targets
// for:
//
//	fresh/bare        whole fresh-token request over the bare check
//	auth-fresh/bare   what authentication adds to a request (fresh minus
//	                  the route without auth) over the bare check; target
//	                  at most 1.3 for RS256, ES256 and EdDSA
//	fresh/cached      whole requests
//	auth-fresh/auth-cached  what authentication adds, fresh over cached;
//	                  target at least 20 for RS256
//
// Through the .wasm the bare check cannot run inside the module (it
// exposes only the proxy-wasm ABI), so only the fresh/cached ratios are
// reported there; docs/performance.md gives filter/jwt's bare figures under wazero.
func BenchmarkAuthn_ratios(b *testing.B) {
	for _, a := range benchAlgs {
		tok := benchToken(b, a.alg, a.kid)
		bare := bareVerifier(b, a.alg, a.kid, tok)
		b.Run(a.alg, func(b *testing.B) {
			benchGuests(b, func(b *testing.B, g guest) {
				// Module crypto throughout: these ratios are the module's
				// own (BenchmarkAuthn_hostSignatureGoals has the host's).
				e := start(b, g, authBenchPolicy(b, true), noVerifySignature())
				ef := start(b, g, authBenchPolicy(b, false), noVerifySignature())
				vm, vf := e.Worker(0), ef.Worker(0)
				req := authRequest(a.path, tok)
				plain := authRequest("/p", tok)
				up := func(host.UpstreamRequest) host.Response { return defaultResponse }
				benchPath(b, ef, vf, req, true, false)
				benchPath(b, e, vm, req, true, false)
				benchPath(b, e, vm, req, false, false)
				var tPlain, tFresh, tCached, tBare time.Duration
				for b.Loop() {
					t0 := time.Now()
					if r := vm.RoundTrip(plain, up); r.Downstream.Status != 200 {
						b.Fatalf("plain: status %d", r.Downstream.Status)
					}
					t1 := time.Now()
					if r := vf.RoundTrip(req, up); r.Downstream.Status != 200 {
						b.Fatalf("status %d", r.Downstream.Status)
					}
					t2 := time.Now()
					if r := vm.RoundTrip(req, up); r.Downstream.Status != 200 {
						b.Fatalf("cached: status %d", r.Downstream.Status)
					}
					t3 := time.Now()
					if !g.wasm && !bare() {
						b.Fatal("bare: refused")
					}
					t4 := time.Now()
					tPlain += t1.Sub(t0)
					tFresh += t2.Sub(t1)
					tCached += t3.Sub(t2)
					tBare += t4.Sub(t3)
				}
				authFresh, authCached := float64(tFresh-tPlain), float64(tCached-tPlain)
				if !g.wasm {
					b.ReportMetric(float64(tFresh)/float64(tBare), "fresh/bare")
					b.ReportMetric(authFresh/float64(tBare), "auth-fresh/bare")
				}
				b.ReportMetric(float64(tFresh)/float64(tCached), "fresh/cached")
				b.ReportMetric(authFresh/authCached, "auth-fresh/auth-cached")
			})
		})
	}
}
