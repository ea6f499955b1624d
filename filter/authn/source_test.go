package authn

import (
	"testing"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/httpx"
)

// TestCredential_headerGroupMatch: a header value is a source's credential when it
// starts with the source's prefix in any letter case, followed by the
// credential, which neither is empty nor starts with a space or tab;
// otherwise no source's (a credential present and invalid).
func TestCredential_headerGroupMatch(t *testing.T) {
	bearer := &source{src: config.Source{Kind: config.SourceHeader, Name: "authorization", Prefix: "Bearer "}}
	basic := &source{src: config.Source{Kind: config.SourceHeader, Name: "authorization", Prefix: "Basic "}}
	g := headerGroup{name: "authorization", sources: []*source{bearer, basic}}
	for _, c := range []struct {
		v    string
		want *source
		rest string
	}{
		{"Bearer abc", bearer, "abc"},
		{"bEARER abc", bearer, "abc"},
		{"Basic YTpi", basic, "YTpi"},
		{"Bearer\tabc", nil, ""},
		{"Bearer  abc", nil, ""},
		{"Bearer \tabc", nil, ""},
		{"Bearer ", nil, ""},
		{"Bearer", nil, ""},
		{"Token abc", nil, ""},
		{"", nil, ""},
		{"Bearerabc", nil, ""},
		{"abc", nil, ""},
	} {
		rs, rest := g.match(c.v)
		if rs != c.want || rest != c.rest {
			t.Errorf("match(%q) = %v, %q; want %v, %q", c.v, rs, rest, c.want, c.rest)
		}
	}
	key := &source{src: config.Source{Kind: config.SourceHeader, Name: "x-api-key"}}
	kg := headerGroup{name: "x-api-key", sources: []*source{key}}
	for v, ok := range map[string]bool{"k1": true, "": false, " k1": false, "\tk1": false, "Bearer k": true} {
		if rs, _ := kg.match(v); (rs != nil) != ok {
			t.Errorf("x-api-key %q: match %v, want %v", v, rs != nil, ok)
		}
	}
}

// TestCredential_findSource: one location is one source however providers spell it.
func TestCredential_findSource(t *testing.T) {
	mk := func(kind config.SourceKind, name, prefix string) *source {
		rs := &source{src: config.Source{Kind: kind, Name: name, Prefix: prefix}}
		if kind != config.SourceHeader {
			rs.qname = httpx.NormalizeQueryName(name)
		}
		return rs
	}
	list := []*source{
		mk(config.SourceHeader, "authorization", "Bearer "),
		mk(config.SourceCookie, "Session", ""),
		mk(config.SourceQuery, "access.token", ""),
	}
	for _, c := range []struct {
		src  config.Source
		want int
	}{
		{config.Source{Kind: config.SourceHeader, Name: "authorization", Prefix: "bearer "}, 0},
		{config.Source{Kind: config.SourceHeader, Name: "authorization", Prefix: "Bearer"}, -1},
		{config.Source{Kind: config.SourceHeader, Name: "authorization", Prefix: "Basic "}, -1},
		{config.Source{Kind: config.SourceHeader, Name: "x-token", Prefix: "Bearer "}, -1},
		{config.Source{Kind: config.SourceCookie, Name: "session"}, 1},
		{config.Source{Kind: config.SourceCookie, Name: "sessions"}, -1},
		{config.Source{Kind: config.SourceQuery, Name: "ACCESS_TOKEN"}, 2},
		{config.Source{Kind: config.SourceQuery, Name: "session"}, -1},
		{config.Source{Kind: config.SourceCookie, Name: "access_token"}, -1},
	} {
		got := findSource(list, c.src)
		want := (*source)(nil)
		if c.want >= 0 {
			want = list[c.want]
		}
		if got != want {
			t.Errorf("findSource(%+v) = %v, want source %d", c.src, got, c.want)
		}
	}
}

func TestCompile_providerPath(t *testing.T) {
	if got := ProviderPath("idp"); got != "providers.idp" {
		t.Errorf("ProviderPath(idp) = %q", got)
	}
	if got := ProviderPath("a.b"); got != `providers["a.b"]` {
		t.Errorf("ProviderPath(a.b) = %q", got)
	}
}
