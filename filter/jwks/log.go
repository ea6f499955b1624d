package jwks

import (
	"strconv"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/jwt"
)

// maxSkippedLogged bounds the skipped keys one log line details.
const maxSkippedLogged = 8

// Location is where a discovery document says the JWKS is.
type Location struct {
	URI, Cluster, Authority, Path string
}

// Discover reads an OpenID discovery document (OpenID Connect
// Discovery 1.0 §3): a strict JSON object whose issuer is the provider's
// issuer, exactly, and whose jwks_uri is an http(s) URL on the configured
// authority (fetched through cluster) or on one remote_jwks.clusters
// names. why says what is wrong, and what to configure, otherwise.
func Discover(doc []byte, issuer string, cfg *config.RemoteJWKS) (Location, string) {
	v, err := jsonx.Parse(doc, jsonx.Limits{MaxDepth: 16})
	if err != nil {
		return Location{}, "not strict JSON: " + err.Error()
	}
	if v.Kind != jsonx.KindObject {
		return Location{}, "not a JSON object"
	}
	iss := v.Get("issuer")
	if iss == nil || iss.Kind != jsonx.KindString {
		return Location{}, `no "issuer" string`
	}
	if iss.Str != issuer {
		return Location{}, "issuer " + quoteLog(iss.Str) + " is not the provider's issuer " + quoteLog(issuer) +
			": check the provider's issuer and remote_jwks (authority, path or url)"
	}
	u := v.Get("jwks_uri")
	if u == nil || u.Kind != jsonx.KindString {
		return Location{}, `no "jwks_uri" string`
	}
	d := Location{URI: u.Str}
	var msg string
	if d.Authority, d.Path, msg = config.SplitFetchURL(d.URI, true); msg != "" {
		return Location{}, "jwks_uri " + quoteLog(d.URI) + " " + msg
	}
	if d.Path == "" {
		d.Path = "/"
	}
	if config.SameAuthority(d.Authority, cfg.Authority) {
		d.Cluster = cfg.Cluster
		return d, ""
	}
	for a, c := range cfg.Clusters {
		if config.SameAuthority(d.Authority, a) {
			d.Cluster = c
			return d, ""
		}
	}
	return Location{}, "jwks_uri " + quoteLog(d.URI) + " is on " + quoteLog(d.Authority) + ", not on authority " +
		quoteLog(cfg.Authority) + `: add "clusters": {` + quoteLog(d.Authority) + `: "<cluster>"} to remote_jwks, naming an Envoy cluster for that host`
}

// quoteLog quotes an outside text for a log line, cut to 128 bytes.
func quoteLog(s string) string { return strconv.Quote(truncate(s, 128)) }

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// LoadedLine is the one log line of a fetch that loaded a set: how many
// keys it has and, for the first maxSkippedLogged skipped keys, their
// path, kid (quoted, at most 128 bytes) and why. It never holds key
// material: paths and reasons are fixed texts.
func LoadedLine(provider string, n int, skipped []jwt.SkippedKey) string {
	b := make([]byte, 0, 96+64*min(len(skipped), maxSkippedLogged))
	b = append(b, "apiguard: jwks "...)
	b = append(b, provider...)
	b = append(b, ": loaded "...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, " keys"...)
	if len(skipped) > 0 {
		b = append(b, " ("...)
		b = strconv.AppendInt(b, int64(len(skipped)), 10)
		b = append(b, " skipped: "...)
		for i, sk := range skipped {
			if i == maxSkippedLogged {
				b = append(b, "; and "...)
				b = strconv.AppendInt(b, int64(len(skipped)-i), 10)
				b = append(b, " more"...)
				break
			}
			if i > 0 {
				b = append(b, "; "...)
			}
			b = append(b, sk.Path...)
			if sk.Kid != "" {
				b = append(b, " kid "...)
				b = strconv.AppendQuote(b, truncate(sk.Kid, 128))
			}
			b = append(b, ": "...)
			b = append(b, sk.Reason...)
		}
		b = append(b, ')')
	}
	if n == 0 {
		b = append(b, "; no usable key: every token of this provider is refused (401)"...)
	}
	return string(b)
}
