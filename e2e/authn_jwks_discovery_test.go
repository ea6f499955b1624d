package e2e

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apiguard/apiguard/e2e/host"
)

// OpenID discovery of a provider's keys (remote_jwks with "discovery":
// true).

// idpSite answers fetches by path and records them, for the clusters of
// an identity provider's discovery document and keys.
type idpSite struct {
	mu    sync.Mutex
	pages map[string]string // path -> body (200)
	seen  []host.HTTPRequest
}

func (s *idpSite) serve(r host.HTTPRequest) (host.HTTPResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, r)
	body, ok := s.pages[r.Header(":path")]
	if !ok {
		return host.HTTPResponse{Headers: headers(":status", "404")}, nil
	}
	return host.HTTPResponse{Headers: headers(":status", "200", "content-type", "application/json"), Body: []byte(body)}, nil
}

func (s *idpSite) requests() []host.HTTPRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]host.HTTPRequest(nil), s.seen...)
}

// discoveryDoc is an OpenID discovery document.
func discoveryDoc(issuer, jwksURI string) string {
	return `{"issuer":"` + issuer + `","authorization_endpoint":"https://login.example.com/authorize",` +
		`"jwks_uri":"` + jwksURI + `","response_types_supported":["code"],"id_token_signing_alg_values_supported":["RS256"]}`
}

