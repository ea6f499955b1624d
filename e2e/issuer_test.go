package e2e

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
)

// TestAuth_issuerExact: on a route of one JWT provider the verifier's
// comparison is the only issuer check, so the token's iss must equal the
// provider's issuer byte for byte: another tenant under the configured
// issuer, a prefix, a suffix, another letter case or another trailing
// slash is refused as token_wrong_issuer; on a route of several providers
// a token whose issuer extends one of theirs is refused too.
func TestAuth_issuerExact(t *testing.T) {
	now := host.DefaultStart
	config := `{
  "providers": {
    "idp": {"issuer": "` + idpIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["ES256"],
            "jwks": ` + jwksOf(t, "ec256") + `},
    "tenant-a": {"issuer": "https://tenants.example.com/tenant-a", "audiences": ["` + audience + `"], "algorithms": ["ES256"],
                 "jwks": ` + jwksOf(t, "ec256") + `},
    "other": {"issuer": "https://other.example.com/", "audiences": ["` + audience + `"], "algorithms": ["ES256"],
              "jwks": ` + jwksOf(t, "ec256") + `}
  },
  "routes": [
    {"name": "one", "match": {"prefix": "/one"}, "auth": {"providers": ["idp"]}},
    {"name": "tenant", "match": {"prefix": "/tenant"}, "auth": {"providers": ["tenant-a"]}},
    {"name": "several", "match": {"prefix": "/several"}, "auth": {"providers": ["tenant-a", "other"]}}
  ]
}`
	tok := func(iss string) host.Request {
		return host.Request{Headers: bearer(mint(t, "ec256", "ES256", claimsAt(now, iss, nil)))}
	}
	on := func(path string, r host.Request) host.Request { r.Path = path; return r }
	cases := []exchange{
		{name: "control: the issuer", req: on("/one", tok(idpIssuer)), want: 200},
		{name: "control: the tenant's issuer", req: on("/tenant", tok("https://tenants.example.com/tenant-a")), want: 200},
		{name: "control: several providers", req: on("/several", tok("https://tenants.example.com/tenant-a")), want: 200},
		invalid("another tenant under the issuer", on("/one", tok("https://idp.example.com/tenant-b")), problem.ReasonTokenWrongIssuer),
		invalid("without the trailing slash", on("/one", tok("https://idp.example.com")), problem.ReasonTokenWrongIssuer),
		invalid("with a second slash", on("/one", tok("https://idp.example.com//")), problem.ReasonTokenWrongIssuer),
		invalid("host in upper case", on("/one", tok("https://IDP.example.com/")), problem.ReasonTokenWrongIssuer),
		invalid("scheme in upper case", on("/one", tok("HTTPS://idp.example.com/")), problem.ReasonTokenWrongIssuer),
		invalid("a suffix of the issuer", on("/one", tok("idp.example.com/")), problem.ReasonTokenWrongIssuer),
		invalid("a longer tenant", on("/tenant", tok("https://tenants.example.com/tenant-ab")), problem.ReasonTokenWrongIssuer),
		invalid("a shorter tenant", on("/tenant", tok("https://tenants.example.com/tenant-")), problem.ReasonTokenWrongIssuer),
		invalid("the tenant with a trailing slash", on("/tenant", tok("https://tenants.example.com/tenant-a/")), problem.ReasonTokenWrongIssuer),
		invalid("the tenant in another case", on("/tenant", tok("https://tenants.example.com/Tenant-A")), problem.ReasonTokenWrongIssuer),
		invalid("several providers: a longer tenant", on("/several", tok("https://tenants.example.com/tenant-ab")), problem.ReasonTokenWrongIssuer),
		invalid("several providers: another case", on("/several", tok("https://OTHER.example.com/")), problem.ReasonTokenWrongIssuer),
	}
	each(t, func(t *testing.T, g guest) {
		runTable(t, start(t, g, config), cases)
	})
}

// TestAuth_hmacTagTruncated: an HS256/384/512 token verifies only with its
// whole tag; a truncated one (a prefix of the real MAC, forgeable byte by
// byte) or a longer one is refused as token_bad_signature.
func TestAuth_hmacTagTruncated(t *testing.T) {
	now := host.DefaultStart
	var cases []exchange
	for _, alg := range []string{"HS256", "HS384", "HS512"} {
		good := mint(t, "hs", alg, claimsAt(now, hmacIssuer, nil))
		i := strings.LastIndexByte(good, '.')
		tag, err := base64.RawURLEncoding.DecodeString(good[i+1:])
		if err != nil {
			t.Fatal(err)
		}
		with := func(sig []byte) host.Request {
			return getWith("/h", bearer(good[:i+1]+base64.RawURLEncoding.EncodeToString(sig)))
		}
		cases = append(cases,
			exchange{name: alg + " control", req: getWith("/h", bearer(good)), want: 200},
			invalid(alg+" 16-byte tag", with(tag[:16]), problem.ReasonTokenBadSignature),
			invalid(alg+" one byte short", with(tag[:len(tag)-1]), problem.ReasonTokenBadSignature),
			invalid(alg+" one byte long", with(append(append([]byte(nil), tag...), 0)), problem.ReasonTokenBadSignature),
		)
	}
	each(t, func(t *testing.T, g guest) {
		runTable(t, start(t, g, tokenConfig(t)), cases)
	})
}