// TestAuthnJWKS_discovery: with "discovery": true the provider's keys are found
// through the identity provider's OpenID discovery document, whose issuer
// must be the provider's; its jwks_uri is fetched through cluster on the
// same authority, or through the cluster remote_jwks.clusters names for
// another one. Anything else is a failed fetch (503 after timeout_ms) whose
// log line says what to configure. url stands for authority and path.
func TestAuthnJWKS_discovery(t *testing.T) {
	const disc = "/.well-known/openid-configuration"
	keys := jwksOf(t, "rsa-a")
	cases := []struct {
		name     string
		remote   string
		idp      map[string]string
		keysSite map[string]string
		want     int
		idpSeen  []string // authority path, in order
		keysSeen []string
		log      string
	}{
		{
			name:   "jwks_uri on the authority",
			remote: `"cluster": "idp", "authority": "login.example.com", "discovery": true`,
			idp: map[string]string{disc: discoveryDoc(remoteIssuer, "https://login.example.com/discovery/keys"),
				"/discovery/keys": keys},
			want:    200,
			idpSeen: []string{"login.example.com " + disc, "login.example.com /discovery/keys"},
		},
		{
			name:   "url and discovery",
			remote: `"cluster": "idp", "url": "https://login.example.com/tenant/.well-known/openid-configuration", "discovery": true`,
			idp: map[string]string{"/tenant" + disc: discoveryDoc(remoteIssuer, "https://LOGIN.example.com:443/keys"),
				"/keys": keys},
			want:    200,
			idpSeen: []string{"login.example.com /tenant" + disc, "LOGIN.example.com:443 /keys"},
		},
		{
			name: "jwks_uri on a mapped authority",
			remote: `"cluster": "idp", "url": "https://login.example.com", "discovery": true,
			         "clusters": {"keys.example.com": "keys"}`,
			idp:      map[string]string{disc: discoveryDoc(remoteIssuer, "https://keys.example.com/jwks?tenant=a")},
			keysSite: map[string]string{"/jwks?tenant=a": keys},
			want:     200,
			idpSeen:  []string{"login.example.com " + disc},
			keysSeen: []string{"keys.example.com /jwks?tenant=a"},
		},
		{
			name:     "jwks_uri on an unmapped authority",
			remote:   `"cluster": "idp", "authority": "login.example.com", "discovery": true, "clusters": {"keys.example.com": "keys"}`,
			idp:      map[string]string{disc: discoveryDoc(remoteIssuer, "https://cdn.example.net/jwks")},
			keysSite: map[string]string{"/jwks": keys},
			want:     503,
			idpSeen:  []string{"login.example.com " + disc},
			log: `jwks remote: fetch failed: discovery document: jwks_uri "https://cdn.example.net/jwks" is on "cdn.example.net", ` +
				`not on authority "login.example.com": add "clusters": {"cdn.example.net": "<cluster>"} to remote_jwks`,
		},
		{
			name:    "another issuer",
			remote:  `"cluster": "idp", "authority": "login.example.com", "discovery": true`,
			idp:     map[string]string{disc: discoveryDoc("https://evil.example.com/", "https://login.example.com/keys"), "/keys": keys},
			want:    503,
			idpSeen: []string{"login.example.com " + disc},
			log:     `jwks remote: fetch failed: discovery document: issuer "https://evil.example.com/" is not the provider's issuer "` + remoteIssuer + `"`,
		},
		{
			name:    "no discovery document",
			remote:  `"cluster": "idp", "authority": "login.example.com", "discovery": true`,
			idp:     map[string]string{},
			want:    503,
			idpSeen: []string{"login.example.com " + disc},
			log:     `jwks remote: fetch failed: discovery document: status 404`,
		},
		{
			name:    "jwks_uri answers 404",
			remote:  `"cluster": "idp", "authority": "login.example.com", "discovery": true`,
			idp:     map[string]string{disc: discoveryDoc(remoteIssuer, "https://login.example.com/gone")},
			want:    503,
			idpSeen: []string{"login.example.com " + disc, "login.example.com /gone"},
			log:     `jwks remote: fetch failed: jwks_uri "https://login.example.com/gone": status 404`,
		},
		{
			name:    "url without discovery",
			remote:  `"cluster": "idp", "url": "https://login.example.com/keys/jwks.json"`,
			idp:     map[string]string{"/keys/jwks.json": keys},
			want:    200,
			idpSeen: []string{"login.example.com /keys/jwks.json"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			each(t, func(t *testing.T, g guest) {
				idp, ks := &idpSite{pages: c.idp}, &idpSite{pages: c.keysSite}
				conf := `{
  "providers": {"remote": {"issuer": "` + remoteIssuer + `", "audiences": ["` + audience + `"], "algorithms": ["RS256"],
                           "remote_jwks": {` + c.remote + `, "timeout_ms": 400}}},
  "routes": [{"name": "r", "match": {"prefix": "/r"}, "auth": {"providers": ["remote"]}}]
}`
				e := start(t, g, conf, workers(2), func(hc *host.Config) {
					hc.Clusters = map[string]host.Cluster{"idp": {HTTP: idp.serve}, "keys": {HTTP: ks.serve}}
				})
				s := openReq(e.Worker(1), "/r", remoteToken(t, "rsa-a"))
				e.Advance(remoteTimeout + 100*time.Millisecond)
				d := finish(s)
				if d.Status != c.want {
					t.Fatalf("status %d (%s), want %d\n%s", d.Status, d.LocalReply, c.want, logText(e))
				}
				for _, site := range []struct {
					name string
					s    *idpSite
					want []string
				}{{"idp", idp, c.idpSeen}, {"keys", ks, c.keysSeen}} {
					var got []string
					for _, r := range site.s.requests() {
						if r.Header(":method") != "GET" {
							t.Errorf("%s: method %q", site.name, r.Header(":method"))
						}
						got = append(got, r.Header(":authority")+" "+r.Header(":path"))
					}
					if len(got) < len(site.want) || strings.Join(got[:len(site.want)], "|") != strings.Join(site.want, "|") ||
						(c.want == 200 && len(got) != len(site.want)) {
						t.Errorf("cluster %s saw %q, want %q", site.name, got, site.want)
					}
				}
				if c.log != "" && len(e.LogsContaining(c.log)) == 0 {
					t.Errorf("no log line %q:\n%s", c.log, logText(e))
				}
				if c.want == 200 {
					if got := metric(t, e, "apiguard.jwks.remote.fetch_ok"); got != 1 {
						t.Errorf("fetch_ok = %d", got)
					}
					if d := finish(openReq(e.Worker(0), "/r", remoteToken(t, "rsa-a"))); d.Status != 200 {
						t.Errorf("other worker: status %d", d.Status)
					}
				} else if got := metric(t, e, "apiguard.jwks.remote.fetch_failed"); got < 1 {
					t.Errorf("fetch_failed = %d", got)
				}
			})
		})
	}
}
